"""Config file: defaults for every command's options.

Where: ``--config FILE`` (or ``$DBTMETA_CONFIG``), else the first of ``dbtmeta.yml``,
``.dbtmeta.yml``, ``pyproject.toml`` (with a ``[tool.dbtmeta]`` table) found walking up from the
current directory, stopping at the git repository root.

Format: top-level keys apply to every command that has that option (``project_dir``, ``manifest``);
a section per command (``stale_dashboards:``, ``sync_exposures:``, ``impact:``; ``looker: {pull: ...}``)
holds that command's options. Keys are the long option names with underscores
(``--fail-on-maturity`` -> ``fail_on_maturity``). Relative paths are relative to the config file.

The result is click's ``default_map``, so precedence is CLI > environment variable > config >
built-in default. Only the invoked command is validated (its click params are the schema, no
hand-kept list); this runs on every invocation, so it imports nothing heavy.

Must not: import a package above the leaves (it uses ``errors``, ``files``, ``yamlsafe``, ``console``),
or keep its own list of option names.
"""

from __future__ import annotations

import difflib
import os
import sys
from pathlib import Path
from typing import Any

import click

from dbtmeta.console import warn
from dbtmeta.errors import InputError, UsageError
from dbtmeta.files import read_text

CONFIG_FILES = ("dbtmeta.yml", ".dbtmeta.yml", "pyproject.toml")


# -------------------------------------------------------------------------------------- find + read


def find_config(start: Path | None = None) -> Path | None:
    """The nearest config file from ``start`` (cwd) upwards, not above the git root."""
    here = (start or Path.cwd()).resolve()
    for directory in (here, *here.parents):
        for name in CONFIG_FILES:
            candidate = directory / name
            if candidate.is_file() and (name != "pyproject.toml" or _mentions_dbtmeta(candidate)):
                return candidate
        if (directory / ".git").exists():
            return None
    return None


def _mentions_dbtmeta(path: Path) -> bool:
    try:
        return "tool.dbtmeta" in read_text(path, "pyproject.toml", errors="replace")
    except (OSError, InputError):
        return False


def read_config(path: Path) -> dict[str, Any]:
    """The config mapping of a dbtmeta.yml or of pyproject.toml's [tool.dbtmeta]."""
    try:
        text = read_text(path, "config file")
    except FileNotFoundError:
        raise UsageError(
            f"config file {str(path)!r} does not exist; check --config / DBTMETA_CONFIG"
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"{path}: cannot read the config file: {exc}") from None
    if path.name == "pyproject.toml" or path.suffix == ".toml":
        data = _read_toml(path, text)
    else:
        data = _read_yaml(path, text)
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise UsageError(f"{path}: the config must hold a mapping of option names to values")
    return data


def _read_yaml(path: Path, text: str) -> Any:
    import yaml

    from dbtmeta import yamlsafe

    try:
        return yamlsafe.load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}:" if mark is not None else ""
        reason = getattr(exc, "problem", None) or "invalid YAML"
        raise UsageError(f"{path}:{where} {reason}; fix the YAML") from None


def _read_toml(path: Path, text: str) -> Any:
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - Python 3.10 (tests/test_python310.py)
        try:
            import tomli as tomllib
        except ModuleNotFoundError:
            warn(
                f"skipping [tool.dbtmeta] in {path}: reading TOML on Python 3.10 "
                "needs `pip install tomli` (or use dbtmeta.yml)"
            )
            return None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise UsageError(f"{path}: invalid TOML: {exc}") from None
    tool = data.get("tool")
    return tool.get("dbtmeta") if isinstance(tool, dict) else None


# ------------------------------------------------------------------------------------- validation


def _key(name: str) -> str:
    return name.replace("-", "_")


def _params_by_key(command: click.Command) -> dict[str, list[click.Parameter]]:
    """Config key -> params: the param name and every long option name, dashes as underscores."""
    out: dict[str, list[click.Parameter]] = {}
    for param in command.params:
        if param.name is None or param.name in ("help", "version"):
            continue
        keys = {param.name}
        keys.update(_key(opt.lstrip("-")) for opt in param.opts if opt.startswith("--"))
        for key in keys:
            out.setdefault(key, []).append(param)
    return out


