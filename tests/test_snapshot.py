"""Snapshots: stable bytes, a faithful round trip, one-line errors on bad files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fake_looker import FakeLooker, example_dataset
from fake_looker.dataset import CLIENT_SECRET

from dbtmeta.errors import InputError
from dbtmeta.looker.api import ApiSettings, crawl
from dbtmeta.looker.content import LookerContent
from dbtmeta.looker.snapshot import dumps_snapshot, load_snapshot, save_snapshot


@pytest.fixture(scope="module")
def crawled() -> LookerContent:
    with FakeLooker(example_dataset()) as looker:
        return crawl(
            ApiSettings(
                base_url=looker.base_url, client_id=looker.data.client_id, client_secret=CLIENT_SECRET
            ),
            include_looks=True,
        )


def test_round_trip_is_faithful_and_stable(crawled: LookerContent, tmp_path: Path) -> None:
    path = tmp_path / "snap.json"
    save_snapshot(crawled, path)
    first = path.read_bytes()
    loaded = load_snapshot(path)
    assert loaded.source == "snapshot:api"
    assert loaded.dashboards == sorted(loaded.dashboards, key=lambda d: (d.kind, d.id.zfill(12)))
    assert {d.id: d for d in loaded.dashboards} == {d.id: d for d in crawled.dashboards}
    assert loaded.explores == crawled.explores
    assert loaded.connections == crawled.connections
    # the field definitions and joins, for column lineage (format 2)
    assert loaded.lookml_views == crawled.lookml_views and loaded.lookml_joins == crawled.lookml_joins
    assert len(loaded.lookml_views) == 10 and len(loaded.lookml_joins) == 5
    assert json.loads(first)["format_version"] == 3
    save_snapshot(loaded, path)  # saving what was loaded gives the same bytes
    assert path.read_bytes() == first.replace(b'"source": "api"', b'"source": "snapshot:api"')
    # Order of the crawl does not matter.
    shuffled = LookerContent(**{**crawled.__dict__, "dashboards": list(reversed(crawled.dashboards))})
    assert dumps_snapshot(shuffled) == dumps_snapshot(crawled)


def test_no_secret_in_snapshot(crawled: LookerContent, tmp_path: Path) -> None:
    path = tmp_path / "snap.json"
    save_snapshot(crawled, path)
    text = path.read_text()
    assert CLIENT_SECRET not in text
    assert "access_token" not in text and "client_id" not in text


def test_untrusted_text_kept_literally(crawled: LookerContent, tmp_path: Path) -> None:
    path = tmp_path / "snap.json"
    save_snapshot(crawled, path)
    titles = {d.title for d in load_snapshot(path).dashboards}
    assert "Weekly {{ env_var('X') }} [bold]x[/]" in titles


def test_lookml_definitions_round_trip(tmp_path: Path) -> None:
    """A LookML project's definitions (derived table SQL, placeholders, extends) survive a snapshot."""
    from fake_looker.dataset import EXAMPLE_LOOKML

    from dbtmeta.looker.lookml import read_lookml

    content = read_lookml(str(EXAMPLE_LOOKML), fields=True)
    path = tmp_path / "snap.json"
    save_snapshot(content, path)
    loaded = load_snapshot(path)
    assert loaded.lookml_views == content.lookml_views and loaded.lookml_joins == content.lookml_joins
    derived = loaded.lookml_views[("greenery", "product_page_views")]
    assert derived.derived_sql is not None and derived.placeholders
    assert loaded.lookml_views[("greenery", "dim_users")].own_names == ("dim_users", "users_base")


def test_format_1_snapshots_still_load_without_fields(crawled: LookerContent, tmp_path: Path) -> None:
    data = json.loads(dumps_snapshot(crawled))
    old = {k: v for k, v in data.items() if k not in {"lookml_views", "lookml_joins"}}
    path = tmp_path / "snap.json"
    path.write_text(json.dumps({**old, "format_version": 1}))
    loaded = load_snapshot(path)
    assert {d.id: d for d in loaded.dashboards} == {d.id: d for d in crawled.dashboards}
    assert loaded.explores == crawled.explores
    assert (loaded.lookml_views, loaded.lookml_joins) == ({}, {})


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "not found"),
        (b'{"format_version": 1, "source": "api", "dashbo', r"not valid JSON \(truncated\?\)"),
        (b"[1, 2]", "is not a dbtmeta Looker snapshot"),
        (
            b'{"format_version": 99, "source": "api"}',
            "has format version 99, this dbtmeta reads versions 1, 2, 3",
        ),
        (b'{"format_version": true, "source": "api"}', "has format version True"),
        (b'{"format_version": 1, "source": "api"}', r"is malformed \(KeyError"),
        (
            b'{"format_version": 1, "source": "api", "explores": [], "dashboards": [{"id": 1}]}',
            "is malformed",
        ),
        (b"\xff\xfe", "cannot read Looker snapshot"),
    ],
)
def test_bad_snapshots_are_one_line_input_errors(tmp_path: Path, content: bytes | None, message: str) -> None:
    path = tmp_path / "snap.json"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(InputError, match=message) as info:
        load_snapshot(path)
    assert "\n" not in str(info.value)
    assert "dbtmeta looker pull" in str(info.value)


def test_snapshot_is_sorted_json(crawled: LookerContent, tmp_path: Path) -> None:
    text = dumps_snapshot(crawled)
    data = json.loads(text)
    assert list(data) == sorted(data)
    assert text.endswith("}\n")


def test_format_2_snapshots_load_with_a_warning_to_pull_again(
    crawled: LookerContent, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "snap.json"
    path.write_text(json.dumps({**json.loads(dumps_snapshot(crawled)), "format_version": 2}))
    loaded = load_snapshot(path)
    assert loaded.explores == crawled.explores
    err = capsys.readouterr().err
    assert "has format version 2: a tile reading a dimension group's timeframe" in err
    assert "pull it again with 'dbtmeta looker pull --output FILE'" in err
    save = tmp_path / "new.json"
    save.write_text(dumps_snapshot(crawled))
    load_snapshot(save)
    assert capsys.readouterr().err == ""
