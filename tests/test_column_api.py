"""Column lineage from the Looker API and from snapshots: the explores' field definitions, read
through the real looker-sdk from the fake Looker (which serves the example LookML's fields), give
the same dbt columns, tiles and fields as the LookML files, over real dbt artifacts."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fake_looker import FakeLooker
from fake_looker.dataset import EXAMPLE_LOOKML, dataset_from_content
from test_column_commands import LOOKML, NO_CONTENT, ORDER_TOTAL_USES, in_repo, prod_args, run

from dbtmeta.looker.api import ApiSettings, crawl
from dbtmeta.looker.api_fields import DERIVED, NO_SEE_LOOKML, link_line
from dbtmeta.looker.content import LookerContent
from dbtmeta.looker.fields import FieldTracer, join_lineage
from dbtmeta.looker.lookml import read_lookml

__all__ = ["in_repo"]  # the fixture, used by name

API_VIEW = "views/fact_orders.view.lkml"  # Looker's source_file: the path inside the LookML project
DERIVED_VIEW = "product_page_views"


def _lookml() -> LookerContent:
    return read_lookml(str(EXAMPLE_LOOKML), fields=True)


@pytest.fixture
def looker(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeLooker]:
    """The example's LookML dashboards and explores, fields included, served by the fake Looker;
    the LOOKERSDK_* environment points at it (as a user of the column commands sets it)."""
    with FakeLooker(dataset_from_content(_lookml())) as server:
        for key, value in server.env().items():
            monkeypatch.setenv(key, value)
        yield server


def _crawl(looker: FakeLooker) -> LookerContent:
    data = looker.data
    return crawl(
        ApiSettings(base_url=looker.base_url, client_id=data.client_id, client_secret=data.client_secret)
    )


def _api_where(where: str) -> str:
    """A LookML result's ``file:line`` as the API gives it: the path inside the LookML project."""
    return where.removeprefix(f"{EXAMPLE_LOOKML}/").removeprefix(f"{LOOKML}/")


def test_link_line() -> None:
    assert link_line("/projects/greenery/files/views%2Forders.view.lkml?line=47") == 47
    assert link_line("/projects/greenery/files/views%2Forders.view.lkml") is None
    assert link_line(None) is None


def test_every_field_traces_as_from_lookml(looker: FakeLooker) -> None:
    lookml = _lookml()
    api = _crawl(looker)
    from_api, from_lookml = FieldTracer(api), FieldTracer(lookml)
    assert sorted(api.lookml_joins) == sorted(lookml.lookml_joins)
    compared = 0
    for (model, explore), joins in sorted(lookml.lookml_joins.items()):
        assert [(j.alias, j.view, j.sql_on) for j in api.lookml_joins[(model, explore)]] == [
            (j.alias, j.view, j.sql_on) for j in joins
        ]
        for join in joins:
            for item in lookml.lookml_views[(model, join.view)].fields:
                name = f"{join.alias}.{item.name}"
                a, b = from_api.trace(model, explore, name), from_lookml.trace(model, explore, name)
                compared += 1
                assert (a.view, a.file, a.line) == (b.view, _api_where(b.file or ""), b.line), name
                if join.view == DERIVED_VIEW:
                    continue  # below: the API has no derived table SQL
                assert (a.columns, a.problems, a.via) == (b.columns, b.problems, b.via), name
    assert compared == 92

    def keys(content: object) -> set[tuple[str, str]]:
        return {(v.name, f.name) for v in content.lookml_views.values() for f in v.fields if f.primary_key}

    def relationships(content: object) -> dict[tuple[str, str, str], str]:
        return {
            (m, e, j.alias): j.relationship or "many_to_one"  # the API fills in Looker's default
            for (m, e), joins in content.lookml_joins.items()
            for j in joins[1:]
        }

    in_api = {v.name for v in api.lookml_views.values()}  # users_base: only through users (extends)
    assert keys(api) == {k for k in keys(lookml) if k[0] in in_api} and len(keys(api)) == 9
    assert relationships(api) == relationships(lookml)
    assert relationships(api)[("greenery", "products", "inventory_history")] == "one_to_many"
    # the derived table: reported, never guessed
    sessions = from_api.trace("greenery", "products", "product_page_views.total_sessions")
    assert (sessions.columns, sessions.problems) == ((), (f"product_page_views.total_sessions: {DERIVED}",))
    # a dimension group's timeframe, a filtered measure, ${field} chains: as from LookML
    created = from_api.trace("greenery", "orders", "orders.created_week")
    assert [(c.table, c.column) for c in created.columns] == [('"core"."fact_orders"', "created_at")]
    promo = from_api.trace("greenery", "orders", "orders.orders_with_promo")
    assert [(c.table, c.column) for c in promo.columns] == [('"core"."fact_orders"', "promo_id")]
    assert promo.via == ("orders.has_promo", "orders.promo_id")
    assert (promo.file, promo.line) == ("refinements/fact_orders.lkml", 8)
    full_name = from_api.trace("greenery", "users", "users.full_name")
    assert [c.column for c in full_name.columns] == ["first_name", "last_name"]
    join = join_lineage(from_api, "greenery", "orders", "customer_order_facts")
    assert [(c.table, c.column) for c in join.columns] == [
        ("core.dim_users", "user_id"),
        ("marketing.user_order_facts", "user_id"),
    ]
    assert (join.file, join.line) == (
        "greenery.model.lkml",
        16,
    )  # the explore's line: the API has no join line


