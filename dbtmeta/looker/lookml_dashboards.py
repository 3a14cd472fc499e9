"""``*.dashboard.lookml`` files (YAML) -> ``Dashboard`` objects with one ``Tile`` per element.

Must not: know about dbt nodes, or parse YAML other than through :mod:`dbtmeta.yamlsafe`.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dbtmeta import yamlsafe
from dbtmeta.errors import InputError
from dbtmeta.files import read_text
from dbtmeta.looker.content import Dashboard, Query, Tile

if TYPE_CHECKING:
    from dbtmeta.looker.lookml_cache import LookmlParser


class DashboardFileError(InputError):
    """A ``.dashboard.lookml`` file that cannot be used at all: where (file[:line]) and what."""

    def __init__(self, where: str, message: str) -> None:
        super().__init__(f"{where}: {message}")
        self.where = where
        self.message = message


def read_dashboards(
    paths: list[tuple[Path, str]],
    model: str,
    base_url: str | None,
    constants: Mapping[Path, dict[str, str]] | None = None,
    cache: LookmlParser | None = None,
) -> tuple[list[Dashboard], list[tuple[str, str]]]:
    """The dashboards in the ``.dashboard.lookml`` files ``model`` includes: (path, display name).

    ``constants``: each file's project constants (``model: "@{MODEL}"`` in blocks' dashboards);
    ``cache``: where each file's loaded YAML is remembered by content.
    Returns (dashboards, problems); a problem is (where, message) and leaves out only the file or
    dashboard it concerns.
    """
    from dbtmeta.looker.lookml_templates import substitute_all

    raw: dict[str, tuple[dict[str, Any], str]] = {}
    problems: list[tuple[str, str]] = []
    for path, display in paths:
        try:
            items = load_dashboard_file(path, display, problems, cache)
        except DashboardFileError as exc:
            problems.append((exc.where, exc.message))
            continue
        file_constants = (constants or {}).get(path)
        if file_constants:
            items = [substitute_all(item, file_constants) for item in items]
        for item in items:
            raw.setdefault(_text(item["dashboard"]) or "", (item, display))
    dashboards = []
    for name, (item, _display) in raw.items():
        merged = _extended(name, raw, ())
        if str(item.get("extension", "")) == "required":
            continue  # a template for other dashboards, not a dashboard users open
        dashboards.append(_dashboard(merged, model, base_url))
    return dashboards, problems


def _ruby_tagged(loader: Any, tag_suffix: str, node: Any) -> Any:
    """A ``!ruby/...`` tagged node (Looker's exports carry them) read as the plain data it holds."""
    import yaml

    if isinstance(node, yaml.MappingNode):
        return loader.construct_mapping(node, deep=True)
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node, deep=True)
    return loader.construct_scalar(node)


def dashboard_loader() -> type[Any]:
    """A SafeLoader (the C one when PyYAML has it) that reads Ruby-tagged nodes as plain data.

    Only ``!ruby/...`` tags are accepted, and they build nothing but dicts, lists and strings:
    no Python or Ruby object is ever constructed.
    """
    global _LOADER
    if _LOADER is None:
        import yaml

        base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
        loader: type[yaml.SafeLoader] = type("DashboardLoader", (base,), {})
        loader.add_multi_constructor("!ruby/", _ruby_tagged)
        _LOADER = loader
    return _LOADER


_LOADER: type[Any] | None = None


def load_dashboard_file(
    path: Path,
    display: str,
    problems: list[tuple[str, str]] | None = None,
    cache: LookmlParser | None = None,
) -> list[dict[str, Any]]:
    """The named dashboards of one ``.dashboard.lookml`` file (YAML; ``cache``: the YAML loaded is
    remembered there by content, JSON being much faster to read back).

    Raises ``InputError`` when the file cannot be used at all; a dashboard of the file that is
    malformed is left out with a (where, message) added to ``problems``.
    """
    import yaml

    try:
        # The C loader when PyYAML has it (ten times faster), Ruby tags read as data, aliases bounded.
        text = read_text(path, "LookML dashboard")
        data = cache.cached("dashboard-yaml", text, _load_yaml) if cache is not None else _load_yaml(text)
    except (OSError, UnicodeDecodeError) as exc:
        raise DashboardFileError(display, f"cannot read the LookML dashboard ({exc}); fix the file") from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{display}:{mark.line + 1}" if mark is not None else display
        problem = getattr(exc, "problem", None) or "invalid YAML"
        raise DashboardFileError(
            where, f"LookML dashboard is not valid YAML ({problem}); fix it or remove it from the include:"
        ) from exc
    if isinstance(data, dict):
        data = [data]
    if not isinstance(data, list):
        raise DashboardFileError(
            display,
            "a LookML dashboard file must be a YAML list of mappings with a 'dashboard:' name; "
            "fix the file or remove it from the include:",
        )
    found = []
    for index, item in enumerate(data):
        if not isinstance(item, dict) or not _text(item.get("dashboard")):
            if problems is not None:
                problems.append(
                    (display, f"item {index + 1} is not a mapping with a 'dashboard:' name; it is left out")
                )
            continue
        bad = [
            k for k in ("elements", "filters") if item.get(k) is not None and not isinstance(item[k], list)
        ]
        if bad:
            if problems is not None:
                problems.append(
                    (
                        display,
                        f"'{bad[0]}' of dashboard {item['dashboard']} must be a list; "
                        "the dashboard is left out until the file is fixed",
                    )
                )
            continue
        found.append(item)
    return found


