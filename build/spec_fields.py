"""The column names a Vega-Lite spec reads (`field` references, fold and groupby lists) and the names its
transforms make (`as`): what charts.py checks against a chart's dataset before any query runs."""

from __future__ import annotations


def _walk(node, visit) -> None:
    if isinstance(node, dict):
        for key, value in node.items():
            if not visit(key, value):
                _walk(value, visit)
    elif isinstance(node, list):
        for item in node:
            _walk(item, visit)


def read(spec) -> set[str]:
    """Every column name a spec reads: `field` references, fold and groupby lists."""
    found: set[str] = set()

    def visit(key, value):
        if key == "field" and isinstance(value, str) and value:
            found.add(value)
            return True
        if key in ("fold", "groupby") and isinstance(value, list):
            found.update(v for v in value if isinstance(v, str))
            return True
        return False

    _walk(spec, visit)
    return found


def made(spec) -> set[str]:
    """Names that transforms create (`as`, window/aggregate outputs), which are not dataset columns."""
    made: set[str] = set()

    def visit(key, value):
        if key == "as":
            made.update([value] if isinstance(value, str) else [v for v in value if isinstance(v, str)])
            return True
        return False

    _walk(spec, visit)
    return made
