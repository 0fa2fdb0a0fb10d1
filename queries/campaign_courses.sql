/*
title = "Campaign programs"
description = "Which nonprivate programs belong to which campaign (a program can be in several)."
sort = ["campaign", "course_slug"]

[columns]
campaign = { type = "string", description = "The campaign's slug." }
course_slug = { type = "string", description = "The program's slug (see the programs dataset)." }
*/
SELECT ca.slug AS campaign, c.slug AS course_slug
FROM (SELECT DISTINCT campaign_id, course_id FROM campaigns_courses) AS cc
JOIN campaigns AS ca ON ca.id = cc.campaign_id
JOIN courses AS c ON c.id = cc.course_id AND c.private = 0
