"""``--format json``: the stable schema documented in docs/stale-dashboards.md (``schema_version`` 1).

Additive changes only within a schema version: new keys may appear, none are removed or renamed.

Must not: read files or compute health, or write JSON other than through :func:`dbtmeta.text.dumps_json`.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

from dbtmeta.health.model import status_name
from dbtmeta.render._common import ascii_only, sorted_exposures, summary_counts, write_text
from dbtmeta.text import dumps_json

if TYPE_CHECKING:
    from rich.console import Console

    from dbtmeta.health.model import Cause, ExposureHealth, HealthReport

SCHEMA_VERSION = 1


def cause_to_dict(cause: Cause) -> dict[str, Any]:
    """A root cause as JSON: its fields in declaration order (the schema's), the path as a list."""
    data = {field.name: getattr(cause, field.name) for field in dataclasses.fields(cause)}
    data["path"] = list(cause.path or ())
    data["severity"] = status_name(cause.severity)
    if cause.tiles is None:  # tile-level health only (stale-dashboards --lookml-dir)
        del data["tiles"]
    else:
        data["tiles"] = list(cause.tiles)
    return data


def exposure_to_dict(exposure: ExposureHealth) -> dict[str, Any]:
    """One exposure's health as JSON: identity, status, owner, tags, meta and its root causes."""
    return {
        "unique_id": exposure.unique_id,
        "name": exposure.name,
        "label": exposure.label,
        "type": exposure.type,
        "maturity": exposure.maturity,
        "status": status_name(exposure.status),
        "url": exposure.url,
        "owner": {"name": exposure.owner_name, "email": exposure.owner_email},
        "tags": list(exposure.tags or ()),
        "meta": dict(exposure.meta or {}),
        "original_file_path": exposure.original_file_path,
        "causes": [cause_to_dict(cause) for cause in exposure.causes],
        **({} if exposure.tiles is None else {"tiles": [{"id": i, "title": t} for i, t in exposure.tiles]}),
    }


def report_to_dict(report: HealthReport) -> dict[str, Any]:
    """The whole report as JSON (``schema_version`` 1): summary counts, exposures worst first."""
    exposures = sorted_exposures(report.exposures)
    return {
        "schema_version": SCHEMA_VERSION,
        "project_name": report.project_name,
        "generated_at": report.generated_at,
        "invocation_ids": list(report.invocation_ids or ()),
        "summary": summary_counts(exposures),
        "exposures": [exposure_to_dict(exposure) for exposure in exposures],
    }


def to_text(report: HealthReport, *, ascii_only: bool = False) -> str:
    """The document with one exposure per line: readable, greppable, and written by json's C
    encoder (``indent=`` would switch to the pure-Python one, 10x slower on big projects).

    Strict JSON (:func:`dbtmeta.text.dumps_json`): NaN/Infinity become ``null``."""
    data = report_to_dict(report)
    exposures = data.pop("exposures")
    head = dumps_json(data, ascii_only=ascii_only)
    lines = ",\n".join("  " + dumps_json(e, ascii_only=ascii_only) for e in exposures)
    return f'{head[:-1]}, "exposures": [\n{lines}\n]}}\n'


def render(report: HealthReport, console: Console) -> None:
    """Write :func:`to_text` to ``console``'s stream, escaping non-ASCII when the stream is not UTF-8."""
    write_text(console, to_text(report, ascii_only=ascii_only(console)))
