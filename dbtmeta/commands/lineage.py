"""``dbtmeta lineage NODE``: upstream and downstream of a node, dashboards included.

Must not: compute anything a test would want to call: flags in, library calls, flag names in errors.
"""

from __future__ import annotations

import click

from dbtmeta.commands._options import project_options
from dbtmeta.errors import EXIT_OK
from dbtmeta.render.lineage import LINEAGE_FORMATS


@click.command(
    epilog="""\b
Examples:
  dbtmeta lineage fact_orders
  dbtmeta lineage source:greenery.events --downstream --format mermaid
  dbtmeta lineage exposure:product_funnel --upstream --depth 2 --format json"""
)
@click.argument("node")
@click.option("--upstream", "direction", flag_value="upstream", help="Only what NODE depends on.")
@click.option("--downstream", "direction", flag_value="downstream", help="Only what depends on NODE.")
@click.option("--both", "direction", flag_value="both", default=True, help="Both directions (default).")
@click.option("--depth", type=click.IntRange(min=1), help="At most this many steps away (default: all).")
@click.option(
    "--format", "format", type=click.Choice(list(LINEAGE_FORMATS)), default="tree", show_default=True
)
@project_options
def command(
    node: str,
    direction: str,
    depth: int | None,
    format: str,
    project_dir: str | None,
    target_path: str | None,
    manifest_path: str | None,
) -> int:
    """Show what NODE depends on and which dashboards use it.

    NODE is written as on `dbt ls --select`: fact_orders, model.greenery.fact_orders,
    source:greenery.events (or greenery.events), seed:NAME, snapshot:NAME, exposure:NAME.
    """
    from dbtmeta.console import make_console
    from dbtmeta.dbt.artifacts import load_project_manifest
    from dbtmeta.dbt.graph import build_graph
    from dbtmeta.dbt.lineage import lineage

    manifest, _project = load_project_manifest(project_dir, target_path, manifest_path)
    result = lineage(build_graph(manifest), node, direction=direction, depth=depth)
    LINEAGE_FORMATS[format](result, make_console())
    return EXIT_OK