def test_without_see_lookml_every_field_is_reported_not_guessed(looker: FakeLooker) -> None:
    looker.data.see_lookml = False
    content = _crawl(looker)
    tracer = FieldTracer(content)
    revenue = tracer.trace("greenery", "orders", "orders.total_revenue")
    assert (revenue.columns, revenue.problems) == ((), (f"orders.total_revenue: {NO_SEE_LOOKML}",))
    assert (revenue.file, revenue.line) == (API_VIEW, None)  # no lookml_link either
    count = tracer.trace("greenery", "orders", "orders.count")  # type: count reads no column anyway
    assert (count.columns, count.problems) == ((), ())
    join = join_lineage(tracer, "greenery", "orders", "customers")
    assert (join.columns, join.problems) == ((), (f"join:customers: {NO_SEE_LOOKML}",))


def test_looker_field_through_the_api_and_a_snapshot(column_build, in_repo, looker, capsys, tmp_path) -> None:
    lookml_args = ["lineage", "fact_orders.total_revenue", "--looker-field", "--format", "json"]
    code, out, err = run([*lookml_args, "--lookml-dir", LOOKML, *prod_args(column_build)], capsys)
    assert (code, err) == (0, "")
    from_lookml = json.loads(out)
    expected = {
        "view": "fact_orders",
        "field": "total_revenue",
        "where": f"{API_VIEW}:47",
        "explores": [
            {
                "explore": "greenery::orders",
                "field": "orders.total_revenue",
                "columns": [{"node": "model.greenery.fact_orders", "column": "order_total"}],
                "problems": [],
            },
            {
                "explore": "greenery::users",
                "field": "user_orders.total_revenue",
                "columns": [{"node": "model.greenery.fact_orders", "column": "order_total"}],
                "problems": [],
            },
        ],
    }
    assert {**from_lookml, "where": _api_where(from_lookml["where"])} == expected
    code, out, err = run([*lookml_args, *prod_args(column_build)], capsys)  # the API, from LOOKERSDK_*
    assert (code, err) == (0, "")
    assert json.loads(out) == expected
    snapshot = tmp_path / "looker.json"
    assert run(["looker", "pull", "--output", str(snapshot)], capsys)[0] == 0
    code, out, err = run([*lookml_args, "--snapshot", str(snapshot), *prod_args(column_build)], capsys)
    assert (code, err) == (0, "")
    assert json.loads(out) == expected


def _dashboards_by_title(found: list[dict]) -> list[tuple]:
    """The dashboards, tiles (by title: the API numbers LookML dashboards' tiles) and fields."""
    return [
        (
            d["id"],
            d["title"],
            [
                (t["title"], [(f["field"], f["explore"], _api_where(f["where"])) for f in t["fields"]])
                for t in d["tiles"]
            ],
        )
        for d in found
    ]


