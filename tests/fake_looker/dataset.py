"""What the fake Looker serves: API 4.0 JSON objects, built with small helpers.

``example_dataset()`` mirrors the greenery example project (four LookML dashboards over model
``greenery``, connection ``greenery_duckdb``) plus user-defined dashboards covering every tile
kind; ``generated_dataset(n, t, e)`` builds N dashboards x T tiles over E explores for the benchmark.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

CLIENT_ID = "fake-client-id"
CLIENT_SECRET = "s3cret-NEVER-PRINT-ME-7f3a"  # tests assert this string appears in no output


@dataclass
class FakeData:
    client_id: str = CLIENT_ID
    client_secret: str = CLIENT_SECRET
    dashboards: dict[str, dict[str, Any]] = field(default_factory=dict)
    looks: dict[str, dict[str, Any]] = field(default_factory=dict)
    queries: dict[str, dict[str, Any]] = field(default_factory=dict)
    merge_queries: dict[str, dict[str, Any]] = field(default_factory=dict)
    users: dict[str, dict[str, Any]] = field(default_factory=dict)
    explores: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    connections: dict[str, dict[str, Any]] = field(default_factory=dict)
    sql: dict[str, str] = field(default_factory=dict)  # query id -> SQL Looker would generate
    # (model, explore) -> alias -> the warehouse tables it really reads (for generated SQL)
    true_tables: dict[tuple[str, str], dict[str, list[str]]] = field(default_factory=dict)
    # False: the API user lacks the see_lookml permission (explores answer no SQL, see server.py)
    see_lookml: bool = True
    _next: int = 1000

    def new_id(self) -> str:
        self._next += 1
        return str(self._next)

    # -- builders ------------------------------------------------------------------------------

    def add_user(self, uid: str, name: str, email: str | None) -> None:
        user: dict[str, Any] = {"id": uid, "display_name": name, "first_name": name.split()[0]}
        if email is not None:
            user["email"] = email
        self.users[uid] = user

    def add_connection(self, name: str, dialect: str, database: str, schema: str) -> None:
        self.connections[name] = {
            "name": name,
            "dialect_name": dialect,
            "host": "localhost",
            "database": database,
            "schema": schema,
        }

    def add_explore(
        self,
        model: str,
        name: str,
        connection: str,
        base: tuple[str, str, list[str]],
        joins: list[tuple[str, str | None, str, list[str], list[str]]] = (),  # type: ignore[assignment]
    ) -> None:
        """base = (view, sql_table_name, tables); joins = (alias, from, sql_table_name, tables, required)."""
        view, sql_table_name, tables = base
        self.explores[(model, name)] = {
            "id": f"{model}::{name}",
            "name": name,
            "model_name": model,
            "view_name": view,
            "sql_table_name": f"{sql_table_name} AS {view}",
            "connection_name": connection,
            "label": name.replace("_", " ").title(),
            "joins": [
                {
                    "name": alias,
                    "from": from_,
                    "sql_table_name": f"{stn} AS {alias}",
                    "required_joins": required,
                    "relationship": "many_to_one",
                    "sql_on": f"${{{view}.id}} = ${{{alias}.id}}",
                }
                for alias, from_, stn, _, required in joins
            ],
            "fields": {"dimensions": [], "measures": [], "filters": [], "parameters": []},
            "can_see_lookml": True,
            "source_file": None,
            "lookml_link": None,
        }
        truth = {view: tables}
        truth.update({alias: t for alias, _, _, t, _ in joins})
        self.true_tables[(model, name)] = truth

    def add_query(
        self,
        model: str,
        explore: str,
        fields: list[str],
        filters: dict[str, str] | None = None,
        sorts: list[str] | None = None,
        pivots: list[str] | None = None,
        dynamic_fields: list[dict[str, Any]] | None = None,
        filter_expression: str | None = None,
    ) -> dict[str, Any]:
        qid = self.new_id()
        query = {
            "id": qid,
            "model": model,
            "view": explore,
            "fields": fields,
            "filters": filters,
            "filter_expression": filter_expression,
            "sorts": sorts or [],
            "pivots": pivots,
            "dynamic_fields": json.dumps(dynamic_fields) if dynamic_fields else None,
            "limit": "500",
            "vis_config": {"type": "looker_column"},
            "client_id": f"c{qid}",
        }
        self.queries[qid] = query
        self.sql[qid] = self._sql(query)
        return query

    def _sql(self, query: dict[str, Any]) -> str:
        truth = self.true_tables.get((query["model"], query["view"]))
        if truth is None:
            return "SELECT 1"
        explore = self.explores[(query["model"], query["view"])]
        base = explore["view_name"]
        # Looker drops an "is any value" ('') filter from the SQL it runs.
        filters = [f for f, v in (query["filters"] or {}).items() if v != ""]
        refs = [*query["fields"], *filters, *(s.split(" ")[0] for s in query["sorts"])]
        used = [base]
        for ref in refs:
            alias = ref.split(".")[0]
            if alias not in used and alias in truth:
                used.append(alias)

        def source(alias: str) -> str:
            tables = truth[alias]
            if len(tables) == 1:
                return f"{tables[0]} AS {alias}"
            joined = " CROSS JOIN ".join(tables)
            return f"(SELECT 1 AS id FROM {joined}) AS {alias}"

        cols = ", ".join(  # table calculations (no view prefix) are computed after the SQL
            f"{r.split('.')[0]}.{r.split('.')[1]} AS {r.replace('.', '_')}"
            for r in query["fields"]
            if "." in r
        )
        sql = f"SELECT\n    {cols or '1'}\nFROM {source(base)}"
        for alias in used[1:]:
            sql += f"\nLEFT JOIN {source(alias)} ON {base}.id = {alias}.id"
        return sql + "\nGROUP BY 1\nLIMIT 500"

    def query_tile(self, query: dict[str, Any], title: str | None) -> dict[str, Any]:
        return {
            "id": self.new_id(),
            "type": "vis",
            "title": title,
            "query_id": query["id"],
            "query": query,
            "result_maker": {"id": self.new_id(), "query_id": query["id"], "query": query},
        }

    def lookml_tile(self, query: dict[str, Any], title: str) -> dict[str, Any]:
        # LookML dashboards carry the query under result_maker only.
        return {
            "id": self.new_id(),
            "type": "vis",
            "title": title,
            "result_maker": {"id": self.new_id(), "query": query},
        }

    def text_tile(self, text: str) -> dict[str, Any]:
        return {"id": self.new_id(), "type": "text", "title_text": text, "body_text": text}

    def add_look(
        self, lid: str, title: str, query: dict[str, Any], user_id: str | None, deleted: bool = False
    ) -> dict[str, Any]:
        look = {
            "id": lid,
            "title": title,
            "description": f"The {title} look",
            "user_id": user_id,
            "folder": {"id": "7", "name": "Shared"},
            "folder_id": "7",
            "query_id": query["id"],
            "view_count": 3,
            "favorite_count": 0,
            "last_viewed_at": "2026-11-01T10:00:00.000+00:00",
            "created_at": "2026-01-01T10:00:00.000+00:00",
            "updated_at": "2026-02-01T10:00:00.000+00:00",
            "deleted": deleted,
            "model": {"id": query["model"], "label": query["model"]},
        }
        self.looks[lid] = look
        return look

    def look_tile(self, look: dict[str, Any], title: str | None = None) -> dict[str, Any]:
        query = self.queries[look["query_id"]]
        return {
            "id": self.new_id(),
            "type": "vis",
            "title": title,
            "look_id": look["id"],
            "look": {"id": look["id"], "title": look["title"], "query_id": query["id"], "query": query},
        }

    def merged_tile(self, queries: list[dict[str, Any]], title: str) -> dict[str, Any]:
        mid = self.new_id()
        self.merge_queries[mid] = {
            "id": mid,
            "column_limit": "50",
            "source_queries": [
                {"name": f"q{i}", "query_id": q["id"], "merge_fields": []} for i, q in enumerate(queries)
            ],
        }
        filterables = [
            {"model": q["model"], "view": q["view"], "name": f"q{i}"} for i, q in enumerate(queries)
        ]
        return {
            "id": self.new_id(),
            "type": "vis",
            "title": title,
            "merge_result_id": mid,
            "result_maker": {"id": self.new_id(), "merge_result_id": mid, "filterables": filterables},
        }

    def add_dashboard(
        self,
        did: str,
        title: str,
        elements: list[dict[str, Any]],
        *,
        user_id: str | None = None,
        folder: str | None = "Shared",
        description: str | None = None,
        filters: list[tuple[str, str, str]] = (),  # type: ignore[assignment]
        deleted: bool = False,
        view_count: int = 10,
    ) -> None:
        self.dashboards[did] = {
            "id": did,
            "title": title,
            "description": description,
            "user_id": user_id,
            "folder": {"id": str(sum(map(ord, folder))), "name": folder} if folder else None,
            "created_at": "2026-01-01T10:00:00.000+00:00",
            "updated_at": "2026-02-01T10:00:00.000+00:00",
            "view_count": view_count,
            "favorite_count": 2,
            "last_viewed_at": "2026-11-20T08:30:00.000+00:00",
            "deleted": deleted,
            "readonly": "::" in did,
            "dashboard_filters": [
                {"id": self.new_id(), "name": dim, "model": m, "explore": e, "dimension": dim}
                for m, e, dim in filters
            ],
            "dashboard_elements": elements,
        }


EXAMPLE_LOOKML = Path(__file__).resolve().parents[2] / "example_project" / "looker"


PROJECT = "greenery"  # the LookML project name in lookml_link URLs


def dataset_from_content(content: Any, data: FakeData | None = None) -> FakeData:
    """Serve a ``LookerContent`` (e.g. ``read_lookml(...)``) through the API: explores + dashboards.

    With ``read_lookml(..., fields=True)`` content, each explore also lists its fields per alias
    and its joins' ``sql_on``, as Looker's ``lookml_model_explore`` does (``api_explore_fields``).
    """
    data = data or FakeData()
    for name in sorted({e.connection for e in content.explores.values() if e.connection}):
        data.add_connection(name, "duckdb", "greenery", "main")
    for (model, name), explore in sorted(content.explores.items()):
        base = explore.views[0]
        joins = [
            (
                v.alias,
                v.source.view if v.source.view != v.alias else None,
                _api_table_name(v.alias, v.source),
                list(v.source.tables),
                list(v.required_joins),
            )
            for v in explore.views[1:]
        ]
        data.add_explore(
            model,
            name,
            explore.connection or "",
            (base.alias, _api_table_name(base.alias, base.source), list(base.source.tables)),
            joins,
        )
        if (model, name) in content.lookml_joins:
            api_explore_fields(data.explores[(model, name)], content, model, name)
    for d in content.dashboards:
        elements = []
        for tile in d.tiles:
            queries = [_api_query(data, q) for q in tile.queries]
            if tile.type == "merged":
                elements.append(data.merged_tile(queries, tile.title or tile.id))
            elif queries:
                elements.append(data.lookml_tile(queries[0], tile.title or tile.id))
            else:
                elements.append(data.text_tile(tile.title or ""))
        filters = [(q.model, q.explore, q.fields[0]) for q in d.filters if q.fields]
        data.add_dashboard(
            d.id,
            d.title,
            elements,
            folder=d.folder or "LookML dashboards",
            description=d.description,
            filters=filters,
        )
    return data


def api_explore_fields(explore: dict[str, Any], content: Any, model: str, name: str) -> None:
    """The explore's ``fields`` (per alias, from the LookML definitions), its joins' ``sql_on``,
    its ``source_file``/``lookml_link``, as Looker answers them to a user with see_lookml."""
    model_file = f"{model}.model.lkml"
    explore["can_see_lookml"] = True
    explore["source_file"] = model_file
    explore["lookml_link"] = _link(model_file, _explore_line(EXAMPLE_LOOKML / model_file, name))
    fieldset: dict[str, list[dict[str, Any]]] = {
        k: [] for k in ("dimensions", "measures", "filters", "parameters")
    }
    joins = content.lookml_joins[(model, name)]
    by_alias = {j.alias: j for j in joins}
    for join in explore["joins"]:
        known = by_alias.get(join["name"])
        join["sql_on"] = known.sql_on if known else None
        join["relationship"] = (known.relationship if known else None) or "many_to_one"  # Looker's default
    for join in joins:
        view = content.lookml_views.get((model, join.view))
        for item in view.fields if view else ():
            for api_field in _api_fields(join.alias, join.view, item):
                category = api_field["category"]
                fieldset["measures" if category == "measure" else category + "s"].append(api_field)
    explore["fields"] = fieldset


_CATEGORY = {"dimension_group": "dimension"}


def _api_fields(alias: str, view: str, item: Any) -> list[dict[str, Any]]:
    """One LookML field as the API lists it: a dimension group as one field per timeframe."""
    source_file = _project_path(item.file)
    common = {
        "view": alias,
        "original_view": view,
        "category": _CATEGORY.get(item.kind, item.kind),
        "sql": item.sql,
        "sql_case": None,
        "filters": [{"field": f, "condition": c} for f, c in _filter_values(item).items()] or None,
        "source_file": source_file,
        "lookml_link": _link(source_file, item.line),
        "dimension_group": None,
        "primary_key": item.primary_key,
    }
    if item.kind != "dimension_group":
        default = {"dimension": "string", "measure": "number"}.get(item.kind, "string")
        return [{"name": f"{alias}.{item.name}", "type": item.type or default, **common}]
    timeframes = item.timeframes or ("raw", "time", "date", "week", "month", "quarter", "year")
    return [
        {
            **common,
            "name": f"{alias}.{item.name}_{timeframe}",
            "type": f"date_{timeframe}",
            "dimension_group": f"{alias}.{item.name}",
        }
        for timeframe in timeframes
    ]


def _project_path(path: str | None) -> str:
    """A LookML file's path inside the project, as Looker's source_file gives it."""
    return Path(path).resolve().relative_to(EXAMPLE_LOOKML).as_posix() if path else ""


def _link(source_file: str, line: int | None) -> str:
    from urllib.parse import quote

    return f"/projects/{PROJECT}/files/{quote(source_file, safe='')}?line={line or 1}"


def _explore_line(model_file: Path, explore: str) -> int | None:
    for number, text in enumerate(model_file.read_text().splitlines(), start=1):
        if text.strip().startswith(f"explore: {explore} {{"):
            return number
    return None


def _filter_values(item: Any) -> dict[str, str]:
    """A filtered measure's ``filters: [field: "value"]``, read back from its LookML file."""
    import lkml

    if not item.filters or not item.file:
        return {}
    parsed = lkml.load(Path(item.file).read_text())
    for view in parsed.get("views", []):
        for measure in view.get("measures", []):
            if measure["name"] == item.name:
                return {
                    k: v for group in measure.get("filters__all", []) for f in group for k, v in f.items()
                }
    return {}


