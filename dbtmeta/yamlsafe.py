"""YAML from files we do not control: PyYAML's safe subset, alias expansion bounded, duplicate keys found.

A 450-byte "billion laughs" document (anchors of anchors, nine aliases each) composes into a few
dozen nodes but expands into hundreds of millions of values once constructed or walked. Every YAML
dbtmeta reads goes through :func:`compose` (or :func:`load`), which measures the expanded size on
the composed graph (linear in its distinct nodes) and refuses a document whose aliases add more
than :data:`MAX_ALIAS_EXPANSION` nodes, or that refers to itself. Documents without aliases are
never refused, whatever their size.

Must not: import from any package of dbtmeta (leaf: ``errors`` only); PyYAML only inside functions.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import yaml

# Nodes that aliases may add to a document. Real files use aliases for a few shared blocks.
MAX_ALIAS_EXPANSION = 100_000


@dataclass(frozen=True)
class DuplicateKey:
    """A key repeated in one YAML mapping: the line YAML keeps and the line of the occurrence it drops."""

    key: str
    line: int  # 1-based line of the repeated key (the one YAML keeps)
    first_line: int  # 1-based line of the first occurrence (the one YAML drops)


def _children(node: yaml.Node) -> list[yaml.Node]:
    import yaml

    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    return []


def expanded_size(root: yaml.Node, limit: int) -> int:
    """The number of nodes ``root`` has with every alias expanded, counted without expanding.

    Raises ``yaml.constructor.ConstructorError`` (a ``yaml.YAMLError`` with ``problem`` and
    ``problem_mark``, like any other YAML error) when that exceeds ``limit`` or a node contains itself.
    """
    import yaml

    sizes: dict[int, int] = {}
    on_path: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, children_done = stack.pop()
        key = id(node)
        if children_done:
            on_path.discard(key)
            size = 1 + sum(sizes[id(child)] for child in _children(node))
            if size > limit:
                raise yaml.constructor.ConstructorError(
                    None,
                    None,
                    f"YAML aliases expand this document by more than {MAX_ALIAS_EXPANSION:,} values "
                    "(a 'billion laughs' document?); write the values out instead",
                    node.start_mark,
                )
            sizes[key] = size
            continue
        if key in sizes:
            continue
        if key in on_path:
            raise yaml.constructor.ConstructorError(
                None,
                None,
                "a YAML alias refers to the node that contains it (a recursive document); remove it",
                node.start_mark,
            )
        on_path.add(key)
        stack.append((node, True))
        stack.extend((child, False) for child in _children(node) if id(child) not in sizes)
    return sizes[id(root)]


def _distinct_nodes(root: yaml.Node) -> int:
    seen: set[int] = set()
    stack = [root]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        stack.extend(_children(node))
    return len(seen)


def compose(text: str) -> yaml.Node | None:
    """The node graph of the (first) YAML document in ``text``, alias expansion checked.

    Raises ``yaml.YAMLError`` for invalid YAML and for a document whose aliases would expand it
    by more than :data:`MAX_ALIAS_EXPANSION` nodes.
    """
    import yaml

    root: yaml.Node | None = yaml.compose(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    if root is not None and "*" in text:  # no alias, nothing to expand
        expanded_size(root, _distinct_nodes(root) + MAX_ALIAS_EXPANSION)
    return root


def construct(node: yaml.Node | None) -> Any:
    """The Python value of a composed node, as ``yaml.safe_load`` would give it."""
    import yaml

    if node is None:
        return None
    return yaml.constructor.SafeConstructor().construct_document(node)


def load(text: str, loader: type[Any] | None = None) -> Any:
    """``yaml.safe_load`` with alias expansion bounded (:func:`compose`).

    ``loader``: a SafeLoader subclass whose constructors build the values (extra tags it accepts,
    such as the Ruby tags of Looker's dashboard exports); the default is PyYAML's safe constructor.
    """
    node = compose(text)
    if loader is None or node is None:
        return construct(node)
    return loader("").construct_document(node)


def duplicate_keys(root: yaml.Node | None) -> list[DuplicateKey]:
    """Every scalar key repeated in a mapping of the document (YAML keeps the last one), in order."""
    import yaml

    found: list[DuplicateKey] = []
    seen_nodes: set[int] = set()
    stack = [root] if root is not None else []
    while stack:
        node = stack.pop()
        if id(node) in seen_nodes:
            continue
        seen_nodes.add(id(node))
        if isinstance(node, yaml.MappingNode):
            first: dict[str, int] = {}
            for key_node, _value in node.value:
                if not isinstance(key_node, yaml.ScalarNode):
                    continue
                line = key_node.start_mark.line + 1
                if key_node.value in first:
                    found.append(DuplicateKey(key_node.value, line, first[key_node.value]))
                else:
                    first[key_node.value] = line
        stack.extend(reversed(_children(node)))
    return sorted(found, key=lambda dup: dup.line)
