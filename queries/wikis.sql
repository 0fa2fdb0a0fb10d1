/*
title = "Home wikis"
description = "Nonprivate programs created before the as-of date, grouped by their home wiki, with the wiki's domain as the Dashboard builds it. People count from enrolments made before the as-of date."
sort = ["wiki"]

[columns]
wiki = { type = "string", description = "Domain of the home wiki, e.g. en.wikipedia.org." }
language = { type = "string", description = "Language code of the wiki (empty for Wikidata)." }
project = { type = "string", description = "Project, e.g. wikipedia, wiktionary, wikimedia, wikidata." }
programs = { type = "integer", description = "Nonprivate programs with this home wiki.", unit = "programs" }
participants = { type = "integer", description = "Distinct participants of those programs.", unit = "people" }
edits = { type = "integer", description = "Sum of those programs' edit counts (Dashboard cache revision_count; undated: the Dashboard's current cached total, not cut at the as-of date).", unit = "edits" }
articles_created = { type = "integer", description = "Sum of those programs' articles created (new_article_count; undated: the Dashboard's current cached total, not cut at the as-of date).", unit = "articles" }
*/
WITH programs AS (
  SELECT home_wiki_id,
         COUNT(*) AS programs,
         COALESCE(SUM(revision_count), 0) AS edits,
         COALESCE(SUM(new_article_count), 0) AS articles_created
  FROM courses
  WHERE private = 0 AND (created_at IS NULL OR created_at < CAST(:as_of AS DATE))
  GROUP BY home_wiki_id
),
people AS (
  SELECT c.home_wiki_id, COUNT(DISTINCT cu.user_id) AS participants
  FROM courses_users AS cu
  JOIN courses AS c ON c.id = cu.course_id AND c.private = 0 AND (c.created_at IS NULL OR c.created_at < CAST(:as_of AS DATE))
  WHERE cu.role = 0
    AND (cu.created_at IS NULL OR cu.created_at < CAST(:as_of AS DATE))
  GROUP BY c.home_wiki_id
)
SELECT
  CASE
    WHEN w.language IS NOT NULL AND w.language <> '' THEN CONCAT(w.language, '.', w.project, '.org')
    WHEN w.project = 'wikidata' THEN 'www.wikidata.org'
    ELSE CONCAT(w.project, '.org')
  END AS wiki,
  w.language,
  w.project,
  p.programs,
  COALESCE(pe.participants, 0) AS participants,
  p.edits,
  p.articles_created
FROM programs AS p
JOIN wikis AS w ON w.id = p.home_wiki_id
LEFT JOIN people AS pe ON pe.home_wiki_id = p.home_wiki_id
