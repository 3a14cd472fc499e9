"""The API crawler against a fake Looker on 127.0.0.1, through the real looker-sdk."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from cli_process import run_dbtmeta
from fake_looker import FakeLooker, Fault, example_dataset, generated_dataset
from fake_looker.dataset import CLIENT_SECRET, EXAMPLE_LOOKML

from dbtmeta.errors import RemoteError, UsageError
from dbtmeta.looker.api import ApiSettings, crawl, crawl_with_stats

FAST = {"backoff": 0.01, "max_backoff": 0.05}


def settings(looker: FakeLooker, **kw: object) -> ApiSettings:
    values: dict[str, object] = {
        "base_url": looker.base_url,
        "client_id": looker.data.client_id,
        "client_secret": looker.data.client_secret,
        **FAST,
    }
    values.update(kw)
    return ApiSettings(**values)  # type: ignore[arg-type]


@pytest.fixture()
def looker():
    with FakeLooker(example_dataset()) as server:
        yield server


def test_crawl_content(looker: FakeLooker) -> None:
    content = crawl(settings(looker), include_looks=True, concurrency=4)
    by_id = {d.id: d for d in content.dashboards}
    assert sorted(by_id) == sorted(
        [
            "101",
            "102",
            "104",
            "501",
            "502",
            "greenery::customers",
            "greenery::inventory_health",
            "greenery::orders_overview",
            "greenery::product_funnel",
        ]
    )  # deleted dashboard 103 and deleted look 503 are gone
    weekly = by_id["101"]
    assert weekly.title == "Weekly {{ env_var('X') }} [bold]x[/]"
    assert weekly.url == f"{looker.base_url}/dashboards/101"
    assert weekly.owner is not None and weekly.owner.email == "alice@example.com"
    assert weekly.owner.name == "Alice Analyst"
    assert weekly.folder == "Marketing" and weekly.view_count == 120
    assert [t.type for t in weekly.tiles] == ["query", "text", "look", "merged"]
    assert weekly.tiles[0].queries[0].dynamic_fields == ("customer_order_facts.ltv",)
    assert weekly.tiles[2].look_id == "501"
    merged = weekly.tiles[3].queries
    assert [(q.explore, q.fields) for q in merged] == [
        ("orders", ("orders.count", "orders.created_date")),
        ("users_by_schema", ("dim_users.count",)),
    ]
    assert [(q.explore, q.fields) for q in weekly.filters] == [("orders", ("customers.state",))]
    assert by_id["102"].owner is not None and by_id["102"].owner.email is None  # no email
    assert by_id["104"].owner is not None and by_id["104"].owner.name is None  # user gone
    look = by_id["502"]
    assert look.kind == "look" and look.url == f"{looker.base_url}/looks/502"
    assert look.tiles[0].queries[0].fields == ("page_views.count",)

    orders = content.explore("greenery", "orders")
    assert orders is not None and orders.connection == "greenery_duckdb"
    facts = orders.view("customer_order_facts")
    assert facts is not None
    assert facts.source.view == "user_order_facts"  # alias -> underlying view
    assert facts.source.tables == ("marketing.user_order_facts",)  # "AS alias" stripped
    assert facts.required_joins == ("customers",)
    assert content.connections["greenery_duckdb"].dialect == "duckdb"
    assert content.model_connections == {"greenery": "greenery_duckdb"}

    # Templated view without a LookML directory: problem noted, tile SQL fetched instead.
    templated = content.explore("greenery", "users_by_schema")
    assert templated is not None and templated.views[0].source.problem
    assert templated.views[0].source.tables == ()
    sql = merged[1].sql
    assert sql is not None and "core.dim_users" in sql
    assert merged[0].sql is None  # only queries on templated views get SQL


def test_lookml_dashboards_match_lookml_directory(looker: FakeLooker) -> None:
    from dbtmeta.looker.lookml import read_lookml

    lookml = read_lookml(str(EXAMPLE_LOOKML))
    content = crawl(settings(looker), lookml_dir=str(EXAMPLE_LOOKML))

    def shape(dashboards):  # type: ignore[no-untyped-def]
        return {
            d.id: (
                d.title,
                [(t.type, [(q.explore, q.fields, q.filters) for q in t.queries]) for t in d.tiles],
            )
            for d in dashboards
            if d.lookml
        }

    assert shape(content.dashboards) == shape(lookml.dashboards)
    assert len(shape(lookml.dashboards)) == 4
    # With the LookML repository, the derived view takes its tables from there: no SQL calls.
    products = content.explore("greenery", "products")
    assert products is not None
    ppv = products.view("product_page_views")
    assert ppv is not None and not ppv.source.problem
    assert set(ppv.source.tables) == {"core.dim_products", "product.fact_page_views"}
    # users_by_schema is not in the repo, but its view dim_users is: resolved by view name.
    by_schema = content.explore("greenery", "users_by_schema")
    assert by_schema is not None and by_schema.views[0].source.tables == ("core.dim_users",)
    assert looker.calls["run_sql"] == 0


def test_call_count_is_bounded(looker: FakeLooker) -> None:
    content, stats = crawl_with_stats(settings(looker), concurrency=4)
    data = looker.data
    pages = 1  # 3 user-defined dashboards, one page
    lookml = sum(1 for d in data.dashboards if "::" in d)
    merges = len(data.merge_queries)
    merge_sources = sum(len(m["source_queries"]) for m in data.merge_queries.values())
    explores = len(content.explores)
    assert explores == len({(q.model, q.explore) for d in content.dashboards for q in d.queries()})
    user_batches = 1
    fixed = 1 + 1 + 1 + len(content.connections)  # login + all_dashboards(id) + logout + connections
    sql = looker.calls["run_sql"]
    bound = pages + explores + lookml + merges + merge_sources + user_batches + fixed + sql
    assert looker.total_calls == stats.total
    assert looker.total_calls <= bound, dict(looker.calls)
    assert looker.calls["explore"] == explores  # one call per distinct explore
    assert looker.calls["users"] == 1  # one batch for every owner
    assert looker.calls["login"] == 1


def test_paging_in_parallel_and_beyond_the_count() -> None:
    with FakeLooker(generated_dataset(23, 2, 5, merged_every=0, lookml_dashboards=0)) as server:
        content = crawl(settings(server), concurrency=4, page_size=5)
        assert len(content.dashboards) == 23
        assert server.calls["dashboards/search"] == 5
        # A dashboard count that is a multiple of the page size needs one more (short) page.
        server.reset_counts()
        assert len(crawl(settings(server), concurrency=4, page_size=23).dashboards) == 23
        assert server.calls["dashboards/search"] == 2


def test_retries_429_honouring_retry_after(looker: FakeLooker) -> None:
    looker.inject(Fault("dashboards/search", status=429, retry_after="1", times=1))
    started = time.monotonic()
    content, stats = crawl_with_stats(settings(looker), concurrency=2)
    assert time.monotonic() - started >= 1.0  # waited Retry-After, not the 10 ms backoff
    assert stats.retries == 1 and looker.calls["dashboards/search"] == 2
    assert len(content.dashboards) == 7


def test_retries_500(looker: FakeLooker) -> None:
    looker.inject(Fault("explore", status=500, times=2), Fault("login", status=503, times=1))
    content, stats = crawl_with_stats(settings(looker), concurrency=2)
    assert stats.retries == 3
    assert len(content.explores) == 5


def test_persistent_500_is_remote_error(looker: FakeLooker) -> None:
    looker.inject(Fault("users", status=500, times=-1))
    with pytest.raises(RemoteError, match=r"failed GET /api/4.0/users: HTTP 500 \(after 3 attempts\)"):
        crawl(settings(looker, retries=2), concurrency=2)


def test_timeout_retried_then_remote_error(looker: FakeLooker) -> None:
    looker.inject(Fault("connection", sleep=1.5, times=1))
    content = crawl(settings(looker, timeout=0.5), concurrency=2)  # one timeout, then fine
    assert "greenery_duckdb" in content.connections
    assert looker.calls["connection"] == 2
    looker.inject(Fault("connection", sleep=1.0, times=-1))
    with pytest.raises(RemoteError, match=r"no answer within 0.3s \(after 2 attempts\)"):
        crawl(settings(looker, timeout=0.3, retries=1), concurrency=2)


def test_unreachable_host_is_one_line() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed once the block ends: nothing listens there
    s = ApiSettings(
        base_url=f"http://127.0.0.1:{port}", client_id="x", client_secret=CLIENT_SECRET, retries=1, **FAST
    )
    with pytest.raises(RemoteError) as info:
        crawl(s)
    message = str(info.value)
    assert "cannot connect (Connection refused)" in message and "\n" not in message
    assert CLIENT_SECRET not in message


def test_bad_credentials_are_refused(looker: FakeLooker) -> None:
    with pytest.raises(RemoteError, match="refused the API login") as info:
        crawl(settings(looker, client_secret="wrong-secret"))
    assert "wrong-secret" not in str(info.value)


def test_expired_token_relogs_in_once_per_expiry(looker: FakeLooker) -> None:
    looker.token_ttl_calls = 6
    content, stats = crawl_with_stats(settings(looker), concurrency=1)
    assert len(content.dashboards) == 7
    assert stats.relogins >= 1 and looker.calls["login"] == 1 + stats.relogins


def test_expired_token_with_concurrent_calls_logs_in_once(looker: FakeLooker) -> None:
    looker.token_ttl_calls = 20
    content, stats = crawl_with_stats(settings(looker), include_looks=True, concurrency=8)
    assert len(content.dashboards) == 9
    assert stats.relogins >= 1 and looker.calls["login"] == 1 + stats.relogins  # no login storm


def test_refused_login_is_clear(looker: FakeLooker) -> None:
    looker.inject(Fault("login", status=401, times=-1))
    with pytest.raises(RemoteError, match="refused the API login"):
        crawl(settings(looker))


def test_401_after_a_fresh_login_is_clear(looker: FakeLooker) -> None:
    looker.token_ttl_calls = 0  # every token is refused: re-login once, then give up
    with pytest.raises(RemoteError, match=r"refused GET /api/4.0/dashboards \(HTTP 401\)"):
        crawl(settings(looker))
    assert looker.calls["login"] == 2


def test_connection_without_permission_is_kept_by_name(looker: FakeLooker) -> None:
    looker.inject(Fault("connection", status=403, times=-1))
    content = crawl(settings(looker))
    assert content.connections["greenery_duckdb"].dialect is None
    looker.inject(Fault("explore", status=403, times=-1))
    with pytest.raises(
        RemoteError, match=r"refused GET /api/4.0/lookml_models/greenery/explores/\w+ \(HTTP 403\)"
    ):
        crawl(settings(looker))


def test_error_bodies_are_scrubbed_of_the_secret(looker: FakeLooker) -> None:
    looker.inject(Fault("users", status=400, body=f'{{"message": "bad request with {CLIENT_SECRET}"}}'))
    with pytest.raises(RemoteError, match=r"answered HTTP 400 to GET /api/4.0/users") as info:
        crawl(settings(looker))
    assert CLIENT_SECRET not in str(info.value) and "***" in str(info.value)


@pytest.mark.parametrize(
    ("sql_table_name", "alias", "table"),
    [
        ("ANALYTICS.MARTS.FCT_ORDERS  AS orders", "orders", "ANALYTICS.MARTS.FCT_ORDERS"),
        (
            '"ANALYTICS"."MARTS"."DIM_CUSTOMERS" AS "customers"',
            "customers",
            '"ANALYTICS"."MARTS"."DIM_CUSTOMERS"',
        ),
        ("`my-proj.analytics.dim_users` as users", "users", "`my-proj.analytics.dim_users`"),
        ("public.gas_prices AS gas_prices", "gas_prices", "public.gas_prices"),
        ("gas_prices", "prices", "gas_prices"),  # "as" inside a name is not an alias
        ("public.orders orders", "orders", "public.orders"),
        ("orders", "orders", "orders"),
    ],
)
def test_alias_is_stripped_from_sql_table_name(sql_table_name: str, alias: str, table: str) -> None:
    from dbtmeta.looker.api import _view_source

    assert _view_source("v", alias, sql_table_name).tables == (table,)


@pytest.mark.parametrize(
    "sql_table_name",
    [
        "{{ _user_attributes['schema'] }}.dim_users AS u",
        "@{SCHEMA}.dim_users AS u",
        "-- if prod -- analytics.dim_users -- if dev -- dev.dim_users AS u",
        "${other.SQL_TABLE_NAME} AS u",
        "(SELECT * FROM analytics.dim_users) AS u",
        "{% if x %}a{% else %}b{% endif %} AS u",
    ],
)
def test_templated_sql_table_names_are_not_guessed(sql_table_name: str) -> None:
    from dbtmeta.looker.api import _view_source

    source = _view_source("v", "u", sql_table_name)
    assert source.tables == () and source.problem and source.problem.startswith("templated")


def test_malformed_json_is_remote_error(looker: FakeLooker) -> None:
    looker.inject(Fault("merge_query", malformed=True, times=-1))
    with pytest.raises(RemoteError, match="malformed response to GET /merge_queries/") as info:
        crawl(settings(looker), concurrency=2)
    assert "\n" not in str(info.value)


def test_schema_mismatch_is_remote_error(looker: FakeLooker) -> None:
    looker.data.queries[next(iter(looker.data.merge_queries.values()))["source_queries"][0]["query_id"]].pop(
        "model"
    )
    with pytest.raises(RemoteError):
        crawl(settings(looker), concurrency=2)


def test_missing_settings_are_usage_errors(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for var in ("LOOKERSDK_BASE_URL", "LOOKERSDK_CLIENT_ID", "LOOKERSDK_CLIENT_SECRET"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.chdir(tmp_path)
    with pytest.raises(UsageError, match="no Looker base URL"):
        crawl(ApiSettings())
    with pytest.raises(UsageError, match="no Looker API credentials"):
        crawl(ApiSettings(base_url="https://looker.example.com"))
    with pytest.raises(UsageError, match="no path"):
        crawl(ApiSettings(base_url="https://looker.example.com/api", client_id="a", client_secret="b"))


def test_looker_ini_section(looker: FakeLooker, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("LOOKERSDK_BASE_URL", "LOOKERSDK_CLIENT_ID", "LOOKERSDK_CLIENT_SECRET"):
        monkeypatch.delenv(var, raising=False)
    ini = tmp_path / "looker.ini"
    ini.write_text(
        f"[Other]\nbase_url=http://127.0.0.1:1\n\n[Fake]\nbase_url={looker.base_url}\n"
        f"client_id={looker.data.client_id}\nclient_secret={looker.data.client_secret}\nverify_ssl=False\n"
    )
    content = crawl(ApiSettings(looker_ini=str(ini), section="Fake"))
    assert len(content.dashboards) == 7


def test_progress_is_silent_off_a_terminal(looker: FakeLooker, capsys: pytest.CaptureFixture[str]) -> None:
    crawl(settings(looker), progress=True)
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == ""


def _run_cli(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return run_dbtmeta(args, env=env, cwd=cwd, drop=("LOOKERSDK_",))


def test_cli_pull_saves_snapshot_without_secret(looker: FakeLooker, tmp_path: Path) -> None:
    out = tmp_path / "looker.json"
    result = _run_cli(["looker", "pull", "--out", str(out), "--include-looks"], looker.env(), tmp_path)
    assert result.returncode == 0, result.stderr
    assert "Saved 7 dashboards, 2 looks" in result.stderr
    text = out.read_text()
    assert CLIENT_SECRET not in text and CLIENT_SECRET not in result.stdout + result.stderr
    assert looker.data.client_id not in text
    from dbtmeta.looker.snapshot import load_snapshot

    assert len(load_snapshot(out).dashboards) == 9


def test_cli_failed_pull_leaves_file_untouched(looker: FakeLooker, tmp_path: Path) -> None:
    out = tmp_path / "looker.json"
    out.write_bytes(b'{"previous": "snapshot"}\n')
    looker.inject(Fault("dashboards/search", status=503, times=-1))
    env = {**looker.env(), "LOOKERSDK_TIMEOUT": "5"}
    result = _run_cli(["looker", "pull", "--out", str(out), "--retries", "0"], env, tmp_path)
    assert result.returncode == 3
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("dbtmeta: error: Looker at ")
    assert "HTTP 503" in lines[0] and CLIENT_SECRET not in result.stderr
    assert out.read_bytes() == b'{"previous": "snapshot"}\n'


def test_cli_missing_looker_ini_is_input_error(tmp_path: Path) -> None:
    result = _run_cli(["looker", "pull", "--out", "x.json", "--looker-ini", "nope.ini"], {}, tmp_path)
    assert result.returncode == 2
    assert (
        result.stderr
        == "dbtmeta: error: Looker config file 'nope.ini' not found: fix --looker-ini or create it\n"
    )


def test_cli_without_settings_is_usage_error(tmp_path: Path) -> None:
    result = _run_cli(["looker", "pull", "--out", str(tmp_path / "x.json")], {}, tmp_path)
    assert result.returncode == 2
    assert result.stderr.startswith("dbtmeta: error: no Looker base URL")
    assert not (tmp_path / "x.json").exists()


def test_cli_default_concurrency_matches_library() -> None:
    from dbtmeta.commands import looker as looker_command
    from dbtmeta.looker import api

    assert looker_command.DEFAULT_CONCURRENCY == api.DEFAULT_CONCURRENCY


def test_progress_bar_on_a_terminal(looker: FakeLooker, tmp_path: Path) -> None:
    import os
    import pty

    main_fd, child_fd = pty.openpty()
    env = {k: v for k, v in os.environ.items() if not k.startswith("LOOKERSDK_")}
    env.update(looker.env(), TERM="xterm", COLUMNS="100")
    looker.latency = 0.02  # long enough for the bar to be drawn
    proc = subprocess.Popen(
        [sys.executable, "-m", "dbtmeta", "looker", "pull", "--out", str(tmp_path / "s.json")],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=child_fd,
    )
    os.close(child_fd)
    chunks = []
    while True:
        try:
            chunk = os.read(main_fd, 4096)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        chunks.append(chunk)
    assert proc.wait(timeout=60) == 0
    os.close(main_fd)
    shown = b"".join(chunks).decode(errors="replace")
    assert "Crawling Looker" in shown
    assert CLIENT_SECRET not in shown


def _bench_budget():  # type: ignore[no-untyped-def]
    import importlib.util

    path = Path(__file__).resolve().parents[1] / "bench" / "bench_crawl.py"
    spec = importlib.util.spec_from_file_location("bench_crawl", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.budget


def test_crawl_makes_exactly_the_benchmark_budget_per_endpoint() -> None:
    """The crawl benchmark's budget (written from Looker's content) is what the crawl spends."""
    budget = _bench_budget()
    data = generated_dataset(23, 3, 7, merged_every=4, lookml_dashboards=2, users=5)
    expected = budget(data, page_size=5)
    assert expected["GET dashboards/search"] == 5 and expected["GET merge_queries/{id}"] == 6
    assert expected["GET queries/{id}"] == 12 and expected["GET lookml_models/{id}/explores/{id}"] == 7
    with FakeLooker(data) as server:
        _, stats = crawl_with_stats(settings(server), concurrency=4, page_size=5)
    assert dict(stats.calls) == expected
    example = example_dataset()
    with FakeLooker(example) as server:  # with the LookML repository: no generated-SQL calls
        _, stats = crawl_with_stats(settings(server), concurrency=4, lookml_dir=str(EXAMPLE_LOOKML))
    assert dict(stats.calls) == budget(example)


def test_custom_filters_and_the_dynamic_fields_a_query_selects_are_read() -> None:
    data = example_dataset()
    query = data.add_query(
        "greenery",
        "orders",
        ["orders.count", "share"],
        sorts=["customers.state desc"],
        filter_expression='${promos.discount} > 0 AND ${orders.status} = "shipped"',
        dynamic_fields=[
            {"table_calculation": "share", "expression": "${orders.count} / ${ltv_sum}"},
            {"measure": "ltv_sum", "based_on": "customer_order_facts.ltv", "type": "sum"},
            {"measure": "unused", "based_on": "users.age", "type": "average"},
        ],
    )
    data.add_dashboard("105", "Custom fields", [data.query_tile(query, "Share")], user_id="1")
    with FakeLooker(data) as server:
        content = crawl(settings(server), concurrency=2)
    [tile] = next(d for d in content.dashboards if d.id == "105").tiles
    [read] = tile.queries
    assert read.filters == ("promos.discount", "orders.status")
    assert read.dynamic_fields == ("orders.count", "customer_order_facts.ltv")
    assert read.referenced_fields() == (
        "orders.count",
        "share",
        "promos.discount",
        "orders.status",
        "orders.count",
        "customer_order_facts.ltv",
    )


def test_an_is_any_value_filter_is_not_read_as_a_filtered_field() -> None:
    data = example_dataset()
    query = data.add_query(
        "greenery", "orders", ["orders.count"], filters={"promos.discount": "", "customers.state": "CA"}
    )
    data.add_dashboard("106", "Any value", [data.query_tile(query, "Any")], user_id="1")
    with FakeLooker(data) as server:
        content = crawl(settings(server), concurrency=2)
    [tile] = next(d for d in content.dashboards if d.id == "106").tiles
    [read] = tile.queries
    assert read.filters == ("customers.state",)
