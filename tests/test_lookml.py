"""The LookML reader on small fixture repositories and on the example project's LookML."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dbtmeta.errors import InputError
from dbtmeta.looker.content import LookerContent
from dbtmeta.looker.lookml import read_lookml
from dbtmeta.looker.lookml_templates import take_prod
from dbtmeta.looker.usage import tables_used

FIXTURES = Path(__file__).parent / "fixtures" / "lookml"
EXAMPLE_LOOKML = Path(__file__).parent.parent / "example_project" / "looker"


@pytest.fixture(scope="module")
def features() -> LookerContent:
    return read_lookml(FIXTURES / "features", base_url="https://looker.example.com/", dialect="postgres")


def _sources(content: LookerContent, explore: str, model: str = "shop") -> dict[str, tuple]:
    found = content.explore(model, explore)
    assert found is not None, explore
    return {v.alias: (v.source.view, v.source.tables, v.source.problem) for v in found.views}


def _dashboard(content: LookerContent, dashboard_id: str):
    return next(d for d in content.dashboards if d.id == dashboard_id)


# -- views and explores ------------------------------------------------------------------------


def test_explore_from_join_from_and_default_table_name(features):
    explore = features.explore("shop", "orders")
    assert explore.base_alias == "orders"
    assert explore.connection == "warehouse"
    assert [v.alias for v in explore.views] == [
        "orders",
        "customers",
        "addresses",
        "promo",
        "stores",
        "region",
    ]
    sources = _sources(features, "orders")
    assert sources["orders"][:2] == ("orders_view", ("marts.fct_orders",))  # constant inside a constant
    assert sources["customers"][:2] == ("customers_view", ('"Marts"."Dim_Customers"',))  # via extends
    assert sources["addresses"][:2] == ("addresses", ("addresses",))  # no sql_table_name


def test_if_prod_blocks_and_constant_overrides(features):
    sources = _sources(features, "orders")
    assert sources["stores"][1] == ("right_schema.stores",)  # multi-line form, override_constant
    assert sources["region"][1] == ("geo.regions",)  # one-line form
    # override_constant inside local_dependency sets the *imported* project's constant (Looker's rule),
    # not one of this project: here shared_schema is defined nowhere the importer can see.
    shared = _sources(features, "problems")["shared"]
    assert shared[1:] == ((), "sql_table_name uses unknown constant @{shared_schema}")


def test_take_prod_forms():
    assert take_prod("-- if prod -- a.t -- if dev -- b.t").strip() == "a.t"
    assert take_prod("-- if dev -- b.t -- if prod -- a.t").strip() == "a.t"
    assert take_prod("x.t\n-- if dev -- b.t\n").strip() == "x.t"
    assert take_prod("SELECT 1 -- if prod -- FROM a\n-- IF DEV -- FROM b") == "SELECT 1  FROM a\n"


def test_required_joins_always_join_and_sql_on_dependencies(features):
    explore = features.explore("shop", "orders")
    assert explore.view("orders").required_joins == ("stores",)  # always_join
    assert explore.view("region").required_joins == ("stores",)  # required_joins
    assert explore.view("addresses").required_joins == ("customers",)  # from its sql_on


@pytest.mark.parametrize(
    ("field", "expected"),
    [
        ("orders.count", ["orders", "stores"]),
        ("orders.region_name", ["orders", "stores", "region"]),  # ${region.name}; region requires stores
        ("orders.label", ["orders", "stores", "region"]),  # ${region_name} -> ${region.name}
        ("orders.california_orders", ["orders", "customers", "addresses", "stores"]),  # a measure filter
        ("orders.days_since_signup", ["orders", "customers", "stores"]),  # a duration dimension group
    ],
)
def test_fields_that_reach_into_other_views_bring_their_joins(features, field, expected):
    from dbtmeta.looker.content import Query
    from dbtmeta.looker.usage import used_aliases

    explore = features.explore("shop", "orders")
    aliases, unknown = used_aliases(explore, Query("shop", "orders", fields=(field,)))
    assert sorted(aliases) == sorted(expected)
    assert unknown == []
    # The same view as the base of another explore, where no "region" join exists: nothing added.
    legacy = features.explore("shop", "legacy_orders")
    assert used_aliases(legacy, Query("shop", "legacy_orders", fields=("orders_view.label",))) == (
        ["orders_view"],
        [],
    )


def test_explore_filters_bring_their_joins(features):
    from dbtmeta.looker.content import Query
    from dbtmeta.looker.usage import used_aliases

    explore = features.explore("shop", "filtered_orders")
    assert explore.views[0].required_joins == ("customers", "region", "stores")
    aliases, _ = used_aliases(explore, Query("shop", "filtered_orders", fields=("filtered_orders.id",)))
    assert aliases == ["filtered_orders", "customers", "region", "stores"]  # never addresses


def test_view_name_and_explore_refinement(features):
    explore = features.explore("shop", "legacy_orders")
    assert explore.base_alias == "orders_view"
    assert [v.alias for v in explore.views] == ["orders_view", "customers"]  # join added by +legacy_orders


def test_explore_extends_and_abstract_explores(features):
    assert features.explore("shop", "base_explore") is None  # extension: required
    extended = _sources(features, "extended_customers")
    assert extended == {
        "customers_view": ("customers_view", ('"Marts"."Dim_Customers"',), None),
        "addresses": ("addresses", ("addresses",), None),
    }


def test_view_refinement_replaces_sql_table_name(features):
    assert _sources(features, "problems")["old"][1] == ("legacy.stores_v2",)
    assert _sources(features, "problems")["alias"][1] == ("marts.fct_orders",)  # ${view.SQL_TABLE_NAME}


def test_derived_table_sql(features):
    _view, tables, problem = _sources(features, "customer_facts")["customer_facts"]
    assert problem is None
    # CTE names dropped, subqueries followed, ${view.SQL_TABLE_NAME} followed to the view's table,
    # {% condition %} neutralised, -- if prod -- taken, @{constant} substituted.
    assert sorted(tables) == sorted(
        [
            "marts.fct_orders",
            "prod_only.extra_table",
            '"Finance"."Payments"',
            '"Marts"."Dim_Customers"',
            "marts.archived_customers",
        ]
    )
    assert "recent" not in tables and "lifetime" not in tables and "extra" not in tables


def test_explore_source_follows_the_explore_joins_it_uses(features):
    view, tables, problem = _sources(features, "customer_facts")["summary"]
    assert view == "order_summary"
    assert problem is None
    # orders base + customers (columns) + stores (always_join); not addresses/promo/region.
    assert sorted(tables) == sorted(["marts.fct_orders", '"Marts"."Dim_Customers"', "right_schema.stores"])


def test_explore_source_filters_and_bind_filters_bring_their_joins(features):
    _view, tables, problem = _sources(features, "problems")["filtered_summary"]
    assert problem is None
    # addresses (filter, needs customers), region (bind_filters, needs stores), stores (always_join)
    assert sorted(tables) == sorted(
        ["marts.fct_orders", "addresses", '"Marts"."Dim_Customers"', "geo.regions", "right_schema.stores"]
    )


def test_problems_are_reported_never_guessed(features):
    sources = _sources(features, "problems")
    assert sources["problems"][1] == ()
    assert "unknown constant @{no_such_constant}" in sources["problems"][2]
    assert "Liquid" in sources["liquid"][2]
    assert "could not be parsed" in sources["bad"][2]
    assert "depends on itself" in sources["loop"][2]
    orders = _sources(features, "orders")
    assert orders["promo"][1] == () and "Liquid" in orders["promo"][2]
    facts = _sources(features, "customer_facts")
    assert "templated_promos.SQL_TABLE_NAME" in facts["broken"][2]
    assert "not defined" in facts["ghost"][2]
    for explore in features.explores.values():
        for item in explore.views:
            assert bool(item.source.tables) != bool(item.source.problem), item


def test_connections(features):
    assert features.model_connections == {"shop": "warehouse"}
    assert features.connections["warehouse"].dialect == "postgres"


# -- dashboards ----------------------------------------------------------------------------------


def test_dashboards_only_from_includes(features):
    assert [d.id for d in features.dashboards] == ["shop::empty", "shop::regional_sales", "shop::sales"]


def test_dashboard_fields(features):
    sales = _dashboard(features, "shop::sales")
    assert sales.title == "Sales {{ not jinja }}"
    assert sales.description == "Sales by customer."
    assert sales.url == "https://looker.example.com/dashboards/shop::sales"
    assert sales.kind == "dashboard" and sales.lookml
    tiles = {t.id: t for t in sales.tiles}
    assert [t.id for t in sales.tiles] == ["note", "by_customer", "merged", "legacy", "broken_tile"]
    assert tiles["note"].type == "text" and tiles["note"].queries == ()
    query = tiles["by_customer"].queries[0]
    assert (query.model, query.explore) == ("shop", "orders")
    assert query.fields == ("customers.name", "orders.count", "calc_share")
    assert query.filters == ("addresses.id", "region.name")  # filters: and listen:
    assert query.sorts == ("orders.count",)
    merged = tiles["merged"]
    assert merged.type == "merged"
    assert [(q.explore, q.pivots, q.dynamic_fields) for q in merged.queries] == [
        ("orders", (), ()),
        ("customer_facts", ("summary.id",), ("customer_facts.id",)),
    ]
    assert [(f.explore, f.fields, f.id) for f in sales.filters] == [
        ("extended_customers", ("addresses.id",), "Customer")
    ]
    assert _dashboard(features, "shop::empty").tiles == ()


def test_dashboard_extends(features):
    regional = _dashboard(features, "shop::regional_sales")
    assert regional.title == "Regional Sales"
    tiles = {t.id: t for t in regional.tiles}
    assert list(tiles) == ["base_tile", "replaced", "own_tile"]
    assert tiles["base_tile"].title == "From the template"
    assert tiles["replaced"].queries[0].fields == ("region.name",)  # own keys win, the rest inherited
    assert tiles["replaced"].queries[0].explore == "orders"
    usage = tables_used(features, regional)
    assert usage.problems == []  # the template's templated promo field was replaced
    assert usage.table_names() == {
        "marts.fct_orders",
        "geo.regions",
        "right_schema.stores",
        '"Marts"."Dim_Customers"',
    }


def test_tables_used_by_tile(features):
    usage = tables_used(features, _dashboard(features, "shop::sales"))
    by_table = {t.table: tiles for t, tiles in usage.tables.items()}
    assert {t.connection for t in usage.tables} == {"warehouse"}
    # by_customer: base + customers (field) + addresses (filter, needs customers) + region (listen,
    # needs stores) + stores (always_join); never promo, whose view is templated.
    assert {t for t, tiles in by_table.items() if "by_customer" in tiles} == {
        "marts.fct_orders",
        '"Marts"."Dim_Customers"',
        "addresses",
        "geo.regions",
        "right_schema.stores",
    }
    assert by_table["addresses"] == {"by_customer", "filter:Customer"}
    assert by_table["marts.fct_orders"] == {"by_customer", "merged", "legacy", "broken_tile"}
    problems = {(p.tile_id, p.alias) for p in usage.problems}
    assert problems == {("broken_tile", "nosuchview"), ("broken_tile", "broken")}


def test_api_generated_sql_fills_templated_views(features):
    from dataclasses import replace

    from dbtmeta.looker.content import Dashboard, Query, Tile

    query = Query("shop", "orders", fields=("promo.id",), sql="SELECT * FROM dbt_prod.promos AS promo")
    dashboard = Dashboard("1", "dashboard", "One", tiles=(Tile("t", "query", queries=(query,)),))
    usage = tables_used(features, dashboard)
    assert usage.problems == []
    assert usage.table_names() >= {"dbt_prod.promos"}
    without_sql = tables_used(
        features, replace(dashboard, tiles=(Tile("t", "query", queries=(replace(query, sql=None),)),))
    )
    assert [p.alias for p in without_sql.problems] == ["promo"]


def test_unknown_explore_is_a_problem(features):
    from dbtmeta.looker.content import Dashboard, Query, Tile

    dashboard = Dashboard(
        "1", "dashboard", "One", tiles=(Tile("t", "query", queries=(Query("shop", "nope"),)),)
    )
    usage = tables_used(features, dashboard)
    assert usage.tables == {}
    assert "shop::nope" in usage.problems[0].message


def test_snapshot_round_trip(features):
    again = LookerContent.from_dict(features.to_dict())
    assert again.to_dict() == features.to_dict()
    for dashboard in features.dashboards:
        assert tables_used(again, dashboard).tables == tables_used(features, dashboard).tables


# -- errors ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("repo", "expected"),
    [
        (
            "no_model",
            "no *.model.lkml file found under {root}: pass the root of a LookML project with --lookml-dir",
        ),
        (
            "does_not_exist",
            "LookML directory {root} does not exist or is not a directory: pass the root of a LookML "
            "project (the folder with *.model.lkml files)",
        ),
    ],
)
def test_errors_are_one_line_naming_the_file(repo, expected):
    """The whole message: what is wrong, where, and what to pass instead."""
    with pytest.raises(InputError) as info:
        read_lookml(FIXTURES / repo)
    assert str(info.value) == expected.format(root=FIXTURES / repo)


@pytest.mark.parametrize(
    ("repo", "expected"),
    [
        (
            "bad_lkml",
            "bad_lkml/views/broken.view.lkml (model m): not valid LookML (Unable to find a matching "
            "expression for '<stream end>' on line 4); fix the file or leave it out of the include:",
        ),
        (
            "bad_dashboard",
            "bad_dashboard/dashboards/bad.dashboard.lookml:6 (model m): LookML dashboard is not valid YAML "
            "(did not find expected ',' or ']'); fix it or remove it from the include:",
        ),
        (
            "missing_include",
            "missing_include/m.model.lkml:3 (model m): include '/views/*.view.lkml' matches no file; "
            "fix the pattern or add the file",
        ),
    ],
)
def test_bad_files_are_problems_naming_the_file_and_model(repo, expected):
    content = read_lookml(FIXTURES / repo)
    assert content.problems == [f"{FIXTURES / repo}/{expected.partition('/')[2]}"]


def _repo(tmp_path: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return tmp_path


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "just a string",
            "a LookML dashboard file must be a YAML list of mappings with a 'dashboard:' name; "
            "fix the file or remove it from the include:",
        ),
        ("- title: no name\n", "item 1 is not a mapping with a 'dashboard:' name; it is left out"),
        (
            "- dashboard: d\n  elements: {a: 1}\n",
            "'elements' of dashboard d must be a list; the dashboard is left out until the file is fixed",
        ),
    ],
)
def test_malformed_dashboards_leave_out_only_themselves(tmp_path, text, expected):
    good = "- dashboard: good\n  elements: [{name: t, model: m, explore: a, fields: [a.x]}]\n"
    repo = _repo(
        tmp_path,
        {
            "m.model.lkml": 'include: "*.dashboard.lookml"\nexplore: a {}\n',
            "bad.dashboard.lookml": text,
            "good.dashboard.lookml": good,
        },
    )
    content = read_lookml(repo)
    assert [d.id for d in content.dashboards] == ["m::good"]
    assert content.problems == [f"{repo / 'bad.dashboard.lookml'} (model m): {expected}"]


def test_unreadable_lkml_file(tmp_path):
    repo = _repo(tmp_path, {"m.model.lkml": 'include: "v.view.lkml"\nexplore: a {}\n'})
    (repo / "v.view.lkml").write_bytes(b"view: a { sql_table_name: \xff\xfe ;; }")
    content = read_lookml(repo)
    [problem] = content.problems
    assert problem.startswith(f"{repo / 'v.view.lkml'} (model m): cannot read the file (")
    assert problem.endswith("); fix the file")
    source = content.explore("m", "a").views[0].source
    assert source.tables == ()
    assert source.problem == (
        f"view a is not defined in any file model m includes; {repo / 'v.view.lkml'} could not be read"
    )


def test_relative_and_parent_includes(tmp_path):
    repo = _repo(
        tmp_path,
        {
            "models/m.model.lkml": 'connection: "c"\ninclude: "../views/**/*.view"\nexplore: a {}\n',
            "views/x/y/a.view.lkml": "view: a { sql_table_name: s.a ;; }",
            ".git/ignored.view.lkml": "view: a { sql_table_name: wrong.a ;; }",
        },
    )
    content = read_lookml(repo)
    assert content.explore("m", "a").views[0].source.tables == ("s.a",)


# -- the example project -----------------------------------------------------------------------------

EXPECTED_EXAMPLE_TABLES = {
    "greenery::product_funnel": {
        "PRODUCT.FACT_SESSIONS_FUNNEL",
        "product.fact_user_sessions",
        "product.fact_page_views",
    },
    "greenery::inventory_health": {
        "core.dim_products",
        "snapshots.products_snapshot",
        "product.fact_page_views",
    },
    "greenery::orders_overview": {'"core"."fact_orders"', "core.dim_users", "raw.promos"},
    "greenery::customers": {"core.dim_users"},
}


@pytest.fixture(scope="module")
def example() -> LookerContent:
    return read_lookml(EXAMPLE_LOOKML, base_url="https://looker.example.com", dialect="duckdb")


def test_example_dashboards(example):
    assert {d.id: d.title for d in example.dashboards} == {
        "greenery::customers": "Customers",
        "greenery::inventory_health": "Inventory Health",
        "greenery::orders_overview": "Orders Overview",
        "greenery::product_funnel": "Product Funnel",
    }
    assert all(d.description and d.lookml and d.url.endswith(d.id) for d in example.dashboards)
    assert example.model_connections == {"greenery": "greenery_duckdb"}


def test_example_tables_per_dashboard(example):
    for dashboard in example.dashboards:
        usage = tables_used(example, dashboard)
        assert usage.problems == [], dashboard.id
        assert usage.table_names() == EXPECTED_EXAMPLE_TABLES[dashboard.id], dashboard.id


def test_example_unused_joins_are_not_counted(example):
    # The users explore joins fact_orders and user_order_facts; no Customers tile uses them.
    users = example.explore("greenery", "users")
    assert {v.source.view for v in users.views} >= {"fact_orders", "user_order_facts"}
    # The orders explore joins user_order_facts; Orders Overview does not use it.
    orders = example.explore("greenery", "orders")
    assert orders.view("customers").source.view == "dim_users"
    assert orders.view("customer_order_facts").required_joins == ("customers",)


def test_example_tiles_by_table(example):
    inventory = next(d for d in example.dashboards if d.id == "greenery::inventory_health")
    usage = tables_used(example, inventory)
    by_table = {t.table: tiles for t, tiles in usage.tables.items()}
    # The derived table reads fact_page_views and, through ${dim_products.SQL_TABLE_NAME}, dim_products;
    # its required join pulls in the snapshot.
    assert by_table["product.fact_page_views"] == {"views_vs_stock"}
    assert by_table["snapshots.products_snapshot"] == {"inventory_by_week", "views_vs_stock"}
    assert "filter:Product" in by_table["core.dim_products"]


@pytest.fixture(scope="module")
def green_db(example_build, tmp_path_factory):
    """A read-only connection to a private copy of the green build's DuckDB file."""
    import duckdb

    copy = tmp_path_factory.mktemp("lookml_duckdb") / "greenery.duckdb"
    shutil.copy(example_build.duckdb_path, copy)
    con = duckdb.connect(str(copy), read_only=True)
    yield con
    con.close()


