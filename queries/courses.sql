/*
title = "Programs"
description = "Every nonprivate program (course) created before the as-of date, with the Dashboard course CSV's column names where they apply. People count from enrolments made before the as-of date; the cached totals are undated. Secret and personal columns are never read."
sort = ["course_slug", "course_id"]

[columns]
course_slug = { type = "string", description = "The program's Dashboard slug (institution/title)." }
course_id = { type = "integer", description = "The program's Dashboard id." }
title = { type = "string", description = "Title." }
institution = { type = "string", description = "Institution (the Dashboard's school field)." }
term = { type = "string", description = "Term." }
type = { type = "string", description = "Program type, e.g. Editathon, ClassroomProgramCourse." }
home_wiki = { type = "string", description = "Home wiki domain, e.g. en.wikipedia.org." }
created_at = { type = "date", description = "Date the program was created on the Dashboard." }
start_date = { type = "date", description = "Start date." }
end_date = { type = "date", description = "End date." }
withdrawn = { type = "boolean", description = "Whether the program was withdrawn (counted like any other)." }
editors = { type = "integer", description = "Distinct participants (role 0) enrolled before the as-of date.", unit = "people" }
new_editors = { type = "integer", description = "Distinct participants whose account registration date lies within the program's start and end dates (accounts registered, and known to the Dashboard, before the as-of date).", unit = "people" }
articles_edited = { type = "integer", description = "Articles edited (Dashboard cache article_count; undated: the Dashboard's current cached total, not cut at the as-of date).", unit = "articles" }
articles_created = { type = "integer", description = "Articles created (Dashboard cache new_article_count; undated: the Dashboard's current cached total, not cut at the as-of date).", unit = "articles" }
bytes_added = { type = "integer", description = "Characters added to mainspace (Dashboard cache character_sum; undated: the Dashboard's current cached total, not cut at the as-of date).", unit = "bytes" }
references_added = { type = "integer", description = "References added (Dashboard cache references_count; undated: the Dashboard's current cached total, not cut at the as-of date).", unit = "references" }
total_edits = { type = "integer", description = "Edits (Dashboard cache revision_count; undated: the Dashboard's current cached total, not cut at the as-of date).", unit = "edits" }
article_views = { type = "integer", description = "Estimated views of the articles edited (Dashboard cache view_sum; undated: the Dashboard's current cached total, not cut at the as-of date).", unit = "views" }
upload_count = { type = "integer", description = "Commons uploads during the program (Dashboard cache upload_count; undated: the Dashboard's current cached total, not cut at the as-of date).", unit = "files" }
uploads_used_in_articles = { type = "integer", description = "Uploads in use in articles (Dashboard cache uploads_in_use_count; undated: the Dashboard's current cached total, not cut at the as-of date).", unit = "files" }
upload_usage_count_across_all_wikis = { type = "integer", description = "Total uses of the uploads across all wikis (Dashboard cache upload_usages_count; undated: the Dashboard's current cached total, not cut at the as-of date).", unit = "uses" }
training_completion_rate = { type = "number", description = "trained_count / user_count as the Dashboard computes it; empty when the program has no participants (undated: the Dashboard's current cached total, not cut at the as-of date).", unit = "fraction" }
*/
WITH people AS (
  SELECT cu.course_id,
         COUNT(DISTINCT cu.user_id) AS editors,
         COUNT(DISTINCT CASE
           WHEN DATE(u.registered_at) >= DATE(c.start)
            AND DATE(u.registered_at) <= DATE(c.`end`)
            AND DATE(u.registered_at) < CAST(:as_of AS DATE)
            AND (u.created_at IS NULL OR u.created_at < CAST(:as_of AS DATE))
           THEN cu.user_id END) AS new_editors
  FROM courses_users AS cu
  JOIN courses AS c ON c.id = cu.course_id AND c.private = 0
  LEFT JOIN users AS u ON u.id = cu.user_id
  WHERE cu.role = 0
    AND (cu.created_at IS NULL OR cu.created_at < CAST(:as_of AS DATE))
  GROUP BY cu.course_id
)
SELECT
  c.slug AS course_slug,
  c.id AS course_id,
  c.title,
  c.school AS institution,
  c.term,
  c.type,
  CASE
    WHEN w.id IS NULL THEN NULL
    WHEN w.language IS NOT NULL AND w.language <> '' THEN CONCAT(w.language, '.', w.project, '.org')
    WHEN w.project = 'wikidata' THEN 'www.wikidata.org'
    ELSE CONCAT(w.project, '.org')
  END AS home_wiki,
  DATE(c.created_at) AS created_at,
  DATE(c.start) AS start_date,
  DATE(c.`end`) AS end_date,
  c.withdrawn,
  COALESCE(p.editors, 0) AS editors,
  COALESCE(p.new_editors, 0) AS new_editors,
  c.article_count AS articles_edited,
  c.new_article_count AS articles_created,
  c.character_sum AS bytes_added,
  c.references_count AS references_added,
  c.revision_count AS total_edits,
  c.view_sum AS article_views,
  c.upload_count,
  c.uploads_in_use_count AS uploads_used_in_articles,
  c.upload_usages_count AS upload_usage_count_across_all_wikis,
  CAST(c.trained_count AS DOUBLE) / NULLIF(c.user_count, 0) AS training_completion_rate
FROM courses AS c
LEFT JOIN wikis AS w ON w.id = c.home_wiki_id
LEFT JOIN people AS p ON p.course_id = c.id
WHERE c.private = 0
  AND (c.created_at IS NULL OR c.created_at < CAST(:as_of AS DATE))
