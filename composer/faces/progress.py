"""The progress display every command shares: a rich bar on stderr while a terminal watches, else log lines."""

from __future__ import annotations

import contextlib
import sys
import time
from collections.abc import Callable, Iterator

LOG_EVERY_SECONDS = 10.0  # without a terminal (a log file, CI): one line this often, and one at the end


@contextlib.contextmanager
def progress_bar(label: str, log_every: float = LOG_EVERY_SECONDS) -> Iterator[Callable[[int, int], None]]:
    """A rich progress bar on stderr; yields a callback taking (done, total). When stderr is not a terminal,
    a plain line `label: done/total (pct)` every `log_every` seconds and when the work is done."""
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeRemainingColumn

    console = Console(stderr=True)
    if not console.is_terminal:
        started = last = time.monotonic()
        state = {"done": 0, "total": 0}

        def log(done: int, total: int) -> None:
            nonlocal last
            state.update(done=done, total=total)
            now = time.monotonic()
            if now - last >= log_every or (done >= total > 0):
                last = now
                print(f"{label}: {done}/{total} ({100 * done / max(total, 1):.0f}%, {now - started:.0f} s)",
                      file=sys.stderr, flush=True)

        yield log
        return
    with Progress(TextColumn("{task.description}"), BarColumn(), TaskProgressColumn(), TimeRemainingColumn(),
                  console=console, transient=True) as progress:
        task = progress.add_task(label, total=1)

        def update(done: int, total: int) -> None:
            progress.update(task, completed=done, total=max(total, 1))

        yield update
