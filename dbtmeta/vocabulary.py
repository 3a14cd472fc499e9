"""The words dbt and dbtmeta share, defined once: exposure types, maturities, node kinds, depends_on.

A leaf module: it imports nothing from dbtmeta and nothing heavy, so every layer (the CLI's
``click.Choice`` lists included) can use it without slowing ``dbtmeta --help``.

Must not: import from dbtmeta or anything heavy.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

# dbt's exposure ``type`` values (dbt-core's ExposureType).
EXPOSURE_TYPES: tuple[str, ...] = ("dashboard", "notebook", "analysis", "ml", "application")

# dbt's exposure ``maturity`` values (dbt-core's MaturityType), lowest first: comparisons use the index.
MATURITIES: tuple[str, ...] = ("low", "medium", "high")

# Node kinds that build a warehouse relation an exposure can read.
RELATION_NODE_TYPES: tuple[str, ...] = ("model", "seed", "snapshot")

# dbt's unique ids start with the resource type: a prefix check tells tests apart without a lookup.
TEST_PREFIXES: tuple[str, ...] = ("test.", "unit_test.")


def maturity_rank(maturity: str | None) -> int:
    """``low`` -> 1, ``medium`` -> 2, ``high`` -> 3; anything else (missing, unknown) -> 0."""
    return MATURITIES.index(maturity) + 1 if maturity in MATURITIES else 0


def depends_on_nodes(node: Mapping[str, Any] | None) -> list[str]:
    """The unique ids in a manifest node's ``depends_on.nodes``; [] when absent or malformed."""
    if not isinstance(node, Mapping):
        return []
    depends = node.get("depends_on")
    if isinstance(depends, Mapping):
        ids = depends.get("nodes")
        if isinstance(ids, list):
            return [item for item in ids if isinstance(item, str)]
    return []


def is_test(unique_id: str) -> bool:
    """Whether ``unique_id`` names a data test or a unit test."""
    return unique_id.startswith(TEST_PREFIXES)


def dict_at(node: Mapping[str, Any], key: str) -> dict[str, Any]:
    """``node[key]`` when it is a mapping (``owner``, ``config``, ``meta``...), else an empty dict."""
    value = node.get(key)
    return dict(value) if isinstance(value, Mapping) else {}
