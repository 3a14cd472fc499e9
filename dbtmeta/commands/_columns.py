"""Loading shared by the column-level commands (``lineage NODE.COLUMN``, ``check-fields``,
``impact --columns``): the LookML project, the table resolver, the catalog."""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from dbtmeta.columns.impact import ColumnImpact
    from dbtmeta.dbt.artifacts import ArtifactPaths, Manifest
    from dbtmeta.dbt.columns import Catalog
    from dbtmeta.looker.content import Connection, LookerContent

Resolve = Callable[[str, str | None], tuple[str | None, str | None]]


@dataclass(frozen=True)
class LookmlSettings:
    """How to read the LookML project's SQL: the same settings ``sync-exposures`` takes."""

    dialect: str | None = None
    connections: Mapping[str, Connection] = field(default_factory=dict)
    schema_map: Mapping[str, str] = field(default_factory=dict)
    user_attributes: Mapping[str, str] = field(default_factory=dict)


def lookml_options(required: bool) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """``--lookml-dir``, ``--lookml-import`` and the SQL settings, the latter handed to the command
    as one ``lookml_settings: LookmlSettings`` (parsed: a malformed value fails before any slow work)."""

    def decorate(func: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            from dbtmeta.exposures.resolve import parse_connections, parse_schema_map, parse_user_attributes

            kwargs["lookml_settings"] = LookmlSettings(
                dialect=kwargs.pop("dialect"),
                connections=parse_connections(kwargs.pop("connection")),
                schema_map=parse_schema_map(kwargs.pop("schema_map")),
                user_attributes=parse_user_attributes(kwargs.pop("user_attribute")),
            )
            return func(*args, **kwargs)

        decorated = lookml_sql_options(wrapper)
        decorated = click.option(
            "--lookml-import",
            multiple=True,
            metavar="NAME=DIR",
            help="Checkout of a LookML project the repository imports (repeatable).",
        )(decorated)
        return click.option(
            "--lookml-dir",
            type=click.Path(file_okay=False),
            required=required,
            help="The LookML repository whose fields are traced to columns.",
        )(decorated)

    return decorate


def lookml_sql_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """``--dialect``, ``--connection``, ``--schema-map``, ``--user-attribute``: how LookML's SQL and
    table names are read and matched to the manifest (shared by sync-exposures and the column commands)."""
    options = [
        click.option(
            "--schema-map",
            multiple=True,
            metavar="LOOKER=DBT",
            help="Looker schema -> manifest schema (repeatable).",
        ),
        click.option(
            "--dialect",
            help="SQL dialect of LookML's SQL (default: the Looker connection's, else the manifest adapter).",
        ),
        click.option(
            "--connection",
            "connection",
            multiple=True,
            metavar="NAME:KEY=VALUE,...",
            help="Defaults of a Looker connection for 1-2 part table names and case rules: "
            "'warehouse:database=analytics,schema=marts,dialect=snowflake' (repeatable).",
        ),
        click.option(
            "--user-attribute",
            "user_attribute",
            multiple=True,
            metavar="NAME=VALUE",
            help="Value of a Looker user attribute for Liquid in sql_table_name and derived SQL "
            "(_user_attributes['NAME']; repeatable).",
        ),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def catalog_option(help: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """``--catalog FILE``: the catalog.json of `dbt docs generate` to read columns from."""
    return click.option("--catalog", "catalog_path", type=click.Path(dir_okay=False), help=help)


def load_lookml(
    lookml_dir: str,
    lookml_import: tuple[str, ...],
    manifest: Manifest,
    settings: LookmlSettings | None = None,
) -> tuple[LookerContent, Resolve]:
    """The LookML content (its problems as warnings) and a resolver of its tables to dbt nodes.

    Read as ``sync-exposures`` reads it (same dialect, connection defaults, user attributes and
    schema map), so a table resolves to the same dbt node in every command.
    """
    from dbtmeta.console import warn
    from dbtmeta.looker.lookml import parse_lookml_imports, read_lookml
    from dbtmeta.looker.lookml_cache import default_cache_dir

    settings = settings or LookmlSettings()
    content = read_lookml(
        lookml_dir,
        dialect=settings.dialect or manifest.adapter_type,
        imports=parse_lookml_imports(lookml_import),
        connections=settings.connections,
        user_attributes=settings.user_attributes,
        fields=True,
        cache_dir=default_cache_dir(),
    )
    for problem in content.problems:
        warn(problem)
    return load_lookml_resolver(content, manifest, settings)


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
    settings: LookmlSettings,
    catalog_path: str | None,
    format: str,
    output: str | None,
    paths: ArtifactPaths,
    fail_on_maturity: str | None = None,
) -> int:
    """``impact --columns``: the report on stdout (or ``output``); 1 when a changed column is read
    (with ``fail_on_maturity``: by a dashboard whose exposure is at least that mature).

    ``paths``: the PR's artifacts (:func:`dbtmeta.dbt.artifacts.find_artifacts`).
    """
    from dbtmeta.columns.impact import column_impact, dashboard_maturities
    from dbtmeta.columns.usage import column_usage
    from dbtmeta.commands._options import emit
    from dbtmeta.dbt.artifacts import load_manifest
    from dbtmeta.dbt.columns import column_changes
    from dbtmeta.errors import UsageError
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
    content, _ = load_lookml(lookml_dir, lookml_import, manifest, settings)
    # The fields read production's columns: resolve Looker's tables against the production manifest.
    _, resolve_previous = load_lookml_resolver(content, previous, settings)
    report = column_impact(changes, column_usage(content, resolve_previous))
    emit(lambda console: COLUMN_IMPACT_FORMATS[format](report, console), output)
    return _column_impact_exit(report, dashboard_maturities(manifest), fail_on_maturity)


def _column_impact_exit(
    report: ColumnImpact, maturities: dict[str, str], fail_on_maturity: str | None
) -> int:
    from dbtmeta.console import info
    from dbtmeta.errors import EXIT_FINDINGS, EXIT_OK

    breaking = report.gate(fail_on_maturity, maturities)
    if breaking:
        tiles = {(u.dashboard_id, u.tile_id) for item in breaking for u in item.uses}
        info(f"{len(breaking)} changed column(s) are read by {len(tiles)} Looker tile(s)")
        return EXIT_FINDINGS
    if report.breaking():
        info(
            f"{len(report.breaking())} changed column(s) are read, none by a dashboard whose exposure "
            f"has maturity {fail_on_maturity} or higher"
        )
    return EXIT_OK


def load_lookml_resolver(
    content: LookerContent, manifest: Manifest, settings: LookmlSettings | None = None
) -> tuple[LookerContent, Resolve]:
    """A resolver of ``content``'s tables against ``manifest`` (as sync-exposures resolves them)."""
    from dbtmeta.exposures.resolve import Resolver, build_index

    settings = settings or LookmlSettings()
    dialect = settings.dialect or manifest.adapter_type
    resolver = Resolver(
        content, build_index(manifest, dialect), dialect=dialect, schema_map=settings.schema_map
    )

    def resolve(table: str, connection: str | None) -> tuple[str | None, str | None]:
        node, problem = resolver.resolve_table(table, connection)
        return (node.unique_id if node else None), problem

    return content, resolve


def run_column_lineage(
    node: str,
    looker_field: bool,
    lookml_dir: str | None,
    lookml_import: tuple[str, ...],
    settings: LookmlSettings,
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
        content, resolve = load_lookml(lookml_dir, lookml_import, manifest, settings)
        FIELD_LINEAGE_FORMATS[format](field_reads(content, resolve, name, column), make_console())
        return EXIT_OK
    unique_id = build_graph(manifest).resolve(name)
    content, resolve = load_lookml(lookml_dir, lookml_import, manifest, settings)
    found = column_lineage(column_usage(content, resolve), unique_id, column)
    known = node_columns(manifest, load_catalog_near(catalog_path, paths.target_dir), unique_id)
    found.columns_source = known.source
    found.exists = None if known.source is None else known.get(column) is not None
    COLUMN_LINEAGE_FORMATS[format](found, make_console())
    return EXIT_OK
