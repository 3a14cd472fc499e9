"""Which views and explores a LookML file may define, found without parsing it.

``scan(text)`` looks for ``view: NAME`` / ``explore: NAME`` anywhere in the text (in comments and
SQL too: a name found there only costs a parse that finds nothing). The reader uses the answer
to parse a file only when a model needs one of its names. A file the scan cannot vouch for is
``certain=False`` and parsed like before: one that mentions ``include`` (its includes decide what
a model sees, and only lkml reads them exactly) or whose names use ``@{constants}``.

Must not: parse LookML or SQL, or decide anything about models (``lookml.py`` does).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# `view: name` / `explore: +name`, not `view_name:` / `explore_source:` / `${view.x}`.
_DEFINITION = re.compile(r"(?<![\w$.])(view|explore)\s*:\s*((?:@\{[^}]*\}|\$\{[^}]*\}|[^\s{}])*)")


@dataclass(frozen=True)
class Names:
    """Names a file may define (``+name`` for refinements), in order of first appearance."""

    views: tuple[str, ...]
    explores: tuple[str, ...]
    certain: bool  # False: parse the file whatever it defines


def scan(text: str) -> Names:
    """The view and explore names ``text`` may define (a superset of what lkml finds)."""
    if "include" in text:
        return Names((), (), False)
    views: dict[str, None] = {}
    explores: dict[str, None] = {}
    for kind, name in _DEFINITION.findall(text):
        name = name.strip('"')
        if not name or "@{" in name or "$" in name:
            return Names((), (), False)
        (views if kind == "view" else explores)[name] = None
    return Names(tuple(views), tuple(explores), True)
