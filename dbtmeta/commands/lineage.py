"""``dbtmeta lineage NODE``: upstream and downstream of a node, dashboards included.

Must not: compute anything a test would want to call: flags in, library calls, flag names in errors.
"""

from __future__ import annotations

import click

from dbtmeta.commands._columns import LookerSource, looker_source_options, run_column_lineage
from dbtmeta.commands._options import project_options
from dbtmeta.errors import EXIT_OK
from dbtmeta.render.lineage import LINEAGE_FORMATS


@click.command(
    epilog="""\b
Examples:
  dbtmeta lineage fact_orders
  dbtmeta lineage source:greenery.events --downstream --format mermaid
  dbtmeta lineage exposure:product_funnel --upstream --depth 2 --format json
  dbtmeta lineage fact_orders.order_total --lookml-dir looker/
  dbtmeta lineage fact_orders.total_revenue --looker-field --lookml-dir looker/
  dbtmeta lineage fact_orders.order_total --snapshot looker.json
  LOOKERSDK_BASE_URL=.. dbtmeta lineage fact_orders.order_total --columns   # from the Looker API"""
)
@click.argument("node")
@click.option("--upstream", "direction", flag_value="upstream", help="Only what NODE depends on.")
@click.option("--downstream", "direction", flag_value="downstream", help="Only what depends on NODE.")
@click.option("--both", "direction", flag_value="both", default=True, help="Both directions (default).")
@click.option(
    "--depth", type=click.IntRange(min=1, max=10_000), help="At most this many steps away (default: all)."
)
@click.option(
    "--format", "format", type=click.Choice(list(LINEAGE_FORMATS)), default="tree", show_default=True
)
@looker_source_options
@click.option(
    "--columns",
    "columns",
    is_flag=True,
    help="NODE is NODE.COLUMN: the Looker fields reading it (implied by --lookml-dir, --snapshot, "
    "--looker-ini, --base-url).",
)
@click.option(
    "--looker-field",
    is_flag=True,
    help="NODE is a LookML VIEW.FIELD; show the dbt columns it reads.",
)
@click.option(
    "--catalog",
    "catalog_path",
    type=click.Path(dir_okay=False),
    help="For a column: catalog.json telling whether it exists (default: in the target dir).",
)
@project_options
def command(
    node: str,
    direction: str,
    depth: int | None,
    format: str,
    source: LookerSource,
    columns: bool,
    looker_field: bool,
    catalog_path: str | None,
    project_dir: str | None,
    target_path: str | None,
    manifest_path: str | None,
) -> int:
    """Show what NODE depends on and which dashboards use it.

    NODE is written as on `dbt ls --select`: fact_orders, model.greenery.fact_orders,
    source:greenery.events (or greenery.events), seed:NAME, snapshot:NAME, exposure:NAME.

    With --columns (or Looker content given: --lookml-dir, --snapshot, --looker-ini, --base-url),
    NODE is NODE.COLUMN (fact_orders.order_total): the Looker fields, tiles and dashboards that read
    that column (docs/column-lineage.md). With --looker-field, NODE is a LookML VIEW.FIELD
    (fact_orders.total_revenue): the dbt columns it reads. The fields come from --lookml-dir,
    --snapshot, or the Looker API (LOOKERSDK_* / looker.ini).
    """
    from dbtmeta.console import make_console
    from dbtmeta.dbt.artifacts import find_artifacts, load_manifest
    from dbtmeta.dbt.graph import build_graph
    from dbtmeta.dbt.lineage import lineage

    paths = find_artifacts(project_dir, target_path, manifest_path)
    # Looker content named in the config file does not switch NODE to NODE.COLUMN: the command line does.
    if columns or looker_field or source.cli:
        return run_column_lineage(node, looker_field, source, catalog_path, format, paths)
    manifest = load_manifest(paths.manifest)
    result = lineage(build_graph(manifest), node, direction=direction, depth=depth)
    LINEAGE_FORMATS[format](result, make_console())
    return EXIT_OK
