"""``meta.referenced_columns``: the columns each Looker dashboard's tiles read, in the form
Elementary's ``exposure_schema_validity`` test reads (docs/sync-exposures.md#referenced-columns).

Elementary (dbt package ``elementary-data/dbt-data-reliability``,
``macros/edr/tests/test_exposure_schema_validity.sql``) reads each exposure's meta (``config.meta``
merged with ``meta``, ``meta`` winning) key ``referenced_columns``: a list of mappings with
``column_name`` (compared upper-cased with the warehouse's columns), optional ``data_type``
(compared exactly with Elementary's *normalised* type of the warehouse column: ``string``,
``numeric``, ``timestamp``, ``boolean`` or ``other``, by its per-adapter type lists) and optional
``node``: ``ref('name')`` is rendered through ``ref()``, any other string is lower-cased and
compared with the tested relation's rendered name, lower-cased.

``node`` is the relation's name as dbt renders it (the manifest's ``relation_name``), lower-cased:
the string the macro compares. Not ``ref('name')``, though Elementary's docs show it: the macro
calls that ``ref()`` inside the test of another model, and dbt stops the test ("dbt was unable to
infer all dependencies") as soon as two exposures read that model and one of them reads another
node too (checked with the package on the example). ``data_type`` is written only from the
catalog, and only for an adapter whose type lists are known here; a field that cannot be traced,
or a table that resolves to no node, adds nothing and is reported.

Must not: print anything or read files.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from dbtmeta.columns.usage import Resolve, columns_of, tile_lineages
from dbtmeta.dbt.artifacts import Manifest
from dbtmeta.dbt.columns import Catalog, DbtColumns
from dbtmeta.exposures.yaml_file import looker_key
from dbtmeta.looker.content import Dashboard, LookerContent
from dbtmeta.looker.fields import FieldTracer, tile_fields

META_KEY = "referenced_columns"

# Elementary's normalised types and, per adapter it dispatches on, the warehouse types of each
# (``data_type_list``; compared lower-cased, after cutting a ``(precision)``). Read from the
# package's macros/utils/data_types/ (main branch, July 2026). Anything else is ``other``.


def _names(text: str) -> tuple[str, ...]:
    return tuple(text.split(","))


_STRING = _names("character varying,varchar,character,char,text,nchar,bpchar,string")
_TIMESTAMP = _names("date,timestamp,timestamptz,timestamp without time zone,timestamp with time zone")
_DEFAULT = {
    "string": _STRING,
    "numeric": _names(
        "integer,bigint,smallint,decimal,numeric,real,double precision,enum,int2,int4,int,int8,float8,float"
    ),
    "timestamp": _TIMESTAMP,
    "boolean": ("boolean",),
}
_SPARK = {
    "string": ("string",),
    "numeric": _names("int,bigint,smallint,tinyint,float,double,long,short,decimal,numeric"),
    "timestamp": _names("timestamp,date,timestamp_ltz,timestamp_ntz"),
    "boolean": ("boolean",),
}
_TRINO = {
    "string": _names("string,varchar,char"),
    "numeric": _names("int,integer,bigint,smallint,tinyint,float,real,double,decimal,numeric"),
    "timestamp": _names("timestamp,date"),
    "boolean": ("boolean",),
}
_FABRIC = {
    "string": _names("varchar,nvarchar,char,nchar,text,ntext,string"),
    "numeric": _names("int,bigint,smallint,tinyint,decimal,numeric,float,real,money,smallmoney"),
    "timestamp": _names("datetime,datetime2,date,smalldatetime,datetimeoffset,time"),
    "boolean": ("bit",),
}
ELEMENTARY_TYPES: dict[str, dict[str, tuple[str, ...]]] = {
    "default": _DEFAULT,
    "postgres": _DEFAULT,
    "redshift": _DEFAULT,
    "bigquery": {
        "string": ("string",),
        "numeric": _names("int64,numeric,bignumeric,float64,integer"),
        "timestamp": _names("date,datetime,timestamp"),
        "boolean": _names("bool,boolean"),
    },
    "snowflake": {
        "string": _names("varchar,char,character,string,text"),
        "numeric": _names(
            "number,decimal,numeric,int,integer,bigint,smallint,tinyint,byteint,float,float4,float8,"
            "double,double precision,real"
        ),
        "timestamp": _names("date,datetime,time,timestamp,timestamp_ltz,timestamp_ntz,timestamp_tz"),
        "boolean": ("boolean",),
    },
    "spark": _SPARK,
    "databricks": _SPARK,
    "fabricspark": _SPARK,
    "athena": _TRINO,
    "trino": _TRINO,
    "clickhouse": {
        "string": _names("string,fixedstring,lowcardinality(string)"),
        "numeric": _names(
            "int8,int16,int32,int64,uint8,uint16,uint32,uint64,float32,float64,decimal,decimal32,"
            "decimal64,decimal128,numeric"
        ),
        "timestamp": _names("datetime,date,date32"),
        "boolean": _names("uint8,bool"),
    },
    "duckdb": {
        "string": _STRING,
        "numeric": _names(
            "integer,bigint,smallint,tinyint,decimal,numeric,real,double,double precision,float,int2,"
            "int4,int,int8,float4,float8,hugeint,ubigint,uinteger,usmallint,utinyint,uhugeint"
        ),
        "timestamp": _TIMESTAMP,
        "boolean": ("boolean",),
    },
    "fabric": _FABRIC,
    "sqlserver": _FABRIC,
    "dremio": {
        "string": _names("varchar,character varying"),
        "numeric": _names("int,integer,bigint,double,decimal,float,smallint,tinyint,numeric"),
        "timestamp": _names("date,time,timestamp,time with time zone,timestamp with time zone"),
        "boolean": _names("boolean,bit"),
    },
}
_CATEGORIES = ("string", "numeric", "timestamp", "boolean")  # Elementary's order of the checks


def elementary_type(adapter: str | None, data_type: str) -> str | None:
    """The type Elementary compares ``data_type`` (a warehouse type) as, on ``adapter``; None when
    the adapter's lists are not known here (it may dispatch to its own)."""
    lists = ELEMENTARY_TYPES.get((adapter or "").lower())
    if lists is None:
        return None
    base = data_type.split("(")[0].lower()
    return next((c for c in _CATEGORIES if base in lists[c]), "other")