def _api_table_name(alias: str, source: Any) -> str:
    if len(source.tables) == 1 and not source.problem:
        return source.tables[0]
    # Derived tables: the API does not expose their SQL (the form shown here is an assumption).
    return f"${{{source.view}.SQL_TABLE_NAME}}"


def _api_query(data: FakeData, q: Any) -> dict[str, Any]:
    dynamic = [
        {"table_calculation": f"calc_{i}", "expression": f"${{{ref}}}"}
        for i, ref in enumerate(q.dynamic_fields)
    ]
    return data.add_query(
        q.model,
        q.explore,
        list(q.fields) + [d["table_calculation"] for d in dynamic],  # a query selects its calculations
        filters={f: "-NULL" for f in q.filters} or None,
        sorts=list(q.sorts),
        pivots=list(q.pivots) or None,
        dynamic_fields=dynamic or None,
    )


def example_dataset() -> FakeData:
    """The example project's LookML (explores + the four LookML dashboards), plus user content."""
    from dbtmeta.looker.lookml import read_lookml

    data = dataset_from_content(read_lookml(str(EXAMPLE_LOOKML), fields=True))
    # An explore whose view is templated with Liquid: resolved from generated SQL (or the LookML).
    data.add_explore(
        "greenery",
        "users_by_schema",
        "greenery_duckdb",
        ("dim_users", "{{ _user_attributes['dbt_schema'] }}.dim_users", ["core.dim_users"]),
    )
    data.add_user("1", "Alice Analyst", "alice@example.com")
    data.add_user("2", "Bob Builder", None)  # no email (no see_users permission, or none set)
    q = data.add_query
    g = "greenery"
    look_on_dash = data.add_look(
        "501", "Orders by promo", q(g, "orders", ["promos.discount", "orders.count"]), "1"
    )
    data.add_look("502", "Sessions", q(g, "sessions_funnel", ["page_views.count"]), "2")
    data.add_look("503", "Gone", q(g, "orders", ["orders.count"]), "1", deleted=True)
    data.add_dashboard(
        "101",
        "Weekly {{ env_var('X') }} [bold]x[/]",
        [
            data.query_tile(
                q(
                    g,
                    "orders",
                    ["orders.count", "ltv"],
                    dynamic_fields=[
                        {"table_calculation": "ltv", "expression": "${customer_order_facts.ltv} * 2"}
                    ],
                ),
                "LTV",
            ),
            data.text_tile("Read me: {% raw %} [red]not markup[/]"),
            data.look_tile(look_on_dash),
            data.merged_tile(
                [
                    q(g, "orders", ["orders.count", "orders.created_date"]),
                    q(g, "users_by_schema", ["dim_users.count"]),
                ],
                "Orders vs customers",
            ),
        ],
        user_id="1",
        folder="Marketing",
        description="Owner: @channel <!here> {{ 'jinja' }}",
        filters=[("greenery", "orders", "customers.state")],
        view_count=120,
    )
    data.add_dashboard(
        "102",
        "Ops",
        [data.query_tile(q(g, "products", ["products.name"]), "Products")],
        user_id="2",
        folder="Ops",
    )
    data.add_dashboard(
        "103",
        "Deleted dashboard",
        [data.query_tile(q(g, "orders", ["orders.count"]), "x")],
        user_id="1",
        deleted=True,
    )
    data.add_dashboard(
        "104",
        "Owner left",
        [data.query_tile(q(g, "users_by_schema", ["dim_users.count"]), None)],
        user_id="99",
    )
    return data


