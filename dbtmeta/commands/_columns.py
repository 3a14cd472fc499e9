"""Loading shared by the column-level commands (``lineage NODE.COLUMN``, ``check-fields``,
``impact --columns``, tile-level ``stale-dashboards``): the Looker content (LookML, a snapshot or
the API), the table resolver, the catalog."""

from __future__ import annotations

import functools
import gc
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from dbtmeta.commands._options import LookmlImport, source_layer, source_on_command_line
from dbtmeta.commands.looker import looker_options

if TYPE_CHECKING:
    from dbtmeta.columns.impact import ColumnImpact
    from dbtmeta.dbt.artifacts import ArtifactPaths, Manifest
    from dbtmeta.dbt.columns import Catalog
    from dbtmeta.looker.content import Connection, LookerContent

FREEZE_MIN_ITEMS = 1000  # dashboards + views of a LookML project big enough to freeze after reading

Resolve = Callable[[str, str | None], tuple[str | None, str | None]]


def lookml_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """``--lookml-dir`` and ``--lookml-import``."""
    func = click.option(
        "--lookml-import",
        multiple=True,
        type=LookmlImport(),
        metavar="NAME=DIR",
        help="Checkout of a LookML project the repository imports (repeatable).",
    )(func)
    return click.option(
        "--lookml-dir",
        type=click.Path(file_okay=False),
        help="The LookML repository whose fields are traced to columns.",
    )(func)


def lookml_sql_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """``--dialect``, ``--connection``, ``--schema-map``, ``--user-attribute``: how LookML's SQL and
    table names are read and matched to the manifest (sync-exposures and the column commands)."""
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


@dataclass(frozen=True)
class LookmlSettings:
    """How to read Looker's SQL: the settings ``sync-exposures`` takes, so a table resolves to the
    same dbt node in every command."""

    dialect: str | None = None
    connections: Mapping[str, Connection] = field(default_factory=dict)
    schema_map: Mapping[str, str] = field(default_factory=dict)
    user_attributes: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def from_options(cls, kwargs: dict[str, Any]) -> LookmlSettings:
        """Pop ``lookml_sql_options``' values from ``kwargs``, parsed (UsageError when malformed)."""
        from dbtmeta.exposures.resolve import parse_connections, parse_schema_map, parse_user_attributes

        return cls(
            dialect=kwargs.pop("dialect"),
            connections=parse_connections(kwargs.pop("connection")),
            schema_map=parse_schema_map(kwargs.pop("schema_map")),
            user_attributes=parse_user_attributes(kwargs.pop("user_attribute")),
        )


_API_KEYS = ("looker_ini", "looker_section", "base_url", "verify_ssl", "timeout", "retries", "concurrency")
NO_CONTENT = (
    "no Looker content to trace the fields of: give --lookml-dir DIR, --snapshot FILE (from "
    "`dbtmeta looker pull`), or the Looker API settings (--looker-ini / --base-url / "
    "LOOKERSDK_BASE_URL with LOOKERSDK_CLIENT_ID/SECRET)"
)


@dataclass(frozen=True)
class LookerSource:
    """Where a column command reads Looker from: ``--lookml-dir``, ``--snapshot`` or the API."""

    lookml_dir: str | None = None
    lookml_import: tuple[str, ...] = ()
    snapshot: str | None = None
    api: dict[str, Any] = field(default_factory=dict)  # looker_options values
    cli: frozenset[str] = frozenset()  # the source options given on the command line itself
    settings: LookmlSettings = field(default_factory=LookmlSettings)

    @property
    def api_given(self) -> bool:
        """``looker_ini`` or ``base_url`` named by the layer the source comes from
        (:func:`dbtmeta.commands._options.source_layer`)."""
        return bool(self.api.get("looker_ini") or self.api.get("base_url"))

    @property
    def given(self) -> bool:
        """Some Looker content was asked for: ``--lookml-dir``, ``--snapshot``, or the API options."""
        return bool(self.lookml_dir or self.snapshot or self.cli & {"looker_ini", "base_url"})


