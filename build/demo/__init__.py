"""The embedded demo database: a deterministic, Dashboard-shaped dataset and small wiki replica (vectorised numpy),
with the real DDL of build/demo/ddl/*.sql, written to DuckDB or MySQL/MariaDB (`python build.py demo`).

Modules, by what they make: constants (the fixed world), schema (the DDL), frames (Demo, the shared State,
helpers), programs (campaigns, courses, their links), people (enrolments, users), activity (timeslices),
articles (articles, uploads), caches (the courses and courses_users caches, tags), replica (the wiki replica),
generator (the stages in order), targets (where the demo may write: never over someone's data), writers
(DuckDB and MySQL).

For query authors -- what the demo contains (all fixed, never relative to today's date):

- Dates run from 2015-01-01 to 2026-10-31. Nothing (activity, edit, upload, registration, row timestamp) is dated
  on or after DATA_END = 2026-11-01 except schedules: a few courses end, and one or more start, later.
  `--as-of 2026-11-01` sees every row, with complete and censored retention cells. Cached course metrics
  (view_sum, recent_revision_count) are computed as of DATA_END.
- Wikis (WIKIS): en/de/fr/ar/ru/zh/hi/es/zh-min-nan Wikipedia, English Wiktionary, Commons (language 'commons',
  project 'wikimedia') and Wikidata (language NULL); each is a replica database <dbname>_p, named by
  build.wikis.wiki_dbname. Three have language codes whose database names are irregular: nb (Bokmål: nowiki),
  be-tarask (be_x_oldwiki) and dk (a redirect to Danish: dawiki); courses 33-38 are at home there.
- What is dated how (for --as-of cuts; the tests cut at 2025-07-15 and 2026-03-01, and every table below has rows
  before and on/after both dates at every scale):
  campaigns.created_at 5-60 days before the campaign starts (the undated campaign 6 around New Year 2021; campaign 8 is
  created after 2025-07-15, campaign 9 after 2026-03-01, three public programs each);
  courses.created_at 1-60 days before the program starts; courses_users.created_at (an enrolment) up to 10 days
  before the start, never before the course's created_at nor before the user registered;
  campaigns_courses.created_at within a day after both the course and the campaign exist, except two late links:
  courses 14 and 15 (campaign 1) join campaign 6 on 2025-09-02 and 2026-04-07; campaigns_users with the campaign;
  users.registered_at (the wiki account; NULL for some) before, during or after the first program, and
  users.created_at (the Dashboard account) after it; articles.created_at the first course edit of the article,
  articles_courses.first_revision that course's first edit; commons_uploads.uploaded_at during the program
  (some before it); timeslices by their `start` day; replica revisions by rev_timestamp ('YYYYMMDDHHMMSS').
  Undated: the cached per-course totals in courses (character_sum, view_sum, ...), computed as of DATA_END.
- Private courses have titles and slugs containing "PRIVATE-" and a 6-digit number; the campaign whose courses
  are all private is "PRIVATE-CAMPAIGN-000005 Closed cohort" (slug "private-campaign-000005_closed_cohort").
  private_markers(demo) lists them all.
- Secret columns (users.email, real_name, wiki_token, wiki_secret, remember_token, chat_password,
  courses.passcode, campaigns.default_passcode, courses_users.real_name) all start with "SECRET-".
- Fixed campaign ids: 1 "Café Edit" and 2 "cafe edit" (differ by case and accent only), 3 titled
  <script>alert("x")</script>, 4 with slug ../../etc/passwd, 5 all-private, 6 undated (NULL start and end),
  7 without any course, 8 and 9 created after the test dates. Courses 1-8 have each type; 9-13 hostile titles
  (course 9's slug is ../../etc/passwd); 14-31 three each in campaigns 1-6; 33-38 three each in campaigns 8-9.
"""

from __future__ import annotations

from ..wikis import wiki_domain
from .constants import DATA_END, DATA_START, DEFAULT_SCALE, DEFAULT_SEED, WIKIS
from .frames import Demo
from .generator import generate, private_markers
from .schema import create_schema, ddl_columns, duckdb_ddl
from .targets import DEFAULT_DASHBOARD_URL, DEFAULT_REPLICA_URL, MARKER_TABLE, DemoTargetError
from .writers import write_demo

# Convenience for the command line and the wikis dataset: the demo's wiki domains.
DEMO_DOMAINS = {w[0]: wiki_domain(w[1], w[2]) for w in WIKIS}

__all__ = [
    "DATA_END",
    "DEFAULT_DASHBOARD_URL",
    "DEFAULT_REPLICA_URL",
    "MARKER_TABLE",
    "DemoTargetError",
    "DATA_START",
    "DEFAULT_SCALE",
    "DEFAULT_SEED",
    "DEMO_DOMAINS",
    "WIKIS",
    "Demo",
    "create_schema",
    "ddl_columns",
    "duckdb_ddl",
    "generate",
    "private_markers",
    "write_demo",
]
