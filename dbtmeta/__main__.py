"""``python -m dbtmeta``: runs :func:`dbtmeta.cli.main`.

Must not: hold any logic of its own: flags, errors and exit codes are all ``cli.main``'s.
"""

from dbtmeta.cli import main

if __name__ == "__main__":
    main()
