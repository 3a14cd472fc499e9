"""Where dbtmeta talks to people: rich consoles that never interpret text, and the stderr line format.

Every diagnostic goes to stderr as one line, ``dbtmeta: error: ...``, ``dbtmeta: warning: ...`` or
``dbtmeta: ...`` (information); stdout carries only the command's result. rich is imported only when
a console is made, so importing this module stays cheap. Every message is first scrubbed of
registered secrets (:mod:`dbtmeta.secrets`); messages quote names from dbt and Looker: control
characters in them are then shown as escapes (:func:`dbtmeta.text.visible`).

Must not: import a package above the leaves (``secrets`` and ``text`` only), or let rich interpret
markup, emoji codes or highlighting in the text it is given.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, TextIO

import click

from dbtmeta.secrets import scrub
from dbtmeta.text import visible

if TYPE_CHECKING:
    from rich.console import Console

PREFIX = "dbtmeta"


def make_console(file: TextIO | None = None, *, stderr: bool = False) -> Console:
    """A Console with markup, emoji and highlighting off: every string is printed literally.

    Renderers build ``rich.text.Text`` / tables from data; nothing from Looker or dbt is ever parsed
    as ``[bold]`` markup or ``:emoji:`` codes.
    """
    from rich.console import Console

    stream = file if file is not None else (sys.stderr if stderr else sys.stdout)
    if file is None:
        # A stdout that cannot encode a character (PYTHONIOENCODING=ascii, a latin-1 locale) gets an
        # escape instead of a UnicodeEncodeError halfway through the output.
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            reconfigure(errors="backslashreplace")
    return Console(file=stream, markup=False, emoji=False, highlight=False, soft_wrap=False)


def error(message: str) -> None:
    """``dbtmeta: error: <message>`` on stderr."""
    click.echo(f"{PREFIX}: error: {visible(scrub(message))}", err=True)


def warn(message: str) -> None:
    """``dbtmeta: warning: <message>`` on stderr."""
    click.echo(f"{PREFIX}: warning: {visible(scrub(message))}", err=True)


def info(message: str) -> None:
    """``dbtmeta: <message>`` on stderr: progress and summaries, never results."""
    click.echo(f"{PREFIX}: {visible(scrub(message))}", err=True)
