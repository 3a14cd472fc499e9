"""The command-line layer: parses flags, calls the library, maps errors to exit codes.

Subcommands live in ``dbtmeta/commands/`` and are imported only when invoked, so that
``dbtmeta --help`` and the pre-commit hooks start fast. Heavy libraries (looker_sdk, dbt, sqlglot,
dbt_artifacts_parser) are imported inside the functions that need them, never at module level.

Must not: import a command module before it is invoked, or compute anything a test would want to
call: that is the library's.
"""

from __future__ import annotations

import errno
import importlib
import os
import sys
from typing import Any, NoReturn

import click

from dbtmeta import __version__
from dbtmeta.console import error
from dbtmeta.errors import EXIT_INTERNAL, EXIT_INTERRUPTED, EXIT_USAGE, DbtmetaError, OptionError

# name -> (module, one-line help). The help is here so that listing commands imports nothing.
COMMANDS: dict[str, tuple[str, str]] = {
    "sync-exposures": (
        "dbtmeta.commands.sync_exposures",
        "Write dbt exposures for every Looker dashboard and Look.",
    ),
    "stale-dashboards": (
        "dbtmeta.commands.stale_dashboards",
        "Tell which dashboards a dbt run made stale or at risk, and why.",
    ),
    "lineage": ("dbtmeta.commands.lineage", "Show what a node depends on and which dashboards use it."),
    "impact": ("dbtmeta.commands.impact", "Tell which dashboards and owners a change affects."),
    "check-exposures": ("dbtmeta.commands.check_exposures", "Validate exposures against the manifest."),
    "check-fields": (
        "dbtmeta.commands.check_fields",
        "Check that LookML fields read columns their dbt nodes have (catalog).",
    ),
    "looker": ("dbtmeta.commands.looker", "Work with Looker content: pull a snapshot."),
}


class LazyGroup(click.Group):
    """The top-level click group: commands come from :data:`COMMANDS`, each module imported only when run."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        """The command names, sorted."""
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        """Import the command's module and return its ``command``; None for an unknown name."""
        entry = COMMANDS.get(cmd_name)
        if entry is None:
            return None
        module = importlib.import_module(entry[0])
        command: click.Command = module.command
        _accept_debug(command)
        return command

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        """As click's, but an unknown name gets the close matches among :data:`COMMANDS` suggested."""
        name = click.utils.make_str(args[0])
        if name not in COMMANDS and not ctx.resilient_parsing and not name.startswith("-"):
            import difflib

            close = difflib.get_close_matches(name, self.list_commands(ctx), n=3)
            names = [repr(c) for c in close]
            either = f"{', '.join(names[:-1])} or {names[-1]}" if len(names) > 1 else "".join(names)
            hint = f" Did you mean {either}?" if close else ""
            ctx.fail(f"No such command {name!r}.{hint}")
        return super().resolve_command(ctx, args)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """List the commands in ``--help`` from :data:`COMMANDS`, without importing any of them."""
        rows = [(name, COMMANDS[name][1]) for name in self.list_commands(ctx)]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="dbtmeta")
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False),
    envvar="DBTMETA_CONFIG",
    help="Config file (dbtmeta.yml, or pyproject.toml with [tool.dbtmeta]). "
    "Default: found by walking up from the current directory.",
)
@click.option(
    "--debug",
    is_flag=True,
    envvar="DBTMETA_DEBUG",
    help="Also print the traceback of an error (the exit code stays the same).",
)
@click.pass_context
def cli(ctx: click.Context, config_path: str | None, debug: bool) -> None:
    """Keep dbt exposures in sync with Looker, and tell which dashboards a dbt run made stale.

    \b
    Exit codes (every command):
      0  fine
      1  findings: stale dashboards, out-of-date or invalid exposures
      2  usage or input error
      3  a remote service (Looker, Slack) failed
      70  internal error: a bug in dbtmeta (please report it)
      130  interrupted (Ctrl-C)
    """
    from dbtmeta.config import load_default_map

    ctx.ensure_object(dict)
    ctx.obj["debug"] = debug
    ctx.default_map = load_default_map(config_path)


