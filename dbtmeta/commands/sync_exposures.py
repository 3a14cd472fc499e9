"""``dbtmeta sync-exposures``: write dbt exposures for Looker dashboards (and Looks).

Must not: compute anything a test would want to call: flags in, library calls, flag names in errors.
"""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING, Any, NamedTuple

import click

from dbtmeta.commands._columns import catalog_option, lookml_sql_options
from dbtmeta.commands._options import LookmlImport, project_options, source_layer
from dbtmeta.commands.looker import api_settings_from_options, looker_options
from dbtmeta.errors import EXIT_FINDINGS, EXIT_OK, UsageError
from dbtmeta.vocabulary import MATURITIES

if TYPE_CHECKING:
    from pathlib import Path

    from dbtmeta.dbt.artifacts import Manifest
    from dbtmeta.exposures.sync import ParsedOptions, SyncOptions, SyncPlan
    from dbtmeta.looker.content import Connection, LookerContent


@click.command(
    "sync-exposures",
    epilog="""\b
Examples:
  dbtmeta sync-exposures --lookml-dir looker/ --project-dir .
  dbtmeta sync-exposures --snapshot looker.json --check          # CI gate
  LOOKERSDK_BASE_URL=https://acme.looker.com LOOKERSDK_CLIENT_ID=.. LOOKERSDK_CLIENT_SECRET=.. \\
    dbtmeta sync-exposures --include-looks --default-owner-email data@acme.com
Exit codes: 0 written or up to date, 1 --check found a difference or --strict found
unresolved tables, 2 usage/input error, 3 Looker unreachable. See docs/sync-exposures.md.""",
)
@click.option("--lookml-dir", type=click.Path(file_okay=False), help="Read a LookML repository.")
@click.option(
    "--lookml-import",
    multiple=True,
    type=LookmlImport(),
    metavar="NAME=DIR",
    help="Where the LookML project NAME that manifest.lkml imports is checked out (repeatable).",
)
@click.option(
    "--no-cache",
    is_flag=True,
    help="Parse every LookML file afresh: no cache of parsed files "
    "(default: $XDG_CACHE_HOME/dbtmeta/lookml; also DBTMETA_NO_CACHE=1).",
)
@click.option("--snapshot", type=click.Path(dir_okay=False), help="Read a `dbtmeta looker pull` snapshot.")
@looker_options
@click.option(
    "--include-looks", is_flag=True, help="Also write exposures (type analysis) for standalone Looks."
)
@project_options
@click.option(
    "--output",
    type=click.Path(dir_okay=False),
    help="Generated file (default: <project>/models/exposures/looker_exposures.yml).",
)
@click.option(
    "--check", is_flag=True, help="Write nothing; exit 1 and print the diff if the file is out of date."
)
@click.option("--dry-run", is_flag=True, help="Write nothing; print the diff.")
@click.option(
    "--strict", is_flag=True, help="Unresolved or ambiguous tables are an error (exit 1, nothing written)."
)
@lookml_sql_options
@click.option(
    "--default-owner-email", help="Owner email for items Looker gives no owner for (LookML dashboards)."
)
@click.option(
    "--default-owner-name", help="Owner name for items Looker gives no owner for (default: Looker)."
)
@click.option(
    "--maturity-rule",
    multiple=True,
    metavar="COND=LEVEL",
    help="e.g. 'folder:Executive*=high', 'views>=100=high', '*=low'; first match wins.",
)
@click.option(
    "--owner-rule",
    multiple=True,
    metavar="COND=OWNER",
    help="Owner for matching items, over Looker's: 'id:greenery::*=Data Team <data@acme.com>'.",
)
@click.option("--default-maturity", type=click.Choice(MATURITIES), default="medium", show_default=True)
@click.option(
    "--usage-stats",
    is_flag=True,
    help="Put view_count/last_viewed_at in meta (the file then changes as people view dashboards).",
)
@click.option(
    "--dashboard-url-base", help="Looker URL for exposure urls when the content has none (LookML, snapshot)."
)
@click.option(
    "--referenced-columns",
    is_flag=True,
    help="Also write meta.referenced_columns (the columns the tiles read, for Elementary's "
    "exposure_schema_validity test); data_type from catalog.json.",
)
@catalog_option("catalog.json for --referenced-columns' data_type (default: the target directory's).")
def command(
    lookml_dir: str | None,
    lookml_import: tuple[str, ...],
    no_cache: bool,
    snapshot: str | None,
    concurrency: int,
    project_dir: str | None,
    target_path: str | None,
    manifest_path: str | None,
    check: bool,
    dry_run: bool,
    user_attribute: tuple[str, ...],
    **params: Any,  # SyncOptions fields, and the other looker_options for api_settings_from_options
) -> int:
    """Write dbt exposures for every Looker dashboard (and Look) from one content source:
    --lookml-dir, --snapshot, or the Looker API (--looker-ini / --base-url / LOOKERSDK_* env;
    with --lookml-dir too, the repository resolves templated and derived views).

    The generated file is rewritten only when its content changes; names stay stable across
    renames; hand-written exposures elsewhere in the project are never touched.
    """
    from dbtmeta.console import warn
    from dbtmeta.dbt.artifacts import load_project_manifest
    from dbtmeta.exposures.resolve import parse_user_attributes
    from dbtmeta.exposures.sync import SyncOptions

    if check and dry_run:
        raise UsageError("--check and --dry-run do not go together: --check already writes nothing")
    if lookml_import and not lookml_dir:
        raise UsageError("--lookml-import goes with --lookml-dir: it says where that project's imports are")
    options = SyncOptions.from_mapping(params)
    looker = {key: value for key, value in params.items() if key not in SyncOptions.field_names()}
    parsed = options.parsed()  # a malformed rule fails before any slow work
    connections = parsed[3]
    user_attributes = parse_user_attributes(user_attribute)
    manifest, project = load_project_manifest(project_dir, target_path, manifest_path)
    chosen, api_given = _chosen_source(looker, lookml_dir, snapshot)
    content = _load_content(
        lookml_dir=chosen["lookml_dir"],
        lookml_import=lookml_import,
        no_cache=no_cache,
        strict=options.strict,
        snapshot=chosen["snapshot"],
        api_given=api_given,
        api_settings=api_settings_from_options(**looker),
        concurrency=concurrency,
        include_looks=options.include_looks,
        # LookML has no connection details: the warehouse is the one the dbt project builds in
        dialect=options.dialect or manifest.adapter_type,
        connections=connections,
        user_attributes=user_attributes,
    )
    for name in sorted(set(connections) - set(content.model_connections.values())):
        used = ", ".join(sorted(set(content.model_connections.values()))) or "none"
        warn(f"--connection {name}: no Looker model uses this connection (connections used: {used})")
    where = _Where(project_dir, target_path, manifest_path, lookml_dir, lookml_import, user_attributes)
    return _sync(content, manifest, project, options, parsed, where, check=check, dry_run=dry_run)