def looker_source_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """``--lookml-dir``, ``--lookml-import``, ``--snapshot``, the Looker API options and the SQL
    settings, passed to the command as one ``source`` (:class:`LookerSource`) keyword argument."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        ctx = click.get_current_context()
        api = {key: kwargs.pop(key) for key in _API_KEYS}
        given = {**api, "lookml_dir": kwargs.pop("lookml_dir"), "snapshot": kwargs.pop("snapshot")}
        chosen = source_layer(ctx, given)
        api.update(looker_ini=chosen["looker_ini"], base_url=chosen["base_url"])
        settings = LookmlSettings.from_options(kwargs)  # a malformed value fails before slow work
        source = LookerSource(
            chosen["lookml_dir"],
            kwargs.pop("lookml_import"),
            chosen["snapshot"],
            api,
            source_on_command_line(ctx),
            settings,
        )
        return func(*args, source=source, **kwargs)

    wrapper = click.option(
        "--snapshot",
        metavar="FILE",
        type=click.Path(dir_okay=False),
        help="A `dbtmeta looker pull` snapshot: its field definitions are traced (instead of --lookml-dir).",
    )(wrapper)
    return lookml_options(lookml_sql_options(looker_options(wrapper)))


def load_looker_content(source: LookerSource, manifest: Manifest) -> LookerContent:
    """The Looker content with its field definitions, from the source given (problems as warnings).

    ``--snapshot`` goes alone; ``--lookml-dir`` is read as LookML (the API is not called); else the
    API is crawled. The ``--connection`` defaults are applied as sync-exposures applies them; LookML
    is read in ``--dialect``, else the manifest's adapter type. Raises ``UsageError`` when nothing
    says where Looker is.
    """
    from dbtmeta.exposures.resolve import apply_connection_defaults

    content = _load_looker_content(source, manifest)
    apply_connection_defaults(content, source.settings.connections)
    return content


def _load_looker_content(source: LookerSource, manifest: Manifest) -> LookerContent:
    import os
    import sys

    from dbtmeta.console import warn
    from dbtmeta.errors import UsageError

    if source.snapshot:
        if source.lookml_dir or source.api_given:
            raise UsageError(
                "--snapshot replaces --lookml-dir and the Looker API settings: give only one source"
            )
        from dbtmeta.looker.snapshot import load_snapshot

        content = load_snapshot(source.snapshot)
        if not content.lookml_joins:
            warn(
                f"snapshot {source.snapshot!r} has no field definitions (written by an older dbtmeta): "
                "pull it again with `dbtmeta looker pull`, or give --lookml-dir"
            )
        return content
    if source.lookml_dir:
        return _read_lookml(source.lookml_dir, source.lookml_import, source.settings, manifest)
    if not (source.api.get("looker_ini") or source.api.get("base_url") or os.path.isfile("looker.ini")):
        raise UsageError(NO_CONTENT)
    from dbtmeta.commands.looker import api_settings_from_options
    from dbtmeta.looker.api import crawl

    content = crawl(
        api_settings_from_options(**source.api),
        concurrency=source.api.get("concurrency") or 16,
        progress=sys.stderr.isatty(),
    )
    for problem in content.problems:
        warn(problem)
    return content


def load_content_resolver(source: LookerSource, manifest: Manifest) -> tuple[LookerContent, Resolve]:
    """:func:`load_looker_content` and a resolver of its tables against ``manifest``."""
    return load_lookml_resolver(load_looker_content(source, manifest), manifest, source.settings)


def catalog_option(help: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """``--catalog FILE``: the catalog.json of `dbt docs generate` to read columns from."""
    return click.option("--catalog", "catalog_path", type=click.Path(dir_okay=False), help=help)


def _read_lookml(
    lookml_dir: str, lookml_import: tuple[str, ...], settings: LookmlSettings, manifest: Manifest
) -> LookerContent:
    from dbtmeta.console import warn
    from dbtmeta.dbt.artifacts import gc_paused
    from dbtmeta.looker.lookml import parse_lookml_imports, read_lookml
    from dbtmeta.looker.lookml_cache import default_cache_dir

    imports = parse_lookml_imports(lookml_import)
    # Reading a big project creates millions of acyclic containers (its parses, dashboards,
    # explores): with the collector on, its passes re-scan them again and again (a second of 4,000
    # dashboards' 7 s). What cyclic garbage the read leaves is collected once it is back on.
    with gc_paused():
        content = read_lookml(
            lookml_dir,
            dialect=settings.dialect or manifest.adapter_type,
            imports=imports,
            connections=settings.connections,
            user_attributes=settings.user_attributes,
            fields=True,
            cache_dir=default_cache_dir(),
        )
        if len(content.dashboards) + len(content.lookml_views) >= FREEZE_MIN_ITEMS:
            # Like a big artifact (dbt.artifacts.read_json): alive until the end, never scanned again.
            gc.freeze()
    for problem in content.problems:
        warn(problem)
    return content


def load_catalog_near(
    catalog_path: str | None,
    target_dir: Path,
    *,
    required: bool = False,
    manifest: Manifest | None = None,
) -> Catalog | None:
    """``--catalog FILE``, else catalog.json in the target directory (None when absent and optional).

    With ``manifest``: a catalog none of whose nodes the manifest has (another project's or
    target's) is set aside with a warning, as foreign run results are.
    """
    from dbtmeta.dbt.columns import load_catalog
    from dbtmeta.errors import InputError

    path = Path(catalog_path) if catalog_path else target_dir / "catalog.json"
    if catalog_path or path.is_file():
        catalog = load_catalog(path)
        if manifest is None or not catalog.nodes:
            return catalog
        if any(uid in manifest.nodes or uid in manifest.sources for uid in catalog.nodes):
            return catalog
        from dbtmeta.console import warn

        warn(
            f"{str(path)!r} describes none of the manifest's nodes (another project's or target's "
            "catalog?): not used; run `dbt docs generate` for this project"
        )
        return None
    if required:
        raise InputError(
            f"no catalog.json in {str(target_dir)!r}; run `dbt docs generate` first, or pass --catalog FILE"
        )
    return None


def run_column_impact(
    state: str | None,
    source: LookerSource,
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
    from dbtmeta.dbt.columns import DbtColumns, column_changes
    from dbtmeta.errors import UsageError
    from dbtmeta.render.columns import COLUMN_IMPACT_FORMATS

    if not state:
        raise UsageError(
            "--columns compares with production: give --state PROD_DIR (its manifest.json and catalog.json)"
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
    previous_catalog = load_catalog_near(None, state_dir, manifest=previous)
    changes = column_changes(
        previous,
        previous_catalog,
        manifest,
        load_catalog_near(catalog_path, paths.target_dir, manifest=manifest),
    )
    content = load_looker_content(source, manifest)
    # The fields read production's columns: resolve Looker's tables against the production manifest.
    _, resolve_previous = load_lookml_resolver(content, previous, source.settings)
    known = DbtColumns(previous, previous_catalog)
    report = column_impact(changes, column_usage(content, resolve_previous, columns=known))
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
    source: LookerSource,
    catalog_path: str | None,
    format: str,
    paths: ArtifactPaths,
) -> int:
    """``lineage NODE.COLUMN --columns`` and ``lineage VIEW.FIELD --looker-field``, over ``source``."""
    from dbtmeta.columns.lineage import column_lineage, field_reads
    from dbtmeta.columns.usage import column_usage
    from dbtmeta.console import make_console
    from dbtmeta.dbt.artifacts import load_manifest
    from dbtmeta.dbt.columns import DbtColumns, node_columns
    from dbtmeta.dbt.graph import build_graph
    from dbtmeta.errors import EXIT_OK, UsageError
    from dbtmeta.render.columns import COLUMN_LINEAGE_FORMATS, FIELD_LINEAGE_FORMATS

    name, dot, column = node.rpartition(".")
    if not dot or not name or not column:
        shape = (
            "VIEW.FIELD (e.g. fact_orders.total_revenue)"
            if looker_field
            else "NODE.COLUMN (e.g. fact_orders.order_total)"
        )
        what = "with --looker-field" if looker_field else "for column lineage"
        raise UsageError(f"{what}, NODE is {shape}, not {node!r}")
    manifest = load_manifest(paths.manifest)
    if looker_field:
        content, resolve = load_content_resolver(source, manifest)
        FIELD_LINEAGE_FORMATS[format](field_reads(content, resolve, name, column), make_console())
        return EXIT_OK
    unique_id = build_graph(manifest).resolve(name)
    content, resolve = load_content_resolver(source, manifest)
    catalog = load_catalog_near(catalog_path, paths.target_dir, manifest=manifest)
    usage = column_usage(content, resolve, columns=DbtColumns(manifest, catalog))
    found = column_lineage(usage, unique_id, column)
    known = node_columns(manifest, catalog, unique_id)
    found.columns_source = known.source
    hit = known.get(column) is not None
    # compiled SQL that could not name every column (a star it cannot expand) cannot say "absent"
    gap = known.source == "compiled" and not known.complete
    found.exists = None if known.source is None or (gap and not hit) else hit
    COLUMN_LINEAGE_FORMATS[format](found, make_console())
    return EXIT_OK