def _columns(con, table: str) -> set[str]:
    from dbtmeta.sqlnames import split_table_name

    _, schema, name = split_table_name(table, "duckdb")
    rows = con.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_schema = ? AND table_name = ?",
        [schema, name],
    ).fetchall()
    return {r[0] for r in rows}


def test_example_tables_exist_in_duckdb(example, green_db):
    """Every table the example dashboards read exists in the built database."""
    tables = {t.table for d in example.dashboards for t in tables_used(example, d).tables}
    assert len(tables) == 8
    assert {t for t in tables if not _columns(green_db, t)} == set()


def test_example_views_read_existing_columns(example, green_db):
    """Each ${TABLE}.column of each view exists; the derived table's SQL runs on DuckDB."""
    import re

    import lkml

    from dbtmeta.looker import lookml_templates as tpl

    sources = {v.source.view: v.source for e in example.explores.values() for v in e.views}
    checked = 0
    for path in sorted(EXAMPLE_LOOKML.rglob("*.view.lkml")):
        for view in lkml.load(path.read_text(encoding="utf-8")).get("views", []):
            used = set()
            for kind in ("dimensions", "measures", "dimension_groups"):
                for item in view.get(kind, []):
                    used |= set(re.findall(r"\$\{TABLE\}\.(\w+)", item.get("sql", "")))
            if "derived_table" in view:
                sql, _ = tpl.swap_table_refs(tpl.neutralise_conditions(view["derived_table"]["sql"]))
                sql = sql.replace(tpl.PLACEHOLDER_PREFIX + "dim_products", "core.dim_products")
                columns = {d[0] for d in green_db.execute(f"SELECT * FROM ({sql}) LIMIT 0").description}
            elif view.get("extension") == "required":
                columns = _columns(green_db, view["sql_table_name"])
            else:
                columns = set().union(*(_columns(green_db, t) for t in sources[view["name"]].tables))
            assert used and used <= columns, (view["name"], used - columns)
            checked += 1
    assert checked == 11


