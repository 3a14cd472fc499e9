"""``dbtmeta check-exposures``: validate exposures against the manifest (pre-commit and CI)."""

from __future__ import annotations

import json

import click

from dbtmeta.errors import EXIT_FINDINGS, EXIT_OK


@click.command(
    epilog="""\b
Examples:
  dbtmeta check-exposures                       # every exposure of the project
  dbtmeta check-exposures models/exposures/*.yml
  dbtmeta check-exposures --parse --format json"""
)
@click.argument("files", nargs=-1, type=click.Path())
@click.option(
    "--project-dir", type=click.Path(file_okay=False), envvar="DBT_PROJECT_DIR", help="dbt project directory."
)
@click.option(
    "--manifest",
    "manifest_path",
    type=click.Path(dir_okay=False),
    help="manifest.json (default: <project>/target/manifest.json).",
)
@click.option("--parse", is_flag=True, help="Run `dbt parse` first (needs dbt-core and a profile).")
@click.option("--format", "format", type=click.Choice(["text", "json"]), default="text", show_default=True)
def command(
    files: tuple[str, ...], project_dir: str | None, manifest_path: str | None, parse: bool, format: str
) -> int:
    """Validate exposures: depends_on resolves to enabled nodes, owner email, names, types.

    FILES (YAML; others are ignored, as pre-commit passes them) limits the check to the exposures
    defined there; without FILES every exposure of the project is checked. The YAML is read
    directly, so a ref() to a model deleted since the last `dbt parse` is still caught.
    Exit 1 when there are problems.
    """
    from dbtmeta.check import files_with_exposures

    if files and not files_with_exposures(files):
        if format == "json":
            click.echo(json.dumps({"ok": True, "checked_exposures": 0, "files": [], "problems": []}))
        return EXIT_OK

    from dbtmeta.check import check_exposures, run_dbt_parse
    from dbtmeta.graph import load_project_manifest, project_dir_for

    extra = []
    if parse:
        project = project_dir_for(project_dir, manifest_path)
        extra = run_dbt_parse(project)
        if not manifest_path:
            manifest_path = None
    manifest, project = load_project_manifest(project_dir, manifest_path)
    result = check_exposures(manifest, list(files) if files else None, project_dir=project)
    result.problems = sorted(extra + result.problems)
    if format == "json":
        click.echo(json.dumps(result.to_dict(), indent=2))
    else:
        for problem in result.problems:
            click.echo(str(problem))
        if result.problems:
            click.echo(
                f"{len(result.problems)} problem(s) in {result.checked} exposure(s); "
                "fix them, then re-run `dbtmeta check-exposures`",
                err=True,
            )
        else:
            click.echo(f"{result.checked} exposure(s) OK", err=True)
    return EXIT_FINDINGS if result.problems else EXIT_OK
