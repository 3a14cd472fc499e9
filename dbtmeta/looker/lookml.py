"""Read a LookML repository into ``LookerContent``: models, explores, view sources, dashboards.

``read_lookml(repo_dir)`` finds every ``*.model.lkml``, follows its ``include:`` globs, applies
view/explore refinements (``+name``) and ``extends``, resolves each view to the warehouse tables
it reads (``sql_table_name`` with ``@{constants}`` and ``-- if prod --``, derived tables through
sqlglot, ``${view.SQL_TABLE_NAME}`` and ``explore_source`` followed, Liquid rendered with the
user attributes given) and reads the ``*.dashboard.lookml`` files the model includes. What cannot
be known (a user attribute nobody gave, Liquid that depends on the query) becomes a
``ViewSource.problem``: it is never guessed.

Must not: know about dbt nodes, parse LookML without lkml or SQL without sqlglot, or guess.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from dbtmeta.errors import InputError, OptionError
from dbtmeta.files import read_text
from dbtmeta.looker import lookml_templates as tpl
from dbtmeta.looker.content import (
    Connection,
    Explore,
    ExploreView,
    LookerContent,
    LookmlField,
    LookmlJoin,
    LookmlView,
    NativeTable,
    ViewSource,
    group_field_names,
)
from dbtmeta.looker.lookml_cache import LookmlParser
from dbtmeta.looker.lookml_cache import lkml_log as _lkml_log
from dbtmeta.looker.lookml_index import Names, scan

_MODEL_SUFFIX = ".model.lkml"
_DASHBOARD_SUFFIX = ".dashboard.lookml"


def read_lookml(
    repo_dir: str | Path,
    *,
    base_url: str | None = None,
    dialect: str | None = None,
    imports: Mapping[str, str | Path] | None = None,
    connections: Mapping[str, Connection] | None = None,
    user_attributes: Mapping[str, str] | None = None,
    fields: bool = False,
    scope: Literal["all", "dashboards"] = "all",
    cache_dir: Path | None = None,
    processes: int | None = None,
) -> LookerContent:
    """Parse the LookML project in ``repo_dir``; ``imports`` maps imported project names to directories.

    ``fields``: also read every view's fields and every explore's joins with their ``file:line``
    (``LookerContent.lookml_views`` / ``lookml_joins``, for column lineage: ``looker.fields``).

    ``connections``: defaults the user gives per Looker connection name (database, schema,
    dialect); ``user_attributes``: values for ``_user_attributes[...]`` in Liquid.

    ``scope="dashboards"``: only the explores the dashboards query are built (and only the files
    defining them and their views parsed); ``"all"``: every explore. ``cache_dir``: where parsed
    files are cached by content (None: no cache); ``processes``: how many processes may parse
    (None: one per CPU).

    Raises ``InputError`` (one line) only when there is no project to read. Anything wrong inside the
    project (a malformed file, an include that matches nothing, an imported project not given) is
    recorded in ``LookerContent.problems`` and in the ``ViewSource.problem`` of every view it blocks:
    the rest of the project is still read.
    """
    from dbtmeta.looker.lookml_dashboards import read_dashboards

    parser = LookmlParser(cache_dir, processes)
    repo = _Repo(Path(repo_dir), {name: Path(d) for name, d in (imports or {}).items()}, parser)
    content = LookerContent(source="lookml", base_url=base_url.rstrip("/") if base_url else None)
    given = dict(connections or {})
    attributes = dict(user_attributes or {})
    models: list[_Model] = []
    model_files = repo.model_files()
    repo.prefetch_uncertain()
    for model_path in model_files:
        model_name = model_path.name[: -len(_MODEL_SUFFIX)]
        model = _Model(model_name, repo, repo.constants(None), dialect, attributes)
        model.load(model_path)
        _connect(model, content, given, dialect)
        models.append(model)
        files = [(path, repo.display(path)) for path in model.dashboard_files]
        constants = {path: repo.project_of(path).constants for path in model.dashboard_files}
        dashboards, problems = read_dashboards(files, model_name, content.base_url, constants, parser)
        content.dashboards.extend(dashboards)
        for where, message in problems:
            repo.problem(where, message, model_name)
    _build_explores(models, content, repo, scope=scope, fields=fields)
    content.dashboards.sort(key=lambda d: d.id)
    content.problems = repo.problem_lines()
    return content


def _build_explores(
    models: list[_Model], content: LookerContent, repo: _Repo, *, scope: str, fields: bool
) -> None:
    """Build the explores of every model (``scope="dashboards"``: those the dashboards query only),
    with their fields and joins when ``fields``; note what missing imported projects block."""
    queried = {(q.model, q.explore) for d in content.dashboards for q in d.queries()}
    for model in models:
        only = None if scope == "all" else {e for m, e in queried if m == model.name}
        model.prefetch(only)
        for explore in model.explores(only):
            content.explores[(model.name, explore.name)] = explore
            if fields:
                content.lookml_joins[(model.name, explore.name)] = model.joins(explore.name)
        for view_name in model.view_names() if fields else ():
            view = model.lookml_view(view_name)
            content.lookml_views[(model.name, view_name)] = view
            source = model.explore(view.native.explore) if view.native else None
            if source is not None and (model.name, source.name) not in content.explores:
                # a native derived table's explore is traced even when no dashboard queries it
                content.explores[(model.name, source.name)] = source
                content.lookml_joins[(model.name, source.name)] = model.joins(source.name)
        for project, names in model.blocked.items():
            repo.blocked.setdefault(project, set()).update(names)


def _connect(
    model: _Model, content: LookerContent, given: Mapping[str, Connection], dialect: str | None
) -> None:
    """Record the model's connection, with the defaults the user gave for it (their dialect wins)."""
    if not model.connection:
        return
    known = given.get(model.connection)
    if known is not None:
        model.dialect = known.dialect or dialect
        conn = Connection(model.connection, model.dialect, known.database, known.schema)
    else:
        conn = Connection(model.connection, dialect=dialect)
    content.model_connections[model.name] = model.connection
    content.connections.setdefault(model.connection, conn)


