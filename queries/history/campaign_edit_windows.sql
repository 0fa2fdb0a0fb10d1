/*
title = "New editors retained per campaign and window, from the edit history (input)"
description = "For the all-wiki retention path ([retention] edits_source = \"history\"): per campaign and retention window, how many of its new editors made at least one edit on any wiki (or on the wikis retention_wikis names) in that window, read from one snapshot of a table shaped like Wikimedia's mediawiki_history in one Spark query. The build gives Spark campaign_new_editors (campaign_id, user_id, global_id) and measured_windows (campaign_id, months_after, first_day, last_day: every window ended before the as-of date and the snapshot's end); a window not measured is censored. People are matched by their global (CentralAuth) account id, which survives renames. Edits are revisions created (event_entity revision, event_type create) by an account; revisions of pages deleted later and revisions whose user is hidden are dropped, because the wiki replicas do not show them. Never published: build/history_edits.py turns it into campaign_retention."
source = "history"
sort = ["campaign_id", "months_after"]
publish = false

[columns]
campaign_id = { type = "integer", description = "The campaign's id." }
months_after = { type = "integer", description = "The window k." }
retained = { type = "integer", description = "New editors of the campaign with at least one edit in the window.", unit = "people" }
*/
WITH edit_days AS (  -- one row per account and day with an edit the replicas would show
  SELECT DISTINCT h.event_user_central_id AS central_id, DATE(h.event_timestamp) AS edit_day
  FROM mediawiki_history AS h
  WHERE h.snapshot = :snapshot
    AND h.event_entity = 'revision'
    AND h.event_type = 'create'
    AND h.event_user_central_id IS NOT NULL
    AND NOT COALESCE(h.revision_is_deleted_by_page_deletion, FALSE)
    AND NOT COALESCE(ARRAY_CONTAINS(h.revision_deleted_parts, 'user'), FALSE)
    AND h.event_timestamp >= CAST(:edits_from AS DATETIME)
    AND h.event_timestamp < CAST(:edits_until AS DATETIME)
    AND (:every_wiki OR h.wiki_db IN :wikis)
),
retained AS (
  SELECT w.campaign_id, w.months_after, COUNT(DISTINCT n.user_id) AS retained
  FROM measured_windows AS w
  JOIN campaign_new_editors AS n ON n.campaign_id = w.campaign_id
  JOIN edit_days AS e ON e.central_id = n.global_id AND e.edit_day BETWEEN w.first_day AND w.last_day
  GROUP BY w.campaign_id, w.months_after
)
SELECT w.campaign_id, w.months_after, COALESCE(r.retained, 0) AS retained
FROM measured_windows AS w
LEFT JOIN retained AS r ON r.campaign_id = w.campaign_id AND r.months_after = w.months_after
