"""What dbtmeta knows about a Looker instance, whatever it was read from.

The API crawler (``looker.api``), the LookML reader (``looker.lookml``) and snapshots
(``looker.snapshot``) all produce a ``LookerContent``; resolution and the exposures writer only
ever see this. ``to_dict``/``from_dict`` give the snapshot format (JSON-friendly, no secrets).

Must not: import anything heavy, know about dbt nodes, or hold credentials.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

SNAPSHOT_FORMAT_VERSION = 3
# Versions this dbtmeta reads: 1 has no field definitions (column lineage then asks for the LookML);
# 1 and 2 list a dimension group's joins under the group's name only, 3 under each of its fields too.
READABLE_SNAPSHOT_VERSIONS = (1, 2, 3)
GROUP_JOINS_BY_FIELD = 3


@dataclass(frozen=True)
class Query:
    """An explore query: the fields a tile reads decide which joins (and so tables) it uses."""

    model: str
    explore: str
    fields: tuple[str, ...] = ()
    # filtered field names ("view.field"), values dropped; also the fields of filter_expression
    filters: tuple[str, ...] = ()
    sorts: tuple[str, ...] = ()  # field names, without " desc"
    pivots: tuple[str, ...] = ()
    # "view.field" references of the dynamic fields (custom fields, table calculations) the query uses
    dynamic_fields: tuple[str, ...] = ()
    id: str | None = None
    sql: str | None = None  # SQL Looker generated for it, when fetched (templated/derived views)

    def referenced_fields(self) -> tuple[str, ...]:
        """The fields that decide the query's joins. Sorts are left out: Looker ignores a sort on a
        field the query does not select, and a selected field already counts through ``fields``."""
        return self.fields + self.filters + self.pivots + self.dynamic_fields


@dataclass(frozen=True)
class Tile:
    """One dashboard element: type, title, its queries (several for merged results), the Look it shows."""

    id: str
    type: str  # "query" | "look" | "merged" | "text" | "sql" | "other"
    title: str | None = None
    queries: tuple[Query, ...] = ()  # merged-results tiles have several
    look_id: str | None = None


@dataclass(frozen=True)
class Owner:
    """A dashboard's or Look's owner in Looker (any part may be unknown)."""

    id: str | None = None
    name: str | None = None
    email: str | None = None


@dataclass(frozen=True)
class Dashboard:
    """A dashboard (user-defined or LookML) or a standalone Look (``kind == "look"``)."""

    id: str  # "42", or "greenery::product_funnel" for LookML dashboards
    kind: str  # "dashboard" | "look"
    title: str
    url: str | None = None
    description: str | None = None
    folder: str | None = None
    folder_id: str | None = None
    owner: Owner | None = None
    tiles: tuple[Tile, ...] = ()
    filters: tuple[Query, ...] = ()  # dashboard filters bound to an explore field
    view_count: int | None = None
    favorite_count: int | None = None
    last_viewed_at: str | None = None
    created_at: str | None = None
    updated_at: str | None = None
    lookml: bool = False

    def queries(self) -> tuple[Query, ...]:
        """Every query the item runs: its tiles' queries, then its filters' explore queries."""
        return tuple(q for tile in self.tiles for q in tile.queries) + self.filters


@dataclass(frozen=True)
class ViewSource:
    """Where one LookML view reads from in the warehouse."""

    view: str  # the defining view's name
    tables: tuple[str, ...] = ()  # table names as written in SQL (1-3 parts, maybe quoted)
    problem: str | None = None  # why ``tables`` could not be determined (never guessed)


@dataclass(frozen=True)
class ExploreView:
    """A view as it appears in an explore: under its alias (join name), with its required joins."""

    alias: str
    source: ViewSource
    required_joins: tuple[str, ...] = ()
    # (field, aliases its SQL refers to): a field using ``${other.x}`` makes Looker join ``other``.
    # Field names without the view prefix; a dimension group under its name and each of its fields.
    field_requires: tuple[tuple[str, tuple[str, ...]], ...] = ()


@dataclass(frozen=True)
class Explore:
    """An explore of a model: its base view's alias, every view it can join, the model's connection."""

    model: str
    name: str
    base_alias: str
    views: tuple[ExploreView, ...] = ()  # base view first, then joins
    connection: str | None = None

    def view(self, alias: str) -> ExploreView | None:
        """The view joined under ``alias`` (the base view's alias included), or None."""
        for item in self.views:
            if item.alias == alias:
                return item
        return None


@dataclass(frozen=True)
class Connection:
    """A Looker connection: its dialect, and the default database and schema for short table names."""

    name: str
    dialect: str | None = None
    database: str | None = None
    schema: str | None = None


@dataclass(frozen=True)
class LookmlField:
    """One field of a LookML view as written, with its refinements and ``extends`` merged in."""

    view: str  # the view (as named in the model) whose definition holds it
    name: str  # a dimension group's group name, e.g. "created"
    kind: str  # dimension | dimension_group | measure | filter | parameter
    type: str | None = None
    sql: str | None = None  # None: LookML's default (``${TABLE}.name`` for a dimension)
    # Other SQL the field runs: sql_start/sql_end/sql_latitude/sql_longitude/sql_distinct_key
    extra_sql: tuple[str, ...] = ()
    filters: tuple[str, ...] = ()  # fields named in its ``filters:`` (filtered measures)
    timeframes: tuple[str, ...] = ()  # dimension group timeframes (or duration intervals)
    file: str | None = None  # where it is defined (the last layer setting ``sql``, else the first)
    line: int | None = None
    primary_key: bool = False
    problem: str | None = None  # why its SQL is not known (from the API: no see_lookml permission)


@dataclass(frozen=True)
class NativeTable:
    """A native derived table's ``explore_source``: the explore field behind each column, and the fields
    its query filters on (``filters``, ``bind_filters``' ``to_field``, ``expression_custom_filter``)."""

    explore: str
    columns: tuple[tuple[str, str], ...] = ()  # column name -> "alias.field" of the explore
    derived_columns: tuple[tuple[str, str], ...] = ()  # column name -> SQL over the other columns
    filters: tuple[str, ...] = ()  # "alias.field"


@dataclass(frozen=True)
class LookmlView:
    """A LookML view's fields and, for a SQL derived table, its rendered SQL."""

    model: str
    name: str
    fields: tuple[LookmlField, ...] = ()
    own_names: tuple[str, ...] = ()  # its name and the views it extends: ``${x.field}`` with x one of them
    # SQL derived table: the SQL with ``${v.SQL_TABLE_NAME}`` swapped for placeholder names
    derived_sql: str | None = None
    placeholders: tuple[tuple[str, str], ...] = ()  # placeholder -> view
    derived_problem: str | None = None  # why the derived table's columns cannot be traced
    native: NativeTable | None = None  # native derived table (``explore_source``)

    def field(self, name: str) -> LookmlField | None:
        """The field ``name`` (``created_date`` finds the dimension group ``created``); exact names win."""
        best: LookmlField | None = None
        for item in self.fields:
            if item.name == name and item.kind != "dimension_group":
                return item
            if item.kind != "dimension_group" or best is not None:
                continue
            if name in group_field_names(item.name, item.type, item.timeframes):
                best = item
        return best


def group_field_names(group: str, kind: str | None, timeframes: tuple[str, ...]) -> tuple[str, ...]:
    """The fields a dimension group defines, as Looker names them, and the group name itself.

    A ``type: duration`` group has ``<interval>s_<group>`` per interval (Looker's set without
    ``intervals``); any other group ``<group>_<timeframe>`` per timeframe (all without ``timeframes``).
    """
    if kind == "duration":
        return (group, *(f"{i}s_{group}" for i in timeframes or _DURATION_INTERVALS))
    return (group, *(f"{group}_{t}" for t in timeframes or _ANY_TIMEFRAME))


_DURATION_INTERVALS = ("day", "hour", "minute", "month", "quarter", "second", "week", "year")


# Looker's timeframes and duration intervals: a dimension group without ``timeframes`` has them all.
_ANY_TIMEFRAME = (
    "raw", "time", "date", "week", "month", "quarter", "year", "hour", "minute", "second",
    "day_of_week", "day_of_month", "day_of_year", "hour_of_day", "month_name", "month_num",
    "week_of_year", "quarter_of_year", "fiscal_year", "fiscal_quarter", "millisecond", "time_of_day",
    "day", "yesno",
)  # fmt: skip


@dataclass(frozen=True)
class LookmlJoin:
    """A view of an explore under its alias: the base view (``sql_on`` None) or a join."""

    alias: str
    view: str
    sql_on: str | None = None
    file: str | None = None
    line: int | None = None
    relationship: str | None = None  # as written; None is Looker's default, many_to_one
    problem: str | None = None  # why its ``sql_on`` is not known (from the API: no see_lookml)


@dataclass
class LookerContent:
    """All dbtmeta knows of a Looker instance: dashboards and Looks, explores, connections, problems."""

    source: str  # "api" | "lookml" | "snapshot:<original source>"
    base_url: str | None = None
    dashboards: list[Dashboard] = field(default_factory=list)
    explores: dict[tuple[str, str], Explore] = field(default_factory=dict)
    connections: dict[str, Connection] = field(default_factory=dict)
    model_connections: dict[str, str] = field(default_factory=dict)  # model -> connection name
    # What could not be read (one line each: a malformed LookML file, an include that matches
    # nothing, an imported project not given); the rest was. Shown as warnings, not in snapshots.
    problems: list[str] = field(default_factory=list)
    # read_lookml(fields=True) or the API crawl, kept in snapshots (format 2):
    # fields per (model, view), views per (model, explore)
    lookml_views: dict[tuple[str, str], LookmlView] = field(default_factory=dict)
    lookml_joins: dict[tuple[str, str], tuple[LookmlJoin, ...]] = field(default_factory=dict)

    def explore(self, model: str, name: str) -> Explore | None:
        """The explore ``name`` of ``model``, or None."""
        return self.explores.get((model, name))

    def to_dict(self) -> dict[str, Any]:
        """The snapshot form: JSON-friendly and sorted, so equal content gives equal dicts (no problems)."""
        return {
            "format_version": SNAPSHOT_FORMAT_VERSION,
            "source": self.source,
            "base_url": self.base_url,
            "dashboards": [asdict(d) for d in sorted(self.dashboards, key=_dashboard_key)],
            "explores": [asdict(e) for _, e in sorted(self.explores.items())],
            "connections": [asdict(c) for _, c in sorted(self.connections.items())],
            "model_connections": dict(sorted(self.model_connections.items())),
            "lookml_views": [asdict(v) for _, v in sorted(self.lookml_views.items())],
            "lookml_joins": [
                {"model": m, "explore": e, "joins": [asdict(j) for j in joins]}
                for (m, e), joins in sorted(self.lookml_joins.items())
            ],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> LookerContent:
        """Build from ``to_dict`` output: each item is decoded against its dataclass (msgspec), so a
        field added to a dataclass is read back without a second, hand-kept description of it.
        Raises ``ValueError`` (naming the path of the bad value) or ``KeyError`` on malformed data."""
        import msgspec

        def items(key: str, kind: type[Any], default: Any = ()) -> list[Any]:
            try:
                return msgspec.convert(data.get(key, default), type=list[kind])  # type: ignore[valid-type]
            except msgspec.ValidationError as exc:
                raise ValueError(f"{key}: {exc}") from None

        explores: list[Explore] = items("explores", Explore, data["explores"])
        views: list[LookmlView] = items("lookml_views", LookmlView)
        joins: list[_ExploreJoins] = items("lookml_joins", _ExploreJoins)
        try:
            model_connections = msgspec.convert(data.get("model_connections", {}), type=dict[str, str])
        except msgspec.ValidationError as exc:
            raise ValueError(f"model_connections: {exc}") from None
        return cls(
            source=str(data["source"]),
            base_url=data.get("base_url"),
            dashboards=items("dashboards", Dashboard, data["dashboards"]),
            explores={(e.model, e.name): e for e in explores},
            connections={c.name: c for c in items("connections", Connection)},
            model_connections=model_connections,
            lookml_views={(v.model, v.name): v for v in views},
            lookml_joins={(j.model, j.explore): j.joins for j in joins},
        )


@dataclass(frozen=True)
class _ExploreJoins:
    """One ``lookml_joins`` entry of the snapshot form."""

    model: str
    explore: str
    joins: tuple[LookmlJoin, ...] = ()


def _dashboard_key(d: Dashboard) -> tuple[str, int, str]:
    return (d.kind, 0 if d.id.isdigit() else 1, d.id.zfill(12) if d.id.isdigit() else d.id)
