"""What every benchmark records beside its figures: the machine, the versions and the date."""

from __future__ import annotations

import datetime
import json
import os
import platform
import sys
import time
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import Progress, TaskID

from composer.faces.progress import LOG_EVERY_SECONDS

RESULTS = Path(__file__).resolve().parent / "results"


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def machine() -> dict[str, Any]:
    return {
        "cpu": cpu_model(),
        "cores": os.cpu_count(),
        "system": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
    }


def versions(*packages: str) -> dict[str, str]:
    found = {}
    for package in ("composer", *packages):
        try:
            found[package] = version(package)
        except PackageNotFoundError:
            found[package] = "not installed"
    return found


def _plain(value: Any) -> Any:
    """numpy scalars (from pretty_midi or music21) as plain numbers."""
    if hasattr(value, "item"):
        return value.item()
    raise TypeError(f"cannot write {type(value).__name__} as JSON")


def write_result(name: str, figures: dict[str, Any], packages: tuple[str, ...] = ()) -> Path:
    """Write benchmarks/results/NAME.json with the figures, the machine, versions and the date."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}.json"
    record = {
        "benchmark": name,
        "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "versions": versions(*packages),
        **figures,
    }
    path.write_text(json.dumps(record, indent=2, default=_plain) + "\n")
    return path


class LoggedProgress(Progress):
    """rich's Progress on stderr. rich draws nothing where stderr is not a terminal (a log file, CI, nohup), so
    there each task says `description: done/total (pct, seconds)` every LOG_EVERY_SECONDS and once when done."""

    def __init__(self) -> None:
        super().__init__(console=Console(stderr=True))
        self._started = time.monotonic()
        self._logged: dict[TaskID, float] = {}
        self._finished: set[TaskID] = set()

    def update(self, task_id: TaskID, **fields: Any) -> None:  # type: ignore[override]
        super().update(task_id, **fields)
        self._log(task_id)

    def advance(self, task_id: TaskID, advance: float = 1) -> None:
        super().advance(task_id, advance)
        self._log(task_id)

    def _log(self, task_id: TaskID) -> None:
        if self.console.is_terminal:
            return
        task = next(t for t in self.tasks if t.id == task_id)
        now = time.monotonic()
        done = task.total is not None and task.completed >= task.total
        if now - self._logged.get(task_id, self._started) < LOG_EVERY_SECONDS and not (done and task_id not in
                                                                                         self._finished):
            return
        self._logged[task_id] = now
        if done:
            self._finished.add(task_id)
        total = f"{task.total:.0f}" if task.total is not None else "?"
        share = f"{100 * task.completed / task.total:.0f}%, " if task.total else ""
        print(f"{task.description}: {task.completed:.0f}/{total} ({share}{now - self._started:.0f} s)",
              file=sys.stderr, flush=True)



def logged_progress() -> LoggedProgress:
    """The benchmarks' progress display: a bar in a terminal, plain log lines elsewhere."""
    return LoggedProgress()
