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


# The fuzz and hostile-input tests' bounds on one dbtmeta process: address space (a blow-up ends in
# MemoryError, exit 70, instead of swapping the machine) and CPU seconds. glibc reserves 64 MiB of
# address space per malloc arena (one per thread, up to 8 per core): two arenas keep the limit about
# memory actually used.
MEMORY_LIMIT = 1536 * 2**20
CPU_LIMIT = 60


# Sets the limits, then becomes `python -m dbtmeta ARGS` (exec, no fork: preexec_fn is unsafe in a
# test process with server threads).
_LIMITED = (
    "import os, resource, sys\n"
    "memory, cpu = int(sys.argv[1]), int(sys.argv[2])\n"
    "resource.setrlimit(resource.RLIMIT_AS, (memory, memory))\n"
    "resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu))\n"
    "os.execv(sys.executable, [sys.executable, '-m', 'dbtmeta', *sys.argv[3:]])\n"
)


def run_limited(
    args: Sequence[str],
    *,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    timeout: float = 60,
    memory: int = MEMORY_LIMIT,
    cpu: int = CPU_LIMIT,
) -> subprocess.CompletedProcess[str]:
    """:func:`run_dbtmeta` under ``memory`` bytes of address space and ``cpu`` CPU seconds.

    Raises ``subprocess.TimeoutExpired`` (the child killed) past ``timeout`` wall seconds.
    """
    full = {k: v for k, v in os.environ.items() if not k.startswith(("LOOKERSDK_", "DBTMETA_"))}
    full.update({"MALLOC_ARENA_MAX": "2", **(env or {})})
    return subprocess.run(
        [sys.executable, "-c", _LIMITED, str(memory), str(cpu), *args],
        env=full,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
