"""Read a LookML repository into ``LookerContent``: models, explores, view sources, dashboards.

``read_lookml(repo_dir)`` finds every ``*.model.lkml``, follows its ``include:`` globs, applies
view/explore refinements (``+name``) and ``extends``, resolves each view to the warehouse tables
it reads (``sql_table_name`` with ``@{constants}`` and ``-- if prod --``, derived tables through
sqlglot, ``${view.SQL_TABLE_NAME}`` and ``explore_source`` followed) and reads the
``*.dashboard.lookml`` files the model includes. What cannot be known without a user context
(Liquid) becomes a ``ViewSource.problem``: it is never guessed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dbtmeta.errors import InputError
from dbtmeta.files import read_text
from dbtmeta.looker import lookml_templates as tpl
from dbtmeta.looker.content import Connection, Explore, ExploreView, LookerContent, ViewSource

_MODEL_SUFFIX = ".model.lkml"
_DASHBOARD_SUFFIX = ".dashboard.lookml"


def read_lookml(
    repo_dir: str | Path, *, base_url: str | None = None, dialect: str | None = None
) -> LookerContent:
    """Parse the LookML project in ``repo_dir``. Raises ``InputError`` (one line) on bad input."""
    from dbtmeta.looker.lookml_dashboards import read_dashboards

    repo = _Repo(Path(repo_dir))
    content = LookerContent(source="lookml", base_url=base_url.rstrip("/") if base_url else None)
    constants = repo.constants()
    for model_path in repo.model_files():
        model_name = model_path.name[: -len(_MODEL_SUFFIX)]
        model = _Model(model_name, repo, constants, dialect)
        model.load(model_path)
        if model.connection:
            content.model_connections[model_name] = model.connection
            content.connections.setdefault(model.connection, Connection(model.connection, dialect=dialect))
        for explore in model.explores():
            content.explores[(model_name, explore.name)] = explore
        files = [(path, repo.display(path)) for path in model.dashboard_files]
        content.dashboards.extend(read_dashboards(files, model_name, content.base_url))
    content.dashboards.sort(key=lambda d: d.id)
    return content


class _Repo:
    """The files of one LookML project, parsed once each."""

    def __init__(self, root: Path) -> None:
        if not root.is_dir():
            raise InputError(
                f"LookML directory {root} does not exist or is not a directory: "
                "pass the root of a LookML project (the folder with *.model.lkml files)"
            )
        self.root = root
        self._files: list[str] | None = None
        self._parsed: dict[Path, dict[str, Any]] = {}

    def display(self, path: Path) -> str:
        return str(path)

    def all_files(self) -> list[str]:
        """Repo-relative posix paths of every file, hidden folders (.git...) left out."""
        if self._files is None:
            self._files = sorted(
                p.relative_to(self.root).as_posix()
                for p in self.root.rglob("*")
                if p.is_file() and not any(part.startswith(".") for part in p.relative_to(self.root).parts)
            )
        return self._files

    def model_files(self) -> list[Path]:
        models = [self.root / f for f in self.all_files() if f.endswith(_MODEL_SUFFIX)]
        if not models:
            raise InputError(
                f"no *{_MODEL_SUFFIX} file found under {self.root}: "
                "pass the root of a LookML project with --lookml-dir"
            )
        return models

    def text(self, path: Path) -> str:
        try:
            return read_text(path, "LookML file")
        except (OSError, UnicodeDecodeError) as exc:
            raise InputError(f"cannot read LookML file {self.display(path)}: {exc}; fix the file") from exc

    def parse(self, path: Path) -> dict[str, Any]:
        if path not in self._parsed:
            import lkml

            text = self.text(path)
            try:
                parsed = lkml.load(text)
            except Exception as exc:  # lkml raises SyntaxError, and others on odd input
                detail = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
                raise InputError(
                    f"{self.display(path)}: not valid LookML ({detail}); fix the file "
                    "or leave it out of the model's include:"
                ) from exc
            self._parsed[path] = parsed if isinstance(parsed, dict) else {}
        return self._parsed[path]

    def constants(self) -> dict[str, str]:
        """Constants of ``manifest.lkml`` (``value:``), with this project's ``override_constant``s."""
        path = self.root / "manifest.lkml"
        if not path.is_file():
            return {}
        data = self.parse(path)
        constants = {c["name"]: str(c.get("value", "")) for c in _named(data.get("constants"))}
        overrides = _named(data.get("override_constants"))
        for key in ("local_dependencies", "remote_dependencies", "local_dependency", "remote_dependency"):
            for dep in _as_list(data.get(key)):
                if isinstance(dep, dict):
                    overrides = _named(dep.get("override_constants")) + overrides
        for override in overrides:
            if "value" in override:
                constants[override["name"]] = str(override["value"])
        return constants

    def glob(self, pattern: str, from_file: Path) -> list[Path]:
        """Files an ``include:`` pattern names (``/``-rooted or relative to ``from_file``, ``*``, ``**``)."""
        if pattern.startswith("//"):
            return []  # another project (remote/local dependency): not part of this repository
        if pattern.startswith("/"):
            full = pattern.lstrip("/")
        else:
            base = from_file.parent.relative_to(self.root).as_posix()
            full = pattern if base in ("", ".") else f"{base}/{pattern}"
        full = _collapse_dots(full)
        for candidate in (full, full + ".lkml", full + ".lookml"):
            regex = _glob_regex(candidate)
            found = [self.root / f for f in self.all_files() if regex.fullmatch(f)]
            if found:
                return found
        return []


