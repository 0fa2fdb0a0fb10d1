#!/usr/bin/env bash
# The daily Toolforge job (toolforge/jobs.yaml): build the site into ~/public_html, commit the
# published data to the archive branch and push it. Exit codes of build.py: 0 fresh, 1 published
# with stale datasets (a success here: the status page, its feed and the alerts say which),
# 2 nothing published, 3 another build holds the lock (the job fails, and Toolforge mails).
#
# Sources and credentials come from the tool's environment, never from the repository:
#   toolforge envvars create ALMANAC_SOURCE_DASHBOARD 'mysql://HOST:3306/DB?option_file=~/dashboard.my.cnf'
#   toolforge envvars create ALMANAC_SOURCE_REPLICA \
#     'mysql://{dbname}.analytics.db.svc.wikimedia.cloud/{dbname}_p?option_file=~/replica.my.cnf'
set -uo pipefail
cd "$(dirname "$0")/.."

python=.venv/bin/python
if [ ! -x "$python" ]; then
  echo "run.sh: $PWD/.venv is missing: run 'make .venv/.runtime' once in a webservice or job shell." >&2
  exit 2
fi

"$python" build.py --quiet --out "${ALMANAC_OUT:-$HOME/public_html}"
code=$?
case "$code" in
  0 | 1) ;;
  *) echo "run.sh: build.py exited $code: nothing was published." >&2; exit "$code" ;;
esac

"$python" build.py --out "${ALMANAC_OUT:-$HOME/public_html}" archive || exit 2
branch=$("$python" -c 'from pathlib import Path; from build.config import load_settings; print(load_settings(Path("site.toml")).get("build", "archive_branch"))')
git push --quiet origin "refs/heads/$branch:refs/heads/$branch" || { echo "run.sh: could not push $branch." >&2; exit 2; }
