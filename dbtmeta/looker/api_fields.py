"""Field definitions from the Looker API: an explore's fields and joins as the LookML reader's views.

``lookml_model_explore`` with nested ``fields=`` (``api.EXPLORE_FIELDS``) lists every field of every
view the explore joins, under its alias (``view``) with the view defining it (``original_view``),
its ``sql`` as written in LookML, the fields a filtered measure filters on, its dimension group
(``orders.created`` for ``orders.created_date``), ``source_file`` and ``lookml_link``
(``/projects/p/files/views%2Forders.view.lkml?line=12``: the line); each join has its ``sql_on``.
They become the ``LookmlView``/``LookmlJoin`` that ``looker.fields`` traces, the same as from LookML.

What the API does not say is a problem of the field, never a guess: without the see_lookml
permission (``can_see_lookml`` false) Looker answers ``sql: null``; a derived table's SQL is not in
the API at all.

Must not: talk to Looker (the crawler passes its answers in) or know about dbt nodes.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Iterable
from typing import Any

from dbtmeta.looker.content import LookmlField, LookmlJoin, LookmlView

NO_SEE_LOOKML = "no SQL from the API: the API user needs the see_lookml permission"
DERIVED = "derived table: its SQL is not in the API; give --lookml-dir"
FIELD_PROPERTIES = (
    "name,view,original_view,category,type,dimension_group,sql,sql_case(condition),filters(field),"
    "source_file,lookml_link,primary_key"
)
_KINDS = ("dimensions", "measures", "filters", "parameters")


def link_line(link: str | None) -> int | None:
    """The ``line`` of a ``lookml_link`` (``...view.lkml?line=12`` -> 12), or None."""
    from urllib.parse import parse_qs, urlsplit

    if not link:
        return None
    values = parse_qs(urlsplit(link).query).get("line", [])
    return int(values[-1]) if values and values[-1].isdigit() else None


def explore_definitions(model: str, raw: Any) -> tuple[tuple[LookmlJoin, ...], list[LookmlView]]:
    """The joins (base view first) and the views of one ``LookmlModelExplore`` answer."""
    can_see = raw.can_see_lookml is not False
    fields = _api_fields(raw)
    base_alias = str(raw.view_name or raw.name or "")
    views_of: dict[str, str] = {base_alias: _base_view(base_alias, fields)}
    derived: dict[str, bool] = {base_alias: _is_derived(raw.sql_table_name)}
    file, line = raw.source_file or None, link_line(raw.lookml_link)
    joins = [LookmlJoin(base_alias, views_of[base_alias])]
    for join in raw.joins or ():
        if not join.name:
            continue
        alias = str(join.name)
        views_of[alias] = str(join.from_ or alias)
        derived[alias] = _is_derived(join.sql_table_name)
        sql_on = join.sql_on or None
        problem = NO_SEE_LOOKML if sql_on is None and not can_see else None
        # The API gives no line per join: the explore's file:line stands for its joins.
        relationship = str(join.relationship) if join.relationship else None
        joins.append(LookmlJoin(alias, views_of[alias], sql_on, file, line, relationship, problem))
    by_view: dict[str, list[LookmlField]] = {}
    seen: set[tuple[str, str]] = set()
    originals: dict[str, set[str]] = {}
    for alias, items in _by_alias(fields).items():
        view = views_of.get(alias)
        if view is None:
            continue
        originals.setdefault(view, set()).update(str(f.original_view) for f in items if f.original_view)
        for item in _definitions(view, items, can_see):
            if (view, item.name) not in seen:
                seen.add((view, item.name))
                by_view.setdefault(view, []).append(item)
    views: list[LookmlView] = []
    for alias, view in views_of.items():
        if any(v.name == view for v in views):
            continue
        views.append(
            LookmlView(
                model=model,
                name=view,
                fields=tuple(by_view.get(view, ())),
                own_names=(view, *sorted(originals.get(view, set()) - {view})),
                derived_problem=DERIVED if derived[alias] else None,
            )
        )
    return tuple(joins), views


def merge_views(views: Iterable[LookmlView]) -> dict[tuple[str, str], LookmlView]:
    """One view per (model, name) from the views of every explore: their fields united (first wins)."""
    merged: dict[tuple[str, str], LookmlView] = {}
    for view in views:
        key = (view.model, view.name)
        known = merged.get(key)
        if known is None:
            merged[key] = view
            continue
        names = {f.name for f in known.fields}
        merged[key] = LookmlView(
            model=view.model,
            name=view.name,
            fields=known.fields + tuple(f for f in view.fields if f.name not in names),
            own_names=tuple(dict.fromkeys((*known.own_names, *view.own_names))),
            derived_problem=known.derived_problem or view.derived_problem,
        )
    return merged


def _api_fields(raw: Any) -> list[Any]:
    fieldset = raw.fields
    if fieldset is None:  # SDK models are Mappings: test with `is None`, not truth
        return []
    found: list[Any] = []
    for kind in _KINDS:
        found.extend(f for f in getattr(fieldset, kind) or () if f.name and "." in str(f.name))
    return found


def _by_alias(fields: list[Any]) -> dict[str, list[Any]]:
    found: dict[str, list[Any]] = {}
    for item in fields:
        alias = str(item.view or str(item.name).partition(".")[0])
        found.setdefault(alias, []).append(item)
    return found


def _base_view(base_alias: str, fields: list[Any]) -> str:
    """The view behind the explore's base alias: the ``original_view`` of its fields."""
    counts = Counter(str(f.original_view) for f in fields if f.original_view and (f.view or "") == base_alias)
    if not counts:
        return base_alias
    return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[0][0]


