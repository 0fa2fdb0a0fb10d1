"""Components: the Jinja calls a page uses to place data — chart, table, value, tiles, downloads.

    {{ chart("usage-events") }}
    {{ table("wikis", columns=["wiki", "programs"], sort="-programs", search=true) }}
    {{ value("system_totals", "edits", format="compact") }}
    {{ tiles("system_totals", {"programs": "Programs", "edits": "Edits"}) }}
    {{ downloads("wikis") }}

Each reads a published dataset by name and keeps what charts have always had: a description, a
data-table alternative, a static SVG where the chart asks for one, data by URL. A name that does
not exist raises ComponentError naming what exists; the page adds its file and line. On an entity
page (see entities.py) every dataset with the entity's key column is filtered to that entity, and
its data URLs are the entity's own files. A dataset that is not in this build is said plainly,
with the build's reason, and the rest of the page still renders.
"""

from __future__ import annotations

import json
import re
import string
from dataclasses import dataclass, field
from urllib.parse import quote

from markupsafe import Markup

from build import added_columns, entities, tables
from build.chart_params import check_params
from build.charts import svg_size
from build.datasets import Dataset, data_url
from build.formatting import FORMATS, format_number


class ComponentError(Exception):
    """A page names a chart, dataset or column that does not exist."""


@dataclass
class Entity:
    """The entity an entity page shows: its kind, row and folder name."""

    kind: entities.EntityKind
    row: dict
    slug: str

    @property
    def value(self):
        return self.row.get(self.kind.key)


@dataclass
class PageState:
    """What one page's render has used (to load the chart script only where needed)."""

    charts: int = 0
    stash: list[str] | None = None  # Markdown pages: component HTML kept out of Markdown's way
    svgs: dict = field(default_factory=dict)  # file name → SVG text (or PNG bytes)
    chart_ids: list[str] = field(default_factory=list)  # the charts placed, in order (the first is the preview)


