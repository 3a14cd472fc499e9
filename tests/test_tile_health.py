"""Tile-level health (stale-dashboards --lookml-dir) on the example's real failure run."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dbtmeta.cli import main
from dbtmeta.columns.tiles import tile_health
from dbtmeta.commands._columns import LookerSource, load_content_resolver
from dbtmeta.dbt.artifacts import load_manifest
from dbtmeta.health.model import Status
from dbtmeta.health.report import load_health

REPO = Path(__file__).resolve().parents[1]
LOOKML = REPO / "example_project/looker"
INVENTORY_TEST = "test.greenery.positive_values_dim_products_True__inventory.464a352a31"
EVENTS_TEST = (
    "test.greenery.accepted_values_stg_events_event_type__page_view__add_to_cart__checkout__package_shipped"
    ".be201af839"
)


def failure_report(example_build):
    failure = example_build.failure
    report = load_health(
        project_dir=str(example_build.project_dir),
        target_path=None,
        manifest_path=str(failure / "manifest.json"),
        run_results_paths=(str(failure / "run_results.json"),),
        sources_path=str(failure / "sources.json"),
    )[0]
    manifest = load_manifest(failure / "manifest.json")
    content, resolve = load_content_resolver(LookerSource(str(LOOKML)), manifest)
    return report, tile_health(report, manifest, content, resolve)


def test_causes_narrowed_to_the_tiles_reading_them(example_build) -> None:
    before, after = failure_report(example_build)
    got = {
        e.name: (e.status, [(c.unique_id, c.tiles) for c in e.causes], len(e.tiles) if e.tiles else None)
        for e in after.exposures
    }
    assert got == {
        "inventory_health": (
            Status.STALE,
            [
                # freshness of the products source: every tile reading dim_products (the explore's base)
                (
                    "source.greenery.greenery.products",
                    ("current_inventory", "out_of_stock", "inventory_by_week", "views_vs_stock"),
                ),
                # the failing column test on dim_products.inventory: only the tiles showing inventory
                (INVENTORY_TEST, ("current_inventory", "views_vs_stock")),
                # a column test on stg_events, upstream of the node read: the tiles reading fact_page_views
                (EVENTS_TEST, ("views_vs_stock",)),
            ],
            4,
        ),
        "orders_overview": (
            Status.STALE,
            [
                (
                    "model.greenery.stg_promos",
                    (
                        "orders_by_status",
                        "revenue_by_day",
                        "top_customers",
                        "promo_usage",
                        "orders_and_signups",
                    ),
                )
            ],
            5,
        ),
        # hand-written, no Looker dashboard: table-level health kept
        "weekly_marketing_report": (Status.STALE, [("model.greenery.stg_promos", None)], None),
        "product_funnel": (Status.AT_RISK, [(EVENTS_TEST, ("top_viewed_pages",))], 5),
        "customers": (Status.FRESH, [], 3),
    }
    # the table-level report is untouched
    assert all(c.tiles is None for e in before.exposures for c in e.causes)


def test_stale_dashboards_json_names_the_tiles(example_build, capsys: pytest.CaptureFixture[str]) -> None:
    failure = example_build.failure
    args = ["stale-dashboards", "--project-dir", str(example_build.project_dir)]
    args += ["--manifest", str(failure / "manifest.json"), "--run-results", str(failure / "run_results.json")]
    args += ["--sources", str(failure / "sources.json"), "--lookml-dir", str(LOOKML), "--format", "json"]
    with pytest.raises(SystemExit) as exit_info:
        main([*args, "--exposure", "product_funnel"])
    assert exit_info.value.code == 0  # at risk, below the default --fail-on stale
    (exposure,) = json.loads(capsys.readouterr().out)["exposures"]
    assert exposure["tiles"] == [
        {"id": "funnel_stages", "title": "Sessions by funnel stage"},
        {"id": "funnel_rates", "title": "Conversion rates"},
        {"id": "sessions_per_user", "title": "Sessions per user"},
        {"id": "daily_funnel", "title": "Funnel by day"},
        {"id": "top_viewed_pages", "title": "Most viewed product pages"},
    ]
    assert [(c["unique_id"], c["tiles"]) for c in exposure["causes"]] == [(EVENTS_TEST, ["top_viewed_pages"])]


@pytest.mark.parametrize("pull_with_lookml", [False, True])
def test_tile_level_from_a_snapshot_as_from_the_lookml(
    example_build, capsys: pytest.CaptureFixture[str], tmp_path: Path, pull_with_lookml: bool
) -> None:
    """A `looker pull` snapshot (with or without the LookML repository) narrows the causes to the
    same tiles as the LookML files do (the API numbers a LookML dashboard's tiles: compared by title)."""
    from fake_looker import FakeLooker
    from fake_looker.dataset import dataset_from_content

    from dbtmeta.looker.lookml import read_lookml

    snapshot = tmp_path / "looker.json"
    with FakeLooker(dataset_from_content(read_lookml(str(LOOKML), fields=True))) as looker:
        pull = ["looker", "pull", "--output", str(snapshot), "--base-url", looker.base_url]
        with pytest.MonkeyPatch.context() as env:
            for key, value in looker.env().items():
                env.setenv(key, value)
            with pytest.raises(SystemExit) as exit_info:
                main([*pull, *(["--lookml-dir", str(LOOKML)] if pull_with_lookml else [])])
    assert exit_info.value.code == 0
    failure = example_build.failure
    args = ["stale-dashboards", "--project-dir", str(example_build.project_dir), "--format", "json"]
    args += ["--manifest", str(failure / "manifest.json"), "--run-results", str(failure / "run_results.json")]
    args += ["--sources", str(failure / "sources.json")]
    reports = []
    for source in (["--lookml-dir", str(LOOKML)], ["--snapshot", str(snapshot)]):
        capsys.readouterr()
        with pytest.raises(SystemExit):
            main([*args, *source])
        found = json.loads(capsys.readouterr().out)["exposures"]
        titles = [{t["id"]: t["title"] for t in e.get("tiles") or ()} for e in found]
        reports.append(
            {
                e["name"]: (
                    e["status"],
                    [(c["unique_id"], [names[t] for t in c.get("tiles") or ()]) for c in e["causes"]],
                )
                for e, names in zip(found, titles, strict=True)
            }
        )
    assert reports[1] == reports[0]
    assert reports[0]["inventory_health"][1][1] == (
        INVENTORY_TEST,
        ["Current inventory", "Page views against stock"],
    )


def test_only_dashboards_with_a_column_test_cause_have_their_fields_traced(
    example_build, monkeypatch: pytest.MonkeyPatch
) -> None:
    from dbtmeta.looker.fields import FieldLineage, FieldTracer

    traced: list[tuple[str, str, str]] = []
    real = FieldTracer.trace

    def counting(self: FieldTracer, model: str, explore: str, name: str) -> FieldLineage:
        traced.append((model, explore, name))
        return real(self, model, explore, name)

    monkeypatch.setattr(FieldTracer, "trace", counting)
    _before, after = failure_report(example_build)
    # inventory_health is the only dashboard with a column test on a node it reads (the others'
    # causes are models, sources and a test upstream): the tile level traces its fields only.
    inventory = next(e for e in after.exposures if e.name == "inventory_health")
    content, _ = load_content_resolver(
        LookerSource(str(LOOKML)), load_manifest(example_build.failure / "manifest.json")
    )
    dashboard = next(d for d in content.dashboards if d.id == inventory.meta["looker_id"])
    explores = {(q.model, q.explore) for q in dashboard.queries()}
    assert traced and {(m, e) for m, e, _ in traced} == explores
    assert ("greenery", "products", "products.inventory") in traced


def test_the_tile_level_counts_symmetric_aggregate_keys_as_column_usage_does(tmp_path: Path) -> None:
    """One piece (``tile_lineages``) says what a tile reads for both: a summed measure over a
    one_to_many join reads its view's primary key, which nothing else in the tile reads."""
    from dbtmeta.columns.tiles import _Reading
    from dbtmeta.columns.usage import column_usage
    from dbtmeta.looker.fields import FieldTracer
    from dbtmeta.looker.lookml import read_lookml

    (tmp_path / "m.model.lkml").write_text(
        'connection: "c"\ninclude: "*.view.lkml"\ninclude: "*.dashboard.lookml"\n'
        "explore: orders {\n  join: items {\n    relationship: one_to_many\n"
        "    sql_on: ${orders.ref} = ${items.order_ref} ;;\n  }\n}\n"
    )
    (tmp_path / "orders.view.lkml").write_text(
        "view: orders {\n  sql_table_name: shop.orders ;;\n  dimension: id { primary_key: yes }\n"
        "  dimension: ref {}\n  measure: total { type: sum  sql: ${TABLE}.amount ;; }\n}\n"
    )
    (tmp_path / "items.view.lkml").write_text(
        "view: items {\n  sql_table_name: shop.items ;;\n  dimension: order_ref {}\n  dimension: sku {}\n}\n"
    )
    (tmp_path / "sales.dashboard.lookml").write_text(
        "- dashboard: sales\n  title: Sales\n  elements:\n  - name: by_sku\n    title: By SKU\n"
        "    model: m\n    explore: orders\n    type: looker_column\n    fields: [items.sku, orders.total]\n"
    )
    content = read_lookml(tmp_path, fields=True)

    def resolve(table: str, connection: str | None) -> tuple[str | None, str | None]:
        return f"model.shop.{table.rpartition('.')[2]}", None

    reading = _Reading(content, content.dashboards, FieldTracer(content), resolve)
    assert reading.tiles("model.shop.orders", "id") == {"by_sku"}
    readers = column_usage(content, resolve).readers("model.shop.orders", "id")
    assert [(u.tile_id, u.field) for u in readers] == [("by_sku", "key:orders")]
