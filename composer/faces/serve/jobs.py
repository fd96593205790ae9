"""Jobs on disk: OUT/jobs/<uuid>/ holds request.json, status.json (written atomically) and the finished files.

Every server process sharing OUT reads the same folders, so any of them can answer for any job.
Layout of one job: request.json, status.json, input/ (the uploaded picture or MIDI file), .staging/ (outputs being
written; removed when a job fails) and files/ (finished outputs, moved in whole by rename).
A job whose server or worker process on this host is gone (killed, crashed) is marked failed, never re-run:
on the next read of its status, and for every job at once when a server starts (JobStore.recover).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import time
import uuid
from pathlib import Path
from typing import Any

from composer.core.atomic import write_bytes_atomic

JOB_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")  # uuid4, as made here
FILE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,254}")
TERMINAL = ("done", "failed", "cancelled")
HOST = socket.gethostname()


class JobNotFound(LookupError):
    """No job with this id (or an id that is not one this service could have made)."""


def now() -> float:
    return round(time.time(), 3)


class JobStore:
    """The jobs folder: create jobs, read and update their status, list and find their files."""

    def __init__(self, out_dir: Path) -> None:
        self.root = Path(out_dir) / "jobs"
        self.root.mkdir(parents=True, exist_ok=True)

    def create(self, request: dict[str, Any], image: bytes | None = None, image_suffix: str = ".png",
               midi: bytes | None = None) -> str:
        """Make a job folder with its request, its uploaded picture or MIDI file (input/), and a queued
        status; it appears whole, by one rename."""
        job_id = str(uuid.uuid4())
        building = self.root / f".new-{job_id}"
        (building / "files").mkdir(parents=True)
        for field, data, name in (("image", image, f"image{image_suffix}"), ("midi", midi, "input.mid")):
            if data is not None:
                (building / "input").mkdir(exist_ok=True)
                (building / "input" / name).write_bytes(data)
                request = {**request, field: f"input/{name}"}
        (building / "request.json").write_text(json.dumps(request, indent=1))
        status = {"id": job_id, "status": "queued", "stage": "queued", "progress": 0.0, "error": None,
                  "created_at": now(), "started_at": None, "finished_at": None, "heartbeat_at": None,
                  "server": {"host": HOST, "pid": os.getpid()}, "worker": None}
        (building / "status.json").write_text(json.dumps(status, indent=1))
        os.replace(building, self.root / job_id)
        return job_id

    def folder(self, job_id: str) -> Path:
        """The job's folder; JobNotFound for anything that is not the id of an existing job."""
        if not JOB_ID.fullmatch(job_id):
            raise JobNotFound(job_id)
        folder = self.root / job_id
        if not (folder / "status.json").is_file():
            raise JobNotFound(job_id)
        return folder

    def request(self, job_id: str) -> dict[str, Any]:
        return json.loads((self.folder(job_id) / "request.json").read_text())  # type: ignore[no-any-return]

    def read(self, job_id: str) -> dict[str, Any]:
        return json.loads((self.folder(job_id) / "status.json").read_text())  # type: ignore[no-any-return]

    def update(self, job_id: str, **changes: Any) -> dict[str, Any]:
        """Merge `changes` into the status and write it atomically (a reader sees the old or the new file)."""
        status = {**self.read(job_id), **changes}
        write_bytes_atomic(self.folder(job_id) / "status.json", json.dumps(status, indent=1).encode())
        return status

    def fail(self, job_id: str, message: str) -> dict[str, Any]:
        """Mark a job failed with `message` (unless it already finished) and remove its partial outputs."""
        self.remove_partial(job_id)
        status = self.read(job_id)
        if status["status"] in TERMINAL:
            return status
        return self.update(job_id, status="failed", stage="failed", error=message, finished_at=now())

    def remove_partial(self, job_id: str) -> None:
        """Delete what a stopped job left half-done: its staging folder and any temporary *.part file of its outputs
        (not a status file being written at that moment: the server and the supervisor may both fail a job, and
        one deleting the other's temporary status broke its write)."""
        folder = self.folder(job_id)
        shutil.rmtree(folder / ".staging", ignore_errors=True)
        for leftover in folder.rglob("*.part"):
            if not leftover.name.startswith(".status.json."):  # another thread's status being written, not output
                leftover.unlink(missing_ok=True)

    def delete(self, job_id: str) -> None:
        """Remove the job: it vanishes at once (one rename), then its folder is deleted."""
        gone = self.root / f".deleted-{job_id}"
        try:
            os.replace(self.folder(job_id), gone)
        except FileNotFoundError:
            raise JobNotFound(job_id) from None
        shutil.rmtree(gone, ignore_errors=True)

    def cancel(self, job_id: str) -> dict[str, Any]:
        """Mark a queued job cancelled (a worker that picks it up later abandons it); any other job is left as is."""
        status = self.read(job_id)
        if status["status"] != "queued":
            return status
        return self.update(job_id, status="cancelled", stage="cancelled", finished_at=now())

    def recent(self, limit: int) -> tuple[list[str], int]:
        """The ids of the `limit` newest jobs, newest first (by when request.json was written), and how many
        jobs there are; only file times are read, so a large folder costs a stat per job."""
        found = []
        with os.scandir(self.root) as entries:
            for entry in entries:
                if JOB_ID.fullmatch(entry.name):
                    try:
                        found.append((os.stat(os.path.join(entry.path, "request.json")).st_mtime_ns, entry.name))
                    except OSError:  # being created or deleted
                        continue
        found.sort(reverse=True)
        return [job_id for _, job_id in found[:limit]], len(found)

    def recover(self, stale_seconds: float) -> int:
        """At start-up: fail every queued or running job whose process is gone (see check_alive); the count."""
        failed = 0
        for path in self.root.iterdir():
            if not JOB_ID.fullmatch(path.name):
                continue
            try:
                before = self.read(path.name)["status"]
                if before not in TERMINAL and self.check_alive(path.name, stale_seconds)["status"] == "failed":
                    failed += 1
            except (JobNotFound, OSError, ValueError):  # deleted meanwhile, or a status file from elsewhere
                continue
        return failed

    def files(self, job_id: str) -> list[dict[str, Any]]:
        """The finished files: name and size, sorted by name."""
        found = []
        for path in sorted((self.folder(job_id) / "files").iterdir()):
            if path.is_file() and FILE_NAME.fullmatch(path.name) and not path.name.endswith(".part"):
                found.append({"name": path.name, "bytes": path.stat().st_size})
        return found

    def file(self, job_id: str, name: str) -> Path:
        """The path of one finished file; FileNotFoundError for a name that is not a file of this job."""
        files = self.folder(job_id) / "files"
        if not FILE_NAME.fullmatch(name) or name.endswith(".part"):
            raise FileNotFoundError(name)
        path = files / name
        if path.resolve().parent != files.resolve() or not path.is_file():
            raise FileNotFoundError(name)
        return path

    def check_alive(self, job_id: str, stale_seconds: float) -> dict[str, Any]:
        """The status, first marking the job failed when whoever should be running it is gone: a worker
        process on this host that no longer exists, a running job with no heartbeat for `stale_seconds`,
        or a queued job whose server process on this host has stopped."""
        status = self.read(job_id)
        reason = None
        if status["status"] == "running":
            worker = status.get("worker") or {}
            silent = time.time() - (status.get("heartbeat_at") or status.get("started_at") or time.time())
            if worker.get("host") == HOST and not pid_alive(int(worker.get("pid", 0))):
                reason = f"the worker process (pid {worker.get('pid')}) died during the job"
            elif silent > stale_seconds:
                reason = f"the worker running the job has been silent for {silent:.0f} s"
        elif status["status"] == "queued":
            server = status.get("server") or {}
            if server.get("host") == HOST and not pid_alive(int(server.get("pid", 0))):
                reason = f"the server process (pid {server.get('pid')}) holding the job stopped before it ran"
        return self.fail(job_id, reason) if reason else status


def pid_alive(pid: int) -> bool:
    """Whether a process with this pid exists on this host and is not a zombie."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return True
    return state not in ("Z", "X")
