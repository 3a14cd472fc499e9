"""Crawl a Looker instance through the API into a ``LookerContent``, in as few calls as possible.

Calls made (see docs/looker-api.md for the accounting):
  login, ``all_dashboards(fields=id)`` (finds LookML dashboards, counts the others),
  ``search_dashboards`` pages with nested ``fields=`` (every tile's query in the page),
  ``dashboard(id)`` per LookML dashboard, ``merge_query`` per merged-results tile + ``query`` per
  source query, with ``--include-looks`` ``search_looks`` pages + ``query`` per Look not seen on a
  dashboard, ``all_users(ids=...)`` per 100 owners, ``lookml_model_explore`` per distinct explore,
  ``connection`` per connection, ``run_query(id, "sql")`` per query on a templated/derived view
  (only without a LookML directory), logout.
Independent calls run on a bounded thread pool; retries and errors live in ``api_client``.

Must not: know about dbt nodes, or talk HTTP itself (the transport, retries and credentials are
``api_client``'s).
"""

from __future__ import annotations

import dataclasses
import re
import sys
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, FIRST_EXCEPTION, Future, ThreadPoolExecutor, wait
from typing import Any, TypeVar

from dbtmeta.errors import OptionError, RemoteError
from dbtmeta.looker.api_client import ApiSettings, CallStats, LookerClient, LookerHTTPError
from dbtmeta.looker.api_fields import FIELD_PROPERTIES, explore_definitions, merge_views
from dbtmeta.looker.content import (
    Connection,
    Dashboard,
    Explore,
    ExploreView,
    LookerContent,
    LookmlJoin,
    LookmlView,
    Owner,
    Query,
    Tile,
    ViewSource,
)

__all__ = ["DEFAULT_CONCURRENCY", "ApiSettings", "crawl", "crawl_with_stats"]

DEFAULT_CONCURRENCY = 16  # light metadata GETs; 429 Retry-After is honoured if Looker pushes back
PAGE_SIZE = 100
USER_BATCH = 100

QUERY_FIELDS = "id,model,view,fields,filters,filter_expression,pivots,sorts,dynamic_fields"
DASHBOARD_FIELDS = (
    "id,title,description,user_id,folder(id,name),created_at,updated_at,view_count,favorite_count,"
    "last_viewed_at,deleted,dashboard_filters(model,explore,dimension),"
    "dashboard_elements(id,type,title,title_text,look_id,merge_result_id,"
    f"query({QUERY_FIELDS}),look(id,title,query_id,query({QUERY_FIELDS})),"
    f"result_maker(id,merge_result_id,sql_query_id,query({QUERY_FIELDS})))"
)
LOOK_FIELDS = (
    "id,title,description,user_id,folder(id,name),created_at,updated_at,view_count,favorite_count,"
    "last_viewed_at,deleted,query_id"
)
_F = FIELD_PROPERTIES  # each field's definition, for column lineage (looker.api_fields)
EXPLORE_FIELDS = (
    "name,model_name,view_name,sql_table_name,connection_name,can_see_lookml,source_file,lookml_link,"
    f"fields(dimensions({_F}),measures({_F}),filters({_F}),parameters({_F})),"
    "joins(name,from,sql_table_name,required_joins,sql_on,relationship)"
)
CONNECTION_FIELDS = "name,dialect_name,host,database,schema"
TEMPLATE_MARKERS = ("{{", "{%", "@{", "${", "-- if", "(select")

T = TypeVar("T")
R = TypeVar("R")


class MalformedResponse(Exception):
    """An answer that parsed as JSON but lacks what every API 4.0 answer of its kind has."""


def crawl(settings: ApiSettings, **options: Any) -> LookerContent:
    """Everything dbtmeta needs from Looker: :func:`crawl_with_stats` (same keyword options) without
    the call statistics. Raises ``RemoteError``/``InputError``/``UsageError``."""
    return crawl_with_stats(settings, **options)[0]