class Components:
    """The component functions of one page: `site` (render.Site) plus the page's root, folder and entity."""

    def __init__(self, site, root: str, folder: str, entity: Entity | None, state: PageState):
        self.site, self.root, self.folder, self.entity, self.state = site, root, folder, entity, state

    def globals(self) -> dict:
        return {
            "chart": self.chart,
            "table": self.table,
            "value": self.value,
            "tiles": self.tiles,
            "downloads": self.downloads,
            "rows": self.rows,
            "medians": self.medians,
            "available": self.available,
            "dataset": self.dataset_info,
            "entity": self.entity.row if self.entity else None,
            "page_uses_charts": lambda: self.state.charts > 0,
            "preview_image": self.preview_image,
            "link": self.link_to,
        }

    # --- datasets -----------------------------------------------------------------------

    def schema(self, name: str) -> Dataset:
        if name not in self.site.schemas:
            raise ComponentError(f"no dataset {name!r} (datasets: {', '.join(sorted(self.site.schemas))})")
        return self.site.schemas[name]

    def check_columns(self, name: str | Dataset, columns) -> None:
        """`name` (or a schema with added columns) has every one of `columns`."""
        schema = name if isinstance(name, Dataset) else self.schema(name)
        have = schema.column_names
        missing = [c for c in columns if c not in have]
        if missing:
            raise ComponentError(
                f"dataset {schema.name!r} has no column {', '.join(map(repr, missing))} (it has: {', '.join(have)})"
            )

    def available(self, name: str) -> bool:
        self.schema(name)
        return name in self.site.available

    def filtered(self, name: str) -> bool:
        return self.entity is not None and self.entity.kind.key in self.schema(name).column_names

    def rows(
        self, name: str, where: dict | None = None, via: str = "", on: str = "", whole: bool = False
    ) -> list[dict]:
        """The dataset's rows (the entity's own on an entity page, unless `whole`), optionally where
        column == value; with `via` and `on`, the rows whose `on` value appears in dataset `via`."""
        self.check_columns(name, (where or {}).keys())
        if whole:
            rows = self.site.records(name)
        elif via:
            self.check_columns(name, [on])
            self.check_columns(via, [on])
            keys = dict.fromkeys(row.get(on) for row in self.rows(via))
            rows = [row for key in keys for row in self.site.entity_rows(name, on, key)]
        elif self.filtered(name):
            rows = self.site.entity_rows(name, self.entity.kind.key, self.entity.value)
        else:
            rows = self.site.records(name)
        for column, wanted in (where or {}).items():
            rows = [r for r in rows if r.get(column) == wanted]
        return rows

    def links(self, name: str) -> dict:
        dataset = self.site.available[name]
        if self.filtered(name) and dataset.publish:
            csv, json = (entities.data_href(self.entity.kind, self.entity.slug, dataset, e) for e in ("csv", "json"))
        else:
            csv, json = (data_url(dataset.name, dataset.version, e) for e in ("csv", "json"))
        return {
            "csv": self.root + csv,
            "json": self.root + json,
            "about": self.root + self.site.words.about.format(dataset=name),
        }

    def dataset_info(self, name: str) -> Dataset:
        self.site.note(("all", name))  # the template may read its rows: the page depends on all of them
        return self.schema(name)

    def missing(self, name: str) -> Markup:
        return self.site.macro("missing")(self.site.missing(name), self.root)

    def emit(self, html) -> Markup:
        """Component HTML; on a Markdown page a placeholder that pages.py swaps back after Markdown."""
        if self.state.stash is None:
            return Markup(html)
        self.state.stash.append(str(html))
        return Markup(f'\n\n<div data-almanac="{len(self.state.stash) - 1}"></div>\n\n')

    # --- the components -------------------------------------------------------------------

    def chart(self, chart_id: str, level: int = 2, table_ref: str = "", params: dict | None = None) -> Markup:
        """A chart by id: caption, the chart (drawn by charts.js), static SVG or a reserved box, links, data table.
        `params` sets the values of the chart's declared params on this page (a campaign's period, say)."""
        if chart_id not in self.site.chart_defs:
            raise ComponentError(f"no chart {chart_id!r} (charts: {', '.join(sorted(self.site.chart_defs))})")
        definition = self.site.chart_defs[chart_id]
        figure = {"id": chart_id, "title": self.site.text(definition.title), "root": self.root, "table_ref": table_ref}
        compiled = self.site.charts.get(chart_id)
        if compiled is None:
            return self.emit(
                self.site.macro("chart")({**figure, "missing": self.site.missing(definition.dataset)}, level)
            )
        self.state.charts += 1
        self.state.chart_ids.append(chart_id)
        name = definition.dataset
        rows = self.rows(name)
        links = self.links(name)
        table_args = dict(definition.table)
        table = self.make_table(name, rows, **table_args) if rows or table_args else None
        figure.update(
            description=definition.description,
            spec_href=self.root + compiled.vega_href,
            params=json.dumps(check_params(compiled, params), sort_keys=True) if params else "",
            links=links,
            dataset=compiled.dataset,
            table=table,
            empty=not rows,
            first=self.state.charts == 1,  # the first chart's image loads at once, the others lazily
        )
        if compiled.complete and any(r.get(compiled.complete) is False for r in rows):
            figure["incomplete_note"] = definition.incomplete_note
        if rows and not self.site.checking:
            figure.update(self.painted(compiled, rows))
        return self.emit(self.site.macro("chart")(figure, level))

    def painted(self, compiled, rows: list[dict]) -> dict:
        """What the reader sees before the interactive chart draws, in the box it will take: the static
        SVG (site-wide charts that declare one; not on entity pages, where one per entity would cost
        minutes), or that box reserved at the chart's height."""
        if compiled.definition.static_svg and self.entity is None:
            svg = compiled.svg(rows, self.site.svg_cache)
            self.state.svgs[f"{compiled.id}.svg"] = svg
            size = svg_size(svg)
            return {"svg": {"src": f"{compiled.id}.svg", **size}, "height": size.get("height")}
        return {"height": self.site.chart_height(compiled, self.entity, rows)}

    def make_table(  # noqa: PLR0913 (the table() options, passed through)
        self,
        name,
        rows,
        columns=None,
        labels=None,
        sort=None,
        links=None,
        caption="",
        pivot=None,
        summary=None,
        formats=None,
        search=False,
        sortable=None,
        add=None,
        filters=None,
        disambiguate=None,
    ) -> tables.Table:
        schema, rows = self.added(name, rows, add)
        labels = {**added_columns.labels(add), **(labels or {})}
        columns = list(columns or schema.column_names)
        self.check_columns(schema, [*columns, *labels, *(links or {}), *(formats or {}), *(filters or {})])
        self.check_columns(schema, [sort.lstrip("-")] if sort else [])
        self.check_columns(schema, [*(search if isinstance(search, list | tuple) else []), *(disambiguate or {})])
        self.check_columns(schema, list((disambiguate or {}).values()))
        if sort:
            rows = _sorted(rows, sort)
        if pivot:
            self.check_columns(schema, [*pivot.get("index", ()), pivot["columns"], pivot["values"]])
            table = tables.pivot_table(schema, rows, self.site.words, pivot, caption)
        elif summary:
            self.check_columns(schema, [summary["by"], summary["value"]])
            table = tables.summary_table(schema, rows, self.site.words, summary, caption)
        else:
            table = tables.make_table(schema, rows, columns, self.site.words, labels, formats, caption)
        for target in (links or {}).values():
            self.check_link(schema, target)
        tables.link_cells(
            table, {column: [self.link(target, row) for row in rows] for column, target in (links or {}).items()}
        )
        table.sortable = sortable is not False and not pivot and not summary or bool(sortable)
        table.search = bool(search)
        if isinstance(search, list | tuple):
            table.search_text = [tables.search_key(" ".join(str(row.get(c) or "") for c in search)) for row in rows]
        try:
            table.filters = tables.filter_spec(table, filters or {})
        except ValueError as error:
            raise ComponentError(str(error)) from error
        tables.disambiguate(table, rows, disambiguate or {})
        return table

    def added(self, name: str, rows: list[dict], add: dict | None) -> tuple[Dataset, list[dict]]:
        """The dataset's schema and rows with the page's added columns (see added_columns.py)."""
        schema = self.schema(name)
        if not add:
            return schema, rows
        try:
            schema = added_columns.declare(schema, add, self.schema)
        except (added_columns.AddedColumnError, KeyError, TypeError) as error:
            raise ComponentError(f"add= of {name!r}: {error}") from error
        whole = lambda dataset, column, value: self.site.entity_rows(dataset, column, value)  # noqa: E731
        return schema, added_columns.compute(rows, add, whole, self.site.as_of())

    def medians(self, name: str, by: str, value: str) -> dict:
        """The median of `value` per value of `by` over the WHOLE dataset (every entity), empty values left out."""
        self.check_columns(name, [by, value])
        records = self.site.records(name)  # noted as read by this page, even when computed for another one
        if ("medians", name, by, value) not in self.site.computed:  # every campaign page asks the same
            groups: dict = {}
            for row in records:
                if row.get(value) is not None:
                    groups.setdefault(row.get(by), []).append(row[value])
            medians = {key: tables.median(sorted(values)) for key, values in groups.items()}
            self.site.computed[("medians", name, by, value)] = medians
        return dict(self.site.computed[("medians", name, by, value)])

    def table(
        self, name: str, id: str = "", where: dict | None = None, via: str = "", on: str = "", **options
    ) -> Markup:
        """A table of a dataset: columns, labels, sort ("-col" descending), links per row (an entity route
        "campaigns/[campaign]" or a URL with {column}s), caption, pivot, summary, search (and sorting).
        `via` + `on`: only rows whose `on` value appears in dataset `via` (filtered like any other)."""
        if not self.available(name) or (via and not self.available(via)):
            return self.emit(self.missing(name if not self.available(name) else via))
        rows = self.rows(name, where, via, on)
        try:
            table = self.make_table(name, rows, **options)
        except TypeError as error:
            raise ComponentError(f"table({name!r}): {error}") from error
        label = options.get("caption") or self.schema(name).title
        return self.emit(self.site.macro("data_table")(table, id=id, label=label))

    def check_link(self, name: str, target: str) -> None:
        """A link target names an entity route that exists, or only columns the dataset has."""
        route = re.fullmatch(r"([\w/-]+)/\[(\w+)\]", target)
        if route and route.group(1) not in self.site.entity_folders:
            routes = ", ".join(self.site.entity_routes) or "none"
            raise ComponentError(f"no entity pages {target!r} (there are: {routes})")
        self.check_columns(name, [route.group(2)] if route else re.findall(r"{(\w+)(?::path)?}", target))

    def link(self, target: str, row: dict) -> str | None:
        route = re.fullmatch(r"([\w/-]+)/\[(\w+)\]", target)
        if route:
            slugs = self.site.entity_folders.get(route.group(1))
            if slugs is None:
                raise ComponentError(
                    f"no entity pages {target!r} (there are: {', '.join(self.site.entity_routes) or 'none'})"
                )
            slug = slugs.get(row.get(route.group(2)))
            return f"{self.root}{entities.href(route.group(1), slug)}" if slug else None
        try:
            return fill_link(target, row)
        except KeyError as error:
            raise ComponentError(f"link {target!r} names column {error} that the rows do not have") from error
        except ValueError as error:
            raise ComponentError(f"link {target!r}: {error}") from error

    def link_to(self, target: str, row: dict | None) -> str | None:
        """A URL template (a site.toml link setting) filled from `row`; None when either is empty."""
        if not target or not row:
            return None
        return self.link(target, row)

    def preview_image(self) -> str:
        """The absolute URL of the page's preview image (og:image), or "" without a base_url.

        A site-wide page's is a PNG of its first chart, drawn at build time from the rows; entity
        pages share the home page's (one PNG per campaign would cost seconds at 1,500 campaigns)."""
        base = str(self.page_setting("base_url") or "")
        if not base or not self.state.chart_ids:
            return ""
        base = base if base.endswith("/") else base + "/"
        if self.entity is not None:
            return base + "preview.png"
        if not self.site.checking:
            compiled = self.site.charts[self.state.chart_ids[0]]
            self.state.svgs["preview.png"] = chart_png(compiled, self.rows(compiled.definition.dataset))
        return base + (f"{self.folder}/" if self.folder else "") + "preview.png"

    def page_setting(self, key: str):
        return self.site.page_settings().get(key)

    def value(self, name: str, column: str, where: dict | None = None, pick: str = "first", format: str = "") -> Markup:
        """One formatted value: the first (or last) row's, or the sum or max of the column."""
        self.check_columns(name, [column])
        if format and format not in FORMATS:
            raise ComponentError(f"no format {format!r} (formats: {', '.join(FORMATS)})")
        if not self.available(name):
            return Markup("—")
        values = [r.get(column) for r in self.rows(name, where)]
        picked = _pick(values, pick)
        text = (
            FORMATS[format](picked)
            if format
            else tables.cell(self.schema(name).column(column), picked, {}, self.site.words).text
        )
        exact = format_number(picked) if isinstance(picked, int | float) and not isinstance(picked, bool) else text
        return Markup('<data value="{}" title="{}">{}</data>').format("" if picked is None else picked, exact, text)

    def tiles(self, name: str, columns, compact: bool = True, add: dict | None = None) -> Markup:
        """Big-number tiles of the first row (a list of columns, or column → label); `add` as for table()."""
        labels = columns if isinstance(columns, dict) else {c: None for c in columns}
        schema, _ = self.added(name, [], add)
        self.check_columns(schema, labels)
        if not self.available(name) or not self.rows(name):
            return self.emit(self.missing(name))
        row = self.added(name, self.rows(name)[:1], add)[1][0]
        items = []
        for column, label in labels.items():
            cell = tables.cell(schema.column(column), row.get(column), row, self.site.words, name)
            text = FORMATS["compact"](row.get(column)) if compact and cell.numeric else cell.text
            items.append(
                {
                    "label": label or tables.header(schema.column(column))["label"],
                    "value": row.get(column),
                    "text": text,
                    "exact": cell.text,
                    "note": cell.note,
                    "description": schema.column(column).description,
                }
            )
        return self.emit(self.site.macro("tiles")(items))

    def downloads(self, name: str, label: str = "") -> Markup:
        """'Data: CSV · JSON · about' for the dataset (the entity's own files on an entity page)."""
        if not self.available(name):
            return self.emit(self.missing(name))
        return self.emit(self.site.macro("downloads")(self.links(name), self.schema(name), label))


