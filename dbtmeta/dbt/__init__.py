"""dbt's files and graph: artifacts, strict validation, lineage, impact, the project's YAML."""
