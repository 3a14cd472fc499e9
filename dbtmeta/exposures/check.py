"""Validate exposures: dependencies resolve to enabled nodes, owners, names, types.

The YAML files are read directly (with line numbers) and their ``ref()``/``source()`` strings are
resolved against the manifest, so an exposure that points at a model deleted since the last
``dbt parse`` is caught even with a stale manifest.json: a node whose file is gone from the project
counts as deleted. The ``depends_on`` strings are parsed with :mod:`ast`, never rendered as Jinja.

Must not: talk to Looker, or render the YAML's Jinja.
"""

from __future__ import annotations

import ast
import difflib
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dbtmeta import yamlsafe
from dbtmeta.dbt.project import manifest_file_path
from dbtmeta.errors import InputError
from dbtmeta.files import read_text
from dbtmeta.vocabulary import EXPOSURE_TYPES, MATURITIES, dict_at

if TYPE_CHECKING:
    import yaml

    from dbtmeta.dbt.artifacts import Manifest

NAME_RE = re.compile(r"^[A-Za-z0-9_]+$")
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$")
REFABLE = frozenset({"model", "seed", "snapshot"})


@dataclass(frozen=True, order=True)
class Problem:
    """One finding of ``check-exposures``: where (file, line), which exposure, a code and a message."""

    file: str
    line: int  # 1-based; 0 when unknown
    exposure: str
    code: str
    message: str

    def to_dict(self) -> dict[str, Any]:
        """The problem for JSON output (``line`` None when unknown)."""
        return {
            "file": self.file,
            "line": self.line or None,
            "exposure": self.exposure,
            "code": self.code,
            "message": self.message,
        }

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        who = f"exposure {self.exposure!r}: " if self.exposure else ""
        return f"{where}: {who}{self.message} [{self.code}]"


@dataclass
class ExposureSpec:
    """One exposure as written in a YAML file (or, as a fallback, as found in the manifest)."""

    name: str | None
    file: str
    line: int
    lines: dict[str, int] = field(default_factory=dict)  # field -> line
    type: Any = None
    maturity: Any = None
    owner: Any = None
    depends_on: list[tuple[Any, int]] = field(default_factory=list)  # (entry, line)
    enabled: bool = True
    resolved_ids: list[str] | None = None  # manifest fallback: depends_on.nodes


@dataclass
class CheckResult:
    """The outcome of a check: the problems found, how many exposures were checked, the files read."""

    problems: list[Problem]
    checked: int  # exposures checked
    files: list[str]

    def to_dict(self) -> dict[str, Any]:
        """The result for JSON output, problems sorted; ``ok`` is true when there are none."""
        return {
            "ok": not self.problems,
            "checked_exposures": self.checked,
            "files": self.files,
            "problems": [problem.to_dict() for problem in sorted(self.problems)],
        }


# ------------------------------------------------------------------------------------------- YAML


def _get(node: yaml.Node | None, key: str) -> yaml.Node | None:
    """The value of ``key`` in a mapping node: the last one when repeated, as YAML (and dbt) keep it."""
    import yaml

    if not isinstance(node, yaml.MappingNode):
        return None
    found = None
    for key_node, value_node in node.value:
        if isinstance(key_node, yaml.ScalarNode) and key_node.value == key:
            found = value_node
    return found


def _scalar(node: yaml.Node | None) -> Any:
    """The Python value of a composed node (SafeLoader semantics)."""
    import yaml

    if node is None:
        return None
    try:
        return yaml.constructor.SafeConstructor().construct_object(node, deep=True)
    except yaml.YAMLError:
        return None


def _exposure_at(section: yaml.SequenceNode, line: int) -> str:
    """The name of the exposure whose YAML spans ``line`` ("" outside any)."""
    for item in section.value:
        if item.start_mark.line + 1 <= line <= item.end_mark.line + 1:
            name = _scalar(_get(item, "name"))
            return name if isinstance(name, str) else ""
    return ""


