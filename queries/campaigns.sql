/*
title = "Campaigns"
description = "Every campaign with at least one nonprivate program, with totals over its nonprivate programs; campaigns, programs, campaign memberships and enrolments count when created before the as-of date. People are counted once per campaign, however many of its programs they took part in."
sort = ["campaign", "campaign_id"]

[columns]
campaign = { type = "string", description = "The campaign's Dashboard slug." }
campaign_id = { type = "integer", description = "The campaign's Dashboard id." }
title = { type = "string", description = "Title." }
start_date = { type = "date", description = "The campaign's start date, or when it has none, the earliest start date of its nonprivate programs." }
end_date = { type = "date", description = "The campaign's end date, or when it has none, the latest end date of its nonprivate programs." }
programs = { type = "integer", description = "Nonprivate programs in the campaign.", unit = "programs" }
participants = { type = "integer", description = "Distinct participants (role 0) of those programs.", unit = "people" }
new_editors = { type = "integer", description = "Distinct participants whose registration date lies in [program start - preregistration_days, program end] of a program of the campaign they took part in, before the as-of date (as in campaign_retention). Empty when fewer than k_min: the group is suppressed, as in campaign_retention.", unit = "people" }
articles_edited = { type = "integer", description = "Sum of the programs' articles edited (article_count); an article edited in two programs counts twice, as on the Dashboard (undated: the Dashboard's current cached total, not cut at the as-of date).", unit = "articles" }
articles_created = { type = "integer", description = "Sum of the programs' articles created (new_article_count; undated: the Dashboard's current cached total, not cut at the as-of date).", unit = "articles" }
words_added = { type = "integer", description = "floor(sum of the programs' character_sum / 5.175) (undated: the Dashboard's current cached total, not cut at the as-of date).", unit = "words" }
references_added = { type = "integer", description = "Sum of the programs' references added (references_count; undated: the Dashboard's current cached total, not cut at the as-of date).", unit = "references" }
article_views = { type = "integer", description = "Sum of the programs' estimated article views (view_sum; undated: the Dashboard's current cached total, not cut at the as-of date).", unit = "views" }
uploads = { type = "integer", description = "Sum of the programs' Commons uploads (upload_count; undated: the Dashboard's current cached total, not cut at the as-of date).", unit = "files" }
*/
WITH campaign_programs AS (  -- campaigns, their programs and memberships created before the as-of date
  SELECT DISTINCT cc.campaign_id, c.id AS course_id
  FROM campaigns_courses AS cc
  JOIN campaigns AS ca ON ca.id = cc.campaign_id AND (ca.created_at IS NULL OR ca.created_at < CAST(:as_of AS DATE))
  JOIN courses AS c ON c.id = cc.course_id AND c.private = 0 AND (c.created_at IS NULL OR c.created_at < CAST(:as_of AS DATE))
  WHERE (cc.created_at IS NULL OR cc.created_at < CAST(:as_of AS DATE))
),
totals AS (
  SELECT cp.campaign_id,
         MIN(c.start) AS first_start,
         MAX(c.`end`) AS last_end,
         COUNT(*) AS programs,
         COALESCE(SUM(c.article_count), 0) AS articles_edited,
         COALESCE(SUM(c.new_article_count), 0) AS articles_created,
         COALESCE(SUM(c.character_sum), 0) * 1000 DIV 5175 AS words_added,
         COALESCE(SUM(c.references_count), 0) AS references_added,
         COALESCE(SUM(c.view_sum), 0) AS article_views,
         COALESCE(SUM(c.upload_count), 0) AS uploads
  FROM campaign_programs AS cp
  JOIN courses AS c ON c.id = cp.course_id
  GROUP BY cp.campaign_id
),
people AS (
  SELECT cp.campaign_id,
         COUNT(DISTINCT cu.user_id) AS participants,
         COUNT(DISTINCT CASE
           WHEN DATE(u.registered_at) <= DATE(c.`end`)
            AND DATEDIFF(DATE(c.start), DATE(u.registered_at)) <= :preregistration_days
            AND DATE(u.registered_at) < CAST(:as_of AS DATE)
            AND (u.created_at IS NULL OR u.created_at < CAST(:as_of AS DATE))
           THEN cu.user_id END) AS new_editors
  FROM campaign_programs AS cp
  JOIN courses AS c ON c.id = cp.course_id
  JOIN courses_users AS cu ON cu.course_id = cp.course_id AND cu.role = 0 AND (cu.created_at IS NULL OR cu.created_at < CAST(:as_of AS DATE))
  LEFT JOIN users AS u ON u.id = cu.user_id
  GROUP BY cp.campaign_id
)
SELECT
  ca.slug AS campaign,
  ca.id AS campaign_id,
  ca.title,
  DATE(COALESCE(ca.start, t.first_start)) AS start_date,
  DATE(COALESCE(ca.`end`, t.last_end)) AS end_date,
  t.programs,
  COALESCE(p.participants, 0) AS participants,
  CASE WHEN COALESCE(p.new_editors, 0) < :k_min THEN NULL ELSE p.new_editors END AS new_editors,
  t.articles_edited,
  t.articles_created,
  t.words_added,
  t.references_added,
  t.article_views,
  t.uploads
FROM campaigns AS ca
JOIN totals AS t ON t.campaign_id = ca.id
LEFT JOIN people AS p ON p.campaign_id = ca.id
