"""LookML substitution syntax in SQL text: ``@{constants}``, ``-- if prod --``, ``${view.X}``, Liquid.

Only LookML's own markers are matched here; the SQL itself is always parsed by sqlglot
(``dbtmeta.sqlnames``). Liquid is rendered with python-liquid, with the user attributes the user
supplied and Looker's ``_model``/``_view``/``_explore`` names; what needs a value nobody gave, or
depends on the query, is never guessed: callers report it as a problem.

Must not: parse SQL itself, know about dbt nodes, or read files.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

_NAME = r"[A-Za-z_][A-Za-z0-9_]*"
_CONSTANT = re.compile(r"@\{\s*(" + _NAME + r")\s*\}")
_IF_ENV = re.compile(r"--\s*if\s+(prod|dev)\s*--", re.IGNORECASE)
_VIEW_TABLE = re.compile(r"\$\{\s*(" + _NAME + r")\s*\.\s*SQL_TABLE_NAME\s*\}")
_CONDITION = re.compile(
    r"\{%-?\s*(condition|incrementcondition)\b.*?%\}.*?\{%-?\s*end\1\s*-?%\}", re.DOTALL | re.IGNORECASE
)
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


def substitute_or_keep(text: str, constants: dict[str, str]) -> str:
    """``text`` with its constants substituted, or as written when that fails (:class:`ConstantError`):
    for names and messages, where the failure is reported where the value is used."""
    try:
        return substitute_constants(text, constants)[0]
    except ConstantError:
        return text


def substitute_all(value: Any, constants: dict[str, str]) -> Any:
    """``@{constant}`` replaced in every string of parsed LookML or YAML (Looker substitutes text).

    Unknown constants are left as written, for the caller to report.
    """
    if isinstance(value, str):
        return substitute_or_keep(value, constants) if "@{" in value else value
    if isinstance(value, list):
        return [substitute_all(v, constants) for v in value]
    if isinstance(value, dict):
        return {k: substitute_all(v, constants) for k, v in value.items()}
    return value


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
    """Whether ``text`` contains a Liquid tag or output marker (``{%`` or ``{{``)."""
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
    """Views (or explore aliases) named in ``${name.field}`` references, in order
    (``${name.SQL_TABLE_NAME}`` names a table, not a field: it is left out)."""
    return list(dict.fromkeys(ref.partition(".")[0] for ref in field_refs(text)))


_ANY_REF = re.compile(r"\$\{\s*([^}]*?)\s*\}")


def substitution_refs(text: str) -> list[str]:
    """The inside of every ``${...}`` reference (``TABLE``, ``field``, ``view.field``), in order."""
    return list(dict.fromkeys(_ANY_REF.findall(text)))


def has_substitution(text: str) -> bool:
    """Whether ``text`` contains a LookML ``${...}`` or ``@{...}`` substitution marker."""
    return "${" in text or "@{" in text


def field_refs(text: str) -> list[str]:
    """``view.field`` names referenced as ``${view.field}`` (filter expressions, table calculations).

    A small scanner over Looker's ``${...}`` substitution markers: whatever is around them (SQL,
    Looker expressions) is not interpreted. ``${TABLE}``, ``${field}`` and ``${view.SQL_TABLE_NAME}``
    are not ``view.field`` references and are left out.
    """
    found: list[str] = []
    start = text.find("${")
    while start != -1:
        end = text.find("}", start + 2)
        if end == -1:
            break
        inner = text[start + 2 : end].strip()
        view, dot, name = inner.partition(".")
        if (
            dot
            and _IDENTIFIER.fullmatch(view.strip())
            and _IDENTIFIER.fullmatch(name.strip())
            and name.strip() != "SQL_TABLE_NAME"
        ):
            ref = f"{view.strip()}.{name.strip()}"
            if ref not in found:
                found.append(ref)
        start = text.find("${", end + 1)
    return found


_IDENTIFIER = re.compile(_NAME)


@dataclass(frozen=True)
class LiquidContext:
    """What Liquid in ``sql_table_name`` / derived SQL may read: user attributes the user supplied
    and the names Looker gives (``_model._name``, ``_view._name``, ``_explore._name``)."""

    model: str
    view: str
    explore: str | None = None
    user_attributes: Mapping[str, str] = field(default_factory=dict)


class _Attributes(dict[str, str]):
    """User attributes that remember which names were asked for and not supplied."""

    def __init__(self, values: Mapping[str, str]) -> None:
        super().__init__(values)
        self.missing: list[str] = []

    def __missing__(self, key: str) -> str:
        if key not in self.missing:
            self.missing.append(key)
        raise KeyError(key)


def uses_explore_name(text: str) -> bool:
    """Whether the Liquid in ``text`` reads ``_explore`` (its result then differs per explore)."""
    template = _parse_liquid(text)
    return template is not None and "_explore" in template.global_variables()


def render_liquid(text: str, context: LiquidContext) -> tuple[str | None, str | None]:
    """Render Liquid with python-liquid: (text, None), or (None, why it cannot be rendered).

    Nothing is guessed: a user attribute the user did not supply, ``_explore._name`` outside an
    explore, any variable or tag that depends on the query (``parameter``, ``_filters``,
    ``date_start``...) makes it a problem.
    """
    from liquid.exceptions import LiquidError

    try:
        template = _liquid_env().from_string(text)
    except LiquidError as exc:
        return None, f"uses Liquid that depends on the query or user ({_first_line(exc)})"
    except Exception as exc:  # odd input python-liquid does not turn into a LiquidError
        return None, f"uses Liquid that could not be read ({_first_line(exc)})"
    attributes = _Attributes(context.user_attributes)
    names: dict[str, object] = {
        "_user_attributes": attributes,
        "_model": {"_name": context.model},
        "_view": {"_name": context.view},
    }
    if context.explore is not None:
        names["_explore"] = {"_name": context.explore}
    try:
        return template.render(**names), None
    except LiquidError as exc:
        if attributes.missing:
            name = attributes.missing[0]
            return None, (
                f"uses Liquid user attribute {name!r}, which has no value: "
                f"give --user-attribute {name}=VALUE (or user_attribute in the config)"
            )
        if context.explore is None and "_explore" in template.global_variables():
            return None, "uses Liquid _explore._name outside an explore"
        return None, f"uses Liquid that depends on the query or user ({_first_line(exc)})"
    except Exception as exc:  # a filter failing on a value, and the like: reported, not raised
        return None, f"uses Liquid that could not be rendered ({_first_line(exc)})"


def _parse_liquid(text: str) -> Any:
    try:
        return _liquid_env().from_string(text)
    except Exception:  # LiquidError, or odd input: render_liquid reports it
        return None


_ENV: Any = None


def _liquid_env() -> Any:
    global _ENV
    if _ENV is None:
        from liquid import Environment, StrictUndefined

        env = Environment(undefined=StrictUndefined)
        # Looker's own filter for values in SQL: a single-quoted string literal.
        env.filters["sql_quote"] = lambda value: "'" + str(value).replace("'", "''") + "'"
        _ENV = env
    return _ENV


def _first_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return lines[0] if lines else type(exc).__name__


def swap_field_refs(sql: str) -> str:
    """Every other ``${...}`` marker -> a column-name placeholder, so the SQL around it parses."""
    return _ANY_REF.sub(lambda m: PLACEHOLDER_PREFIX + "ref", sql)
