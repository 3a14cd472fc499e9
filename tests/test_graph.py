"""The lineage graph and node-name resolution on a small hand-made manifest."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from dbtmeta.dbt.artifacts import load_manifest
from dbtmeta.dbt.graph import build_graph
from dbtmeta.errors import InputError

SCHEMA = "https://schemas.getdbt.com/dbt/manifest/v12.json"


def _node(kind: str, package: str, name: str, parents: list[str], **extra: Any) -> tuple[str, dict[str, Any]]:
    uid = f"{kind}.{package}.{name}"
    return uid, {
        "unique_id": uid,
        "resource_type": kind,
        "package_name": package,
        "name": name,
        "depends_on": {"nodes": parents, "macros": []},
        "original_file_path": f"models/{name}.sql",
        "config": {"enabled": True},
        **extra,
    }


def tiny_manifest() -> dict[str, Any]:
    nodes = dict(
        [
            _node("seed", "shop", "raw_orders", []),
            _node("model", "shop", "stg_orders", ["source.shop.app.orders", "seed.shop.raw_orders"]),
            _node("model", "shop", "orders", ["model.shop.stg_orders"]),
            _node("model", "utils", "orders", []),  # same name in an installed package
            _node("model", "utils", "calendar", []),
            _node("model", "utils", "helper", []),
            _node("model", "other", "helper", []),
            _node("snapshot", "shop", "orders_snapshot", ["model.shop.stg_orders"]),
            _node("test", "shop", "not_null_orders_id", ["model.shop.orders"]),
            _node("model", "shop", "revenue", ["model.shop.orders", "model.utils.calendar"]),
        ]
    )
    sources = {
        "source.shop.app.orders": {
            "unique_id": "source.shop.app.orders",
            "resource_type": "source",
            "package_name": "shop",
            "source_name": "app",
            "name": "orders",
        }
    }
    exposures = {
        "exposure.shop.finance": {
            "unique_id": "exposure.shop.finance",
            "resource_type": "exposure",
            "package_name": "shop",
            "name": "finance",
            "label": "Finance",
            "type": "dashboard",
            "maturity": "high",
            "owner": {"name": "Fin", "email": "fin@shop.example.com"},
            "depends_on": {"nodes": ["model.shop.revenue", "model.shop.orders_missing"]},
        }
    }
    return {
        "metadata": {"dbt_schema_version": SCHEMA, "project_name": "shop", "adapter_type": "duckdb"},
        "nodes": nodes,
        "sources": sources,
        "exposures": exposures,
        "parent_map": {},
        "child_map": {},
        "disabled": {},
    }


@pytest.fixture
def graph(tmp_path: Path):
    path = tmp_path / "manifest.json"
    path.write_text(json.dumps(tiny_manifest()))
    return build_graph(load_manifest(path))


@pytest.mark.parametrize(
    ("name", "unique_id"),
    [
        ("stg_orders", "model.shop.stg_orders"),
        ("model.shop.stg_orders", "model.shop.stg_orders"),
        ("shop.stg_orders", "model.shop.stg_orders"),
        ("orders", "model.shop.orders"),  # the root project wins over a package, like ref()
        ("utils.orders", "model.utils.orders"),
        ("source:app.orders", "source.shop.app.orders"),
        ("app.orders", "source.shop.app.orders"),
        ("source:shop.app.orders", "source.shop.app.orders"),
        ("exposure:finance", "exposure.shop.finance"),
        ("finance", "exposure.shop.finance"),
        ("seed:raw_orders", "seed.shop.raw_orders"),
        ("snapshot:orders_snapshot", "snapshot.shop.orders_snapshot"),
        ("  stg_orders  ", "model.shop.stg_orders"),
    ],
)
def test_resolve(graph, name: str, unique_id: str) -> None:
    assert graph.resolve(name) == unique_id


def test_unknown_name_suggests_close_matches(graph) -> None:
    with pytest.raises(InputError) as info:
        graph.resolve("stg_order")
    message = str(info.value)
    assert "'stg_order'" in message and "did you mean stg_orders" in message and "\n" not in message
    with pytest.raises(InputError, match=r"did you mean (exposure:)?finance"):
        graph.resolve("exposure:finanse")


def test_ambiguous_name_across_packages(graph) -> None:
    with pytest.raises(InputError, match="ambiguous"):
        graph.resolve("helper")
    assert graph.resolve("other.helper") == "model.other.helper"


def test_wrong_type_prefix_is_unknown(graph) -> None:
    with pytest.raises(InputError):
        graph.resolve("seed:stg_orders")


def test_edges_skip_tests_and_unknown_parents(graph) -> None:
    assert "test.shop.not_null_orders_id" not in graph
    assert graph.parents("exposure.shop.finance") == ["model.shop.revenue"]
    assert graph.descendants("source.shop.app.orders") == {
        "model.shop.stg_orders": 1,
        "model.shop.orders": 2,
        "snapshot.shop.orders_snapshot": 2,
        "model.shop.revenue": 3,
        "exposure.shop.finance": 4,
    }
    assert graph.ancestors("exposure.shop.finance", depth=2) == {
        "model.shop.revenue": 1,
        "model.shop.orders": 2,
        "model.utils.calendar": 2,
    }


def test_exposure_info(graph) -> None:
    info = graph.info("exposure.shop.finance")
    assert (info.label, info.maturity, info.owner_email, info.exposure_type) == (
        "Finance",
        "high",
        "fin@shop.example.com",
        "dashboard",
    )
