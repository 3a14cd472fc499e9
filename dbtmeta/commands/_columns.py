"""Loading shared by the column-level commands (``lineage NODE.COLUMN``, ``check-fields``,
``impact --columns``): the LookML project, the table resolver, the catalog."""

from __future__ import annotations

import gc
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from dbtmeta.dbt.artifacts import ArtifactPaths, Manifest
    from dbtmeta.dbt.columns import Catalog
    from dbtmeta.looker.content import LookerContent

FREEZE_MIN_ITEMS = 1000  # dashboards + views of a LookML project big enough to freeze after reading

Resolve = Callable[[str, str | None], tuple[str | None, str | None]]


def lookml_options(required: bool) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """``--lookml-dir`` and ``--lookml-import``."""

    def decorate(func: Callable[..., Any]) -> Callable[..., Any]:
        func = click.option(
            "--lookml-import",
            multiple=True,
            metavar="NAME=DIR",
            help="Checkout of a LookML project the repository imports (repeatable).",
        )(func)
        return click.option(
            "--lookml-dir",
            type=click.Path(file_okay=False),
            required=required,
            help="The LookML repository whose fields are traced to columns.",
        )(func)

    return decorate


def catalog_option(help: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """``--catalog FILE``: the catalog.json of `dbt docs generate` to read columns from."""
    return click.option("--catalog", "catalog_path", type=click.Path(dir_okay=False), help=help)


def load_lookml(
    lookml_dir: str, lookml_import: tuple[str, ...], manifest: Manifest
) -> tuple[LookerContent, Resolve]:
    """The LookML content (its problems as warnings) and a resolver of its tables to dbt nodes."""
    from dbtmeta.console import warn
    from dbtmeta.dbt.artifacts import gc_paused
    from dbtmeta.looker.lookml import parse_lookml_imports, read_lookml
    from dbtmeta.looker.lookml_cache import default_cache_dir

    imports = parse_lookml_imports(lookml_import)
    # Reading a big project creates millions of acyclic containers (its parses, dashboards,
    # explores): with the collector on, its passes re-scan them again and again (a second of 4,000
    # dashboards' 7 s). What cyclic garbage the read leaves is collected once it is back on.
    with gc_paused():
        content = read_lookml(lookml_dir, imports=imports, fields=True, cache_dir=default_cache_dir())
        if len(content.dashboards) + len(content.lookml_views) >= FREEZE_MIN_ITEMS:
            # Like a big artifact (dbt.artifacts.read_json): alive until the end, never scanned again.
            gc.freeze()
    for problem in content.problems:
        warn(problem)
    return load_lookml_resolver(content, manifest)


def load_catalog_near(
    catalog_path: str | None, target_dir: Path, *, required: bool = False
) -> Catalog | None:
    """``--catalog FILE``, else catalog.json in the target directory (None when absent and optional)."""
    from dbtmeta.dbt.columns import load_catalog
    from dbtmeta.errors import InputError

    if catalog_path:
        return load_catalog(catalog_path)
    default = target_dir / "catalog.json"
    if default.is_file():
        return load_catalog(default)
    if required:
        raise InputError(
            f"no catalog.json in {str(target_dir)!r}; run `dbt docs generate` first, or pass --catalog FILE"
        )
    return None


def run_column_impact(
    state: str | None,
    lookml_dir: str | None,
    lookml_import: tuple[str, ...],
    catalog_path: str | None,
    format: str,
    output: str | None,
    paths: ArtifactPaths,
) -> int:
    """``impact --columns``: the report on stdout (or ``output``); 1 when a changed column is read.

    ``paths``: the PR's artifacts (:func:`dbtmeta.dbt.artifacts.find_artifacts`).
    """
    from dbtmeta.columns.impact import column_impact
    from dbtmeta.columns.usage import column_usage
    from dbtmeta.commands._options import emit
    from dbtmeta.console import info
    from dbtmeta.dbt.artifacts import load_manifest
    from dbtmeta.dbt.columns import column_changes
    from dbtmeta.errors import EXIT_FINDINGS, EXIT_OK, UsageError
    from dbtmeta.render.columns import COLUMN_IMPACT_FORMATS

    if not state or not lookml_dir:
        raise UsageError(
            "--columns compares with production: give --state PROD_DIR (its manifest.json and "
            "catalog.json) and --lookml-dir DIR (the fields that read the columns)"
        )
    state_dir = Path(state) if Path(state).is_dir() else Path(state).parent
    previous_manifest = state_dir / "manifest.json"
    if not previous_manifest.is_file():
        from dbtmeta.errors import InputError

        raise InputError(
            f"no manifest.json in {str(state_dir)!r}; --state takes the production artifacts' directory"
        )
    manifest = load_manifest(paths.manifest)
    previous = load_manifest(previous_manifest)
    changes = column_changes(
        previous,
        load_catalog_near(None, state_dir),
        manifest,
        load_catalog_near(catalog_path, paths.target_dir),
    )
    content, _ = load_lookml(lookml_dir, lookml_import, manifest)
    # The fields read production's columns: resolve Looker's tables against the production manifest.
    _, resolve_previous = load_lookml_resolver(content, previous)
    report = column_impact(changes, column_usage(content, resolve_previous))
    emit(lambda console: COLUMN_IMPACT_FORMATS[format](report, console), output)
    breaking = report.breaking()
    if breaking:
        tiles = {(u.dashboard_id, u.tile_id) for item in breaking for u in item.uses}
        info(f"{len(breaking)} changed column(s) are read by {len(tiles)} Looker tile(s)")
        return EXIT_FINDINGS
    return EXIT_OK


def load_lookml_resolver(content: LookerContent, manifest: Manifest) -> tuple[LookerContent, Resolve]:
    """A resolver of ``content``'s tables against ``manifest``."""
    from dbtmeta.exposures.resolve import Resolver, build_index

    resolver = Resolver(content, build_index(manifest))

    def resolve(table: str, connection: str | None) -> tuple[str | None, str | None]:
        node, problem = resolver.resolve_table(table, connection)
        return (node.unique_id if node else None), problem

    return content, resolve


def run_column_lineage(
    node: str,
    looker_field: bool,
    lookml_dir: str | None,
    lookml_import: tuple[str, ...],
    catalog_path: str | None,
    format: str,
    paths: ArtifactPaths,
) -> int:
    """``lineage NODE.COLUMN --lookml-dir`` and ``lineage VIEW.FIELD --looker-field --lookml-dir``."""
    from dbtmeta.columns.lineage import column_lineage, field_reads
    from dbtmeta.columns.usage import column_usage
    from dbtmeta.console import make_console
    from dbtmeta.dbt.artifacts import load_manifest
    from dbtmeta.dbt.columns import node_columns
    from dbtmeta.dbt.graph import build_graph
    from dbtmeta.errors import EXIT_OK, UsageError
    from dbtmeta.render.columns import COLUMN_LINEAGE_FORMATS, FIELD_LINEAGE_FORMATS

    if not lookml_dir:
        raise UsageError("--looker-field needs --lookml-dir DIR: the LookML project the field is defined in")
    name, dot, column = node.rpartition(".")
    if not dot or not name or not column:
        shape = (
            "VIEW.FIELD (e.g. fact_orders.total_revenue)"
            if looker_field
            else "NODE.COLUMN (e.g. fact_orders.order_total)"
        )
        raise UsageError(
            f"with {'--looker-field' if looker_field else '--lookml-dir'}, NODE is {shape}, not {node!r}"
        )
    manifest = load_manifest(paths.manifest)
    if looker_field:
        content, resolve = load_lookml(lookml_dir, lookml_import, manifest)
        FIELD_LINEAGE_FORMATS[format](field_reads(content, resolve, name, column), make_console())
        return EXIT_OK
    unique_id = build_graph(manifest).resolve(name)
    content, resolve = load_lookml(lookml_dir, lookml_import, manifest)
    found = column_lineage(column_usage(content, resolve), unique_id, column)
    known = node_columns(manifest, load_catalog_near(catalog_path, paths.target_dir), unique_id)
    found.columns_source = known.source
    found.exists = None if known.source is None else known.get(column) is not None
    COLUMN_LINEAGE_FORMATS[format](found, make_console())
    return EXIT_OK
