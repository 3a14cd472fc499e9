"""lineage and impact on the example project, checked against dbt's own `dbt ls --select` answers."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from dbtmeta.cli import main
from dbtmeta.dbt.artifacts import load_manifest
from dbtmeta.dbt.graph import build_graph
from dbtmeta.dbt.impact import impact
from dbtmeta.dbt.lineage import lineage

EXAMPLE = Path(__file__).resolve().parents[1] / "example_project"
LINEAGE_TYPES = ["model", "seed", "snapshot", "source", "exposure", "analysis"]


def copy_project(dest: Path, source: Path = EXAMPLE) -> Path:
    # Copies for variants are taken from the module's own copy (`source=project`): the example
    # project may change under us while other people work on it.
    shutil.copytree(
        source,
        dest,
        ignore=shutil.ignore_patterns(
            "target", "logs", "dbt_packages", "*.duckdb", "*.duckdb.wal", ".user.yml"
        ),
    )
    return dest


class Dbt:
    """dbt in-process (dbtRunner): one import for the whole session, no subprocess per `dbt ls`."""

    def __init__(self) -> None:
        from dbt.cli.main import dbtRunner

        self.runner = dbtRunner()

    def parse(self, project: Path, target: str = "target") -> Path:
        args = ["parse", "--project-dir", str(project), "--profiles-dir", str(project), "--quiet"]
        result = self.runner.invoke([*args, "--target-path", target])
        assert result.success, result.exception
        return project / target / "manifest.json"

    def ls(self, project: Path, select: str, *, state: Path | None = None) -> set[str]:
        args = ["ls", "--project-dir", str(project), "--profiles-dir", str(project), "--quiet"]
        args += ["--select", select, "--output", "json", "--output-keys", "unique_id"]
        for kind in LINEAGE_TYPES:
            args += ["--resource-type", kind]
        if state is not None:
            args += ["--state", str(state)]
        result = self.runner.invoke(args)
        assert result.success, result.exception
        return {json.loads(line)["unique_id"] for line in result.result or []}


@pytest.fixture(scope="module")
def dbt() -> Dbt:
    pytest.importorskip("dbt.cli.main")
    return Dbt()


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory, dbt: Dbt) -> Path:
    """A git repository holding a copy of the example project, parsed."""
    root = tmp_path_factory.mktemp("lineage-repo")
    (root / ".git").mkdir()  # enough for the git-root lookups; no git commands needed
    copy_project(root / "example_project")
    dbt.parse(root / "example_project")
    return root


@pytest.fixture(scope="module")
def project(repo: Path) -> Path:
    return repo / "example_project"


@pytest.fixture(scope="module")
def manifest(project: Path):
    return load_manifest(project / "target" / "manifest.json")


@pytest.fixture(scope="module")
def graph(manifest):
    return build_graph(manifest)


NODES = [
    "model.greenery.fact_orders",
    "model.greenery.stg_events",
    "model.greenery.dim_products",
    "model.greenery.int_session_events",
    "source.greenery.greenery.events",
    "source.greenery.greenery.promos",
    "snapshot.greenery.products_snapshot",
    "exposure.greenery.product_funnel",
    "exposure.greenery.weekly_marketing_report",
]


def _selector(unique_id: str) -> str:
    kind, _package, *rest = unique_id.split(".")
    if kind == "source":
        return "source:" + ".".join(rest)
    if kind == "exposure":
        return "exposure:" + rest[-1]
    return rest[-1]


@pytest.mark.parametrize("unique_id", NODES)
def test_lineage_matches_dbt_ls(unique_id: str, dbt: Dbt, project: Path, graph) -> None:
    selector = _selector(unique_id)
    down = dbt.ls(project, f"{selector}+") - {unique_id}
    up = dbt.ls(project, f"+{selector}") - {unique_id}
    result = lineage(graph, selector, direction="both")
    assert result.root.unique_id == unique_id
    assert set(result.downstream) == down
    assert set(result.upstream) == up


def test_lineage_depth_matches_dbt_ls(dbt: Dbt, project: Path, graph) -> None:
    result = lineage(graph, "stg_events", direction="downstream", depth=2)
    assert set(result.downstream) == dbt.ls(project, "stg_events+2") - {"model.greenery.stg_events"}
    result = lineage(graph, "fact_sessions_funnel", direction="upstream", depth=1)
    assert set(result.upstream) == dbt.ls(project, "1+fact_sessions_funnel") - {
        "model.greenery.fact_sessions_funnel"
    }


def test_lineage_cli_json_and_mermaid(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(
            [
                "lineage",
                "source:greenery.promos",
                "--downstream",
                "--format",
                "json",
                "--project-dir",
                str(project),
            ]
        )
    assert exit_info.value.code == 0
    data = json.loads(capsys.readouterr().out)
    names = {item["name"] for item in data["downstream"]}
    assert {"stg_promos", "fact_orders", "orders_overview", "weekly_marketing_report"} <= names
    assert data["upstream"] == []
    owners = {
        item["name"]: item["owner"]["email"]
        for item in data["downstream"]
        if item["resource_type"] == "exposure"
    }
    assert owners["orders_overview"] == "finance@greenery.example.com"

    with pytest.raises(SystemExit):
        main(
            [
                "lineage",
                "exposure:product_funnel",
                "--upstream",
                "--format",
                "mermaid",
                "--project-dir",
                str(project),
            ]
        )
    out = capsys.readouterr().out
    assert out.startswith("flowchart LR")
    assert '"model:fact_sessions_funnel"' in out and "-->" in out


def test_lineage_tree_shows_dashboards_with_owner(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["lineage", "dim_users", "--project-dir", str(project)])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    assert "Customers (dashboard)" in out and "Orders Overview (dashboard)" in out
    assert "customer-success@greenery.example.com" in out


def test_unknown_node_is_one_line_with_close_matches(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["lineage", "fact_order", "--project-dir", str(project)])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("dbtmeta: error: ")
    assert "fact_orders" in err and "Traceback" not in err


# ------------------------------------------------------------------------------------------ impact


def _exposures(ids: set[str]) -> set[str]:
    return {uid for uid in ids if uid.startswith("exposure.")}


@pytest.fixture(scope="module")
def modified(tmp_path_factory: pytest.TempPathFactory, dbt: Dbt, project: Path) -> Path:
    """A copy of the project with a changed model body, a changed config and a new model."""
    copy = copy_project(tmp_path_factory.mktemp("modified") / "example_project", project)
    sql = copy / "models/marts/core/fact_orders.sql"
    sql.write_text(sql.read_text() + "\n-- a changed body\n")
    project_file = copy / "dbt_project.yml"
    config = yaml.safe_load(project_file.read_text())
    config["models"]["greenery"]["staging"]["stg_users"] = {"+alias": "stg_users_v2"}
    config["models"]["greenery"]["marts"]["core"]["dim_users"] = {"+materialized": "view"}
    project_file.write_text(yaml.safe_dump(config))
    (copy / "models/marts/core/brand_new.sql").write_text("select * from {{ ref('dim_products') }}\n")
    dbt.parse(copy)
    return copy


def test_state_comparison_matches_dbt_state_modified(dbt: Dbt, project: Path, modified: Path) -> None:
    state_dir = project / "target"
    current = load_manifest(modified / "target" / "manifest.json")
    previous = load_manifest(state_dir / "manifest.json")
    report = impact(current, previous=previous, project_dir=modified)
    changed = {change.unique_id for change in report.changes}
    assert changed == dbt.ls(modified, "state:modified", state=state_dir)
    reasons = {change.unique_id: change.reason for change in report.changes}
    assert reasons["model.greenery.fact_orders"] == "modified.body"
    assert reasons["model.greenery.stg_users"] == "modified.relation"
    assert reasons["model.greenery.dim_users"] == "modified.configs"
    assert reasons["model.greenery.brand_new"] == "new"
    downstream = dbt.ls(modified, "state:modified+", state=state_dir)
    assert {item.info.unique_id for item in report.affected} == _exposures(downstream)
    assert set(report.affected_nodes) | changed == downstream


@pytest.mark.parametrize(
    "subselector", ["body", "configs", "persisted_descriptions", "relation", "macros", "contract"]
)
def test_each_change_names_the_dbt_subselectors_that_select_it(
    dbt: Dbt, project: Path, modified: Path, subselector: str
) -> None:
    state_dir = project / "target"
    current = load_manifest(modified / "target" / "manifest.json")
    report = impact(current, previous=load_manifest(state_dir / "manifest.json"), project_dir=modified)
    ours = {c.unique_id for c in report.changes if f"modified.{subselector}" in c.subselectors}
    new = {c.unique_id for c in report.changes if c.reason == "new"}
    expected = dbt.ls(modified, f"state:modified.{subselector}", state=state_dir)
    # dbt's subselectors (but .macros) also select new nodes: "no old version" is "modified".
    assert ours | (new if subselector != "macros" else set()) == expected
    assert {c.unique_id: c.subselectors for c in report.changes if c.reason != "new"} == {
        "model.greenery.fact_orders": ("modified.body",),
        "model.greenery.stg_users": ("modified.relation",),
        "model.greenery.dim_users": ("modified.configs",),
    }


UPGRADE = Path(__file__).parent / "fixtures" / "upgrade"


def _upgrade_manifest(version: str, directory: Path) -> Path:
    import gzip

    directory.mkdir(parents=True, exist_ok=True)
    (directory / "manifest.json").write_bytes(
        gzip.decompress((UPGRADE / f"manifest_{version}.json.gz").read_bytes())
    )
    return directory / "manifest.json"


def test_a_dbt_upgrade_alone_modifies_nothing(
    tmp_path: Path, dbt: Dbt, capsys: pytest.CaptureFixture[str]
) -> None:
    # The same project parsed by dbt 1.8 (previous) and 1.11 (current): dbt 1.9 added default configs.
    previous_path = _upgrade_manifest("1.8", tmp_path / "state")
    current_path = _upgrade_manifest("1.11", tmp_path / "current")
    previous, current = load_manifest(previous_path), load_manifest(current_path)
    assert (previous.metadata["dbt_version"], current.metadata["dbt_version"]) == ("1.8.10", "1.11.16")
    orders = "model.upgrade_shop.orders"
    added = set(current.nodes[orders]["config"]) - set(previous.nodes[orders]["config"])
    assert added == {
        "batch_size",
        "begin",
        "concurrent_batches",
        "event_time",
        "freshness",
        "lookback",
        "static_analysis",
    }
    assert current.nodes[orders]["unrendered_config"] == previous.nodes[orders]["unrendered_config"]
    report = impact(current, previous=previous)
    assert report.changes == [] and report.affected == []
    # dbt 1.11 itself agrees: nothing is state:modified against the 1.8 manifest.
    project = shutil.copytree(UPGRADE / "project", tmp_path / "project")
    assert dbt.ls(project, "state:modified", state=tmp_path / "state") == set()
    # and the gate of a PR that changed nothing passes
    with pytest.raises(SystemExit) as exit_info:
        main(
            [
                "impact",
                "--manifest",
                str(current_path),
                "--state",
                str(previous_path),
                "--fail-on-maturity",
                "high",
            ]
        )
    assert exit_info.value.code == 0
    capsys.readouterr()


def test_deleted_nodes_affect_what_depended_on_them(tmp_path: Path, dbt: Dbt, project: Path) -> None:
    # The previous state had an extra model feeding an extra exposure; both are gone now.
    before = copy_project(tmp_path / "example_project", project)
    (before / "models/marts/core/old_model.sql").write_text("select * from {{ ref('fact_orders') }}\n")
    (before / "models/exposures/old.yml").write_text(
        "exposures:\n  - name: old_report\n    type: dashboard\n    owner: {email: a@b.example.com}\n"
        "    depends_on: [ref('old_model')]\n"
    )
    previous = load_manifest(dbt.parse(before))
    current = load_manifest(project / "target" / "manifest.json")
    report = impact(current, previous=previous, project_dir=project)
    reasons = {change.unique_id: change.reason for change in report.changes}
    assert reasons == {"model.greenery.old_model": "deleted", "exposure.greenery.old_report": "deleted"}
    assert [item.info.name for item in report.affected] == ["old_report"]
    # The same deletion seen as a changed path (`git diff --name-only` lists deleted files too).
    report = impact(
        current, previous=previous, paths=["models/marts/core/old_model.sql"], project_dir=project
    )
    assert "model.greenery.old_model" in {c.unique_id for c in report.changes if c.reason == "deleted"}
    assert report.unmatched_paths == []


@pytest.mark.parametrize(
    "path_form", ["repo", "project", "absolute"], ids=["repo-relative", "project-relative", "absolute"]
)
def test_changed_paths_match_dbt_path_selector(
    path_form: str, dbt: Dbt, repo: Path, project: Path, manifest, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(repo)
    files = ["models/staging/stg_promos.sql", "models/marts/product/fact_page_views.sql"]
    given = {
        "repo": [f"example_project/{f}" for f in files],
        "project": files,
        "absolute": [str(project / f) for f in files],
    }[path_form]
    report = impact(manifest, paths=[*given, "README.md"], project_dir=project)
    expected = dbt.ls(project, " ".join(f"path:{f}+" for f in files))
    assert {item.info.unique_id for item in report.affected} == _exposures(expected)
    assert {c.unique_id for c in report.changes} | set(report.affected_nodes) == expected
    assert report.unmatched_paths == ["README.md"]


def test_yaml_and_macro_paths_map_to_nodes(repo: Path, project: Path, manifest, monkeypatch) -> None:
    monkeypatch.chdir(repo)
    report = impact(
        manifest, paths=["example_project/models/exposures/manual_exposures.yml"], project_dir=project
    )
    assert [item.info.name for item in report.affected] == ["weekly_marketing_report"]
    assert report.affected[0].distance == 0
    report = impact(
        manifest, paths=["example_project/models/marts/marketing/_marketing_models.yml"], project_dir=project
    )
    assert "model.greenery.user_order_facts" in {c.unique_id for c in report.changes}
    macro_users = {
        uid
        for uid, node in manifest.nodes.items()
        if "macro.greenery.pivot_event_types" in (node.get("depends_on") or {}).get("macros", [])
    }
    assert macro_users, "the example project's pivot_event_types macro is used by a model"
    report = impact(manifest, paths=["example_project/macros/pivot_event_types.sql"], project_dir=project)
    assert macro_users <= {c.unique_id for c in report.changes}


def test_impact_cli_markdown_gate_and_output(
    repo: Path, project: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch
) -> None:
    monkeypatch.chdir(repo)
    out_file = tmp_path / "impact.md"
    args = [
        "impact",
        "example_project/models/marts/marketing/user_order_facts.sql",
        "--project-dir",
        "example_project",
    ]
    with pytest.raises(SystemExit) as exit_info:
        main([*args, "--format", "markdown", "--output", str(out_file), "--fail-on-maturity", "medium"])
    assert exit_info.value.code == 1  # weekly_marketing_report is maturity medium
    assert "weekly_marketing_report" in capsys.readouterr().err
    text = out_file.read_text()
    assert "```mermaid" in text and "Weekly marketing report" in text
    assert "&#64;" in text  # owner emails cannot turn into @mentions
    with pytest.raises(SystemExit) as exit_info:
        main([*args, "--fail-on-maturity", "high", "--format", "json"])
    assert exit_info.value.code == 0
    data = json.loads(capsys.readouterr().out)
    assert [item["name"] for item in data["affected_exposures"]] == ["weekly_marketing_report"]
    assert data["affected_exposures"][0]["owner"]["email"] == "marketing-analytics@greenery.example.com"


def test_impact_needs_something_to_compare(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["impact", "--project-dir", str(project)])
    assert exit_info.value.code == 2
    assert "--state" in capsys.readouterr().err


def test_impact_missing_state_is_one_line(project: Path, tmp_path: Path) -> None:
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "dbtmeta",
            "impact",
            "--state",
            str(tmp_path / "nope"),
            "--project-dir",
            str(project),
        ],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and "--state" in proc.stderr