def _collapse_dots(path: str) -> str:
    parts: list[str] = []
    for part in path.split("/"):
        if part == "..":
            if parts:
                parts.pop()
        elif part not in ("", "."):
            parts.append(part)
    return "/".join(parts)


def _glob_regex(pattern: str) -> re.Pattern[str]:
    out = []
    i = 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif pattern[i] == "*":
            out.append("[^/]*")
            i += 1
        elif pattern[i] == "?":
            out.append("[^/]")
            i += 1
        else:
            out.append(re.escape(pattern[i]))
            i += 1
    return re.compile("".join(out))


def _line_of(text: str, needle: str) -> int | None:
    for number, line in enumerate(text.splitlines(), start=1):
        if needle in line:
            return number
    return None


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _explore_filter_aliases(spec: dict[str, Any]) -> list[str]:
    """Aliases an explore's own filters always use: ``sql_always_where``/``having``,
    ``always_filter``, ``conditionally_filter`` (applied by default) and ``access_filter`` fields."""
    names: list[str] = []
    for key in ("sql_always_where", "sql_always_having"):
        if isinstance(spec.get(key), str):
            names.extend(tpl.field_ref_views(spec[key]))
    for key in ("always_filter", "conditionally_filter"):
        block = spec.get(key)
        if isinstance(block, dict):
            names.extend(field.partition(".")[0] for field in _filter_fields(block))
    for access in _as_list(spec.get("access_filters")):
        if isinstance(access, dict) and isinstance(access.get("field"), str):
            names.append(access["field"].partition(".")[0])
    return names


def _filter_fields(block: dict[str, Any]) -> list[str]:
    """Field names of a ``filters: [view.field: "value", ...]`` list (lkml: ``filters__all``)."""
    fields = []
    for group in _as_list(block.get("filters__all")):
        for condition in _as_list(group):
            fields.extend(str(k) for k in (condition if isinstance(condition, dict) else {}))
    return fields


def _extends(block: dict[str, Any]) -> list[str]:
    return [str(v) for group in _as_list(block.get("extends__all")) for v in _as_list(group) if v]


def _named(items: Any) -> list[dict[str, Any]]:
    """The well-formed named blocks of a parsed list (lkml yields other shapes on odd input)."""
    return [
        i for i in _as_list(items) if isinstance(i, dict) and i.get("name") and isinstance(i["name"], str)
    ]


