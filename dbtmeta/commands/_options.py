"""Options shared by several commands. Imported when a command module loads: click only here.

Must not: compute anything a test would want to call: the library does.
"""

from __future__ import annotations

import io
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from dbtmeta.errors import UsageError

if TYPE_CHECKING:
    from rich.console import Console


def project_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """``--project-dir``, ``--target-path`` and ``--manifest``: where the dbt project and its artifacts are.

    The callback gets ``project_dir``, ``target_path`` and ``manifest_path``; pass them to
    :func:`dbtmeta.dbt.artifacts.find_artifacts` or :func:`dbtmeta.dbt.artifacts.load_project_manifest`.
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


class LenientChoice(click.Choice):  # type: ignore[type-arg]
    """Case-insensitive choice that also accepts ``-`` for ``_`` (``at-risk``)."""

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        """Strip and lower-case ``value``, map ``-`` to ``_`` if that names a choice, then check it."""
        if isinstance(value, str):
            value = value.strip().lower()
            if value not in self.choices and value.replace("-", "_") in self.choices:
                value = value.replace("-", "_")
        return super().convert(value, param, ctx)


def output_option(what: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """``--output/-o FILE``: the same meaning in every command: write ``what`` there instead of stdout."""
    return click.option(
        "--output",
        "-o",
        "output",
        metavar="FILE",
        help=f"Write {what} to FILE (replaced atomically) instead of stdout.",
    )


def check_output_path(path: str, flag: str = "--output") -> None:
    """Fail before any work when ``path`` cannot be an output file (a directory, a device, a FIFO,
    a missing parent). A symlink is fine: the file it points to is written."""
    from dbtmeta.atomic import output_target

    target = Path(path)
    if target.is_dir():
        raise UsageError(f"{flag} {path!r} is a directory; give a file path")
    target = output_target(path, flag)
    if not target.parent.is_dir():
        raise UsageError(f"{flag} {path!r}: directory {str(target.parent)!r} does not exist; create it first")


def emit(render: Callable[[Console], None], output: str | None, *, flag: str = "--output") -> None:
    """Run ``render`` on a console for stdout, or on a buffer then written atomically to ``output``."""
    from dbtmeta.console import make_console

    if output is None:
        console = make_console()
        if not console.is_terminal and not os.environ.get("COLUMNS"):
            console.width = 120  # pipes and CI logs: rich would assume 80 columns
        render(console)
        sys.stdout.flush()  # a full disk fails here (OSError), handled by the CLI as one line, exit 2
        return
    from dbtmeta.atomic import write_atomic

    buffer = io.StringIO()
    console = make_console(buffer)
    console.width = 120
    render(console)
    try:
        write_atomic(output, buffer.getvalue(), what=flag)
    except OSError as exc:
        raise UsageError(f"cannot write {flag} {output!r}: {exc.strerror or exc}") from None


class LookmlImport(click.types.StringParamType):
    """``NAME=DIR``: an imported LookML project and where it is checked out.

    In the config file DIR is relative to the config file, like every other path there.
    """

    name = "NAME=DIR"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> str:
        """``NAME=DIR`` with both sides stripped; a click usage error if either side is missing."""
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


SOURCE_KEYS = ("snapshot", "lookml_dir", "looker_ini", "base_url")


def source_layer(ctx: click.Context, values: dict[str, Any]) -> dict[str, Any]:
    """The Looker source options of the one layer that names a source, the others set to None.

    One rule for every command that reads Looker content: the command line beats the config file,
    which beats the environment (``LOOKERSDK_BASE_URL``). A layer that names any of
    ``--snapshot``, ``--lookml-dir``, ``--looker-ini``, ``--base-url`` is used alone, so a
    ``looker_ini`` in the config never joins a ``--snapshot`` given on the command line, and a
    config value never switches a command's mode. Two sources within one layer are checked by the
    loader.
    """
    from click.core import ParameterSource

    layers = (ParameterSource.COMMANDLINE, ParameterSource.DEFAULT_MAP, ParameterSource.ENVIRONMENT)
    for layer in layers:
        named = {k for k in SOURCE_KEYS if values.get(k) and ctx.get_parameter_source(k) is layer}
        if named:
            return {k: (values.get(k) if k in named else None) for k in SOURCE_KEYS}
    return {k: None for k in SOURCE_KEYS}


def source_on_command_line(ctx: click.Context) -> frozenset[str]:
    """The Looker source options given on the command line itself."""
    from click.core import ParameterSource

    return frozenset(k for k in SOURCE_KEYS if ctx.get_parameter_source(k) is ParameterSource.COMMANDLINE)
