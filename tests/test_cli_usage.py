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


INTERNAL_LINE = (
    "dbtmeta: error: internal error (ZeroDivisionError: an internal slip): this is a bug in dbtmeta"
)


def _a_bug(*_args: object, **_kwargs: object) -> None:
    raise ZeroDivisionError("an internal slip")


def test_debug_after_the_subcommand_prints_the_traceback_and_keeps_the_exit_code(
    example_build, capsys, monkeypatch, tmp_path
):
    code, out, err = run(capsys, "stale-dashboards", "--manifest", tmp_path / "nope.json", "--debug")
    assert (code, out) == (2, "")
    assert err.startswith("Traceback (most recent call last):")
    assert (
        err.splitlines()[-1]
        == f"dbtmeta: error: manifest file {str(tmp_path / 'nope.json')!r} does not exist; check the path"
    )
    code, _out, err = run(
        capsys, "stale-dashboards", "--debug", "--manifest", example_build.failure / "manifest.json"
    )
    assert code == 1 and "Traceback" not in err
    monkeypatch.setattr("dbtmeta.health.compute.compute_health", _a_bug)
    code, out, err = run(
        capsys, "stale-dashboards", "--debug", "--manifest", example_build.green / "manifest.json"
    )
    assert (code, out) == (70, "")
    assert (
        err.startswith("Traceback (most recent call last):") and "ZeroDivisionError: an internal slip" in err
    )
    assert err.splitlines()[-1].startswith(INTERNAL_LINE)


def test_debug_after_a_nested_subcommand_is_accepted(capsys):
    code, out, _err = run(capsys, "looker", "pull", "--debug", "--help")
    assert code == 0 and "Usage: dbtmeta looker pull" in out and "--debug" not in out


def test_debug_as_an_option_value_stays_the_value(capsys):
    code, _out, err = run(capsys, "check-exposures", "--format", "--debug")
    assert code == 2
    assert err.startswith(
        "dbtmeta: error: Invalid value for '--format': '--debug' is not one of 'text', 'json'"
    )


def test_check_exposures_of_a_file_that_does_not_exist(capsys):
    code, out, err = run(capsys, "check-exposures", "nope.yml")
    assert (code, out) == (2, "")
    assert err == "dbtmeta: error: file 'nope.yml' does not exist; check the path\n"
    code, out, err = run(capsys, "check-exposures", "nope.yml", "gone/also.yaml")
    assert (code, out) == (2, "")
    assert err == "dbtmeta: error: files 'nope.yml', 'gone/also.yaml' do not exist; check the paths\n"
