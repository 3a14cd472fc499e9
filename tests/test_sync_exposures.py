"""sync-exposures on the greenery example project: the real LookML, the real manifest, real dbt parse."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
import yaml
from conftest import EXAMPLE_PROJECT, ExampleBuild, run_dbt

from dbtmeta.cli import main

LOOKML = EXAMPLE_PROJECT / "looker"
GENERATED = Path("models") / "exposures" / "looker_exposures.yml"
MANUAL = Path("models") / "exposures" / "manual_exposures.yml"

EXPECTED = {
    "product_funnel": [
        "ref('fact_page_views')",
        "ref('fact_sessions_funnel')",
        "ref('fact_user_sessions')",
    ],
    "inventory_health": ["ref('dim_products')", "ref('fact_page_views')", "ref('products_snapshot')"],
    "orders_overview": ["ref('dim_users')", "ref('fact_orders')", "source('greenery', 'promos')"],
    "customers": ["ref('dim_users')"],
}


@pytest.fixture()
def project(example_build: ExampleBuild, tmp_path: Path) -> Path:
    """A private copy of the example project (sources, no database) with the green manifest."""
    dest = tmp_path / "project"

    def ignore(directory: str, names: list[str]) -> set[str]:
        return {n for n in names if n in {"target", "logs", "dbt_packages"} or ".duckdb" in n}

    shutil.copytree(example_build.project_dir, dest, ignore=ignore)
    (dest / "target").mkdir()
    shutil.copy(example_build.green / "manifest.json", dest / "target" / "manifest.json")
    return dest


def sync(project: Path, *args: str, lookml: Path = LOOKML) -> int:
    try:
        main(["sync-exposures", "--lookml-dir", str(lookml), "--project-dir", str(project), *args])
    except SystemExit as exc:
        return int(exc.code or 0)
    raise AssertionError("main() did not exit")


def exposures(path: Path) -> dict[str, dict]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return {e["name"]: e for e in data["exposures"]}


def test_example_exposures_depend_on_exactly_what_their_tiles_read(project: Path, capsys) -> None:
    (project / GENERATED).unlink()  # from scratch
    assert sync(project) == 0
    out = capsys.readouterr()
    assert "4 exposures, 4 added, 0 removed, 0 unresolved tables" in out.out
    assert out.err == ""
    generated = exposures(project / GENERATED)
    assert {name: e["depends_on"] for name, e in generated.items()} == EXPECTED
    funnel = generated["product_funnel"]
    assert funnel["label"] == "Product Funnel"
    assert funnel["type"] == "dashboard"
    assert funnel["config"]["meta"] == {
        "looker_id": "greenery::product_funnel",
        "looker_type": "lookml_dashboard",
    }
    assert funnel["config"]["tags"] == ["looker", "looker_dashboard"]
    assert funnel["owner"] == {"name": "Looker"}  # LookML has no owners
    assert "url" not in funnel


def test_dbt_parse_accepts_the_file_and_manifest_holds_the_exposures(project: Path) -> None:
    (project / GENERATED).unlink()
    assert sync(project) == 0
    result = run_dbt(["parse", "--quiet"], project)
    assert result.returncode == 0, result.stdout + result.stderr
    manifest = json.loads((project / "target" / "manifest.json").read_text(encoding="utf-8"))
    for name, refs in EXPECTED.items():
        exposure = manifest["exposures"][f"exposure.greenery.{name}"]
        nodes = []
        for ref in refs:
            table = ref.split("'")[-2]
            if ref.startswith("source("):
                nodes.append(f"source.greenery.greenery.{table}")
            elif table.endswith("_snapshot"):
                nodes.append(f"snapshot.greenery.{table}")
            else:
                nodes.append(f"model.greenery.{table}")
        assert sorted(exposure["depends_on"]["nodes"]) == sorted(nodes)
        assert exposure["config"]["meta"]["looker_id"] == f"greenery::{name}"
        assert exposure["original_file_path"] == str(GENERATED)
    # the hand-written one is still there, unchanged
    manual = manifest["exposures"]["exposure.greenery.weekly_marketing_report"]
    assert manual["original_file_path"] == str(MANUAL)
    assert manual["depends_on"]["nodes"] == ["model.greenery.user_order_facts"]


# What the committed file says that LookML cannot (owners, URLs), as options: from scratch, the
# same bytes come out. Re-runs without them keep what the file holds.
EXAMPLE_OPTIONS = [
    "--dashboard-url-base=https://looker.example.com",
    "--owner-rule=id:*::customers=Customer Success <customer-success@greenery.example.com>",
    "--owner-rule=id:*::inventory_health=Operations <ops@greenery.example.com>",
    "--owner-rule=id:*::orders_overview=Finance <finance@greenery.example.com>",
    "--owner-rule=id:*::product_funnel=Product Analytics <product-analytics@greenery.example.com>",
]


def test_committed_file_is_what_sync_generates(project: Path, capsys) -> None:
    committed = (EXAMPLE_PROJECT / GENERATED).read_bytes()
    (project / GENERATED).write_bytes(committed)
    assert sync(project, "--check") == 0, capsys.readouterr()
    (project / GENERATED).unlink()
    assert sync(project, *EXAMPLE_OPTIONS) == 0
    assert (project / GENERATED).read_bytes() == committed


def test_second_run_is_byte_identical_and_keeps_mtime(project: Path, capsys) -> None:
    path = project / GENERATED
    assert sync(project) == 0
    before = path.read_bytes()
    os.utime(path, ns=(1_000_000_000, 1_000_000_000))
    assert sync(project) == 0
    assert path.read_bytes() == before
    assert path.stat().st_mtime_ns == 1_000_000_000
    assert "unchanged: 4 exposures, 0 added, 0 removed" in capsys.readouterr().out


def _lookml_copy(tmp_path: Path) -> Path:
    dest = tmp_path / "looker"
    shutil.copytree(LOOKML, dest)
    return dest


def test_renamed_dashboard_keeps_its_name_and_deleted_one_goes(project: Path, tmp_path: Path, capsys) -> None:
    lookml = _lookml_copy(tmp_path)
    assert sync(project, lookml=lookml) == 0
    funnel = lookml / "dashboards" / "product_funnel.dashboard.lookml"
    funnel.write_text(funnel.read_text().replace("title: Product Funnel", "title: Shop Conversion"))
    (lookml / "dashboards" / "customers.dashboard.lookml").unlink()
    capsys.readouterr()
    assert sync(project, lookml=lookml) == 0
    assert "3 exposures, 0 added, 1 removed" in capsys.readouterr().out
    generated = exposures(project / GENERATED)
    assert sorted(generated) == ["inventory_health", "orders_overview", "product_funnel"]
    assert generated["product_funnel"]["label"] == "Shop Conversion"
    assert generated["product_funnel"]["depends_on"] == EXPECTED["product_funnel"]


def test_hand_written_exposure_is_never_touched_or_shadowed(project: Path, tmp_path: Path) -> None:
    lookml = _lookml_copy(tmp_path)
    customers = lookml / "dashboards" / "customers.dashboard.lookml"
    clash = customers.read_text().replace("dashboard: customers", "dashboard: weekly_report")
    clash = clash.replace("title: Customers", "title: Weekly Marketing Report")
    (lookml / "dashboards" / "weekly_report.dashboard.lookml").write_text(clash)
    manual_before = (project / MANUAL).read_bytes()
    assert sync(project, lookml=lookml) == 0
    generated = exposures(project / GENERATED)
    assert "weekly_marketing_report" not in generated
    assert generated["weekly_marketing_report_2"]["label"] == "Weekly Marketing Report"
    assert generated["weekly_marketing_report_2"]["config"]["meta"]["looker_id"] == "greenery::weekly_report"
    assert (project / MANUAL).read_bytes() == manual_before
    result = run_dbt(["parse", "--quiet"], project)
    assert result.returncode == 0, result.stdout + result.stderr


def test_check_exit_codes_and_diff(project: Path, tmp_path: Path, capsys) -> None:
    path = project / GENERATED
    assert sync(project, "--check") == 0
    capsys.readouterr()
    lookml = _lookml_copy(tmp_path)
    funnel = lookml / "dashboards" / "product_funnel.dashboard.lookml"
    funnel.write_text(funnel.read_text().replace("title: Product Funnel", "title: Shop Conversion"))
    before = path.read_bytes()
    assert sync(project, "--check", lookml=lookml) == 1
    out = capsys.readouterr()
    assert "-  label: Product Funnel\n+  label: Shop Conversion\n" in out.out
    assert out.out.startswith("--- a/")
    assert "out of date" in out.err
    assert path.read_bytes() == before
    assert sync(project, "--dry-run", lookml=lookml) == 0
    assert "+  label: Shop Conversion" in capsys.readouterr().out
    assert path.read_bytes() == before


def test_strict_makes_unresolved_tables_an_error(project: Path, tmp_path: Path, capsys) -> None:
    lookml = _lookml_copy(tmp_path)
    view = lookml / "views" / "users_base.view.lkml"
    text = view.read_text()
    assert "core.dim_users" in text.lower()
    view.write_text(_replace_ci(text, "core.dim_users", "core.dim_users_gone"))
    before = (project / GENERATED).read_bytes()
    assert sync(project, "--strict", lookml=lookml) == 1
    err = capsys.readouterr().err
    assert "'Customers' (greenery::customers)" in err
    assert "dim_users_gone" in err and "--strict" in err
    assert (project / GENERATED).read_bytes() == before
    # without --strict: written, the table reported and left out of depends_on (never guessed)
    assert sync(project, lookml=lookml) == 0
    out = capsys.readouterr()
    assert "unresolved tables" in out.out and "dim_users_gone" in out.err
    assert "depends_on" not in exposures(project / GENERATED)["customers"]


def _replace_ci(text: str, old: str, new: str) -> str:
    import re

    return re.sub(re.escape(old), new, text, flags=re.IGNORECASE)


def test_schema_map_reads_production_schema_names(project: Path, tmp_path: Path) -> None:
    lookml = _lookml_copy(tmp_path)
    view = lookml / "views" / "users_base.view.lkml"
    view.write_text(_replace_ci(view.read_text(), "core.dim_users", "prod_core.dim_users"))
    assert sync(project, lookml=lookml) == 0
    assert "depends_on" not in exposures(project / GENERATED)["customers"]
    assert sync(project, "--schema-map", "prod_core=core", lookml=lookml) == 0
    assert exposures(project / GENERATED)["customers"]["depends_on"] == ["ref('dim_users')"]


def test_bad_inputs_are_one_line_and_leave_the_file(project: Path, tmp_path: Path, capsys) -> None:
    before = (project / GENERATED).read_bytes()
    cases = [
        (["--lookml-dir", str(tmp_path / "nope")], 2),
        (["--manifest", str(tmp_path / "missing.json")], 2),
        (["--schema-map", "nonsense"], 2),
        (["--maturity-rule", "folder:X=urgent"], 2),
        (["--check", "--dry-run"], 2),
    ]
    for args, code in cases:
        assert sync(project, *args) == code, args
        err = capsys.readouterr().err
        assert err.startswith("dbtmeta: error: ") and err.count("\n") == 1, err
        assert "Traceback" not in err
    (project / "target" / "manifest.json").write_text("{not json")
    assert sync(project) == 2
    assert (project / GENERATED).read_bytes() == before


def test_a_file_that_is_not_generated_is_refused(project: Path, capsys) -> None:
    manual_before = (project / MANUAL).read_bytes()
    assert sync(project, "--output", str(project / MANUAL)) == 2
    assert "not generated by dbtmeta" in capsys.readouterr().err
    assert (project / MANUAL).read_bytes() == manual_before


def test_sync_from_lookml_and_from_the_fake_api_give_the_same_exposures(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_looker = pytest.importorskip("fake_looker")
    from fake_looker.dataset import dataset_from_content

    from dbtmeta.looker.lookml import read_lookml

    (project / GENERATED).unlink()  # its names would be taken: outputs go elsewhere here
    data = dataset_from_content(read_lookml(str(LOOKML)))
    with fake_looker.FakeLooker(data) as server:
        for key, value in server.env().items():
            monkeypatch.setenv(key, value)
        api_out = tmp_path / "api.yml"
        assert sync_api(project, "--output", str(api_out)) == 0
        base_url = server.base_url
    lookml_out = tmp_path / "lookml.yml"
    assert sync(project, "--output", str(lookml_out), "--dashboard-url-base", base_url) == 0
    from_api, from_lookml = exposures(api_out), exposures(lookml_out)
    for entry in from_api.values():
        # the API says which folder LookML dashboards live in; a LookML repository cannot
        assert entry["config"]["meta"].pop("folder") == "LookML dashboards"
    assert from_api == from_lookml
    assert {name: e["depends_on"] for name, e in from_api.items()} == EXPECTED


def sync_api(project: Path, *args: str) -> int:
    try:
        main(["sync-exposures", "--project-dir", str(project), *args])
    except SystemExit as exc:
        return int(exc.code or 0)
    raise AssertionError("main() did not exit")


def test_snapshot_gives_the_same_file_as_the_lookml_it_was_taken_from(project: Path, tmp_path: Path) -> None:
    from dbtmeta.looker.lookml import read_lookml
    from dbtmeta.looker.snapshot import save_snapshot

    snapshot = tmp_path / "looker.json"
    save_snapshot(read_lookml(str(LOOKML)), snapshot)
    committed = (project / GENERATED).read_bytes()
    assert sync_api(project, "--snapshot", str(snapshot), "--check") == 0
    assert sync_api(project, "--snapshot", str(snapshot), "--lookml-dir", str(LOOKML)) == 2  # one source
    assert (project / GENERATED).read_bytes() == committed


def test_api_content_with_looks_owners_and_jinja_titles(
    project: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    fake_looker = pytest.importorskip("fake_looker")
    with fake_looker.FakeLooker(fake_looker.example_dataset()) as server:
        for key, value in server.env().items():
            monkeypatch.setenv(key, value)
        assert sync_api(project, "--include-looks", "--maturity-rule", "views>=100=high") == 0
    generated = exposures(project / GENERATED)
    out = capsys.readouterr()
    assert "Traceback" not in out.err
    by_id = {(e["type"], e["config"]["meta"]["looker_id"]): e for e in generated.values()}
    weekly = by_id[("dashboard", "101")]
    assert weekly["label"] == "{{ '" + "Weekly {{ env_var(\\'X\\') }} [bold]x[/]" + "' }}"
    assert weekly["maturity"] == "high"
    assert weekly["owner"] == {"name": "Alice Analyst", "email": "alice@example.com"}
    assert weekly["url"] == f"{server.base_url}/dashboards/101"
    assert weekly["config"]["meta"]["folder"] == "Marketing"
    assert by_id[("dashboard", "102")]["owner"] == {"name": "Bob Builder"}  # no email in Looker
    assert ("dashboard", "103") not in by_id  # deleted in Looker
    assert by_id[("analysis", "502")]["config"]["tags"] == ["looker", "looker_look"]
    assert ("analysis", "503") not in by_id
    # the LookML dashboards kept the names they had in the committed file
    assert {"product_funnel", "inventory_health", "orders_overview", "customers"} <= set(generated)


def test_failed_crawl_leaves_the_file_byte_identical(
    project: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    fake_looker = pytest.importorskip("fake_looker")
    before = (project / GENERATED).read_bytes()
    with fake_looker.FakeLooker(fake_looker.example_dataset()) as server:
        server.inject(fake_looker.Fault(match="dashboards", malformed=True, times=-1))
        for key, value in server.env().items():
            monkeypatch.setenv(key, value)
        assert sync_api(project) == 3
    err = capsys.readouterr().err
    assert err.startswith("dbtmeta: error: ") and err.count("\n") == 1
    assert fake_looker.dataset.CLIENT_SECRET not in err
    assert (project / GENERATED).read_bytes() == before


FAULTS = {
    # fault -> exit code: 0 = retried until it worked, 3 = a clear failure
    "429 with Retry-After": (dict(match="dashboards/search", status=429, retry_after="1"), 0),
    "one 500": (dict(match="explore", status=500), 0),
    "500 every time": (dict(match="explore", status=500, times=-1), 3),
    "timeout every time": (dict(match="dashboards/search", sleep=2.0, times=-1), 3),
    "malformed JSON": (dict(match="explore", malformed=True, times=-1), 3),
}


@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_api_faults_retry_or_fail_clearly_and_never_touch_the_file(
    project: Path, monkeypatch: pytest.MonkeyPatch, capsys, fault: str
) -> None:
    fake_looker = pytest.importorskip("fake_looker")
    from fake_looker.dataset import dataset_from_content

    from dbtmeta.looker.lookml import read_lookml

    spec, expected = FAULTS[fault]
    before = (project / GENERATED).read_bytes()
    with fake_looker.FakeLooker(dataset_from_content(read_lookml(str(LOOKML)))) as server:
        server.inject(fake_looker.Fault(**spec))
        for key, value in server.env().items():
            monkeypatch.setenv(key, value)
        monkeypatch.setenv("LOOKERSDK_TIMEOUT", "1")
        code = sync_api(project, "--retries", "2")
    captured = capsys.readouterr()
    assert code == expected, captured
    assert "Traceback" not in captured.out + captured.err
    assert fake_looker.dataset.CLIENT_SECRET not in captured.out + captured.err
    if expected == 3:
        assert captured.err.startswith("dbtmeta: error: Looker") and captured.err.count("\n") == 1
        assert (project / GENERATED).read_bytes() == before
    else:  # the retried crawl wrote the complete file
        assert set(exposures(project / GENERATED)) == set(EXPECTED)


def test_expired_token_mid_crawl_logs_in_again(
    project: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    fake_looker = pytest.importorskip("fake_looker")
    from fake_looker.dataset import dataset_from_content

    from dbtmeta.looker.lookml import read_lookml

    with fake_looker.FakeLooker(dataset_from_content(read_lookml(str(LOOKML)))) as server:
        server.token_ttl_calls = 10
        for key, value in server.env().items():
            monkeypatch.setenv(key, value)
        assert sync_api(project) == 0, capsys.readouterr()
        assert server.calls["login"] >= 2
    assert set(exposures(project / GENERATED)) == set(EXPECTED)


def test_subprocess_cli_and_empty_content_warning(project: Path, tmp_path: Path) -> None:
    import subprocess
    import sys

    empty = tmp_path / "empty_looker"
    (empty / "dashboards").mkdir(parents=True)
    (empty / "greenery.model.lkml").write_text('connection: "greenery_duckdb"\n')
    cmd = [sys.executable, "-m", "dbtmeta", "sync-exposures", "--project-dir", str(project)]
    proc = subprocess.run([*cmd, "--lookml-dir", str(empty), "--check"], capture_output=True, text=True)
    assert proc.returncode == 1, proc.stderr
    assert "\n-- name: customers\n" in proc.stdout  # the diff removes it
    assert "warning: the Looker content has no dashboards: all 4 generated exposures go" in proc.stderr
    proc = subprocess.run([*cmd, "--lookml-dir", str(LOOKML), "--check"], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.endswith("up to date (4 exposures)\n")
    proc = subprocess.run([*cmd, "--strict", "--dialect"], capture_output=True, text=True)
    assert (
        proc.returncode == 2 and proc.stderr.startswith("dbtmeta: error: ") and "Traceback" not in proc.stderr
    )
