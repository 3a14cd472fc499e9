"""The greenery example project: data facts, week replay and the failure scenario, from real dbt runs."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from conftest import EXAMPLE_PROJECT, ExampleBuild, WeekReplay

GENERATED = [
    "seeds/addresses.csv",
    "seeds/users.csv",
    "seeds/promos.csv",
    "seeds/products.csv",
    "seeds/orders.csv",
    "seeds/order_items.csv",
    "seeds/events.csv",
    "feeds/product_inventory_weekly.csv",
]

# greenery.md: inventory by week of the products that move; every other product never changes.
INVENTORY_HISTORY = {
    "Philodendron": [51, 25, 15, 30],
    "Pothos": [40, 20, 0, 20],
    "Monstera": [77, 64, 50, 31],
    "String of pearls": [58, 10, 0, 10],
    "Bamboo": [56, 56, 44, 23],
    "ZZ Plant": [89, 89, 53, 41],
}

# The failure scenario's documented outcome of `dbt build` (test ids without their hash suffix).
FAILURE_BUILD_STATUSES = {
    "model.greenery.stg_promos": "error",
    "model.greenery.fact_orders": "skipped",
    "model.greenery.user_order_facts": "skipped",
    "test.greenery.positive_values_dim_products_True__inventory": "fail",
    "test.greenery.accepted_values_stg_events_event_type__page_view__add_to_cart__checkout__package_shipped": "warn",  # noqa: E501
    "test.greenery.accepted_values_stg_promos_status__active__inactive": "skipped",
    "test.greenery.not_null_stg_promos_promo_id": "skipped",
    "test.greenery.unique_stg_promos_promo_id": "skipped",
    "test.greenery.not_null_fact_orders_order_id": "skipped",
    "test.greenery.unique_fact_orders_order_id": "skipped",
    "test.greenery.not_null_fact_orders_units": "skipped",
    "test.greenery.positive_values_fact_orders_units": "skipped",
    "test.greenery.relationships_fact_orders_user_id__user_id__ref_dim_users_": "skipped",
    "test.greenery.not_null_user_order_facts_user_id": "skipped",
    "test.greenery.unique_user_order_facts_user_id": "skipped",
    "exposure.greenery.orders_overview": "skipped",
    "exposure.greenery.weekly_marketing_report": "skipped",
}
HEALTHY = {"success", "pass", "no-op"}
SOURCES = ["addresses", "users", "promos", "products", "orders", "order_items", "events"]


def _statuses(run_results: Path) -> dict[str, str]:
    out = {}
    for result in json.loads(run_results.read_text())["results"]:
        uid = result["unique_id"]
        if uid.startswith("test.") and uid.count(".") == 3:
            uid = uid.rsplit(".", 1)[0]  # generic tests carry a hash suffix
        out[uid] = result["status"]
    return out


def _unhealthy(statuses: dict[str, str]) -> dict[str, str]:
    return {uid: status for uid, status in statuses.items() if status not in HEALTHY}


def _freshness(sources_json: Path) -> dict[str, str]:
    return {r["unique_id"]: r["status"] for r in json.loads(sources_json.read_text())["results"]}


def _query(duckdb_readonly, path: Path, sql: str) -> list[tuple]:
    return duckdb_readonly(path).execute(sql).fetchall()


# --- the generator ------------------------------------------------------------------------------


def test_generator_reproduces_committed_files(tmp_path):
    subprocess.run(
        [sys.executable, str(EXAMPLE_PROJECT / "scripts/generate_data.py"), "--out-dir", str(tmp_path)],
        check=True,
    )
    produced = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*.csv"))
    assert produced == sorted(GENERATED)
    for rel in GENERATED:
        assert (tmp_path / rel).read_bytes() == (EXAMPLE_PROJECT / rel).read_bytes(), rel


def test_product_names_include_the_course_products():
    lines = (EXAMPLE_PROJECT / "seeds/products.csv").read_text().splitlines()[1:]
    names = [line.split(",")[1] for line in lines]
    assert len(names) == len(set(names)) == 30
    assert set(INVENTORY_HISTORY) <= set(names)


# --- the green build --------------------------------------------------------------------------------


def test_table_sizes(example_build: ExampleBuild, duckdb_readonly):
    expected = {
        "raw.addresses": 150,
        "raw.users": 130,
        "raw.promos": 6,
        "raw.products": 30,
        "raw.orders": 361,
        "raw.order_items": 862,
        "raw.events": 3553,
        "core.dim_users": 130,
        "core.dim_products": 30,
        "core.fact_orders": 361,
        "marketing.user_order_facts": 130,
        "product.fact_page_views": 1871,
        "product.fact_sessions_funnel": 578,
        "product.fact_user_sessions": 124,
        "snapshots.products_snapshot": 30,
    }
    con = duckdb_readonly(example_build.duckdb_path)
    got = {table: con.execute(f"select count(*) from greenery.{table}").fetchone()[0] for table in expected}
    assert got == expected


def test_distributions(example_build: ExampleBuild, duckdb_readonly):
    con = duckdb_readonly(example_build.duckdb_path)

    def counts(sql: str) -> dict:
        return dict(con.execute(sql).fetchall())

    assert counts("select event_type, count(*) from raw.events group by 1") == {
        "page_view": 1871,
        "add_to_cart": 986,
        "checkout": 361,
        "package_shipped": 335,
    }
    assert con.execute(
        "select count(distinct session_id), count(distinct user_id) from raw.events"
    ).fetchone() == (
        578,
        124,
    )
    assert counts("select status, count(*) from raw.orders group by 1") == {
        "delivered": 305,
        "shipped": 30,
        "preparing": 26,
    }
    assert counts(
        "select shipping_service, count(*) from raw.orders where status <> 'preparing' group by 1"
    ) == {
        "ups": 169,
        "fedex": 96,
        "usps": 60,
        "dhl": 10,
    }
    # preparing orders have no tracking, shipping or delivery values
    assert con.execute(
        "select count(*) from raw.orders where status = 'preparing' and "
        "coalesce(tracking_id, shipping_service, cast(estimated_delivery_at as varchar)) is not null"
    ).fetchone() == (0,)
    assert counts("select status, count(*) from staging.stg_promos group by 1") == {
        "active": 1,
        "inactive": 5,
    }
    assert con.execute(
        "select count(*), count(distinct (order_id, product_id)), min(quantity), max(quantity)"
        " from raw.order_items"
    ).fetchone() == (862, 862, 1, 4)
    # orders span two days, events four
    for table, days in (("raw.orders", 2), ("raw.events", 4)):
        assert con.execute(f"select count(distinct cast(created_at as date)) from {table}").fetchone() == (
            days,
        )
    # checkout/package_shipped carry order_id, page_view/add_to_cart carry product_id
    assert con.execute(
        "select count(*) from raw.events where (event_type in ('checkout', 'package_shipped')) <> "
        "(order_id is not null) or (event_type in ('page_view', 'add_to_cart')) <> (product_id is not null)"
    ).fetchone() == (0,)


def test_funnel_counts(example_build: ExampleBuild, duckdb_readonly):
    con = duckdb_readonly(example_build.duckdb_path)
    assert con.execute(
        "select count(*) filter (where has_page_view), count(*) filter (where has_add_to_cart),"
        " count(*) filter (where has_checkout), count(*) filter (where has_package_shipped)"
        " from product.fact_sessions_funnel"
    ).fetchone() == (578, 467, 361, 335)
    steps = con.execute(
        "select step, sessions, pct_of_sessions, is_largest_drop"
        " from product.funnel_dropoff order by step_order"
    ).fetchall()
    assert steps == [
        ("page_view", 578, 100.0, None),
        ("add_to_cart", 467, 80.8, True),
        ("checkout", 361, 62.5, False),
        ("package_shipped", 335, 58.0, False),
    ]


def test_green_build_is_clean(example_build: ExampleBuild):
    statuses = _statuses(example_build.green / "run_results.json")
    assert _unhealthy(statuses) == {}
    assert sum(uid.startswith("model.") for uid in statuses) >= 19
    assert set(_freshness(example_build.green / "sources.json").values()) == {"pass"}
    results = json.loads((example_build.green / "run_results.json").read_text())
    assert results["args"]["which"] == "build"


def test_project_dir_holds_the_green_build(example_build: ExampleBuild):
    target = example_build.project_dir / "target"
    for name in ("manifest.json", "run_results.json", "sources.json"):
        assert (target / name).read_bytes() == (example_build.green / name).read_bytes()
    assert (example_build.project_dir / "dbt_project.yml").is_file()
    assert example_build.project_dir != EXAMPLE_PROJECT


def test_manifest_contract(example_build: ExampleBuild):
    manifest = json.loads((example_build.green / "manifest.json").read_text())
    assert manifest["metadata"]["project_name"] == "greenery"
    relations = {
        node["name"]: node["relation_name"]
        for node in manifest["nodes"].values()
        if node["resource_type"] in ("model", "snapshot", "seed")
    }
    expected_schema = {
        **{f"stg_{s}": "staging" for s in SOURCES},
        "int_session_events": "intermediate",
        "dim_users": "core",
        "dim_products": "core",
        "fact_orders": "core",
        "user_order_facts": "marketing",
        "fact_page_views": "product",
        "fact_sessions_funnel": "product",
        "fact_user_sessions": "product",
        "products_snapshot": "snapshots",
        **dict.fromkeys(SOURCES, "raw"),
    }
    for name, schema in expected_schema.items():
        assert relations[name] == f'"greenery"."{schema}"."{name}"'
    sources = {s["name"]: s for s in manifest["sources"].values()}
    assert sorted(sources) == sorted(SOURCES)
    for source in sources.values():
        assert source["source_name"] == "greenery"
        assert source["relation_name"] == f'"greenery"."raw"."{source["name"]}"'
        assert source["loaded_at_field"] == "_loaded_at"
    exposures = {e["name"]: e for e in manifest["exposures"].values()}
    assert set(exposures) >= {
        "product_funnel",
        "inventory_health",
        "orders_overview",
        "customers",
        "weekly_marketing_report",
    }
    weekly = exposures["weekly_marketing_report"]
    assert weekly["type"] == "analysis"
    assert weekly["depends_on"]["nodes"] == ["model.greenery.user_order_facts"]
    assert weekly["owner"]["email"]


def _ancestors(manifest: dict, uid: str) -> set[str]:
    seen, todo = set(), [uid]
    while todo:
        for parent in manifest["parent_map"].get(todo.pop(), []):
            if parent not in seen:
                seen.add(parent)
                todo.append(parent)
    return seen


def test_dependency_constraints(example_build: ExampleBuild):
    manifest = json.loads((example_build.green / "manifest.json").read_text())
    for model in ("fact_sessions_funnel", "fact_user_sessions", "fact_page_views"):
        upstream = _ancestors(manifest, f"model.greenery.{model}")
        assert not {u for u in upstream if "promos" in u or "products" in u}, model
    upstream = _ancestors(manifest, "model.greenery.dim_users")
    assert {u.rsplit(".", 1)[-1] for u in upstream if not u.startswith("model.")} == {"users", "addresses"}
    assert "model.greenery.stg_promos" in _ancestors(manifest, "model.greenery.fact_orders")


# --- the failure scenario ------------------------------------------------------------------------


def test_failure_build_statuses(example_build: ExampleBuild):
    statuses = _statuses(example_build.failure / "run_results.json")
    assert _unhealthy(statuses) == FAILURE_BUILD_STATUSES
    results = {
        r["unique_id"]: r
        for r in json.loads((example_build.failure / "run_results.json").read_text())["results"]
    }
    assert "Could not convert string 'ten'" in results["model.greenery.stg_promos"]["message"]
    failing = next(r for uid, r in results.items() if "positive_values_dim_products" in uid)
    assert failing["failures"] == 1


def test_failure_freshness(example_build: ExampleBuild):
    freshness = _freshness(example_build.failure / "sources.json")
    assert freshness == {
        f"source.greenery.greenery.{name}": ("error" if name == "products" else "pass") for name in SOURCES
    }
    products = next(
        r
        for r in json.loads((example_build.failure / "sources.json").read_text())["results"]
        if r["unique_id"].endswith(".products")
    )
    assert products["max_loaded_at_time_ago_in_s"] > 24 * 3600


def test_failure_split_statuses(example_build: ExampleBuild):
    split = example_build.failure_split
    built = _statuses(example_build.failure / "run_results.json")
    # (the split job selects the scenario with GREENERY_SCENARIO=failure instead of --vars)
    seeded = _statuses(split / "run_results_seed.json")
    ran = _statuses(split / "run_results_run.json")
    tested = _statuses(split / "run_results_test.json")
    assert set(seeded.values()) == {"success"}
    assert _unhealthy(ran) == {
        uid: s for uid, s in FAILURE_BUILD_STATUSES.items() if uid.startswith("model.")
    }
    # Same models and tests as the build (the build also holds seeds, the snapshot and exposures).
    assert set(ran) == {uid for uid in built if uid.startswith("model.")}
    assert set(tested) == {uid for uid in built if uid.startswith("test.")}
    # `dbt test` knows nothing of the run: tests on the errored/skipped models run against
    # yesterday's tables and pass. Only the failing and the warning test remain.
    assert _unhealthy(tested) == {
        uid: s for uid, s in FAILURE_BUILD_STATUSES.items() if uid.startswith("test.") and s != "skipped"
    }
    assert _freshness(split / "sources.json") == _freshness(example_build.failure / "sources.json")
    assert (split / "manifest.json").is_file()


def test_failure_scenario_keeps_customers_upstream_clean(example_build: ExampleBuild):
    manifest = json.loads((example_build.failure / "manifest.json").read_text())
    upstream = _ancestors(manifest, "exposure.greenery.customers")
    statuses = _statuses(example_build.failure / "run_results.json")
    assert not {uid for uid in upstream if statuses.get(uid, "success") not in HEALTHY}
    tests_on_upstream = {
        uid
        for uid, node in manifest["nodes"].items()
        if node["resource_type"] == "test" and (node.get("attached_node") in upstream)
    }
    assert tests_on_upstream
    assert not {uid for uid in tests_on_upstream if _statuses_raw(example_build)[uid] not in HEALTHY}


def _statuses_raw(build: ExampleBuild) -> dict[str, str]:
    return {
        r["unique_id"]: r["status"]
        for r in json.loads((build.failure / "run_results.json").read_text())["results"]
    }


# --- the week replay -------------------------------------------------------------------------------


def test_week_replay_builds_are_green(week_replay: WeekReplay):
    for week, artifacts in week_replay.weeks.items():
        assert _unhealthy(_statuses(artifacts / "run_results.json")) == {}, week


def test_snapshot_history_matches_greenery(week_replay: WeekReplay, duckdb_readonly):
    rows = _query(
        duckdb_readonly,
        week_replay.duckdb_path,
        "select name, inventory, shop_week from snapshots.products_snapshot order by name, dbt_valid_from",
    )
    history: dict[str, list[int]] = {}
    for name, inventory, _ in rows:
        history.setdefault(name, []).append(inventory)
    assert len(history) == 30
    expected = {}
    for name, weekly in INVENTORY_HISTORY.items():
        expected[name] = [v for i, v in enumerate(weekly) if i == 0 or v != weekly[i - 1]]
    assert {n: h for n, h in history.items() if n in INVENTORY_HISTORY} == expected
    assert all(len(h) == 1 for n, h in history.items() if n not in INVENTORY_HISTORY)
    assert len(rows) == 30 - 6 + sum(len(v) for v in expected.values())
    # one current version per product
    open_versions = _query(
        duckdb_readonly,
        week_replay.duckdb_path,
        "select count(*) from snapshots.products_snapshot where dbt_valid_to is null",
    )
    assert open_versions == [(30,)]


def test_week_3_to_4_answers(week_replay: WeekReplay, duckdb_readonly):
    con = duckdb_readonly(week_replay.duckdb_path)
    changed = con.execute(
        "select product_name, previous_inventory, inventory from core.inventory_changes where week = 4"
        " order by product_name"
    ).fetchall()
    assert changed == sorted((name, weekly[2], weekly[3]) for name, weekly in INVENTORY_HISTORY.items())
    stockouts = con.execute(
        "select product_name, out_of_stock_week, restocked_week from core.inventory_stockouts order by 1"
    ).fetchall()
    assert stockouts == [("Pothos", 3, 4), ("String of pearls", 3, 4)]
    top = con.execute(
        "select product_name, changes, total_abs_change"
        " from core.inventory_fluctuation where fluctuation_rank = 1"
    ).fetchall()
    assert top == [("String of pearls", 3, 48 + 10 + 10)]
    assert con.execute("select count(*) from core.inventory_fluctuation where changes = 0").fetchone() == (
        24,
    )


def test_week_out_of_range_is_refused(week_replay: WeekReplay):
    assert "var 'week' must be 1..4, got '5'" in week_replay.log.read_text()
