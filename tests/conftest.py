"""Shared fixtures: real dbt builds of the greenery example project.

`example_build` (session): the green run and the failure scenario, artifacts copied out after every dbt
step (dbt overwrites target/). `week_replay` (session): the shop weeks 1..4 built one after the other.

Builds are cached across pytest sessions under tests/.artifacts-cache/<key>, the key hashing every dbt
file of example_project, the dbt/duckdb versions and this recipe; CI starts cold. Force a rebuild with
`pytest --rebuild-example` or DBTMETA_REBUILD_EXAMPLE=1. Each session gets its own temp copies, so
tests may write into them freely and the repo is never dirtied.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import pytest
from hypothesis import settings as hypothesis_settings

# Property tests parse SQL, YAML and LookML: the first example also pays for imports, so a per-example
# deadline only makes them flaky on a loaded machine. CI replays a fixed set of examples.
hypothesis_settings.register_profile("dev", deadline=None)
hypothesis_settings.register_profile("ci", deadline=None, derandomize=True, database=None)
hypothesis_settings.load_profile("ci" if os.environ.get("CI") else "dev")

# Reading a field a Looker answer lacks (one not asked for in fields=) raises in every test,
# in this process and the CLI subprocesses it starts (docs/looker-api.md).
os.environ["DBTMETA_STRICT_API"] = "1"

REPO = Path(__file__).resolve().parent.parent
EXAMPLE_PROJECT = REPO / "example_project"
CACHE_ROOT = Path(__file__).resolve().parent / ".artifacts-cache"
RECIPE_VERSION = "1"  # bump to invalidate every cached build (this file is hashed too)
FAILURE_VARS = "{scenario: failure}"
REBUILD_ENV = "DBTMETA_REBUILD_EXAMPLE"

# Not copied into the temp project and not part of the cache key.
_BUILD_OUTPUTS = ("target", "logs", "dbt_packages", "demo-output", ".user.yml")
# Copied, but they do not change what dbt builds.
_NOT_DBT = ("looker", "README.md")


@dataclass(frozen=True)
class ExampleBuild:
    """Artifacts of real dbt runs of example_project (temp copies, safe to modify)."""

    project_dir: Path  # copy of example_project after the green build: greenery.duckdb, target/ = green
    green: Path  # manifest.json, run_results.json, sources.json of `dbt build` + `dbt source freshness`
    failure: Path  # the same with --vars '{scenario: failure}'
    # failure scenario run as separate steps (GREENERY_SCENARIO=failure) on top of the green database
    # (yesterday's tables exist): run_results_seed.json, run_results_run.json, run_results_test.json,
    # sources.json, manifest.json
    failure_split: Path
    duckdb_path: Path  # DuckDB file of the green build
    failure_duckdb_path: Path  # DuckDB file of the failure build


@dataclass(frozen=True)
class ColumnBuild:
    """`dbt docs generate` (manifest.json + catalog.json) on the green database: production, and the
    PR of example_project/scenarios/pr_rename_column applied to a copy (its models run first)."""

    prod: Path
    pr: Path
    pr_project_dir: Path  # copy of the project with the scenario applied, target/ = pr artifacts


PR_SCENARIO = EXAMPLE_PROJECT / "scenarios" / "pr_rename_column"


@dataclass(frozen=True)
class WeekReplay:
    """`dbt build --vars '{week: N}'` for N = 1..4 in one project, one database."""

    project_dir: Path
    duckdb_path: Path  # after week 4
    weeks: dict[int, Path]  # week -> dir with manifest.json and run_results.json of that build
    log: Path  # dbt console output of the replay


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--rebuild-example",
        action="store_true",
        default=False,
        help="rebuild the example dbt project instead of reusing tests/.artifacts-cache",
    )


def dbt_executable() -> str:
    sibling = Path(sys.executable).with_name("dbt")
    if sibling.exists():
        return str(sibling)
    found = shutil.which("dbt")
    if not found:
        raise RuntimeError("dbt is not installed next to this Python; install the [dbt] extra")
    return found


def dbt_env() -> dict[str, str]:
    """Environment for dbt subprocesses: no tracking, no leaked project/scenario settings."""
    env = {k: v for k, v in os.environ.items() if not (k.startswith("DBT_") or k.startswith("GREENERY_"))}
    env.update(DBT_SEND_ANONYMOUS_USAGE_STATS="false", DO_NOT_TRACK="1", DBT_USE_COLORS="false")
    return env


def run_dbt(
    args: Sequence[str],
    project_dir: Path | str,
    *,
    check: bool = False,
    env: dict[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run the dbt CLI on a project (its own profiles.yml), capturing output. For any test.

    `env` adds variables, e.g. GREENERY_DUCKDB_PATH to point the example project at another file.
    """
    project_dir = str(project_dir)
    return subprocess.run(
        [dbt_executable(), *args, "--project-dir", project_dir, "--profiles-dir", project_dir],
        cwd=project_dir,
        env={**dbt_env(), **(env or {})},
        capture_output=True,
        text=True,
        check=check,
    )


