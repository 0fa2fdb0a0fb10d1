"""Render: the content under templates/ + published datasets + build report → the site's HTML pages.

    content = load_content()                       # pages, chart declarations, words; all problems at once
    check_content(content, schemas, settings)      # before any query runs: every name every page uses
    render_site(datasets, published, status, settings, out_dir, content) -> list[Path]

The engine knows no page, dataset, chart or column of any particular site: pages (pages.py) place
components (components.py) by name; entity templates (entities.py) make a page per row.

Rules it keeps:
- Every link is relative, computed from the page's depth, so the site works under any base path.
  Pages are folders with an index.html.
- Charts draw the published JSON files by relative URL; only a dataset whose file exists in
  `out_dir` is drawn. A missing dataset is named on the page, with the build's reason, and the
  rest of the page still renders.
- Database values are escaped (Jinja autoescape). Files are written with `write_if_changed`, so an
  unchanged page is not rewritten; pages of entities that are gone are removed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import jinja2
import markdown
from markupsafe import Markup

from build import contract, entities, pages
from build.cache import Cache
from build.charts import SPEC_FOLDER, ChartError, check_charts, compile_charts, vega_bundle
from build.components import ComponentError, Components, Entity, PageState
from build.config import Settings
from build.content import TEMPLATES, Content, RenderError, load_content  # noqa: F401 (re-exported)
from build.datasets import Dataset, PublishedDataset, data_folder, data_url, write_if_changed
from build.formatting import FILTERS
from build.page_cache import VOLATILE, PageCache


def check_content(content: Content, schemas: dict[str, Dataset], settings: Settings) -> None:
    """Render every page against the declared (empty) datasets; raise RenderError with every problem.

    Run before the first query: a wrong chart id, dataset or column in any page, or a chart naming
    a column its dataset does not declare, costs seconds, not a build."""
    content.schemas = dict(schemas)
    site = Site(content, dict(schemas), {}, settings, None)
    problems = check_charts(content.chart_defs, schemas, {"settings": site.page_settings()})
    for page in content.pages:
        if page.entity is not None and page.entity.dataset not in schemas:
            problems.append(
                f"{page.where}: entity dataset {page.entity.dataset!r} is not declared "
                f"(datasets: {', '.join(sorted(schemas))})"
            )
            continue
        entity = None
        if page.entity is not None:
            entity = Entity(page.entity, dict.fromkeys(schemas[page.entity.dataset].column_names), "example")
        try:
            site.render_page(page, entity)
        except RenderError as error:
            problems.append(str(error))
    if problems:
        raise RenderError("the content has problems:\n  " + "\n  ".join(problems))


def render_site(
    datasets: dict[str, Dataset],
    published: dict[str, PublishedDataset],
    status: dict,
    settings: Settings,
    out_dir: Path,
    content: Content | None = None,
    status_history: Callable[[], list[dict]] | None = None,
    cache: Cache | None = None,
) -> list[Path]:
    """Write every page, the assets and the Vega bundle into `out_dir`; return the paths written.

    `status_history` gives the recent builds, this one last (alerts.history_entry), when a page asks:
    called at the first page that shows it, so this build's duration covers nearly all of its work."""
    content = content or load_content()
    # Datasets declared but absent from this build (a query that never succeeded) read "not available".
    declared = {**content.schemas, **(datasets or {})}
    site = Site(content, declared, status or {}, settings, Path(out_dir), cache)
    site.history_source = status_history
    return site.render()


