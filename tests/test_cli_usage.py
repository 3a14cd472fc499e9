"""Usage of the command line itself: misspelt subcommands, ``--debug`` after the subcommand."""

from __future__ import annotations

import pytest

from dbtmeta.cli import main

pytestmark = pytest.mark.usefixtures("isolated_env")


def run(capsys: pytest.CaptureFixture[str], *args: object) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as info:
        main([str(a) for a in args])
    out, err = capsys.readouterr()
    code = info.value.code
    return (code if isinstance(code, int) else 0), out, err


def test_a_misspelt_subcommand_gets_the_close_match(capsys):
    code, out, err = run(capsys, "stale-dashbords", "--manifest", "x.json")
    assert (code, out) == (2, "")
    assert err == (
        "dbtmeta: error: No such command 'stale-dashbords'. Did you mean 'stale-dashboards'? "
        "(see 'dbtmeta --help')\n"
    )


def test_a_misspelling_close_to_several_commands_names_them(capsys):
    code, _out, err = run(capsys, "check-exposure")
    assert code == 2
    assert err == (
        "dbtmeta: error: No such command 'check-exposure'. Did you mean 'check-exposures', "
        "'sync-exposures' or 'check-fields'? (see 'dbtmeta --help')\n"
    )


def test_a_name_close_to_nothing_gets_no_suggestion(capsys):
    code, _out, err = run(capsys, "frobnicate")
    assert (code, err) == (2, "dbtmeta: error: No such command 'frobnicate'. (see 'dbtmeta --help')\n")
