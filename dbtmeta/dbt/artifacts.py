"""Load dbt artifacts (manifest.json, run_results.json, sources.json) fast and tolerantly.

The default path is plain :mod:`json`: we check the few keys we rely on, keep the raw dicts of the
manifest by reference (no copies, unknown keys kept) and turn every problem into ONE
:class:`~dbtmeta.errors.InputError` line that says what is wrong and what to do.
Strict schema validation with dbt-artifacts-parser is opt-in: :mod:`dbtmeta.dbt.strict`.

Supported: manifest v4..v12, run_results v4..v6, sources v1..v3.

Public API (stable):

- :func:`find_artifacts` -> :class:`ArtifactPaths` (honours ``DBT_PROJECT_DIR``/``DBT_TARGET_PATH``)
- :func:`find_project_dir`, :func:`load_project_manifest` (what the commands' project options use)
- :func:`load_manifest` -> :class:`Manifest`
- :func:`load_run_results` -> :class:`RunResults` (several files merged, newest result per node wins;
  files that say nothing about this manifest's data are skipped and listed in ``RunResults.skipped``)
- :func:`load_sources` -> :class:`SourceFreshness`

A run_results file is *unusable* (skipped, with the reason in :class:`SkippedFile`) when it was
written by a command that builds nothing (``dbt docs generate``, ``dbt compile``...), when most of its
node ids are not in the manifest (stale, or another project), or when most of its relations differ
from the manifest's (a project of the same name building elsewhere). Damaged files are errors.

Speed: the cyclic GC is paused while parsing (:func:`gc_paused`), and artifacts of 8 MB or more
are moved to the GC's permanent generation afterwards (``gc.freeze()``, process-wide; see
``docs/artifacts.md``). On big projects this makes loading 2-4x faster than a plain ``json.load``.

Must not: know about Looker or health, or import dbt-artifacts-parser (only
:mod:`dbtmeta.dbt.strict` does, when asked).
"""

from __future__ import annotations

import contextlib
import gc
import json
import os
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dbtmeta import yamlsafe
from dbtmeta.errors import InputError
from dbtmeta.files import MAX_ARTIFACT_BYTES, read_bytes, read_text
from dbtmeta.vocabulary import dict_at

MANIFEST_VERSIONS = range(4, 13)
RUN_RESULTS_VERSIONS = range(4, 7)
SOURCES_VERSIONS = range(1, 4)

# kind as used in messages -> (schema URL segment, supported versions, what writes it)
_KINDS: dict[str, tuple[str, range, str]] = {
    "manifest": ("manifest", MANIFEST_VERSIONS, "dbt parse/compile/run/build"),
    "run_results": ("run-results", RUN_RESULTS_VERSIONS, "dbt run/test/build/seed/snapshot"),
    "sources": ("sources", SOURCES_VERSIONS, "dbt source freshness"),
}
_SCHEMA_RE = re.compile(r"/dbt/([a-z_-]+)/v(\d+)\.json\s*$")
_FILE_NAMES = {"run-results": "run_results.json", "manifest": "manifest.json", "sources": "sources.json"}

# args.which of dbt commands whose run_results say nothing about data health (everything "success").
_NO_HEALTH_COMMANDS = {
    "generate": "dbt docs generate",
    "docs": "dbt docs generate",
    "compile": "dbt compile",
    "show": "dbt show",
    "run-operation": "dbt run-operation",
    "list": "dbt list",
    "ls": "dbt list",
    "parse": "dbt parse",
}

# Artifacts at least this large (characters of JSON) are frozen out of the cyclic GC after parsing.
FREEZE_MIN_CHARS = 8_000_000

# Fraction of run-result ids that must be known to the manifest. Results of nodes deleted since the
# run are normal in small numbers; mostly unknown ids mean the files come from another project.
KNOWN_RESULT_FRACTION = 0.5


@dataclass
class Manifest:
    """A dbt manifest. The dicts are the raw JSON objects of manifest.json (unknown keys kept)."""

    schema_version: int
    project_name: str
    adapter_type: str | None
    nodes: dict[str, dict[str, Any]]
    sources: dict[str, dict[str, Any]]
    exposures: dict[str, dict[str, Any]]
    parent_map: dict[str, list[str]]
    child_map: dict[str, list[str]]
    disabled: dict[str, list[dict[str, Any]]]
    metadata: dict[str, Any]
    path: str | None = None
    # Every other top-level key (macros, docs, metrics, semantic_models, groups, functions, ...).
    extra: dict[str, Any] = field(default_factory=dict, repr=False)


@dataclass(frozen=True, slots=True)
class NodeResult:
    """The result of one node in one invocation (the newest one wins when files are merged)."""

    unique_id: str
    status: str  # lower case: success, error, skipped, pass, fail, warn, partial success, no-op...
    message: str | None
    failures: int | None
    completed_at: str | None
    execution_time: float | None
    invocation_id: str | None
    generated_at: str | None


@dataclass(frozen=True, slots=True)
class SkippedFile:
    """An artifact file left out because it says nothing about this manifest's data, and why."""

    path: str
    reason: str  # one line, without the path

    def __str__(self) -> str:
        return f"{self.path!r}: {self.reason}"


@dataclass
class RunResults:
    """Merged run_results: per node the newest result."""

    results: dict[str, NodeResult]
    invocation_ids: tuple[str, ...]
    generated_at: str | None  # newest generated_at of the files
    paths: tuple[str, ...] = ()  # the files merged
    skipped: tuple[SkippedFile, ...] = ()  # the files left out, in the order given


@dataclass(frozen=True, slots=True)
class FreshnessResult:
    """One source's result in sources.json: status, error message, load times, age and criteria."""

    unique_id: str
    status: str  # pass, warn, error, runtime error
    message: str | None  # the error text of a runtime error
    max_loaded_at: str | None
    snapshotted_at: str | None
    age_seconds: float | None
    criteria: dict[str, Any] | None
    execution_time: float | None


@dataclass
class SourceFreshness:
    """A loaded sources.json: per source its :class:`FreshnessResult`, or none when the file was skipped."""

    results: dict[str, FreshnessResult]
    invocation_id: str | None
    generated_at: str | None
    path: str | None = None
    skipped: SkippedFile | None = None  # set (and results empty) when the file was left out


@dataclass(frozen=True)
class ArtifactPaths:
    """Where the artifacts are. ``run_results``/``sources`` are None when the file does not exist."""

    project_dir: Path
    target_dir: Path
    manifest: Path
    run_results: Path | None
    sources: Path | None


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while building large acyclic structures.

    json.loads of a 50 MB manifest creates millions of containers; with the collector on, its
    generational passes re-scan the growing heap again and again and take longer than the parse
    itself. Parsed JSON holds no reference cycles, so nothing is lost by pausing it.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


# --------------------------------------------------------------------------------------------- paths


def find_project_dir(
    project_dir: str | os.PathLike[str] | None = None, *, manifest_path: str | os.PathLike[str] | None = None
) -> Path:
    """The dbt project dir, like dbt finds it; the one rule every command uses.

    ``project_dir`` > ``$DBT_PROJECT_DIR`` > the project whose ``target/`` holds ``manifest_path``
    (its parent's parent, if that has a dbt_project.yml) > the nearest directory from cwd upwards
    that holds dbt_project.yml > cwd. InputError when the result is not a directory.
    """
    given = project_dir or os.environ.get("DBT_PROJECT_DIR")
    project = Path(given).expanduser() if given else _nearest_project(manifest_path)
    if not project.is_dir():
        raise InputError(f"dbt project dir {str(project)!r} is not a directory; pass --project-dir")
    return project


def _nearest_project(manifest_path: str | os.PathLike[str] | None) -> Path:
    if manifest_path:
        guess = Path(manifest_path).resolve().parent.parent
        if (guess / "dbt_project.yml").is_file():
            return guess
    cwd = Path.cwd()
    for candidate in (cwd, *cwd.parents):
        if (candidate / "dbt_project.yml").is_file():
            return candidate
    return cwd


def _target_path_from_project(project_dir: Path) -> str | None:
    project_file = project_dir / "dbt_project.yml"
    try:
        text = read_text(project_file, "dbt_project.yml")
    except (OSError, UnicodeDecodeError, InputError):
        return None
    import yaml

    try:
        data = yamlsafe.load(text)
    except yaml.YAMLError:
        return None
    value = data.get("target-path") if isinstance(data, dict) else None
    if isinstance(value, str) and value.strip() and "{{" not in value:
        return value.strip()
    return None


def find_artifacts(
    project_dir: str | os.PathLike[str] | None = None,
    target_path: str | os.PathLike[str] | None = None,
    manifest_path: str | os.PathLike[str] | None = None,
) -> ArtifactPaths:
    """Locate the project dir and manifest.json, run_results.json, sources.json like dbt does.

    Project dir: see :func:`find_project_dir`.
    Target dir: the directory of ``manifest_path`` when given (``--manifest``: its run_results.json
    and sources.json are the ones next to it); else ``target_path`` > ``$DBT_TARGET_PATH`` >
    dbt_project.yml ``target-path`` > ``target``, a relative target path being relative to the
    project dir. Without ``manifest_path`` the manifest must exist (InputError otherwise; a given
    one is checked when loaded); run_results/sources are None when absent.
    """
    project = find_project_dir(project_dir, manifest_path=manifest_path)
    if manifest_path:
        manifest = Path(manifest_path)
        target_dir = manifest.parent
    else:
        target: str | os.PathLike[str] | None = target_path
        if target is None:
            target = os.environ.get("DBT_TARGET_PATH") or _target_path_from_project(project) or "target"
        target_dir = Path(target).expanduser()
        if not target_dir.is_absolute():
            target_dir = project / target_dir
        manifest = target_dir / "manifest.json"
        if not manifest.is_file():
            raise InputError(
                f"no manifest.json in {str(target_dir)!r}; run `dbt parse` (or `dbt build`) first, "
                "or pass --project-dir/--target-path or --manifest"
            )
    run_results = target_dir / "run_results.json"
    sources = target_dir / "sources.json"
    return ArtifactPaths(
        project_dir=project,
        target_dir=target_dir,
        manifest=manifest,
        run_results=run_results if run_results.is_file() else None,
        sources=sources if sources.is_file() else None,
    )


def load_project_manifest(
    project_dir: str | os.PathLike[str] | None = None,
    target_path: str | os.PathLike[str] | None = None,
    manifest_path: str | os.PathLike[str] | None = None,
) -> tuple[Manifest, Path]:
    """(manifest, project dir) from the ``--project-dir``/``--target-path``/``--manifest`` values."""
    paths = find_artifacts(project_dir, target_path, manifest_path)
    return load_manifest(paths.manifest), paths.project_dir


# --------------------------------------------------------------------------------------------- json


def read_json(path: str | os.PathLike[str], kind: str) -> dict[str, Any]:
    """Read a JSON object from ``path`` (kind: manifest, run_results or sources, for messages).

    Every failure is one InputError line naming the file: missing, a directory, unreadable, empty,
    not UTF-8, truncated, not JSON, not an object.
    """
    name = str(path)
    what = kind.replace("_", " ")
    try:
        raw = read_bytes(path, f"{what} file", MAX_ARTIFACT_BYTES)
    except FileNotFoundError:
        raise InputError(f"{what} file {name!r} does not exist; check the path") from None
    except IsADirectoryError:
        raise InputError(f"{what} path {name!r} is a directory; give the path of the JSON file") from None
    except PermissionError:
        raise InputError(f"cannot read {what} file {name!r}: permission denied") from None
    except OSError as exc:
        raise InputError(f"cannot read {what} file {name!r}: {exc.strerror or exc}") from None
    if not raw.strip():
        raise InputError(f"{what} file {name!r} is empty; re-run dbt to write it again")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(
            f"{what} file {name!r} is not UTF-8 (byte {exc.start}); is it really a dbt artifact?"
        ) from None
    del raw
    if text.startswith("\ufeff"):  # a BOM written by an editor or a Windows tool: harmless
        text = text[1:]
    try:
        with gc_paused():
            data = json.loads(text)
            if len(text) >= FREEZE_MIN_CHARS:
                # Move the parsed artifact (and everything else alive) to the collector's permanent
                # generation: long-lived and acyclic, it need never be scanned again. Without this,
                # promoting millions of fresh objects through the generations costs ~0.3 s per
                # 50 MB once the collector is back on. Small files (tests, small projects) skip it.
                gc.freeze()
    except json.JSONDecodeError as exc:
        if exc.pos >= len(text.rstrip()) - 1 or exc.msg.startswith("Unterminated string"):
            raise InputError(
                f"{what} file {name!r} is truncated (JSON ends early at line {exc.lineno}); "
                "re-run dbt to write it again"
            ) from None
        raise InputError(
            f"{what} file {name!r} is not valid JSON ({exc.msg} at line {exc.lineno} column {exc.colno}); "
            "give the file dbt wrote"
        ) from None
    except RecursionError:
        raise InputError(f"{what} file {name!r} is nested too deeply to be a dbt artifact") from None
    except ValueError as exc:  # a number of more than 4,300 digits (int conversion limit)
        raise InputError(
            f"{what} file {name!r} holds a number too long to be a dbt artifact value ({str(exc)[:60]}...); "
            "give the file dbt wrote"
        ) from None
    if not isinstance(data, dict):
        raise InputError(f"{what} file {name!r} holds a JSON {type(data).__name__}, not a dbt {what} object")
    return data


def check_kind(data: dict[str, Any], path: str | os.PathLike[str], kind: str) -> tuple[dict[str, Any], int]:
    """Check metadata.dbt_schema_version: the right artifact kind and a supported version.

    Returns ``(metadata, version)``; raises InputError otherwise.
    """
    name = str(path)
    segment, versions, writer = _KINDS[kind]
    what = kind.replace("_", " ")
    metadata = dict_at(data, "metadata")
    url = metadata.get("dbt_schema_version")
    if not isinstance(url, str):
        raise InputError(
            f"{name!r} is not a dbt {what} file (no metadata.dbt_schema_version); "
            f"give the {_FILE_NAMES[segment]} written by {writer}"
        )
    match = _SCHEMA_RE.search(url)
    if not match:
        raise InputError(
            f"{name!r} has an unrecognised dbt_schema_version {url[:120]!r}; "
            f"give the {_FILE_NAMES[segment]} written by {writer}"
        )
    found, version = match.group(1), int(match.group(2))
    if found != segment:
        found_name = _FILE_NAMES.get(found, f"a dbt {found} artifact")
        raise InputError(
            f"{name!r} is {found_name}, not {_FILE_NAMES[segment]}; pass each file to its own option"
        )
    if version not in versions:
        writer_version = metadata.get("dbt_version")
        written = (
            f"this one was written by dbt {writer_version[:40]}: "
            if isinstance(writer_version, str) and writer_version
            else ""
        )
        raise InputError(
            f"{name!r} is {_FILE_NAMES[segment]} v{version}; supported are "
            f"v{versions.start}..v{versions.stop - 1} (dbt 1.0+); {written}"
            "re-generate it with a supported dbt"
        )
    return metadata, version


def _dict_of_dicts(data: dict[str, Any], key: str, path: str | os.PathLike[str], kind: str) -> dict[str, Any]:
    value = data.get(key)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise InputError(f"{kind} {str(path)!r}: {key!r} is a {type(value).__name__}, expected an object")
    return value


# ------------------------------------------------------------------------------------------ manifest


# The top-level objects of manifest.json that Manifest holds as fields of the same name.
_MANIFEST_GROUPS = ("nodes", "sources", "exposures", "parent_map", "child_map", "disabled")


def load_manifest(path: str | os.PathLike[str]) -> Manifest:
    """Load manifest.json (v4..v12). Raw node dicts are kept as they are in the file."""
    return manifest_from_dict(read_json(path, "manifest"), path)


def manifest_from_dict(data: dict[str, Any], path: str | os.PathLike[str] = "<manifest>") -> Manifest:
    """Build a :class:`Manifest` from the parsed JSON object (no copies of the node dicts)."""
    metadata, version = check_kind(data, path, "manifest")
    groups = {key: _dict_of_dicts(data, key, path, "manifest") for key in _MANIFEST_GROUPS}
    for group_name in ("nodes", "sources", "exposures"):
        for unique_id, node in groups[group_name].items():
            if not isinstance(node, dict):
                raise InputError(
                    f"manifest {str(path)!r}: {group_name}[{unique_id!r}] is not an object; "
                    "the file is damaged, re-run `dbt parse`"
                )
            name = node.get("name")
            if name is not None and not isinstance(name, str):
                raise InputError(
                    f"manifest {str(path)!r}: {group_name}[{unique_id[:120]!r}].name is a "
                    f"{type(name).__name__}, not a string; the file is damaged, re-run `dbt parse`"
                )
    project_name = metadata.get("project_name")
    if not isinstance(project_name, str) or not project_name:
        project_name = _guess_project_name(groups["nodes"])
    adapter = metadata.get("adapter_type")
    extra = {key: value for key, value in data.items() if key != "metadata" and key not in groups}
    return Manifest(
        schema_version=version,
        project_name=project_name,
        adapter_type=adapter if isinstance(adapter, str) else None,
        metadata=metadata,
        path=str(path),
        extra=extra,
        **groups,
    )


def _guess_project_name(nodes: dict[str, dict[str, Any]]) -> str:
    # Old manifests (v4) may lack metadata.project_name: take the most common package of models.
    counts: dict[str, int] = {}
    for node in nodes.values():
        if node.get("resource_type") == "model":
            package = node.get("package_name")
            if isinstance(package, str):
                counts[package] = counts.get(package, 0) + 1
    return max(counts, key=lambda name: counts[name]) if counts else ""


def _known(manifest: Manifest, unique_id: str) -> bool:
    if (
        unique_id in manifest.nodes
        or unique_id in manifest.sources
        or unique_id in manifest.exposures
        or unique_id in manifest.disabled
        or unique_id.startswith("operation.")  # on-run-start/end hooks
    ):
        return True
    # unit_tests, functions, saved_queries, semantic_models... of newer manifests
    return any(isinstance(group, dict) and unique_id in group for group in manifest.extra.values())


def _foreign_reason(ids: Sequence[str], manifest: Manifest | None) -> str | None:
    """Why results with these node ids cannot be about ``manifest`` (None: they can)."""
    if manifest is None or not ids:
        return None
    unknown = [unique_id for unique_id in ids if not _known(manifest, unique_id)]
    if unknown and len(unknown) > len(ids) * (1 - KNOWN_RESULT_FRACTION):
        return (
            f"{len(unknown)} of {len(ids)} nodes are not in the manifest "
            f"(e.g. {', '.join(repr(uid[:80]) for uid in unknown[:3])}): it is older than the manifest "
            f"or comes from another project; give the artifacts of project {manifest.project_name!r}"
        )
    return None


def _relation_reason(relations: Sequence[tuple[str, str]], manifest: Manifest | None) -> str | None:
    """Why results whose ``(unique_id, relation_name)`` mostly differ from the manifest's are foreign.

    A project of the same name (same node ids) that builds into another database or schema.
    """
    if manifest is None:
        return None
    compared = differ = 0
    example = ""
    for unique_id, relation in relations:
        node = manifest.nodes.get(unique_id)
        expected = node.get("relation_name") if node is not None else None
        if not isinstance(expected, str):
            continue
        compared += 1
        if relation != expected:
            differ += 1
            example = example or f"{relation[:80]!r} instead of {expected[:80]!r}"
    if compared and differ > compared * (1 - KNOWN_RESULT_FRACTION):
        return (
            f"{differ} of {compared} relations are not where the manifest puts them (e.g. {example}): "
            f"it comes from another project named {manifest.project_name!r} or another target; "
            "give the artifacts of the same dbt invocation or target"
        )
    return None


# --------------------------------------------------------------------------------------- run results