class _LinkFormatter(string.Formatter):
    """{column} is percent-encoded whole; {column:path} keeps its '/' (a Dashboard course slug)."""

    def format_field(self, value, format_spec):
        if value is None:
            raise _EmptyValue
        if format_spec not in ("", "path"):
            raise ValueError(f"unknown link format {format_spec!r} (use {{column}} or {{column:path}})")
        return quote(str(value), safe="/" if format_spec == "path" else "")


class _EmptyValue(Exception):
    pass


def fill_link(target: str, row: dict) -> str | None:
    """The URL of `target` for `row`; None when a value it names is empty (no link rather than a wrong one)."""
    try:
        return _LinkFormatter().format(target, **row)
    except _EmptyValue:
        return None


def chart_png(compiled, rows: list[dict]) -> bytes:
    """A PNG of a compiled chart drawn from inline rows (vl_convert draws nothing from a URL), 1200 wide."""
    import vl_convert

    spec = compiled.inline_spec(rows)
    spec["width"], spec["background"] = 1100, "white"
    spec.pop("autosize", None)
    return vl_convert.vegalite_to_png(spec, scale=1)


def _pick(values: list, pick: str):
    present = [v for v in values if v is not None]
    if pick == "sum":
        return sum(present) if present else None
    if pick == "max":
        return max(present) if present else None
    if pick in ("first", "last"):
        return (values[0] if pick == "first" else values[-1]) if values else None
    raise ComponentError(f"pick must be first, last, sum or max, not {pick!r}")


def _sorted(rows: list[dict], sort: str) -> list[dict]:
    column, descending = sort.lstrip("-"), sort.startswith("-")
    present = sorted((r for r in rows if r.get(column) is not None), key=lambda r: r[column], reverse=descending)
    return present + [r for r in rows if r.get(column) is None]
