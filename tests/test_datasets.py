"""The Dataset type and its writers: normalisation across engines, CSV/JSON shapes, datapackage."""

import decimal
import json

import pandas as pd
import pytest

from build import datasets
from build.cache import Cache
from build.datasets import (
    Column,
    Dataset,
    SchemaError,
    csv_cell,
    datapackage,
    publish_dataset,
    read_published,
    to_csv_bytes,
    to_json_bytes,
    write_datapackage,
)

SCHEMA = Dataset(
    name="things",
    title="Things",
    description="Test rows.",
    columns=(
        Column("name", "string", "A name."),
        Column("n", "integer", "A count."),
        Column("rate", "number", "A rate."),
        Column("flag", "boolean", "A flag."),
        Column("day", "date", "A day."),
    ),
    sort_key=("n", "name"),
    origin="tests",
)


def things(rows):
    return SCHEMA.with_frame(pd.DataFrame(rows, columns=["name", "n", "rate", "flag", "day"]))


def test_engine_types_normalise_to_the_same_values():
    mariadb = things([(b"caf\xc3\xa9", decimal.Decimal("2"), decimal.Decimal("0.5"), 1, "2025-01-02 10:00:00")])
    duckdb = things([("café", 2, 0.5, True, pd.Timestamp("2025-01-02 10:00"))])
    assert (
        mariadb.records()
        == duckdb.records()
        == [{"name": "café", "n": 2, "rate": 0.5, "flag": True, "day": "2025-01-02"}]
    )
    assert to_csv_bytes(mariadb) == to_csv_bytes(duckdb)


def test_rows_are_sorted_by_the_declared_key_and_missing_values_are_empty_or_null():
    dataset = things([("b", 2, None, None, None), ("a", 2, 1 / 3, False, "2025-01-01"), ("z", 1, 0.0, True, None)])
    assert to_csv_bytes(dataset).decode() == (
        "name,n,rate,flag,day\nz,1,0.000000,true,\na,2,0.333333,false,2025-01-01\nb,2,,,\n"
    )
    assert json.loads(to_json_bytes(dataset))[2] == {"name": "b", "n": 2, "rate": None, "flag": None, "day": None}


@pytest.mark.parametrize(
    ("value", "kind", "cell"),
    [
        ("=HYPERLINK(1)", "string", "'=HYPERLINK(1)"),
        ("+1", "string", "'+1"),
        ("-x", "string", "'-x"),
        ("@SUM(A1)", "string", "'@SUM(A1)"),
        ("plain", "string", "plain"),
        (-5, "integer", "-5"),
        (-0.5, "number", "-0.500000"),
        (None, "string", ""),
    ],
)
def test_csv_cells_neutralise_formulas_but_not_numbers(value, kind, cell):
    assert csv_cell(value, kind) == cell


def test_json_keeps_the_true_text_value():
    dataset = things([("=HYPERLINK(1)", 1, None, None, None)])
    assert json.loads(to_json_bytes(dataset))[0]["name"] == "=HYPERLINK(1)"


def test_a_missing_declared_column_is_named():
    with pytest.raises(SchemaError, match="declares column\\(s\\) flag, day"):
        SCHEMA.with_frame(pd.DataFrame({"name": ["a"], "n": [1], "rate": [0.1]}))


def test_fractional_value_in_integer_column_is_an_error():
    with pytest.raises(SchemaError, match="column 'n'"):
        things([("a", 1.5, None, None, None)])


def test_unchanged_files_are_not_rewritten_and_round_trip(tmp_path):
    first = publish_dataset(things([("a", 1, 0.25, True, "2025-01-01")]), tmp_path)
    assert first.csv.changed and first.json.changed
    mtime = first.csv.path.stat().st_mtime_ns
    again = publish_dataset(things([("a", 1, 0.25, True, "2025-01-01")]), tmp_path)
    assert not again.csv.changed and not again.json.changed
    assert first.csv.path.stat().st_mtime_ns == mtime
    previous = read_published(SCHEMA, tmp_path)
    assert previous.stale and to_csv_bytes(previous) == first.csv.path.read_bytes()


def test_files_made_from_the_same_rows_are_not_serialised_again(tmp_path, monkeypatch):
    cache, rows = Cache(tmp_path / "cache"), [("a", 1, 0.25, True, "2025-01-01"), ("b", 2, None, None, None)]
    first = publish_dataset(things(rows), tmp_path / "out", cache)
    with monkeypatch.context() as patched:  # the same rows: the files are taken as they are, not made again
        patched.setattr(datasets, "to_csv_bytes", None)
        patched.setattr(datasets, "to_json_bytes", None)
        again = publish_dataset(things(rows), tmp_path / "out", cache)
    assert (again.csv.sha256, again.json.bytes, again.csv.changed) == (first.csv.sha256, first.json.bytes, False)

    first.json.path.write_text("[]\n")  # a file that is not what the cache says (edited, rolled back): made again
    mended = publish_dataset(things(rows), tmp_path / "out", cache)
    assert mended.json.changed and first.json.path.read_bytes() == to_json_bytes(things(rows))
    changed = publish_dataset(things(rows[:1]), tmp_path / "out", cache)  # other rows: other files
    assert changed.csv.changed and changed.csv.path.read_bytes() == to_csv_bytes(things(rows[:1]))


def test_datapackage_validates_with_frictionless(tmp_path):
    frictionless = pytest.importorskip("frictionless")
    published = publish_dataset(things([("=x", 1, 0.25, True, "2025-01-01"), ("b", 2, None, None, None)]), tmp_path)
    package = datapackage([published], title="T", license_id="CC0-1.0", base_url="")
    folder = tmp_path / "data" / "v1"
    write_datapackage(package, folder)  # one resource a line
    text = (folder / "datapackage.json").read_text(encoding="utf-8")
    assert json.loads(text) == package and text.count("\n") == len(package) + len(package["resources"]) + 3
    report = frictionless.validate(str(folder / "datapackage.json"))
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])
    csv_resource = package["resources"][0]
    assert csv_resource["rows"] == 2 and csv_resource["bytes"] == published.csv.bytes
    assert csv_resource["hash"] == f"sha256:{published.csv.sha256}"


def test_a_staged_file_is_written_directly_when_new_and_never_into_a_linked_one(tmp_path):
    """In the staging folder a new file is written as it is (no reader sees staging); an existing one may be a
    hard link to the published build's file, so it is replaced, never written in place."""
    import os

    from build.datasets import write_if_changed

    published, staging = tmp_path / "published.json", tmp_path / "staging"
    published.write_bytes(b"old")
    staging.mkdir()
    os.link(published, staging / "a.json")
    assert write_if_changed(staging / "a.json", b"new", staged=True).changed
    assert (staging / "a.json").read_bytes() == b"new" and published.read_bytes() == b"old"
    fresh = staging / "campaign" / "b.json"
    assert write_if_changed(fresh, b"x", staged=True).changed and fresh.read_bytes() == b"x"
    assert not write_if_changed(fresh, b"x", staged=True).changed  # the same bytes: left as they are
    assert not [p.name for p in staging.rglob("*") if p.name.endswith(".tmp")]
