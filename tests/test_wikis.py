"""Wiki rows as domains and replica database names (table-driven), and one failing wiki failing only itself:
the campaigns that need it keep their last published rows, marked stale; every other campaign is fresh."""

import json
import re
import secrets
import shutil
from pathlib import Path

import pandas as pd
import pytest

from build.dashboard.cohorts import (
    CAMPAIGN_RETENTION,
    campaign_needs,
    edit_targets,
    keep_last_published_campaigns,
    unmapped_wikis,
)
from build.datasets import Dataset
from build.wikis import WikiNameError, canonical_language, wiki_dbname, wiki_domain
from tests.conftest import ROOT, run_build
from tests.fixtures.traps import AS_OF, REPLICA, load_fixture


@pytest.mark.parametrize(
    ("language", "project", "domain", "dbname"),
    [
        ("en", "wikipedia", "en.wikipedia.org", "enwiki"),
        ("de", "wiktionary", "de.wiktionary.org", "dewiktionary"),
        ("fr", "wikisource", "fr.wikisource.org", "frwikisource"),
        ("commons", "wikimedia", "commons.wikimedia.org", "commonswiki"),
        ("meta", "wikimedia", "meta.wikimedia.org", "metawiki"),
        ("species", "wikimedia", "species.wikimedia.org", "specieswiki"),
        (None, "wikidata", "www.wikidata.org", "wikidatawiki"),
        (None, "wikisource", "wikisource.org", "sourceswiki"),
        ("zh-min-nan", "wikipedia", "zh-min-nan.wikipedia.org", "zh_min_nanwiki"),
        ("be-tarask", "wikipedia", "be-tarask.wikipedia.org", "be_x_oldwiki"),
        ("incubator", "wikimedia", "incubator.wikimedia.org", "incubatorwiki"),
    ],
)
def test_domain_and_dbname(language, project, domain, dbname):
    assert wiki_domain(language, project) == domain
    assert wiki_dbname(language, project) == dbname


@pytest.mark.parametrize(
    ("language", "project", "dbname"),
    [
        # language + "wiki" for Wikipedia, language + project for the others
        ("en", "wikipedia", "enwiki"),
        ("simple", "wikipedia", "simplewiki"),
        ("de", "wiktionary", "dewiktionary"),
        ("fr", "wikisource", "frwikisource"),
        ("it", "wikiquote", "itwikiquote"),
        ("pt", "wikibooks", "ptwikibooks"),
        ("sv", "wikinews", "svwikinews"),
        ("es", "wikiversity", "eswikiversity"),
        ("uk", "wikivoyage", "ukwikivoyage"),
        ("ar", "wikimedia", "arwikimedia"),  # a chapter wiki, ar.wikimedia.org
        # hyphens become underscores
        ("zh-min-nan", "wikipedia", "zh_min_nanwiki"),
        ("zh-min-nan", "wikisource", "zh_min_nanwikisource"),
        ("zh-classical", "wikipedia", "zh_classicalwiki"),
        ("zh-yue", "wikipedia", "zh_yuewiki"),
        ("roa-rup", "wikipedia", "roa_rupwiki"),
        ("roa-rup", "wiktionary", "roa_rupwiktionary"),
        ("bat-smg", "wikipedia", "bat_smgwiki"),
        ("fiu-vro", "wikipedia", "fiu_vrowiki"),
        ("map-bms", "wikipedia", "map_bmswiki"),
        ("nds-nl", "wikipedia", "nds_nlwiki"),
        ("cbk-zam", "wikipedia", "cbk_zamwiki"),
        ("roa-tara", "wikipedia", "roa_tarawiki"),
        # irregular database names
        ("be-tarask", "wikipedia", "be_x_oldwiki"),
        ("commons", "wikimedia", "commonswiki"),
        ("meta", "wikimedia", "metawiki"),
        ("species", "wikimedia", "specieswiki"),
        ("incubator", "wikimedia", "incubatorwiki"),
        ("www", "mediawiki", "mediawikiwiki"),
        ("sources", "wikisource", "sourceswiki"),
        ("www", "wikisource", "sourceswiki"),
        (None, "wikisource", "sourceswiki"),
        (None, "wikidata", "wikidatawiki"),
        ("www", "wikidata", "wikidatawiki"),
        # language codes that redirect to another wiki's
        ("nb", "wikipedia", "nowiki"),
        ("no", "wikipedia", "nowiki"),
        ("nb", "wiktionary", "nowiktionary"),
        ("cz", "wikipedia", "cswiki"),
        ("dk", "wikipedia", "dawiki"),
        ("dk", "wiktionary", "dawiktionary"),
        ("jp", "wikipedia", "jawiki"),
        ("mo", "wikipedia", "rowiki"),
        ("be-x-old", "wikipedia", "be_x_oldwiki"),
        ("minnan", "wikipedia", "zh_min_nanwiki"),
        ("nan", "wikipedia", "zh_min_nanwiki"),
        ("zh-cn", "wikipedia", "zhwiki"),
        ("zh-tw", "wikipedia", "zhwiki"),
        ("gsw", "wikipedia", "alswiki"),
        ("lzh", "wikipedia", "zh_classicalwiki"),
        ("rup", "wikipedia", "roa_rupwiki"),
        ("sgs", "wikipedia", "bat_smgwiki"),
        ("vro", "wikipedia", "fiu_vrowiki"),
        ("yue", "wikipedia", "zh_yuewiki"),
        # spelled loosely: case, spaces, an underscore for a hyphen
        ("EN", "Wikipedia", "enwiki"),
        (" de ", "wikipedia", "dewiki"),
        ("CZ", "wikipedia", "cswiki"),
        ("nds_nl", "wikipedia", "nds_nlwiki"),
    ],
)
def test_dbname(language, project, dbname):
    assert wiki_dbname(language, project) == dbname


