"""Secrets registered once, removed from every message that leaves the process.

Code that learns a secret (the Looker client secret, an access token, a Slack webhook's path)
calls :func:`register` (or :func:`register_url`); :mod:`dbtmeta.console` passes every line it
prints through :func:`scrub`, and error messages built from remote answers go through
:func:`one_line` (scrub first, then cut: a cut never leaves a prefix of a secret behind).

A secret is removed in every form a message can carry it: as is, URL-encoded (``+`` or ``%20``
for spaces, hex digits of ``%XX`` in either case), JSON-escaped, Python-``repr``-escaped, with its
whitespace collapsed. Any piece of one of these forms that starts like it (its first 8 characters,
or all of a shorter one) is removed as far as it matches, so a cut copy a server echoed is caught
too, as is a message that ends in the first 4 or more characters of one. Values shorter than 4
characters are not treated as secrets. :mod:`dbtmeta.errors` scrubs every error's text too, so a
``--debug`` traceback carries no secret either.

Must not: import anything of dbtmeta (every leaf may use it), or keep a secret anywhere but in
this process's memory.
"""

from __future__ import annotations

import json
import re
import threading
from urllib.parse import quote, quote_plus, unquote, urlsplit

MASK = "***"
MIN_LENGTH = 4  # shorter values are not secrets (masking them would mangle every message)
PREFIX_LENGTH = 8  # a piece this long that starts like a secret is treated as a cut copy of it

_lock = threading.Lock()
_secrets: set[tuple[str, bool]] = set()
_forms: list[str] = []  # every form of every secret, longest first: masked with their cut copies
_exact: list[str] = []  # forms masked only whole (a URL path: its pieces are registered apart)


def register(value: str | None, *, cut_copies: bool = True) -> None:
    """Remember ``value`` as a secret from now on (``None``, empty and short values are ignored).

    ``cut_copies=False``: mask only whole copies (in every form), for a value whose first
    characters are common (``/services/...``) and whose secret pieces are registered one by one.
    """
    if not value or len(value) < MIN_LENGTH:
        return
    with _lock:
        if (value, cut_copies) in _secrets:
            return
        _secrets.add((value, cut_copies))
        target = _forms if cut_copies else _exact
        forms = set(target) | {f for f in _forms_of(value) if len(f) >= MIN_LENGTH}
        target[:] = sorted(forms, key=len, reverse=True)


def register_url(url: str) -> None:
    """Register the secret parts of a URL: its whole path and query, each token-like piece of them
    (8+ characters with a digit, or 16+), and a password. The host is not a secret.

    A webhook's path is its key; masking cut copies of the whole path would also mask every
    ``/services/...`` in unrelated messages, so cut copies are caught by the pieces instead.
    """
    try:
        parts = urlsplit(url)
    except ValueError:
        register(url)
        return
    whole = parts.path + (f"?{parts.query}" if parts.query else "")
    if parts.path not in ("", "/") or parts.query:
        register(whole, cut_copies=False)
    for piece in re.split(r"[/?&=;]", unquote(whole)):
        if len(piece) >= 16 or (len(piece) >= PREFIX_LENGTH and any(ch.isdigit() for ch in piece)):
            register(piece)
    if parts.password:
        register(parts.password)


def _forms_of(secret: str) -> set[str]:
    forms = {secret, " ".join(secret.split())}
    for text in list(forms):
        forms.add(quote(text, safe=""))
        forms.add(quote(text, safe="/"))
        forms.add(quote_plus(text, safe=""))
        forms.add(json.dumps(text)[1:-1])
        forms.add(json.dumps(text, ensure_ascii=False)[1:-1])
        forms.add(repr(text)[1:-1])
    for text in list(forms):  # %2f as well as %2F
        forms.add(re.sub(r"%[0-9A-F]{2}", lambda m: m.group(0).lower(), text))
    return forms


def scrub(text: str) -> str:
    """``text`` with every registered secret, in every form (and cut copies), replaced by ``***``."""
    with _lock:
        forms, exact = list(_forms), list(_exact)
    if not (forms or exact) or not text:
        return text
    for form in exact:
        text = text.replace(form, MASK)
    by_head: dict[str, list[str]] = {}
    for form in forms:
        by_head.setdefault(form[:PREFIX_LENGTH], []).append(form)
    for head, group in by_head.items():
        text = _mask_copies(text, head, group)
    for form in forms:
        text = _mask_cut_tail(text, form)
    return text


def _mask_copies(text: str, head: str, forms: list[str]) -> str:
    """Mask each place that starts with ``head`` and as much of the longest of ``forms`` (which all
    start with it) as follows there."""
    start = text.find(head)
    while start != -1:
        end = start + len(head)
        for form in forms:
            stop = start + len(head)
            while stop - start < len(form) and stop < len(text) and _same(text, stop, form, stop - start):
                stop += 1
            end = max(end, stop)
        text = text[:start] + MASK + text[end:]
        start = text.find(head, start + len(MASK))
    return text


def _same(text: str, at: int, form: str, index: int) -> bool:
    """``text[at]`` matches ``form[index]``; hex digits of a ``%XX`` escape in either case."""
    if text[at] == form[index]:
        return True
    in_escape = (index >= 1 and form[index - 1] == "%") or (index >= 2 and form[index - 2] == "%")
    return in_escape and text[at].lower() == form[index].lower()


def _mask_cut_tail(text: str, form: str) -> str:
    """Mask a text ending in the first MIN_LENGTH+ characters of ``form`` (a copy cut at the end)."""
    for length in range(min(len(form), PREFIX_LENGTH) - 1, MIN_LENGTH - 1, -1):
        if text.endswith(form[:length]):
            return text[:-length] + MASK
    return text


def one_line(text: object, limit: int = 200) -> str:
    """``text`` scrubbed, on one line, then cut to ``limit`` characters (scrubbed before the cut)."""
    line = scrub(" ".join(str(text).split()))  # collapsed first: a secret's spaces collapse too
    return line if len(line) <= limit else line[: limit - 3] + "..."


def forget_all() -> None:
    """Forget every secret (for tests that check what is registered)."""
    with _lock:
        _secrets.clear()
        _forms.clear()
        _exact.clear()
