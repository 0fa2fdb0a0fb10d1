"""Formatting: numbers, dates, sizes and lists for people (used as Jinja filters and by tables).

Pure functions of one value; nothing here knows a dataset.
"""

from __future__ import annotations

import re


def format_number(value) -> str:
    """Thousands separators: 1234567 → '1,234,567'; 0.5 → '0.50'; None → '—'."""
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
    """A fraction as a percentage: 0.1234 → '12.3%'."""
    return "—" if value is None else f"{value * 100:.1f}%"


def format_plain(value) -> str:
    """A number without separators (years, ids): 2024 → '2024'."""
    return "—" if value is None else str(value)


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
    """A file size: 2048 → '2.0 KB'."""
    if size is None:
        return "—"
    for unit, step in (("MB", 1 << 20), ("KB", 1 << 10)):
        if size >= step:
            return f"{size / step:,.1f} {unit}"
    return f"{size} bytes"


FORMATS = {
    "number": format_number,
    "compact": format_compact,
    "percent": format_percent,
    "plain": format_plain,
}

FILTERS = {
    "number": format_number,
    "compact": format_compact,
    "percent": format_percent,
    "plain": format_plain,
    "bytes": format_bytes,
    "when": format_when,
    "duration": format_duration,
    "human": human,
    "and_list": and_list,
}
