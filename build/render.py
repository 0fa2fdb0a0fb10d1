"""Render: published datasets + build report → HTML pages (Jinja2 layouts, Markdown pages, charts by URL).

Takes the Datasets, what `publish` wrote, the build report and the settings; writes every page,
the site's CSS/JS and the Vega bundle into `out_dir` (whose `data/` is already written) and
returns the paths written. Called by build.py as:

    render_site(datasets, published, status, settings, out_dir) -> list[Path]

Rules it keeps:
- Every link is relative, computed from the page's depth, so the site works under any base path.
  Pages are folders with an index.html.
- Charts draw the published JSON files by relative URL; only a dataset whose file exists in
  `out_dir` is drawn. A missing dataset is named on the page, with the build's error, and the
  rest of the page still renders.
- Database values are escaped (Jinja autoescape). Campaign pages live at campaigns/<page_slug>/.
- Files are written with `write_if_changed`, so an unchanged page is not rewritten; no build
  time appears on pages other than status/, so most pages stay byte-identical between runs.

Markdown pages: every `templates/pages/*.md` becomes `<slug>/index.html`. Front matter keys:

    title: Methodology        # required: the page's <title> and <h1>
    layout: page.html         # optional: a template in templates/layouts/ (default page.html)
    nav_order: 80             # optional: a number; the page is in the top nav, sorted by it
                              # (built-in pages: home 0, activity 10, campaigns 20, retention 30,
                              #  campaign-retention 40, wikis 50, usage 60, downloads 70, status 100)
    nav_title: Method         # optional: shorter label for the nav (default: title)
    slug: methodology         # optional: the folder name (default: the file name); [a-z0-9-]
    description: ...          # optional: the page's meta description

The body is rendered by Jinja first (undefined names are an error naming the file), with
`settings` (as_of, k_min, retention_months, retention_windows, preregistration_days,
update_length_days, site_title, license), `root` (the relative prefix to the site root) and the
filter `and_list`; then by Markdown (extensions: tables, attr_list, toc, fenced_code).
Jinja comments in a Markdown page are written {## … ##}, because `{#id}` gives a heading its id.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import time
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import frontmatter
import jinja2
import markdown
from markupsafe import Markup

from build.charts import CHARTS_BY_ID, CompiledChart, compile_charts, vega_bundle
from build.config import Settings
from build.datasets import Dataset, PublishedDataset, data_folder, data_url, write_if_changed

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"

# External links pages may carry (href only; nothing is ever loaded from outside the site).
EXTERNAL_LINK_PREFIXES = (
    "https://spdx.org/licenses/",
    "https://outreachdashboard.wmflabs.org/",
    "https://meta.wikimedia.org/wiki/",
    "https://frictionlessdata.io/",
)

# Names a campaign folder may never take: the index, site folders, and names Windows cannot hold.
RESERVED_SLUGS = frozenset(
    {"index", "assets", "data", "current", "con", "prn", "aux", "nul"}
    | {f"com{i}" for i in range(10)}
    | {f"lpt{i}" for i in range(10)}
)
SLUG_MAX = 80
# Lowercase letters that NFKD does not reduce to ASCII: Latin extras, Cyrillic and Greek.
_TRANSLITERATE = str.maketrans(
    {
        **{"ß": "ss", "æ": "ae", "œ": "oe", "ø": "o", "đ": "d", "ł": "l", "þ": "th", "ð": "d", "ı": "i"},
        **dict(zip("абвгдезиклмнопрстуфыэіґ", "abvgdeziklmnoprstufyeig", strict=True)),
        **{"ж": "zh", "й": "y", "х": "kh", "ц": "ts", "ч": "ch", "ш": "sh", "щ": "shch", "ъ": "", "ь": ""},
        **{"ю": "yu", "я": "ya", "є": "ye", "ї": "yi"},
        **dict(zip("αβγδεζηικλμνξοπρσςτυφω", "avgdeziiklmnxoprsstyfo", strict=True)),
        **{"θ": "th", "χ": "ch", "ψ": "ps"},
    }
)


class RenderError(Exception):
    """A page cannot be rendered: a template error (named with its file and line) or a bad page."""


def page_slug(slug: str, id: int, taken: set) -> str:
    """A folder name made safe from a database slug; unique against `taken`, stable across runs.

    Keeps [a-z0-9-]: letters are lowercased, accents removed (é → e, ß → ss), Cyrillic and
    Greek transliterated (вики → viki), other letters (Arabic, CJK…) dropped, every other run of
    characters folded to one "-", trimmed, cut to 80 characters. When the result is empty, or
    only digits are left after letters were dropped, it becomes "campaign-<id>"; when it is
    reserved or in `taken` it gets "-<id>" appended. The id, not the order of processing, makes a name
    unique, so a page keeps its URL from one run to the next. Pure: `taken` is not changed.

    >>> page_slug("Wiki Loves Monuments 2024", 7, set())
    'wiki-loves-monuments-2024'
    >>> page_slug("../../etc/passwd", 9, set())
    'etc-passwd'
    >>> page_slug("art+feminism", 3, {"art-feminism"})
    'art-feminism-3'
    """
    text = unicodedata.normalize("NFKD", str(slug or "").lower().translate(_TRANSLITERATE))
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).translate(_TRANSLITERATE)
    dropped = any(ch.isalpha() and not ch.isascii() for ch in text)
    text = "".join(ch if ch.isascii() else ("" if ch.isalpha() else "-") for ch in text)
    text = re.sub(r"[^a-z0-9]+", "-", text).strip("-")
    text = text[:SLUG_MAX].rstrip("-")
    if dropped and not re.search(r"[a-z]", text):
        text = ""  # only digits left of a name in another script ("维基百科亚洲月_2016"): not a name
    if not text:
        text = f"campaign-{id}"
    if text in RESERVED_SLUGS or text in taken:
        text = f"{text}-{id}"
    suffix = 2
    base = text
    while text in taken or text in RESERVED_SLUGS:
        text = f"{base}-{suffix}"
        suffix += 1
    return text


# --- formatting ---------------------------------------------------------------------------

PERCENT_COLUMNS = {"retention", "training_completion_rate"}
PLAIN_INTEGER_COLUMNS = {"year", "months_since", "months_after", "campaign_id", "course_id"}
COUNT_COLUMNS_OF_GROUP = {"cohort_size", "new_editors", "active", "retained", "retention"}
TOO_FEW = "too few to publish"
NOT_YET = "not yet measurable"


def format_number(value) -> str:
    """Thousands separators: 1234567 → '1,234,567'; 0.5 → '0.5'."""
    if value is None:
        return "—"
    if isinstance(value, float) and not value.is_integer():
        return f"{value:,.2f}"
    return f"{int(value):,}"


def format_compact(value) -> str:
    """For headlines: below a million as is ('345,678'), above it '1.2 M', '3.4 B'."""
    if value is None:
        return "—"
    number = float(value)
    for size, unit in ((1e9, "B"), (1e6, "M")):
        if abs(number) >= size:
            shown = round(number / size, 1)
            if unit == "M" and abs(shown) >= 1000:
                return f"{round(number / 1e9, 1):,.1f} B"
            return f"{shown:,.1f} {unit}"
    return format_number(value)


def format_percent(value) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def human(name: str) -> str:
    """A column name for people: 'active_participants' → 'Active participants'."""
    text = name.replace("_", " ")
    return text[:1].upper() + text[1:]


def and_list(items) -> str:
    """[1, 3, 6] → '1, 3 and 6'."""
    words = [str(item) for item in items]
    if len(words) <= 1:
        return "".join(words)
    return ", ".join(words[:-1]) + " and " + words[-1]


def format_when(value) -> str:
    """An ISO timestamp for people: '2025-06-15T03:04:05Z' → '2025-06-15 03:04 UTC'; None → 'never'."""
    if not value:
        return "never"
    match = re.fullmatch(r"(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2})(:\d{2}(\.\d+)?)?(Z|[+-]00:?00)?", str(value))
    return f"{match.group(1)} {match.group(2)} UTC" if match else str(value)


def format_duration(seconds) -> str:
    """A lag or a run time for people: 12 → '12 s', 185 → '3 min 5 s', 7260 → '2 h 1 min'; None → '—'."""
    if seconds is None:
        return "—"
    whole = int(round(seconds))
    if whole < 60:
        return f"{seconds:.2f} s" if seconds < 10 and seconds != whole else f"{whole} s"
    if whole < 3600:
        return f"{whole // 60} min {whole % 60} s"
    return f"{whole // 3600:,} h {whole % 3600 // 60} min"


def format_bytes(size: int | None) -> str:
    if size is None:
        return "—"
    for unit, step in (("MB", 1 << 20), ("KB", 1 << 10)):
        if size >= step:
            return f"{size / step:,.1f} {unit}"
    return f"{size} bytes"


@dataclass
class Cell:
    text: str
    sort: Any = None
    numeric: bool = False
    note: bool = False


# Columns whose empty value always means a group smaller than k_min (no `suppressed` flag beside them).
SUPPRESSED_WHEN_EMPTY = {("campaigns", "new_editors"), ("monthly_activity", "new_participants")}


def cell(name: str, column_type: str, value, row: dict, dataset: str = "") -> Cell:
    """One table cell: numbers formatted and right-aligned; missing values explained in words."""
    if value is None:
        if "suppressed" in row and name in COUNT_COLUMNS_OF_GROUP:
            return Cell(TOO_FEW if row.get("suppressed") else NOT_YET, None, False, True)
        if (dataset, name) in SUPPRESSED_WHEN_EMPTY:
            return Cell(TOO_FEW, None, False, True)
        return Cell("—", None, False, True)
    if column_type == "boolean":
        return Cell("yes" if value else "no", int(bool(value)))
    if name in PERCENT_COLUMNS:
        return Cell(format_percent(value), value, True)
    if column_type in ("integer", "number"):
        if name in PLAIN_INTEGER_COLUMNS:
            return Cell(str(value), value, True)
        return Cell(format_number(value), value, True)
    return Cell(str(value), None)


@dataclass
class Table:
    """A table for the template: header (name, label, description) and formatted rows."""

    columns: list[dict]
    rows: list[list[Cell]]
    caption: str = ""
    sortable: bool = False
    links: dict = field(default_factory=dict)  # column name → list of hrefs per row


def make_table(dataset: Dataset, rows: list[dict], columns: list[str], caption: str = "", sortable=False) -> Table:
    types = {c.name: c.type for c in dataset.columns}
    header = []
    for name in columns:
        column = dataset.column(name)
        description = column.description + (f" ({column.unit})" if column.unit else "")
        numeric = types[name] in ("integer", "number")
        header.append({"name": name, "label": human(name), "description": description, "numeric": numeric})
    body = [[cell(name, types[name], row.get(name), row, dataset.name) for name in columns] for row in rows]
    return Table(header, body, caption, sortable)


# --- the site -------------------------------------------------------------------------------

BUILTIN_NAV = (
    (0, "", "Home"),
    (10, "activity/", "Activity"),
    (20, "campaigns/", "Campaigns"),
    (30, "retention/", "Retention"),
    (40, "campaign-retention/", "Campaign retention"),
    (50, "wikis/", "Wikis"),
    (60, "usage/", "Usage"),
    (70, "downloads/", "Downloads"),
    (100, "status/", "Status"),
)
BUILTIN_FOLDERS = {path.strip("/") for _, path, _ in BUILTIN_NAV if path}

HEADLINES = (
    ("programs", "Programs"),
    ("participants", "Participants"),
    ("new_editors", "New editors"),
    ("edits", "Edits"),
    ("articles_edited", "Articles edited"),
    ("articles_created", "Articles created"),
    ("words_added", "Words added"),
    ("references_added", "References added"),
    ("article_views", "Article views"),
    ("uploads", "Uploads"),
)


@dataclass
class MarkdownPage:
    source: Path
    slug: str
    title: str
    layout: str
    nav_order: float | None
    nav_title: str
    description: str
    body: str
    body_line: int


def render_site(
    datasets: dict[str, Dataset],
    published: dict[str, PublishedDataset],
    status: dict,
    settings: Settings,
    out_dir: Path,
) -> list[Path]:
    """Write every page, the assets and the Vega bundle into `out_dir`; return the paths written.

    Raises RenderError (template errors name the file and line) and ChartError (a chart naming
    a column its dataset lacks). Missing datasets never raise: the page says what is missing.
    """
    return SiteRenderer(datasets, published, status, settings, Path(out_dir), TEMPLATES).render()


class SiteRenderer:
    def __init__(self, datasets, published, status, settings, out_dir: Path, templates: Path):
        self.datasets = datasets or {}
        self.published = published or {}
        self.status = status or {}
        self.settings = settings
        self.out_dir = out_dir
        self.templates = templates
        self.written: list[Path] = []
        self.env = self._environment(jinja2.Undefined)
        # Markdown bodies: `{#id}` is Markdown's heading-id syntax, so Jinja comments there are {## … ##}.
        self.strict_env = self._environment(
            jinja2.StrictUndefined, comment_start_string="{##", comment_end_string="##}"
        )
        self.windows = list(settings.get("retention", "retention_windows"))
        self.histogram_k = 3 if 3 in self.windows else self.windows[len(self.windows) // 2]
        self.available = {name: ds for name, ds in self.datasets.items() if self._file_exists(ds)}
        self._records: dict[str, list[dict]] = {}
        self.charts: dict[str, CompiledChart] = compile_charts(self.available, self.chart_options())
        self.status_by_name = {d.get("name"): d for d in self.status.get("datasets", []) or []}
        self.md_pages = self._markdown_pages()

    # --- plumbing -------------------------------------------------------------------

    def _environment(self, undefined, **options) -> jinja2.Environment:
        env = jinja2.Environment(
            **options,
            loader=jinja2.FileSystemLoader(str(self.templates)),
            autoescape=jinja2.select_autoescape(["html", "xml", "md"], default_for_string=True),
            undefined=undefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        env.filters.update(
            number=format_number,
            compact=format_compact,
            percent=format_percent,
            bytes=format_bytes,
            when=format_when,
            duration=format_duration,
            human=human,
            and_list=and_list,
        )
        return env

    def chart_options(self) -> dict:
        """Settings and sizes the chart specs need (heights of discrete axes are fixed from the data)."""
        cohorts = {row["cohort"] for row in self.records("program_retention")}
        return {
            "histogram_k": self.histogram_k,
            "cohorts": len(cohorts),
            "windows": len(self.windows),
            "wikis": len(self.records("wikis")),
        }

    def _file_exists(self, dataset: Dataset) -> bool:
        return (self.out_dir / data_url(dataset.name, dataset.version, "json")).is_file()

    def records(self, name: str) -> list[dict]:
        if name not in self._records:
            dataset = self.available.get(name)
            self._records[name] = dataset.records() if dataset is not None else []
        return self._records[name]

    def write(self, relative: str, content: str | bytes) -> Path:
        path = self.out_dir / relative
        if not path.resolve().is_relative_to(self.out_dir.resolve()):
            raise RenderError(f"page path {relative!r} would be written outside {self.out_dir}")
        data = content.encode("utf-8") if isinstance(content, str) else content
        write_if_changed(path, data)
        self.written.append(path)
        return path

    def template(self, name: str) -> jinja2.Template:
        try:
            return self.env.get_template(name)
        except jinja2.TemplateSyntaxError as error:
            raise RenderError(f"templates/{error.name or name}:{error.lineno}: {error.message}") from error
        except jinja2.TemplateNotFound as error:
            raise RenderError(f"template {error.name!r} not found under {self.templates}") from error

    def page(self, template: str, folder: str, **context) -> Path:
        """Render `template` to `<folder>/index.html`; `folder` is '' for the home page."""
        depth = folder.count("/") + 1 if folder else 0
        root = "../" * depth
        context = {**self.common(folder, root), **context}
        try:
            html = self.template(template).render(context)
        except jinja2.TemplateError as error:
            line = _template_line(error)
            raise RenderError(f"templates/{template}{line}: {error} (rendering {folder or 'home'}/)") from error
        return self.write(f"{folder}/index.html" if folder else "index.html", html)

    def common(self, folder: str, root: str) -> dict:
        return {
            "root": root,
            "home": root or "./",
            "here": folder,
            "site_title": self.settings.get("site", "title"),
            "site_description": self.settings.get("site", "description"),
            "license": self.settings.get("site", "license"),
            "license_url": f"https://spdx.org/licenses/{self.settings.get('site', 'license')}.html",
            "as_of": self._as_of(),
            "nav": self.nav,
            "stale": self.stale_datasets,
            "state": self.status.get("state"),
        }

    def _as_of(self) -> str:
        as_of = self.status.get("as_of") or self.settings.as_of
        return as_of.isoformat() if isinstance(as_of, dt.date) else str(as_of)

    @property
    def nav(self) -> list[dict]:
        if not hasattr(self, "_nav"):
            items = [{"order": o, "path": p, "title": t} for o, p, t in BUILTIN_NAV]
            for page in self.md_pages:
                if page.nav_order is not None:
                    items.append({"order": page.nav_order, "path": f"{page.slug}/", "title": page.nav_title})
            self._nav = sorted(items, key=lambda item: (item["order"], item["title"]))
        return self._nav

    @property
    def stale_datasets(self) -> list[dict]:
        return [d for d in self.status.get("datasets", []) or [] if d.get("status") in ("stale", "missing")]

    # --- datasets and charts ---------------------------------------------------------

    def missing(self, name: str) -> dict:
        """Why a dataset is not on the page, for the 'missing' partial."""
        entry = self.status_by_name.get(name, {})
        title = entry.get("title") or (self.datasets[name].title if name in self.datasets else None) or name
        return {"name": name, "title": title, "error": entry.get("error"), "status": entry.get("status")}

    def dataset_links(self, dataset: Dataset, root: str) -> dict:
        return {
            "csv": root + data_url(dataset.name, dataset.version, "csv"),
            "json": root + data_url(dataset.name, dataset.version, "json"),
            "about": f"{root}downloads/#{dataset.name}",
        }

    def figure(
        self,
        chart_id: str,
        folder: str,
        rows: list[dict] | None = None,
        campaign: str | None = None,
        table: Table | None = None,
    ) -> dict:
        """Everything the chart partial needs: spec JSON, fallback SVG, links, table; or why it is missing."""
        definition = CHARTS_BY_ID[chart_id]
        root = "../" * (folder.count("/") + 1 if folder else 0)
        chart = self.charts.get(chart_id)
        if chart is None:
            return {
                "id": chart_id,
                "title": definition.title,
                "missing": self.missing(definition.dataset),
                "root": root,
            }
        dataset = chart.dataset
        if rows is None:
            rows = self.records(dataset.name)
        figure = {
            "id": chart_id,
            "title": definition.title,
            "description": definition.description,
            "spec": Markup(chart.spec_json(root, campaign)),
            "links": self.dataset_links(dataset, root),
            "dataset": dataset,
            "table": table or make_table(dataset, rows, list(definition.table)),
            "rows": len(rows),
            "empty": not rows,
        }
        if definition.svg_fallback and rows:
            svg = chart.svg(rows)
            name = f"{chart_id}.svg"
            self.write(f"{folder}/{name}" if folder else name, svg)
            width, height = _svg_size(svg)
            figure["svg"] = {"src": name, "width": width, "height": height}
        return figure

    # --- pages -------------------------------------------------------------------------

    def render(self) -> list[Path]:
        started = time.perf_counter()
        self.write_assets()
        self.render_home()
        self.render_activity()
        self.render_campaigns()
        self.render_retention()
        self.render_campaign_retention()
        self.render_wikis()
        self.render_usage()
        self.render_downloads()
        self.render_status()
        for page in self.md_pages:
            self.render_markdown(page)
        self.seconds = time.perf_counter() - started
        return self.written

    def write_assets(self) -> None:
        assets = self.templates / "assets"
        for source in sorted(assets.iterdir()) if assets.is_dir() else []:
            if source.is_file():
                self.write(f"assets/{source.name}", source.read_bytes())
        self.write("assets/vega.js", vega_bundle())

    def render_home(self) -> None:
        totals = self.records("system_totals")
        headlines = []
        if totals:
            row = totals[0]
            dataset = self.available["system_totals"]
            for name, label in HEADLINES:
                if name in dataset.column_names:
                    value = row.get(name)
                    headlines.append(
                        {
                            "label": label,
                            "value": value,
                            "text": format_compact(value),
                            "exact": format_number(value),
                            "description": dataset.column(name).description,
                        }
                    )
        charts = [self.figure("home-participants", ""), self.figure("home-edits", "")]
        self.page(
            "views/home.html",
            "",
            title=self.settings.get("site", "title"),
            headlines=headlines,
            totals_missing=None if totals else self.missing("system_totals"),
            totals_links=self.dataset_links(self.available["system_totals"], "") if totals else None,
            charts=charts,
            freshness=self.status.get("datasets", []) or [],
            built_at=self.status.get("built_at"),
        )

    def render_activity(self) -> None:
        charts = [
            self.figure(c, "activity")
            for c in ("activity-participants", "activity-edits", "activity-characters", "activity-programs")
        ]
        self.page("views/activity.html", "activity", title="Activity over time", charts=charts)

    def campaign_slugs(self) -> dict[str, str]:
        """Campaign slug (dataset value) → page folder name, stable across runs."""
        rows = self.records("campaigns")
        taken: set[str] = set()
        result: dict[str, str] = {}

        def clean(row):
            return page_slug(row["campaign"], row["campaign_id"], set()) == row["campaign"]

        # Campaigns whose slug is already safe keep it; the rest are made safe in id order.
        for row in sorted(rows, key=lambda r: (not clean(r), r.get("campaign_id") or 0)):
            name = page_slug(row["campaign"], row.get("campaign_id") or 0, taken)
            taken.add(name)
            result[row["campaign"]] = name
        return result

    def render_campaigns(self) -> None:
        campaigns = self.records("campaigns")
        slugs = self.campaign_slugs()
        dataset = self.available.get("campaigns")
        index_columns = [
            "title",
            "start_date",
            "end_date",
            "programs",
            "participants",
            "new_editors",
            "articles_edited",
            "words_added",
        ]
        table = None
        if dataset is not None:
            table = make_table(dataset, campaigns, index_columns, "Campaigns", sortable=True)
            table.links = {"title": [f"{slugs[row['campaign']]}/" for row in campaigns]}
        self.page(
            "views/campaigns.html",
            "campaigns",
            title="Campaigns",
            table=table,
            links=self.dataset_links(dataset, "../") if dataset else None,
            absent=None if dataset else self.missing("campaigns"),
        )
        if dataset is None:
            return
        activity = _group(self.records("campaign_activity"), "campaign")
        retention = _group(self.records("campaign_retention"), "campaign")
        courses = {row["course_slug"]: row for row in self.records("courses")}
        programs = defaultdict(list)
        for row in self.records("campaign_courses"):
            course = courses.get(row["course_slug"])
            programs[row["campaign"]].append(course or {"course_slug": row["course_slug"]})
        context = self.campaign_context()
        for row in campaigns:
            self.render_campaign(row, slugs[row["campaign"]], activity, retention, programs, context)
        self.remove_old_campaign_pages(set(slugs.values()))

    def remove_old_campaign_pages(self, keep: set[str]) -> None:
        """Delete campaigns/<name>/ pages of campaigns no longer published (a staging folder may start as a
        copy of the previous site). Only folders that hold nothing but an index.html are touched."""
        folder = self.out_dir / "campaigns"
        for child in sorted(folder.iterdir()) if folder.is_dir() else []:
            if child.is_dir() and child.name not in keep and [p.name for p in child.iterdir()] == ["index.html"]:
                (child / "index.html").unlink()
                child.rmdir()

    def campaign_context(self) -> dict:
        """What every campaign page shares, computed once."""

        def dataset_or_missing(name):
            return self.available.get(name), (None if name in self.available else self.missing(name))

        campaigns = self.available["campaigns"]
        totals = [c for c in campaigns.column_names if c not in ("campaign", "campaign_id", "title")]
        return {
            "campaigns": campaigns,
            "totals_columns": totals,
            "activity": dataset_or_missing("campaign_activity"),
            "retention": dataset_or_missing("campaign_retention"),
            # The programs table needs both the campaign → program links and the programs.
            "courses": next(
                ((None, self.missing(name)) for name in ("campaign_courses", "courses") if name not in self.available),
                (self.available.get("courses"), None),
            ),
            "links": {
                name: self.dataset_links(self.available[name], "../../")
                for name in ("campaigns", "campaign_courses", "courses")
                if name in self.available
            },
        }

    def render_campaign(self, row, folder_name, activity, retention, programs, shared) -> None:
        folder = f"campaigns/{folder_name}"
        slug = row["campaign"]
        campaigns = shared["campaigns"]
        totals = [
            {
                "label": human(name),
                "cell": cell(name, campaigns.column(name).type, row.get(name), row, "campaigns"),
                "description": campaigns.column(name).description,
            }
            for name in shared["totals_columns"]
        ]
        charts = []
        activity_dataset, activity_missing = shared["activity"]
        activity_rows = activity.get(slug, [])
        if activity_dataset is not None and activity_rows:
            charts.append(self.figure("campaign-participants", folder, activity_rows, campaign=slug))
            charts.append(self.figure("campaign-edits", folder, activity_rows, campaign=slug))
        retention_dataset, retention_missing = shared["retention"]
        retention_rows = retention.get(slug, [])
        retention_figure = None
        retention_table = None
        if retention_dataset is not None and retention_rows:
            if any(r.get("retention") is not None for r in retention_rows):
                retention_figure = self.figure("campaign-retention", folder, retention_rows, campaign=slug)
            else:  # nothing to draw: the table says why each window has no value
                retention_table = make_table(
                    retention_dataset,
                    retention_rows,
                    list(CHARTS_BY_ID["campaign-retention"].table),
                    "Retention of new editors at each window k",
                )
        courses_dataset, courses_missing = shared["courses"]
        program_table = None
        program_rows = programs.get(slug, [])
        if courses_dataset is not None and program_rows:
            columns = [
                c
                for c in (
                    "title",
                    "institution",
                    "term",
                    "home_wiki",
                    "start_date",
                    "end_date",
                    "editors",
                    "new_editors",
                    "total_edits",
                    "articles_created",
                )
                if c in courses_dataset.column_names
            ]
            program_table = make_table(courses_dataset, program_rows, columns, "Programs", sortable=True)
        self.page(
            "views/campaign.html",
            folder,
            title=row.get("title") or slug,
            campaign=row,
            totals=totals,
            charts=charts,
            activity_missing=activity_missing,
            activity_empty=activity_dataset is not None and not activity_rows,
            retention_figure=retention_figure,
            retention_table=retention_table,
            retention_links=shared["links"].get("campaign_retention"),
            retention_missing=retention_missing,
            retention_empty=retention_dataset is not None and not retention_rows,
            program_table=program_table,
            program_count=len(program_rows),
            courses_missing=courses_missing,
            links=shared["links"],
        )

    def render_retention(self) -> None:
        dataset = self.available.get("program_retention")
        rows = self.records("program_retention")
        pivot = _retention_pivot(rows) if dataset else None
        figure = self.figure("retention-heatmap", "retention", rows, table=_pivot_table(pivot) if pivot else None)
        self.page(
            "views/retention.html",
            "retention",
            title="Program retention",
            figure=figure,
            retention_months=self.settings.get("retention", "retention_months"),
            k_min=self.settings.k_min,
        )

    def render_campaign_retention(self) -> None:
        dataset = self.available.get("campaign_retention")
        rows = self.records("campaign_retention")
        campaign_titles = {r["campaign"]: r.get("title") for r in self.records("campaigns")}
        slugs = self.campaign_slugs() if "campaigns" in self.available else {}
        summary = []
        for k in self.windows:
            at_k = [r for r in rows if r.get("months_after") == k]
            measured = sorted(r["retention"] for r in at_k if r.get("retention") is not None)
            summary.append(
                {
                    "k": k,
                    "campaigns": len(at_k),
                    "measured": len(measured),
                    "censored": sum(1 for r in at_k if r.get("retention") is None and not r.get("suppressed")),
                    "suppressed": sum(1 for r in at_k if r.get("suppressed")),
                    "median": _median(measured),
                }
            )
        table = None
        if dataset is not None:
            table = _campaign_retention_table(rows, campaign_titles, slugs)
        # The strip plot's data-table alternative is the table of every campaign on the same page.
        strip = self.figure("campaign-retention-strip", "campaign-retention", rows, table=table)
        strip["table_ref"] = "#campaign-retention-table"
        histogram = None
        if dataset is not None:
            histogram = self.figure(
                "campaign-retention-histogram",
                "campaign-retention",
                rows,
                table=_histogram_table(rows, self.histogram_k),
            )
        self.page(
            "views/campaign_retention.html",
            "campaign-retention",
            title="Campaign retention",
            summary=summary,
            strip=strip,
            histogram=histogram,
            histogram_k=self.histogram_k,
            table=table,
            absent=None if dataset else self.missing("campaign_retention"),
            links=self.dataset_links(dataset, "../") if dataset else None,
            windows=self.windows,
            preregistration_days=self.settings.get("retention", "preregistration_days"),
        )

    def render_wikis(self) -> None:
        dataset = self.available.get("wikis")
        rows = self.records("wikis")
        top = sorted(rows, key=lambda r: -(r.get("participants") or 0))[:20]
        figure = self.figure("wikis-top", "wikis", top)
        table = make_table(dataset, rows, dataset.column_names, "Home wikis", sortable=True) if dataset else None
        self.page(
            "views/wikis.html",
            "wikis",
            title="Wikis",
            figure=figure,
            table=table,
            absent=None if dataset else self.missing("wikis"),
            links=self.dataset_links(dataset, "../") if dataset else None,
        )

    def render_usage(self) -> None:
        dataset = self.available.get("yearly_usage")
        rows = self.records("yearly_usage")
        charts = [self.figure("usage-events", "usage", rows), self.figure("usage-participants", "usage", rows)]
        table = make_table(dataset, rows, dataset.column_names, "Usage by year") if dataset else None
        self.page(
            "views/usage.html",
            "usage",
            title="Usage by year",
            charts=charts,
            table=table,
            absent=None if dataset else self.missing("yearly_usage"),
            links=self.dataset_links(dataset, "../") if dataset else None,
        )

    def render_downloads(self) -> None:
        entries = []
        for name in sorted(set(self.published) | set(self.datasets) | set(self.status_by_name)):
            item = self.published.get(name)
            dataset = item.dataset if item else self.datasets.get(name)
            if dataset is not None and not dataset.publish:
                continue
            if dataset is None or not self._file_exists(dataset):
                entries.append({"name": name, "missing": self.missing(name)})
                continue
            folder = data_folder(self.out_dir, dataset.version)
            csv_path, json_path = folder / f"{name}.csv", folder / f"{name}.json"
            entries.append(
                {
                    "name": name,
                    "dataset": dataset,
                    "rows": item.rows if item else len(dataset.frame),
                    "csv_bytes": csv_path.stat().st_size if csv_path.exists() else None,
                    "json_bytes": json_path.stat().st_size,
                    "links": self.dataset_links(dataset, "../"),
                    "status": self.status_by_name.get(name, {}).get("status"),
                }
            )
        packages = (
            sorted(p.relative_to(self.out_dir).as_posix() for p in (self.out_dir / "data").glob("v*/datapackage.json"))
            if (self.out_dir / "data").is_dir()
            else []
        )
        self.page("views/downloads.html", "downloads", title="Downloads", entries=entries, packages=packages)

    def render_status(self) -> None:
        self.page(
            "views/status.html",
            "status",
            title="Build status",
            report=self.status,
            datasets=self.status.get("datasets", []) or [],
            sources=self.status.get("sources", []) or [],
        )

    # --- Markdown pages ------------------------------------------------------------------

    def _markdown_pages(self) -> list[MarkdownPage]:
        pages = []
        seen: dict[str, Path] = {}
        for source in sorted((self.templates / "pages").glob("*.md")):
            try:
                post = frontmatter.load(str(source))
            except Exception as error:
                raise RenderError(f"{source}: the front matter cannot be read: {error}") from error
            meta = post.metadata
            where = f"templates/pages/{source.name}"
            title = meta.get("title")
            if not isinstance(title, str) or not title.strip():
                raise RenderError(f"{where}: front matter needs a 'title' (a string)")
            slug = str(meta.get("slug") or source.stem)
            if not re.fullmatch(r"[a-z0-9][a-z0-9-]*", slug) or slug in RESERVED_SLUGS:
                raise RenderError(f"{where}: slug {slug!r} must be lowercase letters, digits and '-', not reserved")
            if slug in BUILTIN_FOLDERS or slug == "campaigns" or slug in seen:
                raise RenderError(f"{where}: slug {slug!r} is already a page ({seen.get(slug) or 'built in'})")
            nav_order = meta.get("nav_order")
            if nav_order is not None and (isinstance(nav_order, bool) or not isinstance(nav_order, int | float)):
                raise RenderError(f"{where}: nav_order must be a number, got {nav_order!r}")
            seen[slug] = source
            text = source.read_text(encoding="utf-8")
            body_line = _body_line(text, post.content)
            pages.append(
                MarkdownPage(
                    source=source,
                    slug=slug,
                    title=title,
                    layout=str(meta.get("layout") or "page.html"),
                    nav_order=nav_order,
                    nav_title=str(meta.get("nav_title") or title),
                    description=str(meta.get("description") or ""),
                    body=post.content,
                    body_line=body_line,
                )
            )
        return pages

    def page_settings(self) -> dict:
        s = self.settings
        return {
            "as_of": self._as_of(),
            "k_min": s.k_min,
            "retention_months": s.get("retention", "retention_months"),
            "retention_windows": list(s.get("retention", "retention_windows")),
            "preregistration_days": s.get("retention", "preregistration_days"),
            "update_length_days": s.get("build", "update_length_days"),
            "retention_wikis": list(s.get("retention", "retention_wikis")),
            "edits_source": s.get("retention", "edits_source"),  # replica or history (build/history_edits.py)
            "history_snapshot": s.get("retention", "history_snapshot"),
            "site_title": s.get("site", "title"),
            "license": s.get("site", "license"),
        }

    def render_markdown(self, page: MarkdownPage) -> None:
        where = f"templates/pages/{page.source.name}"
        root = "../"
        try:
            body = self.strict_env.from_string(page.body).render(settings=self.page_settings(), root=root)
        except jinja2.TemplateSyntaxError as error:
            raise RenderError(f"{where}:{page.body_line + error.lineno - 1}: {error.message}") from error
        except jinja2.TemplateError as error:
            raise RenderError(f"{where}{_template_line(error, page.body_line - 1)}: {error}") from error
        html = markdown.markdown(body, extensions=["tables", "attr_list", "toc", "fenced_code"], output_format="html")
        layout = f"layouts/{page.layout}"
        self.page(layout, page.slug, title=page.title, description=page.description, content=Markup(html))


# --- helpers ------------------------------------------------------------------------------------


def _group(rows: list[dict], key: str) -> dict[str, list[dict]]:
    grouped: dict[str, list[dict]] = defaultdict(list)
    for row in rows:
        grouped[row[key]].append(row)
    return grouped


def _median(values: list[float]) -> float | None:
    if not values:
        return None
    middle = len(values) // 2
    return values[middle] if len(values) % 2 else (values[middle - 1] + values[middle]) / 2


def _svg_size(svg: str) -> tuple[int | None, int | None]:
    match = re.search(r'<svg[^>]*\bwidth="([\d.]+)"[^>]*\bheight="([\d.]+)"', svg[:1000])
    if not match:
        return None, None
    return math.ceil(float(match.group(1))), math.ceil(float(match.group(2)))


def _body_line(text: str, body: str) -> int:
    """The line of the file where the Markdown body (as python-frontmatter gives it) starts."""
    position = text.find(body[:200]) if body else -1
    return text.count("\n", 0, position) + 1 if position >= 0 else 1


def _template_line(error: Exception, offset: int = 0) -> str:
    """':<line>' for a Jinja runtime error, from the traceback's template frames."""
    tb = error.__traceback__
    line = None
    while tb is not None:
        if tb.tb_frame.f_code.co_filename in ("<template>",) or tb.tb_frame.f_globals.get("__jinja_template__"):
            line = tb.tb_lineno
        tb = tb.tb_next
    lineno = getattr(error, "lineno", None) or line
    return f":{lineno + offset}" if lineno else ""