def _load_yaml(text: str) -> Any:
    return yamlsafe.load(text, loader=dashboard_loader())


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
    bound = {
        _text(item.get("name")) or _text(item.get("field")) or "": item
        for item in _dicts(data.get("filters"))
        if _text(item.get("explore")) and _text(item.get("field"))
    }
    for item in bound.values():
        explore, field = _text(item.get("explore")) or "", _text(item.get("field")) or ""
        filter_model = _text(item.get("model")) or model
        # Suggestions of a filter that listens to others are filtered by their fields (same explore).
        listened = []
        for other_name in _names(item.get("listens_to_filters")):
            other = bound.get(other_name)
            if (
                other is not None
                and (_text(other.get("model")) or model) == filter_model
                and _text(other.get("explore")) == explore
            ):
                listened.append(_text(other.get("field")) or "")
        filters.append(
            Query(
                model=filter_model,
                explore=explore,
                fields=(field,),
                filters=tuple(dict.fromkeys(listened)),
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
    # legacy dashboards list `dimensions:` and `measures:` instead of `fields:`
    fields = _names(data.get("fields")) + _names(data.get("dimensions")) + _names(data.get("measures"))
    pivots = _names(data.get("pivots"))
    filters = _filter_names(data.get("filters"))
    expression = data.get("filter_expression")
    if isinstance(expression, str):
        from dbtmeta.looker.lookml_templates import field_refs

        filters.extend(field_refs(expression))
    listen = data.get("listen")
    if isinstance(listen, dict):  # dashboard filter name -> the field it filters in this tile
        filters.extend(_text(v) or "" for v in listen.values())
    sorts = tuple(s.split()[0] for s in _names(data.get("sorts")) if s.strip())
    dynamic: list[str] = []
    dynamic_fields = data.get("dynamic_fields")
    if dynamic_fields:  # most tiles have none (28,000 tiles: the import and call add up)
        from dbtmeta.looker.usage import dynamic_field_refs

        dynamic = dynamic_field_refs(_dicts(dynamic_fields), (*fields, *pivots, *filters))
    return Query(
        model=_text(data.get("model")) or model,
        explore=_text(data.get("explore")) or "",
        fields=tuple(dict.fromkeys(fields)),
        filters=tuple(f for f in dict.fromkeys(filters) if f),
        sorts=sorts,
        pivots=pivots,
        dynamic_fields=tuple(dynamic),
    )


def _filter_names(value: Any) -> list[str]:
    """Filtered fields of ``filters: {view.f: value}``, or of a list of such mappings.

    A value of ``''`` ("is any value") is dropped from the query Looker runs: it needs no join.
    """
    items = value if isinstance(value, list) else [value]
    return [_text(k) or "" for item in items if isinstance(item, dict) for k, v in item.items() if v != ""]


def _text(value: Any) -> str | None:
    """A YAML scalar as text; ``None`` for null, lists and mappings (not a name)."""
    if type(value) is str:  # the common case, first (28,000 tiles of 4,000 dashboards)
        return value
    if isinstance(value, bool):
        return str(value).lower()
    if value is None or isinstance(value, (list, dict)):
        return None
    return str(value)


def _names(value: Any) -> tuple[str, ...]:
    """A name or a list of names; anything else in the list is skipped."""
    if value is None:
        return ()
    items = value if isinstance(value, list) else [value]
    return tuple([t for t in [v if type(v) is str else _text(v) for v in items] if t])


def _dicts(value: Any) -> list[dict[str, Any]]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []
