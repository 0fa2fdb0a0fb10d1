/*
title = "Home wikis of each campaign (input)"
description = "Per campaign, the distinct home wikis of its nonprivate programs: where its new editors' edits are counted (unless retention_wikis names others)."
sort = ["campaign_id", "language", "project"]
publish = false

[columns]
campaign_id = { type = "integer", description = "The campaign's id." }
language = { type = "string", description = "The wiki's language code (empty for Wikidata)." }
project = { type = "string", description = "The wiki's project." }
*/
SELECT DISTINCT cc.campaign_id, w.language, w.project
FROM campaigns_courses AS cc
JOIN campaigns AS ca ON ca.id = cc.campaign_id AND (ca.created_at IS NULL OR ca.created_at < CAST(:as_of AS DATE))
JOIN courses AS c ON c.id = cc.course_id AND c.private = 0 AND (c.created_at IS NULL OR c.created_at < CAST(:as_of AS DATE))
JOIN wikis AS w ON w.id = c.home_wiki_id
WHERE (cc.created_at IS NULL OR cc.created_at < CAST(:as_of AS DATE))
