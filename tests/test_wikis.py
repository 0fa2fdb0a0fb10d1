"""Wiki rows as domains and replica database names, table-driven."""

import pytest

from build.wikis import WikiNameError, canonical_language, wiki_dbname, wiki_domain


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
    from build.sources import DBNAME
    from build.wikis import IRREGULAR_DBNAMES, LANGUAGE_REDIRECTS, PROJECTS

    projects = [project for project in PROJECTS if project != "mediawiki"]
    names = {wiki_dbname(code, project) for code in LANGUAGE_REDIRECTS for project in projects}
    names |= set(IRREGULAR_DBNAMES.values())
    assert all(DBNAME.fullmatch(name) for name in names), sorted(n for n in names if not DBNAME.fullmatch(n))
