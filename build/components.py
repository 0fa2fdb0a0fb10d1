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

import re
from dataclasses import dataclass, field
from urllib.parse import quote

from markupsafe import Markup

from build import entities, tables
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
    svgs: dict = field(default_factory=dict)  # file name → SVG text


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
            "available": self.available,
            "dataset": self.dataset_info,
            "entity": self.entity.row if self.entity else None,
            "page_uses_charts": lambda: self.state.charts > 0,
        }

    # --- datasets -----------------------------------------------------------------------

    def schema(self, name: str) -> Dataset:
        if name not in self.site.schemas:
            raise ComponentError(f"no dataset {name!r} (datasets: {', '.join(sorted(self.site.schemas))})")
        return self.site.schemas[name]

    def check_columns(self, name: str, columns) -> None:
        have = self.schema(name).column_names
        missing = [c for c in columns if c not in have]
        if missing:
            raise ComponentError(
                f"dataset {name!r} has no column {', '.join(map(repr, missing))} (it has: {', '.join(have)})"
            )

    def available(self, name: str) -> bool:
        self.schema(name)
        return name in self.site.available

    def filtered(self, name: str) -> bool:
        return self.entity is not None and self.entity.kind.key in self.schema(name).column_names

    def rows(self, name: str, where: dict | None = None, via: str = "", on: str = "") -> list[dict]:
        """The dataset's rows (the entity's own on an entity page), optionally where column == value;
        with `via` and `on`, the rows whose `on` value appears in dataset `via` (filtered likewise)."""
        self.check_columns(name, (where or {}).keys())
        if via:
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

    def chart(self, chart_id: str, level: int = 2, table_ref: str = "") -> Markup:
        """A chart by id: caption, the chart (drawn by charts.js), static SVG or a reserved box, links, data table."""
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
        name = definition.dataset
        rows = self.rows(name)
        links = self.links(name)
        table_args = dict(definition.table)
        table = self.make_table(name, rows, **table_args) if rows or table_args else None
        figure.update(
            description=definition.description,
            spec_href=self.root + compiled.vega_href,
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
            svg = compiled.svg(rows)
            self.state.svgs[f"{compiled.id}.svg"] = svg
            size = svg_size(svg)
            return {"svg": {"src": f"{compiled.id}.svg", **size}, "height": size.get("height")}
        return {"height": self.site.chart_height(compiled, self.entity, rows)}

    def make_table(
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
    ) -> tables.Table:
        schema = self.schema(name)
        columns = list(columns or schema.column_names)
        self.check_columns(name, [*columns, *(labels or {}), *(links or {}), *(formats or {})])
        self.check_columns(name, [sort.lstrip("-")] if sort else [])
        if sort:
            rows = _sorted(rows, sort)
        if pivot:
            self.check_columns(name, [*pivot.get("index", ()), pivot["columns"], pivot["values"]])
            table = tables.pivot_table(schema, rows, self.site.words, pivot, caption)
        elif summary:
            self.check_columns(name, [summary["by"], summary["value"]])
            table = tables.summary_table(schema, rows, self.site.words, summary, caption)
        else:
            table = tables.make_table(schema, rows, columns, self.site.words, labels, formats, caption)
        for target in (links or {}).values():
            self.check_link(name, target)
        table.links = {column: [self.link(target, row) for row in rows] for column, target in (links or {}).items()}
        table.sortable = bool(search or sortable)
        table.search = bool(search)
        return table

    def table(
        self, name: str, id: str = "", where: dict | None = None, via: str = "", on: str = "", **options
    ) -> Markup:
        """A table of a dataset: columns, labels, sort ("-col" descending), links per row (an entity route
        "campaigns/[campaign]" or a URL with {column}s), caption, pivot, summary, search (and sorting).
        `via` + `on`: only rows whose `on` value appears in dataset `via` (filtered like any other)."""
        if not self.available(name) or (via and not self.available(via)):
            return self.emit(self.missing(name if not self.available(name) else via))
        rows = self.rows(name, where, via, on)
        table = self.make_table(name, rows, **options)
        label = options.get("caption") or self.schema(name).title
        return self.emit(self.site.macro("data_table")(table, id=id, label=label))

    def check_link(self, name: str, target: str) -> None:
        """A link target names an entity route that exists, or only columns the dataset has."""
        route = re.fullmatch(r"([\w/-]+)/\[(\w+)\]", target)
        if route and route.group(1) not in self.site.entity_folders:
            routes = ", ".join(self.site.entity_routes) or "none"
            raise ComponentError(f"no entity pages {target!r} (there are: {routes})")
        self.check_columns(name, [route.group(2)] if route else re.findall(r"{(\w+)}", target))

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
            return target.format(**{k: quote(str(v), safe="") for k, v in row.items()})
        except KeyError as error:
            raise ComponentError(f"link {target!r} names column {error} that the rows do not have") from error

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

    def tiles(self, name: str, columns, compact: bool = True) -> Markup:
        """Big-number tiles of the first row (a list of columns, or column → label)."""
        labels = columns if isinstance(columns, dict) else {c: None for c in columns}
        self.check_columns(name, labels)
        if not self.available(name) or not self.rows(name):
            return self.emit(self.missing(name))
        row, schema = self.rows(name)[0], self.schema(name)
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
                    "description": schema.column(column).description,
                }
            )
        return self.emit(self.site.macro("tiles")(items))

    def downloads(self, name: str, label: str = "") -> Markup:
        """'Data: CSV · JSON · about' for the dataset (the entity's own files on an entity page)."""
        if not self.available(name):
            return self.emit(self.missing(name))
        return self.emit(self.site.macro("downloads")(self.links(name), self.schema(name), label))


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
