"""``dbtmeta impact``: which dashboards and owners a change affects.

Must not: compute anything a test would want to call: flags in, library calls, flag names in errors.
"""

from __future__ import annotations

from pathlib import Path

import click

from dbtmeta.commands._columns import LookerSource, catalog_option, looker_source_options, run_column_impact
from dbtmeta.commands._options import check_output_path, emit, output_option, project_options
from dbtmeta.console import info
from dbtmeta.errors import EXIT_FINDINGS, EXIT_OK, InputError
from dbtmeta.render.lineage import IMPACT_FORMATS
from dbtmeta.vocabulary import MATURITIES


def _state_manifest(state: str) -> Path:
    path = Path(state)
    if path.is_dir():
        path = path / "manifest.json"
    if not path.is_file():
        raise InputError(
            f"no previous manifest at {str(path)!r}; --state takes the directory (or file) of the "
            "manifest.json of the last production run"
        )
    return path


@click.command(
    epilog="""\b
Examples:
  dbtmeta impact --state prod-artifacts/ --format markdown --output impact.md
  dbtmeta impact --select stg_orders --select source:greenery.promos
  git diff --name-only origin/main... | xargs dbtmeta impact --fail-on-maturity high
  dbtmeta impact --columns --state prod-artifacts/ --lookml-dir looker/ --format markdown
  dbtmeta impact --columns --state prod-artifacts/ --snapshot looker.json"""
)
@click.argument("paths", nargs=-1, type=click.Path())
@click.option(
    "--state", type=click.Path(), help="Previous manifest.json or its directory: compare like state:modified."
)
@click.option("--select", "-s", "select", multiple=True, help="A changed node (repeatable), e.g. stg_orders.")
@click.option(
    "--format", "format", type=click.Choice(list(IMPACT_FORMATS)), default="table", show_default=True
)
@click.option(
    "--fail-on-maturity",
    type=click.Choice(MATURITIES),
    help="Exit 1 when an affected exposure has this maturity or higher (opt-in gate; with "
    "--columns: only breaks read by such a dashboard fail).",
)
@click.option(
    "--columns",
    is_flag=True,
    help="Column level: columns removed, renamed or retyped since --state and the Looker fields, "
    "tiles and dashboards reading them (fields from --lookml-dir, --snapshot or the Looker API; "
    "exit 1 when one is read).",
)
@looker_source_options
@catalog_option("With --columns: the PR's catalog.json.")
@output_option("the report")
@project_options
def command(
    paths: tuple[str, ...],
    state: str | None,
    select: tuple[str, ...],
    format: str,
    fail_on_maturity: str | None,
    columns: bool,
    source: LookerSource,
    catalog_path: str | None,
    output: str | None,
    project_dir: str | None,
    target_path: str | None,
    manifest_path: str | None,
) -> int:
    """Tell which dashboards and owners a change affects.

    The change is the nodes modified since --state (as dbt's state:modified, plus deleted nodes),
    the nodes named with --select, and the nodes defined in the changed files PATHS (relative to
    the repository root or the dbt project, as `git diff --name-only` and pre-commit give them).
    """
    from dbtmeta.dbt.artifacts import load_manifest, load_project_manifest
    from dbtmeta.dbt.impact import impact

    if output is not None:
        check_output_path(output)
    if columns:
        from dbtmeta.dbt.artifacts import find_artifacts

        paths_of_pr = find_artifacts(project_dir, target_path, manifest_path)
        return run_column_impact(state, source, catalog_path, format, output, paths_of_pr, fail_on_maturity)
    manifest, project = load_project_manifest(project_dir, target_path, manifest_path)
    previous = load_manifest(_state_manifest(state)) if state else None
    report = impact(manifest, previous=previous, names=select, paths=list(paths), project_dir=project)
    emit(lambda console: IMPACT_FORMATS[format](report, console), output)
    hit = report.gate(fail_on_maturity)
    if hit:
        names = ", ".join(item.info.name for item in hit)
        info(f"{len(hit)} exposure(s) of maturity {fail_on_maturity} or higher affected: {names}")
        return EXIT_FINDINGS
    return EXIT_OK
