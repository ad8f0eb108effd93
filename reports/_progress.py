"""Progress of long work (``casebook run``, ``build``, ``verify``) on the standard error.

One :class:`Reporter` per command. Each case (or other task) gets a callback
``progress(done, total, what)`` from :meth:`Reporter.task`, the signature
:func:`cases.run_case` calls before each step (the world, each variant, each
sweep point, each mitigation). On a terminal each task is a tqdm bar with what
is running and the time left; when the standard error is not a terminal (CI,
a log file) each step is one plain line; with ``quiet`` nothing is shown.
Log lines go through :meth:`Reporter.log`, which writes them above the bars.

``casebook build`` runs cases in worker processes: there the callbacks put
``("progress", task, done, total, what)`` and ``("log", task, line)`` on a
queue (:func:`queue_callbacks`), and a thread of the main process hands them
to the reporter (:meth:`Reporter.listen`).
"""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Callable
from typing import IO, Any

Progress = Callable[[int, int, str], None]
BAR_FORMAT = "{desc}: {n_fmt}/{total_fmt} steps |{bar:20}| {elapsed}<{remaining}{postfix}"


def _is_terminal(stream: IO[str]) -> bool:
    """A terminal with a width (a pseudo-terminal of zero columns cannot draw a bar)."""
    if not getattr(stream, "isatty", lambda: False)():
        return False
    try:
        return os.get_terminal_size(stream.fileno()).columns > 0
    except (OSError, ValueError, AttributeError):
        return True  # a terminal-like stream without a file descriptor (a test's)


def _duration(seconds: float) -> str:
    seconds = int(round(seconds))
    if seconds < 60:
        return f"{seconds} s"
    minutes, s = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {s:02d} s"
    hours, m = divmod(minutes, 60)
    return f"{hours} h {m:02d} min"


class Reporter:
    """Progress bars on a terminal, plain lines elsewhere, nothing when quiet.

    Parameters
    ----------
    stream : file, optional
        Where to write (default: the standard error).
    quiet : bool
        Show nothing (:meth:`log` lines are kept, see :attr:`held`).
    tty : bool, optional
        Draw bars (default: whether ``stream`` is a terminal with a width).
    clock : callable
        Seconds, for the time left (a test passes a fake clock).

    Examples
    --------
    >>> import io
    >>> out = io.StringIO()
    >>> r = Reporter(out, tty=False, clock=iter([0, 10, 20, 30]).__next__)
    >>> step = r.task("hiring")
    >>> step(0, 2, "world")
    >>> step(1, 2, "sweep")
    >>> step(2, 2, "done")
    >>> print(out.getvalue(), end="")
    hiring: step 1/2: world
    hiring: step 2/2: sweep (1/2 done in 10 s, about 10 s left)
    hiring: done, 2 steps in 20 s
    """

    def __init__(self, stream: IO[str] | None = None, quiet: bool = False,
                 tty: bool | None = None, clock: Callable[[], float] = time.monotonic):
        self.stream = stream if stream is not None else sys.stderr
        self.quiet = quiet
        self.tty = _is_terminal(self.stream) if tty is None else tty
        self.clock = clock
        self.held: list[str] = []
        self._bars: dict[str, Any] = {}
        self._started: dict[str, float] = {}
        self._lock = threading.RLock()

    # ---------------------------------------------------------------- lines

    def log(self, message: str) -> None:
        """A line of the command's log (above the bars; held back when quiet)."""
        with self._lock:
            if self.quiet:
                self.held.append(message)
                return
            if self.tty and self._bars:
                from tqdm import tqdm

                tqdm.write(message, file=self.stream)
            else:
                print(message, file=self.stream, flush=True)

    def flush_held(self) -> None:
        """Print the lines held back by ``quiet`` (when the command fails, say)."""
        with self._lock:
            for line in self.held:
                print(line, file=self.stream, flush=True)
            self.held.clear()

    # ---------------------------------------------------------------- tasks

    def task(self, name: str) -> Progress:
        """The ``progress(done, total, what)`` callback of one task."""
        return lambda done, total, what: self.update(name, done, total, what)

    def update(self, name: str, done: int, total: int, what: str) -> None:
        """Task ``name`` has done ``done`` of ``total`` steps and is now running ``what``."""
        if self.quiet:
            return
        with self._lock:
            now = self.clock()
            start = self._started.setdefault(name, now)
            if self.tty:
                self._bar(name, done, total, what)
                return
            finished = done >= total
            if finished:
                line = f"{name}: done, {total} steps in {_duration(now - start)}"
            else:
                line = f"{name}: step {done + 1}/{total}: {what}"
                if done:
                    elapsed = now - start
                    left = elapsed / done * (total - done)
                    line += (f" ({done}/{total} done in {_duration(elapsed)}, about "
                             f"{_duration(left)} left)")
            print(line, file=self.stream, flush=True)

    def _bar(self, name: str, done: int, total: int, what: str) -> None:
        from tqdm import tqdm

        bar = self._bars.get(name)
        if bar is None:
            bar = tqdm(total=total, desc=name, file=self.stream, bar_format=BAR_FORMAT,
                       position=len(self._bars), leave=True, dynamic_ncols=True)
            self._bars[name] = bar
        if bar.total != total:
            bar.total = total
        bar.n = done
        bar.set_postfix_str(what if done < total else "done", refresh=False)
        bar.refresh()
        if done >= total:
            bar.close()

    def close(self) -> None:
        """Close every bar still open."""
        with self._lock:
            for bar in self._bars.values():
                bar.close()
            self._bars.clear()

    # ---------------------------------------------------------------- processes

    def listen(self, queue: Any) -> threading.Thread:
        """Hand what worker processes put on ``queue`` to this reporter, in a thread.

        A log line is shown as ``[task] line``. The thread stops at a ``None``
        on the queue.
        """
        def run() -> None:
            while True:
                item = queue.get()
                if item is None:
                    return
                if item[0] == "progress":
                    _, name, done, total, what = item
                    self.update(name, done, total, what)
                elif item[0] == "log":
                    self.log(f"[{item[1]}] {item[2]}")

        thread = threading.Thread(target=run, name="casebook-progress", daemon=True)
        thread.start()
        return thread


def queue_callbacks(queue: Any, name: str) -> tuple[Callable[[str], None], Progress]:
    """``(log, progress)`` for a worker process: both put what they get on ``queue``."""
    def log(message: str) -> None:
        queue.put(("log", name, message))

    def progress(done: int, total: int, what: str) -> None:
        queue.put(("progress", name, done, total, what))

    return log, progress