@pytest.mark.parametrize(
    ("language", "project", "reason"),
    [
        ("en", "wikiflix", "unknown project 'wikiflix'"),
        ("en", None, "unknown project None"),
        ("en", "", "unknown project ''"),
        (None, "wikipedia", "needs a language"),
        ("", "wikipedia", "needs a language"),
        ("  ", "wiktionary", "needs a language"),
        (None, "wikimedia", "needs a language"),
        ("e n", "wikipedia", "is not a language code"),
        ("en.wikipedia", "wikipedia", "is not a language code"),
        ("1en", "wikipedia", "is not a language code"),
        ("en-", "wikipedia", "is not a language code"),
        ("zh--min", "wikipedia", "is not a language code"),
        ("énglish", "wikipedia", "is not a language code"),
        ("a-very-long-language-code", "wikipedia", "is not a language code"),
        ("de", "mediawiki", "no language editions"),
    ],
)
def test_a_row_that_names_no_wiki_is_an_error_naming_the_row(language, project, reason):
    with pytest.raises(WikiNameError) as raised:
        wiki_dbname(language, project)
    message = str(raised.value)
    assert message.startswith(f"wikis row (language {language!r}, project {project!r}): ")
    assert reason in message and "\n" not in message


@pytest.mark.parametrize(
    ("language", "canonical"),
    [("cz", "cs"), ("nb", "no"), ("be-x-old", "be-tarask"), ("yue", "zh-yue"), ("EN", "en"), (None, None), ("", None)],
)
def test_canonical_language_follows_redirects(language, canonical):
    assert canonical_language(language) == canonical


def test_every_name_is_a_valid_replica_database_name():
    from build.urls import DBNAME
    from build.wikis import IRREGULAR_DBNAMES, LANGUAGE_REDIRECTS, PROJECTS

    projects = [project for project in PROJECTS if project != "mediawiki"]
    names = {wiki_dbname(code, project) for code in LANGUAGE_REDIRECTS for project in projects}
    names |= set(IRREGULAR_DBNAMES.values())
    assert all(DBNAME.fullmatch(name) for name in names), sorted(n for n in names if not DBNAME.fullmatch(n))


# --- one wiki that cannot be read makes stale only the campaigns that need it ----------------------------------

CAMPAIGNS = pd.DataFrame({"campaign": ["alpha", "beta", "gamma"], "campaign_id": [1, 2, 3]})
NEW_EDITORS = pd.DataFrame(
    [(1, 1, "Ann"), (2, 1, "Ann"), (2, 2, "Bo"), (3, 3, None)], columns=["campaign_id", "user_id", "username"]
)
HOMES = pd.DataFrame(
    {
        "campaign_id": [1, 2, 2, 3],
        "language": ["en", "nb", "xx!", "de"],
        "project": ["wikipedia", "wikipedia", "wikipedia", "wikipedia"],
    }
)
F = False
UNMAPPED = "wikis row (language 'xx!', project 'wikipedia')"


