"""The build's exit codes, one place for the command line, the report and the scheduled jobs.

0 every dataset fresh; 1 published with stale datasets; 2 nothing published (bad settings or queries,
every source down, an unexpected error); 3 another build holds the lock.
"""

EXIT_FRESH, EXIT_STALE, EXIT_NOTHING_PUBLISHED, EXIT_LOCKED = 0, 1, 2, 3
