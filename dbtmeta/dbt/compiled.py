"""The columns a dbt node's compiled SQL selects, read by sqlglot: the middle source of ``dbt.columns``.

The node's ``compiled_code`` (in the manifest after ``dbt compile``/``run``/``build``, not after
``dbt parse``) is parsed in the adapter's dialect; the output columns are the names of its final
``SELECT`` (the first branch of a ``UNION``). A ``*`` or ``t.*`` there is expanded by sqlglot's
``qualify`` with the columns of the relations it selects from: each relation is matched to the dbt
node (model, seed, snapshot, source) whose ``relation_name`` it is, and that node's columns are
asked of the caller (catalog, else its own compiled SQL, else documented). What cannot be known
makes the answer incomplete, with a note saying why, never a guess: a star over a relation whose
columns are unknown (or only documented), an output column the SQL leaves unnamed (``count(*)``:
the warehouse names it), SQL sqlglot cannot parse. A snapshot also has the columns dbt adds to its
SQL (``dbt_scd_id``, ``dbt_updated_at``, ``dbt_valid_from``, ``dbt_valid_to``, as renamed by its
``snapshot_meta_column_names``).

sqlglot is imported inside the functions (``dbtmeta --help`` stays light).

Must not: know about Looker or read files; take SQL apart without sqlglot.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from dbtmeta.dbt.artifacts import Manifest


@dataclass(frozen=True)
class CompiledColumns:
    """The output column names of a node's compiled SQL; ``note`` says why they may be incomplete."""

    names: tuple[str, ...]
    note: str | None = None


# unique id -> (column names, complete) of an upstream relation, or None when nothing is known
Upstream = Callable[[str], tuple[tuple[str, ...], bool] | None]


class RelationIndex:
    """Normalised ``relation_name`` -> the unique ids of the nodes (and sources) that are that relation."""

    def __init__(self, manifest: Manifest) -> None:
        from dbtmeta.sqlnames import SqlParseError, split_table_name

        self.dialect = manifest.adapter_type
        self._ids: dict[tuple[str | None, str | None, str], list[str]] = {}
        for entries in (manifest.nodes, manifest.sources):
            for unique_id, raw in entries.items():
                relation = raw.get("relation_name") if isinstance(raw, dict) else None
                if not isinstance(relation, str) or not relation:
                    continue
                try:
                    key = split_table_name(relation, self.dialect)
                except SqlParseError:
                    continue
                self._ids.setdefault(key, []).append(unique_id)

    def lookup(self, table_sql: str) -> list[str]:
        """The unique ids whose relation is the table named ``table_sql`` (SQL, quoting kept)."""
        from dbtmeta.sqlnames import SqlParseError, split_table_name

        try:
            key = split_table_name(table_sql, self.dialect)
        except SqlParseError:
            return []
        return self._ids.get(key, [])


def compiled_code(manifest: Manifest, unique_id: str) -> str | None:
    """The node's compiled SQL (``compiled_code``; ``compiled_sql`` before dbt 1.3), None if absent."""
    raw = manifest.nodes.get(unique_id)
    if not isinstance(raw, dict):
        return None
    code = raw.get("compiled_code", raw.get("compiled_sql"))
    return code if isinstance(code, str) and code.strip() else None


def has_compiled_sql(manifest: Manifest) -> bool:
    """Whether the manifest's models carry compiled SQL (``dbt compile``/``run``/``build``/``docs
    generate`` write it; ``dbt parse`` does not)."""
    return any(uid.startswith("model.") and compiled_code(manifest, uid) for uid in manifest.nodes)


