"""Looker's published OpenAPI 4.0 spec as a contract for the fake server and the crawler.

The spec is vendored in the repository, ``tests/fake_looker/spec/Looker.4.0.oas.json`` (MIT, with its
licence and origin beside it), so a fresh clone needs nothing beside it. It is OpenAPI 3.0:
schemas under ``components.schemas``, ``nullable: true`` on nullable properties, ``$ref``s that
cannot carry ``nullable`` (OpenAPI 3.0 ignores siblings of ``$ref``).

Converted to JSON Schema (draft 2020-12) for ``jsonschema``:
- ``nullable: true`` adds ``null`` to the type (and enum);
- a property that is only a ``$ref`` (a nested object) also accepts ``null``: Looker answers
  ``null`` for an absent nested object (a text tile's ``query``), and OpenAPI 3.0 cannot say so;
- objects forbid properties the spec does not list (a field the fake invents, or spells
  differently from Looker, is an error) and the write-only ones (``x-looker-write-only``:
  a connection's password is never sent back);
- with ``fields=`` in the request, Looker answers only the fields asked for, so ``required``
  is not checked then.
"""

from __future__ import annotations

import copy
import json
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

SPEC_PATH = Path(__file__).resolve().parent / "spec" / "Looker.4.0.oas.json"
API_PREFIX = "/api/4.0"
# looker-sdk logs out at /api/logout (no version): the spec's /logout.
UNVERSIONED = {"/api/logout": "/logout"}


class SpecMissing(Exception):
    """The spec file is not where the contract tests look for it."""


def _convert(node: Any, *, keep_required: bool, in_properties: bool = False) -> Any:
    if isinstance(node, list):
        return [_convert(v, keep_required=keep_required) for v in node]
    if not isinstance(node, dict):
        return node
    if in_properties:  # node maps property names to schemas
        return {
            name: _nullable_ref(_convert(sub, keep_required=keep_required))
            for name, sub in node.items()
            if not (isinstance(sub, dict) and sub.get("x-looker-write-only"))
        }
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key in {"nullable", "readOnly", "writeOnly", "example", "description", "format"}:
            continue
        if key.startswith("x-"):
            continue
        if key == "required" and not keep_required:
            continue
        if key == "$ref":
            out[key] = value.replace("#/components/schemas/", "#/$defs/")
            continue
        out[key] = _convert(value, keep_required=keep_required, in_properties=key == "properties")
    if out.get("type") == "any":  # Looker's spec says "any" for free-form values (vis_config...)
        del out["type"]
    poly = node.get("x-looker-polymorphic-types")
    if poly:
        out.pop("type", None)
        out["anyOf"] = [_convert(p, keep_required=keep_required) for p in poly]
    if node.get("nullable") is True:
        if isinstance(out.get("type"), str):
            out["type"] = [out["type"], "null"]
        if "enum" in out:
            out["enum"] = [*out["enum"], None]
        if "anyOf" in out:
            out["anyOf"] = [*out["anyOf"], {"type": "null"}]
    if "properties" in out and "additionalProperties" not in out:
        out["additionalProperties"] = False
    return out


def _nullable_ref(schema: Any) -> Any:
    if isinstance(schema, dict) and set(schema) == {"$ref"}:
        return {"anyOf": [schema, {"type": "null"}]}
    return schema


@dataclass(frozen=True)
class Operation:
    template: str  # the spec's path, e.g. /dashboards/{dashboard_id}
    method: str
    spec: dict[str, Any]

    def parameters(self, where: str) -> dict[str, dict[str, Any]]:
        return {p["name"]: p for p in self.spec.get("parameters", ()) if p.get("in") == where}

    def response(self, status: int) -> dict[str, Any] | None:
        answer = self.spec.get("responses", {}).get(str(status))
        return answer if isinstance(answer, dict) else None


