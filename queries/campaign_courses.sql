/*
title = "Campaign programs"
description = "Which nonprivate programs belong to which campaign (a program can be in several): campaigns, programs and memberships created before the as-of date."
sort = ["campaign", "course_slug"]

[columns]
campaign = { type = "string", description = "The campaign's slug." }
course_slug = { type = "string", description = "The program's slug (see the programs dataset)." }
*/
SELECT ca.slug AS campaign, c.slug AS course_slug
FROM (
  SELECT DISTINCT campaign_id, course_id FROM campaigns_courses
  WHERE created_at IS NULL OR created_at < CAST(:as_of AS DATE)
) AS cc
JOIN campaigns AS ca ON ca.id = cc.campaign_id AND (ca.created_at IS NULL OR ca.created_at < CAST(:as_of AS DATE))
JOIN courses AS c ON c.id = cc.course_id AND c.private = 0 AND (c.created_at IS NULL OR c.created_at < CAST(:as_of AS DATE))
