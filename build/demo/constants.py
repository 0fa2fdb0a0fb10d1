"""The demo's fixed world: its date range, wikis, program types, hostile strings and the words titles and names
are made of. Constants only; every generator module reads them from here."""

from __future__ import annotations

from pathlib import Path

import numpy as np

DEFAULT_SCALE = 0.02  # ~400 courses, ~8,000 participants, ~100,000 activity rows: a few seconds
DEFAULT_SEED = 7
SCHEMA_DIR = Path(__file__).resolve().parent / "ddl"  # package data: the installed demo needs it too

DATA_START = np.datetime64("2015-01-01", "D")
LAST_START = np.datetime64("2026-10-20", "D")  # the last start of an ordinary (non-future) course
DATA_END = np.datetime64("2026-11-01", "D")  # exclusive: nothing happens on or after this date
END_DAY = int(DATA_END.astype(np.int64))  # the same, as days since 1970-01-01
WIKIPEDIA_LAUNCH = np.datetime64("2001-01-15", "s")

# (id, language, project, weight as a home wiki)
WIKIS: list[tuple[int, str | None, str, float]] = [
    (1, "en", "wikipedia", 0.40),
    (2, "de", "wikipedia", 0.07),
    (3, "fr", "wikipedia", 0.07),
    (4, "ar", "wikipedia", 0.06),
    (5, "ru", "wikipedia", 0.05),
    (6, "zh", "wikipedia", 0.04),
    (7, "hi", "wikipedia", 0.04),
    (8, "es", "wikipedia", 0.07),
    (9, "en", "wiktionary", 0.03),
    (10, "commons", "wikimedia", 0.07),
    (11, None, "wikidata", 0.08),
    (12, "zh-min-nan", "wikipedia", 0.02),
    # Language codes the Dashboard holds whose replica names are irregular (issue 8): Bokmål's wiki is nowiki,
    # Taraškievica's be_x_oldwiki, and `dk` is a redirect to Danish (dawiki). build.wikis.wiki_dbname maps them.
    (13, "nb", "wikipedia", 0.005),
    (14, "be-tarask", "wikipedia", 0.005),
    (15, "dk", "wikipedia", 0.005),
]
COMMONS, WIKIDATA = 10, 11
ORIGINAL_WIKIS = 12  # wikis 1-12 are each the home wiki of one of courses 1-12; 13-15 of courses 33-38

COURSE_TYPES = [
    "Editathon",
    "ClassroomProgramCourse",
    "BasicCourse",
    "ArticleScopedProgram",
    "FellowsCohort",
    "VisitingScholarship",
    "SingleUser",
    "LegacyCourse",
]
TYPE_P = np.array([0.46, 0.12, 0.15, 0.08, 0.04, 0.04, 0.06, 0.05])
DURATION = np.array([[1, 3], [60, 140], [7, 90], [14, 180], [90, 180], [90, 365], [30, 365], [60, 120]])
SCHEDULE_COLUMNS = {
    ("courses", "start"),
    ("courses", "end"),
    ("courses", "timeline_start"),
    ("courses", "timeline_end"),
    ("campaigns", "start"),
    ("campaigns", "end"),
    ("course_wiki_timeslices", "end"),
    ("course_user_wiki_timeslices", "end"),
}
PRIVATE_CAMPAIGN = 5
ONGOING_CAMPAIGN = 6  # undated; created long ago, so programs join it over the years
EMPTY_CAMPAIGN = 7
SPECIAL_CAMPAIGNS = 7

# The as-of test dates (issue 8): every dated table has rows before and on/after each, so a build "as of" either
# date on the full demo can be compared with one on a copy holding only what existed then.
AS_OF_TEST_DATES = (np.datetime64("2025-07-15", "D"), np.datetime64("2026-03-01", "D"))
ONGOING_SINCE = np.datetime64("2021-01-10", "D")  # campaign 6's created_at falls 5-60 days before
# Campaigns 8 and 9 (start, days) are created after the first and after the second test date; campaign 9 ends
# weeks before DATA_END, so its first retention windows are censored.
DATED_CAMPAIGNS = {8: ("2025-09-20", 30), 9: ("2026-08-01", 21)}
# Two of campaign 1's programs (courses 14 and 15) join campaign 6 late: one between the test dates, one after.
LATE_LINKS = {(ONGOING_CAMPAIGN, 13): "2025-09-02T10:00:00", (ONGOING_CAMPAIGN, 14): "2026-04-07T15:30:00"}