def read_yaml_exposures(path: str) -> tuple[list[ExposureSpec], list[Problem]] | None:
    """Exposures defined in one YAML file; None when the file defines none."""
    import yaml

    try:
        text = read_text(path, "exposures file")
    except (OSError, UnicodeDecodeError, InputError) as exc:
        return [], [Problem(path, 0, "", "unreadable", f"cannot read the file: {exc}")]
    if "exposures" not in text:
        return None
    try:
        root = yamlsafe.compose(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 0
        reason = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        return [], [Problem(path, line, "", "yaml", f"invalid YAML: {reason}")]
    section = _get(root, "exposures")
    if section is None:
        return None
    if not isinstance(section, yaml.SequenceNode):
        line = section.start_mark.line + 1
        return [], [Problem(path, line, "", "structure", "'exposures' must be a list of exposures")]
    specs: list[ExposureSpec] = []
    problems: list[Problem] = []
    for dup in yamlsafe.duplicate_keys(root):
        problems.append(
            Problem(
                path,
                dup.line,
                _exposure_at(section, dup.line),
                "duplicate-key",
                f"key {dup.key!r} is repeated (first at line {dup.first_line}); dbt keeps only this "
                "last one and warns that duplicate keys are deprecated: remove one",
            )
        )
    for item in section.value:
        if not isinstance(item, yaml.MappingNode):
            line = item.start_mark.line + 1
            problems.append(Problem(path, line, "", "structure", "each exposure must be a mapping"))
            continue
        specs.append(_spec_of(item, path))
    return specs, problems


def _spec_of(item: yaml.MappingNode, path: str) -> ExposureSpec:
    """One exposure's mapping as a spec, with the line of each key (and of each owner key)."""
    import yaml

    name = _scalar(_get(item, "name"))
    spec = ExposureSpec(
        name=name if isinstance(name, str) else None, file=path, line=item.start_mark.line + 1
    )
    for key_node, value_node in item.value:
        if isinstance(key_node, yaml.ScalarNode):
            spec.lines[key_node.value] = value_node.start_mark.line + 1
    spec.type = _scalar(_get(item, "type"))
    spec.maturity = _scalar(_get(item, "maturity"))
    owner = _get(item, "owner")
    spec.owner = _scalar(owner)
    if isinstance(owner, yaml.MappingNode):
        for key_node, value_node in owner.value:
            if isinstance(key_node, yaml.ScalarNode):
                spec.lines[f"owner.{key_node.value}"] = value_node.start_mark.line + 1
    depends = _get(item, "depends_on")
    if isinstance(depends, yaml.SequenceNode):
        spec.depends_on = [(_scalar(entry), entry.start_mark.line + 1) for entry in depends.value]
    elif depends is not None:
        spec.depends_on = [(_scalar(depends), depends.start_mark.line + 1)]
    config = _get(item, "config")
    enabled = _scalar(_get(config, "enabled")) if config is not None else None
    spec.enabled = enabled is not False
    return spec


# --------------------------------------------------------------------------------- depends_on refs


@dataclass(frozen=True)
class Reference:
    """A parsed ``depends_on`` entry: ``ref``/``source``/``metric`` with its arguments and version."""

    kind: str  # ref, source, metric
    args: tuple[str, ...]
    version: str | None = None

    def __str__(self) -> str:
        inner = ", ".join(repr(arg) for arg in self.args)
        if self.version is not None:
            inner += f", v={self.version!r}"
        return f"{self.kind}({inner})"


def parse_reference(entry: str) -> Reference:
    """Parse ``ref('x')``, ``ref('pkg', 'x', v=2)``, ``source('s', 't')``, ``metric('m')``.

    ValueError with a short reason when it is anything else. Nothing is evaluated.
    """
    text = entry.strip()
    if text.startswith("{{") and text.endswith("}}"):
        text = text[2:-2].strip()
    if len(text) > 500:
        raise ValueError("too long")
    try:
        tree = ast.parse(text, mode="eval")
    except SyntaxError:
        raise ValueError("not a ref(), source() or metric() call") from None
    call = tree.body
    if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Name)):
        raise ValueError("not a ref(), source() or metric() call")
    kind = call.func.id
    if kind not in ("ref", "source", "metric"):
        raise ValueError(f"{kind}() is not allowed in depends_on; use ref(), source() or metric()")
    args: list[str] = []
    for arg in call.args:
        if not (isinstance(arg, ast.Constant) and isinstance(arg.value, str)):
            raise ValueError(f"the arguments of {kind}() must be quoted strings")
        args.append(arg.value)
    version: str | None = None
    for keyword in call.keywords:
        value = keyword.value
        if not isinstance(value, ast.Constant) or not isinstance(value.value, str | int | float):
            raise ValueError(f"{kind}() keyword {keyword.arg!r} must be a constant")
        if kind == "ref" and keyword.arg in ("v", "version"):
            version = str(value.value)
        elif kind == "ref" and keyword.arg == "package" and isinstance(value.value, str):
            args.insert(0, value.value)
        else:
            raise ValueError(f"unexpected keyword {keyword.arg!r} in {kind}()")
    wanted = {"ref": (1, 2), "source": (2, 2), "metric": (1, 2)}[kind]
    if not wanted[0] <= len(args) <= wanted[1]:
        raise ValueError(f"{kind}() takes {' or '.join(str(n) for n in sorted(set(wanted)))} names")
    return Reference(kind, tuple(args), version)


