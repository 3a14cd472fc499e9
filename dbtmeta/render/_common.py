"""Helpers every renderer shares: status order, summary counts, sorting.

Must not: read files or compute health; it writes only to the console it is given.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from dbtmeta.health.model import Status, status_name, status_rank
from dbtmeta.text import clean

if TYPE_CHECKING:
    from rich.console import Console

# Worst last: the order of Status.
STATUS_ORDER: tuple[str, ...] = tuple(status.value for status in Status)
STATUS_LABEL: dict[str, str] = {status.value: status.label for status in Status}


def sorted_exposures(exposures: Iterable[Any]) -> list[Any]:
    """Worst first, then by name."""
    return sorted(exposures, key=lambda e: (-status_rank(e.status), e.name))


def summary_counts(exposures: Iterable[Any]) -> dict[str, int]:
    """``{"total": n, "stale": n, "at_risk": n, "unknown": n, "fresh": n}``, worst first."""
    counts = dict.fromkeys(reversed(STATUS_ORDER), 0)
    total = 0
    for exposure in exposures:
        name = status_name(exposure.status)
        counts[name] = counts.get(name, 0) + 1
        total += 1
    return {"total": total, **counts}


def summary_line(exposures: Iterable[Any]) -> str:
    """``"2 stale, 1 at risk, 2 fresh"`` (worst first, zero counts left out)."""
    counts = summary_counts(exposures)
    if counts["total"] == 0:
        return "no exposures selected"
    parts = [f"{counts[name]} {STATUS_LABEL[name]}" for name in reversed(STATUS_ORDER) if counts.get(name)]
    return ", ".join(parts)


def display_name(exposure: Any) -> str:
    """The exposure's title (else its name), sanitised and capped (:func:`dbtmeta.text.clean`)."""
    return clean(exposure.label or exposure.name)


def owner_text(exposure: Any) -> str:
    """``name <email>``, sanitised; each part capped."""
    name, email = clean(exposure.owner_name), clean(exposure.owner_email)
    if name and email:
        return f"{name} <{email}>"
    return name or email


def short_id(unique_id: str) -> str:
    """``model.pkg.stg_x`` -> ``stg_x``; ``source.pkg.src.tbl`` -> ``src.tbl``."""
    parts = unique_id.split(".")
    if parts[0] == "source" and len(parts) >= 4:
        return ".".join(parts[2:])
    if parts[0] == "test" and len(parts) >= 3:
        return parts[2]
    return ".".join(parts[2:]) if len(parts) >= 3 else unique_id


def is_web_url(url: Any) -> bool:
    """Whether ``url`` is ``http(s)://`` without whitespace or control characters: safe as a link."""
    return (
        isinstance(url, str)
        and url.lower().startswith(("http://", "https://"))
        and not any(ch.isspace() or ord(ch) < 32 for ch in url)
    )


def one_line(text: Any, limit: int = 300) -> str:
    """Collapse whitespace (messages are often multi-line SQL errors), sanitise, cut to ``limit`` chars."""
    return clean(text, limit)


def failing_rows(count: int) -> str:
    """``"1 failing row"``, ``"3 failing rows"``."""
    return f"{count} failing row{'s' if count != 1 else ''}"


def ascii_only(console: Console) -> bool:
    """True when the console's stream is not UTF-8: JSON must then escape all non-ASCII text."""
    return not console.encoding.lower().replace("-", "").startswith("utf")


def write_text(console: Console, text: str) -> None:
    """Write machine output to the console's stream as is: rich would re-segment megabytes of text."""
    stream = console.file
    stream.write(text)
    stream.flush()