def _chosen_source(
    looker: dict[str, Any], lookml_dir: str | None, snapshot: str | None
) -> tuple[dict[str, Any], bool]:
    """The source options of the layer that names one (``looker`` updated to match), and whether
    the API is among them. ``LOOKERSDK_BASE_URL`` alone is the fallback, not a source beside
    ``--lookml-dir``."""
    ctx = click.get_current_context()
    chosen = source_layer(ctx, {**looker, "lookml_dir": lookml_dir, "snapshot": snapshot})
    layer_url = ctx.get_parameter_source("base_url") is not click.core.ParameterSource.ENVIRONMENT
    looker.update(looker_ini=chosen["looker_ini"], base_url=chosen["base_url"])
    return chosen, bool(chosen["looker_ini"] or (chosen["base_url"] and layer_url))


def _finish(plan: SyncPlan, content: LookerContent, *, strict: bool, check: bool, dry_run: bool) -> int:
    """Report what could not be resolved, then write the file, or show the diff (--check, --dry-run)."""
    from dbtmeta.console import info, warn
    from dbtmeta.exposures.sync import apply

    for problem in content.problems:
        warn(str(problem))
    for finding in plan.findings:
        warn(f"unresolved: {finding.line()}")
    if plan.exposures == 0 and plan.removed:
        warn(
            f"the Looker content has no dashboards: all {len(plan.removed)} generated "
            "exposures go (check the source and the API user's permissions)"
        )
    if strict and (plan.findings or content.problems):
        info(
            f"{len(plan.findings)} unresolved tables or tiles, {len(content.problems)} LookML "
            f"problems (--strict): {plan.path} left as it was"
        )
        return EXIT_FINDINGS
    if check or dry_run:
        if plan.changed:
            sys.stdout.write(plan.diff())
        if check:
            if plan.changed:
                info(f"{plan.path} is out of date; run `dbtmeta sync-exposures`")
                return EXIT_FINDINGS
            click.echo(f"{plan.path}: up to date ({plan.exposures} exposures)")
        else:
            info(plan.summary(dry_run=True))  # stdout holds only the diff
        return EXIT_OK
    apply(plan)
    click.echo(plan.summary())
    return EXIT_OK


