"""Where a dbt project keeps its YAML: the one function every command uses to find exposure files.

dbt reads properties YAML (``exposures:`` included) from the project's resource paths:
``model-paths``, ``seed-paths``, ``snapshot-paths``, ``analysis-paths``, ``macro-paths`` and
``test-paths`` of ``dbt_project.yml``, with dbt's defaults when a key is absent. A YAML file
anywhere else is not part of the project for dbt, so it is not for dbtmeta either.

Must not: know about Looker or health, or look for YAML outside the resource paths.
"""

from __future__ import annotations

from pathlib import Path

from dbtmeta import yamlsafe
from dbtmeta.errors import InputError
from dbtmeta.files import read_text

# dbt_project.yml key -> dbt's default.
RESOURCE_PATH_KEYS: dict[str, tuple[str, ...]] = {
    "model-paths": ("models",),
    "seed-paths": ("seeds",),
    "snapshot-paths": ("snapshots",),
    "analysis-paths": ("analyses",),
    "macro-paths": ("macros",),
    "test-paths": ("tests",),
}


def resource_paths(project_dir: Path) -> list[Path]:
    """The existing resource directories of the project, in dbt_project.yml order, without repeats."""
    import yaml

    try:
        config = yamlsafe.load(read_text(project_dir / "dbt_project.yml", "dbt_project.yml"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError, InputError):
        config = None  # dbt reports a broken dbt_project.yml; keep the defaults
    found: list[Path] = []
    for key, default in RESOURCE_PATH_KEYS.items():
        value = config.get(key) if isinstance(config, dict) else None
        names = [p for p in value if isinstance(p, str)] if isinstance(value, list) else list(default)
        for name in names:
            path = project_dir / name
            if path.is_dir() and path not in found:
                found.append(path)
    return found


def exposure_yaml_files(project_dir: Path) -> list[Path]:
    """YAML files under the project's resource paths whose text mentions ``exposures``, sorted.

    A cheap text test, not a parse: callers parse what they need (and judge broken YAML themselves).
    """
    files: set[Path] = set()
    for root in resource_paths(project_dir):
        for path in root.rglob("*"):
            if path.suffix not in (".yml", ".yaml") or not path.is_file():
                continue
            if any(part.startswith(".") for part in path.relative_to(root).parts):
                continue
            try:
                if "exposures" in read_text(path, "YAML file", errors="replace"):
                    files.add(path)
            except (OSError, InputError):
                continue
    return sorted(files)


def manifest_file_path(value: object) -> str | None:
    """A file path as the manifest stores it (``original_file_path``, ``path``, ``patch_path``), as a
    project-relative POSIX path: a manifest written on Windows has backslashes, and ``patch_path``
    a ``package://`` prefix. None when ``value`` is not a non-empty string."""
    if not isinstance(value, str) or not value:
        return None
    return value.split("://", 1)[-1].replace("\\", "/").removeprefix("./")
