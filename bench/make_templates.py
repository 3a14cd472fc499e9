"""Regenerate ``bench/templates.json`` from a real ``dbt build`` of a tiny DuckDB project.

``gen_project.py`` copies every node of its synthetic artifacts from ``templates.json``; this script
is where that file comes from. It writes a tiny dbt project named ``tiny`` into a temporary
directory (DuckDB through dbt-duckdb, ``profiles.yml`` inside the project): a seed ``raw_items``,
a source ``src.raw_items`` on it with a freshness rule, models ``stg_items`` and ``items``, a
snapshot ``snap``, a ``unique`` test, a ``relationships`` test, a source ``not_null`` test, a
singular test ``singular`` and an exposure ``dash``. It runs ``dbt build`` and
``dbt source freshness`` with the dbt installed next to this Python (the versions pinned in
``constraints.txt``) and takes one entry of each kind from the real ``manifest.json``,
``run_results.json`` (of ``dbt build``) and ``sources.json`` (of ``dbt source freshness``),
unchanged except for the project directory (see below). Anonymous usage stats are off
(``send_anonymous_usage_stats`` false, ``user_id`` null): nothing is sent over the network.

Fields that differ from run to run (``VARYING_FIELDS``; dbt writes them, nothing here can pin
them): ``created_at`` of every node, ``generated_at``, ``invocation_id``, ``invocation_started_at``
and ``run_started_at`` of the metadata blocks, ``timing`` and ``execution_time`` of results,
``snapshotted_at`` and ``max_loaded_at_time_ago_in_s`` of the freshness result.
Everything else is deterministic (``manifest_metadata.project_id`` is a hash of the project name):
the output is written with sorted keys, and the temporary project directory (in ``root_path``,
``project_dir``, ``profiles_dir`` and ``log_path``) is replaced by ``/project/tiny`` so the file
names no machine-specific path. ``tests/test_bench_templates.py`` checks both.

Usage: python bench/make_templates.py [--output bench/templates.json]   (~10 s CPU, two dbt runs)
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
PLACEHOLDER_DIR = "/project/tiny"
# Fields of a template entry that dbt writes differently on every run (clock, invocation).
VARYING_FIELDS = frozenset(
    {
        "created_at",
        "generated_at",
        "invocation_id",
        "invocation_started_at",
        "run_started_at",
        "timing",
        "execution_time",
        "snapshotted_at",
        "max_loaded_at_time_ago_in_s",
    }
)

# The tiny project: every file dbt reads. Its node names are the unique ids sampled below.
PROJECT_FILES: dict[str, str] = {
    "dbt_project.yml": """\
name: tiny
version: "1.0"
config-version: 2
profile: tiny
""",
    "profiles.yml": """\
tiny:
  target: dev
  outputs:
    dev:
      type: duckdb
      path: tiny.duckdb
      threads: 1
""",
    "seeds/raw_items.csv": "id,loaded_at\n1,2020-01-01 00:00:00\n2,2020-01-01 00:00:00\n",
    "models/sources.yml": """\
sources:
  - name: src
    schema: main
    tables:
      - name: raw_items
        config:
          loaded_at_field: loaded_at
          freshness:
            warn_after: {count: 1, period: day}
            error_after: {count: 2, period: day}
        columns:
          - name: id
            data_tests:
              - not_null
""",
    "models/stg_items.sql": "select * from {{ source('src', 'raw_items') }}",
    "models/items.sql": "select * from {{ ref('stg_items') }} join {{ ref('raw_items') }} using (id)",
    "models/schema.yml": """\
models:
  - name: stg_items
    columns:
      - name: id
        data_tests:
          - unique
  - name: items
    columns:
      - name: id
        data_tests:
          - relationships:
              arguments:
                to: ref('stg_items')
                field: id

exposures:
  - name: dash
    label: Dash
    type: dashboard
    maturity: high
    url: https://x/1
    owner:
      name: Ann
      email: ann@example.com
    depends_on:
      - ref('items')
    config:
      meta:
        looker_id: "1"
      tags: [t1]
""",
    "snapshots/snap.yml": """\
snapshots:
  - name: snap
    relation: ref('stg_items')
    config:
      unique_key: id
      strategy: check
      check_cols: all
