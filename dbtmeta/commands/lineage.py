"""``dbtmeta lineage NODE``: upstream and downstream of a node, dashboards included."""

from __future__ import annotations

import click

from dbtmeta.commands._columns import lookml_options
from dbtmeta.commands._options import project_options
from dbtmeta.errors import EXIT_OK
from dbtmeta.render.lineage import LINEAGE_FORMATS


@click.command(
    epilog="""\b
Examples:
  dbtmeta lineage fact_orders
  dbtmeta lineage source:greenery.events --downstream --format mermaid
  dbtmeta lineage exposure:product_funnel --upstream --depth 2 --format json
  dbtmeta lineage fact_orders.order_total --lookml-dir looker/"""
)
@click.argument("node")
@click.option("--upstream", "direction", flag_value="upstream", help="Only what NODE depends on.")
@click.option("--downstream", "direction", flag_value="downstream", help="Only what depends on NODE.")
@click.option("--both", "direction", flag_value="both", default=True, help="Both directions (default).")
@click.option("--depth", type=click.IntRange(min=1), help="At most this many steps away (default: all).")
@click.option(
    "--format", "format", type=click.Choice(list(LINEAGE_FORMATS)), default="tree", show_default=True
)
@lookml_options(required=False)
@click.option(
    "--catalog",
    "catalog_path",
    type=click.Path(dir_okay=False),
    help="With --lookml-dir: catalog.json telling whether the column exists (default: in the target dir).",
)
@project_options
def command(
    node: str,
    direction: str,
    depth: int | None,
    format: str,
    lookml_dir: str | None,
    lookml_import: tuple[str, ...],
    catalog_path: str | None,
    project_dir: str | None,
    target_path: str | None,
    manifest_path: str | None,
) -> int:
    """Show what NODE depends on and which dashboards use it.

    NODE is written as on `dbt ls --select`: fact_orders, model.greenery.fact_orders,
    source:greenery.events (or greenery.events), seed:NAME, snapshot:NAME, exposure:NAME.

    With --lookml-dir, NODE is NODE.COLUMN (fact_orders.order_total): the Looker fields, tiles and
    dashboards that read that column (docs/column-lineage.md).
    """
    from dbtmeta.console import make_console
    from dbtmeta.dbt.artifacts import find_artifacts, load_manifest
    from dbtmeta.dbt.graph import build_graph
    from dbtmeta.dbt.lineage import lineage

    paths = find_artifacts(project_dir, target_path, manifest_path)
    manifest = load_manifest(paths.manifest)
    if lookml_dir:
        from dbtmeta.columns.lineage import column_lineage
        from dbtmeta.columns.usage import column_usage
        from dbtmeta.commands._columns import load_catalog_near, load_lookml
        from dbtmeta.dbt.columns import node_columns
        from dbtmeta.errors import UsageError
        from dbtmeta.render.columns import COLUMN_LINEAGE_FORMATS

        name, dot, column = node.rpartition(".")
        if not dot or not name or not column:
            raise UsageError(
                f"with --lookml-dir, NODE is NODE.COLUMN (e.g. fact_orders.order_total), not {node!r}"
            )
        unique_id = build_graph(manifest).resolve(name)
        content, resolve = load_lookml(lookml_dir, lookml_import, manifest)
        found = column_lineage(column_usage(content, resolve), unique_id, column)
        known = node_columns(manifest, load_catalog_near(catalog_path, paths.target_dir), unique_id)
        found.columns_source = known.source
        found.exists = None if known.source is None else known.get(column) is not None
        COLUMN_LINEAGE_FORMATS[format](found, make_console())
        return EXIT_OK
    result = lineage(build_graph(manifest), node, direction=direction, depth=depth)
    LINEAGE_FORMATS[format](result, make_console())
    return EXIT_OK