def copy_project(dest: Path) -> Path:
    """Copy example_project without build outputs or databases."""

    def ignore(directory: str, names: list[str]) -> set[str]:
        ignored = {n for n in names if n.endswith((".duckdb", ".duckdb.wal")) or n == "__pycache__"}
        if Path(directory) == EXAMPLE_PROJECT:
            ignored |= {n for n in names if n in _BUILD_OUTPUTS}
        return ignored

    shutil.copytree(EXAMPLE_PROJECT, dest, ignore=ignore)
    return dest


def cache_key() -> str:
    digest = hashlib.sha256()
    for package in ("dbt-core", "dbt-duckdb", "duckdb"):
        digest.update(f"{package}=={metadata.version(package)}\n".encode())
    digest.update(f"recipe={RECIPE_VERSION}\n".encode())
    digest.update(Path(__file__).read_bytes())  # the build recipe itself
    for path in sorted(EXAMPLE_PROJECT.rglob("*")):
        rel = path.relative_to(EXAMPLE_PROJECT)
        if (
            not path.is_file()
            or rel.parts[0] in _BUILD_OUTPUTS + _NOT_DBT
            or path.suffix in (".duckdb", ".wal", ".pyc")
        ):
            continue
        digest.update(f"{rel.as_posix()}\n".encode())
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()[:20]


# Runs a list of dbt invocations in ONE process (dbt is imported once), copying files out after each.
_RUNNER = r"""
import json, shutil, sys
from pathlib import Path
from dbt.cli.main import dbtRunner

plan = json.loads(Path(sys.argv[1]).read_text())
project = plan["project_dir"]
runner = dbtRunner()
report = []
for step in plan["steps"]:
    result = runner.invoke([*step["args"], "--project-dir", project, "--profiles-dir", project])
    report.append({"args": step["args"], "success": bool(result.success),
                   "exception": None if result.exception is None else repr(result.exception)})
    for src, dst in step.get("copy", []):
        Path(dst).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(Path(project) / src, dst)
    if result.exception is not None:
        break
Path(plan["report"]).write_text(json.dumps(report))
"""


