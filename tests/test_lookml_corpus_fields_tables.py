"""The LookML pattern corpus for used fields and table names (issue 12, points 3 and 4).

Each ``tests/fixtures/lookml_corpus/fields_*`` / ``tables_*`` directory is a small LookML project
of one real-world pattern plus ``expected.yml``: the dbt relations of a hand-made manifest, and
per case the sync-exposures arguments, the exact ``depends_on`` of every dashboard and the exact
``unresolved:`` lines. Every case runs the real CLI on a project holding that manifest.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from dbtmeta.cli import main

CORPUS = Path(__file__).parent / "fixtures" / "lookml_corpus"
PATTERNS = sorted(
    p.name
    for p in CORPUS.glob("*")
    if p.name.startswith(("fields_", "tables_")) and (p / "expected.yml").is_file()
)


def _node(unique_id: str, relation: str) -> dict[str, Any]:
    kind, package, *rest = unique_id.split(".")
    node: dict[str, Any] = {
        "unique_id": unique_id,
        "resource_type": kind,
        "package_name": package,
        "relation_name": relation,
        "config": {"materialized": "table", "enabled": True},
    }
    if kind == "source":
        node["source_name"], node["name"] = rest
    else:
        node["name"] = rest[0]
    return node


def _project(tmp_path: Path, spec: dict[str, Any]) -> Path:
    """A dbt project directory whose target/manifest.json holds ``spec``'s relations."""
    project = tmp_path / "project"
    (project / "target").mkdir(parents=True)
    (project / "dbt_project.yml").write_text("name: shop\nversion: '1.0'\nprofile: shop\n", encoding="utf-8")
    nodes = [_node(uid, rel) for uid, rel in spec["relations"].items()]
    manifest = {
        "metadata": {
            "dbt_schema_version": "https://schemas.getdbt.com/dbt/manifest/v12.json",
            "project_name": "shop",
            "adapter_type": spec["adapter"],
        },
        "nodes": {n["unique_id"]: n for n in nodes if n["resource_type"] != "source"},
        "sources": {n["unique_id"]: n for n in nodes if n["resource_type"] == "source"},
        "exposures": {},
        "parent_map": {},
        "child_map": {},
        "disabled": {},
    }
    (project / "target" / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    return project


def _sync(lookml: Path, project: Path, out: Path, args: list[str]) -> int:
    try:
        main(
            [
                "sync-exposures",
                "--lookml-dir",
                str(lookml),
                "--project-dir",
                str(project),
                "--output",
                str(out),
                *args,
            ]
        )
    except SystemExit as exc:
        return int(exc.code or 0)
    raise AssertionError("main() did not exit")


def _cases() -> list[Any]:
    found = []
    for pattern in PATTERNS:
        spec = yaml.safe_load((CORPUS / pattern / "expected.yml").read_text(encoding="utf-8"))
        for index, case in enumerate(spec["cases"]):
            found.append(pytest.param(pattern, index, id=f"{pattern}-{case.get('name', index)}"))
    return found


def test_the_corpus_has_its_patterns() -> None:
    assert PATTERNS == [
        "fields_dashboard_filters",
        "fields_dynamic_fields",
        "fields_explore_filters",
        "fields_filter_expressions",
        "fields_legacy_tiles",
        "fields_merged_results",
        "tables_bigquery_case",
        "tables_connection_defaults",
        "tables_ga4_unnest",
        "tables_liquid",
        "tables_snowflake_case",
    ]


@pytest.mark.parametrize(("pattern", "index"), _cases())
def test_corpus_pattern_gives_exactly_the_expected_depends_on(
    pattern: str, index: int, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    directory = CORPUS / pattern
    spec = yaml.safe_load((directory / "expected.yml").read_text(encoding="utf-8"))
    case = spec["cases"][index]
    project = _project(tmp_path, spec)
    out = tmp_path / "exposures.yml"
    assert _sync(directory, project, out, [str(a) for a in case.get("args", [])]) == 0
    err = capsys.readouterr().err
    generated = yaml.safe_load(out.read_text(encoding="utf-8"))["exposures"]
    depends_on = {e["config"]["meta"]["looker_id"]: e.get("depends_on", []) for e in generated}
    assert depends_on == case["depends_on"]
    assert err.splitlines() == case.get("stderr", [])
