/*
title = "Campaign activity by month"
description = "Per campaign and month (before the as-of month): active participants and edits in the campaign's nonprivate programs. A month with neither an edit nor an active participant has no row."
sort = ["campaign", "month"]

[columns]
campaign = { type = "string", description = "The campaign's slug." }
month = { type = "string", description = "Calendar month, YYYY-MM." }
active_participants = { type = "integer", description = "Distinct participants with at least one edit counted in a timeslice of the campaign's programs starting in the month.", unit = "people" }
edits = { type = "integer", description = "Edits in the campaign's programs' timeslices starting in the month (a program in two campaigns counts in both).", unit = "edits" }
characters_added = { type = "integer", description = "Characters added in those timeslices.", unit = "bytes" }
*/
WITH campaign_programs AS (
  SELECT DISTINCT cc.campaign_id, c.id AS course_id
  FROM campaigns_courses AS cc
  JOIN courses AS c ON c.id = cc.course_id AND c.private = 0
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
  WHERE t.revision_count > 0 AND t.start < CAST(:as_of_month AS DATE)
  GROUP BY cp.campaign_id, DATE_FORMAT(t.start, '%Y-%m')
),
months AS (
  SELECT campaign_id, month FROM edits WHERE edits > 0
  UNION
  SELECT campaign_id, month FROM people
)
SELECT ca.slug AS campaign, m.month,
       COALESCE(p.active_participants, 0) AS active_participants,
       COALESCE(e.edits, 0) AS edits,
       COALESCE(e.characters_added, 0) AS characters_added
FROM months AS m
JOIN campaigns AS ca ON ca.id = m.campaign_id
LEFT JOIN edits AS e ON e.campaign_id = m.campaign_id AND e.month = m.month
LEFT JOIN people AS p ON p.campaign_id = m.campaign_id AND p.month = m.month