def test_lineage_of_a_column_through_the_api_and_a_snapshot(
    column_build, in_repo, looker, capsys, tmp_path
) -> None:
    args = ["lineage", "fact_orders.order_total", "--format", "json", *prod_args(column_build)]
    code, out, err = run([*args, "--lookml-dir", LOOKML], capsys)
    assert (code, err) == (0, "")
    assert json.loads(out)["dashboards"] == ORDER_TOTAL_USES
    expected = [
        (
            "greenery::orders_overview",
            "Orders Overview",
            [
                (
                    "Revenue by day",
                    [
                        ("orders.average_order_value", "greenery::orders", f"{API_VIEW}:53"),
                        ("orders.total_revenue", "greenery::orders", f"{API_VIEW}:47"),
                    ],
                ),
                ("Top customers", [("orders.total_revenue", "greenery::orders", f"{API_VIEW}:47")]),
            ],
        )
    ]
    assert _dashboards_by_title(ORDER_TOTAL_USES) == expected
    code, out, err = run([*args, "--columns"], capsys)  # the API
    assert (code, err) == (0, "")
    found = json.loads(out)
    assert (found["column_exists"], found["columns_source"]) == (True, "catalog")
    assert _dashboards_by_title(found["dashboards"]) == expected
    snapshot = tmp_path / "looker.json"
    assert run(["looker", "pull", "--output", str(snapshot)], capsys)[0] == 0
    code, out, err = run([*args, "--snapshot", str(snapshot)], capsys)  # --snapshot implies --columns
    assert (code, err) == (0, "")
    assert _dashboards_by_title(json.loads(out)["dashboards"]) == expected


def _check_fields(args: list[str], capsys) -> tuple[int, dict]:
    code, out, err = run(["check-fields", *args, "--format", "json"], capsys)
    assert err == ""
    return code, json.loads(out)


def test_check_fields_through_the_api_and_a_snapshot(column_build, in_repo, looker, capsys, tmp_path) -> None:
    snapshot = tmp_path / "looker.json"
    assert run(["looker", "pull", "--output", str(snapshot)], capsys)[0] == 0
    pr = ["--project-dir", str(column_build.pr_project_dir)]
    code, from_lookml = _check_fields([*pr, "--lookml-dir", LOOKML], capsys)
    assert (code, from_lookml["fields_checked"], from_lookml["unchecked"]) == (1, 75, [])
    errors = [(f"{API_VIEW}:{line}", field) for line, field in [
        (36, "fact_orders.order_total"),
        (47, "fact_orders.total_revenue"),
        (53, "fact_orders.average_order_value"),
    ]]  # fmt: skip
    assert [(_api_where(e["where"]), e["field"]) for e in from_lookml["errors"]] == errors
    # the derived table's fields, each with the field reading ${TABLE}; the join at its explore's line
    derived = "views/derived/product_page_views.view.lkml"
    reading = [
        ("greenery.model.lkml:82", "join:product_page_views", "product_page_views.product_id"),
        (f"{derived}:28", "product_page_views.product_id", "product_page_views.product_id"),
        (f"{derived}:34", "product_page_views.page_views", "product_page_views.page_views"),
        (f"{derived}:39", "product_page_views.total_page_views", "product_page_views.page_views"),
        (f"{derived}:44", "product_page_views.total_sessions", "product_page_views.total_sessions"),
    ]
    notes_expected = [(where, shown, f"{field}: {DERIVED}") for where, shown, field in reading]
    for source in ([], ["--snapshot", str(snapshot)]):  # the API (LOOKERSDK_*), then the snapshot
        code, found = _check_fields([*pr, *source], capsys)
        assert (code, found["fields_checked"]) == (1, 75)
        assert [(e["where"], e["field"]) for e in found["errors"]] == errors
        assert [e["message"] for e in found["errors"]] == [e["message"] for e in from_lookml["errors"]]
        notes = [(n["where"], n["field"], n["message"]) for n in found["unchecked"]]
        assert notes == notes_expected


def test_check_fields_without_see_lookml_reports_each_field(column_build, in_repo, looker, capsys) -> None:
    looker.data.see_lookml = False
    code, found = _check_fields(prod_args(column_build), capsys)
    assert (code, found["errors"]) == (0, [])  # nothing guessed, so nothing found missing
    notes = {(n["field"], n["message"]) for n in found["unchecked"]}
    assert ("fact_orders.total_revenue", f"orders.total_revenue: {NO_SEE_LOOKML}") in notes
    assert ("join:customers", f"join:customers: {NO_SEE_LOOKML}") in notes
    assert all(NO_SEE_LOOKML in message for _, message in notes)
    # The 75 fields of the LookML path and the filter page_viewed_date (its SQL unknown too); all
    # reported but the five `type: count` measures without filters, which read no column anyway.
    assert (found["fields_checked"], len(notes)) == (76, 71)


