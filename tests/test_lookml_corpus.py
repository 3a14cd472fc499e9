"""A corpus of real-world LookML shapes, one small project per pattern (tests/fixtures/lookml_corpus/).

Each pattern states the exact ``depends_on`` of every dashboard against the example project's real
manifest, and the exact problems reported; the last test writes every pattern's exposures with the
CLI and runs real ``dbt parse`` on them.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import yaml
from conftest import ExampleBuild, run_dbt

from dbtmeta.dbt.artifacts import load_manifest
from dbtmeta.exposures.resolve import resolve_all
from dbtmeta.looker.lookml import read_lookml

CORPUS = Path(__file__).parent / "fixtures" / "lookml_corpus"


@dataclass(frozen=True)
class Case:
    pattern: str
    project: str  # folder of the project read, under the pattern's folder
    depends_on: dict[str, list[str]]  # dashboard id -> depends_on, as written in the exposure
    problems: list[str] = field(default_factory=list)  # LookML problems; {dir} = the pattern's folder
    findings: list[str] = field(default_factory=list)  # unresolved lines; {dir} likewise
    imports: dict[str, str] = field(default_factory=dict)  # imported project -> folder

    @property
    def id(self) -> str:
        return f"{self.pattern}{'-with-imports' if self.imports else ''}"

    def root(self) -> Path:
        return CORPUS / self.pattern

    def fill(self, lines: list[str]) -> list[str]:
        return [line.replace("{dir}", str(self.root())) for line in lines]

    def import_map(self) -> dict[str, str]:
        return {name: str(self.root() / folder) for name, folder in self.imports.items()}


BLOCK_MISSING = (
    "imported LookML project 'block-greenery-config' (included by {dir}/block/block_greenery.model.lkml:7, "
    "{dir}/block/block_greenery.model.lkml:8, {dir}/block/views/customers.view.lkml:1) was not given: "
    "pass --lookml-import block-greenery-config=DIR (or lookml_import in the config); it blocks explore "
    "customers (extends customers_config), explore orders (extends orders_config)"
)


def _extends_missing(explore: str) -> str:
    return (
        f"block_greenery::{explore} view {explore}: explore {explore} extends {explore}_config: explore "
        f"{explore}_config is not defined in any file model block_greenery includes; it may be in imported "
        "project block-greenery-config, not given (--lookml-import block-greenery-config=DIR)"
    )


CASES = [
    # A Looker block: the block imports its config project, which extends the block's *_core
    # explores and views; override_constant passes the block's own SCHEMA_NAME ("@{SCHEMA_NAME}").
    Case(
        "block_config",
        "block",
        imports={"block-greenery-config": "config"},
        depends_on={
            "block_greenery::customer_overview": ["ref('dim_users')", "ref('user_order_facts')"],
            "block_greenery::revenue": ["ref('fact_orders')"],
        },
    ),
    # The same block without its config project: one problem naming it, no made-up tables.
    Case(
        "block_config",
        "block",
        depends_on={"block_greenery::customer_overview": [], "block_greenery::revenue": []},
        problems=[BLOCK_MISSING],
        findings=[
            "'Block: Customer Overview' (block_greenery::customer_overview) tile(s) customers_by_state: "
            + _extends_missing("customers"),
            "'Block: Customer Overview' (block_greenery::customer_overview) tile(s) lifetime_value: "
            "block_greenery::customers view customer_facts: field view 'customer_facts' is not part of "
            "explore block_greenery::customers",
            "'Block: Customer Overview' (block_greenery::customer_overview) tile(s) lifetime_value: "
            + _extends_missing("customers"),
            "'Block: Revenue' (block_greenery::revenue) tile(s) revenue: " + _extends_missing("orders"),
        ],
    ),
    # `**`, a [!0-9]* class keeping a scratch copy out, relative `../`, rooted `/`, extensions left
    # out, a `.lookml` view file, dashboards in sub-folders.
    Case(
        "include_globs",
        "project",
        depends_on={
            "shop::customer_value": ["ref('dim_users')", "ref('fact_orders')", "ref('user_order_facts')"],
            "shop::orders_by_state": [
                "ref('dim_users')",
                "ref('fact_orders')",
                "source('greenery', 'promos')",
            ],
        },
    ),
    # "Get LookML" from the UI: !ruby/hash, !ruby/object, !ruby/array, !ruby/symbol, !ruby/string.
    Case(
        "ui_export_ruby",
        "project",
        depends_on={
            "ops::inventory_exported": [
                "ref('dim_products')",
                "ref('fact_page_views')",
                "ref('products_snapshot')",
            ],
        },
    ),
    # An include that matches nothing: the model's problem; only the tile that needs it is unresolved.
    Case(
        "missing_include",
        "project",
        depends_on={"marketing::users": ["ref('dim_users')"], "sales::orders": ["ref('fact_orders')"]},
        problems=[
            "{dir}/project/sales.model.lkml:5 (model sales): include '/views/archive/*.view' matches no "
            "file; fix the pattern or add the file"
        ],
        findings=[
            "'Missing include: Orders' (sales::orders) tile(s) archived: sales::orders view archived_orders: "
            "view archived_orders is not defined in any file model sales includes; include "
            "'/views/archive/*.view' at {dir}/project/sales.model.lkml:5 matches no file"
        ],
    ),
    # A view file with a merge conflict, a dashboard file with broken YAML, a tile on an unknown
    # explore: each reported; every other dashboard and tile still synced.
    Case(
        "malformed_file",
        "project",
        depends_on={"greenery::orders": ["ref('fact_orders')"], "greenery::users": ["ref('dim_users')"]},
        problems=[
            "{dir}/project/dashboards/broken.dashboard.lookml:9 (model greenery): LookML dashboard is not "
            "valid YAML (did not find expected ',' or ']'); fix it or remove it from the include:",
            "{dir}/project/views/promos.view.lkml (model greenery): not valid LookML (Unable to find a "
            "matching expression for '<literal>' on line 7); fix the file or leave it out of the include:",
        ],
        findings=[
            "'Malformed: Orders' (greenery::orders) tile(s) by_promo: greenery::orders view promos: view "
            "promos is not defined in any file model greenery includes; {dir}/project/views/promos.view.lkml "
            "could not be read",
            "'Malformed: Orders' (greenery::orders) tile(s) returns: greenery::returns: explore "
            "greenery::returns is not known (not in the LookML or API content)",
        ],
    ),
    # A view extending a view of an imported project that was not given (once: table "order").
    Case(
        "missing_import",
        "project",
        depends_on={"reporting::revenue": [], "reporting::users": ["ref('dim_users')"]},
        problems=[
            "imported LookML project 'shared_views' (included by {dir}/project/reporting.model.lkml:3) was "
            "not given: pass --lookml-import shared_views=DIR (or lookml_import in the config); it blocks "
            "view order (extends order_base)"
        ],
        findings=[
            "'Imports: Revenue' (reporting::revenue) tile(s) revenue: reporting::order view order: view "
            "order extends order_base: view order_base is not defined in any file model reporting includes; "
            "it may be in imported project shared_views, not given (--lookml-import shared_views=DIR)"
        ],
    ),
    # ... and given: its constant is overridden by the importer (analytics_core -> core).
    Case(
        "missing_import",
        "project",
        imports={"shared_views": "shared_views"},
        depends_on={"reporting::revenue": ["ref('fact_orders')"], "reporting::users": ["ref('dim_users')"]},
    ),
]


@pytest.fixture(scope="module")
def manifest(example_build: ExampleBuild):  # type: ignore[no-untyped-def]
    return load_manifest(str(example_build.green / "manifest.json"))


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_pattern_depends_on_and_problems(case: Case, manifest) -> None:  # type: ignore[no-untyped-def]
    content = read_lookml(case.root() / case.project, imports=case.import_map())
    assert content.problems == case.fill(case.problems)
    resolutions = resolve_all(content, manifest)
    depends_on = {
        r.dashboard.id: sorted({n.depends_on(manifest.project_name) for n in r.nodes}) for r in resolutions
    }
    assert depends_on == case.depends_on
    findings = [f.line() for f in sorted(f for r in resolutions for f in r.findings)]
    assert findings == case.fill(case.findings)


def test_every_pattern_through_the_cli_and_dbt_parse(green_project: Path, tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    from dbtmeta.cli import main

    project = green_project
    files: dict[str, Case] = {}
    for number, case in enumerate(CASES):
        output = Path("models") / "exposures" / f"corpus_{number}_{case.pattern}.yml"
        args = [
            "sync-exposures",
            "--lookml-dir",
            str(case.root() / case.project),
            "--project-dir",
            str(project),
        ]
        for name, folder in case.import_map().items():
            args += ["--lookml-import", f"{name}={folder}"]
        with pytest.raises(SystemExit) as info:
            main([*args, "--output", str(project / output)])
        assert info.value.code == 0, case.id
        err = capsys.readouterr().err.splitlines()
        problems = [line for line in err if line.startswith("dbtmeta:") and ": unresolved: " not in line]
        assert problems == [f"dbtmeta: warning: {p}" for p in case.fill(case.problems)]
        unresolved = "dbtmeta: warning: unresolved: "
        assert [line.removeprefix(unresolved) for line in err if line.startswith(unresolved)] == (
            case.fill(case.findings)
        )
        files[str(output)] = case
    result = run_dbt(["parse", "--quiet"], project)
    assert result.returncode == 0, result.stdout + result.stderr
    parsed = json.loads((project / "target" / "manifest.json").read_text(encoding="utf-8"))
    ids = {
        f"{n['package_name']}.{n['name']}": uid
        for uid, n in {**parsed["nodes"], **parsed["sources"]}.items()
        if n["resource_type"] in ("model", "seed", "snapshot")
    }
    for uid, source in parsed["sources"].items():
        ids[f"source:{source['source_name']}.{source['name']}"] = uid
    seen = 0
    for exposure in parsed["exposures"].values():
        case = files.get(exposure["original_file_path"])
        if case is None:
            continue
        seen += 1
        generated = yaml.safe_load((project / exposure["original_file_path"]).read_text(encoding="utf-8"))
        entry = next(e for e in generated["exposures"] if e["name"] == exposure["name"])
        looker_id = (entry.get("config") or {}).get("meta", entry.get("meta", {}))["looker_id"]
        expected = []
        for ref in case.depends_on[looker_id]:
            parts = ref.split("'")
            key = f"source:{parts[1]}.{parts[3]}" if ref.startswith("source(") else f"greenery.{parts[1]}"
            expected.append(ids[key])
        assert sorted(exposure["depends_on"]["nodes"]) == sorted(expected), (case.id, looker_id)
    assert seen == sum(len(c.depends_on) for c in CASES)


def test_imports_from_the_config_file_are_relative_to_it(
    example_build: ExampleBuild, tmp_path: Path, monkeypatch, capsys
) -> None:  # type: ignore[no-untyped-def]
    from dbtmeta.cli import main

    shutil.copytree(CORPUS / "block_config" / "config", tmp_path / "conf" / "lookml_config")
    config = tmp_path / "conf" / "dbtmeta.yml"
    config.write_text(
        yaml.safe_dump(
            {
                "sync_exposures": {
                    "lookml_dir": str(CORPUS / "block_config" / "block"),
                    "lookml_import": ["block-greenery-config=lookml_config"],
                }
            }
        ),
        encoding="utf-8",
    )
    (tmp_path / "elsewhere").mkdir()
    monkeypatch.chdir(tmp_path / "elsewhere")
    output = tmp_path / "out.yml"
    args = ["--config", str(config), "sync-exposures", "--project-dir", str(example_build.project_dir)]
    with pytest.raises(SystemExit) as info:
        main([*args, "--output", str(output)])
    assert info.value.code == 0
    assert capsys.readouterr().err == ""
    generated = yaml.safe_load(output.read_text(encoding="utf-8"))["exposures"]
    assert {e["label"]: e["depends_on"] for e in generated} == {
        "Block: Customer Overview": ["ref('dim_users')", "ref('user_order_facts')"],
        "Block: Revenue": ["ref('fact_orders')"],
    }


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--lookml-import", "cfg"], "Invalid value for '--lookml-import': 'cfg' is not NAME=DIR"),
        (
            ["--lookml-import", "cfg=/no/such/dir"],
            "--lookml-import cfg=/no/such/dir: /no/such/dir is not a directory",
        ),
    ],
)
def test_bad_lookml_import_is_a_usage_error(example_build: ExampleBuild, capsys, args, message) -> None:  # type: ignore[no-untyped-def]
    from dbtmeta.cli import main

    lookml = ["--lookml-dir", str(CORPUS / "block_config" / "block")]
    with pytest.raises(SystemExit) as info:
        main(["sync-exposures", *lookml, "--project-dir", str(example_build.project_dir), *args])
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith(f"dbtmeta: error: {message}")
    assert err.count("\n") == 1
