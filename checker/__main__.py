"""`python -m replicheck`: the same command line as the `replicheck` script.

Must not import: anything but `replicheck.cli`.
"""

from replicheck.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