def parse_lookml_imports(items: Iterable[str]) -> dict[str, str]:
    """``["NAME=DIR", ...]`` (``--lookml-import``) -> {name: dir}. Raises ``UsageError`` on bad items."""
    found: dict[str, str] = {}
    for item in items:
        name, eq, directory = item.partition("=")
        name, directory = name.strip().lstrip("/"), directory.strip()
        if not eq or not name or not directory:
            raise OptionError(
                "lookml_import",
                f"{item!r} is not NAME=DIR (the imported project's name as in "
                "manifest.lkml, then the directory of its checkout), e.g. block-config=../block-config",
            )
        if not Path(directory).is_dir():
            raise OptionError(
                "lookml_import",
                f"{name}={directory}: {directory} is not a directory; "
                "give the checkout of the imported LookML project",
            )
        if name in found and found[name] != directory:
            raise OptionError("lookml_import", f"{name} is given twice ({found[name]} and {directory})")
        found[name] = directory
    return found


@dataclass
class _Project:
    """One LookML project: the one being read (``name`` None) or an imported one."""

    name: str | None
    root: Path
    constants: dict[str, str] = field(default_factory=dict)
    files: list[str] | None = None


class _Repo:
    """The files of the LookML project and of the projects it imports, parsed once each."""

    def __init__(self, root: Path, imports: dict[str, Path], parser: LookmlParser | None = None) -> None:
        if not root.is_dir():
            raise InputError(
                f"LookML directory {root} does not exist or is not a directory: "
                "pass the root of a LookML project (the folder with *.model.lkml files)"
            )
        self.root = root
        self.main = _Project(None, root)
        self.projects: dict[str, _Project] = {
            name: _Project(name, directory) for name, directory in imports.items()
        }
        self._parsed: dict[Path, dict[str, Any] | None] = {}
        self._texts: dict[Path, str] = {}  # files the reader asked for: parse, then file:line
        self.parser = parser or LookmlParser(processes=1)
        self._includers: dict[Path, set[str]] = {}  # stood-in file -> models that include it
        self._names: dict[Path, Names | None] = {}  # what the name scan found (None: unreadable)
        self._globs: dict[tuple[str | None, str], list[Path]] = {}  # every model includes the same
        self._owner: dict[Path, _Project] = {}
        self._problems: dict[tuple[str, str], set[str]] = {}
        self.missing: dict[str, list[str]] = {}  # project not given -> where it is included
        self.blocked: dict[str, set[str]] = {}  # project not given -> views/explores it blocks
        self._read_manifests()

    # -- problems --------------------------------------------------------------------------

    def problem(self, where: str, message: str, model: str | None = None) -> None:
        models = self._problems.setdefault((where, message), set())
        if model:
            models.add(model)

    def problem_lines(self) -> list[str]:
        lines = []
        for (where, message), models in self._problems.items():
            who = ""
            if models:
                label = "model" if len(models) == 1 else "models"
                who = f" ({label} {', '.join(sorted(models))})"
            lines.append(f"{where}{who}: {message}")
        for name, sites in self.missing.items():
            blocked = sorted(self.blocked.get(name, ()))
            what = f"; it blocks {', '.join(blocked)}" if blocked else ""
            lines.append(
                f"imported LookML project {name!r} (included by {', '.join(sorted(set(sites)))}) was not "
                f"given: pass --lookml-import {name}=DIR (or lookml_import in the config){what}"
            )
        return sorted(lines)

    # -- files -----------------------------------------------------------------------------

    def display(self, path: Path) -> str:
        return str(path)

    def project_of(self, path: Path) -> _Project:
        return self._owner.get(path, self.main)

    def files(self, project: _Project) -> list[str]:
        """Project-relative posix paths of every file, hidden folders (.git...) left out."""
        if project.files is None:
            root = project.root
            found = []
            for path in root.rglob("*"):
                relative = path.relative_to(root)
                if not any(part.startswith(".") for part in relative.parts) and path.is_file():
                    found.append(relative.as_posix())
            project.files = sorted(found)
        return project.files

    def model_files(self) -> list[Path]:
        models = [self.root / f for f in self.files(self.main) if f.endswith(_MODEL_SUFFIX)]
        if not models:
            raise InputError(
                f"no *{_MODEL_SUFFIX} file found under {self.root}: "
                "pass the root of a LookML project with --lookml-dir"
            )
        return models

    def text(self, path: Path) -> str | None:
        known = self._texts.get(path)
        if known is not None:
            return known
        try:
            text = read_text(path, "LookML file")
        except (OSError, UnicodeDecodeError) as exc:
            self.problem(self.display(path), f"cannot read the file ({exc}); fix the file")
            return None
        self._texts[path] = text
        return text

    def parse(self, path: Path, model: str | None = None) -> dict[str, Any] | None:
        """The file's LookML with its project's ``@{constants}`` substituted; None (a problem) if bad."""
        if path not in self._parsed:
            self._parsed[path] = self._parse(path)
        if model and self._problems:  # the file's problems concern every model that includes it
            display = self.display(path)
            for (where, _message), models in self._problems.items():
                if where == display:
                    models.add(model)
        return self._parsed[path]

    def parse_or_stub(self, path: Path, model: str) -> dict[str, Any] | None:
        """``parse(path, model)``, or, for a file the name scan vouches for, a stand-in listing the
        views and explores it may define as ``{"name": ..., _STUB: (path, kind)}``: the file is
        parsed when a model asks for one of them (``_Model._layers``)."""
        if path in self._parsed:
            return self.parse(path, model)
        if path not in self._names:
            text = self.text(path)
            self._names[path] = scan(text) if text is not None else None
        names = self._names[path]
        if names is None or not names.certain:
            return self.parse(path, model)
        self._includers.setdefault(path, set()).add(model)
        return {
            _STUB: path,
            "views": [{"name": n, _STUB: (path, "views")} for n in names.views],
            "explores": [{"name": n, _STUB: (path, "explores")} for n in names.explores],
        }

    def realize(self, path: Path) -> dict[str, Any] | None:
        """A stood-in file parsed; its problems concern every model that included it."""
        for model in sorted(self._includers.get(path, ())):
            self.parse(path, model)
        return self.parse(path)

    def prefetch_uncertain(self) -> None:
        """Parse together, ahead, the files the name scan cannot vouch for (models, files with
        includes): the models read them one by one. Unreadable files are left for the reader."""
        paths = []
        for project in (self.main, *self.projects.values()):
            for name in self.files(project):
                path = project.root / name
                if not name.endswith(_LOOKML_EXTENSIONS) or name.endswith(_DASHBOARD_SUFFIX):
                    continue
                if path not in self._names:
                    try:
                        # not kept: most files of a big repository are never parsed
                        self._names[path] = scan(read_text(path, "LookML file"))
                    except (OSError, UnicodeDecodeError, InputError):
                        continue
                names = self._names[path]
                if names is not None and not names.certain:
                    paths.append(path)
        self.prefetch(paths)

    def prefetch(self, paths: Iterable[Path]) -> None:
        """Parse ``paths`` not parsed yet together (in parallel processes when there are many)."""
        texts = [text for p in dict.fromkeys(paths) if p not in self._parsed if (text := self.text(p))]
        self.parser.parse_many(texts)

    def _parse(self, path: Path) -> dict[str, Any] | None:
        text = self.text(path)
        if text is None:
            return None
        result = self.parser.parse(text)
        if result.error is not None:
            self.problem(
                self.display(path),
                f"not valid LookML ({result.error}); fix the file or leave it out of the include:",
            )
            return None
        for message in result.messages:
            self.problem(self.display(path), f"lkml: {message}")
        parsed = result.data
        if not isinstance(parsed, dict):
            return {}
        constants = self.project_of(path).constants
        return tpl.substitute_all(parsed, constants) if constants else parsed

    # -- manifests and constants -----------------------------------------------------------

    def _read_manifests(self) -> None:
        """Constants of every project: each project's own, the importer's ``override_constant``s on top."""
        own = self._manifest(self.main)
        self.main.constants = {c["name"]: str(c.get("value", "")) for c in _named(own.get("constants"))}
        for override in _named(own.get("override_constants")):  # not Looker's syntax; kept for old files
            if "value" in override:
                self.main.constants[override["name"]] = str(override["value"])
        self.main.constants = _resolve_constants(self.main.constants)
        overrides: dict[str, list[dict[str, Any]]] = {}
        for dep in _dependencies(own):
            raw_name = str(dep.get("project") or dep.get("name") or "")
            name = tpl.substitute_or_keep(raw_name, self.main.constants)
            overrides.setdefault(name, []).extend(_named(dep.get("override_constants")))
        # Every project given, declared here or not (an imported project may import one itself).
        for name, project in self.projects.items():
            theirs = self._manifest(project)
            constants = {c["name"]: str(c.get("value", "")) for c in _named(theirs.get("constants"))}
            for override in overrides.get(name, []):
                if "value" in override:
                    # The value is written in the importing project: "@{X}" is the importer's X.
                    value = tpl.substitute_or_keep(str(override["value"]), self.main.constants)
                    constants[override["name"]] = value
            project.constants = _resolve_constants(constants)
        for project in self.projects.values():
            for name, value in project.constants.items():
                # Old habit this reader kept: the importer's files may use an imported project's constant.
                self.main.constants.setdefault(name, value)

    def _manifest(self, project: _Project) -> dict[str, Any]:
        path = project.root / "manifest.lkml"
        if not path.is_file():
            return {}
        self._owner[path] = project
        import lkml

        text = self.text(path)
        if text is None:
            return {}
        with _lkml_log() as messages:
            try:
                data = lkml.load(text)
            except Exception as exc:
                detail = (str(exc).splitlines()[0] if str(exc) else type(exc).__name__).strip('"')
                self.problem(
                    self.display(path), f"not valid LookML ({detail}); its constants and imports are not used"
                )
                return {}
        for message in messages:
            self.problem(self.display(path), f"lkml: {message}")
        return data if isinstance(data, dict) else {}

    def constants(self, project: _Project | None) -> dict[str, str]:
        return (project or self.main).constants

    # -- includes --------------------------------------------------------------------------

    def glob(self, pattern: str, from_file: Path) -> list[Path] | None:
        """Files an ``include:`` names; None when it names an imported project that was not given.

        ``/``-rooted or relative to ``from_file``; ``//project/...`` in an imported project; ``*``,
        ``**``, ``?`` and ``[...]`` / ``[!...]`` classes; ``.lkml``/``.lookml`` may be left out.
        """
        project = self.project_of(from_file)
        if pattern.startswith("//"):
            name, _, rest = pattern[2:].partition("/")
            target = self.projects.get(name)
            if target is None:
                return None
            project, full = target, rest
        elif pattern.startswith("/"):
            full = pattern.lstrip("/")
        else:
            base = from_file.parent.relative_to(project.root).as_posix()
            full = pattern if base in ("", ".") else f"{base}/{pattern}"
        full = _collapse_dots(full)
        if (project.name, full) in self._globs:
            return list(self._globs[(project.name, full)])
        regex = _glob_regex(full, optional_suffix=r"(?:\.lkml|\.lookml)?")
        found = []
        for name in self.files(project):
            if name.endswith(_LOOKML_EXTENSIONS) and regex.fullmatch(name):
                path = project.root / name
                self._owner[path] = project
                found.append(path)
        self._globs[(project.name, full)] = found
        return list(found)