def test_a_row_no_rule_maps_is_a_wiki_of_its_own_that_is_never_asked():
    assert edit_targets(NEW_EDITORS, HOMES, []) == {"enwiki": ["Ann"], "nowiki": ["Ann", "Bo"]}
    assert list(unmapped_wikis(HOMES, [])) == [UNMAPPED]
    assert "is not a language code" in unmapped_wikis(HOMES, [])[UNMAPPED]
    # gamma's only new editor has no username: no replica can change its numbers, so it needs none
    assert campaign_needs(CAMPAIGNS, NEW_EDITORS, HOMES, []) == {"alpha": {"enwiki"}, "beta": {"nowiki", UNMAPPED}}
    assert campaign_needs(CAMPAIGNS, NEW_EDITORS, HOMES, ["dewiki"]) == {"alpha": {"dewiki"}, "beta": {"dewiki"}}


def retention_dataset(rows: list[tuple]) -> Dataset:
    columns = ["campaign", "campaign_end", "months_after", "new_editors", "retained", "retention", "suppressed"]
    frame = pd.DataFrame(rows, columns=columns).assign(stale=False, stale_wikis=None)
    return CAMPAIGN_RETENTION.with_frame(frame)


FRESH = retention_dataset([("alpha", "2025-01-31", 1, 9, 3, 1 / 3, False), ("beta", "2025-02-28", 1, 7, 7, 1, False)])
PREVIOUS = retention_dataset([("beta", "2025-02-28", 1, 7, 2, 2 / 7, False), ("old", "2020-01-31", 1, 5, 1, 0.2, F)])


def test_campaigns_that_need_a_failed_wiki_keep_their_last_published_rows_marked_stale():
    failed = {"nowiki": "no schema nowiki_p"}
    needs = {"alpha": {"enwiki"}, "beta": {"nowiki", "enwiki"}}
    dataset, stale = keep_last_published_campaigns(FRESH, PREVIOUS, needs, failed)
    assert dataset.stale and stale.kept == {"beta": ["nowiki"]} and stale.left_out == {}
    assert dataset.records() == [
        {**FRESH.records()[0]},  # alpha: fresh
        {**PREVIOUS.records()[0], "stale": True, "stale_wikis": "nowiki"},  # beta: as last published, not 7 / 7
    ]
    message = stale.describe(failed)
    assert "nowiki: no schema nowiki_p" in message and "marked stale: beta" in message and "alpha" not in message


def test_a_campaign_never_published_before_is_left_out_and_named():
    failed = {"enwiki": "timeout", UNMAPPED: "not a language code"}
    needs = {"alpha": {"enwiki"}, "beta": {UNMAPPED}}
    dataset, stale = keep_last_published_campaigns(FRESH, None, needs, failed)
    assert dataset.stale and dataset.records() == []
    assert stale.left_out == {"alpha": ["enwiki"], "beta": [UNMAPPED]}
    assert "left out, never published before: alpha, beta" in stale.describe(failed)


def test_no_campaign_needs_the_failed_wiki_nothing_is_stale():
    dataset, stale = keep_last_published_campaigns(FRESH, PREVIOUS, {"alpha": {"enwiki"}}, {"frwiki": "down"})
    assert dataset is FRESH and not dataset.stale and not stale


# --- end to end: the traps fixture with one wiki's replica database missing (DuckDB) ---------------------------

LATER = "2025-09-01"  # spring-edit's k3 window (07-31 .. 08-29) has closed: a fresh build measures it


def build(out: Path, as_of: str, dashboard: Path, replica_url: str, config: Path | None = None):
    arguments = ["--as-of", as_of, "--out", str(out), "--source", f"dashboard=duckdb:///{dashboard}"]
    arguments += ["--source", f"replica={replica_url}"]
    if config is not None:
        arguments[:0] = ["--config", str(config)]
    result = run_build(*arguments)
    assert result.returncode in (0, 1), f"exit {result.returncode}\n{result.stderr[-6000:]}"
    return result


def published(site: Path, name: str = "campaign_retention") -> list[dict]:
    return json.loads((site / "data" / "v1" / f"{name}.json").read_text(encoding="utf-8"))


def of(rows: list[dict], campaign: str) -> list[dict]:
    return [row for row in rows if row["campaign"] == campaign]


