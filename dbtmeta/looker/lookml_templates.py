"""LookML substitution syntax in SQL text: ``@{constants}``, ``-- if prod --``, ``${view.X}``, Liquid.

Only LookML's own markers are matched here; the SQL itself is always parsed by sqlglot
(``dbtmeta.sqlnames``). Liquid that depends on the user or the query is never evaluated: callers
report it as a problem instead of guessing.
"""

from __future__ import annotations

import re

_NAME = r"[A-Za-z_][A-Za-z0-9_]*"
_CONSTANT = re.compile(r"@\{\s*(" + _NAME + r")\s*\}")
_IF_ENV = re.compile(r"--\s*if\s+(prod|dev)\s*--", re.IGNORECASE)
_VIEW_TABLE = re.compile(r"\$\{\s*(" + _NAME + r")\s*\.\s*SQL_TABLE_NAME\s*\}")
_CONDITION = re.compile(
    r"\{%-?\s*(condition|incrementcondition)\b.*?%\}.*?\{%-?\s*end\1\s*-?%\}", re.DOTALL | re.IGNORECASE
)
_FIELD_REF = re.compile(r"\$\{\s*(" + _NAME + r")\s*\.\s*" + _NAME + r"\s*\}")
_LIQUID = ("{{", "{%")

PLACEHOLDER_PREFIX = "dbtmeta_lookml_view__"


# A sql_table_name or derived table SQL is a few KB; nothing real comes near this once expanded.
MAX_EXPANDED_CHARS = 1_000_000


class ConstantError(ValueError):
    """A constant refers to itself, or expands beyond :data:`MAX_EXPANDED_CHARS` characters."""


def substitute_constants(text: str, constants: dict[str, str]) -> tuple[str, list[str]]:
    """Replace ``@{name}`` with the constant's value; returns (text, names of unknown constants).

    Constants may refer to other constants. A constant that refers to itself (directly or through
    others) or a text that grows past :data:`MAX_EXPANDED_CHARS` raises :class:`ConstantError`
    (a one-line reason): each constant is expanded once, so sixteen copies of a constant inside a
    constant cost what they print, not sixteen to the power of the depth.
    """
    missing: list[str] = []
    resolved: dict[str, str] = {}
    chain: list[str] = []

    def expand(value: str, owner: str) -> str:
        out = _CONSTANT.sub(swap, value)
        if len(out) > MAX_EXPANDED_CHARS:
            raise ConstantError(f"{owner} expands to more than {MAX_EXPANDED_CHARS:,} characters")
        return out

    def swap(match: re.Match[str]) -> str:
        name = match.group(1)
        if name in resolved:
            return resolved[name]
        if name not in constants:
            if name not in missing:
                missing.append(name)
            return match.group(0)
        if name in chain:
            loop = " -> ".join(f"@{{{n}}}" for n in [*chain[chain.index(name) :], name])
            raise ConstantError(f"constant @{{{name}}} refers to itself ({loop})")
        chain.append(name)
        resolved[name] = expand(constants[name], f"constant @{{{name}}}")
        chain.pop()
        return resolved[name]

    return expand(text, "the text with its constants"), missing


def take_prod(text: str) -> str:
    """Keep what production runs: drop ``-- if dev --`` segments and the ``-- if prod --`` markers.

    A marker applies until the next marker or the end of its line, so both the one-line form
    (``-- if prod -- a.t -- if dev -- b.t``) and the one-marker-per-line form work.
    """
    out_lines = []
    for line in text.splitlines():
        pieces = _IF_ENV.split(line)
        kept = [pieces[0]]
        for env, segment in zip(pieces[1::2], pieces[2::2], strict=True):
            if env.lower() == "prod":
                kept.append(segment)
        out_lines.append("".join(kept))
    return "\n".join(out_lines)


def neutralise_conditions(sql: str) -> str:
    """``{% condition f %} col {% endcondition %}`` -> ``1=1``: a filter never changes the tables."""
    return _CONDITION.sub("1=1", sql)


def has_liquid(text: str) -> bool:
    return any(marker in text for marker in _LIQUID)


def views_of_table_refs(text: str) -> list[str]:
    """Views named in ``${view.SQL_TABLE_NAME}`` references, in order."""
    return list(dict.fromkeys(_VIEW_TABLE.findall(text)))


def swap_table_refs(sql: str) -> tuple[str, dict[str, str]]:
    """``${view.SQL_TABLE_NAME}`` -> a placeholder identifier sqlglot can parse; returns the map back."""
    mapping: dict[str, str] = {}

    def swap(match: re.Match[str]) -> str:
        placeholder = PLACEHOLDER_PREFIX + match.group(1).lower()
        mapping[placeholder] = match.group(1)
        return placeholder

    return _VIEW_TABLE.sub(swap, sql), mapping


def field_ref_views(text: str) -> list[str]:
    """Views (or explore aliases) named in ``${name.field}`` references, in order."""
    return list(dict.fromkeys(v for v in _FIELD_REF.findall(text) if v != "TABLE"))


_ANY_REF = re.compile(r"\$\{\s*([^}]*?)\s*\}")


def substitution_refs(text: str) -> list[str]:
    """The inside of every ``${...}`` reference (``TABLE``, ``field``, ``view.field``), in order."""
    return list(dict.fromkeys(_ANY_REF.findall(text)))


def has_substitution(text: str) -> bool:
    return "${" in text or "@{" in text