HOSTILE_COURSE_TITLES = [
    '<script>alert("x")</script>',
    '=HYPERLINK("http://example.invalid","click")',
    "+1 Edit-a-thon",
    "-20% Gender Gap Workshop",
    "@Wikimedians Meetup",
]
TRAVERSAL_SLUG = "../../etc/passwd"

# Words by home wiki, so titles come in several scripts (Latin with accents, Cyrillic, Arabic, CJK, Devanagari).
EVENTS = {
    1: ["Edit-a-thon", "Women in Red", "Wiki Education course", "Black History Month", "Library workshop"],
    2: ["Schreibwettbewerb", "Wikipedia-Werkstatt", "Edit-a-thon Köln", "Frauen in Rot", "Übungsseminar"],
    3: ["Atelier d'écriture", "Éditathon Québec", "Semaine des sciences", "Wikiconcours"],
    4: ["ماراثون تحرير", "ويكي الجامعة", "مسابقة المقالات"],
    5: ["Вики-марафон", "Семинар по истории", "Неделя науки"],
    6: ["维基百科编辑松", "大学课程", "女性编辑马拉松"],
    7: ["विकिपीडिया कार्यशाला", "संपादन मैराथन", "महिला इतिहास माह"],
    8: ["Editatón", "Curso de Educación", "Mujeres en Rojo", "Semana de la Ciencia"],
    9: ["Wiktionary word drive", "Lexicography class"],
    10: ["Wiki Loves Monuments", "Photo walk", "Wiki Loves Earth"],
    11: ["Wikidata workshop", "Data-a-thon", "Sum of All Paintings"],
    12: ["Bân-lâm-gú Wikipedia workshop", "Tâi-oân edit day"],
    13: ["Skrivekonkurranse", "Wikipedia-kurs i Oslo"],
    14: ["Вікімарафон", "Майстэрня Вікіпэдыі"],
    15: ["Skriveværksted", "Wikipedia-dag i Aarhus"],
}
SCHOOLS = {
    1: ["University of Michigan", "Art+Feminism", "Wikimedia NYC", "Open University"],
    2: ["Wikimedia Deutschland", "Universität Wien", "Technische Universität München"],
    3: ["Université Laval", "Wikimédia France", "Sciences Po"],
    4: ["جامعة القاهرة", "ويكيميديا الشام"],
    5: ["МГУ", "Викимедиа РУ"],
    6: ["北京大学", "维基媒体台湾"],
    7: ["दिल्ली विश्वविद्यालय", "विकिमीडिया भारत"],
    8: ["Universidad de Chile", "Wikimedia España"],
    9: ["Lexicon Club"],
    10: ["Wiki Loves Monuments team", "Photo Society"],
    11: ["Wikidata Community", "Open Data Lab"],
    12: ["Tâi-oân Tāi-ha̍k"],
    13: ["Wikimedia Norge", "Universitetet i Oslo"],
    14: ["Вікімэдыя Беларусь"],
    15: ["Wikimedia Danmark", "Aarhus Universitet"],
}
CAMPAIGN_THEMES = [
    "Wiki Loves Monuments",
    "Art+Feminism",
    "WikiGap",
    "1Lib1Ref",
    "Women in Red",
    "Wikipedia Asian Month",
    "Éditathon Québec",
    "Educación con Wikipedia",
    "Вики-весна",
    "ويكي تحدي",
    "维基百科亚洲月",
    "विकि लव्स महिला",
    "Wikidata Zürich",
    "Semaine de l'Afrique",
]
USER_STEMS = [
    "Alice",
    "Bob Smith",
    "Chloé",
    "Dmitri",
    "Élodie",
    "José María",
    "Zoë",
    "Søren",
    "Jürgen",
    "Анна",
    "Иван Петров",
    "محمد",
    "فاطمة",
    "李华",
    "王芳",
    "राहुल",
    "प्रिया",
    "Ngozi",
    "Kwame",
    "Łukasz",
    "Wiki-Fan",
    "Librarian",
    "Student",
    "Editor",
]
