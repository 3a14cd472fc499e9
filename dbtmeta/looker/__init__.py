"""Looker content from three interchangeable sources: the API, a LookML repository, a snapshot.

Must not: know about dbt nodes: mapping Looker's tables to them is :mod:`dbtmeta.exposures.resolve`'s.
"""
