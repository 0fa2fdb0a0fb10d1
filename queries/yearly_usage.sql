/*
title = "Yearly usage"
description = "The Dashboard /usage page's yearly table, by the year each program was created, over nonprivate programs created before the as-of date (the Dashboard's own page includes private ones). People count from enrolments made before the as-of date."
sort = ["year"]

[columns]
year = { type = "integer", description = "Year the programs were created on the Dashboard." }
events = { type = "integer", description = "Nonprivate programs created that year.", unit = "programs" }
participants = { type = "integer", description = "Distinct participants (role 0) of those programs.", unit = "people" }
leaders = { type = "integer", description = "Distinct program leaders (facilitators, role 1) of those programs.", unit = "people" }
pages_created = { type = "integer", description = "Sum of those programs' articles created (new_article_count; undated: the Dashboard's current cached total, not cut at the as-of date).", unit = "pages" }
pages_edited = { type = "integer", description = "Sum of those programs' articles edited (article_count; undated: the Dashboard's current cached total, not cut at the as-of date).", unit = "pages" }
revisions = { type = "integer", description = "Sum of those programs' edits (revision_count; undated: the Dashboard's current cached total, not cut at the as-of date).", unit = "edits" }
*/
WITH programs AS (
  SELECT YEAR(created_at) AS year,
         COUNT(*) AS events,
         COALESCE(SUM(new_article_count), 0) AS pages_created,
         COALESCE(SUM(article_count), 0) AS pages_edited,
         COALESCE(SUM(revision_count), 0) AS revisions
  FROM courses
  WHERE private = 0 AND created_at < CAST(:as_of AS DATE)
  GROUP BY YEAR(created_at)
),
people AS (
  SELECT YEAR(c.created_at) AS year,
         COUNT(DISTINCT CASE WHEN cu.role = 0 THEN cu.user_id END) AS participants,
         COUNT(DISTINCT CASE WHEN cu.role = 1 THEN cu.user_id END) AS leaders
  FROM courses_users AS cu
  JOIN courses AS c ON c.id = cu.course_id AND c.private = 0
  WHERE c.created_at < CAST(:as_of AS DATE)
    AND (cu.created_at IS NULL OR cu.created_at < CAST(:as_of AS DATE))
  GROUP BY YEAR(c.created_at)
)
SELECT p.year, p.events,
       COALESCE(pe.participants, 0) AS participants,
       COALESCE(pe.leaders, 0) AS leaders,
       p.pages_created, p.pages_edited, p.revisions
FROM programs AS p
LEFT JOIN people AS pe ON pe.year = p.year
