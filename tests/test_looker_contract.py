"""Looker's own API contract: the fake server's answers and the crawler's requests, against
Looker's published OpenAPI 4.0 spec (vendored: tests/fake_looker/spec/Looker.4.0.oas.json).

The chain that keeps a renamed or missing field from reading as a silent ``None``:
- the crawler reads answers as views of looker-sdk's models: a name the model lacks raises;
- in tests (``DBTMETA_STRICT_API=1``, set by conftest) a field the answer lacks raises too, so the
  crawler reads only fields it asked for in ``fields=``;
- every ``fields=`` name must be a property of the answer's schema in Looker's spec;
- every answer of the fake must validate against the spec (no invented or misspelt property).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from urllib.parse import quote

import pytest
import requests
from fake_looker import FakeData, FakeLooker, example_dataset
from fake_looker.contract import Contract, SpecMissing, load_contract
from fake_looker.dataset import EXAMPLE_LOOKML
from fake_looker.server import NOT_FOUND, ROUTES

from dbtmeta.looker.api import EXPLORE_FIELDS, ApiSettings, crawl


@pytest.fixture(scope="module")
def contract() -> Contract:
    try:
        return load_contract()
    except SpecMissing as exc:
        pytest.fail(str(exc))  # the spec is in the repository: a missing spec is a failure


def _settings(looker: FakeLooker) -> ApiSettings:
    return ApiSettings(
        base_url=looker.base_url,
        client_id=looker.data.client_id,
        client_secret=looker.data.client_secret,
        backoff=0.01,
        max_backoff=0.05,
    )


def _problems(contract: Contract, looker: FakeLooker, *, requests_too: bool) -> list[str]:
    problems = []
    for e in looker.exchanges:
        if requests_too:
            problems += contract.check_request(e.method, e.path, e.query)
        problems += contract.check_answer(e.method, e.path, e.query, e.status, e.content_type, e.body)
    return problems


# -- the fake server's routes ----------------------------------------------------------------------

# Per route name: the paths (with query strings) that exercise it on a dataset. A route added to
# the server without an entry here fails test_every_route_has_samples.
_SAMPLES: dict[str, Callable[[FakeData], list[str]]] = {
    "login": lambda d: [],  # the session logs in first (see _walk)
    "logout": lambda d: [],  # and out last
    "dashboards/search": lambda d: [
        "dashboards/search",
        "dashboards/search?limit=2&offset=1&deleted=true",
        "dashboards/search?fields=id,title,dashboard_elements(id,query(model,view))",
    ],
    "dashboards": lambda d: ["dashboards", "dashboards?fields=id"],
    "dashboard": lambda d: [f"dashboards/{quote(i, safe='')}" for i in d.dashboards] + ["dashboards/0"],
    "looks/search": lambda d: ["looks/search", "looks/search?limit=1&offset=1"],
    "run_sql": lambda d: [f"queries/{i}/run/sql" for i in d.sql] + ["queries/0/run/sql"],
    "query": lambda d: [f"queries/{i}" for i in d.queries] + ["queries/0"],
    "merge_query": lambda d: [f"merge_queries/{i}" for i in d.merge_queries] + ["merge_queries/0"],
    "users": lambda d: ["users?ids=" + ",".join(d.users), "users?ids=0"],
    "explore": lambda d: (
        [f"lookml_models/{m}/explores/{e}" for m, e in d.explores]
        + [f"lookml_models/{m}/explores/{e}?fields={quote(EXPLORE_FIELDS)}" for m, e in d.explores]
        + ["lookml_models/greenery/explores/nope"]
    ),
    "connection": lambda d: [f"connections/{c}" for c in d.connections] + ["connections/nope"],
}


def _walk(looker: FakeLooker) -> None:
    """Every sample request, authenticated, then a logout."""
    data = looker.data
    with requests.Session() as session:
        login = session.post(
            f"{looker.base_url}/api/4.0/login",
            data={"client_id": data.client_id, "client_secret": data.client_secret},
            timeout=10,
        )
        session.headers["Authorization"] = f"Bearer {login.json()['access_token']}"
        for sample in _SAMPLES.values():
            for path in sample(data):
                session.get(f"{looker.base_url}/api/4.0/{path}", timeout=10)
        session.delete(f"{looker.base_url}/api/logout", timeout=10)


def test_every_route_has_samples() -> None:
    assert sorted(_SAMPLES) == sorted(name for _, _, name in ROUTES)


def test_every_route_is_an_operation_of_the_spec(contract: Contract) -> None:
    missing = [f"{m} {t}" for m, t, _ in ROUTES if contract.operation_for_template(m, t) is None]
    assert missing == []


def test_every_answer_of_every_route_validates(contract: Contract) -> None:
    with FakeLooker(example_dataset()) as looker:
        _walk(looker)
        exchanges = list(looker.exchanges)
        problems = _problems(contract, looker, requests_too=False)
    assert problems == []
    answered = {(e.method, e.route) for e in exchanges if e.status in {200, 204}}
    assert answered == {(m, t) for m, t, _ in ROUTES}  # every route answered, and was checked
    assert {e.status for e in exchanges} == {200, 204, 404}  # Looker's error body checked too
    assert len(exchanges) > 60


def test_explore_fields_validate_with_and_without_see_lookml(contract: Contract) -> None:
    """The explores' field definitions (column lineage) are Looker's, also as a user without
    the see_lookml permission gets them (no SQL)."""
    data = example_dataset()
    with FakeLooker(data) as looker:
        _walk(looker)
        data.see_lookml = False
        _walk(looker)
        problems = _problems(contract, looker, requests_too=True)
        answers = [
            json.loads(e.body)
            for e in looker.exchanges
            if e.route and e.route.endswith("/explores/{explore_name}") and e.status == 200
        ]
    assert problems == []
    fields = [f for a in answers for kind in a["fields"].values() for f in kind]
    with_sql = [f for f in fields if f["sql"] is not None]
    assert len(answers) == 4 * len(data.explores)  # with and without fields=, with and without see_lookml
    assert len(with_sql) > 100 and len(fields) > 2 * len(with_sql)
    blind = [a for a in answers if not a["can_see_lookml"]]
    assert len(blind) == 2 * len(data.explores)
    assert all(f["sql"] is None for a in blind for kind in a["fields"].values() for f in kind)
    assert all(j["sql_on"] is None for a in blind for j in a["joins"])
    revenue = next(f for f in fields if f["name"] == "orders.total_revenue" and f["sql"])
    assert {k: revenue[k] for k in ("view", "original_view", "category", "type", "sql", "source_file")} == {
        "view": "orders",
        "original_view": "fact_orders",
        "category": "measure",
        "type": "sum",
        "sql": "${order_total}",
        "source_file": "views/fact_orders.view.lkml",
    }
    assert revenue["lookml_link"] == "/projects/greenery/files/views%2Ffact_orders.view.lkml?line=47"
    week = next(f for f in fields if f["name"] == "orders.created_week" and f["sql"])
    assert (week["dimension_group"], week["sql"], week["type"]) == (
        "orders.created",
        "${TABLE}.created_at",
        "date_week",
    )
    promo = next(f for f in fields if f["name"] == "orders.orders_with_promo")
    assert promo["filters"] == [{"field": "has_promo", "condition": "yes"}]


def test_crawl_requests_and_answers_are_in_the_spec(contract: Contract) -> None:
    with FakeLooker(example_dataset()) as looker:
        # Small pages: limit/offset paging of both searches is exercised.
        crawl(_settings(looker), include_looks=True, concurrency=4, page_size=2)
        first = len(looker.exchanges)
        crawl(_settings(looker), lookml_dir=str(EXAMPLE_LOOKML), concurrency=4)
        exchanges = list(looker.exchanges)
        problems = _problems(contract, looker, requests_too=True)
    assert problems == []
    routes = {e.route for e in exchanges}
    assert routes == {t for _, t, _ in ROUTES}  # the crawl uses every route the fake serves
    for route, offsets in (("dashboards/search", ["0", "2"]), ("looks/search", ["0", "2"])):
        pages = [e.query for e in exchanges[:first] if e.route == f"/api/4.0/{route}"]
        assert sorted(q["offset"][0] for q in pages) == offsets  # 3 dashboards / 2 Looks: pages of 2
        assert all(q["limit"] == ["2"] for q in pages)
    # Every JSON call names its fields: with strict reads, the crawler reads only fields it
    # asked for, and those are checked against the spec above.
    json_calls = [e for e in exchanges if e.content_type == "application/json" and e.status == 200]
    assert [e.path for e in json_calls if e.route != "/api/4.0/login" and "fields" not in e.query] == []


# -- the checks themselves fail on a broken contract -----------------------------------------------


def test_contract_flags_bad_requests(contract: Contract) -> None:
    assert contract.check_request("GET", "/api/4.0/dashboards/search", {"limit": ["10"]}) == []
    assert contract.check_request("GET", "/api/4.0/dashboards/search", {"per_page_size": ["10"]}) == [
        "GET /dashboards/search: query parameter 'per_page_size' is not in the spec"
    ]
    assert contract.check_request("GET", "/api/4.0/dashboards/search", {"limit": ["ten"]}) == [
        "GET /dashboards/search: limit='ten' does not fit {'type': 'integer', 'format': 'int64'}"
    ]
    assert contract.check_request(
        "GET", "/api/4.0/dashboards/search", {"fields": ["id,dashboard_elements(id,title_txt)"]}
    ) == [
        "GET /dashboards/search: field 'dashboard_elements.title_txt' is not a property of the "
        "answer's schema"
    ]
    assert contract.check_request("GET", "/api/4.0/dashboard/search", {}) == [
        "GET /api/4.0/dashboard/search: no such operation in the spec"
    ]
    assert contract.check_request("POST", "/api/4.0/dashboards/search", {}) == [
        "POST /api/4.0/dashboards/search: no such operation in the spec"
    ]
    assert contract.check_request("GET", "/api/4.0/users", {"ids": ["1,2"]}) == []


def test_contract_flags_bad_answers(contract: Contract) -> None:
    def answer(path: str, value: object, query: dict[str, list[str]] | None = None) -> list[str]:
        body = json.dumps(value).encode()
        return contract.check_answer("GET", path, query or {}, 200, "application/json", body)

    good = {"id": "1", "model": "m", "view": "v", "fields": ["v.a"], "filters": None}
    assert answer("/api/4.0/queries/1", good) == []
    assert answer("/api/4.0/queries/1", {**good, "explore": "v"}) == [
        "GET /queries/{query_id} HTTP 200: (top): Additional properties are not allowed "
        "('explore' was unexpected)"
    ]
    assert answer("/api/4.0/queries/1", {**good, "model": None}) == [
        "GET /queries/{query_id} HTTP 200: model: None is not of type 'string'"
    ]
    assert answer("/api/4.0/queries/1", {"id": "1"}) == [
        "GET /queries/{query_id} HTTP 200: (top): 'model' is a required property",
        "GET /queries/{query_id} HTTP 200: (top): 'view' is a required property",
    ]
    assert answer("/api/4.0/queries/1", {"id": "1"}, {"fields": ["id"]}) == []  # only what was asked
    # A write-only property (the connection's password) is never answered.
    assert answer("/api/4.0/connections/c", {"name": "c", "password": "x"}) == [
        "GET /connections/{connection_name} HTTP 200: (top): Additional properties are not allowed "
        "('password' was unexpected)"
    ]
    # Nested objects may be null (a text tile has no query); a nested property is checked.
    tile = {"id": "1", "query": None, "look": {"id": "2", "query": {**good, "pivot": []}}}
    assert answer("/api/4.0/dashboards/1", {"id": "1", "dashboard_elements": [tile]}) == [
        "GET /dashboards/{dashboard_id} HTTP 200: dashboard_elements/0/look/query: Additional "
        "properties are not allowed ('pivot' was unexpected)"
    ]
    assert (
        contract.check_answer(
            "GET", "/api/4.0/queries/1", {}, 404, "application/json", json.dumps(NOT_FOUND).encode()
        )
        == []
    )
    assert contract.check_answer(
        "GET", "/api/4.0/queries/1", {}, 404, "application/json", b'{"error": "x"}'
    ) == [
        "GET /queries/{query_id} HTTP 404: (top): 'message' is a required property",
        "GET /queries/{query_id} HTTP 404: (top): 'documentation_url' is a required property",
        "GET /queries/{query_id} HTTP 404: (top): Additional properties are not allowed "
        "('error' was unexpected)",
    ]


def test_missing_spec_is_a_clear_failure(tmp_path: object) -> None:
    from pathlib import Path

    missing = Path(str(tmp_path)) / "Looker.4.0.oas.json"
    with pytest.raises(SpecMissing, match=r"Looker's API spec not found at .*Looker\.4\.0\.oas\.json: "):
        load_contract(missing)


# -- reading answers: SDK model names, never a silent None -----------------------------------------


def test_answers_read_as_sdk_models() -> None:
    from looker_sdk.sdk.api40 import models

    from dbtmeta.looker.api_client import _build

    raw = {
        "id": "1",
        "title": "T",
        "invented": 1,
        "dashboard_elements": [{"id": "2", "query": {"model": "m", "view": "v"}, "look": None}],
    }
    dashboard = _build(json.loads(json.dumps(raw)), models.Dashboard, False)
    element = dashboard.dashboard_elements[0]
    assert (dashboard.title, element.query.model, element.look) == ("T", "m", None)
    assert type(element.query).__name__ == "ApiQuery"
    assert element.title is None  # a model field the answer lacks: None, as the SDK's model
    with pytest.raises(AttributeError, match="Looker API model Dashboard has no attribute 'invented'"):
        dashboard.invented  # noqa: B018 - dropped, as looker-sdk drops unknown keys
    with pytest.raises(
        AttributeError, match="Looker API model DashboardElement has no attribute 'title_txt'"
    ):
        element.title_txt  # noqa: B018
    strict = _build(json.loads(json.dumps(raw)), models.Dashboard, True)
    with pytest.raises(AttributeError, match="Looker's DashboardElement answer has no 'title': ask for it"):
        strict.dashboard_elements[0].title  # noqa: B018
    join = _build({"name": "j", "from": "users"}, models.LookmlModelExploreJoins, True)
    assert join.from_ == "users"  # keyword keys read with a trailing underscore


def test_a_field_read_but_not_requested_fails_the_crawl(monkeypatch: pytest.MonkeyPatch) -> None:
    from dbtmeta.errors import RemoteError
    from dbtmeta.looker import api

    # The crawler stops asking for the tile's title_text, but still reads it.
    monkeypatch.setattr(api, "DASHBOARD_FIELDS", api.DASHBOARD_FIELDS.replace("title_text,", ""))
    with (
        FakeLooker(example_dataset()) as looker,
        pytest.raises(RemoteError, match="DashboardElement answer has no 'title_text'"),
    ):
        crawl(_settings(looker), concurrency=2)
