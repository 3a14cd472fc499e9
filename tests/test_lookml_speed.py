"""The LookML reader's speed machinery never changes an answer: the name scan and stand-ins
(parse only what a model asks for), the content-keyed parse cache and parallel parsing."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import lkml
import pytest
from test_lookml_corpus import CASES, Case

from dbtmeta.looker import lookml_cache
from dbtmeta.looker.content import LookerContent
from dbtmeta.looker.lookml import read_lookml
from dbtmeta.looker.lookml_index import Names, scan

FEATURES = Path(__file__).parent / "fixtures" / "lookml" / "features"


def _all(content: LookerContent) -> dict[str, Any]:
    """Everything a read gives, its problems too."""
    return {**content.to_dict(), "problems": content.problems}


@pytest.fixture
def lkml_calls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every text the real ``lkml.load`` is called with in this process."""
    calls: list[str] = []
    real: Callable[..., Any] = lkml.load

    def counting(text: str) -> Any:
        calls.append(text)
        return real(text)

    monkeypatch.setattr(lkml, "load", counting)
    return calls


def test_scan_finds_definitions_and_refinements_not_lookalikes() -> None:
    text = (
        "view: orders {\n  sql_table_name: x ;;\n  dimension: id { sql: ${orders.view_name} ;; }\n}\n"
        "view:+orders{}\n# explore: commented_out {}\nexplore: orders_x {\n  view_name: orders\n"
        "  join: users { from: people }\n}\n"
        "view: derived {\n  derived_table: { explore_source: orders_x {} }\n}\n"
        "preview: not_a_view\nview:\n  next_line {}\n"
    )
    views = ("orders", "+orders", "derived", "next_line")
    assert scan(text) == Names(views, ("commented_out", "orders_x"), True)


@pytest.mark.parametrize(
    "text",
    [
        'include: "/views/*.view"\nview: a {}\n',
        "view: @{PREFIX}_orders {}\n",
        "explore: ${x} {}\n",
        "view: # lkml reads the name on the next line\n  orders {}\n",
        'view: "quoted" {}\n',
    ],
)
def test_scan_does_not_vouch_for_includes_or_templated_names(text: str) -> None:
    assert scan(text) == Names((), (), False)


def _copy(tmp_path: Path) -> Path:
    return Path(shutil.copytree(FEATURES, tmp_path / "features"))


def test_second_read_parses_nothing_and_gives_the_same_content(tmp_path: Path, lkml_calls: list[str]) -> None:
    repo, cache = _copy(tmp_path), tmp_path / "cache"
    first = read_lookml(repo, cache_dir=cache, processes=1)
    parsed = len(lkml_calls)
    manifests = 1 if (repo / "manifest.lkml").is_file() else 0  # manifest.lkml is read apart, uncached
    assert parsed > 5
    kinds = [json.loads(p.read_bytes()).get("kind") for p in cache.rglob("*.json")]
    # one entry per LookML file parsed, one per dashboard file the model includes (its YAML)
    assert (kinds.count(None), kinds.count("dashboard-yaml"), len(kinds)) == (
        parsed - manifests,
        2,
        parsed + 1,
    )
    second = read_lookml(repo, cache_dir=cache, processes=1)
    assert len(lkml_calls) == parsed + manifests
    assert _all(second) == _all(first)


def test_dashboards_yaml_is_read_from_the_cache_the_second_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from dbtmeta import yamlsafe

    repo, cache = _copy(tmp_path), tmp_path / "cache"
    loads: list[str] = []
    real = yamlsafe.load

    def counting(text: str, loader: Any = None) -> Any:
        loads.append(text)
        return real(text, loader)

    monkeypatch.setattr(yamlsafe, "load", counting)
    first = read_lookml(repo, cache_dir=cache, processes=1)
    assert len(loads) == 2  # regional and sales
    assert _all(read_lookml(repo, cache_dir=cache, processes=1)) == _all(first)
    assert len(loads) == 2
    assert [d.id for d in first.dashboards] == ["shop::empty", "shop::regional_sales", "shop::sales"]


def test_dashboard_yaml_json_would_change_is_not_cached(tmp_path: Path) -> None:
    repo, cache = _copy(tmp_path), tmp_path / "cache"
    dashboard = repo / "dashboards" / "sales.dashboard.lookml"
    # A date and an integer key: JSON would give back a string for each, so the file is not cached.
    dashboard.write_text(
        dashboard.read_text().replace("  title:", "  updated: 2024-05-01\n  7: seven\n  title:", 1)
    )
    expected = _all(read_lookml(repo, processes=1))
    assert _all(read_lookml(repo, cache_dir=cache, processes=1)) == expected
    kinds = [json.loads(p.read_bytes()).get("kind") for p in cache.rglob("*.json")]
    assert kinds.count("dashboard-yaml") == 1  # regional only
    assert _all(read_lookml(repo, cache_dir=cache, processes=1)) == expected


