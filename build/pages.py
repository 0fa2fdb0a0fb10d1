"""Pages: every file under templates/pages/ is a page — found, checked and rendered here.

    templates/pages/index.md                  → index.html (the home page)
    templates/pages/usage.md                  → usage/index.html
    templates/pages/campaigns/index.html      → campaigns/index.html
    templates/pages/campaigns/[campaign].md   → campaigns/<slug>/index.html, one per row (entities.py)

A `.md` page is rendered by Jinja (Jinja comments are {## … ##}, since `{#id}` gives a Markdown
heading its id), then by Markdown (tables, attr_list, toc, fenced_code), then put in its layout.
A `.html` page is a Jinja template that extends a layout itself. Front matter keys:

    title: Methodology        # required: the <title> and <h1> ("{{ entity.title }}" on entity pages)
    layout: page.html         # .md only: a template in templates/layouts/ (default page.html)
    nav_order: 80             # optional: in the top nav, sorted by this number
    nav_title: Method         # optional: shorter label for the nav (default: title)
    description: ...          # optional: the page's meta description
    entity: {dataset, key, id, title}   # entity templates only (see entities.py)

Pages see `settings`, `root` (the relative prefix to the site root), `report` (the build report),
`site_title`, `as_of`, the components (components.py) and the filters of formatting.py.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import frontmatter

from build.entities import EntityError, EntityKind

PAGE_KEYS = {"title", "layout", "nav_order", "nav_title", "description", "entity"}
ENTITY_KEYS = {"dataset", "key", "id", "title"}
_SEGMENT = re.compile(r"[a-z0-9][a-z0-9-]*")
_ENTITY_FILE = re.compile(r"\[(\w+)\]")


class PageError(Exception):
    """A page cannot be read or rendered: named with its file and line."""


@dataclass(frozen=True)
class Page:
    source: Path
    where: str  # templates/pages/… for errors
    folder: str  # "" for the home page; the entity folder for an entity template
    title: str
    layout: str
    nav_order: float | None
    nav_title: str
    description: str
    body: str  # padded with blank lines so Jinja's line numbers are the file's
    markdown: bool
    entity: EntityKind | None = None


def discover(pages_dir: Path) -> tuple[list[Page], list[str]]:
    """Every page under `pages_dir` and every problem found (all at once)."""
    pages, problems, seen = [], [], {}
    for source in sorted(p for p in pages_dir.rglob("*") if p.suffix in (".md", ".html")) if pages_dir.is_dir() else []:
        where = f"templates/pages/{source.relative_to(pages_dir).as_posix()}"
        try:
            page = read_page(source, pages_dir, where)
        except (PageError, EntityError) as error:
            problems.append(str(error))
            continue
        route = page.folder + ("/[entity]" if page.entity else "")
        if route in seen:
            problems.append(f"{where}: the page {route or 'index'}/ is already made by {seen[route]}")
            continue
        seen[route] = where
        pages.append(page)
    return pages, problems


def read_page(source: Path, pages_dir: Path, where: str) -> Page:
    text = source.read_text(encoding="utf-8")
    try:
        post = frontmatter.loads(text)
    except Exception as error:
        raise PageError(f"{where}:1: the front matter cannot be read: {error}") from error
    meta = post.metadata
    unknown = sorted(set(meta) - PAGE_KEYS)
    if unknown:
        raise PageError(
            f"{where}:1: unknown front matter key(s) {', '.join(unknown)} (known: {', '.join(sorted(PAGE_KEYS))})"
        )
    if not isinstance(meta.get("title"), str) or not meta["title"].strip():
        raise PageError(f"{where}:1: front matter needs a 'title' (a string)")
    nav_order = meta.get("nav_order")
    if nav_order is not None and (isinstance(nav_order, bool) or not isinstance(nav_order, int | float)):
        raise PageError(f"{where}:1: nav_order must be a number, got {nav_order!r}")
    parts = list(source.relative_to(pages_dir).with_suffix("").parts)
    entity = None
    if _ENTITY_FILE.fullmatch(parts[-1]):
        entity = _entity_kind(
            meta.get("entity"), "/".join(parts[:-1]), _ENTITY_FILE.fullmatch(parts[-1]).group(1), where
        )
        parts = parts[:-1]
    elif meta.get("entity") is not None:
        raise PageError(f"{where}:1: 'entity' belongs in an entity template named [<key>]{source.suffix}")
    if parts and parts[-1] == "index":
        parts = parts[:-1]
    bad = [p for p in parts if not _SEGMENT.fullmatch(p)]
    if bad or (parts and parts[0] in ("assets", "data")):
        raise PageError(f"{where}: folder names must be lowercase letters, digits and '-', not assets or data")
    position = text.find(post.content[:200]) if post.content else -1
    body_line = text.count("\n", 0, position) + 1 if position >= 0 else 1
    return Page(
        source=source,
        where=where,
        folder="/".join(parts),
        title=meta["title"],
        layout=str(meta.get("layout") or "page.html"),
        nav_order=nav_order,
        nav_title=str(meta.get("nav_title") or meta["title"]),
        description=str(meta.get("description") or ""),
        body="\n" * (body_line - 1) + post.content,
        markdown=source.suffix == ".md",
        entity=entity,
    )


def _entity_kind(meta, folder: str, key: str, where: str) -> EntityKind:
    if not isinstance(meta, dict) or not isinstance(meta.get("dataset"), str):
        raise EntityError(f"{where}:1: an entity template needs 'entity: {{dataset: …, key: {key}, id: …}}'")
    unknown = sorted(set(meta) - ENTITY_KEYS)
    if unknown:
        raise EntityError(
            f"{where}:1: unknown entity key(s) {', '.join(unknown)} (known: {', '.join(sorted(ENTITY_KEYS))})"
        )
    if meta.get("key", key) != key:
        raise EntityError(f"{where}:1: the file is named [{key}] but entity.key is {meta['key']!r}")
    if not folder:
        raise EntityError(f"{where}: an entity template must be in a folder (e.g. templates/pages/items/[{key}].md)")
    return EntityKind(folder, meta["dataset"], key, str(meta.get("id") or ""), str(meta.get("title") or key), where)


def nav(pages: list[Page]) -> list[dict]:
    """The top navigation: pages with a nav_order, sorted by it."""
    items = [
        {"order": p.nav_order, "path": f"{p.folder}/" if p.folder else "", "title": p.nav_title}
        for p in pages
        if p.nav_order is not None and p.entity is None
    ]
    return sorted(items, key=lambda item: (item["order"], item["title"]))


def template_line(error: Exception) -> str:
    """':<line>' for a Jinja error: its lineno, or the last template frame of its traceback."""
    lineno = getattr(error, "lineno", None)
    tb = error.__traceback__
    while tb is not None and not getattr(error, "lineno", None):
        if tb.tb_frame.f_code.co_filename == "<template>":
            lineno = tb.tb_lineno
        tb = tb.tb_next
    return f":{lineno}" if lineno else ""
