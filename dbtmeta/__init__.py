"""dbtmeta: dbt exposures from Looker, and dashboard health from dbt artifacts."""

__version__ = "0.1.0"