def test_example_funnel_measures_give_the_course_counts(green_db):
    """The Product Funnel tile's measures, run as LookML defines them, give 578/467/361/335."""
    import lkml

    view = lkml.load(
        (EXAMPLE_LOOKML / "views" / "fact_sessions_funnel.view.lkml").read_text(encoding="utf-8")
    )
    measures = {m["name"]: m["sql"] for m in view["views"][0]["measures"] if m.get("type") == "sum"}
    names = [
        "sessions",
        "sessions_with_add_to_cart",
        "sessions_with_checkout",
        "sessions_with_package_shipped",
    ]
    select = ", ".join(f"SUM({measures[n].replace('${TABLE}', 'f')})" for n in names)
    row = green_db.execute(f"SELECT {select} FROM product.fact_sessions_funnel AS f").fetchone()
    assert tuple(row) == (578, 467, 361, 335)


@pytest.mark.parametrize("repo", ["no_model", "does_not_exist"])
def test_cli_reports_no_lookml_in_one_line_and_keeps_the_exposures_file(repo, example_build, capsys):
    from dbtmeta.cli import main

    project = example_build.project_dir
    exposures = project / "models" / "exposures" / "looker_exposures.yml"
    before = exposures.read_bytes()
    with pytest.raises(SystemExit) as info:
        main(["sync-exposures", "--lookml-dir", str(FIXTURES / repo), "--project-dir", str(project)])
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("dbtmeta: error: ")
    assert err.count("\n") == 1 and "Traceback" not in err
    assert repo in err
    assert exposures.read_bytes() == before