@pytest.mark.parametrize(
    ("data", "exact"),
    [
        ({"a": [1, 2.5, True, None, "x", {"b": []}]}, True),
        ({1: "int key"}, False),
        ({"a": float("nan")}, False),
        ([{"a": {"b": [float("inf")]}}], False),
        ({"when": __import__("datetime").date(2024, 5, 1)}, False),
        ((1, 2), False),
    ],
)
def test_json_exact_says_which_data_json_gives_back_equal(data: Any, exact: bool) -> None:
    assert lookml_cache._json_exact(data) is exact
    if exact:
        assert json.loads(json.dumps(data)) == data


def test_an_edited_file_is_parsed_again_never_read_stale(tmp_path: Path, lkml_calls: list[str]) -> None:
    repo, cache = _copy(tmp_path), tmp_path / "cache"
    view = repo / "views" / "addresses.view.lkml"
    text = view.read_text()
    before = read_lookml(repo, cache_dir=cache, processes=1)
    tables_before = {t for e in before.explores.values() for v in e.views for t in v.source.tables}
    assert "legacy.stores_v2" in tables_before
    view.write_text(text.replace("legacy.stores_v2", "analytics.edited_table"))
    calls = len(lkml_calls)
    after = read_lookml(repo, cache_dir=cache, processes=1)
    edited = [c for c in lkml_calls[calls:] if "edited_table" in c]
    assert len(edited) == 1  # the edited file, and no other LookML file but manifest.lkml
    assert len(lkml_calls) - calls == 1 + (1 if (repo / "manifest.lkml").is_file() else 0)
    tables_after = {t for e in after.explores.values() for v in e.views for t in v.source.tables}
    assert tables_after == tables_before - {"legacy.stores_v2"} | {"analytics.edited_table"}
    assert _all(after) == _all(read_lookml(repo))


@pytest.mark.parametrize("garbage", [b"", b"{not json", b'{"key": "other", "data": {}}', b"[1, 2]"])
def test_a_corrupt_cache_entry_is_ignored_and_rewritten(
    tmp_path: Path, lkml_calls: list[str], garbage: bytes
) -> None:
    repo, cache = _copy(tmp_path), tmp_path / "cache"
    expected = _all(read_lookml(repo, cache_dir=cache, processes=1))
    entries = sorted(cache.rglob("*.json"))
    lookml_entries = [e for e in entries if "kind" not in json.loads(e.read_bytes())]  # not dashboards
    assert len(entries) - len(lookml_entries) == 2
    for entry in entries:
        entry.write_bytes(garbage)
    calls = len(lkml_calls)
    assert _all(read_lookml(repo, cache_dir=cache, processes=1)) == expected
    assert len(lkml_calls) - calls >= len(lookml_entries)  # every entry parsed again
    for entry in entries:
        assert json.loads(entry.read_bytes())["key"] == entry.stem


def test_an_unwritable_cache_only_costs_time(tmp_path: Path) -> None:
    repo = _copy(tmp_path)
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a file where the cache directory would go")
    assert _all(read_lookml(repo, cache_dir=blocker / "cache")) == _all(read_lookml(repo))


