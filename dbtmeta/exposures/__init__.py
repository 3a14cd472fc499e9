"""Everything about exposures YAML: tables -> dbt nodes, naming, the generated file, sync, checks."""
