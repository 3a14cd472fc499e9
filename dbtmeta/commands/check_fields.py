"""``dbtmeta check-fields``: LookML fields read columns that exist in the dbt nodes behind them."""

from __future__ import annotations

import click

from dbtmeta.commands._columns import (
    LookerSource,
    catalog_option,
    load_catalog_near,
    load_content_resolver,
    looker_source_options,
)
from dbtmeta.commands._options import check_output_path, emit, output_option, project_options
from dbtmeta.errors import EXIT_FINDINGS, EXIT_OK
from dbtmeta.render.columns import CHECK_FIELDS_FORMATS


@click.command(
    epilog="""\b
Examples:
  dbt docs generate && dbtmeta check-fields --lookml-dir looker/
  dbtmeta check-fields --lookml-dir looker/ --catalog prod/catalog.json --format json
  dbtmeta check-fields --snapshot looker.json      # the fields as `dbtmeta looker pull` saved them"""
)
@looker_source_options
@catalog_option("catalog.json (default: the target directory's).")
@click.option(
    "--format", "format", type=click.Choice(list(CHECK_FIELDS_FORMATS)), default="text", show_default=True
)
@output_option("the report")
@project_options
def command(
    source: LookerSource,
    catalog_path: str | None,
    format: str,
    output: str | None,
    project_dir: str | None,
    target_path: str | None,
    manifest_path: str | None,
) -> int:
    """Check that every field of every explore the dashboards use reads columns that exist.

    The fields come from --lookml-dir, --snapshot, or the Looker API (LOOKERSDK_* / looker.ini).
    Each field's SQL is traced to warehouse columns (docs/column-lineage.md), each table to its
    dbt node, each column looked up in the catalog of `dbt docs generate` (without one: the
    columns of the node's compiled SQL, when it gives them all): no warehouse needed.
    Exit 1 when a field reads a column its node does not have.
    """
    from dbtmeta.columns.check import check_fields
    from dbtmeta.dbt.artifacts import find_artifacts, load_manifest

    if output is not None:
        check_output_path(output)
    paths = find_artifacts(project_dir, target_path, manifest_path)
    manifest = load_manifest(paths.manifest)
    catalog = load_catalog_near(catalog_path, paths.target_dir, manifest=manifest)
    if catalog is None:
        from dbtmeta.dbt.compiled import has_compiled_sql
        from dbtmeta.errors import InputError

        if not has_compiled_sql(manifest):
            raise InputError(
                f"no catalog.json in {str(paths.target_dir)!r} and the manifest has no compiled SQL "
                "(written by `dbt parse`); run `dbt docs generate` (or `dbt compile`) first, "
                "or pass --catalog FILE"
            )
    content, resolve = load_content_resolver(source, manifest)
    result = check_fields(content, resolve, manifest, catalog)
    emit(lambda console: CHECK_FIELDS_FORMATS[format](result, console), output)
    return EXIT_FINDINGS if result.errors else EXIT_OK
