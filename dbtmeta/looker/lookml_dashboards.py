"""``*.dashboard.lookml`` files (YAML) -> ``Dashboard`` objects with one ``Tile`` per element."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from dbtmeta import yamlsafe
from dbtmeta.errors import InputError
from dbtmeta.files import read_text
from dbtmeta.looker.content import Dashboard, Query, Tile

_FIELD_IN_EXPRESSION = re.compile(r"\$\{\s*([A-Za-z_][A-Za-z0-9_]*\.[A-Za-z_][A-Za-z0-9_]*)\s*\}")


def read_dashboards(paths: list[tuple[Path, str]], model: str, base_url: str | None) -> list[Dashboard]:
    """The dashboards in the ``.dashboard.lookml`` files ``model`` includes: (path, display name)."""
    raw: dict[str, tuple[dict[str, Any], str]] = {}
    for path, display in paths:
        for item in load_dashboard_file(path, display):
            raw.setdefault(_text(item["dashboard"]) or "", (item, display))
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
        # The C loader when PyYAML has it (same safe subset, ten times faster), aliases bounded.
        data = yamlsafe.load(read_text(path, "LookML dashboard"))
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
    if not isinstance(data, list) or not all(isinstance(d, dict) and _text(d.get("dashboard")) for d in data):
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
    merged: dict[str, Any] = {}
    for parent in _names(item.get("extends")):
        if parent in raw and parent not in stack and parent != name:
            merged = _merge_dashboard(merged, _extended(parent, raw, (*stack, name)))
    return _merge_dashboard(merged, item)


def _merge_dashboard(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    merged = {k: v for k, v in base.items() if k != "extension"}
    for key, value in over.items():
        if key in ("elements", "filters") and isinstance(value, list) and isinstance(merged.get(key), list):
            by_name = {_text(e.get("name")): e for e in _dicts(merged[key])}
            for element in _dicts(value):
                name = _text(element.get("name"))
                by_name[name] = {**by_name.get(name, {}), **element}
            merged[key] = list(by_name.values())
        else:
            merged[key] = value
    return merged


def _dashboard(data: dict[str, Any], model: str, base_url: str | None) -> Dashboard:
    name = _text(data["dashboard"]) or ""
    dashboard_id = f"{model}::{name}"
    tiles = tuple(_tile(e, i, model) for i, e in enumerate(_dicts(data.get("elements"))))
    filters = []
    for item in _dicts(data.get("filters")):
        explore, field = _text(item.get("explore")), _text(item.get("field"))
        if explore and field:
            filters.append(
                Query(
                    model=_text(item.get("model")) or model,
                    explore=explore,
                    fields=(field,),
                    id=_text(item.get("name")) or field,
                )
            )
    return Dashboard(
        id=dashboard_id,
        kind="dashboard",
        title=_text(data.get("title")) or name,
        url=f"{base_url}/dashboards/{dashboard_id}" if base_url else None,
        description=_text(data.get("description")),
        tiles=tiles,
        filters=tuple(filters),
        lookml=True,
    )


def _tile(element: dict[str, Any], index: int, model: str) -> Tile:
    tile_id = _text(element.get("name")) or f"element_{index + 1}"
    title = _text(element.get("title")) or _text(element.get("title_text"))
    merged = _dicts(element.get("merged_queries"))
    if merged:
        queries = tuple(_query(q, model) for q in merged if _text(q.get("explore")))
        return Tile(tile_id, "merged", title, queries)
    if _text(element.get("explore")):
        return Tile(tile_id, "query", title, (_query(element, model),))
    if (_text(element.get("type")) or "").lower() in ("text", "button"):
        return Tile(tile_id, "text", title)
    return Tile(tile_id, "other", title)


def _query(data: dict[str, Any], model: str) -> Query:
    raw_filters = data.get("filters")
    filters = [_text(k) or "" for k in raw_filters] if isinstance(raw_filters, dict) else []
    listen = data.get("listen")
    if isinstance(listen, dict):  # dashboard filter name -> the field it filters in this tile
        filters.extend(_text(v) or "" for v in listen.values())
    sorts = tuple(s.split()[0] for s in _names(data.get("sorts")) if s.strip())
    dynamic = []
    for item in _dicts(data.get("dynamic_fields")):
        for key in ("expression", "based_on", "sql"):
            value = item.get(key)
            if isinstance(value, str):
                dynamic.extend(_FIELD_IN_EXPRESSION.findall(value))
                if key == "based_on" and "." in value:
                    dynamic.append(value.strip())
    return Query(
        model=_text(data.get("model")) or model,
        explore=_text(data.get("explore")) or "",
        fields=_names(data.get("fields")),
        filters=tuple(f for f in dict.fromkeys(filters) if f),
        sorts=sorts,
        pivots=_names(data.get("pivots")),
        dynamic_fields=tuple(dict.fromkeys(dynamic)),
    )


def _text(value: Any) -> str | None:
    """A YAML scalar as text; ``None`` for null, lists and mappings (not a name)."""
    if isinstance(value, bool):
        return str(value).lower()
    if value is None or isinstance(value, (list, dict)):
        return None
    return str(value)


def _names(value: Any) -> tuple[str, ...]:
    """A name or a list of names; anything else in the list is skipped."""
    items = value if isinstance(value, list) else [value]
    return tuple(t for t in (_text(v) for v in items) if t)


def _dicts(value: Any) -> list[dict[str, Any]]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []
