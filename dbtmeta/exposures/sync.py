"""Plan and apply a sync: Looker content + manifest -> the generated exposures file.

``plan_sync`` is pure (reads files, writes nothing); ``apply`` writes only when the bytes change,
atomically, so an unchanged run keeps the file's mtime and a failed run leaves it as it was.

Must not: talk to Looker (it receives ``LookerContent``), or write anything outside
:func:`apply`.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from dbtmeta import yamlsafe
from dbtmeta.errors import InputError, UsageError
from dbtmeta.exposures.naming import assign_names
from dbtmeta.exposures.resolve import Finding, apply_connection_defaults, resolve_all
from dbtmeta.exposures.yaml_file import (
    ExposureSettings,
    MaturityRule,
    OwnerRule,
    build_entry,
    looker_key,
    read_existing,
    render,
    tags_meta_under_config,
)
from dbtmeta.files import read_text
from dbtmeta.looker.content import Connection, LookerContent

DEFAULT_OUTPUT = os.path.join("models", "exposures", "looker_exposures.yml")


ParsedOptions = tuple[list[MaturityRule], list[OwnerRule], dict[str, str], dict[str, Connection]]


@dataclass
class SyncOptions:
    """What shapes the generated file besides the Looker content and the manifest.

    Field names are sync-exposures' option names (and config keys), so a config section maps onto
    this class with :meth:`from_mapping`. Rules are kept as their text and parsed by :func:`plan`.
    """

    output: str | None = None
    strict: bool = False
    schema_map: Sequence[str] = ()
    dialect: str | None = None
    connection: Sequence[str] = ()
    default_owner_email: str | None = None
    default_owner_name: str | None = None
    maturity_rule: Sequence[str] = ()
    owner_rule: Sequence[str] = ()
    default_maturity: str = "medium"
    usage_stats: bool = False
    dashboard_url_base: str | None = None
    include_looks: bool = False
    referenced_columns: bool = False  # the caller computes them (exposures.referenced) and passes them in
    catalog_path: str | None = None  # their data_type's catalog.json (--catalog)

    @classmethod
    def field_names(cls) -> frozenset[str]:
        """The option names this class holds."""
        return frozenset(f.name for f in fields(cls))

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any]) -> SyncOptions:
        """The options among ``values`` (other keys, such as the content source, are ignored)."""
        known = cls.field_names()
        return cls(**{key: value for key, value in values.items() if key in known and value is not None})

    def parsed(self) -> ParsedOptions:
        """Rules, schema map and connection defaults, parsed; UsageError on a malformed one."""
        from dbtmeta.exposures.resolve import parse_connections, parse_schema_map

        if self.catalog_path and not self.referenced_columns:
            raise UsageError("--catalog goes with --referenced-columns: it gives their data_type")
        return (
            [MaturityRule.parse(text) for text in self.maturity_rule],
            [OwnerRule.parse(text) for text in self.owner_rule],
            parse_schema_map(self.schema_map),
            parse_connections(self.connection),
        )


def plan(
    content: LookerContent,
    manifest: Any,
    project_dir: str | os.PathLike[str],
    options: SyncOptions,
    parsed: ParsedOptions | None = None,
    referenced: Mapping[str, Sequence[Mapping[str, str]]] | None = None,
) -> SyncPlan:
    """Plan the sync; ``parsed``: ``options.parsed()`` when the caller has it (else parsed here:
    UsageError on a malformed rule or map); ``referenced``: Looker key -> ``meta.referenced_columns``
    (``exposures.referenced.referenced_columns``), for ``--referenced-columns``."""
    maturity_rules, owner_rules, schema_map, connections = parsed or options.parsed()
    apply_connection_defaults(content, connections)
    settings = ExposureSettings(
        project_name=manifest.project_name,
        base_url=content.base_url or options.dashboard_url_base,
        default_owner_name=options.default_owner_name,
        default_owner_email=options.default_owner_email,
        maturity_rules=maturity_rules,
        owner_rules=owner_rules,
        default_maturity=options.default_maturity,
        usage_stats=options.usage_stats,
    )
    return plan_sync(
        content,
        manifest,
        project_dir=project_dir,
        output=options.output,
        settings=settings,
        schema_map=schema_map,
        dialect=options.dialect,
        include_looks=options.include_looks,
        referenced=referenced,
    )


@dataclass
class SyncPlan:
    """What a sync would write: the file's old and new text, the exposures added and removed, the findings."""

    path: Path
    old_text: str | None
    new_text: str
    exposures: int
    added: list[str] = field(default_factory=list)  # exposure names
    removed: list[str] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    entries: list[dict[str, Any]] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        """True when the new text differs from the file's current text (or there is no file yet)."""
        return self.old_text != self.new_text

    def diff(self) -> str:
        """A unified diff from the file as it is (or ``/dev/null``) to the new text; empty if unchanged."""
        rel = self.path.name if not self.path.is_absolute() else str(self.path)
        return "".join(
            difflib.unified_diff(
                (self.old_text or "").splitlines(keepends=True),
                self.new_text.splitlines(keepends=True),
                fromfile=f"a/{rel}" if self.old_text is not None else "/dev/null",
                tofile=f"b/{rel}",
            )
        )

    def summary(self, *, dry_run: bool = False) -> str:
        """One line for people: the file, whether it is (or would be) written, and the counts."""
        tables = len({(f.dashboard_id, f.table) for f in self.findings if f.table})
        others = len([f for f in self.findings if not f.table])
        state = ("would be written" if dry_run else "written") if self.changed else "unchanged"
        return (
            f"{self.path}: {state}: {self.exposures} exposures, {len(self.added)} added, "
            f"{len(self.removed)} removed, {tables} unresolved tables, {others} other problems"
        )


def plan_sync(
    content: LookerContent,
    manifest: Any,
    *,
    project_dir: str | os.PathLike[str],
    output: str | os.PathLike[str] | None = None,
    settings: ExposureSettings | None = None,
    schema_map: Mapping[str, str] | None = None,
    dialect: str | None = None,
    include_looks: bool = False,
    referenced: Mapping[str, Sequence[Mapping[str, str]]] | None = None,
) -> SyncPlan:
    """Build the generated exposures file for ``content`` against ``manifest``, without writing anything.

    Reads the existing generated file (default ``DEFAULT_OUTPUT`` under ``project_dir``) to keep names,
    hand-set owners and urls, and the project's hand-written exposures to avoid their names.
    ``referenced``: Looker key -> the item's ``meta.referenced_columns``.
    """
    project = Path(project_dir)
    path = Path(output) if output else project / DEFAULT_OUTPUT
    if settings is None:
        settings = ExposureSettings(project_name=manifest.project_name)
    if settings.base_url is None and content.base_url:
        settings.base_url = content.base_url
    if settings.tags_meta_in_config is None:
        settings.tags_meta_in_config = project_tags_meta_under_config(manifest, project)
    existing = read_existing(str(path))
    resolutions = resolve_all(
        content, manifest, dialect=dialect, schema_map=schema_map, include_looks=include_looks
    )
    items = [
        (looker_key(r.dashboard.kind, r.dashboard.id), r.dashboard.title, r.dashboard.kind)
        for r in resolutions
    ]
    names = assign_names(items, existing.names, hand_written_names(manifest, project, path))
    entries = []
    for r in resolutions:
        key = looker_key(r.dashboard.kind, r.dashboard.id)
        columns = (referenced or {}).get(key)
        entries.append(
            build_entry(r, names[key], settings, existing.owners.get(key), existing.urls.get(key), columns)
        )
    new_text = render(entries)
    old_keys, new_keys = set(existing.names), {key for key, _, _ in items}
    return SyncPlan(
        path=path,
        old_text=existing.text,
        new_text=new_text,
        exposures=len(entries),
        added=sorted(names[k] for k in new_keys - old_keys),
        removed=sorted(existing.names[k] for k in old_keys - new_keys),
        findings=sorted(f for r in resolutions for f in r.findings),
        entries=entries,
    )


def project_tags_meta_under_config(manifest: Any, project_dir: Path) -> bool:
    """Where the project's dbt reads exposure tags/meta: the manifest's ``dbt_version``, else
    ``require-dbt-version`` in dbt_project.yml (see :func:`tags_meta_under_config`)."""
    metadata = getattr(manifest, "metadata", None)
    dbt_version = metadata.get("dbt_version") if isinstance(metadata, dict) else None
    require = None
    if not isinstance(dbt_version, str):
        import yaml

        try:
            config = yaml.safe_load((project_dir / "dbt_project.yml").read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, yaml.YAMLError):
            config = None  # dbt reports a broken dbt_project.yml; keep the default form
        if isinstance(config, dict):
            require = config.get("require-dbt-version")
    return tags_meta_under_config(dbt_version, require)


def apply(plan: SyncPlan) -> bool:
    """Write the file if its bytes change. Returns whether it was written."""
    from dbtmeta.atomic import write_atomic

    if not plan.changed:
        return False
    try:
        write_atomic(plan.path, plan.new_text)
    except OSError as exc:
        raise UsageError(f"cannot write {str(plan.path)!r}: {exc.strerror or exc}") from None
    return True


def hand_written_names(manifest: Any, project_dir: Path, output: Path) -> set[str]:
    """Exposure names of this project that live outside the generated file.

    From the manifest (may be stale) and from the project's YAML files (may not be parsed yet).
    """
    out = _resolved(output)
    names: set[str] = set()
    project_name = getattr(manifest, "project_name", None)
    for exposure in getattr(manifest, "exposures", {}).values():
        if project_name and exposure.get("package_name") not in (None, project_name):
            continue
        file_path = exposure.get("original_file_path")
        if isinstance(file_path, str):
            source_file = project_dir / file_path
            if _resolved(source_file) == out or not source_file.exists():
                continue  # ours, or a stale manifest entry of a deleted file
        if isinstance(exposure.get("name"), str):
            names.add(exposure["name"])
    names |= _scan_yaml_exposures(project_dir, out)
    return names


def _scan_yaml_exposures(project_dir: Path, output: Path) -> set[str]:
    import yaml

    from dbtmeta.dbt.project import exposure_yaml_files

    names: set[str] = set()
    for path in exposure_yaml_files(project_dir):
        if _resolved(path) == output:
            continue
        try:
            data = yamlsafe.load(read_text(path, "exposures file"))
        except (OSError, UnicodeDecodeError, yaml.YAMLError, InputError):
            continue  # not ours to judge; dbt parse will complain if it matters
        exposures = data.get("exposures") if isinstance(data, dict) else None
        for item in exposures if isinstance(exposures, list) else []:
            if isinstance(item, dict) and isinstance(item.get("name"), str):
                names.add(item["name"])
    return names


def _resolved(path: Path) -> Path:
    try:
        return path.resolve()
    except OSError:
        return path.absolute()
