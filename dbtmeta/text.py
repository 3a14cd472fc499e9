"""Untrusted text (titles, descriptions, owner names, messages) made safe to show: the one sanitiser.

Every human-facing renderer (table, tree, markdown, Slack, Mermaid) passes text from dbt and Looker
through :func:`clean`: whitespace collapsed to single spaces, every control character (C0, DEL, C1:
ESC, BEL, the CSI/OSC introducers of terminal sequences), bidi control and lone surrogate written
as a visible escape (``\\x1b``, ``\\u202e``, ``\\ud800``), then cut to a length. Markdown and Slack
add :func:`no_autolinks`; documents with a platform limit go through :func:`cap_document`; JSON is
written only by :func:`dumps_json` (strict: no NaN/Infinity, no raw control or bidi characters) and
read only by :func:`loads_json` (nesting bounded at :data:`MAX_JSON_DEPTH` before anything parses it).

Must not: import from any package of dbtmeta, or know a format's own escaping (renderers do that).
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

# Per-string caps: a title, a name or an owner; a dbt/Looker message (often a SQL error).
MAX_NAME = 200
MAX_MESSAGE = 500
# GitHub's limit on an issue or PR comment (characters); the markdown outputs stay under it.
GITHUB_COMMENT_LIMIT = 65_536

# C0 and DEL, C1 (U+0080..U+009F: CSI U+009B and OSC U+009D act like ESC [ / ESC ] on some
# terminals), Arabic letter mark, LRM/RLM, the embeddings/overrides/isolates, the line and paragraph
# separators, and surrogates (a lone one cannot be encoded by any codec).
_BEYOND_C0 = "\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029\ud800-\udfff"
_UNSAFE_RE = re.compile(f"[\x00-\x1f{_BEYOND_C0}]")
_JSON_UNSAFE_RE = re.compile(f"[{_BEYOND_C0}]")  # json escapes C0 itself
# What GitHub's autolinker (and Slack's) turns into links or mentions.
_SCHEME_RE = re.compile(r":(?=//)")
_WWW_RE = re.compile(r"(?i)(?<=www)\.")
WORD_JOINER = "\u2060"


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def visible(text: object) -> str:
    """``text`` with every control character, bidi control and lone surrogate as a visible escape."""
    return _UNSAFE_RE.sub(_escape, "" if text is None else str(text))


def clip(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` characters, ending in ``…`` when cut."""
    return text if len(text) <= limit else text[: max(limit - 1, 0)] + "…"


def clean(text: object, limit: int = MAX_NAME) -> str:
    """One safe line of untrusted text: whitespace collapsed, controls visible, at most ``limit`` chars."""
    if text is None:
        return ""
    return clip(visible(" ".join(str(text).split())), limit)


def no_autolinks(text: str) -> str:
    """Break what GitHub or Slack would turn into a link or mention, without changing how it reads.

    A word joiner (U+2060, invisible) goes after ``:`` of ``scheme://``, between ``www`` and ``.``
    and after every ``@`` (emails, ``@user``, ``@team``): the autolinkers no longer match.
    """
    text = _SCHEME_RE.sub(":" + WORD_JOINER, text)
    text = _WWW_RE.sub(WORD_JOINER + ".", text)
    return text.replace("@", "@" + WORD_JOINER)


def cap_document(text: str, limit: int = GITHUB_COMMENT_LIMIT) -> str:
    """A Markdown document cut to fewer than ``limit`` characters at a line end, saying what it cut.

    An open code fence (a Mermaid diagram) is closed so the rest still renders.
    """
    if len(text) < limit:
        return text
    note_room = 300
    kept = text[: limit - note_room]
    kept = kept[: kept.rfind("\n") + 1] if "\n" in kept else kept
    fences = sum(1 for line in kept.splitlines() if line.startswith("```"))
    if fences % 2:
        kept += "```\n"
    cut_lines = text[len(kept) :].count("\n")
    note = (
        f"\n_Output cut to stay under {limit:,} characters: {len(text) - len(kept):,} characters "
        f"({cut_lines:,} lines) left out. Use `--format json` for everything._\n"
    )
    return kept + note