def _subcommands(group: click.Group, ctx: click.Context | None) -> dict[str, str]:
    """Config section name -> command name (``stale_dashboards`` -> ``stale-dashboards``)."""
    names = group.list_commands(ctx) if ctx is not None else list(group.commands)
    out: dict[str, str] = {}
    for name in names:
        out[_key(name)] = name
        out[name] = name
    return out


def _convert(value: Any, params: list[click.Parameter], where: str, base: Path) -> tuple[str, Any]:
    """Check ``value`` against the param's click type; return (param name, value for default_map)."""
    param = params[0]
    assert param.name is not None
    if isinstance(param, click.Option) and param.is_flag and not param.is_bool_flag:
        # flag_value options sharing one name (--upstream/--downstream/--both -> direction)
        allowed = [p.flag_value for p in params if isinstance(p, click.Option)]
        if value not in allowed:
            raise UsageError(f"{where}: {value!r} is not one of {', '.join(map(str, allowed))}")
        return param.name, value
    if isinstance(param, click.Option) and param.is_bool_flag:
        if not isinstance(value, bool):
            raise UsageError(f"{where}: expected true or false, not {value!r}")
        return param.name, value
    many = param.multiple if isinstance(param, click.Option) else False
    many = many or param.nargs == -1
    if many:
        if isinstance(value, str | int | float | bool):
            value = [value]
        if not isinstance(value, list):
            raise UsageError(f"{where}: expected a list, not {type(value).__name__}")
        return param.name, [_convert_one(item, param, where, base) for item in value]
    if isinstance(value, list | dict):
        raise UsageError(f"{where}: expected a single value, not a {type(value).__name__}")
    return param.name, _convert_one(value, param, where, base)


_PATH_SUFFIXES = ("_dir", "_path", "_paths", "_file", "_ini")
_PATH_METAVARS = ("FILE", "DIR", "PATH")


def _is_path(param: click.Parameter) -> bool:
    """Options that take a path: click.Path, or (for plain-string options) a path-like name/metavar."""
    if isinstance(param.type, click.Path):
        return True
    if not isinstance(param.type, click.types.StringParamType):
        return False
    metavar = getattr(param, "metavar", None) or ""
    return (param.name or "").endswith(_PATH_SUFFIXES) or metavar.upper() in _PATH_METAVARS


def _convert_one(value: Any, param: click.Parameter, where: str, base: Path) -> Any:
    if isinstance(value, list | dict) or value is None:
        raise UsageError(f"{where}: expected a single value, not {value!r}")
    if isinstance(param.type, click.types.StringParamType | click.Choice | click.Path) and not isinstance(
        value, str
    ):
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise UsageError(f"{where}: expected a string, not {value!r}")
        value = str(value)
    if isinstance(param.type, click.types.IntParamType) and isinstance(value, bool):
        raise UsageError(f"{where}: expected a number, not {value!r}")
    try:
        converted = param.type.convert(value, param, None)
    except click.BadParameter as exc:
        raise UsageError(f"{where}: {exc.message}") from None
    except (OverflowError, ValueError):  # int(1e400), int(nan): click lets these through
        raise UsageError(f"{where}: {value!r} is not a valid {param.type.name}") from None
    rebase = getattr(param.type, "relative_to", None)
    if callable(rebase) and isinstance(converted, str):  # NAME=DIR and the like: the path part
        return rebase(converted, str(base))
    if _is_path(param) and isinstance(converted, str) and "://" not in converted:
        expanded = os.path.expanduser(converted)
        if not os.path.isabs(expanded):
            expanded = str(base / expanded)
        return expanded
    return converted


def _unknown(kind: str, key: str, known: list[str], where: str) -> UsageError:
    close = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
    hint = f"; did you mean {close[0]!r}?" if close else f"; valid: {', '.join(sorted(known))}"
    return UsageError(f"{where}: unknown {kind} {key!r}{hint}")


