"""One exception family for everything a user can get wrong, mapped to exit codes in one place."""

from __future__ import annotations

from dbtmeta.secrets import scrub

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_USAGE = 2
EXIT_REMOTE = 3


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