def _read(case: Case, **options: Any) -> dict[str, Any]:
    return _all(read_lookml(case.root() / case.project, imports=case.import_map(), **options))


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_corpus_same_with_and_without_cache_and_with_one_or_many_processes(
    case: Case, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    plain = _read(case, processes=1)
    cache = tmp_path / "cache"
    assert _read(case, cache_dir=cache, processes=1) == plain  # cold
    assert _read(case, cache_dir=cache, processes=1) == plain  # warm
    monkeypatch.setattr(lookml_cache, "PARALLEL_MIN_FILES", 2)  # small projects use the pool too
    assert _read(case, processes=2) == plain


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_corpus_dashboards_scope_builds_the_queried_explores_exactly(case: Case) -> None:
    everything = _read(case)
    needed = _read(case, scope="dashboards")
    assert needed["dashboards"] == everything["dashboards"]
    queried = {
        (q["model"], q["explore"])
        for d in needed["dashboards"]
        for q in [*(q for t in d["tiles"] for q in t["queries"]), *d["filters"]]
    }
    expected = [e for e in everything["explores"] if (e["model"], e["name"]) in queried]
    assert needed["explores"] == expected
    assert needed["problems"] == everything["problems"]


def test_parallel_parsing_answers_as_one_process_does() -> None:
    texts = [f"view: v{i} {{\n  sql_table_name: s.t{i} ;;\n}}\n" for i in range(40)] + ["view: {"]
    serial = lookml_cache.LookmlParser(processes=1).parse_many(texts)
    assert lookml_cache.LookmlParser(processes=2).parse_many(texts) == serial
    assert serial[0].data == {"views": [{"sql_table_name": "s.t0", "name": "v0"}]}
    assert serial[-1].data is None
    assert serial[-1].error == "Unable to find a matching expression for '<stream end>' on line 1"


def test_default_cache_dir_follows_xdg_and_can_be_turned_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", "/somewhere")
    monkeypatch.delenv("DBTMETA_NO_CACHE", raising=False)
    assert lookml_cache.default_cache_dir() == Path("/somewhere/dbtmeta/lookml")
    monkeypatch.setenv("DBTMETA_NO_CACHE", "0")
    assert lookml_cache.default_cache_dir() == Path("/somewhere/dbtmeta/lookml")
    monkeypatch.setenv("DBTMETA_NO_CACHE", "1")
    assert lookml_cache.default_cache_dir() is None
    monkeypatch.delenv("DBTMETA_NO_CACHE")
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", "/home/someone")
    assert lookml_cache.default_cache_dir() == Path("/home/someone/.cache/dbtmeta/lookml")


def test_cli_caches_unless_told_not_to(
    green_project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    from dbtmeta.cli import main

    project = green_project
    lookml_dir = Path(__file__).parent.parent / "example_project" / "looker"
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.delenv("DBTMETA_NO_CACHE", raising=False)
    cache = tmp_path / "xdg" / "dbtmeta" / "lookml"
    args = ["sync-exposures", "--lookml-dir", str(lookml_dir), "--project-dir", str(project), "--check"]
    outputs = []
    for extra in (["--no-cache"], [], []):
        with pytest.raises(SystemExit) as info:
            main([*args, *extra])
        outputs.append((info.value.code, capsys.readouterr()))
        if extra:
            assert not cache.exists()
    assert len(list(cache.rglob("*.json"))) > 0
    assert outputs[0] == outputs[1] == outputs[2]
    monkeypatch.setenv("DBTMETA_NO_CACHE", "1")
    shutil.rmtree(cache)
    with pytest.raises(SystemExit) as info:
        main(args)
    assert (info.value.code, capsys.readouterr()) == outputs[0]
    assert not cache.exists()


def test_cli_warns_only_about_files_it_needs_and_strict_checks_every_file(
    green_project: Path, tmp_path: Path, capsys: Any
) -> None:
    from dbtmeta.cli import main

    project = green_project
    lookml_dir = Path(
        shutil.copytree(Path(__file__).parent.parent / "example_project" / "looker", tmp_path / "lk")
    )
    broken = lookml_dir / "views" / "unused_broken.view.lkml"
    broken.write_text("view: unused_broken {\n  sql_table_name: a.b ;;\n  dimension: x {\n")
    args = ["sync-exposures", "--lookml-dir", str(lookml_dir), "--project-dir", str(project), "--check"]
    with pytest.raises(SystemExit) as info:
        main(args)
    assert info.value.code == 0
    assert "unused_broken" not in capsys.readouterr().err  # no dashboard reaches it: not even parsed
    with pytest.raises(SystemExit) as info:
        main([*args, "--strict"])
    assert info.value.code == 1
    assert (
        f"dbtmeta: warning: {broken} (model greenery): not valid LookML (Unable to find a matching "
        "expression for '<stream end>' on line 4); fix the file or leave it out of the include:"
    ) in capsys.readouterr().err.splitlines()


def test_generated_benchmark_repository_same_answers_in_every_mode(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, lkml_calls: list[str]
) -> None:
    """bench/gen_lookml.py's shape at a small scale (two projects, an import, explores with many
    joins, dashboards reaching part of it): what dashboards need is the same whether every file is
    parsed in one process or only the needed ones, in worker processes, from the cache."""
    import sys

    sys.path.insert(0, str(Path(__file__).parent.parent / "bench"))
    try:
        import gen_lookml
    finally:
        sys.path.pop(0)
    tables = [f"analytics.core.table_{i}" for i in range(30)]
    info = gen_lookml.generate(tmp_path / "repo", scale=0.06, tables=tables)
    assert info["files"] > 60
    repo, imports = tmp_path / "repo" / "main", {"shared": str(tmp_path / "repo" / "shared")}
    everything = read_lookml(repo, imports=imports, processes=1)
    monkeypatch.setattr(lookml_cache, "PARALLEL_MIN_FILES", 2)
    cache = tmp_path / "cache"
    needed = read_lookml(repo, imports=imports, scope="dashboards", cache_dir=cache, processes=2)
    assert needed.dashboards == everything.dashboards
    assert len(needed.dashboards) == 24
    queried = {(q.model, q.explore) for d in needed.dashboards for q in d.queries()}
    assert needed.explores == {k: e for k, e in everything.explores.items() if k in queried}
    assert 0 < len(needed.explores) < len(everything.explores)
    assert needed.problems == everything.problems
    # at this scale some models have no explores or dashboards of their own: only those includes
    assert everything.problems and all("matches no file" in p for p in everything.problems)
    parsed_files = sum(1 for p in cache.rglob("*.json") if "kind" not in json.loads(p.read_bytes()))
    lkml_files = len(list((tmp_path / "repo").rglob("*.lkml")))
    assert (
        0 < parsed_files < lkml_files - 2
    )  # not every file: not the manifests, not what no dashboard reaches
    calls = len(lkml_calls)
    warm = read_lookml(repo, imports=imports, scope="dashboards", cache_dir=cache, processes=1)
    assert len(lkml_calls) - calls == 2  # the two manifest.lkml files only
    assert _all(warm) == _all(needed)
