"""Wiki names: the Dashboard's `wikis` row (language, project) as a domain and a replica dbname.

Pure helpers used by the demo generator and the campaign retention derivation; the queries
build the same domain in SQL, and a test checks that both agree.
"""

from __future__ import annotations

SPECIAL_DBNAMES = {"commons": "commonswiki", "meta": "metawiki", "species": "specieswiki"}
# Wikis whose database name does not follow the language + project rule.
IRREGULAR_DBNAMES = {
    ("be-tarask", "wikipedia"): "be_x_oldwiki",
    ("incubator", "wikimedia"): "incubatorwiki",
    ("www", "mediawiki"): "mediawikiwiki",
    ("sources", "wikisource"): "sourceswiki",
}


def wiki_domain(language: str | None, project: str) -> str:
    """As the Dashboard's Wiki#domain: `wiki_domain("en", "wikipedia")` → 'en.wikipedia.org'."""
    if language:
        return f"{language}.{project}.org"
    if project == "wikidata":
        return "www.wikidata.org"
    return f"{project}.org"


def wiki_dbname(language: str | None, project: str) -> str:
    """The replica database name without `_p`: ("en", "wikipedia") → 'enwiki',
    ("de", "wiktionary") → 'dewiktionary', ("commons", "wikimedia") → 'commonswiki',
    (None, "wikidata") → 'wikidatawiki'. Hyphens in a language code become underscores,
    as in MediaWiki's own names ("zh-min-nan" → 'zh_min_nanwiki')."""
    if project == "wikidata":
        return "wikidatawiki"
    if (language, project) in IRREGULAR_DBNAMES:
        return IRREGULAR_DBNAMES[(language, project)]
    if language in SPECIAL_DBNAMES:
        return SPECIAL_DBNAMES[language]
    if not language:
        return "sourceswiki" if project == "wikisource" else f"{project}wiki"
    code = language.replace("-", "_")
    return f"{code}wiki" if project == "wikipedia" else f"{code}{project}"
