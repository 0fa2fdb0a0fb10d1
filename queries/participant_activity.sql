/*
title = "Participants active by cohort and month (input)"
description = "For program retention: how many participants of each cohort (first active month) were active in each later month. Aggregated in SQL so no per-person row leaves the database; completed into program_retention by build/cohorts.py."
sort = ["cohort", "month"]
publish = false

[columns]
cohort = { type = "string", description = "The cohort: the participants' first active month, YYYY-MM." }
month = { type = "string", description = "A month in which members of the cohort were active, YYYY-MM." }
active = { type = "integer", description = "Members of the cohort active in that month.", unit = "people" }
*/
WITH active_months AS (
  SELECT DISTINCT t.user_id, DATE_FORMAT(t.start, '%Y-%m') AS month
  FROM course_user_wiki_timeslices AS t
  JOIN courses AS c ON c.id = t.course_id AND c.private = 0 AND (c.created_at IS NULL OR c.created_at < CAST(:as_of AS DATE))
  JOIN courses_users AS cu ON cu.course_id = t.course_id AND cu.user_id = t.user_id AND cu.role = 0
    AND (cu.created_at IS NULL OR cu.created_at < CAST(:as_of AS DATE))
  WHERE t.revision_count > 0
    AND t.start < CAST(:as_of_month AS DATE)
),
cohorts AS (
  SELECT user_id, MIN(month) AS cohort FROM active_months GROUP BY user_id
)
SELECT c.cohort, a.month, COUNT(*) AS active
FROM active_months AS a
JOIN cohorts AS c ON c.user_id = a.user_id
GROUP BY c.cohort, a.month