class Contract:
    """Looks requests and answers up in the spec; every check returns a list of problems."""

    def __init__(self, spec: dict[str, Any]) -> None:
        self.spec = spec
        self.schemas: dict[str, Any] = spec["components"]["schemas"]
        self._defs = {
            keep: {name: _convert(schema, keep_required=keep) for name, schema in self.schemas.items()}
            for keep in (True, False)
        }
        self._validators: dict[tuple[str, bool], Any] = {}
        self._paths = [
            (re.compile("^" + re.sub(r"\\\{[A-Za-z_]+\\\}", "[^/]+", re.escape(t)) + "$"), t)
            for t in spec["paths"]
        ]

    # -- lookup ----------------------------------------------------------------------------------

    def spec_path(self, wire_path: str) -> str:
        """``/api/4.0/dashboards/12`` -> ``/dashboards/12`` (the path under the spec's server)."""
        if wire_path in UNVERSIONED:
            return UNVERSIONED[wire_path]
        return wire_path[len(API_PREFIX) :] if wire_path.startswith(API_PREFIX + "/") else wire_path

    def operation(self, method: str, wire_path: str) -> Operation | None:
        path = self.spec_path(wire_path)
        # A literal segment beats a parameter (/dashboards/search over /dashboards/{dashboard_id}).
        matches = sorted((t for pattern, t in self._paths if pattern.match(path)), key=lambda t: t.count("{"))
        for template in matches:
            op = self.spec["paths"][template].get(method.lower())
            if op is not None:
                return Operation(template, method.upper(), op)
        return None

    def operation_for_template(self, method: str, route_template: str) -> Operation | None:
        """The spec operation for one of the fake server's route templates, matched exactly."""
        template = self.spec_path(route_template)
        op = self.spec["paths"].get(template, {}).get(method.lower())
        return Operation(template, method.upper(), op) if op is not None else None

    def schema_of(self, op: Operation, status: int, content_type: str) -> dict[str, Any] | None:
        answer = op.response(status)
        if answer is None:
            return None
        content = answer.get("content", {})
        media = content.get(content_type) or content.get(content_type.split("/")[0])
        return media.get("schema") if isinstance(media, dict) else None

    # -- checks ----------------------------------------------------------------------------------

    def validate(self, schema: dict[str, Any], value: Any, *, keep_required: bool = True) -> list[str]:
        """Problems of ``value`` against an OpenAPI schema (``$ref``s into components)."""
        from jsonschema import Draft202012Validator

        key = (json.dumps(schema, sort_keys=True), keep_required)
        validator = self._validators.get(key)
        if validator is None:
            root = dict(_convert(schema, keep_required=keep_required))
            root["$defs"] = self._defs[keep_required]
            validator = self._validators[key] = Draft202012Validator(root)
        return [
            f"{'/'.join(str(p) for p in error.absolute_path) or '(top)'}: {error.message[:300]}"
            for error in (_innermost(e) for e in validator.iter_errors(value))
        ]

    def check_answer(
        self,
        method: str,
        wire_path: str,
        query: dict[str, list[str]],
        status: int,
        content_type: str,
        body: bytes,
    ) -> list[str]:
        """Problems of one answer: status, content type and body against the operation's schema."""
        op = self.operation(method, wire_path)
        if op is None:
            return [f"{method} {wire_path}: no such operation in the spec"]
        answer = op.response(status)
        if answer is None:
            return [f"{method} {op.template}: the spec lists no HTTP {status} answer"]
        content = answer.get("content", {})
        if status == 204:
            return [] if body == b"" else [f"{method} {op.template}: 204 with a body"]
        if content_type == "application/json":
            schema = self.schema_of(op, status, content_type)
            if schema is None:
                return [f"{method} {op.template}: HTTP {status} is not JSON in the spec"]
            try:
                value = json.loads(body)
            except ValueError as exc:
                return [f"{method} {op.template}: not JSON ({exc})"]
            problems = self.validate(schema, value, keep_required="fields" not in query)
            return [f"{method} {op.template} HTTP {status}: {p}" for p in problems]
        # Text answers (generated SQL): the spec lists them as media type "text".
        if "text" in content and content_type.startswith("text/"):
            return []
        return [f"{method} {op.template}: HTTP {status} as {content_type} is not in the spec"]

    def check_request(self, method: str, wire_path: str, query: dict[str, list[str]]) -> list[str]:
        """Problems of one request: the operation, each query parameter and its value, ``fields=``."""
        op = self.operation(method, wire_path)
        if op is None:
            return [f"{method} {wire_path}: no such operation in the spec"]
        where = f"{method} {op.template}"
        declared = op.parameters("query")
        problems: list[str] = []
        for name, values in sorted(query.items()):
            param = declared.get(name)
            if param is None:
                problems.append(f"{where}: query parameter {name!r} is not in the spec")
                continue
            for value in values:
                if not _fits(param.get("schema", {}), value):
                    problems.append(f"{where}: {name}={value!r} does not fit {param.get('schema')}")
            if name == "fields":
                schema = self.schema_of(op, 200, "application/json")
                if schema is not None:
                    problems += [f"{where}: {p}" for p in self.check_fields(schema, values[-1])]
        return problems

    def check_fields(self, schema: dict[str, Any], fields: str) -> list[str]:
        """Names in a nested ``fields=`` that the answer's schema does not have."""
        from fake_looker.server import parse_fields

        return self._fields_in(schema, parse_fields(fields), "")

    def _fields_in(self, schema: dict[str, Any], tree: dict[str, Any], prefix: str) -> list[str]:
        schema = self._object_schema(schema)
        props = schema.get("properties", {})
        problems = []
        for name, sub in tree.items():
            if name not in props:
                problems.append(f"field {prefix + name!r} is not a property of the answer's schema")
            elif sub is not None:
                problems += self._fields_in(props[name], sub, f"{prefix}{name}.")
        return problems

    def _object_schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        while True:
            if "$ref" in schema:
                schema = self.schemas[schema["$ref"].rsplit("/", 1)[-1]]
            elif schema.get("type") == "array":
                schema = schema.get("items", {})
            else:
                return schema

    def properties(self, schema_name: str) -> set[str]:
        return set(self.schemas[schema_name].get("properties", {}))


def _innermost(error: Any) -> Any:
    """Through ``anyOf: [X, null]``: the error of X, not "is not valid under any of the schemas"."""
    while error.context:
        real = [e for e in error.context if not (e.validator == "type" and e.validator_value == "null")]
        if len(real) != 1:
            break
        error = real[0]
    return error


def _fits(schema: dict[str, Any], value: str) -> bool:
    kind = schema.get("type", "string")
    if kind == "integer":
        return re.fullmatch(r"-?\d+", value) is not None
    if kind == "boolean":
        return value in {"true", "false"}
    if kind == "array":  # style: simple, explode: false -> comma-separated
        return all(_fits(schema.get("items", {}), v) for v in value.split(","))
    return kind == "string"


@cache
def load_contract(path: Path = SPEC_PATH) -> Contract:
    """The contract from Looker's spec. Raises ``SpecMissing`` with what to do if it is absent."""
    try:
        spec = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SpecMissing(
            f"Looker's API spec not found at {path}: the contract tests read the copy vendored "
            "in tests/fake_looker/spec/; restore it from git (`git checkout -- tests/fake_looker/spec`)"
        ) from None
    if not str(spec.get("openapi", "")).startswith("3."):
        raise SpecMissing(f"{path} is not an OpenAPI 3 document (openapi: {spec.get('openapi')!r})")
    return Contract(copy.deepcopy(spec))