def _load_content(
    *,
    lookml_dir: str | None,
    lookml_import: tuple[str, ...],
    no_cache: bool,
    strict: bool,
    snapshot: str | None,
    api_given: bool,
    api_settings: object,
    concurrency: int,
    include_looks: bool,
    dialect: str | None,
    connections: dict[str, Connection],
    user_attributes: dict[str, str],
) -> LookerContent:
    if snapshot:
        if lookml_dir or api_given:
            raise UsageError(
                "--snapshot replaces --lookml-dir and the Looker API settings: give only one source"
            )
        from dbtmeta.looker.snapshot import load_snapshot

        return load_snapshot(snapshot)
    lookml = None
    if lookml_dir:
        from dbtmeta.looker.lookml import parse_lookml_imports, read_lookml
        from dbtmeta.looker.lookml_cache import default_cache_dir

        lookml = read_lookml(
            lookml_dir,
            dialect=dialect,
            imports=parse_lookml_imports(lookml_import),
            connections=connections,
            user_attributes=user_attributes,
            # Exposures need only the explores dashboards query; --strict checks every file. Beside
            # the API, every view may be one a dashboard's explore reaches, and fields win over the API's.
            scope="all" if strict or api_given else "dashboards",
            fields=api_given,
            cache_dir=None if no_cache else default_cache_dir(),
        )
        if not api_given:
            return lookml
    base_url = getattr(api_settings, "base_url", None)
    if not (api_given or base_url or os.path.isfile("looker.ini")):
        raise UsageError(
            "no Looker content: give --lookml-dir DIR, --snapshot FILE, or API settings "
            "(--looker-ini / --base-url / LOOKERSDK_BASE_URL with LOOKERSDK_CLIENT_ID/SECRET)"
        )
    from dbtmeta.looker.api import crawl

    return crawl(
        api_settings,  # type: ignore[arg-type]
        include_looks=include_looks,
        concurrency=concurrency,
        progress=sys.stderr.isatty(),
        lookml=lookml,
    )


class _Where(NamedTuple):
    """Where sync-exposures was told the artifacts and the LookML are (for --referenced-columns)."""

    project_dir: str | None
    target_path: str | None
    manifest_path: str | None
    lookml_dir: str | None
    lookml_import: tuple[str, ...]
    user_attributes: dict[str, str]


def _sync(
    content: LookerContent,
    manifest: Manifest,
    project: Path,
    options: SyncOptions,
    parsed: ParsedOptions,
    where: _Where,
    *,
    check: bool,
    dry_run: bool,
) -> int:
    """Plan the file (with ``--referenced-columns``, the columns the tiles read), then finish."""
    from dbtmeta.exposures.sync import plan as plan_sync

    referenced = (
        _referenced_columns(content, manifest, options, parsed, where) if options.referenced_columns else None
    )
    plan = plan_sync(content, manifest, project, options, parsed, referenced)
    return _finish(plan, content, strict=options.strict, check=check, dry_run=dry_run)


def _referenced_columns(
    content: LookerContent, manifest: Manifest, options: SyncOptions, parsed: ParsedOptions, where: _Where
) -> dict[str, list[dict[str, str]]]:
    """``--referenced-columns``: the one place sync-exposures loads what the column lineage needs
    (the column commands' loaders: field definitions, table resolver, catalog); problems as warnings.

    Content from the API or a snapshot carries its field definitions; LookML read for the
    exposures alone does not, so the repository is read again with them (cached files).
    """
    from dbtmeta.commands._columns import (
        LookerSource,
        LookmlSettings,
        load_catalog_near,
        load_content_resolver,
        load_lookml_resolver,
    )
    from dbtmeta.console import warn
    from dbtmeta.dbt.artifacts import find_artifacts
    from dbtmeta.exposures.referenced import referenced_columns

    settings = LookmlSettings(options.dialect, parsed[3], parsed[2], where.user_attributes)
    if content.source == "lookml" and where.lookml_dir:
        source = LookerSource(where.lookml_dir, where.lookml_import, settings=settings)
        traced, resolve = load_content_resolver(source, manifest)
    else:
        traced, resolve = load_lookml_resolver(content, manifest, settings)
    target_dir = find_artifacts(where.project_dir, where.target_path, where.manifest_path).target_dir
    catalog = load_catalog_near(options.catalog_path, target_dir, manifest=manifest)
    if catalog is None:
        warn(
            f"no catalog.json in {str(target_dir)!r}: referenced_columns are written without data_type "
            "(run `dbt docs generate`, or pass --catalog FILE)"
        )
    found = referenced_columns(traced, resolve, manifest, catalog)
    for problem in found.problems:
        warn(f"referenced_columns: {problem}")
    return found.items
