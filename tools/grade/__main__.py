"""``python -m tools.grade``: the command line (and, with ``--worker``, a worker process)."""

import sys

from tools.grade.cli import main

if __name__ == "__main__":
    sys.exit(main())
