"""Which views and explores a LookML file may define, found without parsing it.

``scan(text)`` looks for ``view: NAME`` / ``explore: NAME`` anywhere in the text (in comments and
SQL too: a name found there only costs a parse that finds nothing). The reader uses the answer
to parse a file only when a model needs one of its names. A file the scan cannot vouch for is
``certain=False`` and parsed like before: one that mentions ``include`` (its includes decide what
a model sees, and only lkml reads them exactly), or where a name is quoted, follows a comment
(``view: # note`` then the name) or uses ``@{constants}`` / ``${...}``.

Must not: parse LookML or SQL, or decide anything about models (``lookml.py`` does).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# `view: name` / `explore: +name`; each pattern starts with its keyword, which lets `re` skip ahead
# fast. The character before the keyword must not make it `preview:` or `${view.x}`.
_NAME = r"\s*:\s*((?:@\{[^}]*\}|\$\{[^}]*\}|[^\s{}])*)"
_DEFINITIONS = {"view": re.compile("view" + _NAME), "explore": re.compile("explore" + _NAME)}
_NOT_BEFORE = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_$.")


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
    found: dict[str, dict[str, None]] = {"view": {}, "explore": {}}
    for kind, pattern in _DEFINITIONS.items():
        for match in pattern.finditer(text):
            start = match.start()
            if start and text[start - 1] in _NOT_BEFORE:
                continue
            name = match.group(1)
            if not name or any(mark in name for mark in ('"', "#", "@{", "$")):  # quoted, a comment...
                return Names((), (), False)
            found[kind][name] = None
    return Names(tuple(found["view"]), tuple(found["explore"]), True)
