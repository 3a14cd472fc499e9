"""dbt columns from catalog.json / the manifest, and column changes between two states."""

from __future__ import annotations

import copy
import json

import pytest

from dbtmeta.dbt.artifacts import load_manifest
from dbtmeta.dbt.columns import (
    Column,
    ColumnChange,
    catalog_from_dict,
    column_changes,
    load_catalog,
    node_columns,
    projections,
)
from dbtmeta.errors import InputError

FACT_ORDERS = "model.greenery.fact_orders"


def test_catalog_answers_first_with_types(column_build) -> None:
    manifest = load_manifest(column_build.prod / "manifest.json")
    catalog = load_catalog(column_build.prod / "catalog.json")
    found = node_columns(manifest, catalog, FACT_ORDERS)
    assert found.source == "catalog"
    assert [c.name for c in found.columns] == [
        "order_id", "user_id", "address_id", "created_at", "status", "promo_id", "promo_discount",
        "order_cost", "shipping_cost", "order_total", "distinct_products", "units", "shipping_service",
        "tracking_id", "estimated_delivery_at", "delivered_at", "hours_to_delivery",
    ]  # fmt: skip
    assert found.get("ORDER_ID") == Column("order_id", "VARCHAR")
    source = node_columns(manifest, catalog, "source.greenery.greenery.promos")
    assert (source.source, [c.name for c in source.columns]) == (
        "catalog",
        ["promo_id", "discount", "status", "_loaded_at"],
    )


def test_manifest_documented_columns_without_catalog(column_build) -> None:
    manifest = load_manifest(column_build.prod / "manifest.json")
    found = node_columns(manifest, None, FACT_ORDERS)
    assert found.source == "manifest"
    assert found.columns == (Column("order_id"), Column("user_id"), Column("units"))
    # nothing documented and no catalog: unknown, never an empty "known" list
    assert node_columns(manifest, None, "model.greenery.funnel_dropoff").source is None


def test_a_manifest_is_not_a_catalog(column_build) -> None:
    with pytest.raises(InputError, match=r"is not a dbt catalog\.json"):
        load_catalog(column_build.prod / "manifest.json")


def test_changes_of_the_pr_scenario(column_build) -> None:
    changes = column_changes(
        load_manifest(column_build.prod / "manifest.json"),
        load_catalog(column_build.prod / "catalog.json"),
        load_manifest(column_build.pr / "manifest.json"),
        load_catalog(column_build.pr / "catalog.json"),
    )
    assert changes == [
        ColumnChange(FACT_ORDERS, "order_total", "renamed", "order_amount"),
        ColumnChange(FACT_ORDERS, "tracking_id", "removed"),
    ]


def test_type_change(column_build) -> None:
    manifest = load_manifest(column_build.prod / "manifest.json")
    data = json.loads((column_build.prod / "catalog.json").read_text())
    changed = copy.deepcopy(data)
    changed["nodes"][FACT_ORDERS]["columns"]["units"]["type"] = "DOUBLE"
    before, after = catalog_from_dict(data), catalog_from_dict(changed)
    assert column_changes(manifest, before, manifest, after) == [
        ColumnChange(FACT_ORDERS, "units", "type_changed", None, "HUGEINT", "DOUBLE")
    ]


def test_projections_leave_aliases_out() -> None:
    sql = "with a as (select 1 as x) select o.order_total as order_amount, o.status, count(*) n from a o"
    assert projections(sql, "duckdb") == {
        "order_amount": "o.order_total",
        "status": "o.status",
        "n": "COUNT(*)",
    }
    assert projections("select from where", "duckdb") == {}
