"""Untrusted text (titles, descriptions, owner names, messages) made safe to show: the one sanitiser.

Every human-facing renderer (table, tree, markdown, Slack, Mermaid) passes text from dbt and Looker
through :func:`clean`: whitespace collapsed to single spaces, every control character (C0, DEL, C1:
ESC, BEL, the CSI/OSC introducers of terminal sequences), bidi control and lone surrogate written
as a visible escape (``\\x1b``, ``\\u202e``, ``\\ud800``), then cut to a length. Markdown and Slack
add :func:`no_autolinks`; documents with a platform limit go through :func:`cap_document`; JSON is
written only by :func:`dumps_json` (strict: no NaN/Infinity, no raw control or bidi characters).

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
    text = json.dumps(
        finite(value),
        indent=indent,
        sort_keys=sort_keys,
        ensure_ascii=ascii_only,
        allow_nan=False,
        default=str,
    )
    return _JSON_UNSAFE_RE.sub(_json_escape, text)
