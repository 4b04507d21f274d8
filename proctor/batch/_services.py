"""The services a batch's runs share across hosts, checked by the driver: PostgreSQL and the chroma server.

A run whose shared store goes away fails with the store's own error in its ``run.json``; the driver
then names the outage once in the batch record and launches nothing more until a resume finds the
service back (each launch is preceded by the same check), so the other runs are not burnt one by
one. Every run it stopped is resumable from its last checkpoint.
"""

from __future__ import annotations

import urllib.request
from dataclasses import dataclass
from urllib.parse import urlsplit

from proctor.settings import BatchSettings


@dataclass(frozen=True)
class Service:
    """One shared service: the setting naming it, and its URL."""

    setting: str
    url: str

    @property
    def where(self) -> str:
        """``host:port/path`` without credentials."""
        parts = urlsplit(self.url if "://" in self.url else f"http://{self.url}")
        port = f":{parts.port}" if parts.port else ""
        return f"{parts.hostname or 'localhost'}{port}{parts.path}"

    def problem(self, timeout_s: float) -> str | None:
        """Why the service cannot be used right now, or None when it answers."""
        try:
            if self.url.startswith(("postgresql", "postgres")):
                import psycopg

                psycopg.connect(self.url.replace("postgresql+psycopg://", "postgresql://", 1),
                                connect_timeout=max(1, int(timeout_s))).close()
            else:
                base = self.url if "://" in self.url else f"http://{self.url}"
                with urllib.request.urlopen(f"{base.rstrip('/')}/api/v2/heartbeat", timeout=timeout_s):  # noqa: S310
                    pass
        except ImportError as exc:
            return f"{self.setting} needs {exc.name or 'a missing package'} (pip install 'proctor[scale]')"
        except Exception as exc:  # noqa: BLE001 - any failure to answer is the outage we report
            first = str(exc).strip().splitlines()[0][:300] if str(exc).strip() else type(exc).__name__
            return f"{self.setting} at {self.where} is unreachable ({first})"
        return None


def shared_services(settings: BatchSettings) -> list[Service]:
    """The services ``settings`` point the batch's runs at."""
    named = [("batch.checkpointer_url", settings.checkpointer_url), ("batch.audit_queue_url", settings.audit_queue_url),
             ("batch.chroma_url", settings.chroma_url)]
    by_url: dict[str, Service] = {}
    for name, url in named:
        if url and not url.startswith("sqlite"):
            by_url.setdefault(url, Service(name, url))  # one check per server, named by the first setting
    return list(by_url.values())


def outage(services: list[Service], timeout_s: float = 5.0) -> str | None:
    """The first shared service that does not answer, said in a sentence; None when all answer."""
    for service in services:
        problem = service.problem(timeout_s)
        if problem:
            return f"{problem}; the runs it stopped are resumable: `proctor batch resume` once it is back"
    return None