class Resolver:
    """Resolve references against a manifest's enabled and disabled nodes."""

    def __init__(self, manifest: Manifest, project_dir: Path | None) -> None:
        self.manifest = manifest
        self.project_dir = project_dir
        self.enabled: dict[tuple[str, ...], list[dict[str, Any]]] = {}
        self.disabled: dict[tuple[str, ...], list[dict[str, Any]]] = {}
        for raw in manifest.nodes.values():
            self._index(self.enabled, raw)
        for raw in manifest.sources.values():
            self._index(self.enabled, raw)
        for raw in (manifest.extra.get("metrics") or {}).values():
            if isinstance(raw, dict):
                self._index(self.enabled, raw)
        for entries in manifest.disabled.values():
            for raw in entries if isinstance(entries, list) else []:
                if isinstance(raw, dict):
                    self._index(self.disabled, raw)

    @staticmethod
    def _keys(raw: dict[str, Any]) -> list[tuple[str, ...]]:
        """How exposures may name this node: ``ref('x')``, ``ref('pkg', 'x')``, ``source('s', 't')``..."""
        kind = raw.get("resource_type")
        name, package = raw.get("name"), raw.get("package_name")
        keys: list[tuple[Any, ...]] = []
        if kind in REFABLE:
            keys = [("ref", name), ("ref", package, name)]
        elif kind == "source":
            keys = [("source", raw.get("source_name"), name)]
        elif kind == "metric":
            keys = [("metric", name), ("metric", package, name)]
        return [key for key in keys if all(isinstance(part, str) for part in key)]

    def _index(self, index: dict[tuple[str, ...], list[dict[str, Any]]], raw: dict[str, Any]) -> None:
        for key in self._keys(raw):
            index.setdefault(key, []).append(raw)

    def _file_gone(self, raw: dict[str, Any]) -> str | None:
        if self.project_dir is None or raw.get("package_name") != self.manifest.project_name:
            return None
        path = manifest_file_path(raw.get("original_file_path"))
        if path and not (self.project_dir / path).exists():
            return path
        return None

    def check(self, ref: Reference) -> tuple[str, str] | None:
        """None when ``ref`` resolves to an enabled node, else (problem code, message)."""
        key = (ref.kind, *ref.args)
        hits = self.enabled.get(key, [])
        if ref.version is not None:
            hits = [raw for raw in hits if str(raw.get("version")) == ref.version]
        if hits:
            gone = [self._file_gone(raw) for raw in hits]
            if all(gone):
                return (
                    "deleted-node",
                    f"depends on {ref}, whose file {gone[0]} no longer exists; "
                    "remove the dependency (or restore the file)",
                )
            return None
        if self.disabled.get(key):
            return "disabled-node", f"depends on {ref}, which is disabled; enable it or remove the dependency"
        names = sorted({k[-1] for k in self.enabled if k[0] == ref.kind and isinstance(k[-1], str)})
        if ref.kind == "source":
            names = sorted({f"{k[1]}.{k[2]}" for k in self.enabled if k[0] == "source"})
            wanted = ".".join(ref.args)
        else:
            wanted = ref.args[-1]
        close = difflib.get_close_matches(wanted, names, n=3, cutoff=0.6)
        hint = f" (did you mean {', '.join(close)}?)" if close else ""
        what = {"ref": "model, seed or snapshot", "source": "source", "metric": "metric"}[ref.kind]
        return "missing-node", f"depends on {ref}, but no {what} of that name exists{hint}"


# ------------------------------------------------------------------------------------------- checks