@dataclass
class ReferencedColumns:
    """Looker key (``dashboard:ID`` / ``look:ID``) -> its ``referenced_columns`` items; and what could
    not be traced or resolved, one line each (``<title> (<id>): <where>: <problem>``)."""

    items: dict[str, list[dict[str, str]]] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)


def referenced_columns(
    content: LookerContent,
    resolve: Resolve,
    manifest: Manifest,
    catalog: Catalog | None,
    dashboards: Iterable[Dashboard] | None = None,
) -> ReferencedColumns:
    """The columns the tiles of each of ``dashboards`` (default: all of ``content``, Looks included)
    read, as Elementary's items, sorted by node then column name (the same input gives the same
    lists); ``resolve``: a table as Looker names it -> its dbt node (as sync-exposures resolves)."""
    known = DbtColumns(manifest, catalog)
    tracer = FieldTracer(content, columns_of(resolve, known))
    nodes = _NodeNames(manifest)
    found = ReferencedColumns()
    for dashboard in dashboards if dashboards is not None else content.dashboards:
        read: dict[tuple[str, str], str] = {}  # (unique id, column lower-cased) -> column as read
        problems: set[str] = set()
        for tile in tile_fields(content, dashboard):
            for lineage in tile_lineages(tracer, tile):
                problems.update(f"{lineage.where}: {p}" for p in lineage.problems)
                for ref in lineage.columns:
                    unique_id, why = resolve(ref.table, ref.connection)
                    if unique_id is None:
                        problems.add(f"{lineage.where}: {lineage.field}: table {ref.table}: {why}")
                        continue
                    read.setdefault((unique_id, ref.column.lower()), ref.column)
        label = f"{dashboard.title} ({dashboard.id})"
        items = _items(read, known, nodes, manifest.adapter_type, problems)
        found.problems.extend(f"{label}: {p}" for p in sorted(problems))
        if items:
            found.items[looker_key(dashboard.kind, dashboard.id)] = items
    return found


def _items(
    read: Mapping[tuple[str, str], str],
    known: DbtColumns,
    nodes: _NodeNames,
    adapter: str | None,
    problems: set[str],
) -> list[dict[str, str]]:
    items: list[tuple[tuple[str, str, str], dict[str, str]]] = []
    for (unique_id, _lower), as_read in read.items():
        node = nodes.node(unique_id)
        if node is None:
            problems.add(f"{unique_id}: no relation in the warehouse (ephemeral?): its columns are left out")
            continue
        columns = known.of(unique_id)
        column = columns.get(as_read)
        item = {"column_name": column.name if column else as_read}
        if column is not None and column.type and columns.source == "catalog":
            normalised = elementary_type(adapter, column.type)
            if normalised is not None:
                item["data_type"] = normalised
        item["node"] = node
        items.append(((node, item["column_name"].lower(), item["column_name"]), item))
    return [item for _key, item in sorted(items, key=lambda pair: pair[0])]


class _NodeNames:
    """How ``node`` names each dbt node: its relation as dbt renders it, lower-cased (see the module's
    docstring for why not ``ref('name')``)."""

    def __init__(self, manifest: Manifest) -> None:
        self.manifest = manifest

    def node(self, unique_id: str) -> str | None:
        """The relation name in lower case; None without a relation (an ephemeral model)."""
        raw: dict[str, Any] = self.manifest.nodes.get(unique_id) or self.manifest.sources.get(unique_id) or {}
        relation = raw.get("relation_name")
        return relation.lower() if isinstance(relation, str) and relation else None
