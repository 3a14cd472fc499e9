"""Benchmark column-level lineage at scale: ``stale-dashboards --lookml-dir`` (tile level) and
``check-fields`` against the table-level ``stale-dashboards`` run, as ratios in the same run.

Input: gen_project.py's ``large`` project (20,000 models, 40,000 tests, 4,000 exposures) and a
LookML repository generated here to match it (cached under bench/.cache/columns/):

- one view per model the exposures read (``sql_table_name`` = the model's relation), a dimension
  per column of the model (``${TABLE}.col``), a measure per third column reading it through
  ``${col}``, ``count``; one explore per view, joining a second view on ``sql_on: ${a.id} = ${b.id}``;
- one LookML dashboard per exposure (``bench::dashboard_N``), 4-10 tiles over the explores of the
  exposure's models, 1-4 fields each (sometimes from the join);
- ``target/manifest.json``: the large manifest with each exposure's ``meta.looker_id`` set to its
  LookML dashboard and the generated ``not_null_*`` tests made column tests (``test_metadata.name:
  not_null`` on a random column of their model; the generator copies one ``unique`` test template),
  so that tile-level narrowing has column tests to narrow;
- ``target/catalog.json``: every model's columns from the manifest, as `dbt docs generate` writes.

Measured, each a whole CLI run in a subprocess (wall time; the LookML parse cache is warmed by one
untimed run first, its cold time reported apart), interleaved, median of ``--repeat``:

- table: ``stale-dashboards --format json`` (the table-level run);
- tiles: the same with ``--lookml-dir`` (fields -> columns for every dashboard, tile usage, narrowing);
- fields: ``check-fields --format json`` (every field of every explore dashboards use, traced and
  looked up in the catalog).

Peak memory: each process's ``ru_maxrss`` (``os.wait4``), the largest of the repeats.

Usage: python bench/bench_columns.py [--repeat 3] [--size large] [--force]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import gen_project  # noqa: E402

CACHE = HERE / ".cache" / "columns"
MODEL = "bench"


def _view(name: str, relation: str, columns: list[str]) -> str:
    parts = [f"view: {name} {{", f"  sql_table_name: {relation} ;;"]
    for i, column in enumerate(columns):
        key = "\n    primary_key: yes" if column == "id" else ""
        parts.append(f"  dimension: {column} {{{key}\n    sql: ${{TABLE}}.{column} ;;\n  }}")
        if i % 3 == 1:
            parts.append(f"  measure: total_{column} {{\n    type: sum\n    sql: ${{{column}}} ;;\n  }}")
    parts.append("  measure: count {\n    type: count\n  }\n}")
    return "\n".join(parts) + "\n"


def generate(size: str, out: Path, seed: int = 11) -> dict[str, int]:
    """Write ``out``/lookml (the repository) and ``out``/target (manifest.json, catalog.json,
    run_results.json, sources.json) for gen_project's ``size``."""
    rng = random.Random(seed)
    source = gen_project.ensure(size)
    manifest = json.loads((source / "manifest.json").read_text(encoding="utf-8"))
    if out.exists():
        shutil.rmtree(out)
    target, lookml = out / "target", out / "lookml"
    target.mkdir(parents=True)
    (lookml / "views").mkdir(parents=True)
    (lookml / "dashboards").mkdir()
    nodes = manifest["nodes"]

    def columns_of(uid: str) -> list[str]:
        return list(nodes[uid].get("columns") or {}) or ["id"]

    for node in nodes.values():
        if node.get("resource_type") == "test" and node["name"].startswith("not_null_"):
            parent = next((p for p in node["depends_on"]["nodes"] if p in nodes), None)
            if parent is not None:
                node["column_name"] = rng.choice(columns_of(parent))
                node["test_metadata"] = {**node["test_metadata"], "name": "not_null"}

    read = sorted({d for e in manifest["exposures"].values() for d in e["depends_on"]["nodes"] if d in nodes})
    views = {uid: nodes[uid]["name"] for uid in read}
    for uid, name in views.items():
        text = _view(name, nodes[uid]["relation_name"].replace('"', ""), columns_of(uid))
        (lookml / "views" / f"{name}.view.lkml").write_text(text, encoding="utf-8")
    joins = {uid: rng.choice(read) for uid in read}
    explores = []
    for uid, name in views.items():
        other = views[joins[uid]]
        join = (
            ""
            if other == name
            else (
                f"  join: {other} {{\n    relationship: many_to_one\n"
                f"    sql_on: ${{{name}.id}} = ${{{other}.id}} ;;\n  }}\n"
            )
        )
        explores.append(f"explore: {name} {{\n{join}}}\n")
    (lookml / f"{MODEL}.model.lkml").write_text(
        'connection: "warehouse"\ninclude: "/views/*.view"\ninclude: "/dashboards/*.dashboard"\n\n'
        + "\n".join(explores),
        encoding="utf-8",
    )

    tiles = empty = 0
    for i, (_, exposure) in enumerate(sorted(manifest["exposures"].items())):
        name = f"dashboard_{i}"
        meta = {**exposure["meta"], "looker_id": f"{MODEL}::{name}"}
        exposure["meta"] = meta
        exposure["config"] = {**exposure["config"], "meta": meta}
        deps = [d for d in exposure["depends_on"]["nodes"] if d in views]
        empty += not deps
        lines = [f"- dashboard: {name}", f'  title: "Dashboard {i}"', "  layout: newspaper", "  elements:"]
        for t in range(rng.randint(4, 10) if deps else 0):
            base = rng.choice(deps)
            pool = [(views[base], c) for c in columns_of(base)] + [(views[base], "count")]
            if views[joins[base]] != views[base] and rng.random() < 0.3:
                pool += [(views[joins[base]], c) for c in columns_of(joins[base])]
            fields = [f"{v}.{c}" for v, c in rng.sample(pool, min(len(pool), rng.randint(1, 4)))]
            lines += [
                f'  - title: "Tile {t}"',
                f"    name: tile_{t}",
                f"    model: {MODEL}",
                f"    explore: {views[base]}",
                "    type: looker_column",
                f"    fields: [{', '.join(fields)}]",
            ]
            tiles += 1
        (lookml / "dashboards" / f"{name}.dashboard.lookml").write_text(
            "\n".join(lines) + "\n", encoding="utf-8"
        )

    catalog = {
        "metadata": {"dbt_schema_version": "https://schemas.getdbt.com/dbt/catalog/v1.json"},
        "nodes": {
            uid: {
                "unique_id": uid,
                "metadata": {"type": "BASE TABLE", "schema": n["schema"], "name": n["name"]},
                "columns": {
                    c: {"type": "VARCHAR", "index": k + 1, "name": c, "comment": None}
                    for k, c in enumerate(columns_of(uid))
                },
                "stats": {},
            }
            for uid, n in nodes.items()
            if n.get("resource_type") == "model"
        },
        "sources": {},
        "errors": None,
    }
    (target / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    (target / "catalog.json").write_text(json.dumps(catalog), encoding="utf-8")
    for artifact in ("run_results.json", "sources.json"):
        shutil.copyfile(source / artifact, target / artifact)
    info = {
        "views": len(views),
        "dashboards": len(manifest["exposures"]),
        "tiles": tiles,
        "without_tiles": empty,  # exposures reading only sources: no view, no tile
    }
    (out / "info.json").write_text(json.dumps(info), encoding="utf-8")
    return info


def ensure(size: str, force: bool = False) -> Path:
    """The cache dir of the generated project + LookML for ``size``, generating it if missing."""
    out = CACHE / size
    if force or not (out / "info.json").is_file():
        started = time.perf_counter()
        info = generate(size, out)
        print(f"generated {size} in {time.perf_counter() - started:.1f}s: {info}", file=sys.stderr)
    return out


def _run(args: list[str], env: dict[str, str]) -> tuple[float, float, str]:
    """(wall seconds, peak RSS in MB, stdout) of one CLI process."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        proc = subprocess.Popen([sys.executable, "-m", "dbtmeta", *args], env=env, stdout=out, stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)
        elapsed = time.perf_counter() - started
        code = os.waitstatus_to_exitcode(status)
        if code not in (0, 1):
            err.seek(0)
            raise SystemExit(f"dbtmeta {' '.join(args)} failed ({code}): {err.read().decode()[-2000:]}")
        out.seek(0)
        return elapsed, usage.ru_maxrss / 1024, out.read().decode()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", choices=sorted(gen_project.SIZES), default="large")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--force", action="store_true", help="regenerate even if cached")
    options = parser.parse_args()
    out = ensure(options.size, options.force)
    target = out / "target"
    common = ["--manifest", str(target / "manifest.json")]
    health = [
        "stale-dashboards",
        *common,
        "--run-results",
        str(target / "run_results.json"),
        "--sources",
        str(target / "sources.json"),
        "--format",
        "json",
    ]
    runs = {
        "table": health,
        "tiles": [*health, "--lookml-dir", str(out / "lookml")],
        "fields": [
            "check-fields",
            *common,
            "--catalog",
            str(target / "catalog.json"),
            "--lookml-dir",
            str(out / "lookml"),
            "--format",
            "json",
        ],
    }
    with tempfile.TemporaryDirectory() as cache_home:
        env = {**os.environ, "XDG_CACHE_HOME": cache_home, "NO_COLOR": "1"}
        for key in ("DBTMETA_CONFIG", "DBT_PROJECT_DIR", "DBT_TARGET_PATH"):
            env.pop(key, None)
        cold = {name: _run(args, env)[0] for name, args in runs.items() if name != "table"}
        times: dict[str, list[float]] = {name: [] for name in runs}
        peaks: dict[str, list[float]] = {name: [] for name in runs}
        outputs: dict[str, str] = {}
        for _ in range(options.repeat):
            for name, args in runs.items():
                elapsed, peak, stdout = _run(args, env)
                times[name].append(elapsed)
                peaks[name].append(peak)
                outputs[name] = stdout
    median = {name: statistics.median(values) for name, values in times.items()}
    peak = {name: max(values) for name, values in peaks.items()}
    table, tiles = json.loads(outputs["table"]), json.loads(outputs["tiles"])
    fields = json.loads(outputs["fields"])

    def unhealthy(report: dict) -> int:
        return sum(1 for e in report["exposures"] if e["status"] != "fresh")

    info = json.loads((out / "info.json").read_text(encoding="utf-8"))
    print(f"{options.size}: {info}")
    print(f"unhealthy dashboards: table level {unhealthy(table)}, tile level {unhealthy(tiles)}")
    print(f"check-fields: {fields['fields_checked']} fields, {len(fields['errors'])} errors")
    for name in runs:
        spread = ", ".join(f"{t:.2f}" for t in times[name])
        ratio = median[name] / median["table"]
        extra = f"; cold LookML cache {cold[name]:.2f} s" if name in cold else ""
        memory = f"; peak RSS {peak[name]:.0f} MB = {peak[name] / peak['table']:.2f}x table"
        print(f"{name:6} median {median[name]:.2f} s ({spread}) = {ratio:.2f}x table{extra}{memory}")


if __name__ == "__main__":
    main()
