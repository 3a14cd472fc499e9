"""The import rules of docs/architecture.md, checked on every module of the package.

Every ``import``/``from`` statement counts, the lazy ones inside functions too: a lazy import that
runs upward is still a dependency that runs upward.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "dbtmeta"
ARCHITECTURE = PACKAGE.parent / "docs" / "architecture.md"

# Top to bottom; a module may import only from rooms on lower layers (and from its own room).
LAYERS: list[set[str]] = [
    {"__main__"},
    {"cli"},
    {"commands"},
    {"alerts"},
    {"exposures", "render"},
    {"columns"},
    {"looker", "health"},
    {"dbt"},
    {
        "errors",
        "secrets",
        "atomic",
        "console",
        "config",
        "sqlnames",
        "vocabulary",
        "timestamps",
        "http",
        "text",
        "files",
        "yamlsafe",
        "__init__",
    },
]
LEAVES = LAYERS[-1]
# Leaves may use one another, in this order only (no cycles): a leaf imports leaves listed before it.
LEAF_ORDER = [
    "__init__",
    "secrets",
    "errors",
    "vocabulary",
    "timestamps",
    "text",
    "files",
    "yamlsafe",
    "atomic",
    "console",
    "http",
    "config",
    "sqlnames",
]


def room_of(module: str) -> str:
    """``dbtmeta.health.compute`` -> ``health``; ``dbtmeta.cli`` -> ``cli``; ``dbtmeta`` -> ``__init__``."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def layer_of(room: str) -> int:
    for index, rooms in enumerate(LAYERS):
        if room in rooms:
            return index
    raise AssertionError(f"room {room!r} is on no layer: add it to LAYERS and docs/architecture.md")


def module_name(path: Path) -> str:
    relative = path.relative_to(PACKAGE.parent).with_suffix("")
    parts = list(relative.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(path: Path) -> list[tuple[int, str]]:
    """(line, imported dbtmeta module) for every import statement in the file."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = module_name(path) if path.name == "__init__.py" else module_name(path).rpartition(".")[0]
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names if alias.name.startswith("dbtmeta")]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            if not target.startswith("dbtmeta"):
                continue
            if target == "dbtmeta":  # from dbtmeta import x: x is the module imported
                found += [(node.lineno, f"dbtmeta.{alias.name}") for alias in node.names]
            else:
                found.append((node.lineno, target))
    return found


def violations() -> list[str]:
    problems = []
    for path in sorted(PACKAGE.rglob("*.py")):
        source = module_name(path)
        source_room = room_of(source)
        for line, target in imports_of(path):
            target_room = room_of(target)
            if target_room == source_room:
                continue
            if target == "dbtmeta" or (target_room == "__version__"):
                continue
            where = f"{path.relative_to(PACKAGE.parent)}:{line} imports {target}"
            if source_room in LEAVES and target_room in LEAVES:
                if LEAF_ORDER.index(target_room) >= LEAF_ORDER.index(source_room):
                    problems.append(f"{where}: leaf {source_room} may only use leaves listed before it")
            elif layer_of(target_room) <= layer_of(source_room):
                problems.append(
                    f"{where}: {source_room} (layer {layer_of(source_room)}) may not import "
                    f"{target_room} (layer {layer_of(target_room)})"
                )
    return problems


def test_every_import_points_down() -> None:
    assert violations() == []


def test_every_room_is_on_a_layer() -> None:
    rooms = {room_of(module_name(p)) for p in PACKAGE.rglob("*.py")}
    for room in rooms:
        layer_of(room)
    assert set(LEAF_ORDER) == LEAVES


def test_the_checker_catches_an_upward_import(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The rule must be able to fail: a dbt module importing health is reported."""
    bad = PACKAGE / "dbt" / "_upward_probe.py"
    bad.write_text("def f():\n    from dbtmeta.health.model import Status\n    return Status\n")
    try:
        found = violations()
    finally:
        bad.unlink()
    assert found == [
        "dbtmeta/dbt/_upward_probe.py:2 imports dbtmeta.health.model: "
        "dbt (layer 7) may not import health (layer 6)"
    ]


def test_architecture_doc_states_the_same_layers() -> None:
    """docs/architecture.md lists each layer as ``N. `room`, `room`: ...``, top first: the same as LAYERS."""
    stated = [
        set(re.findall(r"`([a-z_]+)`", match.group(1)))
        for match in re.finditer(r"^\d+\. ((?:`[a-z_]+`(?:, )?)+):", ARCHITECTURE.read_text(), re.MULTILINE)
    ]
    assert stated == LAYERS


MAX_FUNCTION_LINES = 60


def long_functions(package: Path = PACKAGE) -> list[str]:
    """Functions longer than MAX_FUNCTION_LINES whose ``def`` line gives no ``# long: <reason>``."""
    found = []
    for path in sorted(package.rglob("*.py")):
        lines = path.read_text(encoding="utf-8").splitlines()
        for node in ast.walk(ast.parse("\n".join(lines))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                length = (node.end_lineno or node.lineno) - node.lineno + 1
                if length > MAX_FUNCTION_LINES and "# long:" not in lines[node.lineno - 1]:
                    found.append(
                        f"{path.relative_to(package.parent)}:{node.lineno} {node.name} ({length} lines)"
                    )
    return found


def test_no_function_is_longer_than_sixty_lines_without_a_reason() -> None:
    assert long_functions() == []


def test_the_length_rule_can_fail(tmp_path: Path) -> None:
    body = "\n".join(f"    x{i} = {i}" for i in range(61))
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "m.py").write_text(f"def f():\n{body}\n\n\ndef g():  # long: a table\n{body}\n")
    assert long_functions(tmp_path / "pkg") == ["pkg/m.py:1 f (62 lines)"]
