"""The terminal review console (``proctor tui``): the audit queue, runs and papers in one Textual app.

Researchers supervise Proctor over SSH: held actions from every run's audit queue, most suspicious
(calibrated percentile) first, with their evidence and one key per decision; a live list of runs
with their event timelines, pause and cancel requests; and each run's papers beside their AI
review, with a human review in the same NeurIPS form and a publication decision. Everything is
re-read from disk (the queue and the run store are the source of truth), so the console works
against runs in other processes, and a decision resumes a paused run in a detached process.
"""

from proctor.tui._app import ProctorApp
from proctor.tui._papers import PaperRef, list_papers, write_human_review, write_publication
from proctor.tui._run_control import (
    ResumeLauncher,
    cancel_run,
    detached_launcher,
    request_path,
    resume_argv,
    start_resume,
    write_request,
)
from proctor.tui._store import HeldItem, RunGone, RunSummary, Store

__all__ = [
    "HeldItem",
    "PaperRef",
    "ProctorApp",
    "ResumeLauncher",
    "RunGone",
    "RunSummary",
    "Store",
    "cancel_run",
    "detached_launcher",
    "list_papers",
    "request_path",
    "resume_argv",
    "start_resume",
    "write_human_review",
    "write_publication",
    "write_request",
]