@pytest.mark.parametrize("repo", ["bad_lkml", "bad_dashboard", "missing_include"])
def test_cli_warns_about_bad_lookml_and_strict_keeps_the_exposures_file(repo, example_build, capsys):
    from dbtmeta.cli import main

    project = example_build.project_dir
    exposures = project / "models" / "exposures" / "looker_exposures.yml"
    before = exposures.read_bytes()
    args = ["sync-exposures", "--lookml-dir", str(FIXTURES / repo), "--project-dir", str(project)]
    with pytest.raises(SystemExit) as info:
        main([*args, "--strict"])
    assert info.value.code == 1
    err = capsys.readouterr().err
    [problem] = read_lookml(FIXTURES / repo).problems
    assert err.splitlines() == [
        f"dbtmeta: warning: {problem}",
        "dbtmeta: warning: the Looker content has no dashboards: all 4 generated exposures go "
        "(check the source and the API user's permissions)",
        f"dbtmeta: 0 unresolved tables or tiles, 1 LookML problems (--strict): {exposures} left as it was",
    ]
    assert exposures.read_bytes() == before


# -- robustness: odd but parseable input never escapes as a traceback ---------------------------------

_LKML_TOKENS = st.sampled_from(
    [
        "view:", "explore:", "join:", "include:", "connection:", "from:", "view_name:", "extends:",
        "sql_table_name:", "derived_table:", "sql:", "explore_source:", "column:", "field:",
        "required_joins:", "always_join:", "constant:", "value:", "{", "}", "[", "]", ";;", '"x"',
        '"/v.view.lkml"', "a", "b", "+a", "${a.SQL_TABLE_NAME}", "@{c}", "-- if prod --", "{{ x }}",
        "select * from t", ",", "\n", "dimension:", "filters:", "a.b:", "measure:", "sql_on:", "${a.x}",
        "extension:", "required",
    ]
)  # fmt: skip
_YAML_KEYS = st.sampled_from(
    [
        "dashboard", "title", "description", "elements", "filters", "extends", "extension", "name",
        "model", "explore", "fields", "sorts", "pivots", "listen", "merged_queries", "dynamic_fields",
        "type", "field", "expression", "based_on",
    ]
)  # fmt: skip
_YAML_LEAF = st.one_of(
    st.none(), st.booleans(), st.integers(), st.sampled_from(["a", "a.b", "m", "d", "text", "${a.b} + 1", ""])
)
_YAML_VALUES = st.recursive(
    _YAML_LEAF,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(_YAML_KEYS, inner, max_size=5)),
    max_leaves=20,
)