""",
    "tests/singular.sql": "select * from {{ ref('items') }} where id < 0",
}

# templates.json key -> (artifact, unique id). Which entry of which file each template is.
SAMPLES: dict[str, tuple[str, str]] = {
    "model": ("manifest.nodes", "model.tiny.items"),
    "seed": ("manifest.nodes", "seed.tiny.raw_items"),
    "snapshot": ("manifest.nodes", "snapshot.tiny.snap"),
    "generic_test": ("manifest.nodes", "test.tiny.unique_stg_items_id.a740f6d451"),
    "relationships_test": (
        "manifest.nodes",
        "test.tiny.relationships_items_id__id__ref_stg_items_.844f639e9a",
    ),
    "source_test": ("manifest.nodes", "test.tiny.source_not_null_src_raw_items_id.b7b67e2ced"),
    "singular_test": ("manifest.nodes", "test.tiny.singular"),
    "source": ("manifest.sources", "source.tiny.src.raw_items"),
    "exposure": ("manifest.exposures", "exposure.tiny.dash"),
    "macro": ("manifest.macros", "macro.dbt.test_unique"),
    "run_result_model": ("run_results.results", "model.tiny.stg_items"),
    "run_result_test": ("run_results.results", "test.tiny.source_not_null_src_raw_items_id.b7b67e2ced"),
    "freshness_result": ("sources.results", "source.tiny.src.raw_items"),
}


def dbt_command() -> list[str]:
    """The dbt CLI of this Python's environment (the pinned dbt-core and dbt-duckdb)."""
    sibling = Path(sys.executable).with_name("dbt")
    if sibling.exists():
        return [str(sibling)]
    return [sys.executable, "-m", "dbt.cli.main"]


def _dbt_env() -> dict[str, str]:
    # No tracking or version check over the network, no DBT_* settings leaking in from the caller
    # (DBT_ENV_CUSTOM_ENV_* would land in metadata.env).
    env = {k: v for k, v in os.environ.items() if not k.startswith("DBT_")}
    env.update(DO_NOT_TRACK="1", DBT_SEND_ANONYMOUS_USAGE_STATS="false")
    return env


def _run_dbt(project: Path, *args: str) -> None:
    """Run one dbt command in the project (its own profiles.yml); fail loudly with dbt's output."""
    proc = subprocess.run(
        [*dbt_command(), *args],
        cwd=project,
        env=_dbt_env(),
        capture_output=True,
        text=True,
        check=False,
    )
    # `dbt source freshness` exits 1 on purpose: the seed's loaded_at is in 2020 (status "error").
    if proc.returncode not in (0, 1) or (args[0] == "build" and proc.returncode != 0):
        sys.stderr.write(proc.stdout + proc.stderr)
        raise SystemExit(f"make_templates: error: `dbt {' '.join(args)}` exited {proc.returncode}")


def _load(path: Path, project: Path) -> Any:
    text = path.read_text(encoding="utf-8")
    # The temporary directory is the only machine-specific text dbt writes (JSON-escaped as a string).
    escaped = json.dumps(str(project))[1:-1]
    return json.loads(text.replace(escaped, PLACEHOLDER_DIR))


def build_templates(work: Path) -> dict[str, Any]:
    """Write the tiny project under ``work``, run dbt on it and return the templates."""
    project = work / "tiny"
    for rel, text in PROJECT_FILES.items():
        target = project / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    _run_dbt(project, "build", "-q")
    target_dir = project / "target"
    artifacts = {
        "manifest": _load(target_dir / "manifest.json", project),
        "run_results": _load(target_dir / "run_results.json", project),
    }
    _run_dbt(project, "source", "freshness", "-q")
    artifacts["sources"] = _load(target_dir / "sources.json", project)

    templates: dict[str, Any] = {}
    for key, (where, unique_id) in SAMPLES.items():
        artifact, section = where.split(".")
        entries = artifacts[artifact][section]
        if isinstance(entries, dict):
            entry = entries.get(unique_id)
        else:
            entry = next((r for r in entries if r["unique_id"] == unique_id), None)
        if entry is None:
            raise SystemExit(f"make_templates: error: {unique_id} not found in {artifact}.json {section}")
        templates[key] = entry
    templates["manifest_metadata"] = artifacts["manifest"]["metadata"]
    templates["run_results_metadata"] = artifacts["run_results"]["metadata"]
    templates["run_results_args"] = artifacts["run_results"]["args"]
    templates["sources_metadata"] = artifacts["sources"]["metadata"]
    return dict(sorted(templates.items()))


def write_templates(output: Path) -> None:
    """Regenerate the templates and write them to ``output`` (atomically, sorted keys)."""
    with tempfile.TemporaryDirectory(prefix="dbtmeta-templates-") as tmp:
        templates = build_templates(Path(tmp))
    output.parent.mkdir(parents=True, exist_ok=True)
    partial = output.with_name(output.name + ".tmp")
    partial.write_text(json.dumps(templates, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    os.replace(partial, output)


def main(argv: list[str] | None = None) -> int:
    """Command line: regenerate ``bench/templates.json`` (or ``--output``)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--output", type=Path, default=HERE / "templates.json")
    args = parser.parse_args(argv)
    write_templates(args.output)
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