def data_files(site: Path) -> dict[str, bytes]:
    """Every data file (each campaign's own files too) by its path under data/v1, datapackage.json aside."""
    folder = site / "data" / "v1"
    files = sorted(p for p in folder.rglob("*") if p.is_file() and p.name != "datapackage.json")
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in files}


@pytest.fixture(scope="module")
def traps(tmp_path_factory):
    """The traps fixture: dashboard, full replica, a replica without dewiki_p, and a site built on 2025-07-15."""
    import duckdb

    folder = tmp_path_factory.mktemp("wikis")
    dashboard, replica = folder / "dashboard.duckdb", folder / "replica.duckdb"
    load_fixture(dashboard, replica)
    no_dewiki = folder / "replica-no-dewiki.duckdb"
    shutil.copy(replica, no_dewiki)
    connection = duckdb.connect(str(no_dewiki))
    connection.execute("DROP SCHEMA dewiki_p CASCADE")
    connection.close()
    previous = folder / "previous"
    assert build(previous, AS_OF, dashboard, f"duckdb:///{replica}").returncode == 0
    reference = folder / "reference"
    assert build(reference, LATER, dashboard, f"duckdb:///{replica}").returncode == 0
    return {
        "folder": folder,
        "dashboard": dashboard,
        "no_dewiki": no_dewiki,
        "previous": previous,
        "reference": reference,
    }


def test_the_premise_spring_edit_has_other_numbers_when_measured_later(traps):
    before, after = of(published(traps["previous"]), "spring-edit"), of(published(traps["reference"]), "spring-edit")
    assert before[1]["retained"] is None and after[1]["retained"] is not None  # k3: censored, then measured
    assert all(row["stale"] is False and row["stale_wikis"] is None for row in before + after)


def test_a_missing_replica_database_makes_stale_only_the_campaign_that_needs_it(traps):
    site = traps["folder"] / "missing-dewiki"
    shutil.copytree(traps["previous"], site)
    result = build(site, LATER, traps["dashboard"], f"duckdb:///{traps['no_dewiki']}")
    assert result.returncode == 1, result.stderr[-3000:]
    rows, reference = published(site), published(traps["reference"])
    for campaign in ("winter-drive", "tiny-meetup"):  # enwiki, commonswiki: fresh, as if nothing had failed
        assert of(rows, campaign) == of(reference, campaign)
    kept = [{**row, "stale": True, "stale_wikis": "dewiki"} for row in of(published(traps["previous"]), "spring-edit")]
    assert of(rows, "spring-edit") == kept  # needs dewiki: its rows as published on 2025-07-15
    csv_text = (site / "data" / "v1" / "campaign_retention.csv").read_text(encoding="utf-8")
    assert "\nspring-edit,2025-05-31,1,8,3,0.375000,false,true,dewiki\n" in csv_text
    others = {name: content for name, content in data_files(site).items() if "campaign_retention" not in name}
    assert others == {n: c for n, c in data_files(traps["reference"]).items() if n in others}
    retention_files = [n for n in data_files(traps["reference"]) if "campaign_retention" in n]
    assert len(retention_files) >= 2 and len(others) == len(data_files(traps["reference"])) - len(retention_files)

    status = json.loads((site / "status.json").read_text(encoding="utf-8"))
    assert status["exit_code"] == 1
    entries = {d["name"]: d for d in status["datasets"]}
    assert {name for name, d in entries.items() if d["status"] != "fresh"} == {"campaign_retention"}
    error = entries["campaign_retention"]["error"]
    assert "dewiki" in error and "marked stale: spring-edit" in error and "winter-drive" not in error
    replica = next(source for source in status["sources"] if source["name"] == "replica")
    assert replica["failed_wikis"] == ["dewiki"]
    assert replica["wikis"]["dewiki"]["status"] == "down" and replica["wikis"]["dewiki"]["needed_by"] == ["spring-edit"]
    assert replica["wikis"]["enwiki"]["status"] == "ok" and "campaigns" not in replica["wikis"]["enwiki"]


def test_a_campaign_never_published_is_left_out_and_named(traps):
    site = traps["folder"] / "first-build-missing-dewiki"
    result = build(site, LATER, traps["dashboard"], f"duckdb:///{traps['no_dewiki']}")
    assert result.returncode == 1, result.stderr[-3000:]
    rows, reference = published(site), published(traps["reference"])
    assert rows == [row for row in reference if row["campaign"] != "spring-edit"]
    status = json.loads((site / "status.json").read_text(encoding="utf-8"))
    error = next(d["error"] for d in status["datasets"] if d["name"] == "campaign_retention")
    assert "left out, never published before: spring-edit" in error


