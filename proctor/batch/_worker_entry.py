"""``python -m proctor.batch._worker_entry JOB_JSON``: a local worker process (see :mod:`._worker`).

A module the package does not import, so ``-m`` runs it without importing it twice.
"""

import sys

from proctor.batch._worker import main

if __name__ == "__main__":
    sys.exit(main())