def test_impact_columns_from_a_snapshot_names_the_same_tiles_and_fields(
    column_build, in_repo, looker, capsys, tmp_path
) -> None:
    snapshot = tmp_path / "looker.json"
    assert run(["looker", "pull", "--output", str(snapshot)], capsys)[0] == 0
    args = ["impact", "--columns", "--state", str(column_build.prod), "--format", "json"]
    args += ["--project-dir", str(column_build.pr_project_dir)]
    reports = []
    for source in (["--lookml-dir", LOOKML], ["--snapshot", str(snapshot)]):
        code, out, err = run([*args, *source], capsys)
        assert (code, err) == (1, "dbtmeta: 1 changed column(s) are read by 2 Looker tile(s)\n")
        reports.append(json.loads(out))
    shapes = [
        [
            (
                c["node"],
                c["column"],
                c["change"],
                [(u["dashboard"], u["tile_title"], u["field"], _api_where(u["where"])) for u in c["used_by"]],
            )
            for c in report["changes"]
        ]
        for report in reports
    ]
    assert (
        shapes[0]
        == shapes[1]
        == [
            (
                "model.greenery.fact_orders",
                "order_total",
                "renamed",
                [
                    (
                        "greenery::orders_overview",
                        "Revenue by day",
                        "orders.average_order_value",
                        f"{API_VIEW}:53",
                    ),
                    ("greenery::orders_overview", "Revenue by day", "orders.total_revenue", f"{API_VIEW}:47"),
                    ("greenery::orders_overview", "Top customers", "orders.total_revenue", f"{API_VIEW}:47"),
                ],
            ),
            ("model.greenery.fact_orders", "tracking_id", "removed", []),
        ]
    )
    assert reports[0]["untraced"] == []
    assert reports[1]["untraced"][:1] == [f"greenery.model.lkml:82: product_page_views.product_id: {DERIVED}"]


def test_an_old_snapshot_has_no_fields_and_says_so(column_build, in_repo, looker, capsys, tmp_path) -> None:
    snapshot = tmp_path / "looker.json"
    assert run(["looker", "pull", "--output", str(snapshot)], capsys)[0] == 0
    data = json.loads(snapshot.read_text())
    assert data["format_version"] == 3
    old = {k: v for k, v in data.items() if k not in {"lookml_views", "lookml_joins"}}
    snapshot.write_text(json.dumps({**old, "format_version": 1}))
    args = ["lineage", "fact_orders.total_revenue", "--looker-field", "--snapshot", str(snapshot)]
    code, out, err = run([*args, *prod_args(column_build)], capsys)
    assert (code, out) == (2, "")
    assert err == (
        f"dbtmeta: warning: Looker snapshot {str(snapshot)!r} has format version 1: a tile reading a "
        "dimension group's timeframe (created_date) may miss the joins the group's SQL needs; pull it "
        "again with 'dbtmeta looker pull --output FILE'\n"
        f"dbtmeta: warning: snapshot {str(snapshot)!r} has no field definitions (written by an older "
        "dbtmeta): pull it again with `dbtmeta looker pull`, or give --lookml-dir\n"
        "dbtmeta: error: no explore of the LookML uses view 'fact_orders'; "
        "give VIEW.FIELD with a view's name\n"
    )


def test_snapshot_and_lookml_dir_do_not_go_together(column_build, in_repo, capsys, tmp_path) -> None:
    args = ["check-fields", "--snapshot", str(tmp_path / "s.json"), "--lookml-dir", LOOKML]
    code, out, err = run([*args, *prod_args(column_build)], capsys)
    assert (code, out) == (2, "")
    assert err == (
        "dbtmeta: error: --snapshot replaces --lookml-dir and the Looker API settings: give only one source\n"
    )
    code, out, err = run(["check-fields", *prod_args(column_build)], capsys)
    assert (code, out, err) == (2, "", f"dbtmeta: error: {NO_CONTENT}\n")


def test_pull_with_the_lookml_repository_keeps_its_definitions(looker: FakeLooker, tmp_path: Path) -> None:
    """With --lookml-dir the repository's definitions are kept: the derived table is traced."""
    content = crawl(
        ApiSettings(
            base_url=looker.base_url, client_id=looker.data.client_id, client_secret=looker.data.client_secret
        ),
        lookml_dir=str(EXAMPLE_LOOKML),
    )
    sessions = FieldTracer(content).trace("greenery", "products", "product_page_views.total_sessions")
    assert [(c.table, c.column) for c in sessions.columns] == [("product.fact_page_views", "session_id")]
    assert sessions.problems == ()


