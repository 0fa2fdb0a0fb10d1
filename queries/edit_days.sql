/*
title = "Days with edits, per person (replica input)"
description = "For the usernames asked, each day (UTC) with at least one edit in any namespace on this wiki, between the first day of the earliest retention window (:edits_from) and the end of the latest one or the as-of date (:edits_until, excluded). Run once per wiki database and batch of names; never published."
source = "replica"
per_wiki = true
sort = ["wiki", "username", "edit_day"]
publish = false

[columns]
wiki = { type = "string", description = "The replica database name, e.g. enwiki." }
username = { type = "string", description = "The actor name." }
edit_day = { type = "string", description = "A day with at least one edit, YYYYMMDD." }
*/
SELECT :dbname AS wiki, a.actor_name AS username, LEFT(r.rev_timestamp, 8) AS edit_day
FROM revision_userindex AS r
JOIN actor AS a ON a.actor_id = r.rev_actor
WHERE a.actor_name IN :usernames
  AND r.rev_timestamp >= :edits_from
  AND r.rev_timestamp < :edits_until
GROUP BY a.actor_name, LEFT(r.rev_timestamp, 8)
