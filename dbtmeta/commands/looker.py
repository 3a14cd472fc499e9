"""``dbtmeta looker pull``: crawl Looker through the API and save a snapshot (no secrets in it).

Must not: compute anything a test would want to call: flags in, library calls, flag names in errors.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

import click

# = dbtmeta.looker.api.DEFAULT_CONCURRENCY, api_client.MAX_TIMEOUT and MAX_RETRIES (not imported
# here: `dbtmeta --help` stays fast; tests/test_hostile_files.py checks they agree)
DEFAULT_CONCURRENCY = 16
MAX_TIMEOUT = 3600.0
MAX_RETRIES = 20


def looker_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """The Looker API options, reusable by any command; pass them to ``api_settings_from_options``.

    The client id and secret come from ``LOOKERSDK_CLIENT_ID``/``LOOKERSDK_CLIENT_SECRET`` (or
    looker.ini), never from the command line, so they never show in shell history or ``ps``.
    """
    options = [
        click.option(
            "--looker-ini",
            type=click.Path(dir_okay=False),
            help="looker.ini with base_url, client_id, client_secret. Default: ./looker.ini if present.",
        ),
        click.option("--looker-section", help="Section of looker.ini to use. Default: the first one."),
        click.option(
            "--base-url",
            envvar="LOOKERSDK_BASE_URL",
            help="Looker API base URL, scheme://host[:port] (env LOOKERSDK_BASE_URL).",
        ),
        click.option(
            "--verify-ssl/--no-verify-ssl",
            default=None,
            help="Verify Looker's TLS certificate. Default: looker.ini / LOOKERSDK_VERIFY_SSL, else yes.",
        ),
        click.option(
            "--timeout",
            type=click.FloatRange(min=0.1, max=MAX_TIMEOUT),
            help="Seconds each API call attempt may take in all (connect, headers, whole body). "
            "Default: looker.ini / LOOKERSDK_TIMEOUT, else 120.",
        ),
        click.option(
            "--retries",
            type=click.IntRange(min=0, max=MAX_RETRIES),
            default=4,
            show_default=True,
            help="Retries per call on HTTP 429/5xx, timeouts and connection errors (exponential backoff).",
        ),
        click.option(
            "--concurrency",
            type=click.IntRange(min=1, max=64),
            default=DEFAULT_CONCURRENCY,
            show_default=True,
            help="API calls in flight at once.",
        ),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def api_settings_from_options(
    *,
    looker_ini: str | None = None,
    looker_section: str | None = None,
    base_url: str | None = None,
    verify_ssl: bool | None = None,
    timeout: float | None = None,
    retries: int = 4,
    **_: Any,
) -> Any:
    """``ApiSettings`` from ``looker_options`` values (extra keyword arguments are ignored)."""
    from dbtmeta.looker.api_client import ApiSettings

    # Credentials are never options: they come from looker.ini or LOOKERSDK_* in the environment.
    return ApiSettings(
        looker_ini, looker_section, base_url, verify_ssl=verify_ssl, timeout=timeout, retries=retries
    )


@click.group("looker")
def command() -> None:
    """Work with Looker content: pull a snapshot for offline, reproducible syncs."""


@command.command(
    "pull",
    epilog="""\b
Examples:
  dbtmeta looker pull --output looker.json --looker-ini looker.ini --include-looks
  LOOKERSDK_BASE_URL=https://acme.looker.com LOOKERSDK_CLIENT_ID=.. LOOKERSDK_CLIENT_SECRET=.. \\
    dbtmeta looker pull --output looker.json --lookml-dir looker/""",
)
@click.option(
    "--output",
    "-o",
    "output",
    metavar="FILE",
    type=click.Path(dir_okay=False, writable=True),
    help="Snapshot file to write (JSON, required). Replaced atomically; left untouched if the crawl fails.",
)
@click.option("--out", "out", hidden=True, type=click.Path(dir_okay=False, writable=True))  # the old name
@click.option("--include-looks", is_flag=True, help="Also crawl standalone Looks.")
@click.option(
    "--lookml-dir",
    type=click.Path(file_okay=False, exists=True),
    help="LookML repository: resolves templated/derived views without generating tiles' SQL.",
)
@click.option("--progress/--no-progress", default=True, help="Progress bar (only on a terminal).")
@looker_options
def pull(
    output: str | None,
    out: str | None,
    include_looks: bool,
    lookml_dir: str | None,
    progress: bool,
    concurrency: int,
    **options: Any,
) -> int:
    """Crawl Looker (dashboards, tiles, queries, owners, explores) and save a snapshot.

    \b
    Credentials: LOOKERSDK_CLIENT_ID / LOOKERSDK_CLIENT_SECRET or looker.ini (never on the command line).
    Exit codes: 0 saved, 2 bad options or input, 3 Looker unreachable or refused.
    """
    out = output or out
    if not out:
        raise click.UsageError("Missing option '--output': the snapshot file to write.")
    from dbtmeta.atomic import output_target
    from dbtmeta.console import info
    from dbtmeta.looker.api import crawl_with_stats
    from dbtmeta.looker.snapshot import save_snapshot

    output_target(out, "--output")  # a device or FIFO is refused before the crawl, not after it

    content, stats = crawl_with_stats(
        api_settings_from_options(**options),
        include_looks=include_looks,
        concurrency=concurrency,
        progress=progress and sys.stderr.isatty(),
        lookml_dir=lookml_dir,
    )
    save_snapshot(content, out)
    dashboards = sum(1 for d in content.dashboards if d.kind == "dashboard")
    looks = sum(1 for d in content.dashboards if d.kind == "look")
    summary = (
        f"Saved {dashboards} dashboards, {looks} looks, {len(content.explores)} explores to {out} "
        f"({stats.total} API calls, {stats.retries} retries)"
    )
    info(summary)
    return 0
