"""Generated corpora for the chroma tests: abstract-only papers, one passage each, ids ``<prefix><n>``."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

from proctor.retrieval import RetrievalSettings

WORDS = ("attention graph molecule backdoor sparse transformer kernel regression optimizer gradient noise "
         "label calibration pruning distillation").split()


def paper(prefix: str, i: int) -> dict[str, object]:
    words = [WORDS[(i * 7 + k * 3 + len(prefix)) % len(WORDS)] for k in range(12)]
    return {"id": f"{prefix}{i:05d}", "title": f"{prefix} paper {i} on {' '.join(words[:3])}",
            "abstract": f"We study {' '.join(words)} in setting {i} of corpus {prefix}.", "year": 2023}


def write_corpus(path: Path, prefix: str, n: int) -> Path:
    with gzip.open(path, "wt", encoding="utf-8") as fh:
        for i in range(n):
            fh.write(json.dumps(paper(prefix, i)) + "\n")
    return path


def settings_for(url: str, client_dir: str | Path) -> RetrievalSettings:
    """Retrieval settings of one host: the shared server, its own client directory, the hashing embedder."""
    return RetrievalSettings(embedder="hashing", server_url=url, index_dir=str(client_dir), chunk_min_chars=40,
                             chunk_max_chars=400)
