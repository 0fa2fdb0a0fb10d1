/*
title = "System-wide totals"
description = "One row of totals over every nonprivate program (course) created before the as-of date. People are counted once, however many programs they took part in, from enrolments made before the as-of date."
sort = ["programs"]

[columns]
programs = { type = "integer", description = "Nonprivate programs (courses) created before the as-of date, withdrawn ones included.", unit = "programs" }
active_programs = { type = "integer", description = "Programs running on the as-of date: start date <= as-of date <= end date.", unit = "programs" }
archived_programs = { type = "integer", description = "Programs whose end date is at least update_length_days before the as-of date.", unit = "programs" }
participants = { type = "integer", description = "Distinct people with the participant (student, role 0) role in a nonprivate program.", unit = "people" }
facilitators = { type = "integer", description = "Distinct people with the facilitator (instructor, role 1) role in a nonprivate program.", unit = "people" }
new_editors = { type = "integer", description = "Distinct participants whose account registration date lies within the start and end dates of a program they took part in, before the as-of date.", unit = "people" }
new_editors_preregistration = { type = "integer", description = "As new_editors, with registration allowed from 60 days before the program's start date (the Dashboard's 'WMF definition').", unit = "people" }
edits = { type = "integer", description = "Sum of the programs' edit counts (Dashboard cache revision_count; undated: the Dashboard's current cached total, not cut at the as-of date).", unit = "edits" }
articles_edited = { type = "integer", description = "Sum of the programs' articles edited (Dashboard cache article_count; undated: the Dashboard's current cached total, not cut at the as-of date).", unit = "articles" }
articles_created = { type = "integer", description = "Sum of the programs' articles created (Dashboard cache new_article_count; undated: the Dashboard's current cached total, not cut at the as-of date).", unit = "articles" }
characters_added = { type = "integer", description = "Sum of the programs' characters added to mainspace (Dashboard cache character_sum; undated: the Dashboard's current cached total, not cut at the as-of date).", unit = "bytes" }
words_added = { type = "integer", description = "floor(characters_added / 5.175), the Dashboard's words estimate (undated: the Dashboard's current cached total, not cut at the as-of date).", unit = "words" }
references_added = { type = "integer", description = "Sum of the programs' references added (Dashboard cache references_count; undated: the Dashboard's current cached total, not cut at the as-of date).", unit = "references" }
article_views = { type = "integer", description = "Sum of the programs' estimated article views (Dashboard cache view_sum; undated: the Dashboard's current cached total, not cut at the as-of date).", unit = "views" }
uploads = { type = "integer", description = "Sum of the programs' Commons uploads (Dashboard cache upload_count; undated: the Dashboard's current cached total, not cut at the as-of date).", unit = "files" }
*/
WITH public_courses AS (
  SELECT id, start, `end`, revision_count, article_count, new_article_count, character_sum, references_count,
         view_sum, upload_count
  FROM courses
  WHERE private = 0 AND (created_at IS NULL OR created_at < CAST(:as_of AS DATE))
),
participations AS (
  SELECT cu.user_id, cu.role, c.start, c.`end`
  FROM courses_users AS cu
  JOIN public_courses AS c ON c.id = cu.course_id
  WHERE cu.role IN (0, 1)
    AND (cu.created_at IS NULL OR cu.created_at < CAST(:as_of AS DATE))
),
new_editor_candidates AS (
  SELECT p.user_id, DATEDIFF(DATE(p.start), DATE(u.registered_at)) AS days_before_start
  FROM participations AS p
  JOIN users AS u ON u.id = p.user_id
  WHERE p.role = 0
    AND DATE(u.registered_at) < CAST(:as_of AS DATE)
    AND (u.created_at IS NULL OR u.created_at < CAST(:as_of AS DATE))
    AND DATE(u.registered_at) <= DATE(p.`end`)
)
SELECT
  (SELECT COUNT(*) FROM public_courses) AS programs,
  (SELECT COUNT(*) FROM public_courses
    WHERE DATE(start) <= CAST(:as_of AS DATE) AND DATE(`end`) >= CAST(:as_of AS DATE)) AS active_programs,
  (SELECT COUNT(*) FROM public_courses
    WHERE DATEDIFF(CAST(:as_of AS DATE), DATE(`end`)) >= :update_length_days) AS archived_programs,
  (SELECT COUNT(DISTINCT user_id) FROM participations WHERE role = 0) AS participants,
  (SELECT COUNT(DISTINCT user_id) FROM participations WHERE role = 1) AS facilitators,
  (SELECT COUNT(DISTINCT user_id) FROM new_editor_candidates WHERE days_before_start <= 0) AS new_editors,
  (SELECT COUNT(DISTINCT user_id) FROM new_editor_candidates WHERE days_before_start <= 60) AS new_editors_preregistration,
  (SELECT COALESCE(SUM(revision_count), 0) FROM public_courses) AS edits,
  (SELECT COALESCE(SUM(article_count), 0) FROM public_courses) AS articles_edited,
  (SELECT COALESCE(SUM(new_article_count), 0) FROM public_courses) AS articles_created,
  (SELECT COALESCE(SUM(character_sum), 0) FROM public_courses) AS characters_added,
  (SELECT COALESCE(SUM(character_sum), 0) * 1000 DIV 5175 FROM public_courses) AS words_added,
  (SELECT COALESCE(SUM(references_count), 0) FROM public_courses) AS references_added,
  (SELECT COALESCE(SUM(view_sum), 0) FROM public_courses) AS article_views,
  (SELECT COALESCE(SUM(upload_count), 0) FROM public_courses) AS uploads
