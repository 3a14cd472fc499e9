"""Rich consoles that never interpret untrusted text as markup."""

from __future__ import annotations

import sys
from typing import TextIO

from rich.console import Console


def make_console(file: TextIO | None = None, *, stderr: bool = False) -> Console:
    """A Console with markup, emoji and highlighting off: every string is printed literally.

    Renderers build ``rich.text.Text`` / tables from data; nothing from Looker or dbt is ever parsed
    as ``[bold]`` markup or ``:emoji:`` codes.
    """
    stream = file if file is not None else (sys.stderr if stderr else sys.stdout)
    return Console(file=stream, markup=False, emoji=False, highlight=False, soft_wrap=False)
