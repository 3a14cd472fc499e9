"""Snapshots: crawled Looker content saved as JSON, so sync can run offline and reproducibly.

The file is ``LookerContent.to_dict()`` (no credentials are ever part of the content), written with
sorted keys and a trailing newline so that the same content gives the same bytes. Format 2 keeps
the field definitions and joins (column lineage); format 1 files still load, without them.

Must not: know about dbt nodes, or write anything but ``LookerContent.to_dict()``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from dbtmeta.atomic import write_atomic
from dbtmeta.errors import InputError, UsageError
from dbtmeta.files import MAX_SNAPSHOT_BYTES, read_optional_text
from dbtmeta.looker.content import GROUP_JOINS_BY_FIELD, READABLE_SNAPSHOT_VERSIONS, LookerContent
from dbtmeta.text import dumps_json, loads_json


def dumps_snapshot(content: LookerContent) -> str:
    """The snapshot's text: strict JSON; a lone surrogate in a title is written as its ``\\uXXXX`` escape."""
    return dumps_json(content.to_dict(), indent=2, sort_keys=True) + "\n"


def save_snapshot(content: LookerContent, path: str | os.PathLike[str]) -> None:
    """Write ``content`` to ``path`` atomically (a reader sees the old file or the whole new one)."""
    try:
        write_atomic(path, dumps_snapshot(content), what="--output")
    except OSError as exc:
        raise UsageError(f"cannot write snapshot {str(path)!r}: {exc.strerror or exc}") from None


def load_snapshot(path: str | os.PathLike[str]) -> LookerContent:
    """Read a snapshot written by ``save_snapshot``. Raises ``InputError`` (one line) if unusable."""
    target = Path(path)
    redo = "re-create it with 'dbtmeta looker pull --output FILE'"
    text = read_optional_text(target, "Looker snapshot", MAX_SNAPSHOT_BYTES, hint=redo)
    if text is None:
        raise InputError(f"Looker snapshot {str(target)!r} not found: {redo}")
    try:
        data: Any = loads_json(text)
    except json.JSONDecodeError as exc:
        raise InputError(
            f"Looker snapshot {str(target)!r} is not valid JSON (truncated?) at line {exc.lineno}: {redo}"
        ) from None
    except ValueError as exc:  # nested too deep; a number past the int conversion limit
        raise InputError(f"Looker snapshot {str(target)!r} is not usable ({exc}): {redo}") from None
    if not isinstance(data, dict) or "format_version" not in data:
        raise InputError(f"{str(target)!r} is not a dbtmeta Looker snapshot: {redo}")
    version = data["format_version"]
    if version not in READABLE_SNAPSHOT_VERSIONS or isinstance(version, bool):
        readable = ", ".join(map(str, READABLE_SNAPSHOT_VERSIONS))
        raise InputError(
            f"Looker snapshot {str(target)!r} has format version {version!r}, this dbtmeta reads "
            f"versions {readable}: {redo}"
        )
    try:
        content = LookerContent.from_dict(data)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise InputError(
            f"Looker snapshot {str(target)!r} is malformed ({type(exc).__name__}: {exc}): {redo}"
        ) from None
    if not content.source.startswith("snapshot:"):
        content.source = f"snapshot:{content.source}"
    if version < GROUP_JOINS_BY_FIELD:
        from dbtmeta.console import warn

        warn(
            f"Looker snapshot {str(target)!r} has format version {version}: a tile reading a dimension "
            "group's timeframe (created_date) may miss the joins the group's SQL needs; pull it again "
            "with 'dbtmeta looker pull --output FILE'"
        )
    return content
