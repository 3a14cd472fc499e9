"""Options shared by several commands. Imported when a command module loads: click only here."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click


def project_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """``--project-dir``, ``--target-path`` and ``--manifest``: where the dbt project and its artifacts are.

    The callback gets ``project_dir``, ``target_path`` and ``manifest_path``; pass them to
    :func:`dbtmeta.artifacts.find_artifacts` or :func:`dbtmeta.artifacts.load_project_manifest`.
    All three are paths for the config file (relative to it there), like on the command line
    relative to the current directory.
    """
    options = [
        click.option(
            "--project-dir",
            type=click.Path(file_okay=False),
            envvar="DBT_PROJECT_DIR",
            metavar="DIR",
            help="dbt project directory [env DBT_PROJECT_DIR]. Default: the nearest dbt_project.yml upwards.",
        ),
        click.option(
            # Not click.Path: a relative target path is relative to the project dir, not to cwd.
            "--target-path",
            envvar="DBT_TARGET_PATH",
            metavar="DIR",
            help="dbt target directory, relative to the project [env DBT_TARGET_PATH]. "
            "Default: dbt_project.yml's target-path, else target.",
        ),
        click.option(
            "--manifest",
            "manifest_path",
            type=click.Path(dir_okay=False),
            metavar="FILE",
            help="manifest.json to read (default: the one in the target directory).",
        ),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def project_args(project_dir: str | None, target_path: str | None, manifest_path: str | None) -> list[str]:
    """The ``project_options`` values back as command-line arguments (to run another command)."""
    args: list[str] = []
    for flag, value in (
        ("--project-dir", project_dir),
        ("--target-path", target_path),
        ("--manifest", manifest_path),
    ):
        if value:
            args += [flag, value]
    return args


class LookmlImport(click.types.StringParamType):
    """``NAME=DIR``: an imported LookML project and where it is checked out.

    In the config file DIR is relative to the config file, like every other path there.
    """

    name = "NAME=DIR"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> str:
        text = str(value)
        name, eq, directory = text.partition("=")
        if not eq or not name.strip() or not directory.strip():
            self.fail(f"{text!r} is not NAME=DIR (e.g. block-config=../block-config)", param, ctx)
        return f"{name.strip()}={directory.strip()}"

    def relative_to(self, value: str, base: str) -> str:
        """``value`` with a relative DIR made relative to ``base`` (the config file's folder)."""
        import os

        name, _, directory = value.partition("=")
        expanded = os.path.expanduser(directory)
        return f"{name}={expanded if os.path.isabs(expanded) else os.path.join(base, expanded)}"
