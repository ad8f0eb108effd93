"""A stand-in for a case run in a worker process, for the test of build's progress queue."""

from __future__ import annotations


def report_steps(name: str, steps: int) -> str:
    """Report ``steps`` steps and a log line, the way ``reports.build._run_one`` does."""
    from reports import build
    from reports._progress import queue_callbacks

    log, progress = queue_callbacks(build._PROGRESS_QUEUE, name)
    for i in range(steps):
        progress(i, steps, f"step {i}")
    log("ran")
    progress(steps, steps, "done")
    return name