def _read_or_input_error(files: dict[str, str]) -> None:
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        root = _repo(Path(tmp), files)
        try:
            content = read_lookml(root)
        except InputError as exc:
            assert "\n" not in str(exc)
            return
        for dashboard in content.dashboards:
            tables_used(content, dashboard)
        LookerContent.from_dict(content.to_dict())


@settings(max_examples=100, deadline=None)
@given(model=st.lists(_LKML_TOKENS, max_size=30), view=st.lists(_LKML_TOKENS, max_size=30))
def test_odd_lookml_reads_or_fails_in_one_line(model, view):
    _read_or_input_error(
        {
            "m.model.lkml": 'include: "*.view.lkml"\n' + " ".join(model),
            "v.view.lkml": " ".join(view),
            "manifest.lkml": " ".join(view[:8]),
        }
    )


@settings(max_examples=100, deadline=None)
@given(
    doc=st.one_of(
        _YAML_VALUES,
        st.lists(
            st.dictionaries(_YAML_KEYS, _YAML_VALUES, max_size=6).map(lambda d: {"dashboard": "d", **d})
        ),
    )
)
def test_odd_dashboards_read_or_fail_in_one_line(doc):
    import yaml

    _read_or_input_error(
        {
            "m.model.lkml": 'include: "*.dashboard.lookml"\nexplore: a {}\n',
            "d.dashboard.lookml": yaml.safe_dump(doc),
        }
    )