class Site:
    """One render of the content: datasets, compiled charts, the environment, and the pages' context.

    With `out_dir` None it is a check: every declared dataset counts as available and empty, and
    nothing is written."""

    def __init__(self, content: Content, datasets, status: dict, settings: Settings, out_dir: Path | None, cache=None):
        self.content, self.status, self.settings, self.out_dir = content, status, settings, out_dir
        self.reads: set | None = None  # what the page being rendered reads (page_cache.py), when kept
        self._templates: dict[tuple, jinja2.Template] = {}
        self.checking = out_dir is None
        self.schemas = dict(datasets)
        self.available = {n: d for n, d in self.schemas.items() if self.checking or self._file_exists(d)}
        self.chart_defs = content.chart_defs
        self.words = content.words
        self.written: list[Path] = []
        self.file_digests: dict[Path, tuple[int, str]] = {}  # each file written: its size and sha256
        self.history_source: Callable[[], list[dict]] | None = None
        self._records: dict[str, list[dict]] = {}
        self._grouped: dict[tuple, dict] = {}
        self.computed: dict[tuple, object] = {}  # what components compute from whole datasets, once a render
        self.envs = {md: self._environment(md) for md in (True, False)}
        self.status_by_name = {d.get("name"): d for d in status.get("datasets", []) or []}
        self.entity_folders = {kind.folder: self._slugs(kind) for kind in content.entity_kinds}
        self.entity_routes = [f"{k.folder}/[{k.key}]" for k in content.entity_kinds]
        try:
            self.charts = compile_charts(self.chart_defs, self.available, {"settings": self.page_settings()}, cache)
        except ChartError as error:
            raise RenderError(str(error)) from error
        # The partials test optional keys (`f.svg`, `m.error`), so they see a lenient Undefined.
        partials = self._environment(False, jinja2.Undefined)
        self._macros = partials.get_template("partials/components.html").make_module()
        self.page_cache = PageCache(self, cache or Cache.off()) if not self.checking else None

    # --- plumbing ---------------------------------------------------------------------------

    def _environment(self, markdown_page: bool, undefined=jinja2.StrictUndefined) -> jinja2.Environment:
        # Markdown bodies: `{#id}` is Markdown's heading-id syntax, so Jinja comments there are {## … ##}.
        comments = {"comment_start_string": "{##", "comment_end_string": "##}"} if markdown_page else {}
        env = jinja2.Environment(
            **comments,
            loader=jinja2.ChoiceLoader([jinja2.FileSystemLoader(str(t)) for t in self.template_dirs()]),
            autoescape=jinja2.select_autoescape(["html", "xml", "md"], default_for_string=True),
            undefined=undefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        env.filters.update(FILTERS)
        return env

    def template_dirs(self) -> list[Path]:
        return list(dict.fromkeys([self.content.templates, TEMPLATES]))

    def macro(self, name: str):
        return getattr(self._macros, name)

    def _file_exists(self, dataset: Dataset) -> bool:
        return (self.out_dir / data_url(dataset.name, dataset.version, "json")).is_file()

    def note(self, read: tuple) -> None:
        """Record what the page being rendered reads: ("all", dataset), ("rows", dataset, key, value) or VOLATILE."""
        if self.reads is not None:
            self.reads.add(read)

    def chart_height(self, compiled, entity: Entity | None, rows: list[dict]) -> int | None:
        """The box reserved for a chart: on entity pages drawn from the first entity (in the dataset's order)
        that has rows, whichever page asks first, so a page kept by the cache and one rendered agree."""
        if entity is None:
            return compiled.fresh_height(rows, self.svg_cache)
        self.note(("height", compiled.id, entity.kind.dataset, entity.kind.key))
        return self.entity_chart_height(compiled.id, entity.kind.dataset, entity.kind.key)

    @property
    def svg_cache(self) -> Cache | None:
        """Where static SVGs are kept (charts.CompiledChart.svg): the build cache, when rendering."""
        return self.page_cache.cache if self.page_cache is not None else None

    def entity_chart_height(self, chart_id: str, dataset: str, key: str) -> int | None:
        compiled = self.charts[chart_id]
        if compiled._height is None:
            name = compiled.dataset.name
            filtered = key in self.schemas[name].column_names
            for row in self.records(dataset, track=False):
                rows = self.entity_rows(name, key, row.get(key), track=False) if filtered else self.records(name, False)
                if rows:
                    return compiled.reserved_height(rows, self.svg_cache)
        return compiled.reserved_height([])

    def template(self, markdown_page: bool, text: str) -> jinja2.Template:
        """`text` compiled once per run (an entity template is compiled once, not once per entity)."""
        if (markdown_page, text) not in self._templates:
            self._templates[(markdown_page, text)] = self.envs[markdown_page].from_string(text)
        return self._templates[(markdown_page, text)]

    def records(self, name: str, track: bool = True) -> list[dict]:
        if track:
            self.note(("all", name))
        if name not in self._records:
            dataset = self.available.get(name)
            self._records[name] = dataset.records() if dataset is not None and not self.checking else []
        return self._records[name]

    def entity_rows(self, name: str, key: str, value, track: bool = True) -> list[dict]:
        if track:
            self.note(("rows", name, key, value))
        if (name, key) not in self._grouped:
            grouped: dict = {}
            for row in self.records(name, track=False):
                grouped.setdefault(row.get(key), []).append(row)
            self._grouped[(name, key)] = grouped
        return self._grouped[(name, key)].get(value, [])

    def _slugs(self, kind: entities.EntityKind) -> dict:
        rows = self.records(kind.dataset, track=False)
        return entities.entity_slugs(rows, kind) if kind.dataset in self.available else {}

    def text(self, text: str) -> str:
        """A declaration's text with its Jinja rendered (it may use `settings`)."""
        return self.template(False, text).render(settings=self.page_settings()) if "{{" in text else text

    def missing(self, name: str) -> dict:
        """Why a dataset is not on the page, for the 'missing' partial."""
        entry = self.status_by_name.get(name, {})
        title = entry.get("title") or (self.schemas[name].title if name in self.schemas else None) or name
        return {"name": name, "title": title, "error": entry.get("error"), "status": entry.get("status")}

    def write(self, relative: str, content: str | bytes) -> Path:
        path = self.out_dir / relative
        if not path.resolve().is_relative_to(self.out_dir.resolve()):
            raise RenderError(f"page path {relative!r} would be written outside {self.out_dir}")
        written = write_if_changed(path, content.encode("utf-8") if isinstance(content, str) else content, staged=True)
        self.written.append(path)
        self.file_digests[path] = (written.bytes, written.sha256)
        return path

    # --- what every page sees -----------------------------------------------------------------

    def as_of(self) -> str:
        as_of = self.status.get("as_of") or self.settings.as_of
        return as_of.isoformat() if isinstance(as_of, dt.date) else str(as_of)

    def page_settings(self) -> dict:
        """Every setting by its key (site.toml's sections flattened; sources are not settings), as_of a date."""
        flat = {}
        for (_section, key), value in self.settings.values.items():
            flat.setdefault(key, list(value) if isinstance(value, list | tuple) else value)
        flat["as_of"] = self.as_of()
        return flat

    def context(self, folder: str, root: str) -> dict:
        license_id = self.settings.get("site", "license")
        return {
            "root": root,
            "home": root or "./",
            "here": folder,
            "site_title": self.settings.get("site", "title"),
            "site_description": self.settings.get("site", "description"),
            "license": license_id,
            "license_url": f"https://spdx.org/licenses/{license_id}.html",
            "as_of": self.as_of(),
            "settings": self.page_settings(),
            "nav": pages.nav(self.content.pages),
            "stale": [d for d in self.status.get("datasets", []) or [] if d.get("status") in ("stale", "missing")],
            "report": _Watched(self.status, self),
            "catalog": self.catalog,
            "packages": self.packages,
            "status_history": self.status_history,
            "data_changes": self.data_changes,
        }

    def data_changes(self) -> list[dict]:
        """The changes to the published data files, newest first (docs/data-changelog.md), as HTML."""
        return [
            {"date": entry["date"], "html": Markup(markdown.markdown(entry["text"]))}
            for entry in contract.changelog(self.settings.root)
        ]

    def status_history(self) -> list[dict]:
        """The recent builds, oldest first (built_at, as_of, outcome fresh|stale|failed, stale, seconds);
        empty when the build keeps no history (a check, a backfill)."""
        self.note(VOLATILE)
        return list(self.history_source()) if self.history_source is not None else []

    def catalog(self) -> list[dict]:
        """Every published dataset (and every one the report names) for a downloads page."""
        self.note(VOLATILE)  # file sizes: the page is rendered every build
        entries = []
        for name in sorted(set(self.schemas) | set(self.status_by_name)):
            dataset = self.schemas.get(name)
            if dataset is not None and not dataset.publish:
                continue
            if dataset is None or name not in self.available:
                entries.append({"name": name, "missing": self.missing(name), "dataset": None})
                continue
            folder = data_folder(self.out_dir, dataset.version) if self.out_dir else None
            sizes = {e: (folder / f"{name}.{e}").stat().st_size if folder else None for e in ("csv", "json")}
            entries.append(
                {
                    "name": name,
                    "missing": None,
                    "dataset": dataset,
                    "rows": len(dataset.frame),
                    "csv_bytes": sizes["csv"],
                    "json_bytes": sizes["json"],
                    "status": self.status_by_name.get(name, {}).get("status"),
                }
            )
        return entries

    def packages(self) -> list[str]:
        """The datapackage.json files, relative to the site root."""
        self.note(VOLATILE)
        if self.out_dir is None or not (self.out_dir / "data").is_dir():
            return []
        return sorted(
            p.relative_to(self.out_dir).as_posix() for p in (self.out_dir / "data").glob("v*/datapackage.json")
        )

    # --- rendering ------------------------------------------------------------------------------

    def render_page(self, page: pages.Page, entity: Entity | None = None) -> str:
        """The page's HTML (and its static SVGs, when writing); errors name the page's file and line."""
        folder = f"{page.folder}/{entity.slug}" if entity else page.folder
        root = "../" * (folder.count("/") + 1 if folder else 0)
        state = PageState(stash=[] if page.markdown else None)
        context = {**self.context(page.folder, root), "description": page.description}
        context.update(Components(self, root, page.folder, entity, state).globals())
        try:
            title = page.title
            context["title"] = (
                Markup(self.template(page.markdown, title).render(context)).unescape() if "{{" in title else title
            )
            html = self.template(page.markdown, page.body).render(context)
            if page.markdown:
                html = self._markdown(html, state)
                layout = self.envs[False].get_template(f"layouts/{page.layout}")
                html = layout.render({**context, "content": Markup(html)})
        except jinja2.TemplateSyntaxError as error:
            raise RenderError(f"{page.where}:{error.lineno}: {error.message}") from error
        except (jinja2.TemplateError, ComponentError, ChartError, TypeError, KeyError) as error:
            raise RenderError(f"{page.where}{pages.template_line(error)}: {error}") from error
        if not self.checking:
            path = self.write(f"{folder}/index.html" if folder else "index.html", html)
            for name, svg in state.svgs.items():
                self.write(f"{folder}/{name}" if folder else name, svg)
            return str(path)
        return html

    @staticmethod
    def _markdown(text: str, state: PageState) -> str:
        html = _MARKDOWN.reset().convert(text)
        for number, part in enumerate(state.stash or []):
            placeholder = f'<div data-almanac="{number}"></div>'
            html = html.replace(f"<p>{placeholder}</p>", part).replace(placeholder, part)
        return html

    def render(self) -> list[Path]:
        self.write_assets()
        for page in self.content.pages:
            if page.entity is None:
                self.render_or_keep(page)
                continue
            rows = self.records(page.entity.dataset, track=False)
            slugs = self.entity_folders[page.entity.folder]
            for row in rows:
                self.render_or_keep(page, Entity(page.entity, row, slugs[row.get(page.entity.key)]))
            siblings = {
                p.folder.rsplit("/", 1)[-1] for p in self.content.pages if p.folder.startswith(page.folder + "/")
            }
            entities.remove_vanished(self.out_dir / page.folder, set(slugs.values()) | siblings, {".html", ".svg"})
        return self.written

    def render_or_keep(self, page: pages.Page, entity: Entity | None = None) -> None:
        """Render the page, or keep the staging folder's copy when nothing it read has changed (page_cache.py)."""
        key = self.page_cache.key(page, entity) if self.page_cache.cache.enabled else None
        kept = self.page_cache.kept(key, self.out_dir) if key else None
        if kept is not None:
            self.written += kept
            return
        before, self.reads = len(self.written), set()
        try:
            self.render_page(page, entity)
            if key:
                files = {path: self.file_digests[path] for path in self.written[before:]}
                self.page_cache.remember(key, self.reads, files, self.out_dir)
        finally:
            self.reads = None

    def write_assets(self) -> None:
        assets = next(t / "assets" for t in [*self.template_dirs(), TEMPLATES] if (t / "assets").is_dir())
        for source in sorted(assets.iterdir()):
            if source.is_file():
                self.write(f"assets/{source.name}", source.read_bytes())
        self.write("assets/vega.js", self.cached_bundle())
        self.write_chart_specs()

    def cached_bundle(self) -> str:
        """The Vega runtime, bundled once per vl-convert version (bundling takes a second or more): the
        version is in every cache key (cache.code_digest), so a rebuild need not import vl-convert for it."""
        cache = self.page_cache.cache
        key = cache.key("vega-bundle")
        bundle = cache.get("vega-bundle", key)
        if bundle is None:
            bundle = vega_bundle()
            cache.put("vega-bundle", key, bundle)
        return bundle

    def write_chart_specs(self) -> None:
        """Each chart's precompiled Vega spec, once for every page that places it; specs of charts no
        longer declared (kept from the site this build copies) are removed."""
        written = {self.write(chart.vega_path, chart.vega_text).name for chart in self.charts.values()}
        folder = self.out_dir / SPEC_FOLDER
        for stale in folder.glob("*.json") if folder.is_dir() else ():
            if stale.name not in written:
                stale.unlink()


# One converter for every page (reset before each): setting up its extensions took a tenth of a page's time.
_MARKDOWN = markdown.Markdown(extensions=["tables", "attr_list", "toc", "fenced_code"], output_format="html")


class _Watched(dict):
    """The build report as pages see it: a page that reads it is rendered every build (it holds times)."""

    def __init__(self, status: dict, site: Site):
        super().__init__(status)
        self._site = site

    def _read(self) -> None:
        self._site.note(VOLATILE)

    def __getitem__(self, key):
        self._read()
        return super().__getitem__(key)

    def get(self, key, default=None):
        self._read()
        return super().get(key, default)

    def __iter__(self):
        self._read()
        return super().__iter__()

    def __len__(self):
        self._read()
        return super().__len__()

    def __contains__(self, key):
        self._read()
        return super().__contains__(key)

    def items(self):
        self._read()
        return super().items()

    def keys(self):
        self._read()
        return super().keys()

    def values(self):
        self._read()
        return super().values()