_LOOKML_EXTENSIONS = (".lkml", ".lookml")
_MISSING_PARENTS = "__dbtmeta_missing_extends__"  # set on a merged definition whose extends are undefined
_STUB = "__dbtmeta_not_parsed_yet__"  # a view/explore standing for the file that may define it


def _dependencies(manifest: dict[str, Any]) -> list[dict[str, Any]]:
    deps: list[dict[str, Any]] = []
    for key in ("local_dependencies", "remote_dependencies", "local_dependency", "remote_dependency"):
        deps.extend(d for d in _as_list(manifest.get(key)) if isinstance(d, dict))
    return deps


def _resolve_constants(constants: dict[str, str]) -> dict[str, str]:
    """Constants whose values use other constants of the same project, expanded."""
    return {name: tpl.substitute_or_keep(value, constants) for name, value in constants.items()}


def _collapse_dots(path: str) -> str:
    parts: list[str] = []
    for part in path.split("/"):
        if part == "..":
            if parts:
                parts.pop()
        elif part not in ("", "."):
            parts.append(part)
    return "/".join(parts)


def _glob_regex(pattern: str, optional_suffix: str = "") -> re.Pattern[str]:
    """A Looker include pattern as a regex over project-relative paths (then ``optional_suffix``)."""
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
        elif pattern[i] == "[" and pattern.find("]", i + 2) != -1:
            end = pattern.find("]", i + 2)  # a ']' right after '[' (or '[!') is part of the class
            body = pattern[i + 1 : end]
            negate = body[:1] in ("!", "^")
            if negate:
                body = body[1:]
            body = body.replace("\\", "\\\\").replace("[", "\\[").replace("]", "\\]").replace("^", "\\^")
            out.append(f"[^/{body}]" if negate else f"[{body}]")
            i = end + 1
        else:
            out.append(re.escape(pattern[i]))
            i += 1
    try:
        return re.compile("".join(out) + optional_suffix)
    except re.error:  # e.g. a reversed range [z-a]: Looker matches nothing with it either
        return re.compile("(?!)")


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
    """Field names of ``filters: [view.field: "value", ...]`` and of the older block form
    ``filters: { field: view.field value: "x" }`` (lkml gives both as ``filters__all``)."""
    fields: list[str] = []
    for group in _as_list(block.get("filters__all")) + _as_list(block.get("filters")):
        for condition in _as_list(group):
            if not isinstance(condition, dict):
                continue
            if isinstance(condition.get("field"), str) and set(condition) <= {"field", "value"}:
                fields.append(condition["field"])
            else:
                fields.extend(str(k) for k in condition)
    return fields