# -- Looker's own shapes: Ruby tags, include syntax, lkml's log, imports ---------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a: !ruby/hash:ActiveSupport::HashWithIndifferentAccess {x: 1}", {"a": {"x": 1}}),
        ("a: !ruby/hash:ActiveSupport::HashWithIndifferentAccess\n  x: [1, 2]\n", {"a": {"x": [1, 2]}}),
        ("a: !ruby/object:ActiveSupport::HashWithIndifferentAccess\n  x: y\n", {"a": {"x": "y"}}),
        ("a: !ruby/array:Array [p.q, r.s]", {"a": ["p.q", "r.s"]}),
        ("a: !ruby/symbol yes_please", {"a": "yes_please"}),
        ("a: !ruby/string 12", {"a": "12"}),
    ],
)
def test_ruby_tags_load_as_plain_data(text, expected):
    import yaml

    from dbtmeta.looker.lookml_dashboards import dashboard_loader

    assert yaml.load(text, Loader=dashboard_loader()) == expected


@pytest.mark.parametrize(
    "text",
    [
        "a: !!python/object/apply:os.system ['echo unsafe']",
        "a: !!python/name:os.system",
        "a: !ruby_but_not/hash {x: 1}",
    ],
)
def test_other_tags_stay_refused(tmp_path, text):
    import yaml

    from dbtmeta.looker.lookml_dashboards import dashboard_loader

    with pytest.raises(yaml.constructor.ConstructorError):
        yaml.load(text, Loader=dashboard_loader())
    repo = _repo(
        tmp_path,
        {"m.model.lkml": 'include: "*.dashboard"\n', "d.dashboard.lookml": "- dashboard: d\n  " + text},
    )
    [problem] = read_lookml(repo).problems
    assert problem.startswith(
        f"{repo / 'd.dashboard.lookml'}:2 (model m): LookML dashboard is not valid YAML"
    )


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ("/views/[!0-9]*.view", ["views/a.view.lkml", "views/b.view.lookml"]),
        ("/views/[0-9]*", ["views/1_old.view.lkml"]),
        ("/views/[a-b].view.lkml", ["views/a.view.lkml"]),
        ("/views/?.view", ["views/a.view.lkml", "views/b.view.lookml"]),
        (
            "/**/*.view",
            ["deep/x/c.view.lkml", "views/1_old.view.lkml", "views/a.view.lkml", "views/b.view.lookml"],
        ),
        ("/deep/**/*.view", ["deep/x/c.view.lkml"]),
        ("views/a.view", ["views/a.view.lkml"]),  # relative to the model's folder (the root here)
        ("*.dashboard", ["d.dashboard.lookml"]),
        ("/views/*", ["views/1_old.view.lkml", "views/a.view.lkml", "views/b.view.lookml"]),  # not README.md
        ("//other/*.view", ["other:o.view.lkml"]),
        ("//other/sub/../*.view.lkml", ["other:o.view.lkml"]),
    ],
)
def test_include_syntax(tmp_path, pattern, expected):
    from dbtmeta.looker.lookml import _Repo

    root = _repo(
        tmp_path / "main",
        {
            "m.model.lkml": "",
            "d.dashboard.lookml": "",
            "views/a.view.lkml": "",
            "views/b.view.lookml": "",
            "views/1_old.view.lkml": "",
            "views/README.md": "",
            "deep/x/c.view.lkml": "",
        },
    )
    other = _repo(tmp_path / "other", {"o.view.lkml": "", "sub/p.txt": ""})
    repo = _Repo(root, {"other": other})
    found = repo.glob(pattern, root / "m.model.lkml")
    names = [
        f"other:{p.relative_to(other).as_posix()}" if other in p.parents else p.relative_to(root).as_posix()
        for p in found
    ]
    assert names == expected
    assert repo.glob("//not_given/*.view", root / "m.model.lkml") is None


