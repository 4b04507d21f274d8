"""One ingest process of the multi-writer test: ``python _ingest_worker.py SERVER_URL CLIENT_DIR FILE``.

Each writer has its own client directory (manifest, writer lock), as ingest processes on separate hosts
would, and writes through Proctor's store to the one chroma server. Prints the ingest report as JSON.
"""

from __future__ import annotations

import sys

from _corpus import settings_for  # type: ignore[import-not-found]  # run as a script beside it

from proctor.retrieval import LiteratureIndex, ingest

if __name__ == "__main__":
    url, client_dir, path = sys.argv[1:4]
    report = ingest(LiteratureIndex(settings_for(url, client_dir)), [path], show_progress=False)
    print(report.model_dump_json())
