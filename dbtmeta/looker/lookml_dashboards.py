"""``*.dashboard.lookml`` files (YAML) -> ``Dashboard`` objects with one ``Tile`` per element."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from dbtmeta.errors import InputError
from dbtmeta.looker.content import Dashboard, Query, Tile

_FIELD_IN_EXPRESSION = re.compile(r"\$\{\s*([A-Za-z_][A-Za-z0-9_]*\.[A-Za-z_][A-Za-z0-9_]*)\s*\}")


def read_dashboards(paths: list[tuple[Path, str]], model: str, base_url: str | None) -> list[Dashboard]:
    """The dashboards in the ``.dashboard.lookml`` files ``model`` includes: (path, display name)."""
    raw: dict[str, tuple[dict[str, Any], str]] = {}
    for path, display in paths:
        for item in load_dashboard_file(path, display):
            raw.setdefault(str(item["dashboard"]), (item, display))
    dashboards = []
    for name, (item, _display) in raw.items():
        merged = _extended(name, raw, ())
        if str(item.get("extension", "")) == "required":
            continue  # a template for other dashboards, not a dashboard users open
        dashboards.append(_dashboard(merged, model, base_url))
    return dashboards


def load_dashboard_file(path: Path, display: str) -> list[dict[str, Any]]:
    """The YAML of one ``.dashboard.lookml`` file, checked to be a list of named dashboards."""
    import yaml

    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read LookML dashboard {display}: {exc}; fix the file") from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{display}:{mark.line + 1}" if mark is not None else display
        problem = getattr(exc, "problem", None) or "invalid YAML"
        raise InputError(
            f"{where}: LookML dashboard is not valid YAML ({problem}); fix it or remove it from the include:"
        ) from exc
    if isinstance(data, dict):
        data = [data]
    if not isinstance(data, list) or not all(isinstance(d, dict) and d.get("dashboard") for d in data):
        raise InputError(
            f"{display}: a LookML dashboard file must be a YAML list of mappings with a 'dashboard:' name; "
            "fix the file or remove it from the include:"
        )
    for item in data:
        for key in ("elements", "filters"):
            if item.get(key) is not None and not isinstance(item[key], list):
                raise InputError(
                    f"{display}: '{key}' of dashboard {item['dashboard']} must be a list; fix the file"
                )
    return data


def _extended(
    name: str, raw: dict[str, tuple[dict[str, Any], str]], stack: tuple[str, ...]
) -> dict[str, Any]:
    """The dashboard with what it ``extends:`` merged under it (elements and filters by name)."""
    item = raw[name][0]
    parents = item.get("extends") or []
    parents = [parents] if isinstance(parents, str) else [str(p) for p in parents if p]
    merged: dict[str, Any] = {}
    for parent in parents:
        if parent in raw and parent not in stack and parent != name:
            merged = _merge_dashboard(merged, _extended(parent, raw, (*stack, name)))
    return _merge_dashboard(merged, item)


def _merge_dashboard(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    merged = {k: v for k, v in base.items() if k != "extension"}
    for key, value in over.items():
        if key in ("elements", "filters") and isinstance(value, list) and isinstance(merged.get(key), list):
            by_name = {str(e.get("name")): e for e in merged[key] if isinstance(e, dict)}
            for element in value:
                if isinstance(element, dict):
                    name = str(element.get("name"))
                    by_name[name] = {**by_name.get(name, {}), **element}
            merged[key] = list(by_name.values())
        else:
            merged[key] = value
    return merged


def _dashboard(data: dict[str, Any], model: str, base_url: str | None) -> Dashboard:
    name = str(data["dashboard"])
    dashboard_id = f"{model}::{name}"
    elements = data.get("elements") or []
    tiles = tuple(_tile(e, i, model) for i, e in enumerate(elements) if isinstance(e, dict))
    filters = []
    for item in data.get("filters") or []:
        if isinstance(item, dict) and item.get("explore") and item.get("field"):
            filters.append(
                Query(
                    model=str(item.get("model") or model),
                    explore=str(item["explore"]),
                    fields=(str(item["field"]),),
                    id=str(item.get("name") or item["field"]),
                )
            )
    description = data.get("description")
    return Dashboard(
        id=dashboard_id,
        kind="dashboard",
        title=str(data.get("title") or name),
        url=f"{base_url}/dashboards/{dashboard_id}" if base_url else None,
        description=str(description) if description is not None else None,
        tiles=tiles,
        filters=tuple(filters),
        lookml=True,
    )


def _tile(element: dict[str, Any], index: int, model: str) -> Tile:
    tile_id = str(element.get("name") or f"element_{index + 1}")
    title = element.get("title") or element.get("title_text")
    title = str(title) if title is not None else None
    merged = element.get("merged_queries")
    if isinstance(merged, list) and merged:
        queries = tuple(_query(q, model) for q in merged if isinstance(q, dict) and q.get("explore"))
        return Tile(tile_id, "merged", title, queries)
    if element.get("explore"):
        return Tile(tile_id, "query", title, (_query(element, model),))
    if str(element.get("type", "")).lower() in ("text", "button"):
        return Tile(tile_id, "text", title)
    return Tile(tile_id, "other", title)


def _query(data: dict[str, Any], model: str) -> Query:
    fields = _names(data.get("fields"))
    filters = list(
        _names(list((data.get("filters") or {}).keys()) if isinstance(data.get("filters"), dict) else [])
    )
    listen = data.get("listen")
    if isinstance(listen, dict):  # dashboard filter name -> the field it filters in this tile
        filters.extend(str(v) for v in listen.values() if v)
    sorts = tuple(str(s).split()[0] for s in _names(data.get("sorts")) if str(s).strip())
    dynamic = []
    for item in data.get("dynamic_fields") or []:
        if isinstance(item, dict):
            for key in ("expression", "based_on", "sql"):
                value = item.get(key)
                if isinstance(value, str):
                    dynamic.extend(_FIELD_IN_EXPRESSION.findall(value))
                    if key == "based_on" and "." in value:
                        dynamic.append(value.strip())
    return Query(
        model=str(data.get("model") or model),
        explore=str(data["explore"]),
        fields=fields,
        filters=tuple(dict.fromkeys(filters)),
        sorts=sorts,
        pivots=_names(data.get("pivots")),
        dynamic_fields=tuple(dict.fromkeys(dynamic)),
    )


def _names(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list):
        return tuple(str(v) for v in value if v is not None)
    return ()
