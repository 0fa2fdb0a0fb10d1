"""Content: what a site's templates/ folder holds (pages, chart declarations, the words for empty values),
read and checked against the declared datasets before any query runs, every problem at once.
"""

from __future__ import annotations

import sys
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from build import entities, pages
from build.charts import ChartDef, load_charts
from build.datasets import Dataset
from build.tables import Words


def _engine_templates() -> Path:
    """The default layouts, partials and assets: templates/ of a checkout, or the installed copy."""
    checkout = Path(__file__).resolve().parent.parent / "templates"
    return checkout if checkout.is_dir() else Path(sys.prefix) / "share" / "almanac" / "templates"


TEMPLATES = _engine_templates()


class RenderError(Exception):
    """The content cannot be rendered: every problem, each named with its file and line."""


@dataclass
class Content:
    """What templates/ holds: pages, chart declarations and the words for empty values."""

    templates: Path
    pages: list[pages.Page]
    chart_defs: dict[str, ChartDef]
    words: Words
    schemas: dict[str, Dataset] = field(default_factory=dict)  # the declared datasets, once checked

    @property
    def entity_kinds(self) -> list[entities.EntityKind]:
        return [page.entity for page in self.pages if page.entity is not None]


def load_content(templates: Path = TEMPLATES) -> Content:
    """Read every page and chart declaration; raise RenderError listing every problem found.

    A site's templates folder needs only what it changes: layouts, partials and assets it does not
    have are this package's (templates/ beside build/)."""
    found, problems = pages.discover(templates / "pages")
    chart_defs, chart_problems = load_charts(templates / "charts")
    problems += chart_problems
    if problems:
        raise RenderError("the content has problems:\n  " + "\n  ".join(problems))
    formats = templates / "formats.toml"
    apply_palette(
        chart_defs, tomllib.loads(formats.read_text(encoding="utf-8")).get("colours", {}) if formats.exists() else {}
    )
    return Content(templates, found, chart_defs, Words.load(formats))


def apply_palette(charts: dict[str, ChartDef], palette: dict[str, str]) -> None:
    """Swap the site's named colours (formats.toml [colours]) into the declarations' colour arguments."""

    def swap(value):
        if isinstance(value, dict):
            return {k: palette.get(v, v) if k in ("colour", "colour_name") else swap(v) for k, v in value.items()}
        if isinstance(value, list):
            return [swap(item) for item in value]
        return value

    for chart in charts.values():
        chart.args.update(swap(chart.args))
