/*
title = "How far the Dashboard's timeslices were updated (input)"
description = "One row: the first month whose data may be incomplete, by the rule of the methodology page. The Dashboard fills its timeslices with a lag; a month is complete when an update of both kinds of timeslices of public programs (per program, per participant) was recorded after the month ended and before the as-of date. Only updates recorded before the as-of date count, so a later build as of the same date agrees. Used by build/metrics.py for monthly_activity.complete; campaign_activity.sql applies the same rule."
sort = ["first_incomplete_month"]
publish = false

[columns]
first_incomplete_month = { type = "string", description = "The earlier of the two tables' latest update months (YYYY-MM), among updates recorded before the as-of date of timeslices starting before it: months before it are complete. Empty when either table has no such update: no month is known to be complete." }
*/
WITH updates AS (
  SELECT
    (SELECT DATE_FORMAT(MAX(s.updated_at), '%Y-%m')
       FROM course_wiki_timeslices AS s
       JOIN courses AS c ON c.id = s.course_id AND c.private = 0
         AND (c.created_at IS NULL OR c.created_at < CAST(:as_of AS DATE))
      WHERE s.updated_at < CAST(:as_of AS DATE) AND s.start < CAST(:as_of AS DATE)) AS programs_month,
    (SELECT DATE_FORMAT(MAX(t.updated_at), '%Y-%m')
       FROM course_user_wiki_timeslices AS t
       JOIN courses AS c ON c.id = t.course_id AND c.private = 0
         AND (c.created_at IS NULL OR c.created_at < CAST(:as_of AS DATE))
      WHERE t.updated_at < CAST(:as_of AS DATE) AND t.start < CAST(:as_of AS DATE)) AS participants_month
)
SELECT CASE
         WHEN programs_month IS NULL OR participants_month IS NULL THEN NULL
         WHEN programs_month < participants_month THEN programs_month
         ELSE participants_month
       END AS first_incomplete_month
FROM updates