@dataclass
class RetentionPivot:
    months: list[int]
    cohorts: list[dict]  # cohort, size, suppressed, cells: list[(text, value, state)]


def _retention_pivot(rows: list[dict]) -> RetentionPivot:
    months = sorted({r["months_since"] for r in rows})
    by_cohort: dict[str, dict] = {}
    for row in rows:
        entry = by_cohort.setdefault(
            row["cohort"],
            {
                "cohort": row["cohort"],
                "size": row.get("cohort_size"),
                "suppressed": bool(row.get("suppressed")),
                "values": {},
            },
        )
        entry["values"][row["months_since"]] = row
    cohorts = []
    for cohort in sorted(by_cohort):
        entry = by_cohort[cohort]
        cells = []
        for month in months:
            row = entry["values"].get(month)
            if row is None:
                cells.append(Cell("—", None, False, True))
            else:
                cells.append(cell("retention", "number", row.get("retention"), row))
        entry["cells"] = cells
        cohorts.append(entry)
    return RetentionPivot(months, cohorts)


def _pivot_table(pivot: RetentionPivot) -> Table:
    columns = [
        {"name": "cohort", "label": "Cohort", "description": "First active month (YYYY-MM)", "numeric": False},
        {"name": "cohort_size", "label": "Cohort size", "description": "People in the cohort", "numeric": True},
    ] + [
        {
            "name": f"m{m}",
            "label": f"+{m}",
            "description": f"Retention {m} months after the cohort month",
            "numeric": True,
        }
        for m in pivot.months
    ]
    rows = []
    for entry in pivot.cohorts:
        size = (
            Cell(TOO_FEW, None, False, True)
            if entry["suppressed"]
            else cell("cohort_size", "integer", entry["size"], {})
        )
        rows.append([Cell(entry["cohort"]), size, *entry["cells"]])
    return Table(columns, rows, "Retention by cohort and months since the cohort month")