def _manifest_spec(raw: dict[str, Any], project_dir: Path | None) -> ExposureSpec:
    path = manifest_file_path(raw.get("original_file_path")) or "manifest.json"
    depends = dict_at(raw, "depends_on")
    return ExposureSpec(
        name=raw.get("name"),
        file=_display(project_dir / path if project_dir else Path(path)),
        line=0,
        type=raw.get("type"),
        maturity=raw.get("maturity"),
        owner=raw.get("owner"),
        resolved_ids=[n for n in depends.get("nodes") or [] if isinstance(n, str)],
    )


def _display(path: Path) -> str:
    try:
        relative = os.path.relpath(path)
    except ValueError:
        return str(path)
    return str(path) if relative.startswith("..") else relative


def project_yaml_files(project_dir: Path) -> list[str]:
    """YAML files of the project that define exposures (new files included), for display."""
    from dbtmeta.dbt.project import exposure_yaml_files

    return files_with_exposures([_display(p) for p in exposure_yaml_files(project_dir)])


def _check_spec(spec: ExposureSpec, resolver: Resolver) -> list[Problem]:
    name = spec.name or ""
    problems: list[Problem] = []

    def add(key: str | None, code: str, message: str, line: int | None = None) -> None:
        at = line or (spec.lines.get(key, spec.line) if key else spec.line)
        problems.append(Problem(spec.file, at, name, code, message))

    if not spec.name:
        add(None, "name-missing", "has no name; add `name:` (letters, digits, underscores)")
    elif not NAME_RE.match(spec.name):
        add(
            "name",
            "name-invalid",
            "name may only hold letters, digits and underscores; put the title in `label:`",
        )
    if spec.type not in EXPOSURE_TYPES:
        add("type", "type-invalid", f"type {spec.type!r} is not one of {', '.join(EXPOSURE_TYPES)}")
    if spec.maturity is not None and spec.maturity not in MATURITIES:
        add(
            "maturity",
            "maturity-invalid",
            f"maturity {spec.maturity!r} is not one of {', '.join(MATURITIES)}",
        )
    owner = spec.owner
    if not isinstance(owner, dict) or not (owner.get("name") or owner.get("email")):
        add("owner", "owner-missing", "has no owner; add `owner:` with `name:` and `email:`")
    else:
        email = owner.get("email")
        email_key = "owner.email" if "owner.email" in spec.lines else "owner"
        if not email:
            add("owner", "owner-email", "owner has no email; add `owner: {email: ...}` so people can be told")
        elif not isinstance(email, str) or ("{{" not in email and not EMAIL_RE.match(email)):
            add(email_key, "owner-email", f"owner email {email!r} is not a well-formed address")
    if spec.resolved_ids is not None:
        known = resolver.manifest
        for uid in spec.resolved_ids:
            if (
                uid not in known.nodes
                and uid not in known.sources
                and uid not in (known.extra.get("metrics") or {})
            ):
                add("depends_on", "missing-node", f"depends on {uid}, which is not in the manifest")
        return problems
    if not spec.depends_on:
        add("depends_on", "depends-on-empty", "depends on nothing; list the ref()/source() it reads")
    for entry, line in spec.depends_on:
        if not isinstance(entry, str):
            add(None, "depends-on-syntax", f"depends_on entry {entry!r} is not a string", line)
            continue
        try:
            ref = parse_reference(entry)
        except ValueError as exc:
            add(None, "depends-on-syntax", f"cannot read depends_on entry {entry!r}: {exc}", line)
            continue
        issue = resolver.check(ref)
        if issue:
            add(None, issue[0], issue[1], line)
    return problems


