"""Renderers for column-level lineage: ``lineage MODEL.COLUMN``, ``check-fields``, ``impact --columns``.

Text from dbt and Looker (titles, field names, messages) is data: through ``dbtmeta.text.clean`` into
rich ``Text`` objects (no markup) in the terminal, ``md``/``mermaid_label`` in Markdown and Mermaid,
``dumps_json`` for JSON.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from dbtmeta.render._common import ascii_only
from dbtmeta.render.lineage import MERMAID_FOCUS_CLASS, print_text, printing
from dbtmeta.render.markdown import md, mermaid_label
from dbtmeta.text import GITHUB_COMMENT_LIMIT, MAX_MESSAGE, cap_document, clean, dumps_json

if TYPE_CHECKING:
    from rich.console import Console

    from dbtmeta.columns.check import FieldCheck
    from dbtmeta.columns.impact import ColumnImpact
    from dbtmeta.columns.lineage import ColumnLineage, FieldReads
    from dbtmeta.columns.usage import FieldUse


def _grouped(uses: list[FieldUse]) -> dict[tuple[str, str], dict[tuple[str, str], list[FieldUse]]]:
    """(dashboard id, title) -> (tile id, tile title) -> field uses, in sorted order, fields once."""
    found: dict[tuple[str, str], dict[tuple[str, str], list[FieldUse]]] = {}
    for use in sorted(uses):
        tiles = found.setdefault((use.dashboard_id, use.dashboard_title), {})
        fields = tiles.setdefault((use.tile_id, use.tile_title), [])
        if all((f.field, f.where) != (use.field, use.where) for f in fields):
            fields.append(use)
    return found


def _tree_of_uses(uses: list[FieldUse], root: Any) -> None:
    from rich.text import Text

    for (dashboard_id, title), tiles in _grouped(uses).items():
        dashboard = root.add(Text(f"{clean(title)} ({clean(dashboard_id)})"))
        for (tile_id, tile_title), fields in tiles.items():
            shown = clean(tile_title) if tile_title == tile_id else f"{clean(tile_title)} [{clean(tile_id)}]"
            tile = dashboard.add(Text(shown))
            for use in fields:
                label = Text(clean(use.field))
                label.append(f"  {clean(use.where, MAX_MESSAGE)}", style="dim")
                tile.add(label)


# ------------------------------------------------------------------------------------------ lineage


def _existence(lin: ColumnLineage) -> str:
    if lin.exists is None:
        return "columns of the node unknown: no catalog entry, no compiled SQL naming them, none documented"
    where = {"catalog": "catalog", "compiled": "compiled SQL"}.get(
        lin.columns_source or "", "documented columns"
    )
    return f"in the {where}" if lin.exists else f"NOT in the {where}"


def _summary(lin: ColumnLineage) -> str:
    tiles = {(u.dashboard_id, u.tile_id) for u in lin.uses}
    fields = {(u.field, u.where) for u in lin.uses}
    return (
        f"{len(fields)} field(s) in {len(tiles)} tile(s) of {len(lin.dashboards())} dashboard(s) "
        f"read {lin.unique_id}.{lin.column}"
    )


def column_tree(lin: ColumnLineage, console: Console) -> None:
    """Column lineage as a rich tree: dashboards, tiles, fields with ``file:line``."""
    from rich.text import Text
    from rich.tree import Tree

    label = Text(clean(f"{lin.unique_id}.{lin.column}"))
    label.append(f"  ({_existence(lin)})", style="dim")
    root = Tree(label)
    _tree_of_uses(lin.uses, root)
    console.print(root)
    console.print(Text(clean(_summary(lin), MAX_MESSAGE)), soft_wrap=True)


def column_json(lin: ColumnLineage, console: Console) -> None:
    """Column lineage as JSON."""
    console.out(dumps_json(lin.to_dict(), indent=2, ascii_only=ascii_only(console)), highlight=False)


def column_mermaid(lin: ColumnLineage, console: Console) -> None:
    """Column lineage as a Mermaid flowchart: column -> fields -> tiles -> dashboards."""
    lines = ["flowchart LR", f'  c0[("{mermaid_label(f"{lin.unique_id}.{lin.column}")}")]:::focus']
    ids: dict[tuple[str, ...], str] = {}

    def node(key: tuple[str, ...], label: str, shape: tuple[str, str] = ('["', '"]')) -> str:
        if key not in ids:
            ids[key] = f"n{len(ids)}"
            lines.append(f"  {ids[key]}{shape[0]}{mermaid_label(label)}{shape[1]}")
        return ids[key]

    edges: list[str] = []
    for (dashboard_id, title), tiles in _grouped(lin.uses).items():
        dashboard = node(("d", dashboard_id), title, ('(["', '"])'))
        for (tile_id, tile_title), fields in tiles.items():
            tile = node(("t", dashboard_id, tile_id), tile_title)
            for use in fields:
                field = node(("f", use.model, use.explore, use.field), use.field)
                for edge in (f"  c0 --> {field}", f"  {field} --> {tile}", f"  {tile} --> {dashboard}"):
                    if edge not in edges:
                        edges.append(edge)
    lines += edges
    print_text(console, "\n".join([*lines, MERMAID_FOCUS_CLASS, ""]))


COLUMN_LINEAGE_FORMATS: dict[str, Callable[[Any, Console], None]] = {
    "tree": column_tree,
    "mermaid": column_mermaid,
    "json": column_json,
}


# ------------------------------------------------------------------------------------- check-fields


def check_text(check: FieldCheck, console: Console) -> None:
    """``check-fields`` as one line per finding, then a count."""
    from rich.text import Text

    for problem in check.errors:
        line = f"{problem.where}: {problem.field}: {problem.message}"
        console.print(Text(clean(line, MAX_MESSAGE)), soft_wrap=True)
    for problem in check.notes:
        line = f"{problem.where}: {problem.field}: not checked: {problem.message}"
        console.print(Text(clean(line, MAX_MESSAGE)), soft_wrap=True)
    console.print(
        Text(
            f"{check.fields_checked} field(s) checked: {check.fields_with_errors} read a missing column, "
            f"{check.fields_unchecked} could not be checked"
        )
    )


def check_json(check: FieldCheck, console: Console) -> None:
    """``check-fields`` as JSON."""
    console.out(dumps_json(check.to_dict(), indent=2, ascii_only=ascii_only(console)), highlight=False)


CHECK_FIELDS_FORMATS: dict[str, Callable[[Any, Console], None]] = {"text": check_text, "json": check_json}


# ---------------------------------------------------------------------------------- impact --columns


def _change_line(item: Any) -> str:
    change = item.change
    return f"{change.unique_id}.{change.column}: {change.describe()}"


def column_impact_tree(imp: ColumnImpact, console: Console) -> None:
    """``impact --columns`` as one tree per changed column, then a count."""
    from rich.text import Text
    from rich.tree import Tree

    if not imp.items:
        console.print(Text("No column was removed, renamed or changed in type."))
    for item in imp.items:
        label = Text(clean(_change_line(item), MAX_MESSAGE))
        if not item.uses:
            label.append("  (nothing in Looker reads it)", style="dim")
        root = Tree(label)
        _tree_of_uses(item.uses, root)
        console.print(root)
    breaking = imp.breaking()
    tiles = {(u.dashboard_id, u.tile_id) for item in breaking for u in item.uses}
    console.print(Text(f"{len(breaking)} changed column(s) read by {len(tiles)} tile(s)"), soft_wrap=True)


def column_impact_json(imp: ColumnImpact, console: Console) -> None:
    """``impact --columns`` as JSON."""
    console.out(dumps_json(imp.to_dict(), indent=2, ascii_only=ascii_only(console)), highlight=False)


def column_impact_markdown_text(imp: ColumnImpact) -> str:
    """``impact --columns`` as Markdown for a PR comment (capped to GitHub's limit)."""
    lines = ["## dbtmeta impact: columns", ""]
    if not imp.items:
        lines += ["No column was removed, renamed or changed in type.", ""]
    for item in imp.items:
        lines.append(
            f"- **{md(_change_line(item))}**" + ("" if item.uses else " (nothing in Looker reads it)")
        )
        for (_, title), tiles in _grouped(item.uses).items():
            for (_, tile_title), fields in tiles.items():
                names = ", ".join(f"{md(u.field)} ({md(u.where)})" for u in fields)
                lines.append(f"  - {md(title)} / {md(tile_title)}: {names}")
    return cap_document("\n".join(lines).rstrip() + "\n", GITHUB_COMMENT_LIMIT)


column_impact_markdown = printing(column_impact_markdown_text)


COLUMN_IMPACT_FORMATS: dict[str, Callable[[Any, Console], None]] = {
    "table": column_impact_tree,
    "json": column_impact_json,
    "markdown": column_impact_markdown,
}


# ---------------------------------------------------------------------------------- --looker-field


def field_tree(reads: FieldReads, console: Console) -> None:
    """``--looker-field`` as a rich tree: per explore, the dbt columns the field reads."""
    from rich.text import Text
    from rich.tree import Tree

    label = Text(clean(f"{reads.view}.{reads.field}"))
    label.append(f"  {clean(reads.where, MAX_MESSAGE)}", style="dim")
    root = Tree(label)
    for explore, name, columns, problems in reads.explores:
        branch = root.add(Text(clean(f"{name} in {explore}")))
        for node, column in columns:
            branch.add(Text(clean(f"{node}.{column}")))
        for problem in problems:
            branch.add(Text(clean(f"not traced: {problem}", MAX_MESSAGE), style="yellow"))
        if not columns and not problems:
            branch.add(Text("reads no column", style="dim"))
    console.print(root)


def field_json(reads: FieldReads, console: Console) -> None:
    """``--looker-field`` as JSON."""
    console.out(dumps_json(reads.to_dict(), indent=2, ascii_only=ascii_only(console)), highlight=False)


def field_mermaid(reads: FieldReads, console: Console) -> None:
    """``--looker-field`` as a Mermaid flowchart: columns -> field."""
    lines = ["flowchart LR", f'  f0["{mermaid_label(f"{reads.view}.{reads.field}")}"]:::focus']
    ids: dict[str, str] = {}
    for _explore, _name, columns, _problems in reads.explores:
        for node, column in columns:
            key = f"{node}.{column}"
            if key not in ids:
                ids[key] = f"c{len(ids)}"
                lines.append(f'  {ids[key]}[("{mermaid_label(key)}")]')
                lines.append(f"  {ids[key]} --> f0")
    print_text(console, "\n".join([*lines, MERMAID_FOCUS_CLASS, ""]))


FIELD_LINEAGE_FORMATS: dict[str, Callable[[Any, Console], None]] = {
    "tree": field_tree,
    "mermaid": field_mermaid,
    "json": field_json,
}