def _campaign_retention_table(rows: list[dict], titles: dict, slugs: dict) -> Table:
    """One row per campaign, one column per window k: smaller and easier to read than campaign × k rows."""
    windows = sorted({r["months_after"] for r in rows})
    by_campaign: dict[str, dict] = {}
    for row in rows:
        by_campaign.setdefault(row["campaign"], {"first": row, "k": {}})["k"][row["months_after"]] = row
    columns = [
        {"name": "campaign", "label": "Campaign", "description": "The campaign's title", "numeric": False},
        {"name": "campaign_end", "label": "End date", "description": "The campaign's end date", "numeric": False},
        {
            "name": "new_editors",
            "label": "New editors",
            "description": "Accounts registered during its programs",
            "numeric": True,
        },
    ] + [
        {
            "name": f"k{k}",
            "label": f"Retention at {k} month{'s' if k != 1 else ''}",
            "description": f"Share of new editors who edited in window {k} (30 days)",
            "numeric": True,
        }
        for k in windows
    ]
    body, links = [], []
    for slug, entry in by_campaign.items():
        first = entry["first"]
        cells = [
            Cell(titles.get(slug) or slug),
            Cell(first.get("campaign_end") or "—", None, False, not first.get("campaign_end")),
            cell("new_editors", "integer", first.get("new_editors"), first),
        ]
        for k in windows:
            row = entry["k"].get(k)
            cells.append(
                cell("retention", "number", row.get("retention"), row) if row else Cell("—", None, False, True)
            )
        body.append(cells)
        links.append(f"../campaigns/{slugs[slug]}/" if slug in slugs else None)
    table = Table(columns, body, "Retention of each campaign's new editors", sortable=True)
    table.links = {"campaign": links}
    return table


def _histogram_table(rows: list[dict], k: int) -> Table:
    at_k = [r for r in rows if r.get("months_after") == k]
    bins = [0] * 10
    for row in at_k:
        value = row.get("retention")
        if value is not None:
            bins[min(int(value * 10 + 1e-9), 9)] += 1
    columns = [
        {"name": "range", "label": f"Retention at {k} months", "description": "", "numeric": False},
        {"name": "campaigns", "label": "Campaigns", "description": "", "numeric": True},
    ]
    table_rows = [
        [Cell(f"{i * 10}% to {'under ' if i < 9 else ''}{(i + 1) * 10}%"), Cell(str(n), n, True)]
        for i, n in enumerate(bins)
    ]
    censored = sum(1 for r in at_k if r.get("retention") is None and not r.get("suppressed"))
    suppressed = sum(1 for r in at_k if r.get("suppressed"))
    table_rows.append([Cell(NOT_YET), Cell(str(censored), censored, True)])
    table_rows.append([Cell(TOO_FEW), Cell(str(suppressed), suppressed, True)])
    return Table(columns, table_rows, f"Campaigns by retention at {k} months")