def _answer(fields: list[dict], joins: list[dict], can_see_lookml: bool = True):  # type: ignore[no-untyped-def]
    """A ``lookml_model_explore`` answer read as the crawler reads it (strict SDK models)."""
    from looker_sdk.sdk.api40 import models

    from dbtmeta.looker.api_client import _build

    empty = {"dimensions": [], "measures": [], "filters": [], "parameters": []}
    raw = {
        "name": "orders",
        "view_name": "orders",
        "sql_table_name": "analytics.orders AS orders",
        "can_see_lookml": can_see_lookml,
        "source_file": "shop.model.lkml",
        "lookml_link": "/projects/shop/files/shop.model.lkml?line=3",
        "fields": {**empty, "dimensions": fields},
        "joins": joins,
    }
    return _build(json.loads(json.dumps(raw)), models.LookmlModelExplore, True)


def _api_field(name: str, sql: str | None, **extra: object) -> dict:
    return {
        "name": name,
        "view": name.partition(".")[0],
        "original_view": extra.pop("original_view", "orders_v"),
        "category": "dimension",
        "type": "string",
        "dimension_group": None,
        "sql": sql,
        "sql_case": None,
        "filters": None,
        "source_file": "views/orders.view.lkml",
        "lookml_link": "/projects/shop/files/views%2Forders.view.lkml?line=9",
        "primary_key": False,
        **extra,
    }


def test_api_definitions_of_durations_cases_extends_and_derived_joins() -> None:
    from dbtmeta.looker.api_fields import explore_definitions

    fields = [
        # a duration dimension group: its intervals prefix the group's name
        _api_field(
            "orders.days_to_ship", "DATEDIFF(${TABLE}.a, ${TABLE}.b)", dimension_group="orders.to_ship"
        ),
        _api_field(
            "orders.weeks_to_ship", "DATEDIFF(${TABLE}.a, ${TABLE}.b)", dimension_group="orders.to_ship"
        ),
        # a case: dimension: Looker gives its conditions, not sql
        _api_field("orders.size", None, sql_case=[{"value": "big", "condition": "${TABLE}.amount > 100"}]),
        # inherited from the view orders_v extends
        _api_field("orders.base_id", "${orders_base.id}", original_view="orders_base"),
        _api_field("stock.id", "${TABLE}.id", original_view="stock_dt", primary_key=True),
    ]
    joins = [
        {
            "name": "stock",
            "from": "stock_dt",
            "sql_table_name": None,
            "required_joins": [],
            "sql_on": "${orders.id} = ${stock.id}",
            "relationship": "one_to_many",
        }
    ]
    explore_joins, views = explore_definitions("shop", _answer(fields, joins))
    assert [(j.alias, j.view, j.sql_on, j.file, j.line, j.relationship) for j in explore_joins] == [
        ("orders", "orders_v", None, None, None, None),
        ("stock", "stock_dt", "${orders.id} = ${stock.id}", "shop.model.lkml", 3, "one_to_many"),
    ]
    by_name = {v.name: v for v in views}
    orders = by_name["orders_v"]
    assert orders.own_names == ("orders_v", "orders_base") and orders.derived_problem is None
    ship = orders.field("days_to_ship")
    # as the LookML reader has a duration group: type duration, its intervals as LookML writes them
    assert ship is not None and (ship.name, ship.kind, ship.type, ship.timeframes) == (
        "to_ship",
        "dimension_group",
        "duration",
        ("day", "week"),
    )
    size = orders.field("size")
    assert size is not None and (size.sql, size.extra_sql, size.problem) == (
        None,
        ("${TABLE}.amount > 100",),
        None,
    )
    assert (size.file, size.line) == ("views/orders.view.lkml", 9)
    assert by_name["stock_dt"].derived_problem == DERIVED  # no sql_table_name: a derived table
    assert [f.name for f in by_name["stock_dt"].fields if f.primary_key] == ["id"]
    assert not any(f.primary_key for f in orders.fields)
    # without see_lookml: nothing to trace, each field and join says why
    blind = [{**f, "sql": None, "sql_case": None} for f in fields]
    explore_joins, views = explore_definitions("shop", _answer(blind, [{**joins[0], "sql_on": None}], False))
    assert explore_joins[1].problem == NO_SEE_LOOKML
    assert {f.problem for v in views for f in v.fields} == {NO_SEE_LOOKML}