def _section_map(
    command: click.Command, section: dict[str, Any], shared: dict[str, Any], where: str, base: Path
) -> dict[str, Any]:
    """default_map entries of one command (for a group: one nested map per subcommand)."""
    if isinstance(command, click.Group):
        subs = _subcommands(command, None)
        for key, value in section.items():
            if key in subs and not isinstance(value, dict):
                raise UsageError(f"{where}.{key}: expected a section (mapping), not {value!r}")
        own = {k: v for k, v in section.items() if k not in subs}
        known = _group_keys(command)
        for key in own:
            if key not in known:
                raise _unknown("option", key, sorted(set(known) | set(subs)), where)
        inner_shared = {**shared, **own}
        out: dict[str, Any] = {}
        for name, sub in command.commands.items():
            sub_section = section.get(_key(name)) or section.get(name) or {}
            sub_keys = _params_by_key(sub)
            applicable = {k: v for k, v in inner_shared.items() if k in sub_keys}
            out[name] = _section_map(sub, sub_section, applicable, f"{where}.{_key(name)}", base)
        return out
    params = _params_by_key(command)
    for key in section:
        if key not in params:
            raise _unknown("option", key, sorted(params), where)
    out = {}
    for key, value in {**shared, **section}.items():
        label = f"{where}.{key}" if key in section else f"{where.rsplit(': ', 1)[0]}: {key}"
        name, converted = _convert(value, params[key], label, base)
        out[name] = converted
    return out


def _keys_of(command: click.Command) -> dict[str, list[click.Parameter]]:
    return _group_keys(command) if isinstance(command, click.Group) else _params_by_key(command)


def _group_keys(group: click.Group) -> dict[str, list[click.Parameter]]:
    out: dict[str, list[click.Parameter]] = {}
    for sub in group.commands.values():
        for key, params in _params_by_key(sub).items():
            out.setdefault(key, params)
    return out


def build_default_map(
    data: dict[str, Any], source: Path, group: click.Group, ctx: click.Context | None, invoked: str | None
) -> dict[str, Any]:
    """click's default_map for the ``invoked`` command (a name in ``group``) from a config mapping.

    Shared keys must be an option of the invoked command or, checked lazily, of some other command.
    """
    where = str(source)
    base = source.parent.resolve()
    sections = _subcommands(group, ctx)
    for key, value in data.items():
        if not isinstance(key, str):
            raise UsageError(f"{where}: keys must be strings, not {key!r}")
        if key in sections and not isinstance(value, dict):
            raise UsageError(f"{where}: section {key!r} must be a mapping of option names to values")
    if invoked is None or invoked not in sections:
        return {}
    command = group.get_command(ctx, invoked) if ctx is not None else group.commands.get(invoked)
    if command is None:
        return {}
    shared = {k: v for k, v in data.items() if k not in sections}
    own_keys = _keys_of(command)
    unknown = [key for key in shared if key not in own_keys]
    if unknown:
        everything: set[str] = set()
        for name in sorted(set(sections.values())):
            other = group.get_command(ctx, name) if ctx is not None else group.commands.get(name)
            if other is not None:
                everything |= set(_keys_of(other))
        for key in unknown:
            if key not in everything:
                raise _unknown("key", key, sorted(everything | set(sections)), where)
    applicable = {k: v for k, v in shared.items() if k in own_keys}
    section = data.get(_key(invoked)) or data.get(invoked) or {}
    return {invoked: _section_map(command, section, applicable, f"{where}: {_key(invoked)}", base)}


def load_default_map(config_path: str | None) -> dict[str, dict[str, object]]:
    """Return click's ``default_map``: {command name: {option name: value}} for the invoked command."""
    path = Path(config_path) if config_path else find_config()
    if path is None:
        return {}
    data = read_config(path)
    if not data:
        return {}
    ctx = click.get_current_context(silent=True)
    if ctx is None or not isinstance(ctx.command, click.Group):
        return {}
    return build_default_map(data, path, ctx.command, ctx, ctx.invoked_subcommand)