@dataclass
class _Chain:
    """dbt steps for one project copy: (args, expected success, {target file: destination})."""

    name: str
    project_dir: Path
    steps: list[tuple[list[str], bool, dict[str, Path]]]
    # Copied once the dbt process has exited: DuckDB checkpoints its WAL into the file on close.
    database_copy: Path | None = None
    env: dict[str, str] | None = None  # extra environment for dbt
    log_copy: Path | None = None  # where to keep dbt's console output
    cwd: Path | None = None  # working directory of the dbt process (default: the project)

    def start(self, work: Path) -> subprocess.Popen:
        self.report = work / f"{self.name}.report.json"
        self.log = work / f"{self.name}.log"
        plan = {
            "project_dir": str(self.project_dir),
            "report": str(self.report),
            "steps": [
                {"args": args, "copy": [[src, str(dst)] for src, dst in copies.items()]}
                for args, _, copies in self.steps
            ],
        }
        plan_file = work / f"{self.name}.plan.json"
        plan_file.write_text(json.dumps(plan))
        with self.log.open("w") as log:
            return subprocess.Popen(
                [sys.executable, "-c", _RUNNER, str(plan_file)],
                cwd=self.cwd or self.project_dir,
                env={**dbt_env(), **(self.env or {})},
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    def check(self, returncode: int) -> None:
        report = json.loads(self.report.read_text()) if self.report.exists() else []
        expected = [(args, ok) for args, ok, _ in self.steps]
        got = [(r["args"], r["success"] and r["exception"] is None) for r in report]
        if returncode != 0 or got != expected:
            tail = self.log.read_text()[-4000:] if self.log.exists() else ""
            raise RuntimeError(
                f"example project build {self.name!r} went wrong: expected {expected}, got {report}"
                f" (exit {returncode}); dbt output tail:\n{tail}"
            )
        if self.log_copy is not None:
            shutil.copyfile(self.log, self.log_copy)
        if self.database_copy is not None:
            assert not (self.project_dir / "greenery.duckdb.wal").exists(), "DuckDB left a WAL behind"
            self.database_copy.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(self.project_dir / "greenery.duckdb", self.database_copy)


def _run_chains(chains: list[_Chain], work: Path) -> None:
    """Run independent chains concurrently (one dbt process each)."""
    procs = [(chain, chain.start(work)) for chain in chains]
    returncodes = [proc.wait() for _, proc in procs]  # never leave a dbt process behind
    for (chain, _), returncode in zip(procs, returncodes, strict=True):
        chain.check(returncode)


def _build_example(out: Path, work: Path) -> None:
    green_project = copy_project(work / "green")
    failure_project = copy_project(work / "failure")
    split_project = copy_project(work / "failure_split")
    t = "target/"
    green = _Chain(
        "green",
        green_project,
        [
            (["build"], True, {t + "manifest.json": out / "green/manifest.json",
                               t + "run_results.json": out / "green/run_results.json"}),
            (["source", "freshness"], True, {t + "sources.json": out / "green/sources.json"}),
        ],
        database_copy=out / "green.duckdb",
    )  # fmt: skip
    vars_ = ["--vars", FAILURE_VARS]
    failure = _Chain(
        "failure",
        failure_project,
        [
            (["build", *vars_], False, {t + "manifest.json": out / "failure/manifest.json",
                                        t + "run_results.json": out / "failure/run_results.json"}),
            (["source", "freshness", *vars_], False, {t + "sources.json": out / "failure/sources.json"}),
        ],
        database_copy=out / "failure.duckdb",
    )  # fmt: skip
    _run_chains([green, failure], work)

    # A production-like job: yesterday's (green) tables exist, then seed, run, test, freshness.
    # The scenario comes from the environment here (GREENERY_SCENARIO), from --vars above.
    shutil.copyfile(out / "green.duckdb", split_project / "greenery.duckdb")
    split_out = out / "failure_split"
    split = _Chain(
        "failure_split",
        split_project,
        [
            (["seed"], True, {t + "run_results.json": split_out / "run_results_seed.json"}),
            (["run"], False, {t + "run_results.json": split_out / "run_results_run.json",
                              t + "manifest.json": split_out / "manifest.json"}),
            (["test"], False, {t + "run_results.json": split_out / "run_results_test.json"}),
            (["source", "freshness"], False, {t + "sources.json": split_out / "sources.json"}),
        ],
        env={"GREENERY_SCENARIO": "failure"},
    )  # fmt: skip
    _run_chains([split], work)


def _build_weeks(out: Path, work: Path) -> None:
    project = copy_project(work / "weeks")
    steps = [
        (
            ["build", "--vars", f"{{week: {week}}}"],
            True,
            {
                "target/manifest.json": out / f"week_{week}/manifest.json",
                "target/run_results.json": out / f"week_{week}/run_results.json",
            },
        )
        for week in range(1, 5)
    ]
    # An out-of-range week must be refused (the log is kept for the test).
    steps.append((["parse", "--vars", "{week: 5}"], False, {}))
    # Run from another directory: DBT_PROJECT_DIR is what places greenery.duckdb in the project.
    chain = _Chain(
        "weeks",
        project,
        steps,
        database_copy=out / "weeks.duckdb",
        log_copy=out / "weeks.log",
        env={"DBT_PROJECT_DIR": str(project)},
        cwd=work,
    )
    _run_chains([chain], work)


def _build_columns(out: Path, work: Path, green_duckdb: Path) -> None:
    t = "target/"
    prod_project = copy_project(work / "prod")
    pr_project = copy_project(work / "pr")
    shutil.copytree(PR_SCENARIO / "models", pr_project / "models", dirs_exist_ok=True)
    for project in (prod_project, pr_project):
        shutil.copyfile(green_duckdb, project / "greenery.duckdb")
    docs = {t + "manifest.json": "manifest.json", t + "catalog.json": "catalog.json"}
    prod = _Chain(
        "columns_prod",
        prod_project,
        [(["docs", "generate"], True, {src: out / "prod" / dst for src, dst in docs.items()})],
    )
    pr = _Chain(
        "columns_pr",
        pr_project,
        [
            (["run", "--select", "fact_orders", "user_order_facts"], True, {}),
            (["docs", "generate"], True, {src: out / "pr" / dst for src, dst in docs.items()}),
        ],
    )
    _run_chains([prod, pr], work)


def _cached(name: str, build, rebuild: bool) -> Path:
    """Path of the cached build `name` for the current key, building it (once, under a lock) if needed."""
    CACHE_ROOT.mkdir(parents=True, exist_ok=True)
    final = CACHE_ROOT / cache_key() / name
    final.parent.mkdir(parents=True, exist_ok=True)
    with (final.parent / f"{name}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # concurrent pytest sessions wait for one build
        if final.exists() and not rebuild:
            return final
        with tempfile.TemporaryDirectory(prefix=f"dbtmeta-{name}-") as tmp:
            out = final.parent / f".{name}.tmp-{os.getpid()}"
            shutil.rmtree(out, ignore_errors=True)
            build(out, Path(tmp))
            shutil.rmtree(final, ignore_errors=True)
            out.rename(final)
    _prune_cache(keep=final.parent)
    return final


def _prune_cache(keep: Path, entries: int = 4) -> None:
    """Drop all but the most recent cache entries (each is a few MB)."""
    keep.touch()
    others = sorted(
        (p for p in CACHE_ROOT.iterdir() if p.is_dir() and p != keep),
        key=lambda p: p.stat().st_mtime,
        reverse=True,
    )
    for old in others[entries - 1 :]:
        if not _being_built(old):
            shutil.rmtree(old, ignore_errors=True)


def _being_built(entry: Path) -> bool:
    for lock_path in entry.glob("*.lock"):
        with lock_path.open("a") as lock:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                return True
            fcntl.flock(lock, fcntl.LOCK_UN)
    return False


def _rebuild_requested(config: pytest.Config) -> bool:
    return bool(config.getoption("--rebuild-example")) or os.environ.get(REBUILD_ENV, "") not in ("", "0")


@pytest.fixture(scope="session", autouse=True)
def _lookml_cache_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """The CLI caches parsed LookML under $XDG_CACHE_HOME: in tests, a session directory, not ~/.cache."""
    before = os.environ.get("XDG_CACHE_HOME")
    os.environ["XDG_CACHE_HOME"] = str(tmp_path_factory.mktemp("xdg-cache"))
    yield
    if before is None:
        os.environ.pop("XDG_CACHE_HOME", None)
    else:
        os.environ["XDG_CACHE_HOME"] = before


@pytest.fixture(scope="session")
def example_build(tmp_path_factory: pytest.TempPathFactory, pytestconfig: pytest.Config) -> ExampleBuild:
    cached = _cached("example", _build_example, _rebuild_requested(pytestconfig))
    root = tmp_path_factory.mktemp("example_build")
    shutil.copytree(cached, root / "artifacts")
    artifacts = root / "artifacts"
    project = copy_project(root / "example_project")
    (project / "target").mkdir()
    for name in ("manifest.json", "run_results.json", "sources.json"):
        shutil.copyfile(artifacts / "green" / name, project / "target" / name)
    shutil.copyfile(artifacts / "green.duckdb", project / "greenery.duckdb")
    return ExampleBuild(
        project_dir=project,
        green=artifacts / "green",
        failure=artifacts / "failure",
        failure_split=artifacts / "failure_split",
        duckdb_path=project / "greenery.duckdb",
        failure_duckdb_path=artifacts / "failure.duckdb",
    )


@pytest.fixture(scope="session")
def column_build(tmp_path_factory: pytest.TempPathFactory, pytestconfig: pytest.Config) -> ColumnBuild:
    rebuild = _rebuild_requested(pytestconfig)
    example = _cached("example", _build_example, rebuild)
    cached = _cached(
        "columns", lambda out, work: _build_columns(out, work, example / "green.duckdb"), rebuild
    )
    root = tmp_path_factory.mktemp("column_build")
    shutil.copytree(cached, root / "artifacts")
    project = copy_project(root / "pr_project")
    shutil.copytree(PR_SCENARIO / "models", project / "models", dirs_exist_ok=True)
    (project / "target").mkdir()
    for name in ("manifest.json", "catalog.json"):
        shutil.copyfile(root / "artifacts" / "pr" / name, project / "target" / name)
    return ColumnBuild(prod=root / "artifacts" / "prod", pr=root / "artifacts" / "pr", pr_project_dir=project)


@pytest.fixture(scope="session")
def week_replay(tmp_path_factory: pytest.TempPathFactory, pytestconfig: pytest.Config) -> WeekReplay:
    cached = _cached("weeks", _build_weeks, _rebuild_requested(pytestconfig))
    root = tmp_path_factory.mktemp("week_replay")
    shutil.copytree(cached, root / "artifacts")
    project = copy_project(root / "example_project")
    shutil.copyfile(root / "artifacts" / "weeks.duckdb", project / "greenery.duckdb")
    return WeekReplay(
        project_dir=project,
        duckdb_path=project / "greenery.duckdb",
        weeks={week: root / "artifacts" / f"week_{week}" for week in range(1, 5)},
        log=root / "artifacts" / "weeks.log",
    )


@pytest.fixture
def duckdb_readonly() -> Iterator:
    """Open a DuckDB file read-only: `con = duckdb_readonly(path)`; closed after the test."""
    import duckdb

    opened = []

    def connect(path: Path | str):
        con = duckdb.connect(str(path), read_only=True)
        opened.append(con)
        return con

    yield connect
    for con in opened:
        con.close()


@pytest.fixture
def isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No ambient config file or environment: run from an empty directory outside the repo."""
    for name in ("DBTMETA_SLACK_WEBHOOK", "DBTMETA_CONFIG", "DBT_PROJECT_DIR", "DBT_TARGET_PATH", "COLUMNS"):
        monkeypatch.delenv(name, raising=False)
    workdir = tmp_path / "cwd"
    workdir.mkdir()
    monkeypatch.chdir(workdir)
    return workdir


@pytest.fixture
def green_project(example_build: ExampleBuild, tmp_path: Path) -> Path:
    """A copy of the example project (no database, no logs) whose target/ holds the green manifest."""
    project = tmp_path / "project"
    shutil.copytree(
        example_build.project_dir,
        project,
        ignore=lambda _d, names: {n for n in names if n in {"target", "logs"} or ".duckdb" in n},
    )
    (project / "target").mkdir()
    shutil.copy(example_build.green / "manifest.json", project / "target" / "manifest.json")
    return project