def _debug_seen(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    if value:
        ctx.find_root().ensure_object(dict)["debug"] = True


def _accept_debug(command: click.Command) -> None:
    """Give ``command`` (and a group's subcommands) a hidden ``--debug``, so that ``dbtmeta CMD --debug``
    works as ``dbtmeta --debug CMD`` does (the ``dbt run --debug`` habit). Click's own parsing keeps
    an option's value that happens to read ``--debug`` a value."""
    if not any(param.name == "debug" for param in command.params):
        command.params.append(
            click.Option(["--debug"], is_flag=True, hidden=True, expose_value=False, callback=_debug_seen)
        )
    if isinstance(command, click.Group):
        for sub in command.commands.values():
            _accept_debug(sub)


def main(argv: list[str] | None = None) -> None:
    """Entry point: one line on stderr and a documented exit code for every error.

    ``--debug`` (or ``DBTMETA_DEBUG``) adds the traceback on stderr; it never changes the exit code.
    """
    args = sys.argv[1:] if argv is None else argv
    debug = "--debug" in args or os.environ.get("DBTMETA_DEBUG", "").lower() in {"1", "true", "yes"}
    try:
        result: Any = cli.main(args=args, prog_name="dbtmeta", standalone_mode=False)
        sys.stdout.flush()  # a full disk or a closed pipe on stdout shows here, not at interpreter exit
    except (click.exceptions.Abort, KeyboardInterrupt):
        _silence_stdout()
        error("interrupted")
        sys.exit(EXIT_INTERRUPTED)
    except click.exceptions.UsageError as exc:
        if type(exc).__name__ == "NoArgsIsHelpError" and exc.ctx is not None:
            click.echo(exc.ctx.get_help(), err=True)
            sys.exit(EXIT_USAGE)
        hint = f" (see '{exc.ctx.command_path} --help')" if exc.ctx is not None else ""
        error(f"{exc.format_message()}{hint}")
        sys.exit(EXIT_USAGE)
    except click.exceptions.ClickException as exc:
        error(exc.format_message())
        sys.exit(exc.exit_code)
    except DbtmetaError as exc:
        _traceback(debug)
        error(exc.for_cli() if isinstance(exc, OptionError) else str(exc))
        sys.exit(exc.exit_code)
    except BrokenPipeError:
        _silence_stdout()
        sys.exit(0)
    except OSError as exc:
        if not _is_stdout_error(exc):
            _internal_error(exc, debug)
        _silence_stdout()
        _traceback(debug)
        reason = exc.strerror or exc
        error(f"cannot write the result to stdout: {reason}; redirect it to a file or pass --output")
        sys.exit(EXIT_USAGE)
    except Exception as exc:
        _internal_error(exc, debug)
    sys.exit(result if isinstance(result, int) else 0)


def _internal_error(exc: BaseException, debug: bool) -> NoReturn:
    _traceback(debug)
    error(
        f"internal error ({type(exc).__name__}: {str(exc)[:200]}): this is a bug in dbtmeta {__version__}; "
        "please report it, with the traceback that --debug prints"
    )
    sys.exit(EXIT_INTERNAL)


def _traceback(debug: bool) -> None:
    if debug:
        import traceback

        from dbtmeta.secrets import scrub

        sys.stderr.write(scrub(traceback.format_exc()))


# Errors of a write that found no room: every file dbtmeta writes (--output, state, snapshot, YAML)
# turns its own OSError into a one-line error, so one left over comes from stdout.
_NO_ROOM = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EIO})


def _is_stdout_error(exc: OSError) -> bool:
    """Whether ``exc`` came from writing the result to stdout (a full disk, /dev/full, a dead tty)."""
    if exc.errno in _NO_ROOM:
        return True
    try:
        sys.stdout.flush()
    except OSError:
        return True
    return False


def _silence_stdout() -> None:
    # Output still buffered for a broken stdout would fail again at interpreter exit with an
    # "Exception ignored" message and exit code 120: point stdout at /dev/null instead.
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):
        pass
