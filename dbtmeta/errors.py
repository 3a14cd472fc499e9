"""One exception family for everything a user can get wrong, mapped to exit codes in one place.

Must not: import anything from dbtmeta (every other leaf may use it), or print: :func:`dbtmeta.cli.main`
turns these exceptions into the message and the exit code.
"""

from __future__ import annotations

from dbtmeta.secrets import scrub

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_USAGE = 2
EXIT_REMOTE = 3
EXIT_INTERNAL = 70  # EX_SOFTWARE of sysexits.h: a bug in dbtmeta, not in what it was given
EXIT_INTERRUPTED = 130  # 128 + SIGINT: Ctrl-C


class DbtmetaError(Exception):
    """An error the user can act on. The message is one line that says what to do next.

    Its text never carries a registered secret (:mod:`dbtmeta.secrets`), wherever it is shown:
    the error line, a ``--debug`` traceback, a test's assertion.
    """

    exit_code = EXIT_USAGE

    def __str__(self) -> str:
        return scrub(super().__str__())


class UsageError(DbtmetaError):
    """Bad flags, bad config."""


class InputError(DbtmetaError):
    """A file we were given is missing, unreadable, truncated or not what it claims to be."""


class RemoteError(DbtmetaError):
    """A remote service (Looker, Slack) could not be reached or refused."""

    exit_code = EXIT_REMOTE


class OptionError(UsageError):
    """A bad value of a named setting, raised by library code that must not know about flags.

    The library names the setting as its config key (``schema_map``) and says what is wrong with the
    value; ``str()`` reads ``schema_map 'x' is not ...``. The command line shows the same error with
    the flag (``--schema-map 'x' is not ...``, :meth:`for_cli`), the config file with its key.
    """

    def __init__(self, option: str, detail: str) -> None:
        self.option = option
        self.detail = detail
        super().__init__(f"{option} {detail}")

    def for_cli(self) -> str:
        """The message as the command line shows it: the flag, then the detail."""
        return f"--{self.option.replace('_', '-')} {self.detail}"
