#!/usr/bin/env bash
# The demo from README's first set-up command: build the greenery example project with dbt on DuckDB,
# generate its exposures from the LookML project, then report dashboard health after a green run and
# after the documented failure scenario.
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

step "1/5 dbt build of the greenery example project (DuckDB)"
dbt build --quiet
dbt source freshness --quiet >/dev/null || true

step "2/5 exposures from the LookML project (example_project/looker)"
dbtmeta sync-exposures --lookml-dir "$project/looker"
dbt parse --quiet

step "3/5 dashboard health after the green run"
dbtmeta stale-dashboards

step "4/5 the failure scenario: a bad promos file, a negative inventory, a late products feed"
dbt build --quiet --vars '{scenario: failure}' >/dev/null || true
dbt source freshness --quiet --vars '{scenario: failure}' >/dev/null || true

step "5/5 dashboard health after the failure scenario"
status=0
dbtmeta stale-dashboards || status=$?
if [ "$status" -eq 1 ]; then
  printf '\nThe failure scenario made dashboards stale (exit 1), as expected. See example_project/README.md.\n'
  exit 0
fi
exit "$status"
