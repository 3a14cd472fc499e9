"""Renderers for ``dbtmeta lineage`` and ``dbtmeta impact`` output.

Lineage: rich tree, Mermaid, JSON. Impact: table, JSON, Markdown (a PR comment with a Mermaid
diagram). Text from dbt and Looker is data: sanitised by :func:`dbtmeta.text.clean`, shown in rich
Text objects (no markup), Markdown/Mermaid escaping from :mod:`dbtmeta.render.markdown`, JSON by
:func:`dbtmeta.text.dumps_json`.

Must not: read files, or compute lineage or impact (:mod:`dbtmeta.dbt` does).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from dbtmeta.render._common import ascii_only
from dbtmeta.render.markdown import md, md_link, mermaid_label
from dbtmeta.text import GITHUB_COMMENT_LIMIT, cap_document, clean, dumps_json

if TYPE_CHECKING:
    from rich.console import Console

    from dbtmeta.dbt.graph import NodeInfo
    from dbtmeta.dbt.impact import Impact
    from dbtmeta.dbt.lineage import Lineage

_SHAPES = {
    "exposure": ('(["', '"])'),
    "source": ('[("', '")]'),
    "seed": ('[("', '")]'),
    "snapshot": ('[["', '"]]'),
}


# The style of the node a Mermaid diagram is about.
MERMAID_FOCUS_CLASS = "  classDef focus fill:#fde2e1,stroke:#c0392b"


def _label(info: NodeInfo) -> str:
    if info.resource_type == "exposure":
        title = clean(info.label or info.name)
        return f"{title} ({clean(info.exposure_type) or 'exposure'})"
    return f"{clean(info.resource_type)}:{clean(info.name)}"


def _owner(info: NodeInfo) -> str:
    name, email = clean(info.owner_name), clean(info.owner_email)
    if name and email:
        return f"{name} <{email}>"
    return name or email


def _mermaid(nodes: list[NodeInfo], edges: list[tuple[str, str]], highlight: set[str]) -> list[str]:
    ids = {info.unique_id: f"n{index}" for index, info in enumerate(sorted(nodes, key=lambda i: i.unique_id))}
    lines = ["flowchart LR"]
    for info in sorted(nodes, key=lambda i: i.unique_id):
        left, right = _SHAPES.get(info.resource_type, ('["', '"]'))
        css = ":::focus" if info.unique_id in highlight else ""
        css = css or (":::exposure" if info.resource_type == "exposure" else "")
        lines.append(f"  {ids[info.unique_id]}{left}{mermaid_label(_label(info))}{right}{css}")
    for parent, child in edges:
        if parent in ids and child in ids:
            lines.append(f"  {ids[parent]} --> {ids[child]}")
    lines.append(MERMAID_FOCUS_CLASS)
    lines.append("  classDef exposure fill:#e1effd,stroke:#2463a6")
    return lines


# ------------------------------------------------------------------------------------------ lineage


def lineage_tree(lin: Lineage, console: Console) -> None:
    """Print the lineage as a rich tree (upstream and/or downstream), then the exposures downstream."""
    from rich.text import Text
    from rich.tree import Tree

    parents: dict[str, list[str]] = {}
    children: dict[str, list[str]] = {}
    for parent, child in lin.edges:
        children.setdefault(parent, []).append(child)
        parents.setdefault(child, []).append(parent)

    def text(uid: str) -> Text:
        info = lin.infos[uid]
        label = Text(_label(info))
        if info.resource_type == "exposure":
            maturity = info.maturity and f"maturity {clean(info.maturity)}"
            extra = ", ".join(x for x in (maturity, _owner(info)) if x)
            if extra:
                label.append(f"  [{extra}]", style="dim")
        return label

    def grow(tree: Tree, uid: str, links: dict[str, list[str]], side: dict[str, int], seen: set[str]) -> None:
        for other in sorted(links.get(uid, []), key=lambda u: (lin.infos[u].resource_type, u)):
            if other not in side:
                continue
            if other in seen:
                branch = tree.add(text(other))
                branch.label.append(" (see above)", style="dim")  # type: ignore[union-attr]
                continue
            seen.add(other)
            grow(tree.add(text(other)), other, links, side, seen)

    root = Tree(text(lin.root.unique_id))
    if lin.direction in ("upstream", "both"):
        up = root.add(Text(f"upstream ({len(lin.upstream)})", style="bold"))
        grow(up, lin.root.unique_id, parents, lin.upstream, set())
    if lin.direction in ("downstream", "both"):
        down = root.add(Text(f"downstream ({len(lin.downstream)})", style="bold"))
        grow(down, lin.root.unique_id, children, lin.downstream, set())
    console.print(root)
    exposures = lin.exposures()
    if exposures:
        console.print(
            Text(f"{len(exposures)} exposure(s) downstream: " + ", ".join(clean(e.name) for e in exposures))
        )


def lineage_mermaid(lin: Lineage, console: Console) -> None:
    """Print the lineage as a Mermaid flowchart, the root node highlighted."""
    nodes = list(lin.infos.values())
    console.out("\n".join(_mermaid(nodes, lin.edges, {lin.root.unique_id})), highlight=False)


def lineage_json(lin: Lineage, console: Console) -> None:
    """Print :meth:`Lineage.to_dict` as indented strict JSON."""
    console.out(dumps_json(lin.to_dict(), indent=2, ascii_only=ascii_only(console)), highlight=False)


LINEAGE_FORMATS: dict[str, Callable[[Any, Console], None]] = {
    "tree": lineage_tree,
    "mermaid": lineage_mermaid,
    "json": lineage_json,
}


# ------------------------------------------------------------------------------------------- impact


def impact_table(imp: Impact, console: Console) -> None:
    """Print a summary line, a table of the affected exposures, and changed files that define no node."""
    from rich.table import Table
    from rich.text import Text

    console.print(Text(_summary(imp)))
    if imp.affected:
        table = Table(show_lines=False)
        for column in ("exposure", "type", "maturity", "owner", "changed upstream"):
            table.add_column(column, overflow="fold")  # never cut an email address short
        for item in imp.affected:
            info = item.info
            via = ", ".join(clean(imp.infos[uid].name) for uid in item.via)
            table.add_row(
                Text(clean(info.label or info.name)),
                Text(clean(info.exposure_type)),
                Text(clean(info.maturity)),
                Text(_owner(info)),
                Text(via),
            )
        console.print(table)
    if imp.unmatched_paths:
        console.print(
            Text(
                f"{len(imp.unmatched_paths)} changed file(s) define no node: "
                + ", ".join(clean(path) for path in imp.unmatched_paths)
            )
        )


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def _summary(imp: Impact) -> str:
    owners = len({_owner(item.info) for item in imp.affected if _owner(item.info)})
    if not imp.changes:
        return "no dbt node changed"
    verb = "affects" if len(imp.changes) == 1 else "affect"
    return (
        f"{_plural(len(imp.changes), 'changed node')} {verb} "
        f"{_plural(len(imp.affected_nodes), 'downstream node')} and "
        f"{_plural(len(imp.affected), 'exposure')} owned by {_plural(owners, 'owner')}"
    )


def impact_json(imp: Impact, console: Console) -> None:
    """Print :meth:`Impact.to_dict` as indented strict JSON."""
    console.out(dumps_json(imp.to_dict(), indent=2, ascii_only=ascii_only(console)), highlight=False)


def impact_markdown_text(imp: Impact) -> str:
    """The impact as a PR comment, capped to GitHub's comment size.

    A summary, a table of affected exposures, the changed nodes and a Mermaid diagram.
    """
    lines = ["## dbtmeta impact", "", md(_summary(imp)), ""]
    if not imp.affected:
        lines += ["No dashboard or other exposure is affected.", ""]
    else:
        lines += ["| Exposure | Type | Maturity | Owner | Changed upstream |", "|---|---|---|---|---|"]
        for item in imp.affected:
            info = item.info
            via = ", ".join(md(imp.infos[uid].name) for uid in item.via)
            lines.append(
                f"| {md_link(info.label or info.name, info.url)} | {md(info.exposure_type)} | "
                f"{md(info.maturity)} | {md(_owner(info))} | {via} |"
            )
        lines.append("")
    if imp.changes:
        lines += ["<details><summary>Changed nodes</summary>", ""]
        for change in imp.changes:
            lines.append(f"- {md(change.info.resource_type)} **{md(change.info.name)}**: {md(change.reason)}")
        lines += ["", "</details>", ""]
    if imp.edges:
        nodes = [imp.infos[uid] for uid in sorted({n for edge in imp.edges for n in edge})]
        lines += ["```mermaid", *_mermaid(nodes, imp.edges, {c.unique_id for c in imp.changes}), "```", ""]
    if imp.unmatched_paths:
        lines.append(md(f"{len(imp.unmatched_paths)} changed file(s) define no dbt node."))
    return cap_document("\n".join(lines).rstrip() + "\n", GITHUB_COMMENT_LIMIT)


def print_text(console: Console, text: str) -> None:
    """Print a finished text document (Markdown, Mermaid) on the console, as is."""
    console.out(text, highlight=False, end="")


def printing(to_text: Callable[[Any], str]) -> Callable[[Any, Console], None]:
    """A console renderer that prints the document ``to_text`` makes of its report."""

    def render(report: Any, console: Console) -> None:
        print_text(console, to_text(report))

    return render


impact_markdown = printing(impact_markdown_text)


IMPACT_FORMATS: dict[str, Callable[[Any, Console], None]] = {
    "table": impact_table,
    "json": impact_json,
    "markdown": impact_markdown,
}
