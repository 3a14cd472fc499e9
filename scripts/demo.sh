#!/usr/bin/env bash
# The demo from README's first set-up command: build the greenery example project with dbt on DuckDB,
# generate its exposures from the LookML project, then report dashboard health after a green run and
# after the documented failure scenario; writes the stakeholders' status page for both runs.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
bin="$root/.venv/bin"
[ -x "$bin/dbtmeta" ] || bin="$(dirname "$(command -v dbtmeta)")"
project="$root/example_project"
# The profile puts greenery.duckdb in $DBT_PROJECT_DIR; dbtmeta reads the same variable.
export DBT_PROJECT_DIR="$project" DBT_PROFILES_DIR="$project"
dbt() { "$bin/dbt" "$@"; }
dbtmeta() { "$bin/dbtmeta" "$@"; }
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
# The status pages and their history (git-ignored).
out="$project/demo-output"
mkdir -p "$out"
rm -f "$out/history.jsonl"

step "1/5 dbt build of the greenery example project (DuckDB)"
dbt build --quiet
dbt source freshness --quiet >/dev/null || true

step "2/5 exposures from the LookML project (example_project/looker)"
dbtmeta sync-exposures --lookml-dir "$project/looker"
dbt parse --quiet

step "3/5 dashboard health after the green run"
dbtmeta stale-dashboards
dbtmeta stale-dashboards --format html --output "$out/status-green.html" --history "$out/history.jsonl"

step "4/5 the failure scenario: a bad promos file, a negative inventory, a late products feed"
dbt build --quiet --vars '{scenario: failure}' >/dev/null || true
dbt source freshness --quiet --vars '{scenario: failure}' >/dev/null || true

step "5/5 dashboard health after the failure scenario"
status=0
dbtmeta stale-dashboards || status=$?
page_status=0
dbtmeta stale-dashboards --format html --output "$out/status-failure.html" --history "$out/history.jsonl" \
  || page_status=$?
[ "$page_status" -le 1 ] || exit "$page_status"
printf '\nThe status page for stakeholders (one self-contained HTML file; open it in a browser):\n'
printf '  green run:   file://%s\n  failure run: file://%s\n' "$out/status-green.html" "$out/status-failure.html"
if [ "$status" -eq 1 ]; then
  printf '\nThe failure scenario made dashboards stale (exit 1), as expected. See example_project/README.md.\n'
  exit 0
fi
exit "$status"
