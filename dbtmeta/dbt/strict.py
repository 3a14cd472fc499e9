"""Opt-in strict validation of dbt artifacts against their published schemas (``--strict``).

Uses dbt-artifacts-parser (pydantic models of every artifact version; extra ``strict``). It is
slow (about 2 s to import, several times a plain ``json.load`` to validate), so it is imported only
here and only when asked for. Schema violations become one :class:`~dbtmeta.errors.InputError` line.

Must not: be imported at module level anywhere (it is slow), or know about Looker or health.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from typing import Any

from dbtmeta.dbt.artifacts import check_kind, read_json
from dbtmeta.errors import InputError

KINDS = ("manifest", "run_results", "sources")

# A pydantic union member in an error location (``GenericTestNode``, ``Nodes4``): field names and
# unique ids are never a bare capitalised word.
_UNION_MEMBER_RE = re.compile(r"[A-Z][A-Za-z0-9]*")


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
        errors = relevant_errors(exc.errors())
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


def relevant_errors(errors: Sequence[Any]) -> list[Any]:
    """The validation errors worth showing: per union, only those of the member the value meant.

    A node matches none of the node types of the manifest's union, so pydantic lists the errors of
    every member (``AnalysisNode.resource_type: Input should be 'analysis'``, ...). The member the
    value was meant to be is one whose ``resource_type`` matched; of those, the one with the fewest
    errors. Errors outside a union are all kept, in pydantic's order.
    """
    branches: dict[tuple[Any, ...], dict[str, list[int]]] = {}
    plain: list[int] = []
    for index, error in enumerate(errors):
        loc = tuple(error.get("loc", ()))
        at = next((i for i, part in enumerate(loc) if _is_union_member(part)), None)
        if at is None:
            plain.append(index)
            continue
        branches.setdefault(loc[:at], {}).setdefault(loc[at], []).append(index)
    keep = set(plain)
    for members in branches.values():
        meant = {
            name: indices
            for name, indices in members.items()
            if not any(tuple(errors[i].get("loc", ()))[-1:] == ("resource_type",) for i in indices)
        } or members
        best: list[int] = min(meant.values(), key=len)
        keep.update(best)
    return [error for index, error in enumerate(errors) if index in keep]


def _is_union_member(part: Any) -> bool:
    return isinstance(part, str) and _UNION_MEMBER_RE.fullmatch(part) is not None
