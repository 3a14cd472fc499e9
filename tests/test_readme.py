"""README promises: exactly two set-up commands, the second is what CI runs, every command documented."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from dbtmeta.cli import COMMANDS

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def _setup_commands() -> list[str]:
    section = README.split("## Set-up", 1)[1].split("\n## ", 1)[0]
    return [block.strip() for block in re.findall(r"```sh\n(.*?)```", section, flags=re.DOTALL)]


def test_readme_has_exactly_two_setup_commands() -> None:
    commands = _setup_commands()
    assert len(commands) == 2, commands
    assert all("\n" not in command for command in commands)
    assert "scripts/demo.sh" in commands[0]
    assert "pytest" in commands[1]


def test_ci_runs_the_readme_test_command_verbatim() -> None:
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert _setup_commands()[1] in ci.splitlines()


def test_demo_script_exists_and_is_valid_bash() -> None:
    subprocess.run(["bash", "-n", str(ROOT / "scripts" / "demo.sh")], check=True)


@pytest.mark.parametrize("name", [*sorted(set(COMMANDS) - {"looker"}), "looker pull"])
def test_every_command_is_documented_with_an_example(name: str) -> None:
    assert f"dbtmeta {name}" in README
    proc = subprocess.run(
        [sys.executable, "-m", "dbtmeta", *name.split(), "--help"], capture_output=True, text=True, check=True
    )
    body = proc.stdout.split("\n", 1)[1]  # past the "Usage:" line
    assert f"dbtmeta {name} " in body, f"`dbtmeta {name} --help` shows no example"
