"""Exposure health: the model, its computation from dbt artifacts, the report a command shows."""