def _is_derived(sql_table_name: str | None) -> bool:
    """A view on a derived table: the API names no table, or a subquery / ``${x.SQL_TABLE_NAME}``."""
    text = (sql_table_name or "").strip()
    return not text or text.startswith("(") or "SQL_TABLE_NAME" in text.upper()


def _definitions(view: str, items: list[Any], can_see: bool) -> list[LookmlField]:
    """The API's fields of one alias as LookML fields: a dimension group's timeframes become one."""
    found: list[LookmlField] = []
    groups: dict[str, list[tuple[str, Any, bool]]] = {}
    for item in items:
        short = str(item.name).partition(".")[2]
        if item.dimension_group:
            group = str(item.dimension_group).rpartition(".")[2]
            timeframe, duration = _timeframe(short, group)
            groups.setdefault(group, []).append((timeframe, item, duration))
            continue
        found.append(_field(view, short, str(item.category or "dimension"), item, (), can_see))
    for group, members in groups.items():
        timeframes = tuple(dict.fromkeys(t for t, _, _ in members))
        duration = any(d for _, _, d in members)
        field = _field(view, group, "dimension_group", members[0][1], timeframes, can_see)
        # as the LookML reader has it: type duration, intervals singular (days_to_ship -> day)
        found.append(dataclasses.replace(field, type="duration") if duration else field)
    return found


def _timeframe(short: str, group: str) -> tuple[str, bool]:
    """The timeframe or interval of a dimension group's field, and whether the group is a duration."""
    if short.startswith(group + "_"):
        return short[len(group) + 1 :], False  # created_date -> date
    if short.endswith("_" + group):
        return short[: -len(group) - 1].removesuffix("s"), True  # days_to_ship -> day
    return short, False


def _field(
    view: str, name: str, kind: str, item: Any, timeframes: tuple[str, ...], can_see: bool
) -> LookmlField:
    sql = item.sql if isinstance(item.sql, str) and item.sql.strip() else None
    cases = tuple(str(c.condition) for c in item.sql_case or () if c.condition) if sql is None else ()
    counted = kind == "measure" and item.type == "count"  # reads no column whatever its SQL
    problem = NO_SEE_LOOKML if sql is None and not can_see and not counted else None
    return LookmlField(
        view=view,
        name=name,
        kind=kind,
        type=str(item.type) if item.type and kind != "dimension_group" else None,
        sql=sql,
        extra_sql=cases,
        filters=tuple(str(f.field) for f in item.filters or () if f.field),
        timeframes=timeframes,
        file=item.source_file or None,
        line=link_line(item.lookml_link),
        primary_key=item.primary_key is True,
        problem=problem,
    )