def compiled_columns(
    manifest: Manifest, unique_id: str, upstream: Upstream, index: Callable[[], RelationIndex]
) -> CompiledColumns | None:
    """The columns the node's compiled SQL selects (None: it has none); ``upstream`` answers for the
    relations a star selects from, ``index`` gives the relation index (built only when a star needs it)."""
    import sqlglot
    from sqlglot import exp
    from sqlglot.errors import SqlglotError

    from dbtmeta.sqlnames import sqlglot_dialect

    code = compiled_code(manifest, unique_id)
    if code is None:
        return None
    dialect = sqlglot_dialect(manifest.adapter_type)
    try:
        tree = sqlglot.parse_one(code, read=dialect or None)
    except (SqlglotError, RecursionError) as exc:
        return CompiledColumns((), f"its compiled SQL cannot be parsed by sqlglot ({_first_line(exc)})")
    if not isinstance(tree, exp.Query):
        return CompiledColumns((), "its compiled SQL is not a SELECT")
    if not any(_is_star(item) for item in tree.selects):
        found = _names(tree.selects, None)
    elif (items := _stars_over_named_queries(tree)) is not None:
        found = _names(items, None)
    else:
        found = _expand_stars(tree, dialect, upstream, index())
    meta = _snapshot_columns(manifest.nodes[unique_id])
    return CompiledColumns(found.names + meta, found.note) if meta else found


_SNAPSHOT_META = ("dbt_scd_id", "dbt_updated_at", "dbt_valid_from", "dbt_valid_to")


def _snapshot_columns(raw: dict[str, Any]) -> tuple[str, ...]:
    """The columns dbt adds to a snapshot's SQL, named as its ``snapshot_meta_column_names`` config says
    (``dbt_is_deleted`` only with ``hard_deletes: new_record``); () for other nodes."""
    if raw.get("resource_type") != "snapshot":
        return ()
    config = raw.get("config")
    config = config if isinstance(config, dict) else {}
    renamed = config.get("snapshot_meta_column_names")
    renamed = renamed if isinstance(renamed, dict) else {}
    keys = _SNAPSHOT_META + (("dbt_is_deleted",) if config.get("hard_deletes") == "new_record" else ())
    return tuple(str(renamed.get(key) or key) for key in keys)


def _is_star(item: Any) -> bool:
    from sqlglot import exp

    return isinstance(item, exp.Star) or (isinstance(item, exp.Column) and isinstance(item.this, exp.Star))


def _names(selects: list[Any], note: str | None, original: dict[str, str] | None = None) -> CompiledColumns:
    """The names of the final SELECT's items; an unnamed item or a star left makes it incomplete."""
    from sqlglot import exp

    names: list[str] = []
    problems = [note] if note else []
    for position, item in enumerate(selects, start=1):
        if _is_star(item):
            continue  # the note already says why it is left
        name = item.alias_or_name if isinstance(item, (exp.Alias, exp.Column)) else ""
        if not name:
            shown = " ".join(item.sql().split())[:60]
            problems.append(f"output column {position} ({shown}) has no name: the warehouse names it")
            continue
        name = (original or {}).get(name.lower(), name)
        if name.lower() in {n.lower() for n in names}:
            problems.append(f"two output columns are named {name}")
            continue
        names.append(name)
    return CompiledColumns(tuple(names), "; ".join(problems) or None)


def _stars_over_named_queries(tree: Any) -> list[Any] | None:
    """The final SELECT's items with each star replaced by the items of the CTE or subquery it reads,
    when that is all it reads (``with ... select * from final``, dbt's usual shape), found with
    sqlglot's scopes: the cheap case of what ``qualify`` does (a fifth of its time). None: a star
    reads a table, several sources or has modifiers (``* EXCLUDE``): ``qualify`` decides."""
    from sqlglot.errors import SqlglotError
    from sqlglot.optimizer.scope import build_scope

    try:
        scope = build_scope(tree)
    except (SqlglotError, RecursionError):
        return None
    return _scope_items(scope, 0) if scope is not None else None