def finite(value: Any) -> Any:
    """``value`` with every NaN/Infinity (in nested dicts, lists and tuples) replaced by ``None``."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {key: finite(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [finite(item) for item in value]
    return value


# No dbt artifact, Looker answer or file dbtmeta writes nests deeper than ~20 levels. Past this bound
# JSON is refused before any parser sees it: json.loads (and every walk of its result) recurses once
# per level, and 200,000 levels end in RecursionError. Walks take a few frames per level, so 128
# levels stay well under Python's 1,000-frame limit.
MAX_JSON_DEPTH = 128
_JSON_STRING = r'"[^"\\]*(?:\\.[^"\\]*)*"'
_STRING_RE = re.compile(_JSON_STRING, re.DOTALL)
_BYTES_STRING_RE = re.compile(_JSON_STRING.encode(), re.DOTALL)
_NOT_BRACKET_RE = re.compile(r"[^\[\]{}]+")
_NOT_BRACKET_BYTES = bytes(sorted(set(range(256)) - set(b"[]{}")))


class JsonTooDeep(ValueError):
    """JSON nested deeper than the bound: refused before it is parsed (a ``ValueError``, as bad JSON is)."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"JSON nested deeper than {limit:,} levels")
        self.limit = limit


def json_depth_exceeds(data: str | bytes, max_depth: int = MAX_JSON_DEPTH) -> bool:
    """Whether the arrays and objects of the JSON text ``data`` nest deeper than ``max_depth``.

    Linear and without recursion: strings are cut out (their brackets are text), then the brackets
    left are counted. Text that is not JSON is measured the same way (the parser rejects it later).
    """
    brackets: str | bytes
    if isinstance(data, str):
        if data.count("[") + data.count("{") <= max_depth:
            return False  # too few brackets to nest that deep: the usual case, one pass in C
        brackets = _NOT_BRACKET_RE.sub("", _STRING_RE.sub("", data))
        opening: tuple[str | int, ...] = ("[", "{")
    else:
        if data.count(b"[") + data.count(b"{") <= max_depth:
            return False
        brackets = _BYTES_STRING_RE.sub(b"", data).translate(None, _NOT_BRACKET_BYTES)
        opening = (ord("["), ord("{"))
    depth = 0
    for bracket in brackets:
        if bracket in opening:
            depth += 1
            if depth > max_depth:
                return True
        else:
            depth -= 1
    return False


def loads_json(data: str | bytes, *, max_depth: int = MAX_JSON_DEPTH) -> Any:
    """``json.loads(data)`` once the nesting is known to be at most ``max_depth`` levels.

    Raises ``JsonTooDeep`` past the bound and ``ValueError`` (``json.JSONDecodeError``, a number
    beyond the int conversion limit) for text that is not JSON; nothing else, whatever the input.
    Sizes are bounded where the text is read (``dbtmeta.files``, ``dbtmeta.http``).
    """
    if json_depth_exceeds(data, max_depth):
        raise JsonTooDeep(max_depth)
    try:
        return json.loads(data)
    except RecursionError:  # only with a max_depth near the interpreter's limit
        raise JsonTooDeep(max_depth) from None


def _json_escape(match: re.Match[str]) -> str:
    return f"\\u{ord(match.group()):04x}"


def dumps_json(
    value: Any, *, indent: int | None = None, sort_keys: bool = False, ascii_only: bool = False
) -> str:
    """Strict JSON: non-finite numbers as ``null``; C1, bidi and surrogate characters as ``\\uXXXX``.

    Non-ASCII text stays readable (all of it escaped with ``ascii_only``, for a stream that is not
    UTF-8); the escaped characters can only occur inside strings, where a ``\\uXXXX`` escape means
    the same character, so the document parses to the same data.
    """
    options: dict[str, Any] = {
        "indent": indent,
        "sort_keys": sort_keys,
        "ensure_ascii": ascii_only,
        "allow_nan": False,
        "default": str,
    }
    try:
        text = json.dumps(value, **options)
    except ValueError:  # a NaN or an Infinity somewhere: rare, so walk the value only then
        text = json.dumps(finite(value), **options)
    return _JSON_UNSAFE_RE.sub(_json_escape, text)
