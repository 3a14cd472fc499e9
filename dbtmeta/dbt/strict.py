"""Opt-in strict validation of dbt artifacts against their published schemas (``--strict``).

Uses dbt-artifacts-parser (pydantic models of every artifact version; extra ``strict``). It is
slow (about 2 s to import, several times a plain ``json.load`` to validate), so it is imported only
here and only when asked for. Schema violations become one :class:`~dbtmeta.errors.InputError` line.

Must not: be imported at module level anywhere (it is slow), or know about Looker or health.
"""

from __future__ import annotations

import os
from typing import Any

from dbtmeta.dbt.artifacts import check_kind, read_json
from dbtmeta.errors import InputError

KINDS = ("manifest", "run_results", "sources")


def validate_strict(path: str | os.PathLike[str], kind: str) -> Any:
    """Validate ``path`` as a dbt artifact of ``kind`` (manifest, run_results or sources).

    Returns the dbt-artifacts-parser model (e.g. ``ManifestV12``). Raises InputError when the file is
    unreadable, not that artifact, of an unsupported version, or does not match the schema.
    """
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, not {kind!r}")
    data = read_json(path, kind)
    check_kind(data, path, kind)
    try:
        from dbt_artifacts_parser import parser
        from pydantic import ValidationError
    except ImportError:
        raise InputError(
            "--strict needs dbt-artifacts-parser; install it with `pip install 'dbtmeta[strict]'`"
        ) from None
    parse = {
        "manifest": parser.parse_manifest,
        "run_results": parser.parse_run_results,
        "sources": parser.parse_sources,
    }[kind]
    try:
        return parse(data)
    except ValidationError as exc:
        errors = exc.errors()
        first: dict[str, Any] = dict(errors[0]) if errors else {}
        location = ".".join(str(part) for part in first.get("loc", ())) or "(top level)"
        message = str(first.get("msg", "invalid")).replace("\n", " ")[:200]
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        raise InputError(
            f"{kind.replace('_', ' ')} {str(path)!r} does not match the dbt schema: "
            f"{location}: {message}{more}; re-generate it with dbt or drop --strict"
        ) from None
    except ValueError as exc:
        raise InputError(
            f"{kind.replace('_', ' ')} {str(path)!r} is not recognised by dbt-artifacts-parser: "
            f"{str(exc).splitlines()[0] if str(exc) else 'unknown version'}"
        ) from None