def check_exposures(
    manifest: Manifest,
    files: Sequence[str] | None = None,
    project_dir: str | os.PathLike[str] | None = None,
) -> CheckResult:
    """Check the exposures defined in ``files`` (YAML; others are ignored), or all of the project's."""
    project = Path(project_dir) if project_dir is not None else None
    resolver = Resolver(manifest, project)
    own = {
        uid: raw
        for uid, raw in manifest.exposures.items()
        if raw.get("package_name") == manifest.project_name
    }
    if files is None:
        listed = {
            _display(project / path if project else Path(path))
            for path in (manifest_file_path(raw.get("original_file_path")) for raw in own.values())
            if path
        }
        scanned = project_yaml_files(project) if project else []
        files = sorted(listed | set(scanned))
        explicit = False
    else:
        explicit = True
    specs, problems, read_files = collect_specs(files)
    if not explicit:
        seen = {(spec.name, os.path.realpath(spec.file)) for spec in specs}
        for raw in own.values():
            path = manifest_file_path(raw.get("original_file_path"))
            full = os.path.realpath(project / path) if project and path else None
            if (raw.get("name"), full) not in seen and (full is None or not os.path.exists(full)):
                specs.append(_manifest_spec(raw, project))
    checked_files = {os.path.realpath(spec.file) for spec in specs}
    for spec in specs:
        if spec.enabled:
            problems += _check_spec(spec, resolver)
    problems += _duplicate_names(specs, own, project, checked_files)
    return CheckResult(problems=sorted(problems), checked=len(specs), files=read_files)


def _duplicate_names(
    specs: list[ExposureSpec], own: dict[str, dict[str, Any]], project: Path | None, checked_files: set[str]
) -> list[Problem]:
    """Names are unique per project: among the checked files and the project's other exposures."""
    problems: list[Problem] = []
    first: dict[str, ExposureSpec] = {}
    for raw in own.values():
        path = manifest_file_path(raw.get("original_file_path"))
        full = os.path.realpath(project / path) if project and path else None
        name = raw.get("name")
        if isinstance(name, str) and full not in checked_files:
            first.setdefault(name, _manifest_spec(raw, project))
    for spec in specs:
        if not spec.name:
            continue
        other = first.get(spec.name)
        if other is None:
            first[spec.name] = spec
            continue
        where = f"{other.file}:{other.line}" if other.line else other.file
        at = spec.lines.get("name", spec.line)
        problems.append(
            Problem(
                spec.file,
                at,
                spec.name,
                "name-duplicate",
                f"name is also used at {where}; names must be unique",
            )
        )
    return problems


def collect_specs(files: Sequence[str]) -> tuple[list[ExposureSpec], list[Problem], list[str]]:
    """The exposures of the ``.yml``/``.yaml`` files among ``files``.

    Returns them, the problems met reading them, and the files that define exposures.
    """
    specs: list[ExposureSpec] = []
    problems: list[Problem] = []
    read_files: list[str] = []
    for path in files:
        if not path.endswith((".yml", ".yaml")) or not os.path.isfile(path):
            continue
        found = read_yaml_exposures(path)
        if found is None:
            continue
        read_files.append(path)
        specs += found[0]
        problems += found[1]
    return specs, problems, read_files


def files_with_exposures(files: Sequence[str]) -> list[str]:
    """The YAML files among ``files`` that mention exposures (cheap text test, no parsing)."""
    out = []
    for path in files:
        if path.endswith((".yml", ".yaml")) and os.path.isfile(path):
            try:
                with open(path, encoding="utf-8", errors="replace") as handle:
                    if "exposures" in handle.read():
                        out.append(path)
            except OSError:
                out.append(path)
    return out


def run_dbt_parse(project_dir: Path, target_path: str | None = None) -> list[Problem]:
    """Run ``dbt parse`` in-process (dbtRunner). A failed parse is returned as a problem, so the
    YAML checks can still run against the manifest of the last successful parse.

    ``target_path`` goes to dbt too, so the manifest it writes is the one read afterwards."""
    from dbtmeta.errors import UsageError

    try:
        from dbt.cli.main import dbtRunner
    except ImportError:
        raise UsageError(
            "--parse needs dbt-core in this environment: pip install 'dbtmeta[dbt]' (plus your adapter), "
            "or run `dbt parse` yourself and leave out --parse"
        ) from None
    # dbt logs to stdout, which holds our report (JSON with --format json): its failure reaches
    # us as result.exception instead.
    args = ["parse", "--project-dir", str(project_dir), "--log-level", "none"]
    if not os.environ.get("DBT_PROFILES_DIR") and (project_dir / "profiles.yml").is_file():
        args += ["--profiles-dir", str(project_dir)]  # dbt would look in the cwd and ~/.dbt only
    if target_path:
        args += ["--target-path", target_path]
    result = dbtRunner().invoke(args)
    if result.success:
        return []
    reason = " ".join(str(result.exception or "see dbt's output above").split())
    return [Problem(str(project_dir), 0, "", "dbt-parse", f"`dbt parse` failed: {reason[:500]}")]
