"""The data contract: every published dataset's columns and types, checked against a committed snapshot.

`docs/data-contract.json` records, per schema version, each published dataset's columns (in order) and
their Frictionless types; `docs/data-changelog.md` says what changed and when, newest first, and the
downloads page shows it. Adding a dataset or a column is allowed once recorded (`build.py contract
--update --note "…"`); removing, renaming or retyping a column, or dropping a dataset from a version that
is still written, breaks downloads and scripts that read the files, so it needs a new version instead.

    >>> compare({"1": {"x": {"a": "integer"}}}, {"1": {"x": {"a": "integer", "b": "string"}}})
    [Change(kind='added column', version='1', dataset='x', column='b', detail='string')]
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from build.datasets import Dataset

CONTRACT_FILE = Path("docs") / "data-contract.json"
CHANGELOG_FILE = Path("docs") / "data-changelog.md"
CHANGELOG_TITLE = "# Changes to the published data files\n"
BREAKING = {"removed column", "retyped column", "removed dataset", "moved column"}

Schemas = dict[str, dict[str, dict[str, str]]]  # version → dataset → column → type (in published order)


class ContractError(Exception):
    """The published schemas differ from the contract in a way the command cannot record."""


@dataclass(frozen=True)
class Change:
    kind: str
    version: str
    dataset: str
    column: str | None = None
    detail: str = ""

    @property
    def breaking(self) -> bool:
        return self.kind in BREAKING

    def __str__(self) -> str:
        where = f"v{self.version}/{self.dataset}" + (f".{self.column}" if self.column else "")
        return f"{self.kind} {where}" + (f" ({self.detail})" if self.detail else "")


def declared(datasets: Iterable[Dataset]) -> Schemas:
    """The published datasets' schemas, as the contract records them."""
    schemas: Schemas = {}
    for dataset in sorted(datasets, key=lambda d: (d.version, d.name)):
        if dataset.publish:
            columns = {column.name: column.type for column in dataset.columns}
            schemas.setdefault(str(dataset.version), {})[dataset.name] = columns
    return schemas


def compare(recorded: Schemas, current: Schemas) -> list[Change]:
    """What changed from the recorded contract to the current schemas, in a stable order."""
    changes = []
    for version in sorted(set(recorded) | set(current), key=int):
        if version not in current:
            changes.append(Change("retired version", version, "*"))
            continue
        if version not in recorded:
            changes.append(Change("new version", version, "*", detail=", ".join(sorted(current[version]))))
            continue
        changes += _compare_version(version, recorded[version], current[version])
    return changes


def _compare_version(version: str, recorded: dict, current: dict) -> list[Change]:
    changes = []
    for name in sorted(set(recorded) | set(current)):
        if name not in current:
            changes.append(Change("removed dataset", version, name))
        elif name not in recorded:
            changes.append(Change("added dataset", version, name, detail=", ".join(current[name])))
        else:
            changes += _compare_columns(version, name, recorded[name], current[name])
    return changes


def _compare_columns(version: str, name: str, recorded: dict, current: dict) -> list[Change]:
    changes = []
    for column, kind in recorded.items():
        if column not in current:
            changes.append(Change("removed column", version, name, column, kind))
        elif current[column] != kind:
            changes.append(Change("retyped column", version, name, column, f"{kind} → {current[column]}"))
    kept = [column for column in current if column in recorded]
    if kept != [column for column in recorded if column in current]:
        changes.append(Change("moved column", version, name, detail="columns kept must keep their order"))
    for column, kind in current.items():
        if column not in recorded:
            changes.append(Change("added column", version, name, column, kind))
    return changes


def load(root: Path) -> Schemas:
    path = root / CONTRACT_FILE
    if not path.exists():
        return {}
    return json.loads(path.read_text(encoding="utf-8"))


def check(root: Path, current: Schemas) -> list[Change]:
    """The differences between the committed contract and the current schemas (empty: they agree)."""
    return compare(load(root), current)


def update(root: Path, current: Schemas, note: str, today: dt.date) -> list[Change]:
    """Record the current schemas and a changelog entry; refuse breaking changes, naming the fix."""
    changes = check(root, current)
    breaking = [change for change in changes if change.breaking]
    if breaking:
        raise ContractError(
            "these changes break the published files: "
            + "; ".join(map(str, breaking))
            + ". Keep the old columns and add new ones, or publish the changed dataset under a new version "
            "(`version = 2` in its query header) while the old version keeps being written."
        )
    if not changes:
        return []
    if not note.strip():
        raise ContractError("say what changed and why: build.py contract --update --note 'TEXT'")
    contract = root / CONTRACT_FILE
    contract.parent.mkdir(parents=True, exist_ok=True)
    contract.write_text(json.dumps(current, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    _prepend_entry(root / CHANGELOG_FILE, changelog_entry(changes, note, today))
    return changes


def changelog_entry(changes: list[Change], note: str, today: dt.date) -> str:
    lines = [f"## {today.isoformat()}", "", note.strip(), ""]
    lines += [f"- {change}" for change in changes]
    return "\n".join(lines) + "\n"


def _prepend_entry(path: Path, entry: str) -> None:
    """Newest first: the entry goes right under the title."""
    text = path.read_text(encoding="utf-8") if path.exists() else CHANGELOG_TITLE
    body = text.removeprefix(CHANGELOG_TITLE).lstrip("\n")
    path.write_text(CHANGELOG_TITLE + "\n" + entry + ("\n" + body if body else ""), encoding="utf-8")


def changelog(root: Path) -> list[dict]:
    """The changelog's entries, newest first: [{"date": "YYYY-MM-DD", "text": "…markdown…"}]."""
    path = root / CHANGELOG_FILE
    if not path.exists():
        return []
    entries = []
    for block in path.read_text(encoding="utf-8").split("\n## ")[1:]:
        date, _, text = block.partition("\n")
        entries.append({"date": date.strip(), "text": text.strip()})
    return entries