def _merge(base: dict[str, Any], over: dict[str, Any], *, list_keys: tuple[str, ...] = ()) -> dict[str, Any]:
    """``over`` on top of ``base``; lists of named items (joins...) merged by name."""
    merged = dict(base)
    for key, value in over.items():
        if key == "name":
            continue
        if key in list_keys and isinstance(value, list) and isinstance(merged.get(key), list):
            by_name = {item["name"]: dict(item) for item in _named(merged[key])}
            for item in _named(value):
                name = item.get("name")
                by_name[name] = _merge(by_name[name], item) if name in by_name else dict(item)
            merged[key] = list(by_name.values())
        else:
            merged[key] = value
    return merged


@dataclass
class _Model:
    name: str
    repo: _Repo
    constants: dict[str, str]
    dialect: str | None
    connection: str | None = None
    dashboard_files: list[Path] = field(default_factory=list)
    # name -> (definitions, refinements), each in include order
    _views: dict[str, tuple[list[dict[str, Any]], list[dict[str, Any]]]] = field(default_factory=dict)
    _explores: dict[str, tuple[list[dict[str, Any]], list[dict[str, Any]]]] = field(default_factory=dict)
    _explore_cache: dict[str, Explore | None] = field(default_factory=dict)
    _sources: dict[str, ViewSource] = field(default_factory=dict)
    _resolving: list[str] = field(default_factory=list)

    # -- loading ---------------------------------------------------------------------------

    def load(self, model_path: Path) -> None:
        data = self.repo.parse(model_path)
        connection = data.get("connection")
        self.connection = str(connection) if connection else None
        seen: set[Path] = set()
        self._load_file(model_path, data, seen)

    def _load_file(self, path: Path, data: dict[str, Any], seen: set[Path]) -> None:
        seen.add(path)
        for view in _named(data.get("views")):
            self._add(self._views, view)
        for explore in _named(data.get("explores")):
            self._add(self._explores, explore)
        for pattern in _as_list(data.get("includes")):
            matches = self.repo.glob(str(pattern), path)
            if not matches and not str(pattern).startswith("//"):
                line = _line_of(self.repo.text(path), str(pattern))
                where = f"{self.repo.display(path)}:{line}" if line else self.repo.display(path)
                raise InputError(
                    f"{where}: include {pattern!r} matches no file; fix the pattern or add the file"
                )
            for match in matches:
                if match in seen or match.name.endswith(_MODEL_SUFFIX):
                    continue
                if match.name.endswith(_DASHBOARD_SUFFIX):
                    seen.add(match)
                    self.dashboard_files.append(match)
                elif match.name.endswith(".lkml"):
                    self._load_file(match, self.repo.parse(match), seen)

    @staticmethod
    def _add(
        store: dict[str, tuple[list[dict[str, Any]], list[dict[str, Any]]]], item: dict[str, Any]
    ) -> None:
        name = str(item.get("name", ""))
        bases, refinements = store.setdefault(name.lstrip("+"), ([], []))
        (refinements if name.startswith("+") else bases).append(item)

    @staticmethod
    def _layers(
        store: dict[str, tuple[list[dict[str, Any]], list[dict[str, Any]]]], name: str
    ) -> list[dict[str, Any]]:
        """Definitions then refinements, in include order; empty when only refinements exist."""
        bases, refinements = store.get(name, ([], []))
        return [*bases, *refinements] if bases else []

    def _definition(
        self,
        store: dict[str, tuple[list[dict[str, Any]], list[dict[str, Any]]]],
        name: str,
        *,
        list_keys: tuple[str, ...] = (),
        exclusive: tuple[str, ...] = (),
        stack: tuple[str, ...] = (),
    ) -> dict[str, Any] | None:
        """A view or explore with its refinements applied and its ``extends`` merged in (own keys win).

        ``exclusive``: keys of which one set on the item itself drops all of them from what it inherits.
        """
        layers = self._layers(store, name)
        if not layers:
            return None
        merged: dict[str, Any] = {}
        for layer in layers:
            merged = _merge(merged, layer, list_keys=list_keys)
        base: dict[str, Any] = {}
        for parent in _extends(merged):
            if parent in stack or parent == name:
                continue
            parent_def = self._definition(
                store, parent, list_keys=list_keys, exclusive=exclusive, stack=(*stack, name)
            )
            if parent_def is not None:
                parent_keys = {k: v for k, v in parent_def.items() if k != "extension"}
                base = _merge(base, parent_keys, list_keys=list_keys)
        own = {k: v for k, v in merged.items() if k != "extends__all"}
        if any(key in own for key in exclusive):
            for key in exclusive:
                base.pop(key, None)
        return _merge(base, own, list_keys=list_keys)

    # -- views -----------------------------------------------------------------------------

    def _view_def(self, name: str) -> dict[str, Any] | None:
        # A view's own sql_table_name or derived_table replaces the inherited one entirely.
        return self._definition(self._views, name, exclusive=("sql_table_name", "derived_table"))

    def view_source(self, name: str) -> ViewSource:
        if name in self._sources:
            return self._sources[name]
        if name in self._resolving:
            return ViewSource(
                name, (), f"view {name} depends on itself (through ${{...SQL_TABLE_NAME}} or explore_source)"
            )
        self._resolving.append(name)
        try:
            source = self._compute_source(name)
        finally:
            self._resolving.pop()
        self._sources[name] = source
        return source

    def _compute_source(self, name: str) -> ViewSource:
        view = self._view_def(name)
        if view is None:
            return ViewSource(name, (), f"view {name} is not defined in any file model {self.name} includes")
        derived = view.get("derived_table")
        if isinstance(derived, dict) and derived.get("sql"):
            return self._derived_sql_source(name, str(derived["sql"]))
        if isinstance(derived, dict) and derived.get("explore_source"):
            return self._explore_source(name, derived["explore_source"])
        if isinstance(derived, dict):
            return ViewSource(name, (), f"derived table of view {name} has neither sql nor explore_source")
        if "sql_table_name" in view:
            return self._table_name_source(name, str(view["sql_table_name"]))
        return ViewSource(name, (name,))  # Looker's default: a table named like the view

    def _table_name_source(self, name: str, raw: str) -> ViewSource:
        from dbtmeta.sqlnames import SqlParseError, split_table_name

        try:
            text, missing = tpl.substitute_constants(raw, self.constants)
        except tpl.ConstantError as exc:
            return ViewSource(name, (), f"sql_table_name: {exc}")
        if missing:
            return ViewSource(name, (), f"sql_table_name uses unknown constant @{{{missing[0]}}}")
        text = tpl.take_prod(text).strip()
        refs = tpl.views_of_table_refs(text)
        if refs and text == f"${{{refs[0]}.SQL_TABLE_NAME}}":
            target = self.view_source(refs[0])
            return ViewSource(name, target.tables, target.problem)
        if tpl.has_liquid(text):
            return ViewSource(
                name, (), f"sql_table_name {raw.strip()!r} uses Liquid, which depends on the user or query"
            )
        if tpl.has_substitution(text):
            return ViewSource(
                name, (), f"sql_table_name {raw.strip()!r} has a substitution that cannot be resolved"
            )
        if text.startswith("("):
            return self._derived_sql_source(name, text.strip("()"))
        try:
            split_table_name(text, self.dialect)
        except SqlParseError as exc:
            return ViewSource(name, (), f"sql_table_name: {exc}")
        return ViewSource(name, (text,))

    def _derived_sql_source(self, name: str, raw: str) -> ViewSource:
        from dbtmeta.sqlnames import SqlParseError, tables_in_sql

        try:
            sql, missing = tpl.substitute_constants(raw, self.constants)
        except tpl.ConstantError as exc:
            return ViewSource(name, (), f"derived table SQL: {exc}")
        if missing:
            return ViewSource(name, (), f"derived table SQL uses unknown constant @{{{missing[0]}}}")
        sql = tpl.neutralise_conditions(tpl.take_prod(sql))
        sql, placeholders = tpl.swap_table_refs(sql)
        if tpl.has_liquid(sql):
            return ViewSource(name, (), "derived table SQL uses Liquid, which depends on the user or query")
        if tpl.has_substitution(sql):
            return ViewSource(name, (), "derived table SQL has a ${...} substitution that cannot be resolved")
        try:
            found = tables_in_sql(sql, self.dialect)
        except SqlParseError as exc:
            return ViewSource(name, (), f"derived table SQL of view {name}: {exc}")
        tables: list[str] = []
        for table in found:
            target_view = placeholders.get(table.strip('"`[]').lower())
            if target_view is None:
                tables.append(table)
                continue
            target = self.view_source(target_view)
            if target.problem:
                return ViewSource(name, (), f"through ${{{target_view}.SQL_TABLE_NAME}}: {target.problem}")
            tables.extend(target.tables)
        return ViewSource(name, tuple(dict.fromkeys(tables)))

    def _explore_source(self, name: str, spec: Any) -> ViewSource:
        from dbtmeta.looker.content import Query
        from dbtmeta.looker.usage import used_aliases

        if not isinstance(spec, dict) or not spec.get("name"):
            return ViewSource(name, (), f"explore_source of view {name} names no explore")
        explore = self.explore(str(spec["name"]))
        if explore is None:
            return ViewSource(
                name,
                (),
                f"explore_source {spec['name']} of view {name} is not an explore of model {self.name}",
            )
        fields = []
        for column in _as_list(spec.get("columns")):
            if isinstance(column, dict):
                target = column.get("field") or f"{explore.base_alias}.{column.get('name', '')}"
                fields.append(str(target))
        for column in _as_list(spec.get("derived_columns")):
            if isinstance(column, dict) and column.get("sql"):
                fields.extend(f"{v}.x" for v in tpl.field_ref_views(str(column["sql"])))
        filters = _filter_fields(spec)
        for bind in _as_list(spec.get("bind_filters__all")) + _as_list(spec.get("bind_filters")):
            if isinstance(bind, dict) and bind.get("to_field"):
                filters.append(str(bind["to_field"]))
        aliases, _unknown = used_aliases(
            explore, Query(self.name, explore.name, tuple(fields), tuple(filters))
        )
        tables: list[str] = []
        for alias in aliases:
            item = explore.view(alias)
            if item is None:
                continue
            if item.source.problem:
                return ViewSource(name, (), f"through explore_source {explore.name}: {item.source.problem}")
            tables.extend(item.source.tables)
        return ViewSource(name, tuple(dict.fromkeys(tables)))

    def field_requires(self, name: str) -> tuple[tuple[str, tuple[str, ...]], ...]:
        """For each field of view ``name`` whose SQL (or filters) reach into another view: those names.

        ``${other.field}`` names an explore alias; ``${field}`` and ``${<this view>.field}`` are this
        view's own fields and are followed, so ``${a}`` -> ``${b}`` -> ``${users.x}`` counts.
        """
        view = self._view_def(name)
        if view is None:
            return ()
        own_names = {name, *(v for g in _as_list(self._views_extends(name)) for v in _as_list(g))}
        direct: dict[str, tuple[set[str], set[str]]] = {}  # field -> (own fields, other aliases)
        for kind in ("dimensions", "dimension_groups", "measures", "filters", "parameters"):
            for item in _as_list(view.get(kind)):
                if not isinstance(item, dict) or not item.get("name"):
                    continue
                own: set[str] = set()
                other: set[str] = set()
                refs = [
                    ref
                    for key in ("sql", "sql_start", "sql_end", "sql_latitude", "sql_longitude")
                    if isinstance(item.get(key), str)
                    for ref in tpl.substitution_refs(item[key])
                ]
                refs.extend(_filter_fields(item))
                for ref in refs:
                    prefix, dot, field_name = ref.partition(".")
                    if ref == "TABLE" or field_name == "SQL_TABLE_NAME":
                        continue
                    if not dot:
                        own.add(prefix)
                    elif prefix in own_names:
                        own.add(field_name)
                    else:
                        other.add(prefix)
                direct[str(item["name"])] = (own, other)
        closed: dict[str, set[str]] = {}

        def reach(field_name: str, stack: frozenset[str]) -> set[str]:
            if field_name in closed:
                return closed[field_name]
            own, other = direct.get(field_name, (set(), set()))
            found = set(other)
            for inner in own - stack - {field_name}:
                found |= reach(inner, stack | {field_name})
            if not stack:
                closed[field_name] = found
            return found

        result = []
        for field_name in direct:
            aliases = reach(field_name, frozenset())
            if aliases:
                result.append((field_name, tuple(sorted(aliases))))
        return tuple(result)

    def _views_extends(self, name: str, stack: tuple[str, ...] = ()) -> list[str]:
        """Every view ``name`` extends, directly or not: their names also mean "this view" in SQL."""
        found: list[str] = []
        for layer in self._layers(self._views, name):
            for parent in _extends(layer):
                if parent not in stack and parent != name and parent not in found:
                    found.append(parent)
                    found.extend(self._views_extends(parent, (*stack, name)))
        return found

    # -- explores --------------------------------------------------------------------------

    def _explore_def(self, name: str) -> dict[str, Any] | None:
        return self._definition(self._explores, name, list_keys=("joins",))

    def explore_names(self) -> list[str]:
        """Explores users can query: defined (not only refined) and not ``extension: required``."""
        names = []
        for name in self._explores:
            layers = self._layers(self._explores, name)
            if layers and not any(str(layer.get("extension", "")) == "required" for layer in layers):
                names.append(name)
        return names

    def explore(self, name: str) -> Explore | None:
        if name not in self._explore_cache:
            self._explore_cache[name] = self._build_explore(name)
        return self._explore_cache[name]

    def _build_explore(self, name: str) -> Explore | None:
        spec = self._explore_def(name)
        if spec is None:
            return None
        base_alias = str(spec.get("view_name") or name)
        base_view = str(spec.get("from") or spec.get("view_name") or name)
        base_source = self.view_source(base_view)
        if spec.get("sql_table_name"):
            base_source = self._table_name_source(base_view, str(spec["sql_table_name"]))
        joins = _named(spec.get("joins"))
        aliases = {base_alias} | {str(j["name"]) for j in joins}
        always = [str(a) for a in _as_list(spec.get("always_join"))] + _explore_filter_aliases(spec)
        always = [a for a in dict.fromkeys(always) if a in aliases and a != base_alias]
        views = [ExploreView(base_alias, base_source, tuple(always), self.field_requires(base_view))]
        for join in joins:
            alias = str(join["name"])
            view = str(join.get("from") or alias)
            source = self.view_source(view)
            if join.get("sql_table_name"):
                source = self._table_name_source(view, str(join["sql_table_name"]))
            required = [str(r) for r in _as_list(join.get("required_joins"))]
            # Looker also brings in the joins a join's sql_on / sql refers to.
            for key in ("sql_on", "sql", "sql_where"):
                if join.get(key):
                    required.extend(tpl.field_ref_views(str(join[key])))
            required = [r for r in dict.fromkeys(required) if r not in (alias, base_alias)]
            views.append(ExploreView(alias, source, tuple(required), self.field_requires(view)))
        return Explore(self.name, name, base_alias, tuple(views), self.connection)

    def explores(self) -> list[Explore]:
        found = [self.explore(name) for name in self.explore_names()]
        return [e for e in found if e is not None]