def crawl_with_stats(
    settings: ApiSettings,
    *,
    include_looks: bool = False,
    concurrency: int = DEFAULT_CONCURRENCY,
    progress: bool = False,
    lookml_dir: str | None = None,
    lookml: LookerContent | None = None,
    page_size: int = PAGE_SIZE,
) -> tuple[LookerContent, CallStats]:
    """``crawl`` plus the calls it made, by endpoint.

    ``lookml``: the LookML repository already read (``read_lookml(..., fields=True)`` with the
    caller's imports, connections, user attributes and dialect); its views and field definitions
    win over the API's. ``lookml_dir`` reads it here with no such settings.
    """
    if concurrency < 1:
        raise OptionError("concurrency", f"must be at least 1, got {concurrency}")
    if lookml is None and lookml_dir:
        from dbtmeta.looker.lookml import read_lookml

        lookml = read_lookml(lookml_dir, fields=True)
    client = LookerClient(settings, pool_size=concurrency)
    crawler = _Crawler(client, concurrency, page_size, _make_progress(progress))
    try:
        content = crawler.run(include_looks, lookml)
    except MalformedResponse as exc:
        raise RemoteError(
            f"Looker at {client.base_url} returned data that is not API 4.0 as dbtmeta knows it ({exc}); "
            "check the URL points at Looker and its version supports API 4.0"
        ) from exc
    except (TypeError, AttributeError, KeyError, ValueError) as exc:
        raise RemoteError(
            f"Looker at {client.base_url} returned data dbtmeta cannot read ({type(exc).__name__}: {exc}); "
            "rerun with --debug and report it if Looker is healthy"
        ) from exc
    finally:
        crawler.progress.stop()
        client.logout()
    return content, client.stats


class _Progress:
    """A rich progress bar on stderr when it is a terminal; otherwise nothing at all."""

    def __init__(self, bar: Any = None) -> None:
        self._bar = bar
        self._task = bar.add_task("Crawling Looker", total=0) if bar else None
        self._total = 0

    def expect(self, n: int) -> None:
        if self._bar is not None:
            self._total += n
            self._bar.update(self._task, total=self._total)

    def advance(self, n: int = 1) -> None:
        if self._bar is not None:
            self._bar.advance(self._task, n)

    def stop(self) -> None:
        if self._bar is not None:
            self._bar.stop()


def _make_progress(enabled: bool) -> _Progress:
    if not enabled or not sys.stderr.isatty():
        return _Progress()
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from dbtmeta.console import make_console

    bar = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=make_console(stderr=True),
        transient=True,
    )
    bar.start()
    return _Progress(bar)


class _Crawler:
    def __init__(self, client: LookerClient, concurrency: int, page_size: int, progress: _Progress):
        self.client = client
        self.sdk = client.sdk
        self.concurrency = concurrency
        self.page_size = page_size
        self.progress = progress
        self.pool: ThreadPoolExecutor | None = None

    # -- plumbing ------------------------------------------------------------------------------

    def call(self, what: str, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        result = self.client.call(what, fn, *args, **kwargs)
        self.progress.advance()
        return result

    def call_or_none(self, what: str, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """``call``, but None on a 404: an object deleted between listing and fetching is simply gone."""
        try:
            return self.call(what, fn, *args, **kwargs)
        except LookerHTTPError as exc:
            if exc.status == 404:
                return None
            raise

    def parallel(self, fn: Callable[[T], R], items: Sequence[T]) -> list[R]:
        """``fn`` over ``items`` on the pool, results in order; the first error cancels the rest."""
        self.progress.expect(len(items))
        if not items:
            return []
        if self.pool is None or len(items) == 1:
            return [fn(item) for item in items]
        futures: list[Future[R]] = [self.pool.submit(fn, item) for item in items]
        done, pending = wait(futures, return_when=FIRST_EXCEPTION)
        for future in done:
            if future.exception() is not None:
                for other in pending:
                    other.cancel()
                raise future.exception()  # type: ignore[misc]
        return [future.result() for future in futures]

    # -- the crawl -----------------------------------------------------------------------------

    def run(self, include_looks: bool, lookml: LookerContent | None) -> LookerContent:
        pool = ThreadPoolExecutor(max_workers=self.concurrency, thread_name_prefix="looker")
        self.pool = pool
        try:
            return self._run(include_looks, lookml)
        except BaseException:
            self.client.abort()  # calls still in flight stop at their next attempt: fail fast
            raise
        finally:
            self.pool = None
            pool.shutdown(wait=True, cancel_futures=True)

    def _run(self, include_looks: bool, lookml: LookerContent | None) -> LookerContent:
        self.progress.expect(1)
        ids = self.call("GET /dashboards", self.sdk.all_dashboards, fields="id")
        all_ids = [str(d.id) for d in ids if d.id is not None]
        lookml_ids = sorted(i for i in all_ids if "::" in i)
        found = _Found()
        _Pipeline(self, found).run(len(all_ids) - len(lookml_ids), lookml_ids, include_looks)

        explores, needs_sql = _resolve_templated(found.explores, lookml)
        known = found.queries
        sql_ids = sorted(
            {q.id for q in known.values() if q.id and _query_needs_sql(q, explores, needs_sql)}, key=_id_key
        )
        sql_by_id: dict[str, str] = {}
        for qid, sql in zip(sql_ids, self.parallel(self._run_sql, sql_ids), strict=True):
            if sql is not None:
                sql_by_id[qid] = sql
        if sql_by_id:
            known = {
                qid: dataclasses.replace(q, sql=sql_by_id[qid]) if qid in sql_by_id else q
                for qid, q in known.items()
            }

        base = self.client.base_url
        raw_dashboards = list(found.dashboards.values())
        dashboards = [_dashboard(d, base, found.owners, found.merges, known) for d in raw_dashboards]
        dashboards += [_look(look, base, found.owners, known) for look in found.looks]
        content = LookerContent(
            source="api",
            base_url=base,
            dashboards=dashboards,
            explores=explores,
            connections=found.connections,
            model_connections={m: e.connection for (m, _), e in sorted(explores.items()) if e.connection},
        )
        if lookml is not None:  # the repository has what the API lacks (derived tables' SQL)
            content.lookml_views, content.lookml_joins = lookml.lookml_views, lookml.lookml_joins
        else:
            content.lookml_joins = {key: found.definitions[key][0] for key in sorted(found.definitions)}
            views = (v for key in sorted(found.definitions) for v in found.definitions[key][1])
            content.lookml_views = merge_views(views)
        return content

    def _run_sql(self, query_id: str) -> str | None:
        sql: str | None = self.call_or_none(
            f"GET /queries/{query_id}/run/sql", self.sdk.run_query, query_id, "sql"
        )
        return sql

    def _dashboard_page(self, offset: int) -> list[Any]:
        # The SDK types `deleted` as a string for dashboards and a bool for Looks.
        return self._search_page(
            "GET /dashboards/search", self.sdk.search_dashboards, DASHBOARD_FIELDS, "false", offset
        )

    def _looks_page(self, offset: int) -> list[Any]:
        return self._search_page("GET /looks/search", self.sdk.search_looks, LOOK_FIELDS, False, offset)

    def _search_page(
        self, endpoint: str, method: Callable[..., Any], fields: str, deleted: str | bool, offset: int
    ) -> list[Any]:
        page: list[Any] = self.call(
            endpoint, method, fields=fields, deleted=deleted, sorts="id", limit=self.page_size, offset=offset
        )
        return page

    def _lookml_dashboard(self, dashboard_id: str) -> Any:
        return self.call_or_none(
            f"GET /dashboards/{dashboard_id}", self.sdk.dashboard, dashboard_id, fields=DASHBOARD_FIELDS
        )

    def _merge_query(self, merge_id: str) -> list[str]:
        merge = self.call_or_none(
            f"GET /merge_queries/{merge_id}",
            self.sdk.merge_query,
            merge_id,
            fields="id,source_queries(name,query_id)",
        )
        if merge is None:
            return []
        return [str(s.query_id) for s in merge.source_queries or () if s.query_id]

    def _query(self, query_id: str) -> Query | None:
        raw = self.call_or_none(f"GET /queries/{query_id}", self.sdk.query, query_id, fields=QUERY_FIELDS)
        return _query(raw) if raw is not None else None

    def _users(self, ids: list[str]) -> dict[str, Owner]:
        from looker_sdk.sdk.api40.models import DelimSequence

        users = self.call(
            "GET /users", self.sdk.all_users, ids=DelimSequence(ids), fields="id,display_name,email"
        )
        return {
            str(u.id): Owner(id=str(u.id), name=u.display_name or None, email=u.email or None)
            for u in users
            if u.id is not None
        }

    def _explore(self, model: str, name: str) -> _ExploreAnswer | None:
        raw = self.call_or_none(
            f"GET /lookml_models/{model}/explores/{name}",
            self.sdk.lookml_model_explore,
            model,
            name,
            fields=EXPLORE_FIELDS,
        )
        if raw is None:
            return None
        return _ExploreAnswer(_explore(model, name, raw), *explore_definitions(model, raw))

    def _connection(self, name: str) -> Connection:
        try:
            raw = self.call(f"GET /connections/{name}", self.sdk.connection, name, fields=CONNECTION_FIELDS)
        except LookerHTTPError as exc:
            if exc.status in {403, 404}:  # no see_connections permission: known by name only
                return Connection(name=name)
            raise
        dialect = raw.dialect_name or None
        if dialect and dialect.startswith("bigquery"):
            # BigQuery: the project is the connection's host, the dataset its database.
            return Connection(
                name=name, dialect=dialect, database=raw.host or None, schema=raw.database or None
            )
        return Connection(
            name=name, dialect=dialect, database=raw.database or None, schema=raw.schema or None
        )


@dataclasses.dataclass(frozen=True)
class _ExploreAnswer:
    explore: Explore
    joins: tuple[LookmlJoin, ...]  # field definitions, for column lineage
    views: list[LookmlView]


@dataclasses.dataclass
class _Found:
    dashboards: dict[str, Any] = dataclasses.field(default_factory=dict)
    looks: list[Any] = dataclasses.field(default_factory=list)
    merges: dict[str, list[str]] = dataclasses.field(default_factory=dict)
    queries: dict[str, Query] = dataclasses.field(default_factory=dict)
    owners: dict[str, Owner] = dataclasses.field(default_factory=dict)
    explores: dict[tuple[str, str], Explore] = dataclasses.field(default_factory=dict)
    connections: dict[str, Connection] = dataclasses.field(default_factory=dict)
    definitions: dict[tuple[str, str], tuple[tuple[LookmlJoin, ...], list[LookmlView]]] = dataclasses.field(
        default_factory=dict
    )


class _Pipeline:
    """Every call is submitted as soon as what it needs is known, so round trips overlap:
    explores start while later pages, merged queries and owners are still on their way.
    Results are handled one at a time in the calling thread (no shared state across threads).
    """

    def __init__(self, crawler: _Crawler, found: _Found) -> None:
        self.crawler = crawler
        self.found = found
        self.pending: dict[Future[Any], tuple[str, Any]] = {}
        self.requested: set[tuple[str, Any]] = set()
        self.listing = 0  # page / LookML dashboard / Look-page calls in flight
        self.listed = False

    def submit(self, kind: str, key: Any, fn: Callable[..., Any], *args: Any) -> None:
        if (kind, key) in self.requested:
            return
        self.requested.add((kind, key))
        if kind in {"page", "lookml", "looks"}:
            self.listing += 1
        self.crawler.progress.expect(1)
        assert self.crawler.pool is not None
        self.pending[self.crawler.pool.submit(fn, *args)] = (kind, key)

    def run(self, user_dashboards: int, lookml_ids: list[str], include_looks: bool) -> None:
        c = self.crawler
        # One page more than the count needs: the short page that proves the end, fetched in parallel.
        for i in range(user_dashboards // c.page_size + 1):
            self.submit("page", i * c.page_size, c._dashboard_page, i * c.page_size)
        for did in lookml_ids:
            self.submit("lookml", did, c._lookml_dashboard, did)
        if include_looks:
            self.submit("looks", 0, c._looks_page, 0)
        try:
            while self.pending:
                done, _ = wait(self.pending, return_when=FIRST_COMPLETED)
                for future in done:
                    kind, key = self.pending.pop(future)
                    self.handle(kind, key, future.result())
                if self.listing == 0 and not self.listed:
                    self.listed = True
                    self.after_listing()
        finally:
            for future in self.pending:
                future.cancel()

    def handle(self, kind: str, key: Any, result: Any) -> None:
        c, found = self.crawler, self.found
        if kind in {"page", "lookml", "looks"}:
            self.listing -= 1
        if kind == "page":
            for d in result:
                self.add_dashboard(d)
            if len(result) == c.page_size:  # more dashboards than counted: keep paging
                nxt = key + c.page_size
                self.submit("page", nxt, c._dashboard_page, nxt)
        elif kind == "lookml":
            if result is not None:
                self.add_dashboard(result)
        elif kind == "looks":
            found.looks.extend(lk for lk in result if lk.id is not None and not lk.deleted)
            if len(result) == c.page_size:
                nxt = key + c.page_size
                self.submit("looks", nxt, c._looks_page, nxt)
        elif kind == "merge":
            found.merges[key] = result
            for qid in result:
                if qid not in found.queries:
                    self.submit("query", qid, c._query, qid)
        elif kind == "query":
            if result is not None and result.id:
                found.queries[result.id] = result
                self.want_explore(result.model, result.explore)
        elif kind == "users":
            found.owners.update(result)
        elif kind == "explore":
            if result is not None:
                explore = result.explore
                found.explores[(explore.model, explore.name)] = explore
                found.definitions[(explore.model, explore.name)] = (result.joins, result.views)
                if explore.connection:
                    self.submit("connection", explore.connection, c._connection, explore.connection)
        elif kind == "connection":
            found.connections[key] = result

    def add_dashboard(self, d: Any) -> None:
        c, found = self.crawler, self.found
        if d.id is None or d.deleted or str(d.id) in found.dashboards:
            return
        found.dashboards[str(d.id)] = d
        for el in d.dashboard_elements or ():
            mid = _merge_id(el)
            if mid:
                self.submit("merge", mid, c._merge_query, mid)
            for q in _element_queries(el):
                if q.id:
                    found.queries.setdefault(q.id, q)
                self.want_explore(q.model, q.explore)
        for q in _filter_queries(d):
            self.want_explore(q.model, q.explore)

    def want_explore(self, model: str, explore: str) -> None:
        self.submit("explore", (model, explore), self.crawler._explore, model, explore)

    def after_listing(self) -> None:
        """Every dashboard and Look is known: owners in batches, queries of Looks not on a dashboard."""
        c, found = self.crawler, self.found
        for look in found.looks:
            qid = str(look.query_id) if look.query_id else None
            if qid and qid not in found.queries:
                self.submit("query", qid, c._query, qid)
        owners = [*found.dashboards.values(), *found.looks]
        user_ids = sorted({str(o.user_id) for o in owners if o.user_id not in (None, "")}, key=_id_key)
        for i in range(0, len(user_ids), USER_BATCH):
            batch = tuple(user_ids[i : i + USER_BATCH])
            self.submit("users", batch, c._users, list(batch))


# -- conversion from SDK models ----------------------------------------------------------------


def _id_key(value: str) -> tuple[int, int, str]:
    return (0, int(value), "") if value.isdigit() else (1, 0, value)


def _field_name(value: str) -> str:
    return value.strip().split(" ")[0]


def _dynamic_refs(text: str | None, selected: Sequence[str]) -> tuple[str, ...]:
    """The fields the query's dynamic fields (a JSON list in the API) read, for those it uses."""
    import json

    from dbtmeta.looker.lookml_templates import field_refs
    from dbtmeta.looker.usage import dynamic_field_refs

    if not text:
        return ()
    try:
        items = json.loads(text)
    except ValueError:
        return tuple(field_refs(text))  # not JSON: every ${view.field} in it, rather than none
    return tuple(dynamic_field_refs(items if isinstance(items, list) else [], selected))


def _query(raw: Any) -> Query:
    from dbtmeta.looker.lookml_templates import field_refs

    if not isinstance(raw.model, str) or not isinstance(raw.view, str):
        raise MalformedResponse(f"query {raw.id} has no model/explore")
    fields = tuple(raw.fields or ())
    pivots = tuple(raw.pivots or ())
    # "is any value" ('') is dropped from the query Looker runs: that filter needs no join.
    filters = [_field_name(f) for f, value in (raw.filters or {}).items() if value != ""]
    if isinstance(raw.filter_expression, str):  # custom filter: its ${view.field} references
        filters.extend(field_refs(raw.filter_expression))
    return Query(
        model=str(raw.model),
        explore=str(raw.view),
        fields=fields,
        filters=tuple(dict.fromkeys(filters)),
        sorts=tuple(_field_name(s) for s in raw.sorts or ()),
        pivots=pivots,
        dynamic_fields=_dynamic_refs(raw.dynamic_fields, (*fields, *pivots, *filters)),
        id=str(raw.id) if raw.id is not None else None,
    )


def _merge_id(el: Any) -> str | None:
    # (SDK models are Mappings: their truth value unstructures them, so test them with `is None`.)
    mid = el.merge_result_id or (el.result_maker.merge_result_id if el.result_maker is not None else None)
    return str(mid) if mid else None


def _element_queries(el: Any) -> list[Query]:
    if _merge_id(el):
        return []
    raw = el.query
    if raw is None and el.look is not None:
        raw = el.look.query
    if raw is None and el.result_maker is not None:
        raw = el.result_maker.query
    return [_query(raw)] if raw is not None else []


def _filter_queries(d: Any) -> list[Query]:
    return [
        Query(model=f.model, explore=f.explore, fields=(f.dimension,) if f.dimension else ())
        for f in d.dashboard_filters or ()
        if f.model and f.explore
    ]


def _tile(el: Any, merges: dict[str, list[str]], known: dict[str, Query]) -> Tile:
    title = el.title or el.title_text or (el.look.title if el.look is not None else None) or None
    look_id = (
        str(el.look_id) if el.look_id else (str(el.look.id) if el.look is not None and el.look.id else None)
    )
    mid = _merge_id(el)
    if mid:
        queries = tuple(known[q] for q in merges.get(mid, ()) if q in known)
        return Tile(id=str(el.id), type="merged", title=title, queries=queries)
    found = _element_queries(el)
    queries = tuple(known.get(q.id, q) if q.id else q for q in found)
    if queries:
        return Tile(
            id=str(el.id), type="look" if look_id else "query", title=title, queries=queries, look_id=look_id
        )
    if el.result_maker is not None and el.result_maker.sql_query_id:
        return Tile(id=str(el.id), type="sql", title=title)
    kind = "text" if (el.type or "").lower() in {"text", "button"} else "other"
    return Tile(id=str(el.id), type=kind, title=title, look_id=look_id)


def _owner(user_id: Any, owners: dict[str, Owner]) -> Owner | None:
    if user_id is None or user_id == "":
        return None
    return owners.get(str(user_id), Owner(id=str(user_id)))


def _common(raw: Any, owners: dict[str, Owner]) -> dict[str, Any]:
    folder = raw.folder
    return {
        "title": raw.title or "",
        "description": raw.description or None,
        "folder": (folder.name or None) if folder is not None else None,
        "folder_id": str(folder.id) if folder is not None and folder.id else None,
        "owner": _owner(raw.user_id, owners),
        "view_count": raw.view_count,
        "favorite_count": raw.favorite_count,
        "last_viewed_at": _timestamp(raw.last_viewed_at),
        "created_at": _timestamp(raw.created_at),
        "updated_at": _timestamp(raw.updated_at),
    }


def _timestamp(value: Any) -> str | None:
    if value is None:
        return None
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


def _dashboard(
    raw: Any, base_url: str, owners: dict[str, Owner], merges: dict[str, list[str]], known: dict[str, Query]
) -> Dashboard:
    did = str(raw.id)
    return Dashboard(
        id=did,
        kind="dashboard",
        url=f"{base_url}/dashboards/{did}",
        tiles=tuple(_tile(el, merges, known) for el in raw.dashboard_elements or ()),
        filters=tuple(_filter_queries(raw)),
        lookml="::" in did,
        **_common(raw, owners),
    )


def _look(raw: Any, base_url: str, owners: dict[str, Owner], known: dict[str, Query]) -> Dashboard:
    lid = str(raw.id)
    query = known.get(str(raw.query_id)) if raw.query_id else None
    tile = Tile(
        id=f"look:{lid}", type="look", title=raw.title or None, queries=(query,) if query else (), look_id=lid
    )
    return Dashboard(
        id=lid, kind="look", url=f"{base_url}/looks/{lid}", tiles=(tile,), **_common(raw, owners)
    )


def _strip_alias(sql_table_name: str, alias: str) -> str:
    """``analytics.orders AS orders`` -> ``analytics.orders``; ``gas_prices`` stays ``gas_prices``."""
    text = sql_table_name.strip()
    pattern = re.compile(r"\s+(?:AS\s+)?[\"`\[]?" + re.escape(alias) + r"[\"`\]]?\s*$", re.IGNORECASE)
    stripped = pattern.sub("", text)
    return stripped.strip() if stripped.strip() else text


def _is_templated(sql_table_name: str) -> bool:
    lowered = sql_table_name.lower()
    return any(marker in lowered for marker in TEMPLATE_MARKERS) or lowered.lstrip().startswith("(")


def _view_source(view: str, alias: str, sql_table_name: str | None) -> ViewSource:
    if not sql_table_name or not sql_table_name.strip():
        return ViewSource(view=view, problem="Looker returned no sql_table_name for this view")
    table = _strip_alias(sql_table_name, alias)
    if _is_templated(table):
        return ViewSource(
            view=view, problem=f"templated or derived sql_table_name: {' '.join(table.split())[:200]}"
        )
    return ViewSource(view=view, tables=(table,))


def _explore(model: str, name: str, raw: Any) -> Explore:
    base_alias = raw.view_name or raw.name or name
    views = [ExploreView(alias=base_alias, source=_view_source(base_alias, base_alias, raw.sql_table_name))]
    for join in raw.joins or ():
        if not join.name:
            continue
        underlying = join.from_ or join.name
        views.append(
            ExploreView(
                alias=join.name,
                source=_view_source(underlying, join.name, join.sql_table_name),
                required_joins=tuple(join.required_joins or ()),
            )
        )
    return Explore(
        model=model,
        name=name,
        base_alias=base_alias,
        views=tuple(views),
        connection=raw.connection_name or None,
    )


def _resolve_templated(
    explores: dict[tuple[str, str], Explore], lookml: LookerContent | None
) -> tuple[dict[tuple[str, str], Explore], set[tuple[str, str, str]]]:
    """Templated views: take their tables from the LookML repo if given, else mark them for SQL.

    Returns the explores and the (model, explore, alias) whose tables must come from generated SQL.
    """
    needs_sql: set[tuple[str, str, str]] = set()
    by_view: dict[str, ViewSource] = {}
    if lookml is not None:
        for e in lookml.explores.values():
            for v in e.views:
                by_view.setdefault(v.source.view, v.source)
    out: dict[tuple[str, str], Explore] = {}
    for key, explore in explores.items():
        views = []
        for v in explore.views:
            if v.source.problem and v.source.problem.startswith("templated"):
                source = _lookml_source(lookml, explore, v, by_view)
                if source is not None:
                    v = dataclasses.replace(v, source=source)
                else:
                    needs_sql.add((explore.model, explore.name, v.alias))
            views.append(v)
        out[key] = dataclasses.replace(explore, views=tuple(views))
    return out, needs_sql


def _lookml_source(
    lookml: LookerContent | None, explore: Explore, view: ExploreView, by_view: dict[str, ViewSource]
) -> ViewSource | None:
    if lookml is None:
        return None
    same = lookml.explore(explore.model, explore.name)
    if same is not None:
        found = same.view(view.alias)
        if found is not None:
            return found.source
    return by_view.get(view.source.view)


def _query_needs_sql(
    q: Query, explores: dict[tuple[str, str], Explore], needs_sql: set[tuple[str, str, str]]
) -> bool:
    from dbtmeta.looker.usage import used_aliases

    explore = explores.get((q.model, q.explore))
    if explore is None or not needs_sql:
        return False
    used, _unknown = used_aliases(explore, q)
    return any((q.model, q.explore, alias) in needs_sql for alias in used)
