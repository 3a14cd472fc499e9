"""dbtmeta: dbt exposures from Looker, and dashboard health from dbt artifacts.

Must not: import anything: ``dbtmeta --help`` and every hook start by importing the package.
"""

__version__ = "0.1.0"