def _native_table(spec: dict[str, Any], base_alias: str) -> NativeTable:
    """An ``explore_source`` block as lkml parses it: ``column: name {}`` is the base view's field
    ``name``; the filters are ``filters``, ``bind_filters``' ``to_field`` and the ``${view.field}``
    of ``expression_custom_filter``."""
    columns: list[tuple[str, str]] = []
    for column in _as_list(spec.get("columns")):
        if isinstance(column, dict) and column.get("name"):
            name = str(column["name"])
            columns.append((name, str(column.get("field") or f"{base_alias}.{name}")))
    derived = [
        (str(c["name"]), str(c["sql"]))
        for c in _as_list(spec.get("derived_columns"))
        if isinstance(c, dict) and c.get("name") and c.get("sql")
    ]
    filters = _filter_fields(spec)
    for bind in _as_list(spec.get("bind_filters__all")) + _as_list(spec.get("bind_filters")):
        if isinstance(bind, dict) and bind.get("to_field"):
            filters.append(str(bind["to_field"]))
    if isinstance(spec.get("expression_custom_filter"), str):
        filters.extend(tpl.field_refs(spec["expression_custom_filter"]))
    return NativeTable(str(spec["name"]), tuple(columns), tuple(derived), tuple(dict.fromkeys(filters)))


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
    user_attributes: dict[str, str] = field(default_factory=dict)
    connection: str | None = None
    dashboard_files: list[Path] = field(default_factory=list)
    # name -> (definitions, refinements), each in include order
    _views: dict[str, tuple[list[dict[str, Any]], list[dict[str, Any]]]] = field(default_factory=dict)
    _explores: dict[str, tuple[list[dict[str, Any]], list[dict[str, Any]]]] = field(default_factory=dict)
    _explore_cache: dict[str, Explore | None] = field(default_factory=dict)
    _sources: dict[tuple[str, str | None], ViewSource] = field(default_factory=dict)
    _resolving: list[str] = field(default_factory=list)
    missing_projects: list[str] = field(default_factory=list)  # //project/ includes not given
    # includes that failed: hints for what is missing (a stood-in file: a hint if it cannot be parsed)
    notes: list[str | Path] = field(default_factory=list)
    blocked: dict[str, set[str]] = field(default_factory=dict)  # missing project -> what it blocks
    # views whose tables depend on the explore (Liquid reading _explore._name), directly or not
    _per_explore: set[str] = field(default_factory=set)
    _explore_ctx: str | None = None  # the explore being built, for _explore._name
    _layer_files: dict[int, Path] = field(default_factory=dict)  # id(view/explore block) -> its file
    _lines: dict[Path, dict[tuple[str, str, str], int]] = field(default_factory=dict)  # see _line_index
    _requires: dict[str, tuple[tuple[str, tuple[str, ...]], ...]] = field(default_factory=dict)

    # -- loading ---------------------------------------------------------------------------

    def load(self, model_path: Path) -> None:
        data = self.repo.parse(model_path, self.name) or {}
        connection = data.get("connection")
        # `connection: "@{connection}"` in blocks: messages and --connection use the real name
        name = tpl.substitute_or_keep(str(connection), self.constants).strip() if connection else ""
        self.connection = name or None
        seen: set[Path] = set()
        self._load_file(model_path, data, seen)

    def _load_file(self, path: Path, data: dict[str, Any], seen: set[Path]) -> None:
        seen.add(path)
        for view in _named(data.get("views")):
            self._add(self._views, view)
            self._layer_files[id(view)] = path
        for explore in _named(data.get("explores")):
            self._add(self._explores, explore)
            self._layer_files[id(explore)] = path
        for pattern in _as_list(data.get("includes")):
            if not isinstance(pattern, str) or not pattern.strip():
                continue
            matches = self.repo.glob(pattern, path)
            if matches is None:  # an imported project that was not given
                project = pattern[2:].partition("/")[0]
                self.repo.missing.setdefault(project, []).append(self._where(path, pattern))
                if project not in self.missing_projects:
                    self.missing_projects.append(project)
                continue
            if not matches:
                where = self._where(path, pattern)
                self.repo.problem(
                    where, f"include {pattern!r} matches no file; fix the pattern or add the file", self.name
                )
                self.notes.append(f"include {pattern!r} at {where} matches no file")
                continue
            for match in matches:
                if match in seen:
                    continue
                if match.name.endswith(_DASHBOARD_SUFFIX):
                    seen.add(match)
                    self.dashboard_files.append(match)
                    continue
                parsed = self.repo.parse_or_stub(match, self.name)
                if parsed is None:
                    seen.add(match)
                    self.notes.append(f"{self.repo.display(match)} could not be read")
                    continue
                if _STUB in parsed:
                    self.notes.append(match)
                # An included model file (Looker's blocks include their config project's) brings its
                # views, explores and includes; its connection stays its own.
                self._load_file(match, parsed, seen)

    def _where(self, path: Path, pattern: str) -> str:
        """``file:line`` of an include (its pattern may have had ``@{constants}`` substituted)."""
        text = self.repo.text(path) or ""
        constants = self.repo.project_of(path).constants
        line = _line_of(text, pattern) or _line_of(
            "\n".join(tpl.substitute_or_keep(t, constants) for t in text.splitlines()), pattern
        )
        return f"{self.repo.display(path)}:{line}" if line else self.repo.display(path)

    def _undefined(self, what: str, name: str, blocked: str | None = None) -> str:
        """Why ``name`` is missing, naming the imported projects not given and the broken includes.

        ``blocked``: what this leaves unresolved (default: ``what name``), listed in the problem of
        each imported project not given.
        """
        message = f"{what} {name} is not defined in any file model {self.name} includes"
        if self.missing_projects:
            projects = ", ".join(self.missing_projects)
            flags = " ".join(f"--lookml-import {p}=DIR" for p in self.missing_projects)
            message += f"; it may be in imported project {projects}, not given ({flags})"
            for project in self.missing_projects:
                self.blocked.setdefault(project, set()).add(blocked or f"{what} {name}")
        self.repo.prefetch(n for n in self.notes if isinstance(n, Path))
        notes = [
            note if isinstance(note, str) else f"{self.repo.display(note)} could not be read"
            for note in self.notes
            if isinstance(note, str) or self.repo.realize(note) is None
        ]
        if notes:
            message += "; " + "; ".join(dict.fromkeys(notes))
        return message

    @staticmethod
    def _add(
        store: dict[str, tuple[list[dict[str, Any]], list[dict[str, Any]]]], item: dict[str, Any]
    ) -> None:
        name = str(item.get("name", ""))
        bases, refinements = store.setdefault(name.lstrip("+"), ([], []))
        (refinements if name.startswith("+") else bases).append(item)

    def _layers(
        self, store: dict[str, tuple[list[dict[str, Any]], list[dict[str, Any]]]], name: str
    ) -> list[dict[str, Any]]:
        """Definitions then refinements, in include order; empty when only refinements exist."""
        bases, refinements = store.get(name, ([], []))
        for items in (bases, refinements):
            if any(_STUB in item for item in items):
                items[:] = [real for item in items for real in self._realize(item)]
        return [*bases, *refinements] if bases else []

    def _realize(self, item: dict[str, Any]) -> list[dict[str, Any]]:
        """The items a stand-in stands for: those of its name in its file, parsed now (maybe none)."""
        if _STUB not in item:
            return [item]
        path, kind = item[_STUB]
        parsed = self.repo.realize(path) or {}
        found = [real for real in _named(parsed.get(kind)) if real["name"] == item["name"]]
        for real in found:  # for file:line of fields and joins, as for blocks read eagerly
            self._layer_files[id(real)] = path
        return found

    def prefetch(self, explores: set[str] | None) -> None:
        """Parse together the files that define ``explores`` (None: all), then those of their views."""

        def files(
            store: dict[str, tuple[list[dict[str, Any]], list[dict[str, Any]]]], names: Any
        ) -> list[Path]:
            return [
                item[_STUB][0]
                for name in names
                for items in store.get(name, ([], []))
                for item in items
                if _STUB in item
            ]

        if explores is None:
            paths = [note for note in self.notes if isinstance(note, Path)]  # every stood-in file
            self.repo.prefetch(paths)
            for path in paths:  # every file's problems are reported, as without stand-ins
                self.repo.realize(path)
            return
        self.repo.prefetch(files(self._explores, explores))
        views: list[str] = []
        for name in explores:
            spec = self._explore_def(name) or {}
            views += [str(spec.get(k)) for k in ("from", "view_name") if spec.get(k)] + [name]
            views += [str(j.get("from") or j["name"]) for j in _named(spec.get("joins"))]
        self.repo.prefetch(files(self._views, dict.fromkeys(views)))

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
        missing: list[str] = []  # what it extends that is defined nowhere: never silently dropped
        for parent in _extends(merged):
            if parent in stack or parent == name:
                continue
            parent_def = self._definition(
                store, parent, list_keys=list_keys, exclusive=exclusive, stack=(*stack, name)
            )
            if parent_def is None:
                missing.append(parent)
                continue
            missing.extend(parent_def.get(_MISSING_PARENTS, ()))
            parent_keys = {k: v for k, v in parent_def.items() if k not in ("extension", _MISSING_PARENTS)}
            base = _merge(base, parent_keys, list_keys=list_keys)
        own = {k: v for k, v in merged.items() if k != "extends__all"}
        if any(key in own for key in exclusive):
            for key in exclusive:
                base.pop(key, None)
        result = _merge(base, own, list_keys=list_keys)
        if missing:
            result[_MISSING_PARENTS] = list(dict.fromkeys(missing))
        return result

    # -- views -----------------------------------------------------------------------------

    def _view_def(self, name: str) -> dict[str, Any] | None:
        # A view's own sql_table_name or derived_table replaces the inherited one entirely.
        return self._definition(self._views, name, exclusive=("sql_table_name", "derived_table"))

    def view_source(self, name: str) -> ViewSource:
        key = (name, self._explore_ctx if name in self._per_explore else None)
        if key in self._sources:
            if name in self._per_explore:
                self._per_explore.update(self._resolving)
            return self._sources[key]
        if name in self._resolving:
            return ViewSource(
                name, (), f"view {name} depends on itself (through ${{...SQL_TABLE_NAME}} or explore_source)"
            )
        self._resolving.append(name)
        try:
            source = self._compute_source(name)
        finally:
            self._resolving.pop()
        self._sources[(name, self._explore_ctx if name in self._per_explore else None)] = source
        return source

    def _render(self, view: str, text: str) -> tuple[str | None, str | None]:
        """Liquid in ``text`` rendered for ``view`` (text unchanged when it has none)."""
        if not tpl.has_liquid(text):
            return text, None
        if tpl.uses_explore_name(text):
            self._per_explore.update(self._resolving)
        context = tpl.LiquidContext(self.name, view, self._explore_ctx, self.user_attributes)
        return tpl.render_liquid(text, context)

    def _compute_source(self, name: str) -> ViewSource:
        view = self._view_def(name)
        if view is None:
            return ViewSource(name, (), self._undefined("view", name))
        if view.get(_MISSING_PARENTS):
            parent = view[_MISSING_PARENTS][0]
            why = self._undefined("view", parent, f"view {name} (extends {parent})")
            return ViewSource(name, (), f"view {name} extends {parent}: {why}")
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

        shown = " ".join(raw.split())  # one line in messages
        rendered, problem = self._expand(name, raw, "sql_table_name", f"sql_table_name {shown!r}", False)
        if rendered is None:
            return ViewSource(name, (), problem)
        text = rendered.strip()
        refs = tpl.views_of_table_refs(text)
        if refs and text == f"${{{refs[0]}.SQL_TABLE_NAME}}":
            target = self.view_source(refs[0])
            return ViewSource(name, target.tables, target.problem)
        if tpl.has_substitution(text):
            return ViewSource(
                name, (), f"sql_table_name {shown!r} has a substitution that cannot be resolved"
            )
        if text.startswith("("):
            return self._derived_sql_source(name, text.strip("()"))
        try:
            split_table_name(text, self.dialect)
        except SqlParseError as exc:
            return ViewSource(name, (), f"sql_table_name: {exc}")
        return ViewSource(name, (text,))

    def _expand(
        self, name: str, raw: str, what: str, rendered_what: str, neutralise: bool
    ) -> tuple[str | None, str]:
        """``raw`` with its constants substituted, the ``-- if prod --`` branch taken and its Liquid
        rendered (``neutralise``: ``{% condition %}`` filters of SQL become 1=1): ``(text, "")``, or
        ``(None, problem)`` with the problem worded for ``what`` / ``rendered_what``."""
        try:
            text, missing = tpl.substitute_constants(raw, self.constants)
        except tpl.ConstantError as exc:
            return None, f"{what}: {exc}"
        if missing:
            return None, f"{what} uses unknown constant @{{{missing[0]}}}"
        text = tpl.take_prod(text)
        rendered, problem = self._render(name, tpl.neutralise_conditions(text) if neutralise else text)
        if rendered is None:
            return None, f"{rendered_what} {problem}"
        return rendered, ""

    def _derived_sql(self, name: str, raw: str) -> tuple[str, dict[str, str], str | None]:
        """(SQL with ``${v.SQL_TABLE_NAME}`` as placeholders, placeholder -> view, problem)."""
        what = "derived table SQL"
        rendered, problem = self._expand(name, raw, what, f"{what} of view {name}", True)
        if rendered is None:
            return "", {}, problem
        sql, placeholders = tpl.swap_table_refs(rendered)
        if tpl.has_substitution(sql):
            refs = tpl.substitution_refs(sql)
            first = f"${{{refs[0]}}}" if refs else "an @{constant} not defined"
            return (
                "",
                {},
                f"derived table SQL of view {name} has {first}, which cannot be resolved there",
            )
        return sql, placeholders, None

    def _derived_sql_source(self, name: str, raw: str) -> ViewSource:
        from dbtmeta.sqlnames import SqlParseError, tables_in_sql

        sql, placeholders, problem = self._derived_sql(name, raw)
        if problem:
            return ViewSource(name, (), problem)
        try:
            found = tables_in_sql(sql, self.dialect)
        except SqlParseError as exc:
            return ViewSource(name, (), f"derived table SQL of view {name}: {exc}")
        return self._through_placeholders(name, found, placeholders)

    def _through_placeholders(
        self, name: str, found: list[str], placeholders: dict[str, str], skip: str | None = None
    ) -> ViewSource:
        """The tables SQL reads, with each ``${view.SQL_TABLE_NAME}`` placeholder replaced by that
        view's own tables (``skip``: a placeholder that stands for no table)."""
        tables: list[str] = []
        for table in found:
            bare = table.strip('"`[]').lower()
            if bare == skip:
                continue
            target_view = placeholders.get(bare)
            if target_view is None:
                tables.append(table)
                continue
            target = self.view_source(target_view)
            if target.problem:
                return ViewSource(name, (), f"through ${{{target_view}.SQL_TABLE_NAME}}: {target.problem}")
            tables.extend(target.tables)
        return ViewSource(name, tuple(dict.fromkeys(tables)))

    def _join_sql_source(self, name: str, alias: str, raw: Any) -> ViewSource:
        """Tables a join's own ``sql:`` clause reads: none for ``sql: ;;`` (nested fields read
        through the parent view) or ``LEFT JOIN UNNEST(${parent.array})``."""
        from dbtmeta.sqlnames import SqlParseError, tables_in_sql

        what = f"join {alias} sql"
        rendered, problem = self._expand(name, str(raw or ""), what, what, True)
        if rendered is None:
            return ViewSource(name, (), problem)
        if not rendered.strip():
            return ViewSource(name, ())
        sql, placeholders = tpl.swap_table_refs(rendered)
        # `${view.field}` markers (LookML, not SQL) become plain column names sqlglot can parse.
        sql = tpl.swap_field_refs(sql)
        base = tpl.PLACEHOLDER_PREFIX + "join_base"
        try:
            found = tables_in_sql(f"SELECT * FROM {base} {sql}", self.dialect)
        except SqlParseError as exc:
            return ViewSource(name, (), f"join {alias} sql: {exc}")
        return self._through_placeholders(name, found, placeholders, skip=base)

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
        native = _native_table(spec, explore.base_alias)
        fields = [target for _, target in native.columns]
        for _, sql in native.derived_columns:
            fields.extend(f"{v}.x" for v in tpl.field_ref_views(sql))
        aliases, _unknown = used_aliases(
            explore, Query(self.name, explore.name, tuple(fields), native.filters)
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
        if name not in self._requires:  # a view is in many explores: the same answer for each
            self._requires[name] = self._field_requires(name)
        return self._requires[name]

    def _field_requires(self, name: str) -> tuple[tuple[str, tuple[str, ...]], ...]:
        view = self._view_def(name)
        if view is None:
            return ()
        own_names = {name, *(v for g in _as_list(self._views_extends(name)) for v in _as_list(g))}
        direct: dict[str, tuple[set[str], set[str]]] = {}  # field -> (own fields, other aliases)
        names: dict[str, tuple[str, ...]] = {}  # field -> the names a query selects it by
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
                names[str(item["name"])] = _selectable_names(kind, item)
        # ``${created_date}`` reads the group ``created``; an exact field name wins over a group's.
        key_of = {n: key for key, group in names.items() if len(group) > 1 for n in group}
        key_of.update({key: key for key, group in names.items() if len(group) == 1})
        closed: dict[str, set[str]] = {}

        def reach(field_name: str, stack: frozenset[str]) -> set[str]:
            field_name = key_of.get(field_name, field_name)
            if field_name in closed:
                return closed[field_name]
            own, other = direct.get(field_name, (set(), set()))
            found = set(other)
            for inner in own - stack - {field_name}:
                found |= reach(inner, stack | {field_name})
            if not stack:
                closed[field_name] = found
            return found

        result: list[tuple[str, tuple[str, ...]]] = []
        for field_name in direct:
            aliases = reach(field_name, frozenset())
            if aliases:
                result.extend(
                    (n, tuple(sorted(aliases)))
                    for n in names[field_name]
                    if n == field_name or len(names.get(n, ())) != 1  # a field of that name wins
                )
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

    def explore_names(self, only: set[str] | None = None) -> list[str]:
        """Explores users can query: defined (not only refined) and not ``extension: required``
        (``only``: of these names)."""
        names = []
        for name in self._explores:
            if only is not None and name not in only:
                continue
            layers = self._layers(self._explores, name)
            if layers and not any(str(layer.get("extension", "")) == "required" for layer in layers):
                names.append(name)
        return names

    def explore(self, name: str) -> Explore | None:
        if name not in self._explore_cache:
            outer, self._explore_ctx = self._explore_ctx, name
            try:
                self._explore_cache[name] = self._build_explore(name)
            finally:
                self._explore_ctx = outer
        return self._explore_cache[name]

    def _build_explore(self, name: str) -> Explore | None:
        spec = self._explore_def(name)
        if spec is None:
            return None
        base_alias = str(spec.get("view_name") or name)
        if spec.get(_MISSING_PARENTS):
            parent = spec[_MISSING_PARENTS][0]
            why = self._undefined("explore", parent, f"explore {name} (extends {parent})")
            problem = f"explore {name} extends {parent}: {why}"
            source = ViewSource(str(spec.get("from") or base_alias), (), problem)
            return Explore(self.name, name, base_alias, (ExploreView(base_alias, source),), self.connection)
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
            if "sql" in join:  # the join clause written out: its tables, not the view's
                source = self._join_sql_source(view, alias, join.get("sql"))
            elif join.get("sql_table_name"):
                source = self._table_name_source(view, str(join["sql_table_name"]))
            else:
                source = self.view_source(view)
            required = [str(r) for r in _as_list(join.get("required_joins"))]
            # Looker also brings in the joins a join's sql_on / sql refers to.
            for key in ("sql_on", "sql", "sql_where"):
                if join.get(key):
                    required.extend(tpl.field_ref_views(str(join[key])))
            required = [r for r in dict.fromkeys(required) if r not in (alias, base_alias)]
            views.append(ExploreView(alias, source, tuple(required), self.field_requires(view)))
        return Explore(self.name, name, base_alias, tuple(views), self.connection)

    def explores(self, only: set[str] | None = None) -> list[Explore]:
        found = [self.explore(name) for name in self.explore_names(only)]
        return [e for e in found if e is not None]

    # -- fields (column lineage) -----------------------------------------------------------

    def view_names(self) -> list[str]:
        """Views defined (not only refined) in the files the model includes."""
        return [name for name in self._views if self._layers(self._views, name)]

    def _view_layers(self, name: str, stack: tuple[str, ...] = ()) -> list[tuple[str, dict[str, Any]]]:
        """(view name, block) of the views ``name`` extends (their own parents first), then its own."""
        own = self._layers(self._views, name)
        found: list[tuple[str, dict[str, Any]]] = []
        for layer in own:
            for parent in _extends(layer):
                if parent not in stack and parent != name:
                    found.extend(self._view_layers(parent, (*stack, name)))
        return found + [(name, layer) for layer in own]

    def lookml_view(self, name: str) -> LookmlView:
        """The fields of view ``name`` as Looker merges them (extends, then refinements, later wins)."""
        definition = self._view_def(name) or {}
        derived = definition.get("derived_table")
        derived_sql: str | None = None
        placeholders: dict[str, str] = {}
        problem: str | None = None
        native: NativeTable | None = None
        if isinstance(derived, dict) and derived.get("sql"):
            sql, placeholders, problem = self._derived_sql(name, str(derived["sql"]))
            derived_sql = sql if problem is None else None
        elif isinstance(derived, dict):
            native, problem = self._native(name, derived.get("explore_source"))
        return LookmlView(
            model=self.name,
            name=name,
            fields=self._lookml_fields(name),
            own_names=(name, *self._views_extends(name)),
            derived_sql=derived_sql,
            placeholders=tuple(sorted(placeholders.items())),
            derived_problem=problem,
            native=native,
        )

    def _lookml_fields(self, name: str) -> tuple[LookmlField, ...]:
        """Every field of view ``name``, its layers merged, with the ``file:line`` of its definition."""
        # keyed (is a dimension group, name): ``dimension_group: x`` makes x_date..., not a field x
        merged: dict[tuple[bool, str], dict[str, Any]] = {}
        kinds: dict[tuple[bool, str], str] = {}
        where: dict[tuple[bool, str], tuple[str, dict[str, Any], str]] = {}  # -> (view, layer, kind)
        for view_name, layer in self._view_layers(name):
            for key, kind in _FIELD_KINDS.items():
                for item in _named(layer.get(key)):
                    field_key = (kind == "dimension_group", item["name"])
                    merged[field_key] = {**merged.get(field_key, {}), **item}
                    kinds[field_key] = kind
                    if field_key not in where or "sql" in item:
                        where[field_key] = (view_name, layer, kind)
        fields: list[LookmlField] = []
        for (is_group, field_name), item in merged.items():
            view_name, layer, kind = where[(is_group, field_name)]
            path = self._layer_files.get(id(layer))
            file, line = (
                (self.repo.display(path), self._field_line(path, view_name, kind, field_name))
                if path
                else (None, None)
            )
            sql = item.get("sql")
            fields.append(
                LookmlField(
                    view=name,
                    name=field_name,
                    kind=kinds[(is_group, field_name)],
                    type=str(item["type"]) if item.get("type") is not None else None,
                    sql=str(sql) if sql is not None else None,
                    extra_sql=tuple(str(item[k]) for k in _EXTRA_SQL_KEYS if isinstance(item.get(k), str)),
                    filters=tuple(_filter_fields(item)),
                    timeframes=tuple(
                        str(t) for t in _as_list(item.get("timeframes") or item.get("intervals"))
                    ),
                    file=file,
                    line=line,
                    primary_key=str(item.get("primary_key", "")).lower() == "yes",
                )
            )
        return tuple(fields)

    def _native(self, name: str, spec: Any) -> tuple[NativeTable | None, str | None]:
        """The ``explore_source`` of view ``name`` read for column lineage, or why it cannot be."""
        if not spec:
            return None, f"derived table of view {name} has neither sql nor explore_source"
        if not isinstance(spec, dict) or not spec.get("name"):
            return None, f"explore_source of view {name} names no explore"
        explore = self.explore(str(spec["name"]))
        if explore is None:
            return (
                None,
                f"explore_source {spec['name']} of view {name} is not an explore of model {self.name}",
            )
        return _native_table(spec, explore.base_alias), None

    def _field_line(self, path: Path, view: str, kind: str, field_name: str) -> int | None:
        """Line of ``kind: field_name {`` inside the block of view ``view`` (or ``+view``) in ``path``."""
        return self._line_index(path).get((view, kind, field_name))

    def _line_index(self, path: Path) -> dict[tuple[str, str, str], int]:
        """(view, kind, name) -> first line of ``kind: name {`` after ``view: [+]view {``, and
        (explore, "join", alias) -> line of ``join: alias {`` in that explore; one pass per file."""
        if path not in self._lines:
            index: dict[tuple[str, str, str], int] = {}
            view = explore = ""
            for number, text in enumerate((self.repo.text(path) or "").splitlines(), start=1):
                match = _BLOCK_LINE.match(text)
                if match is None:
                    continue
                kind, name = match.group(1), match.group(2)
                if kind == "view":
                    view, explore = name.lstrip("+"), ""
                elif kind == "join":
                    index.setdefault((explore, "join", name), number)
                elif kind == "explore":
                    view, explore = "", name.lstrip("+")
                else:
                    index.setdefault((view, kind, name), number)
            self._lines[path] = index
        return self._lines[path]

    def joins(self, explore: str) -> tuple[LookmlJoin, ...]:
        """The base view and every join of ``explore`` with its ``sql_on`` and ``file:line``."""
        spec = self._explore_def(explore)
        if spec is None:
            return ()
        layers = [layer for layer in self._layers(self._explores, explore)]
        for parent in _extends(spec):
            layers.extend(self._layers(self._explores, parent))
        base_alias = str(spec.get("view_name") or explore)
        found = [LookmlJoin(base_alias, str(spec.get("from") or base_alias))]
        for join in _named(spec.get("joins")):
            alias = str(join["name"])
            file, line = None, None
            for layer in layers:
                if any(j.get("name") == alias for j in _named(layer.get("joins"))):
                    path = self._layer_files.get(id(layer))
                    if path is not None:
                        owner = str(layer.get("name", "")).lstrip("+")  # a parent explore's join
                        file, line = self.repo.display(path), self._join_line(path, owner, alias)
            sql_on = join.get("sql_on")
            relationship = join.get("relationship")
            found.append(
                LookmlJoin(
                    alias,
                    str(join.get("from") or alias),
                    str(sql_on) if sql_on else None,
                    file,
                    line,
                    str(relationship) if relationship else None,
                )
            )
        return tuple(found)

    def _join_line(self, path: Path, explore: str, alias: str) -> int | None:
        return self._line_index(path).get((explore, "join", alias))


# A block's first line: `dimension: name {` (LookML text, located for file:line; lkml gives none).
_BLOCK_LINE = re.compile(
    r"^\s*(view|explore|join|dimension|dimension_group|measure|filter|parameter)\s*:\s*(\+?[A-Za-z0-9_]+)\s*\{"
)
_FIELD_KINDS = {
    "dimensions": "dimension",
    "dimension_groups": "dimension_group",
    "measures": "measure",
    "filters": "filter",
    "parameters": "parameter",
}
_EXTRA_SQL_KEYS = ("sql_start", "sql_end", "sql_latitude", "sql_longitude", "sql_distinct_key")


def _selectable_names(kind: str, item: dict[str, Any]) -> tuple[str, ...]:
    """The names a query selects field ``item`` (of LookML section ``kind``) by: a group's fields."""
    if kind != "dimension_groups":
        return (str(item["name"]),)
    timeframes = tuple(str(t) for t in _as_list(item.get("timeframes") or item.get("intervals")))
    kind_of = str(item["type"]) if item.get("type") is not None else None
    return group_field_names(str(item["name"]), kind_of, timeframes)
