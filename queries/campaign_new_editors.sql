/*
title = "New editors of each campaign (input)"
description = "Per campaign, its new editors (retention.md §2) with their usernames, to look their edits up on the wiki replicas. Never published: build/cohorts.py reduces it to counts."
sort = ["campaign_id", "user_id"]
publish = false

[columns]
campaign_id = { type = "integer", description = "The campaign's id." }
user_id = { type = "integer", description = "The new editor's Dashboard user id." }
username = { type = "string", description = "The new editor's on-wiki username (actor_name on the replicas)." }
global_id = { type = "integer", description = "The new editor's global (CentralAuth) account id: event_user_central_id in the edit history." }
*/
SELECT DISTINCT cc.campaign_id, u.id AS user_id, u.username, u.global_id
FROM campaigns_courses AS cc
JOIN campaigns AS ca ON ca.id = cc.campaign_id AND (ca.created_at IS NULL OR ca.created_at < CAST(:as_of AS DATE))
JOIN courses AS c ON c.id = cc.course_id AND c.private = 0 AND (c.created_at IS NULL OR c.created_at < CAST(:as_of AS DATE))
JOIN courses_users AS cu ON cu.course_id = c.id AND cu.role = 0 AND (cu.created_at IS NULL OR cu.created_at < CAST(:as_of AS DATE))
JOIN users AS u ON u.id = cu.user_id AND (u.created_at IS NULL OR u.created_at < CAST(:as_of AS DATE))
WHERE (cc.created_at IS NULL OR cc.created_at < CAST(:as_of AS DATE))
  AND DATE(u.registered_at) <= DATE(c.`end`)
  AND DATEDIFF(DATE(c.start), DATE(u.registered_at)) <= :preregistration_days
  AND DATE(u.registered_at) < CAST(:as_of AS DATE)