def generated_dataset(
    dashboards: int,
    tiles: int,
    explores: int,
    *,
    merged_every: int = 50,
    lookml_dashboards: int = 4,
    users: int = 25,
) -> FakeData:
    """N dashboards x T tiles over E explores; every ``merged_every``-th dashboard has a merged tile."""
    data = FakeData()
    data.add_connection("warehouse", "snowflake", "ANALYTICS", "MARTS")
    for e in range(explores):
        data.add_explore(
            "bench",
            f"explore_{e}",
            "warehouse",
            (f"base_{e}", f"MARTS.FCT_{e}", [f"MARTS.FCT_{e}"]),
            [
                (f"dim_a_{e}", f"dim_{e % 7}", f"MARTS.DIM_{e % 7}", [f"MARTS.DIM_{e % 7}"], []),
                (f"dim_b_{e}", None, f"STAGING.B_{e}", [f"STAGING.B_{e}"], [f"dim_a_{e}"]),
            ],
        )
    for u in range(users):
        data.add_user(str(u + 1), f"User {u + 1}", f"user{u + 1}@example.com" if u % 3 else None)
    n = 0
    for d in range(dashboards):
        elements = []
        for t in range(tiles):
            e = n % explores
            n += 1
            query = data.add_query("bench", f"explore_{e}", [f"base_{e}.count", f"dim_a_{e}.name"])
            elements.append(data.query_tile(query, f"Tile {t}"))
        if merged_every and d % merged_every == 0:
            e1, e2 = d % explores, (d + 1) % explores
            elements[0] = data.merged_tile(
                [
                    data.add_query("bench", f"explore_{e1}", [f"base_{e1}.count"]),
                    data.add_query("bench", f"explore_{e2}", [f"dim_b_{e2}.x"]),
                ],
                "Merged",
            )
        data.add_dashboard(str(d + 1), f"Dashboard {d + 1}", elements, user_id=str(d % users + 1))
    for d in range(lookml_dashboards):
        e = d % explores
        data.add_dashboard(
            f"bench::lookml_{d}",
            f"LookML {d}",
            [data.lookml_tile(data.add_query("bench", f"explore_{e}", [f"base_{e}.count"]), "t")],
        )
    return data
