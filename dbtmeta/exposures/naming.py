"""Stable snake_case exposure names.

- A name is the snake_case of the title (ASCII letters, digits, underscores; accents folded,
  everything else an underscore; a leading digit gets a ``dashboard_``/``look_`` prefix).
- An exposure that already exists in the generated file keeps its name (matched on the Looker id),
  whatever its title became, unless a hand-written exposure has taken that name since.
- A new name that is taken (hand-written exposures anywhere in the project, or another generated
  one) gets the first free ``_2``, ``_3``... suffix, new dashboards taken in Looker-id order.

Must not: read or write files, or talk to Looker: titles and names in, names out.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping

MAX_LENGTH = 80
_VALID = re.compile(r"^[a-z_][a-z0-9_]*$")


def snake_case(title: str, kind: str = "dashboard") -> str:
    """The exposure name for a title: ASCII snake_case, at most 80 characters.

    ``kind`` when nothing is left of the title; prefixed with ``kind_`` when it starts with a digit.
    """
    folded = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode("ascii")
    name = re.sub(r"[^a-z0-9]+", "_", folded.lower()).strip("_")
    if len(name) > MAX_LENGTH:
        name = name[:MAX_LENGTH].rstrip("_")
    if not name:
        return kind
    if name[0].isdigit():
        name = f"{kind}_{name}"
    return name


def is_valid_name(name: str) -> bool:
    """Whether ``name`` is a valid generated name: lower-case letters, digits, ``_``, no leading digit."""
    return bool(_VALID.match(name))


def assign_names(
    items: Iterable[tuple[str, str, str]],
    previous: Mapping[str, str],
    taken: Iterable[str],
) -> dict[str, str]:
    """Names for ``items`` = (looker key, title, kind); ``previous`` = looker key -> name last written.

    ``taken`` are names this file must not use (hand-written exposures). Returns looker key -> name.
    """
    reserved = set(taken)
    items = sorted(items, key=lambda item: _id_order(item[0]))
    names: dict[str, str] = {}
    used = set(reserved)
    # pass 1: existing entries keep their names (first claim wins if a file was edited into a clash)
    for key, _title, _kind in items:
        name = previous.get(key)
        if name and is_valid_name(name) and name not in used:
            names[key] = name
            used.add(name)
    # pass 2: new entries
    for key, title, kind in items:
        if key in names:
            continue
        base = snake_case(title, kind)
        name, n = base, 1
        while name in used:
            n += 1
            name = f"{base}_{n}"
        names[key] = name
        used.add(name)
    return names


def _id_order(key: str) -> tuple[str, int, str]:
    kind, _, looker_id = key.partition(":")
    return (kind, 0 if looker_id.isdigit() else 1, looker_id.zfill(20) if looker_id.isdigit() else looker_id)
