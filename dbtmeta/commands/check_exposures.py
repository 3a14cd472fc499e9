"""``dbtmeta check-exposures``: validate exposures against the manifest (pre-commit and CI).

Must not: compute anything a test would want to call: flags in, library calls, flag names in errors.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from dbtmeta.commands._options import project_options
from dbtmeta.errors import EXIT_FINDINGS, EXIT_OK
from dbtmeta.text import dumps_json, visible

if TYPE_CHECKING:
    from dbtmeta.dbt.artifacts import Manifest
    from dbtmeta.exposures.check import Problem


@click.command(
    epilog="""\b
Examples:
  dbtmeta check-exposures                       # every exposure of the project
  dbtmeta check-exposures models/exposures/*.yml
  dbtmeta check-exposures --parse --format json"""
)
@click.argument("files", nargs=-1, type=click.Path())
@project_options
@click.option("--parse", is_flag=True, help="Run `dbt parse` first (needs dbt-core and a profile).")
@click.option(
    "--sync-snapshot",
    type=click.Path(dir_okay=False),
    help="Also check that the generated Looker exposures match this snapshot (as "
    "`sync-exposures --check`; its other options come from the config's sync_exposures section).",
)
@click.option("--format", "format", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.pass_context
def command(
    ctx: click.Context,
    files: tuple[str, ...],
    project_dir: str | None,
    target_path: str | None,
    manifest_path: str | None,
    parse: bool,
    sync_snapshot: str | None,
    format: str,
) -> int:
    """Validate exposures: depends_on resolves to enabled nodes, owner email, names, types.

    FILES (YAML; others are ignored, as pre-commit passes them) limits the check to the exposures
    defined there; without FILES every exposure of the project is checked. The YAML is read
    directly, so a ref() to a model deleted since the last `dbt parse` is still caught.
    Exit 1 when there are problems.
    """
    from dbtmeta.exposures.check import files_with_exposures

    _refuse_missing(files)
    if files and not files_with_exposures(files) and not sync_snapshot:
        if format == "json":
            click.echo(json.dumps({"ok": True, "checked_exposures": 0, "files": [], "problems": []}))
        return EXIT_OK

    from dbtmeta.console import info
    from dbtmeta.dbt.artifacts import find_project_dir, load_project_manifest
    from dbtmeta.exposures.check import check_exposures, run_dbt_parse

    extra = []
    if parse:
        extra = run_dbt_parse(find_project_dir(project_dir, manifest_path=manifest_path), target_path)
    manifest, project = load_project_manifest(project_dir, target_path, manifest_path)
    result = check_exposures(manifest, list(files) if files else None, project_dir=project)
    if sync_snapshot:
        extra += _sync_problems(ctx, sync_snapshot, manifest, project)
    result.problems = sorted(extra + result.problems)
    if format == "json":
        click.echo(dumps_json(result.to_dict(), indent=2, ascii_only=True))
    else:
        for problem in result.problems:
            click.echo(visible(str(problem)))
        if result.problems:
            info(
                f"{len(result.problems)} problem(s) in {result.checked} exposure(s); "
                "fix them, then re-run `dbtmeta check-exposures`"
            )
        else:
            info(f"{result.checked} exposure(s) OK")
    return EXIT_FINDINGS if result.problems else EXIT_OK


def _refuse_missing(files: tuple[str, ...]) -> None:
    """A FILE that does not exist is a typo, not "no exposures there": say so rather than exit 0."""
    import os

    from dbtmeta.errors import InputError

    missing = [path for path in files if not os.path.exists(path)]
    if missing:
        names = ", ".join(repr(visible(path)) for path in missing)
        raise InputError(
            f"file {names} does not exist; check the path"
            if len(missing) == 1
            else f"files {names} do not exist; check the paths"
        )


def _sync_problems(ctx: click.Context, snapshot: str, manifest: Manifest, project: Path) -> list[Problem]:
    """The problem "the generated exposures file is out of date" when syncing from the Looker
    ``snapshot`` would change it, with sync-exposures' options from the config file."""
    from dbtmeta.config import build_default_map, find_config, read_config
    from dbtmeta.exposures.check import Problem
    from dbtmeta.exposures.sync import SyncOptions
    from dbtmeta.exposures.sync import plan as plan_sync
    from dbtmeta.looker.snapshot import load_snapshot

    root = ctx.find_root()
    group = root.command
    assert isinstance(group, click.Group)
    config_path = root.params.get("config_path")
    path = Path(config_path) if config_path else find_config()
    defaults: dict[str, Any] = {}
    if path is not None:
        data = read_config(path)
        defaults = build_default_map(data, path, group, root, "sync-exposures").get("sync-exposures", {})
    options = SyncOptions.from_mapping(defaults)
    plan = plan_sync(load_snapshot(snapshot), manifest, project, options)
    if options.strict and plan.findings:
        reason = f"{len(plan.findings)} unresolved tables or tiles (strict)"
    elif plan.changed:
        reason = f"{plan.path} is out of date; run `dbtmeta sync-exposures`"
    else:
        return []
    return [Problem(snapshot, 0, "", "out-of-sync", f"{reason} (Looker snapshot {snapshot})")]
