"""``check-fields``: every LookML field of the explores dashboards use reads columns that exist.

For each explore a dashboard (tile or filter) queries, every field of every view in it and every
join's ``sql_on`` is traced to warehouse columns (``looker.fields``); each table is resolved to its
dbt node and each column looked up in the node's columns from the catalog, or, without a catalog,
from its compiled SQL when that gives them all (``dbt.compiled``). A column the node does not have
is an error (exit 1). What cannot be checked is a note, not an error: a field whose SQL cannot be
traced (Liquid, unparseable), a table no dbt node builds, a node missing from the catalog (or,
without one, a node whose compiled SQL does not give all its columns).

Must not: print anything or read files.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from dbtmeta.columns.usage import Resolve, columns_of
from dbtmeta.dbt.artifacts import Manifest
from dbtmeta.dbt.columns import Catalog, DbtColumns
from dbtmeta.looker.content import LookerContent
from dbtmeta.looker.fields import FieldLineage, FieldTracer, join_lineage, where_of


@dataclass(frozen=True, order=True)
class FieldProblem:
    """One finding of ``check-fields``: the field's ``file:line``, its name, what is wrong."""

    where: str  # file:line of the field (or join)
    field: str  # "view.field" (or "join:<alias>" in explore model::explore)
    message: str


@dataclass
class FieldCheck:
    """The result of ``check-fields``: errors (exit 1), notes (not checked), fields checked."""

    errors: list[FieldProblem] = field(default_factory=list)
    notes: list[FieldProblem] = field(default_factory=list)  # could not be checked
    fields_checked: int = 0

    @property
    def fields_with_errors(self) -> int:
        """How many fields (or joins) read a missing column (a field may have several findings)."""
        return len({(p.where, p.field) for p in self.errors})

    @property
    def fields_unchecked(self) -> int:
        """How many fields (or joins) could not be checked, wholly or in part."""
        return len({(p.where, p.field) for p in self.notes})

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: ``fields_checked``, ``errors`` and ``unchecked`` rows."""

        def rows(items: list[FieldProblem]) -> list[dict[str, str]]:
            return [{"where": p.where, "field": p.field, "message": p.message} for p in items]

        return {
            "fields_checked": self.fields_checked,
            "errors": rows(self.errors),
            "unchecked": rows(self.notes),
        }


def check_fields(
    content: LookerContent, resolve: Resolve, manifest: Manifest, catalog: Catalog | None
) -> FieldCheck:
    """Check the fields of every explore the dashboards of ``content`` use against the catalog (None:
    against the columns of the nodes' compiled SQL)."""
    columns = DbtColumns(manifest, catalog)
    tracer = FieldTracer(content, columns_of(resolve, columns))
    errors: set[FieldProblem] = set()
    notes: set[FieldProblem] = set()
    seen: set[tuple[str, str]] = set()
    explores = sorted({(q.model, q.explore) for d in content.dashboards for q in d.queries()})
    for model, explore in explores:
        joins = content.lookml_joins.get((model, explore))
        if joins is None:
            notes.add(
                FieldProblem("?", f"explore {model}::{explore}", "not defined in the LookML: not checked")
            )
            continue
        for join in joins:
            view = content.lookml_views.get((model, join.view))
            lineages: list[tuple[str, FieldLineage]] = []
            if join.sql_on or join.problem:
                lineages.append((f"join:{join.alias}", join_lineage(tracer, model, explore, join.alias)))
            for item in view.fields if view else ():
                if item.kind in ("filter", "parameter") and item.sql is None and not item.problem:
                    continue  # templated filters and parameters read no column by themselves
                shown = f"{join.view}.{item.name}"
                if (where_of(item.file, item.line), shown) in seen:
                    continue  # checked in an explore before: its lineage here would be dropped below
                lineages.append((shown, tracer.trace(model, explore, f"{join.alias}.{item.name}")))
            for shown, lineage in lineages:
                if (lineage.where, shown) in seen:
                    continue
                seen.add((lineage.where, shown))
                _check(lineage, shown, resolve, columns, errors, notes)
    return FieldCheck(sorted(errors), sorted(notes), len(seen))


def _check(
    lineage: FieldLineage,
    shown: str,
    resolve: Resolve,
    nodes: DbtColumns,
    errors: set[FieldProblem],
    notes: set[FieldProblem],
) -> None:
    for problem in lineage.problems:
        notes.add(FieldProblem(lineage.where, shown, problem))
    for ref in lineage.columns:
        unique_id, why = resolve(ref.table, ref.connection)
        if unique_id is None:
            notes.add(FieldProblem(lineage.where, shown, f"table {ref.table}: {why}"))
            continue
        columns = nodes.of(unique_id)
        if nodes.catalog is not None and columns.source != "catalog":
            message = f"{unique_id} is not in the catalog: run `dbt docs generate` to check its columns"
            notes.add(FieldProblem(lineage.where, shown, message))
            continue
        if not columns.complete:
            kind = unique_id.partition(".")[0]
            why = columns.note or (
                f"a {kind} has no SQL" if kind in ("source", "seed") else "no compiled SQL"
            )
            message = f"the columns of {unique_id} are not all known ({why}): run `dbt docs generate`"
            notes.add(FieldProblem(lineage.where, shown, message))
            continue
        if columns.get(ref.column) is None:
            message = f"reads {ref.table}.{ref.column}: {unique_id} has no column {ref.column!r}"
            if columns.source == "compiled":
                message += " (its columns from its compiled SQL: no catalog given)"
            errors.add(FieldProblem(lineage.where, shown, message))