def _results(
    data: dict[str, Any], name: str, what: str, rerun: str
) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """The ``results`` array of run_results/sources as ``(unique_id, lower-case status, result)``.

    Raises InputError (as it gets there) when the array or an entry is not what dbt writes.
    """
    results = data.get("results")
    if not isinstance(results, list):
        raise InputError(f"{what} {name!r} have no 'results' list; the file is damaged, {rerun}")
    for index, result in enumerate(results):
        if not isinstance(result, dict):
            raise InputError(f"{what} {name!r}: results[{index}] is not an object; {rerun}")
        unique_id = result.get("unique_id")
        status = result.get("status")
        if not isinstance(unique_id, str) or not isinstance(status, str):
            raise InputError(f"{what} {name!r}: results[{index}] lacks unique_id/status; the file is damaged")
        yield unique_id, status.lower(), result


def _completed_at(result: dict[str, Any]) -> str | None:
    timing = result.get("timing")
    if isinstance(timing, list):
        best = None
        for step in timing:
            if isinstance(step, dict):
                value = step.get("completed_at")
                if isinstance(value, str) and (best is None or value > best):
                    best = value
        return best
    return None


def _as_int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return None


def _as_float(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    return float(value) if isinstance(value, int | float) else None


def _as_str(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _sort_key(timestamp: str | None) -> str:
    # dbt writes ISO 8601 UTC ("2024-01-01T10:00:00.123456Z"); compare on the first 26 chars,
    # so "Z"/"+00:00" suffixes do not matter.
    return (timestamp or "")[:26]


def load_run_results(
    paths: str | os.PathLike[str] | Iterable[str | os.PathLike[str]],
    manifest: Manifest | None = None,
    *,
    require_usable: bool = True,
) -> RunResults:
    """Load one or more run_results.json (v4..v6) and merge them: per node the newest result wins.

    "Newest" = the node's latest ``timing[].completed_at``, else the file's ``metadata.generated_at``.
    Files that say nothing about the data of ``manifest`` (written by ``dbt docs generate`` or
    ``dbt compile``, stale, or of another project) are left out and listed in ``skipped``. When no
    file is left, InputError naming the first reason, unless ``require_usable`` is False (the caller
    has other results, e.g. sources.json, and warns about the skipped files itself).
    """
    if isinstance(paths, str | os.PathLike):
        paths = [paths]
    return run_results_from_dicts(
        ((read_json(path, "run_results"), path) for path in paths), manifest, require_usable=require_usable
    )


def run_results_from_dicts(
    documents: Iterable[tuple[dict[str, Any], str | os.PathLike[str]]],
    manifest: Manifest | None = None,
    *,
    require_usable: bool = True,
) -> RunResults:
    """Merge parsed run_results objects, given as ``(data, path)`` pairs (any order)."""
    with gc_paused():
        merged = _merge_run_results(documents, manifest)
    if require_usable and merged.skipped and not merged.paths:
        first = merged.skipped[0]
        raise InputError(
            f"run results {first}" + ("" if len(merged.skipped) == 1 else " (and the others too)")
        )
    return merged


def _file_results(
    data: dict[str, Any], name: str, manifest: Manifest | None
) -> tuple[list[NodeResult], str | None, str | None, str | None]:
    """(results, invocation id, generated_at, why the file is unusable or None) of one file."""
    metadata, _version = check_kind(data, name, "run_results")
    args = data.get("args")
    which = args.get("which") if isinstance(args, dict) else None
    generated_at = _as_str(metadata.get("generated_at"))
    invocation_id = _as_str(metadata.get("invocation_id"))
    out: list[NodeResult] = []
    relations: list[tuple[str, str]] = []
    for unique_id, status, result in _results(data, name, "run results", "re-run dbt"):
        out.append(
            NodeResult(
                unique_id=unique_id,
                status=status,
                message=_as_str(result.get("message")),
                failures=_as_int(result.get("failures")),
                completed_at=_completed_at(result),
                execution_time=_as_float(result.get("execution_time")),
                invocation_id=invocation_id,
                generated_at=generated_at,
            )
        )
        relation = result.get("relation_name")
        if isinstance(relation, str):
            relations.append((unique_id, relation))
    reason: str | None = None
    if isinstance(which, str) and which in _NO_HEALTH_COMMANDS:
        reason = (
            f"was written by `{_NO_HEALTH_COMMANDS[which]}` and says nothing about data health; "
            "use the run_results.json of `dbt build`/`run`/`test` (copy it before that)"
        )
    reason = (
        reason
        or _foreign_reason([r.unique_id for r in out], manifest)
        or _relation_reason(relations, manifest)
    )
    return out, invocation_id, generated_at, reason


def _merge_run_results(
    documents: Iterable[tuple[dict[str, Any], str | os.PathLike[str]]],
    manifest: Manifest | None,
) -> RunResults:
    merged: dict[str, NodeResult] = {}
    invocation_ids: list[str] = []
    newest_generated: str | None = None
    path_names: list[str] = []
    skipped: list[SkippedFile] = []
    for data, path in documents:
        name = str(path)
        results, invocation_id, generated_at, reason = _file_results(data, name, manifest)
        if reason is not None:
            skipped.append(SkippedFile(name, reason))
            continue
        path_names.append(name)
        if invocation_id:
            invocation_ids.append(invocation_id)
        if generated_at and _sort_key(generated_at) > _sort_key(newest_generated):
            newest_generated = generated_at
        for node_result in results:
            previous = merged.get(node_result.unique_id)
            if previous is None or _newer(node_result, previous):
                merged[node_result.unique_id] = node_result
    return RunResults(
        results=merged,
        invocation_ids=tuple(invocation_ids),
        generated_at=newest_generated,
        paths=tuple(path_names),
        skipped=tuple(skipped),
    )


def _newer(candidate: NodeResult, previous: NodeResult) -> bool:
    # A result without timing (skipped) is dated by its file's generated_at.
    new_key = _sort_key(candidate.completed_at or candidate.generated_at)
    old_key = _sort_key(previous.completed_at or previous.generated_at)
    # On a tie the later file given wins (a retry is usually passed last).
    return new_key >= old_key


# ------------------------------------------------------------------------------------------- sources


def load_sources(
    path: str | os.PathLike[str], manifest: Manifest | None = None, *, require_usable: bool = True
) -> SourceFreshness:
    """Load sources.json (v1..v3) of ``dbt source freshness``.

    A file whose sources are mostly not in ``manifest`` is an InputError, or, with
    ``require_usable=False``, an empty result whose ``skipped`` says why.
    """
    return sources_from_dict(read_json(path, "sources"), path, manifest, require_usable=require_usable)


def sources_from_dict(
    data: dict[str, Any],
    path: str | os.PathLike[str] = "<sources>",
    manifest: Manifest | None = None,
    *,
    require_usable: bool = True,
) -> SourceFreshness:
    """Build :class:`SourceFreshness` from the parsed JSON object of sources.json."""
    name = str(path)
    metadata, _version = check_kind(data, path, "sources")
    out: dict[str, FreshnessResult] = {}
    for unique_id, status, result in _results(data, name, "sources", "re-run freshness"):
        criteria = result.get("criteria")
        out[unique_id] = FreshnessResult(
            unique_id=unique_id,
            status=status,
            message=_as_str(result.get("error")) or _as_str(result.get("message")),
            max_loaded_at=_as_str(result.get("max_loaded_at")),
            snapshotted_at=_as_str(result.get("snapshotted_at")),
            age_seconds=_as_float(result.get("max_loaded_at_time_ago_in_s")),
            criteria=criteria if isinstance(criteria, dict) else None,
            execution_time=_as_float(result.get("execution_time")),
        )
    reason = _foreign_reason(list(out), manifest)
    if reason and require_usable:
        raise InputError(f"sources {name!r} {reason}")
    return SourceFreshness(
        results={} if reason else out,
        invocation_id=_as_str(metadata.get("invocation_id")),
        generated_at=_as_str(metadata.get("generated_at")),
        path=name,
        skipped=SkippedFile(name, reason) if reason else None,
    )
