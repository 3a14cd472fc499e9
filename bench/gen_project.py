"""Generate synthetic dbt artifacts (manifest v12, run_results v6, sources v3) for the benchmark.

Every node is a copy of a node that dbt-core 1.11.16 + dbt-duckdb wrote for a tiny real project
(``bench/templates.json``), with its name, ids, relation, SQL, columns and dependencies changed, so
the files have the shape and the per-node size of real artifacts.

The DAG is layered like a real project: sources and seeds, staging models (one per source table),
then intermediate and mart layers, each model reading 1-4 models of earlier layers, mostly of its
own "domain", sometimes across domains. Tests: unique/not_null on models (``attached_node``),
relationships tests (two parents), source tests and singular tests (no ``attached_node``), 10% with
severity warn. Exposures read 1-5 mart models, some also a staging model or a source.

run_results mimic one ``dbt build``: a few dozen model errors and a few hundred test failures and
warnings spread through the DAG, with dbt's skips downstream of errors and of failing error-severity
tests; sources.json has freshness warnings and errors.

Usage: python bench/gen_project.py --size small|large [--force]   (cached under bench/.cache/)
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
CACHE = HERE / ".cache"
SIZES = {
    "tiny": (200, 400, 40),
    "small": (5_000, 10_000, 1_000),
    "large": (20_000, 40_000, 4_000),
}
PROJECT = "bench"
RUN_STARTED = "2026-01-15T02:00:00"

_COLUMN_NAMES = ["id", "created_at", "updated_at", "status", "amount", "user_id", "name", "is_active"]


def _templates() -> dict:
    with open(HERE / "templates.json", encoding="utf-8") as handle:
        return json.load(handle)


def _sql(parents: list[str], relations: dict[str, str], width: int) -> tuple[str, str]:
    refs = [f"{{{{ ref('{p.rsplit('.', 1)[-1]}') }}}}" for p in parents]
    cols = ",\n    ".join(f"t0.{name}" for name in _COLUMN_NAMES[:width])
    joins_raw = "\n".join(f"left join {ref} as t{i} on t{i}.id = t0.id" for i, ref in enumerate(refs) if i)
    joins_sql = "\n".join(
        f"left join {relations.get(p, p)} as t{i} on t{i}.id = t0.id" for i, p in enumerate(parents) if i
    )
    raw = (
        f"with base as (\n  select\n    {cols}\n  from {refs[0]} as t0\n{joins_raw}\n)\nselect * from base\n"
    )
    compiled = (
        f"with base as (\n  select\n    {cols}\n  from {relations.get(parents[0], parents[0])} as t0\n"
        f"{joins_sql}\n)\nselect * from base\n"
    )
    return raw, compiled


def _columns(template_column: dict, width: int) -> dict:
    out = {}
    for name in _COLUMN_NAMES[:width]:
        column = dict(template_column)
        column["name"] = name
        column["description"] = f"The {name.replace('_', ' ')} of the row."
        out[name] = column
    return out


def generate(n_models: int, n_tests: int, n_exposures: int, out_dir: Path, seed: int = 42) -> dict:
    rng = random.Random(seed)
    tpl = _templates()
    column_tpl = next(iter(tpl["model"]["columns"].values()))
    nodes: dict[str, dict] = {}
    sources: dict[str, dict] = {}
    relations: dict[str, str] = {}
    parents_of: dict[str, list[str]] = {}

    def relation(schema: str, name: str) -> str:
        return f'"{PROJECT}"."{schema}"."{name}"'

    # --- sources and seeds
    n_domains = max(2, n_models // 250)
    n_sources = max(4, n_models // 20)
    source_ids: list[str] = []
    for i in range(n_sources):
        domain = i % n_domains
        name = f"src_table_{i}"
        uid = f"source.{PROJECT}.raw_d{domain}.{name}"
        node = dict(tpl["source"])
        node.update(
            name=name,
            identifier=name,
            source_name=f"raw_d{domain}",
            schema=f"raw_d{domain}",
            database=PROJECT,
            unique_id=uid,
            fqn=[PROJECT, f"raw_d{domain}", name],
            relation_name=relation(f"raw_d{domain}", name),
            columns=_columns(column_tpl, 4),
        )
        sources[uid] = node
        relations[uid] = node["relation_name"]
        parents_of[uid] = []
        source_ids.append(uid)
    seed_ids: list[str] = []
    for i in range(max(2, n_models // 100)):
        name = f"seed_{i}"
        uid = f"seed.{PROJECT}.{name}"
        node = dict(tpl["seed"])
        node.update(
            name=name,
            alias=name,
            unique_id=uid,
            fqn=[PROJECT, name],
            path=f"{name}.csv",
            original_file_path=f"seeds/{name}.csv",
            schema="raw",
            database=PROJECT,
            relation_name=relation("raw", name),
        )
        nodes[uid] = node
        relations[uid] = node["relation_name"]
        parents_of[uid] = []
        seed_ids.append(uid)

    # --- models in layers: staging (one per source), then 6 layers of decreasing size
    layers: list[list[str]] = []
    domain_of: dict[str, int] = {}
    staging: list[str] = []
    n_staging = min(n_sources, n_models // 4)
    rest = n_models - n_staging
    weights = [0.28, 0.22, 0.18, 0.14, 0.10, 0.08]
    sizes = [int(rest * w) for w in weights]
    sizes[-1] += rest - sum(sizes)
    layer_names = ["intermediate", "intermediate", "intermediate", "core", "core", "marts"]

    def add_model(name: str, schema: str, parents: list[str], domain: int) -> str:
        uid = f"model.{PROJECT}.{name}"
        node = dict(tpl["model"])
        width = 4 + (len(name) % 5)
        raw, compiled = _sql(parents, relations, width)
        node.update(
            name=name,
            alias=name,
            unique_id=uid,
            fqn=[PROJECT, schema, name],
            path=f"{schema}/{name}.sql",
            original_file_path=f"models/{schema}/{name}.sql",
            compiled_path=f"target/compiled/{PROJECT}/models/{schema}/{name}.sql",
            patch_path=f"{PROJECT}://models/{schema}/_{schema}.yml",
            schema=schema,
            database=PROJECT,
            relation_name=relation(schema, name),
            raw_code=raw,
            compiled_code=compiled,
            columns=_columns(column_tpl, width),
            description=f"Model {name} of domain {domain}.",
            depends_on={"macros": [], "nodes": parents},
            refs=[{"name": p.rsplit(".", 1)[-1], "package": None, "version": None} for p in parents],
            sources=[],
        )
        nodes[uid] = node
        relations[uid] = node["relation_name"]
        parents_of[uid] = parents
        domain_of[uid] = domain
        return uid

    for i in range(n_staging):
        src = source_ids[i % n_sources]
        domain = int(src.split(".")[2][len("raw_d") :])
        staging.append(add_model(f"stg_{i}", "staging", [src], domain))
    layers.append(staging)
    for layer_index, size in enumerate(sizes):
        layer: list[str] = []
        earlier = [uid for layer_ids in layers for uid in layer_ids]
        previous = layers[-1]
        by_domain: dict[int, list[str]] = {}
        for uid in earlier:
            by_domain.setdefault(domain_of[uid], []).append(uid)
        previous_by_domain: dict[int, list[str]] = {}
        for uid in previous:
            previous_by_domain.setdefault(domain_of[uid], []).append(uid)
        for i in range(size):
            domain = rng.randrange(n_domains)
            pool_same = by_domain.get(domain) or earlier
            parents: list[str] = []
            for _ in range(rng.choice((1, 1, 2, 2, 2, 3, 4))):
                roll = rng.random()
                if roll < 0.5:
                    candidates = previous_by_domain.get(domain) or previous
                elif roll < 0.97:
                    candidates = pool_same
                else:
                    candidates = earlier
                parent = rng.choice(candidates)
                if parent not in parents:
                    parents.append(parent)
            if rng.random() < 0.05:
                parents.append(rng.choice(seed_ids))
            schema = layer_names[layer_index]
            layer.append(add_model(f"{schema[:3]}_{layer_index}_{i}", schema, parents, domain))
        layers.append(layer)
    models = [uid for layer in layers for uid in layer]

    # --- snapshots on staging models
    for i in range(max(1, n_models // 100)):
        parent = rng.choice(staging)
        name = f"snap_{i}"
        uid = f"snapshot.{PROJECT}.{name}"
        node = dict(tpl["snapshot"])
        node.update(
            name=name,
            alias=name,
            unique_id=uid,
            fqn=[PROJECT, name],
            schema="snapshots",
            database=PROJECT,
            relation_name=relation("snapshots", name),
            depends_on={"macros": [], "nodes": [parent]},
            refs=[{"name": parent.rsplit(".", 1)[-1], "package": None, "version": None}],
        )
        nodes[uid] = node
        relations[uid] = node["relation_name"]
        parents_of[uid] = [parent]
        domain_of[uid] = domain_of[parent]

    # --- tests
    test_ids: list[str] = []
    tested_by: dict[str, str | None] = {}  # test -> attached node
    for i in range(n_tests):
        roll = rng.random()
        if roll < 0.06:
            kind, target = "source", rng.choice(source_ids)
        elif roll < 0.10:
            kind, target = "singular", rng.choice(models)
        elif roll < 0.20:
            kind, target = "relationships", rng.choice(models)
        else:
            kind, target = "generic", rng.choice(models)
        target_name = target.rsplit(".", 1)[-1]
        if kind == "source":
            node = dict(tpl["source_test"])
            name = f"source_not_null_{target.split('.', 2)[2].replace('.', '_')}_id_{i}"
            deps, attached = [target], None
        elif kind == "singular":
            node = dict(tpl["singular_test"])
            name = f"assert_{target_name}_ok_{i}"
            deps = [target]
            if rng.random() < 0.3:
                deps.append(rng.choice(models))
            attached = None
        elif kind == "relationships":
            node = dict(tpl["relationships_test"])
            other = rng.choice(parents_of[target]) if parents_of[target] else rng.choice(models)
            name = f"relationships_{target_name}_id__id__ref_{other.rsplit('.', 1)[-1]}_{i}"
            deps, attached = [other, target], target
        else:
            node = dict(tpl["generic_test"])
            name = f"{rng.choice(('unique', 'not_null'))}_{target_name}_id_{i}"
            deps, attached = [target], target
        uid = f"test.{PROJECT}.{name}.{rng.getrandbits(40):010x}"
        config = dict(node["config"])
        config["severity"] = "warn" if rng.random() < 0.1 else "ERROR"
        node.update(
            name=name,
            alias=name,
            unique_id=uid,
            fqn=[PROJECT, name],
            depends_on={"macros": node["depends_on"].get("macros", []), "nodes": deps},
            attached_node=attached,
            config=config,
            compiled_code=f"select id from {relations.get(deps[0], deps[0])} where id is null\n",
        )
        nodes[uid] = node
        parents_of[uid] = deps
        test_ids.append(uid)
        tested_by[uid] = attached

    # --- exposures on marts (plus sometimes a staging model or a source)
    exposures: dict[str, dict] = {}
    marts = layers[-1] + layers[-2]
    for i in range(n_exposures):
        deps = rng.sample(marts, k=min(len(marts), rng.randint(1, 5)))
        if rng.random() < 0.1:
            deps.append(rng.choice(staging))
        if rng.random() < 0.05:
            deps.append(rng.choice(source_ids))
        name = f"dashboard_{i}"
        uid = f"exposure.{PROJECT}.{name}"
        node = dict(tpl["exposure"])
        meta = {"looker_id": str(1000 + i), "slack_channel": f"#team-{i % 20}"}
        node.update(
            name=name,
            label=f"Dashboard {i}",
            unique_id=uid,
            fqn=[PROJECT, "exposures", name],
            url=f"https://looker.example.com/dashboards/{1000 + i}",
            owner={"name": f"Owner {i % 50}", "email": f"owner{i % 50}@example.com"},
            maturity=rng.choice(("low", "medium", "high")),
            meta=meta,
            tags=["looker"],
            config={"enabled": True, "tags": ["looker"], "meta": meta},
            depends_on={"macros": [], "nodes": deps},
            refs=[{"name": d.rsplit(".", 1)[-1], "package": None, "version": None} for d in deps],
        )
        exposures[uid] = node
        parents_of[uid] = deps

    # --- macros: dbt's own ~500 macros in a real manifest; copies of one real macro
    macros = {}
    for i in range(500):
        macro = dict(tpl["macro"])
        macro["name"] = f"macro_{i}"
        macro["unique_id"] = f"macro.dbt.macro_{i}"
        macros[macro["unique_id"]] = macro

    child_map: dict[str, list[str]] = {uid: [] for uid in parents_of}
    for uid, parents in parents_of.items():
        for parent in parents:
            child_map.setdefault(parent, []).append(uid)
    manifest = {
        "metadata": dict(
            tpl["manifest_metadata"], project_name=PROJECT, generated_at=f"{RUN_STARTED}.000000Z"
        ),
        "nodes": nodes,
        "sources": sources,
        "macros": macros,
        "docs": {},
        "exposures": exposures,
        "metrics": {},
        "groups": {},
        "selectors": {},
        "disabled": {},
        "parent_map": {uid: sorted(parents) for uid, parents in parents_of.items()},
        "child_map": {uid: sorted(children) for uid, children in child_map.items()},
        "group_map": {},
        "saved_queries": {},
        "semantic_models": {},
        "unit_tests": {},
        "functions": {},
    }

    # --- run results of one `dbt build`
    executable = seed_ids + models + [uid for uid in nodes if uid.startswith("snapshot.")]
    n_errors = max(2, n_models // 500)
    errored = set(rng.sample(models[len(staging) :], n_errors))
    fail_tests = set(rng.sample(test_ids, max(5, n_tests // 100)))
    warn_tests = {t for t in test_ids if nodes[t]["config"]["severity"] == "warn" and t in fail_tests}
    warn_tests |= set(rng.sample(test_ids, max(3, n_tests // 100)))
    tests_on: dict[str, list[str]] = {}
    for test in test_ids:
        for target in [tested_by[test]] if tested_by[test] else parents_of[test]:
            tests_on.setdefault(target, []).append(test)
    status: dict[str, str] = {}
    # Walk in dbt's order: a node runs after its parents; skipped if a parent errored/was skipped or
    # an error-severity test on a parent failed.
    blocked: set[str] = set()

    def failing_error_test(uid: str) -> bool:
        return any(
            test in fail_tests and test not in warn_tests and nodes[test]["config"]["severity"] != "warn"
            for test in tests_on.get(uid, ())
        )

    blocked.update(src for src in source_ids if failing_error_test(src))
    order = seed_ids + models
    for uid in order:
        if any(p in blocked for p in parents_of[uid]):
            status[uid] = "skipped"
        elif uid in errored:
            status[uid] = "error"
        else:
            status[uid] = "success"
        if status[uid] != "success" or failing_error_test(uid):
            blocked.add(uid)
    for uid in (u for u in nodes if u.startswith("snapshot.")):
        status[uid] = "skipped" if parents_of[uid][0] in blocked else "success"
    for test in test_ids:
        targets = [tested_by[test]] if tested_by[test] else parents_of[test]
        if any(status.get(t) in ("error", "skipped") for t in targets):
            status[test] = "skipped"
        elif test in warn_tests:
            status[test] = "warn"
        elif test in fail_tests:
            status[test] = "warn" if nodes[test]["config"]["severity"] == "warn" else "fail"
        else:
            status[test] = "pass"

    results = []
    clock = 0.0
    for uid in executable + test_ids:
        is_test = uid.startswith("test.")
        result = dict(tpl["run_result_test" if is_test else "run_result_model"])
        st = status[uid]
        clock += 0.01
        start = f"{RUN_STARTED}.{int(clock * 1000) % 1_000_000:06d}Z"
        result.update(
            unique_id=uid,
            status=st,
            timing=[]
            if st == "skipped"
            else [
                {"name": "compile", "started_at": start, "completed_at": start},
                {"name": "execute", "started_at": start, "completed_at": start},
            ],
            execution_time=0.0 if st == "skipped" else round(rng.uniform(0.05, 30), 3),
            thread_id="Thread-1 (worker)",
            relation_name=None if is_test else relations.get(uid),
            compiled_code=nodes[uid].get("compiled_code"),
        )
        if st == "error":
            result["message"] = f"Runtime Error in model {uid.rsplit('.', 1)[-1]}: division by zero"
            result["adapter_response"] = {}
        elif st in ("fail", "warn"):
            n = rng.randint(1, 5000)
            result["message"] = f"Got {n} results, configured to {st} if != 0"
            result["failures"] = n
        elif st == "skipped":
            result["message"] = None
            result["adapter_response"] = {}
        results.append(result)
    run_results = {
        "metadata": dict(tpl["run_results_metadata"], generated_at=f"{RUN_STARTED}.900000Z"),
        "results": results,
        "elapsed_time": clock,
        "args": dict(tpl["run_results_args"], which="build", invocation_command="dbt build"),
    }

    # --- source freshness
    fresh_results = []
    for src in source_ids:
        result = dict(tpl["freshness_result"])
        roll = rng.random()
        st = "error" if roll < 0.01 else "warn" if roll < 0.03 else "pass"
        age = {"pass": 3600.0, "warn": 100_000.0, "error": 200_000.0}[st]
        result.update(unique_id=src, status=st, max_loaded_at_time_ago_in_s=age)
        fresh_results.append(result)
    sources_json = {
        "metadata": dict(tpl["sources_metadata"], generated_at=f"{RUN_STARTED}.950000Z"),
        "results": fresh_results,
        "elapsed_time": 1.0,
    }

    out_dir.mkdir(parents=True, exist_ok=True)
    for name, payload in (
        ("manifest.json", manifest),
        ("run_results.json", run_results),
        ("sources.json", sources_json),
    ):
        tmp = out_dir / f".{name}.tmp"
        with open(tmp, "w", encoding="utf-8") as handle:
            json.dump(payload, handle)
        tmp.replace(out_dir / name)
    counts: dict[str, int] = {}
    for st in status.values():
        counts[st] = counts.get(st, 0) + 1
    return {
        "models": len(models),
        "tests": len(test_ids),
        "exposures": len(exposures),
        "sources": len(source_ids),
        "statuses": counts,
        "freshness": {
            s: sum(1 for r in fresh_results if r["status"] == s) for s in ("pass", "warn", "error")
        },
    }


def ensure(size: str, force: bool = False) -> Path:
    """Return the cache dir of ``size``, generating the artifacts if they are missing."""
    out = CACHE / size
    if force or not (out / "sources.json").is_file():
        models, tests, exposures = SIZES[size]
        started = time.perf_counter()
        info = generate(models, tests, exposures, out)
        (out / "info.json").write_text(json.dumps(info, indent=1), encoding="utf-8")
        print(f"generated {size} in {time.perf_counter() - started:.1f}s: {info}", file=sys.stderr)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", choices=sorted(SIZES), default="small")
    parser.add_argument("--force", action="store_true", help="regenerate even if cached")
    args = parser.parse_args()
    print(ensure(args.size, args.force))


if __name__ == "__main__":
    main()
