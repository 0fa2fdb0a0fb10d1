/*
title = "Campaign activity by month"
description = "Per campaign and month (before the as-of month): active participants and edits in the campaign's nonprivate programs; campaigns, programs, memberships and enrolments count when created before the as-of date. A month with neither an edit nor an active participant has no row."
sort = ["campaign", "month"]

[columns]
campaign = { type = "string", description = "The campaign's slug." }
month = { type = "string", description = "Calendar month, YYYY-MM." }
active_participants = { type = "integer", description = "Distinct participants with at least one edit counted in a timeslice of the campaign's programs starting in the month.", unit = "people" }
edits = { type = "integer", description = "Edits in the campaign's programs' timeslices starting in the month (a program in two campaigns counts in both).", unit = "edits" }
characters_added = { type = "integer", description = "Characters added in those timeslices.", unit = "bytes" }
complete = { type = "boolean", description = "Whether the month's data is complete: the Dashboard recorded an update of both kinds of timeslices of public programs (per program and per participant) after the month ended and before the as-of date. False: the Dashboard's updates lag, so the month may be partly or wholly missing; its numbers are not a drop." }
*/
WITH campaign_programs AS (  -- campaigns, their programs and memberships created before the as-of date
  SELECT DISTINCT cc.campaign_id, c.id AS course_id
  FROM campaigns_courses AS cc
  JOIN campaigns AS ca ON ca.id = cc.campaign_id AND (ca.created_at IS NULL OR ca.created_at < CAST(:as_of AS DATE))
  JOIN courses AS c ON c.id = cc.course_id AND c.private = 0 AND (c.created_at IS NULL OR c.created_at < CAST(:as_of AS DATE))
  WHERE (cc.created_at IS NULL OR cc.created_at < CAST(:as_of AS DATE))
),
edits AS (
  SELECT cp.campaign_id, DATE_FORMAT(s.start, '%Y-%m') AS month,
         SUM(s.revision_count) AS edits, SUM(s.character_sum) AS characters_added
  FROM campaign_programs AS cp
  JOIN course_wiki_timeslices AS s ON s.course_id = cp.course_id
  WHERE s.start < CAST(:as_of_month AS DATE)
  GROUP BY cp.campaign_id, DATE_FORMAT(s.start, '%Y-%m')
),
people AS (
  SELECT cp.campaign_id, DATE_FORMAT(t.start, '%Y-%m') AS month, COUNT(DISTINCT t.user_id) AS active_participants
  FROM campaign_programs AS cp
  JOIN course_user_wiki_timeslices AS t ON t.course_id = cp.course_id
  JOIN courses_users AS cu ON cu.course_id = t.course_id AND cu.user_id = t.user_id AND cu.role = 0
    AND (cu.created_at IS NULL OR cu.created_at < CAST(:as_of AS DATE))
  WHERE t.revision_count > 0 AND t.start < CAST(:as_of_month AS DATE)
  GROUP BY cp.campaign_id, DATE_FORMAT(t.start, '%Y-%m')
),
months AS (
  SELECT campaign_id, month FROM edits WHERE edits > 0
  UNION
  SELECT campaign_id, month FROM people
),
updates AS (  -- the same rule as timeslice_updates.sql: the month of each table's latest update before the as-of date
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
SELECT ca.slug AS campaign, m.month,
       COALESCE(p.active_participants, 0) AS active_participants,
       COALESCE(e.edits, 0) AS edits,
       COALESCE(e.characters_added, 0) AS characters_added,
       CASE WHEN m.month < up.programs_month AND m.month < up.participants_month THEN TRUE ELSE FALSE END AS complete
FROM months AS m
JOIN campaigns AS ca ON ca.id = m.campaign_id
CROSS JOIN updates AS up
LEFT JOIN edits AS e ON e.campaign_id = m.campaign_id AND e.month = m.month
LEFT JOIN people AS p ON p.campaign_id = m.campaign_id AND p.month = m.month