def test_lkml_log_never_reaches_stderr(tmp_path, example_build):
    import subprocess
    import sys

    # A real process: under pytest, its logging plugin would swallow what lkml logs.
    repo = _repo(tmp_path / "lookml", {"m.model.lkml": 'connection: "a"\nconnection: "b"\nexplore: x {}\n'})
    output = tmp_path / "out.yml"
    args = ["sync-exposures", "--lookml-dir", str(repo), "--project-dir", str(example_build.project_dir)]
    result = subprocess.run(
        [sys.executable, "-m", "dbtmeta", *args, "--output", str(output)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr.splitlines() == [
        f"dbtmeta: warning: {repo / 'm.model.lkml'} (model m): lkml: Multiple declarations of top-level "
        'key "connection" found. Using the last-declared value.'
    ]


def test_parse_lookml_imports(tmp_path):
    from dbtmeta.errors import UsageError
    from dbtmeta.looker.lookml import parse_lookml_imports

    assert parse_lookml_imports([f"cfg={tmp_path}", f" //lib = {tmp_path} "]) == {
        "cfg": str(tmp_path),
        "lib": str(tmp_path),
    }
    with pytest.raises(UsageError, match="is not NAME=DIR"):
        parse_lookml_imports(["cfg"])
    with pytest.raises(UsageError, match="is not a directory"):
        parse_lookml_imports([f"cfg={tmp_path / 'nope'}"])
    (tmp_path / "x").mkdir()
    with pytest.raises(UsageError, match="is given twice"):
        parse_lookml_imports([f"cfg={tmp_path}", f"cfg={tmp_path / 'x'}"])


def test_an_include_with_a_reversed_range_matches_nothing(tmp_path):
    # Once an "unexpected error": re.error from the class [z-a].
    repo = _repo(
        tmp_path, {"m.model.lkml": 'include: "/views/[z-a]*.view"\nexplore: a {}\n', "views/a.view.lkml": ""}
    )
    assert read_lookml(repo).problems == [
        f"{repo / 'm.model.lkml'}:1 (model m): include '/views/[z-a]*.view' matches no file; "
        "fix the pattern or add the file"
    ]


def test_a_project_given_but_not_declared_uses_its_own_constants(tmp_path):
    # The main project imports "lib" (no override); "lib" includes "//base/", which only it declares.
    main = _repo(
        tmp_path / "main",
        {
            "manifest.lkml": 'project_name: "main"\nlocal_dependency: { project: "lib" }\n',
            "m.model.lkml": 'include: "//lib/*.view"\nexplore: a {}\n',
        },
    )
    lib = _repo(
        tmp_path / "lib",
        {
            "manifest.lkml": 'project_name: "lib"\nconstant: s { value: "lib_schema" }\n',
            "a.view.lkml": 'include: "//base/*.view"\nview: a { extends: [base_a] }\n',
        },
    )
    base = _repo(
        tmp_path / "base",
        {
            "manifest.lkml": 'project_name: "base"\nconstant: s { value: "base_schema" }\n',
            "base_a.view.lkml": "view: base_a { sql_table_name: @{s}.a ;; }\n",
        },
    )
    content = read_lookml(main, imports={"lib": lib, "base": base})
    assert content.problems == []
    assert content.explore("m", "a").views[0].source.tables == ("base_schema.a",)


# -- constants that expand without bound ------------------------------------------------------------


def _constant_repo(tmp_path: Path, constants: dict[str, str]) -> LookerContent:
    manifest = "".join(f'constant: {name} {{\n  value: "{value}"\n}}\n' for name, value in constants.items())
    repo = _repo(
        tmp_path,
        {
            "manifest.lkml": 'project_name: "bombs"\n' + manifest,
            "m.model.lkml": 'connection: "w"\ninclude: "*.view.lkml"\nexplore: t {}\nexplore: d {}\n',
            "t.view.lkml": "view: t {\n  sql_table_name: @{c} ;;\n}\n",
            "d.view.lkml": "view: d {\n  derived_table: { sql: select * from @{c} ;; }\n}\n",
        },
    )
    return read_lookml(repo, base_url="https://looker.example.com/", dialect="postgres")


def test_a_constant_of_sixteen_copies_of_itself_is_a_problem(tmp_path):
    content = _constant_repo(tmp_path, {"c": "@{c}" * 16})
    loop = "refers to itself (@{c} -> @{c})"
    assert _sources(content, "t", model="m") == {"t": ("t", (), f"sql_table_name: constant @{{c}} {loop}")}
    assert _sources(content, "d", model="m") == {"d": ("d", (), f"derived table SQL: constant @{{c}} {loop}")}


def test_constants_that_multiply_stop_at_the_cap(tmp_path):
    # c0 is 8 characters; each level 16 copies of the one below: 8 * 16**6 = 134 million characters.
    levels = {"c0": "schema_x"} | {f"c{i}": f"@{{c{i - 1}}}" * 16 for i in range(1, 7)}
    content = _constant_repo(tmp_path, {**levels, "c": "@{c6}"})
    problem = _sources(content, "t", model="m")["t"][2]
    assert problem == "sql_table_name: constant @{c5} expands to more than 1,000,000 characters"


def test_constant_chains_without_loops_still_resolve(tmp_path):
    content = _constant_repo(tmp_path, {"c": "@{s}.@{s}_t", "s": "@{base}", "base": "marts"})
    assert _sources(content, "t", model="m") == {"t": ("t", ("marts.marts_t",), None)}
