"""Column-level lineage: the Looker fields, tiles and dashboards that read each dbt column."""
