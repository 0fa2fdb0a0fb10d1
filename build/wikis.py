"""Wiki names: the Dashboard's `wikis` row (language, project) as a domain and a replica dbname.

Pure helpers used by the demo generator and the campaign retention derivation; the queries
build the same domain in SQL, and a test checks that both agree.

`wiki_dbname(language, project)` follows Wikimedia's naming of its databases (the names in
noc.wikimedia.org's all.dblist, one database `<dbname>_p` per wiki on the Wiki Replicas):

1. The language is read case-insensitively and a redirected code is replaced by the code of
   the wiki it redirects to (LANGUAGE_REDIRECTS: `cz` → `cs`, `nb` → `no`, `yue` → `zh-yue`).
2. A few wikis are named by hand (IRREGULAR_DBNAMES: be-tarask's database is still
   `be_x_oldwiki`; Commons, Meta, Species, Incubator are `<name>wiki`; Wikidata is
   `wikidatawiki`; multilingual Wikisource is `sourceswiki`).
3. Every other wiki is its language code, hyphens as underscores, plus `wiki` for Wikipedia
   or the project's name for the others: enwiki, dewiktionary, zh_min_nanwiki, arwikimedia.

A row that no rule names (an unknown project, a missing or malformed language) raises
WikiNameError, whose message names the row; the caller makes it a failure of that wiki alone.
"""

from __future__ import annotations

import re

# The projects of the Dashboard's Wiki::PROJECTS, and MediaWiki.org (www.mediawiki.org).
PROJECTS = (
    "wikipedia",
    "wikibooks",
    "wikidata",
    "wikimedia",
    "wikinews",
    "wikiquote",
    "wikisource",
    "wikiversity",
    "wikivoyage",
    "wiktionary",
    "mediawiki",
)

# Language codes (subdomains) that Wikimedia redirects to another wiki's, so a `wikis` row
# holding one names that other wiki. Sources: pywikibot's WikimediaFamily.code_aliases
# (dk, jp, nb, mo, minnan, nan, zh-cn, zh-tw, be-x-old), Wikimedia's redirect of cz to cs, and
# Meta's "Special language codes" (the subdomain that holds the wiki of language code
# gsw, lzh, nan, rup, sgs, vro, yue). The Dashboard's Wiki::LANGUAGES accepts all of them.
LANGUAGE_REDIRECTS = {
    "cz": "cs",
    "dk": "da",
    "jp": "ja",
    "nb": "no",
    "mo": "ro",
    "be-x-old": "be-tarask",
    "minnan": "zh-min-nan",
    "nan": "zh-min-nan",
    "zh-cn": "zh",
    "zh-tw": "zh",
    "gsw": "als",
    "lzh": "zh-classical",
    "rup": "roa-rup",
    "sgs": "bat-smg",
    "vro": "fiu-vro",
    "yue": "zh-yue",
}

# (language after redirects, project) → dbname, for the wikis the general rule does not name.
# A None language is the Dashboard's multilingual row (www.wikidata.org, wikisource.org).
IRREGULAR_DBNAMES = {
    ("be-tarask", "wikipedia"): "be_x_oldwiki",  # renamed from be-x-old; the database kept its name
    ("commons", "wikimedia"): "commonswiki",
    ("meta", "wikimedia"): "metawiki",
    ("species", "wikimedia"): "specieswiki",
    ("incubator", "wikimedia"): "incubatorwiki",
    ("www", "mediawiki"): "mediawikiwiki",
    ("sources", "wikisource"): "sourceswiki",
    ("www", "wikisource"): "sourceswiki",
    (None, "wikisource"): "sourceswiki",
    (None, "mediawiki"): "mediawikiwiki",
}

# Language codes that stand for a wiki of the Wikimedia family rather than a language: with any
# project they name that wiki (retention.md: "commonswiki for language commons" …).
SPECIAL_LANGUAGES = {"commons": "commonswiki", "meta": "metawiki", "species": "specieswiki"}

LANGUAGE_CODE = re.compile(r"[a-z][a-z0-9]*(?:-[a-z0-9]+)*")


class WikiNameError(ValueError):
    """A `wikis` row that names no replica database; the message names the row and why."""


def wiki_domain(language: str | None, project: str) -> str:
    """As the Dashboard's Wiki#domain: `wiki_domain("en", "wikipedia")` → 'en.wikipedia.org'."""
    if language:
        return f"{language}.{project}.org"
    if project == "wikidata":
        return "www.wikidata.org"
    return f"{project}.org"


def canonical_language(language: str | None) -> str | None:
    """The language code of the wiki a row names: lower case, redirects followed ('CZ' → 'cs');
    None (or blank) stays None. Raises WikiNameError for a code that is not a language code."""
    if language is None or not str(language).strip():
        return None
    code = str(language).strip().lower().replace("_", "-")  # 'nds_nl' is a known misspelling of 'nds-nl'
    if not LANGUAGE_CODE.fullmatch(code) or len(code) > 16:  # wikis.language is a string(16)
        raise WikiNameError(f"language {language!r} is not a language code such as 'en' or 'zh-min-nan'")
    return LANGUAGE_REDIRECTS.get(code, code)


def wiki_dbname(language: str | None, project: str) -> str:
    """The replica database name without `_p`: ("en", "wikipedia") → 'enwiki',
    ("de", "wiktionary") → 'dewiktionary', ("commons", "wikimedia") → 'commonswiki',
    (None, "wikidata") → 'wikidatawiki', ("nb", "wikipedia") → 'nowiki',
    ("zh-min-nan", "wikipedia") → 'zh_min_nanwiki', ("be-tarask", "wikipedia") → 'be_x_oldwiki'.

    Raises WikiNameError (naming the row) when no rule names the wiki."""
    try:
        return _dbname(language, project)
    except WikiNameError as error:
        raise WikiNameError(f"{describe_wiki(language, project)}: {error}") from None


def describe_wiki(language: str | None, project: str | None) -> str:
    """How messages name a `wikis` row: "wikis row (language 'xx', project 'wikipedia')"."""
    return f"wikis row (language {language!r}, project {project!r})"


def _dbname(language: str | None, project: str | None) -> str:
    name = str(project).strip().lower() if project is not None else ""
    if name not in PROJECTS:
        raise WikiNameError(f"unknown project {project!r}; expected one of {', '.join(PROJECTS)}")
    if name == "wikidata":  # one wiki for every language: the Dashboard stores it without one
        return "wikidatawiki"
    code = canonical_language(language)
    if (code, name) in IRREGULAR_DBNAMES:
        return IRREGULAR_DBNAMES[(code, name)]
    if code in SPECIAL_LANGUAGES:
        return SPECIAL_LANGUAGES[code]
    if code is None:
        raise WikiNameError(f"a {name} wiki needs a language (only Wikidata and Wikisource have a multilingual wiki)")
    if name == "mediawiki":
        raise WikiNameError(f"MediaWiki.org has no language editions ({code!r})")
    prefix = code.replace("-", "_")
    return f"{prefix}wiki" if name == "wikipedia" else f"{prefix}{name}"
