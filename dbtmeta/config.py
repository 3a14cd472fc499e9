"""Config file loading (dbtmeta.yml or [tool.dbtmeta] in pyproject.toml).

Placeholder until the config issue lands: returns no defaults.
"""

from __future__ import annotations


def load_default_map(config_path: str | None) -> dict[str, dict[str, object]]:
    """Return click's ``default_map``: {command name: {option name: value}}."""
    return {}
