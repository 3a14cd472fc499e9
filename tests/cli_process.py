"""``python -m dbtmeta`` in a child process, as a user runs it: for tests that need a real process
(exit codes, stderr, signals, what a hung input does), with the caller's environment variables of
the given prefixes left out so the machine's own settings never leak in."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path


def run_dbtmeta(
    args: Sequence[str],
    *,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    drop: tuple[str, ...] = ("LOOKERSDK_", "DBTMETA_"),
    timeout: float = 120,
) -> subprocess.CompletedProcess[str]:
    """Run ``dbtmeta ARGS``: the environment without variables starting with ``drop``, plus ``env``."""
    full = {k: v for k, v in os.environ.items() if not k.startswith(drop)}
    full.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "dbtmeta", *args],
        env=full,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
