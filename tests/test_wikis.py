"""Wiki rows as domains and replica database names, table-driven."""

import pytest

from build.wikis import wiki_dbname, wiki_domain


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
