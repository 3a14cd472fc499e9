"""Library errors speak of values; the command line adds the flag."""

from __future__ import annotations

import pytest

from dbtmeta.cli import main
from dbtmeta.errors import OptionError
from dbtmeta.exposures.resolve import parse_schema_map


def test_library_error_names_the_setting_not_the_flag() -> None:
    with pytest.raises(OptionError) as info:
        parse_schema_map(["analytics"])
    assert (
        str(info.value) == "schema_map 'analytics' is not LOOKER_SCHEMA=DBT_SCHEMA (e.g. analytics=dbt_dev)"
    )
    assert info.value.for_cli() == (
        "--schema-map 'analytics' is not LOOKER_SCHEMA=DBT_SCHEMA (e.g. analytics=dbt_dev)"
    )


def test_the_command_line_shows_the_flag(capsys: pytest.CaptureFixture[str], isolated_env: object) -> None:
    with pytest.raises(SystemExit) as info:
        main(["sync-exposures", "--snapshot", "x.json", "--schema-map", "analytics"])
    assert info.value.code == 2
    assert capsys.readouterr().err == (
        "dbtmeta: error: --schema-map 'analytics' is not LOOKER_SCHEMA=DBT_SCHEMA (e.g. analytics=dbt_dev)\n"
    )
