"""Docstrings of the package, checked on every module with ``ast`` (issue 8).

Every module has a docstring (an empty ``__init__.py`` may go without); every public function, every
public class and every public method of a public class (property getters included) has one. Public
means the name does not start with ``_``; dunder methods are not public here. Nested functions and
the members of private classes are the author's business. A property's setter or deleter and an
``@overload`` stub share the docstring of the function they belong to.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "dbtmeta"

_Definition = ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef


def _is_public(name: str) -> bool:
    return not name.startswith("_")


def _shares_a_docstring(node: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    """A property's ``@x.setter``/``@x.deleter``, or an ``@overload`` stub."""
    for decorator in node.decorator_list:
        if isinstance(decorator, ast.Attribute) and decorator.attr in {"setter", "deleter"}:
            return True
        if isinstance(decorator, ast.Name) and decorator.id == "overload":
            return True
        if isinstance(decorator, ast.Attribute) and decorator.attr == "overload":
            return True
    return False


def _definitions(body: list[ast.stmt]) -> Iterator[_Definition]:
    """Definitions of a module or class body, those under ``if``/``try``/``with`` blocks included."""
    for statement in body:
        if isinstance(statement, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            yield statement
        elif isinstance(statement, ast.If):
            yield from _definitions(statement.body)
            yield from _definitions(statement.orelse)
        elif isinstance(statement, ast.Try):
            for block in (statement.body, statement.orelse, statement.finalbody):
                yield from _definitions(block)
            for handler in statement.handlers:
                yield from _definitions(handler.body)
        elif isinstance(statement, ast.With):
            yield from _definitions(statement.body)


def _undocumented(body: list[ast.stmt], prefix: str, where: str) -> Iterator[str]:
    for node in _definitions(body):
        if not _is_public(node.name):
            continue
        if isinstance(node, ast.ClassDef):
            if ast.get_docstring(node) is None:
                yield f"{where}:{node.lineno}: class {prefix}{node.name}"
            yield from _undocumented(node.body, f"{prefix}{node.name}.", where)
        elif not _shares_a_docstring(node) and ast.get_docstring(node) is None:
            kind = "method" if prefix else "function"
            yield f"{where}:{node.lineno}: {kind} {prefix}{node.name}"


def offenders_in(source: str, where: str, *, is_package_init: bool = False) -> list[str]:
    """What lacks a docstring in one module's source, as ``where:line: kind name``, in file order."""
    tree = ast.parse(source)
    found = []
    empty_init = is_package_init and not tree.body
    if ast.get_docstring(tree) is None and not empty_init:
        found.append(f"{where}:1: module")
    found += _undocumented(tree.body, "", where)
    return found


def offenders() -> list[str]:
    """Every missing docstring of the package, module by module in path order."""
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        where = str(path.relative_to(PACKAGE.parent))
        is_init = path.name == "__init__.py"
        found += offenders_in(path.read_text(encoding="utf-8"), where, is_package_init=is_init)
    return found


def test_every_module_and_public_definition_has_a_docstring() -> None:
    found = offenders()
    assert not found, f"{len(found)} missing docstring(s):\n" + "\n".join(found)


def test_the_checker_reports_each_kind_of_offender() -> None:
    """The check must be able to fail: each undocumented public thing is listed, nothing else."""
    source = '''
import typing

def public(): pass
def _private(): pass

async def fetch(): pass

class Public:
    def method(self): pass
    def _helper(self): pass
    def __init__(self): pass

    @property
    def value(self): pass

    @value.setter
    def value(self, new): pass

    @typing.overload
    def convert(self, x: int) -> int: ...
    def convert(self, x): """Documented."""

    class Inner:
        def deep(self): pass

class _Private:
    def method(self): pass

class Documented:
    """Documented."""

    def method(self):
        """Documented."""

        def nested(): pass

if typing.TYPE_CHECKING:
    def typed(): pass
'''
    assert offenders_in(source, "m.py") == [
        "m.py:1: module",
        "m.py:4: function public",
        "m.py:7: function fetch",
        "m.py:9: class Public",
        "m.py:10: method Public.method",
        "m.py:15: method Public.value",
        "m.py:24: class Public.Inner",
        "m.py:25: method Public.Inner.deep",
        "m.py:39: function typed",
    ]


def test_an_empty_package_init_needs_no_docstring_but_one_with_code_does() -> None:
    assert offenders_in("", "p/__init__.py", is_package_init=True) == []
    assert offenders_in("X = 1\n", "p/__init__.py", is_package_init=True) == ["p/__init__.py:1: module"]
    assert offenders_in("", "p/empty.py") == ["p/empty.py:1: module"]