# --- the same on a real MariaDB replica: one {dbname}_p missing, another wiki past its time limit -------------


@pytest.fixture
def mariadb_replica(mariadb_server):
    """The traps replica as MariaDB databases <prefix><dbname>_p, without dewiki_p, and with commonswiki's
    revision_userindex so slow (SLEEP per row) that every statement on it passes a 1-second time limit."""
    import pymysql

    prefix = f"almanac_t_{secrets.token_hex(3)}_"
    made = []
    connection = pymysql.connect(autocommit=True, charset="utf8mb4", **mariadb_server)
    try:
        with connection.cursor() as cursor:
            for dbname, tables in REPLICA.items():
                if dbname == "dewiki":
                    continue
                database = f"{prefix}{dbname}_p"
                cursor.execute(f"CREATE DATABASE `{database}`")
                made.append(database)
                cursor.execute(f"USE `{database}`")
                for statement in replica_ddl():
                    cursor.execute(statement)
                for table, rows in tables.items():
                    for row in rows:
                        marks = ", ".join(["%s"] * len(row))
                        cursor.execute(f"INSERT INTO {table} ({', '.join(row)}) VALUES ({marks})", list(row.values()))
            cursor.execute(
                f"CREATE OR REPLACE VIEW `{prefix}commonswiki_p`.revision_userindex AS "
                f"SELECT * FROM `{prefix}commonswiki_p`.revision WHERE SLEEP(2) = 0"
            )
        yield prefix
    finally:
        with connection.cursor() as cursor:
            for database in made:
                cursor.execute(f"DROP DATABASE IF EXISTS `{database}`")
        connection.close()


def replica_ddl() -> list[str]:
    text = (ROOT / "build" / "demo" / "ddl" / "replica.sql").read_text(encoding="utf-8")
    text = "\n".join(line for line in text.splitlines() if not line.startswith("--"))
    return [statement.strip() for statement in text.split(";") if statement.strip()]


@pytest.mark.mariadb
def test_on_mariadb_a_missing_database_and_a_timeout_make_stale_only_their_campaigns(traps, mariadb_replica):
    site = traps["folder"] / "mariadb"
    shutil.copytree(traps["previous"], site)
    config = traps["folder"] / "mariadb.toml"
    config.write_text(f'[build]\nqueries = "{(ROOT / "queries").as_posix()}"\nquery_timeout = 1\n', encoding="utf-8")
    replica_url = f"mysql://root@127.0.0.1:3306/{mariadb_replica}{{dbname}}_p"
    result = build(site, LATER, traps["dashboard"], replica_url, config=config)
    assert result.returncode == 1, result.stderr[-3000:]
    rows, previous = published(site), published(traps["previous"])
    assert of(rows, "winter-drive") == of(published(traps["reference"]), "winter-drive")  # enwiki answered
    for campaign, wiki in (("spring-edit", "dewiki"), ("tiny-meetup", "commonswiki")):
        assert of(rows, campaign) == [{**row, "stale": True, "stale_wikis": wiki} for row in of(previous, campaign)]

    status = json.loads((site / "status.json").read_text(encoding="utf-8"))
    error = next(d["error"] for d in status["datasets"] if d["name"] == "campaign_retention")
    assert "marked stale: spring-edit, tiny-meetup" in error and "winter-drive" not in error
    wikis = next(source for source in status["sources"] if source["name"] == "replica")["wikis"]
    assert wikis["dewiki"]["status"] == "down" and wikis["dewiki"]["error"].startswith("source unreachable")
    assert wikis["commonswiki"]["status"] == "failed" and wikis["commonswiki"]["error"].startswith("timed out")

    def full_error(public: str) -> str:  # the server's words stay in the state folder, by error id
        error_id = re.search(r"\[error ([0-9a-f]+)\]", public).group(1)
        return (traps["folder"] / ".almanac" / "errors" / f"{error_id}.txt").read_text(encoding="utf-8")

    assert "(1049)" in full_error(wikis["dewiki"]["error"])  # unknown database
    assert "query_timeout" in full_error(wikis["commonswiki"]["error"])
    assert wikis["commonswiki"]["needed_by"] == ["tiny-meetup"] and wikis["enwiki"]["status"] == "ok"
