/*
title = "Activity by month (input)"
description = "Monthly measures in long form (month, measure, value); build/metrics.py completes them into monthly_activity with the participant counts of participant_activity. Only months before the as-of month; programs, enrolments and users created before the as-of date."
sort = ["month", "measure"]
publish = false

[columns]
month = { type = "string", description = "Calendar month, YYYY-MM." }
measure = { type = "string", description = "edits, characters_added or new_editors." }
value = { type = "integer", description = "The measure's value in that month." }
*/
WITH new_editors AS (
  SELECT DISTINCT u.id AS user_id, DATE_FORMAT(u.registered_at, '%Y-%m') AS month
  FROM users AS u
  JOIN courses_users AS cu ON cu.user_id = u.id AND cu.role = 0 AND (cu.created_at IS NULL OR cu.created_at < CAST(:as_of AS DATE))
  JOIN courses AS c ON c.id = cu.course_id AND c.private = 0 AND (c.created_at IS NULL OR c.created_at < CAST(:as_of AS DATE))
  WHERE u.registered_at < CAST(:as_of_month AS DATE)
    AND (u.created_at IS NULL OR u.created_at < CAST(:as_of AS DATE))
    AND DATE(u.registered_at) >= DATE(c.start)
    AND DATE(u.registered_at) <= DATE(c.`end`)
),
course_months AS (
  SELECT DATE_FORMAT(s.start, '%Y-%m') AS month,
         SUM(s.revision_count) AS edits,
         SUM(s.character_sum) AS characters_added
  FROM course_wiki_timeslices AS s
  JOIN courses AS c ON c.id = s.course_id AND c.private = 0 AND (c.created_at IS NULL OR c.created_at < CAST(:as_of AS DATE))
  WHERE s.start < CAST(:as_of_month AS DATE)
  GROUP BY DATE_FORMAT(s.start, '%Y-%m')
)
SELECT month, 'new_editors' AS measure, COUNT(*) AS value FROM new_editors GROUP BY month
UNION ALL
SELECT month, 'edits' AS measure, COALESCE(SUM(edits), 0) AS value FROM course_months GROUP BY month
UNION ALL
SELECT month, 'characters_added' AS measure, COALESCE(SUM(characters_added), 0) AS value FROM course_months GROUP BY month