def _scope_items(scope: Any, depth: int) -> list[Any] | None:
    from sqlglot import exp

    query = scope.expression
    if depth > 50 or not isinstance(query, exp.Query):
        return None
    if not isinstance(query, exp.Select):  # a UNION: the first branch names the columns
        return None if any(_is_star(i) for i in query.selects) else list(query.selects)
    items: list[Any] = []
    sources = scope.selected_sources
    for item in query.selects:
        if not _is_star(item):
            items.append(item)
            continue
        star = item if isinstance(item, exp.Star) else item.this
        if any(star.args.get(key) for key in star.args):  # EXCEPT / REPLACE / RENAME / EXCLUDE
            return None
        if isinstance(item, exp.Column):
            source = sources.get(item.table)
        elif len(sources) == 1 and not query.args.get("joins"):
            source = next(iter(sources.values()))
        else:
            return None
        inner = (
            _scope_items(source[1], depth + 1) if source and not isinstance(source[1], exp.Table) else None
        )
        if inner is None:
            return None
        items.extend(inner)
    return items


def _expand_stars(tree: Any, dialect: str, upstream: Upstream, index: RelationIndex) -> CompiledColumns:
    """Stars expanded by sqlglot's ``qualify``: first without any schema (a star over a CTE or a
    subquery with named columns needs none), then with the columns of the relations the SQL reads."""
    from sqlglot import exp
    from sqlglot.errors import SqlglotError

    # the names as written, in every scope (qualify normalises case): the warehouse keeps them so
    original = {
        i.alias_or_name.lower(): i.alias_or_name
        for select in tree.find_all(exp.Select)
        for i in select.selects
        if not _is_star(i) and i.alias_or_name
    }
    try:
        qualified = _qualify(tree, dialect, None)
        if not any(_is_star(item) for item in qualified.selects):
            return _names(qualified.selects, None, original)
    except (SqlglotError, ValueError, KeyError, RecursionError):
        pass  # a column of a table it cannot see yet: try again with the tables' columns
    schema, unknown, partial = _schema(tree, dialect, upstream, index, original)
    try:
        qualified = _qualify(tree, dialect, schema)
    except (SqlglotError, ValueError, KeyError, RecursionError) as exc:
        return CompiledColumns((), f"sqlglot cannot expand its SELECT * ({_first_line(exc)})")
    note = None
    if any(_is_star(item) for item in qualified.selects):
        why = f": no columns known for {', '.join(unknown)}" if unknown else ""
        note = f"its SELECT * cannot be expanded{why}"
    elif partial:
        note = f"its SELECT * reads {', '.join(partial)}, whose columns are not all known"
    return _names(qualified.selects, note, original)


def _qualify(tree: Any, dialect: str, schema: Any) -> Any:
    from sqlglot.optimizer.qualify import qualify

    return qualify(
        tree.copy(),
        dialect=dialect or None,
        schema=schema,
        validate_qualify_columns=False,
        quote_identifiers=False,
        identify=False,
    )


def _schema(
    tree: Any, dialect: str, upstream: Upstream, index: RelationIndex, original: dict[str, str]
) -> tuple[Any, list[str], list[str]]:
    """A sqlglot schema of the relations ``tree`` reads (their columns from ``upstream``), the
    relations whose columns are unknown, and those whose columns may be incomplete."""
    from sqlglot import exp
    from sqlglot.errors import SqlglotError
    from sqlglot.schema import MappingSchema

    schema = MappingSchema(dialect=dialect or None)
    unknown: dict[str, None] = {}
    partial: dict[str, None] = {}
    ctes = {cte.alias_or_name.lower() for cte in tree.find_all(exp.CTE)}
    for table in tree.find_all(exp.Table):
        if not isinstance(table.this, exp.Identifier):
            continue  # a table function
        if not table.args.get("db") and table.name.lower() in ctes:
            continue
        bare = exp.Table(**{k: table.args[k].copy() for k in ("this", "db", "catalog") if table.args.get(k)})
        shown = bare.sql(dialect=dialect or None)
        known = next((found for uid in index.lookup(shown) if (found := upstream(uid))), None)
        if known is None or not known[0]:
            unknown.setdefault(shown, None)
            continue
        if not known[1]:
            partial.setdefault(shown, None)
        original.update({name.lower(): name for name in known[0]})
        try:
            schema.add_table(bare, {name: "text" for name in known[0]}, dialect=dialect or None)
        except (SqlglotError, ValueError):
            unknown.setdefault(shown, None)
    return schema, list(unknown), list(partial)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:200] if text else type(exc).__name__
