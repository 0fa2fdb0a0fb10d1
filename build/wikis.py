"""Wiki names: the Dashboard's `wikis` row (language, project) as a domain and a replica dbname.

Pure helpers shared by the demo generator, the retention derivation and the wikis dataset.
"""

from __future__ import annotations

SPECIAL_DBNAMES = {"commons": "commonswiki", "meta": "metawiki", "species": "specieswiki"}


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
    if language in SPECIAL_DBNAMES:
        return SPECIAL_DBNAMES[language]
    if not language:
        return "sourceswiki" if project == "wikisource" else f"{project}wiki"
    code = language.replace("-", "_")
    return f"{code}wiki" if project == "wikipedia" else f"{code}{project}"
