"""Report: what the build did, as status.json, a console summary and the exit code.

Exit codes: 0 every dataset fresh; 1 published with stale datasets; 2 nothing published
(bad settings or queries, every source down, an unexpected error); 3 another build holds
the lock. The build time lives here and only here, never inside data files.

What is published holds no database error: a failed dataset's `error` is its Failure's fixed
public text with an error id (build/failures.py), and a source's entry has no address (host,
user and database names stay private) and only the public text of its error.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from pathlib import Path

from . import alerts
from .datasets import Dataset, write_if_changed
from .exit_codes import EXIT_FRESH, EXIT_LOCKED, EXIT_NOTHING_PUBLISHED, EXIT_STALE  # noqa: F401 (re-exported)
from .failures import Failure

FRESH, STALE, MISSING = "fresh", "stale", "missing"


@dataclass
class Outcome:
    """How one published dataset fared in this build."""

    name: str
    title: str
    source: str
    status: str
    rows: int | None = None
    error: Failure | None = None
    seconds: float | None = None


@dataclass
class BuildReport:
    as_of: dt.date
    built_at: dt.datetime
    outcomes: list[Outcome] = field(default_factory=list)
    sources: list[dict] = field(default_factory=list)
    next_update: dt.datetime | None = None  # when the scheduled build runs next ([build] schedule)

    @property
    def stale(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.status != FRESH]

    @property
    def exit_code(self) -> int:
        return EXIT_STALE if self.stale else EXIT_FRESH

    def add(
        self, dataset: Dataset | None, *, name: str, title: str, source: str, error: Failure | None = None, seconds=None
    ):
        if dataset is None:
            status = MISSING
        else:
            status = STALE if dataset.stale else FRESH
        rows = None if dataset is None else len(dataset.frame)
        self.outcomes.append(Outcome(name, title, source, status, rows, error, seconds))


def previous_successes(out_dir: Path) -> dict[str, str]:
    """Each dataset's last successful build time, from the status.json of the site being replaced."""
    path = out_dir / "status.json"
    if not path.exists():
        return {}
    try:
        previous = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError:
        return {}
    return {d["name"]: d.get("last_success") for d in previous.get("datasets", []) if d.get("last_success")}


def status(report: BuildReport, last_successes: dict[str, str]) -> dict:
    """The status.json document (also what the status page and home page show)."""
    built_at = _stamp(report.built_at)
    datasets = []
    for outcome in sorted(report.outcomes, key=lambda o: o.name):
        datasets.append(
            {
                "name": outcome.name,
                "title": outcome.title,
                "status": outcome.status,
                "rows": outcome.rows,
                "error": None if outcome.error is None else outcome.error.public,
                "source": outcome.source,
                "seconds": None if outcome.seconds is None else round(outcome.seconds, 2),
                "last_success": built_at if outcome.status == FRESH else last_successes.get(outcome.name),
            }
        )
    return {
        "as_of": report.as_of.isoformat(),
        "built_at": built_at,
        "next_update": None if report.next_update is None else _stamp(report.next_update),
        "state": STALE if report.stale else FRESH,
        "exit_code": report.exit_code,
        "datasets": datasets,
        "sources": report.sources,
    }


def _stamp(moment: dt.datetime) -> str:
    return moment.isoformat(timespec="seconds").replace("+00:00", "Z")


def public_source(name: str, state: dict) -> dict:
    """A source's entry as published: status, lag and the public text of its error; no URL."""
    entry = {
        "name": name,
        "status": state["status"],
        "lag_seconds": state.get("lag_seconds"),
        "error": None if state.get("error") is None else str(state["error"]),
    }
    for key in ("failed_wikis", "needed_by"):  # names only: which wikis failed, which entities need one
        if key in state:
            entry[key] = list(state[key])
    if "wikis" in state:
        entry["wikis"] = {wiki: public_source(wiki, wiki_state) for wiki, wiki_state in state["wikis"].items()}
    return entry


def write_status(document: dict, out_dir: Path) -> None:
    """status.json, and beside it the JSON Schema it follows (status.schema.json)."""
    text = json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    write_if_changed(out_dir / "status.json", text.encode("utf-8"))
    write_if_changed(out_dir / STATUS_SCHEMA.name, STATUS_SCHEMA.read_bytes())


STATUS_SCHEMA = Path(__file__).with_name("status.schema.json")
HISTORY_FILE = "status-history.json"
FEED_FILE = "status.atom"


def read_history(state_dir: Path) -> list[dict]:
    """The recent builds kept in the state folder (restored from the deployed site on a fresh runner)."""
    path = Path(state_dir) / HISTORY_FILE
    try:
        history = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return []
    return [entry for entry in history if isinstance(entry, dict) and {"built_at", "outcome"} <= entry.keys()]


def write_history(history: list[dict], state_dir: Path, out_dir: Path, *, title: str, base_url: str) -> None:
    """The history in the state folder, and its public copy and Atom feed of status changes in the site.

    The entries hold only times, outcomes and dataset names (no error text), so publishing them is safe;
    the scheduled workflow fetches the public copy back into a fresh runner's state folder.
    """
    text = (json.dumps(history, indent=1, ensure_ascii=False) + "\n").encode("utf-8")
    Path(state_dir).mkdir(parents=True, exist_ok=True)
    write_if_changed(Path(state_dir) / HISTORY_FILE, text)
    write_if_changed(out_dir / HISTORY_FILE, text)
    write_if_changed(out_dir / FEED_FILE, alerts.atom(history, title=title, site_url=base_url).encode("utf-8"))


def record_failed_build(state_dir: Path, as_of: dt.date, built_at: dt.datetime, seconds: float) -> None:
    """A build that published nothing joins the history in the state folder (the site shows it next time)."""
    stamp = built_at.isoformat(timespec="seconds").replace("+00:00", "Z")
    history = alerts.append(read_history(state_dir), alerts.failed_entry(stamp, as_of.isoformat(), round(seconds, 1)))
    text = json.dumps(history, indent=1, ensure_ascii=False) + "\n"
    write_if_changed(Path(state_dir) / HISTORY_FILE, text.encode("utf-8"))


def summary(document: dict, *, published: bool = True) -> str:
    """The console summary: one line per dataset that is not fresh (its public error), then the
    verdict: what was published, or (`published=False`, for --strict) that nothing was."""
    lines = []
    for dataset in document["datasets"]:
        if dataset["status"] != FRESH:
            lines.append(f"  {dataset['status'].upper():8} {dataset['name']}: {dataset['error'] or 'no data'}")
    fresh = sum(d["status"] == FRESH for d in document["datasets"])
    total = len(document["datasets"])
    if not published:
        verdict = (
            f"--strict: nothing was published, because {len(lines)} of {total} datasets would be stale; "
            "the last site is unchanged."
        )
    else:
        verdict = f"Published {fresh} of {total} datasets as of {document['as_of']}" + (
            f"; {len(lines)} stale (last published files kept)." if lines else ", all fresh."
        )
    return "\n".join([*lines, verdict])
