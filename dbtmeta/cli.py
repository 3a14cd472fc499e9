"""The command-line layer: parses flags, calls the library, maps errors to exit codes.

Subcommands live in ``dbtmeta/commands/`` and are imported only when invoked, so that
``dbtmeta --help`` and the pre-commit hooks start fast. Heavy libraries (looker_sdk, dbt, sqlglot,
dbt_artifacts_parser) are imported inside the functions that need them, never at module level.
"""

from __future__ import annotations

import importlib
import os
import sys
from typing import Any

import click

from dbtmeta import __version__
from dbtmeta.console import error
from dbtmeta.errors import EXIT_USAGE, DbtmetaError

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
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        entry = COMMANDS.get(cmd_name)
        if entry is None:
            return None
        module = importlib.import_module(entry[0])
        command: click.Command = module.command
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
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
@click.option("--debug", is_flag=True, envvar="DBTMETA_DEBUG", help="Show tracebacks on errors.")
@click.pass_context
def cli(ctx: click.Context, config_path: str | None, debug: bool) -> None:
    """Keep dbt exposures in sync with Looker, and tell which dashboards a dbt run made stale.

    \b
    Exit codes (every command):
      0  fine
      1  findings: stale dashboards, out-of-date or invalid exposures
      2  usage or input error
      3  a remote service (Looker, Slack) failed
    """
    from dbtmeta.config import load_default_map

    ctx.ensure_object(dict)
    ctx.obj["debug"] = debug
    ctx.default_map = load_default_map(config_path)


def main(argv: list[str] | None = None) -> None:
    """Entry point: one line on stderr and a documented exit code for every error."""
    args = sys.argv[1:] if argv is None else argv
    debug = "--debug" in args or os.environ.get("DBTMETA_DEBUG", "").lower() in {"1", "true", "yes"}
    try:
        result: Any = cli.main(args=args, prog_name="dbtmeta", standalone_mode=False)
    except click.exceptions.Abort:
        error("aborted")
        sys.exit(130)
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
        if debug:
            raise
        error(str(exc))
        sys.exit(exc.exit_code)
    except BrokenPipeError:
        sys.exit(0)
    except Exception as exc:
        if debug:
            raise
        error(
            f"unexpected {type(exc).__name__}: {exc} "
            "(rerun with --debug for the traceback and report it as a bug)"
        )
        sys.exit(EXIT_USAGE)
    sys.exit(result if isinstance(result, int) else 0)
