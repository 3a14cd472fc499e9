"""Generate a large LookML repository (two projects, one importing the other) and the dbt project
it resolves against, for ``bench/bench_lookml.py``.

Deterministic (seeded): ~4,000 files / ~65 MB.

- ``main/``: ``manifest.lkml`` with a ``local_dependency`` on ``shared`` and a constant; three
  models, each including every view (``/views/**/*.view``), its own explores and dashboards, and
  ``//shared/views/*.view``; 32 domains of ~100 views (30-80 fields, one in seven with 200-400
  fields; a tenth extend a base view of ``shared``, a twentieth are derived tables reading two
  tables, a few use ``@{SCHEMA}``); ~9 explores per domain with 5-25 joins inside the domain;
  ~400 dashboards of 6-16 tiles. Dashboards use the explores of 11 of the 32 domains: like most
  large repositories, much of the LookML is reached by no dashboard.
- ``shared/``: 100 base views the main project's views extend (``--lookml-import shared=DIR``).
- ``dbt/``: a dbt project whose ``target/manifest.json`` is ``gen_project.py``'s ``tiny``
  manifest; views name its relations.

Usage: python bench/gen_lookml.py [--force]   (cached under bench/.cache/lookml/)
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import gen_project  # noqa: E402

OUT = HERE / ".cache" / "lookml"
DOMAINS = 32
VIEWS_PER_DOMAIN = 100
EXPLORES_PER_DOMAIN = 9
USED_DOMAINS = 11
DASHBOARDS = 400
MODELS = ("sales", "ops", "finance")
SHARED_VIEWS = 100
_TYPES = ("string", "number", "yesno", "date")


def _field_block(rng: random.Random, name: str) -> str:
    kind = rng.choice(_TYPES)
    lines = [
        f"  dimension: {name} {{",
        f"    type: {kind}",
        f"    sql: ${{TABLE}}.{name} ;;",
        f'    label: "{name.replace("_", " ").title()}"',
        f'    description: "The {name.replace("_", " ")} of the record, as loaded from the source system."',
    ]
    if rng.random() < 0.3:
        lines.append(f'    group_label: "Group {rng.randint(1, 12)}"')
    if rng.random() < 0.2:
        lines.append('    html: <span title="{{ value }}">{{ rendered_value }}</span> ;;')
    lines.append("  }")
    return "\n".join(lines)


def _measure_block(rng: random.Random, name: str, column: str) -> str:
    kind = rng.choice(("sum", "average", "max", "count_distinct"))
    return (
        f"  measure: {name} {{\n    type: {kind}\n    sql: ${{{column}}} ;;\n"
        f"    value_format_name: decimal_2\n    drill_fields: [id, {column}]\n  }}"
    )


def _view(
    rng: random.Random,
    name: str,
    table: str,
    fields: int,
    extends: str | None,
    derived: tuple[str, str] | None,
) -> tuple[str, list[str]]:
    parts = [f"view: {name} {{"]
    if extends:
        parts.append(f"  extends: [{extends}]")
    if derived:
        parts.append(
            "  derived_table: {\n    sql: SELECT a.id, a.status, count(*) AS n\n"
            f"      FROM {derived[0]} AS a\n      LEFT JOIN {derived[1]} AS b ON b.id = a.id\n"
            "      GROUP BY 1, 2 ;;\n  }"
        )
    else:
        parts.append(f"  sql_table_name: {table} ;;")
    parts.append("  dimension: id {\n    primary_key: yes\n    type: number\n    sql: ${TABLE}.id ;;\n  }")
    names = ["id"]
    for i in range(fields):
        column = f"f{i}_{rng.choice(('amount', 'status', 'code', 'name', 'value', 'flag'))}"
        names.append(column)
        parts.append(_field_block(rng, column))
        if i % 8 == 0:
            parts.append(_measure_block(rng, f"total_{column}", column))
            names.append(f"total_{column}")
    parts.append("  measure: count {\n    type: count\n  }")
    names.append("count")
    parts.append("}")
    return "\n".join(parts) + "\n", names


def generate(out: Path, seed: int = 7, scale: float = 1.0, tables: list[str] | None = None) -> dict[str, int]:
    """Write the repository under ``out``; ``scale`` < 1 for a smaller one of the same shape (tests);
    ``tables``: the relations views read, instead of the dbt project's (then no ``dbt/`` is written)."""
    rng = random.Random(seed)
    domains, used_domains = max(2, round(DOMAINS * scale)), max(1, round(USED_DOMAINS * scale))
    views_per_domain = max(12, round(VIEWS_PER_DOMAIN * scale))
    dashboards, shared_views = max(4, round(DASHBOARDS * scale)), max(4, round(SHARED_VIEWS * scale))
    if out.exists():
        shutil.rmtree(out)
    if tables is None:
        dbt_dir = out / "dbt"
        manifest_src = gen_project.ensure("tiny") / "manifest.json"
        (dbt_dir / "target").mkdir(parents=True)
        (dbt_dir / "models").mkdir()
        shutil.copyfile(manifest_src, dbt_dir / "target" / "manifest.json")
        (dbt_dir / "dbt_project.yml").write_text(
            "name: bench\nversion: '1.0'\nconfig-version: 2\nprofile: bench\nmodel-paths: [models]\n",
            encoding="utf-8",
        )
        manifest = json.loads(manifest_src.read_text(encoding="utf-8"))
        tables = sorted(
            f"{n['database']}.{n['schema']}.{n['name']}"
            for n in manifest["nodes"].values()
            if n.get("resource_type") == "model"
        )

    main, shared = out / "main", out / "shared"
    (shared / "views").mkdir(parents=True)
    (shared / "manifest.lkml").write_text('project_name: "shared"\n', encoding="utf-8")
    shared_fields: dict[str, list[str]] = {}
    for i in range(shared_views):
        name = f"base_{i}"
        text, names = _view(rng, name, rng.choice(tables), rng.randint(10, 30), None, None)
        (shared / "views" / f"{name}.view.lkml").write_text(text, encoding="utf-8")
        shared_fields[name] = names

    (main / "views").mkdir(parents=True)
    (main / "manifest.lkml").write_text(
        'project_name: "main"\n\nlocal_dependency: {\n  project: "shared"\n}\n\n'
        'constant: SCHEMA {\n  value: "bench.mart"\n}\n',
        encoding="utf-8",
    )
    view_fields: dict[str, list[str]] = {}
    domain_views: list[list[str]] = []
    for d in range(domains):
        folder = main / "views" / f"domain_{d}"
        folder.mkdir()
        names = []
        for v in range(views_per_domain):
            name = f"d{d}_v{v}"
            big = rng.random() < 1 / 7
            fields = rng.randint(200, 400) if big else rng.randint(30, 80)
            extends = f"base_{rng.randrange(shared_views)}" if rng.random() < 0.1 else None
            derived = (rng.choice(tables), rng.choice(tables)) if rng.random() < 0.05 else None
            table = rng.choice(tables)
            if rng.random() < 0.05:
                table = "@{SCHEMA}." + table.rsplit(".", 1)[1]
            text, fnames = _view(rng, name, table, fields, extends, derived)
            (folder / f"{name}.view.lkml").write_text(text, encoding="utf-8")
            view_fields[name] = fnames + (shared_fields[extends] if extends else [])
            names.append(name)
        domain_views.append(names)

    explores: list[tuple[str, str, str, list[str]]] = []  # (model, explore, base view, joins)
    for d in range(domains):
        model = MODELS[d % len(MODELS)]
        folder = main / "explores" / model
        folder.mkdir(parents=True, exist_ok=True)
        for e in range(EXPLORES_PER_DOMAIN):
            base = domain_views[d][e]
            pool = [v for v in domain_views[d] if v != base]
            joins = rng.sample(pool, min(len(pool), rng.randint(5, 25)))
            name = f"x_d{d}_e{e}"
            parts = [
                'include: "/views/**/*.view"',
                "",
                f"explore: {name} {{",
                f"  from: {base}",
                f"  view_name: {base}",
                f'  label: "Explore {d}.{e}"',
            ]
            for j in joins:
                parts.append(
                    f"  join: {j} {{\n    type: left_outer\n    relationship: many_to_one\n"
                    f"    sql_on: ${{{base}.id}} = ${{{j}.id}} ;;\n  }}"
                )
            parts.append("}")
            (folder / f"{name}.explore.lkml").write_text("\n".join(parts) + "\n", encoding="utf-8")
            explores.append((model, name, base, joins))

    for model in MODELS:
        (main / f"{model}.model.lkml").write_text(
            'connection: "warehouse"\n\n'
            'include: "/views/**/*.view"\n'
            f'include: "/explores/{model}/*.explore"\n'
            f'include: "/dashboards/{model}/*.dashboard"\n'
            'include: "//shared/views/*.view"\n',
            encoding="utf-8",
        )

    used = [x for x in explores if int(x[1].split("_")[1][1:]) < used_domains]
    for i in range(dashboards):
        model, explore, base, joins = rng.choice(used)
        folder = main / "dashboards" / model
        folder.mkdir(parents=True, exist_ok=True)
        lines = [
            f"- dashboard: dash_{i}",
            f'  title: "Dashboard {i}"',
            "  layout: newspaper",
            "  elements:",
        ]
        for t in range(rng.randint(6, 16)):
            views = [base, *rng.sample(joins, min(len(joins), rng.randint(0, 2)))]
            fields = [f"{v}.{rng.choice(view_fields[v])}" for v in views]
            lines += [
                f'  - title: "Tile {t}"',
                f"    name: tile_{t}",
                f"    model: {model}",
                f"    explore: {explore}",
                "    type: looker_column",
                f"    fields: [{', '.join(fields)}]",
                f"    sorts: [{fields[0]} desc]",
                "    limit: 500",
                f"    row: {t * 6}",
                "    col: 0",
                "    width: 24",
                "    height: 6",
            ]
        (folder / f"dash_{i}.dashboard.lookml").write_text("\n".join(lines) + "\n", encoding="utf-8")

    files = [p for p in out.rglob("*") if p.is_file() and p.suffix in (".lkml", ".lookml")]
    return {"files": len(files), "bytes": sum(p.stat().st_size for p in files)}


def ensure(force: bool = False) -> Path:
    """The cache dir of the generated repository, generating it if missing."""
    if force or not (OUT / "info.json").is_file():
        started = time.perf_counter()
        info = generate(OUT)
        (OUT / "info.json").write_text(json.dumps(info), encoding="utf-8")
        print(f"generated LookML in {time.perf_counter() - started:.1f}s: {info}", file=sys.stderr)
    return OUT


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--force", action="store_true", help="regenerate even if cached")
    print(ensure(parser.parse_args().force))


if __name__ == "__main__":
    main()
