"""A bounded queue served by N worker processes, each loading the model once; dead workers fail their job and
are replaced.

The API process keeps the queue and a supervisor thread. The supervisor hands a job to a worker only when
that worker is idle and ready, so it always knows which job each worker holds: when a worker process
exits mid-job (killed, out of memory, a crash in native code) it marks that job failed, removes the
job's partial outputs, and starts a new worker.
"""

from __future__ import annotations

import collections
import contextlib
import math
import multiprocessing
import os
import signal
import sys
import threading
import time
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait
from multiprocessing.process import BaseProcess
from typing import Any

from composer.faces.serve.jobs import JobNotFound, JobStore
from composer.faces.serve.settings import ServeSettings

CONTEXT = multiprocessing.get_context("spawn")  # no fork of a threaded server; each worker starts clean


def worker_main(conn: Connection, settings: ServeSettings, threads: int) -> None:
    """A worker process: load the engine once (and warm it up), then run the jobs it is handed, one at a time."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the whole process group; the server stops us
    _exit_with_parent()
    for variable in ("OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[variable] = str(threads)
    from composer.faces.serve.engine import load_engine
    from composer.faces.serve.runner import run_job

    engine, problem = None, None
    try:
        engine = load_engine(settings.engine)
        if "torch" in sys.modules:
            sys.modules["torch"].set_num_threads(threads)
        if settings.warm_up:
            engine.warm_up()
    except Exception as exc:  # every job will report it rather than the worker dying again and again
        problem = f"{type(exc).__name__}: {exc}"
        print(f"composer serve: worker {os.getpid()} could not load composer: {problem}", file=sys.stderr)
    conn.send(("ready", problem))
    store = JobStore(settings.out_dir)
    while True:
        try:
            job_id = conn.recv()
        except (EOFError, OSError):
            job_id = None
        if job_id is None:  # nothing left to flush (every file is written by rename): skip torch's slow teardown
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(0)
        started = time.monotonic()
        if engine is None:
            status = store.fail(job_id, f"the worker could not load composer: {problem}")
        else:
            status = run_job(store, job_id, engine, settings)
        conn.send(("finished", job_id, status["status"], time.monotonic() - started))


def _exit_with_parent() -> None:
    """Exit at once when the server process dies (even by SIGKILL), rather than finish a job nobody can hand
    out; the job is left running with a dead worker, which the next server to start marks failed."""
    parent = multiprocessing.parent_process()
    if parent is None:
        return

    def watch() -> None:
        parent.join()
        os._exit(3)

    threading.Thread(target=watch, name="composer-serve-parent-watch", daemon=True).start()


class QueueFull(Exception):
    """The queue holds its limit of waiting jobs."""

    def __init__(self, queued: int) -> None:
        super().__init__(f"{queued} jobs waiting")
        self.queued = queued


@dataclass
class _Slot:
    """One worker process, its end of the pipe, and the job it holds."""

    process: BaseProcess
    conn: Connection
    started: float = field(default_factory=time.monotonic)
    ready: bool = False
    job: str | None = None


class WorkerPool:
    """Jobs wait in a bounded queue until a ready worker is free; submit() refuses past `settings.queue`."""

    def __init__(self, store: JobStore, settings: ServeSettings) -> None:
        self.store, self.settings = store, settings
        self.threads = max(1, (os.cpu_count() or 1) // settings.workers)
        self._pending: collections.deque[str] = collections.deque()
        self._lock = threading.Lock()
        self._wake_recv, self._wake_send = CONTEXT.Pipe(duplex=False)
        self._slots: list[_Slot] = []
        self._closing = False
        self._thread = threading.Thread(target=self._supervise, name="composer-serve-pool", daemon=True)
        self._job_seconds = 5.0  # running mean of job durations, for Retry-After
        self.replaced = 0  # workers started to replace ones that died

    def start(self) -> None:
        self._slots = [self._spawn() for _ in range(self.settings.workers)]
        self._thread.start()

    def submit(self, job_id: str) -> None:
        """Queue a job; QueueFull when `settings.queue` jobs are already waiting (or the pool is stopping)."""
        with self._lock:
            if self._closing or len(self._pending) >= self.settings.queue:
                raise QueueFull(len(self._pending))
            self._pending.append(job_id)
        self._wake_send.send_bytes(b"j")

    def cancel(self, job_id: str) -> bool:
        """Take a job out of the queue before any worker has it; False when it is not waiting here."""
        with self._lock:
            if job_id not in self._pending:
                return False
            self._pending.remove(job_id)
            return True

    def holds(self, job_id: str) -> bool:
        """Whether one of this pool's workers has been handed the job."""
        return any(slot.job == job_id for slot in list(self._slots))

    def queued(self) -> int:
        with self._lock:
            return len(self._pending)

    def retry_after(self) -> int:
        """Seconds until a place in the queue is likely to be free."""
        return max(1, min(600, math.ceil(self._job_seconds * (self.queued() / self.settings.workers + 1) / 2)))

    def stats(self) -> dict[str, Any]:
        slots = list(self._slots)
        return {"workers": self.settings.workers, "alive": sum(s.process.is_alive() for s in slots),
                "ready": sum(s.ready for s in slots), "running": sum(s.job is not None for s in slots),
                "queued": self.queued(), "queue_limit": self.settings.queue, "replaced": self.replaced,
                "worker_pids": [s.process.pid for s in slots]}

    def close(self, timeout: float = 5.0) -> None:
        """Stop the workers; jobs still queued or running are marked failed."""
        with self._lock:
            self._closing = True
            pending = list(self._pending)
            self._pending.clear()
        self._wake_send.send_bytes(b"q")
        if self._thread.is_alive():
            self._thread.join(timeout)
        for slot in self._slots:
            with contextlib.suppress(OSError):
                slot.conn.send(None)
        deadline = time.monotonic() + timeout
        for slot in self._slots:
            slot.process.join(max(0.1, deadline - time.monotonic()))
            if slot.process.is_alive():
                slot.process.kill()
                slot.process.join()
            if slot.job is not None:
                self._fail(slot.job, "the server stopped while the job was running")
        for job_id in pending:
            self._fail(job_id, "the server stopped before the job started")

    def _spawn(self) -> _Slot:
        parent, child = CONTEXT.Pipe()
        process = CONTEXT.Process(target=worker_main, args=(child, self.settings, self.threads),
                                  name="composer-serve-worker", daemon=True)
        process.start()
        child.close()
        return _Slot(process, parent)

    def _supervise(self) -> None:
        failures = 0  # workers in a row that died before they were ready: back off before the next
        while not self._closing:
            watched: list[Any] = [self._wake_recv]
            for slot in self._slots:
                watched += [slot.conn, slot.process.sentinel]
            wait(watched, timeout=1.0)
            while self._wake_recv.poll():
                self._wake_recv.recv_bytes()
            for index, slot in enumerate(self._slots):
                self._receive(slot)
                if not slot.process.is_alive() and not self._closing:
                    self._bury(slot)
                    failures = 0 if slot.ready else failures + 1
                    if failures:
                        time.sleep(min(30.0, 0.5 * 2 ** failures))
                    self._slots[index] = self._spawn()
                    self.replaced += 1
            self._dispatch()

    def _receive(self, slot: _Slot) -> None:
        try:
            while slot.conn.poll():
                message = slot.conn.recv()
                if message[0] == "ready":
                    slot.ready = True
                elif message[0] == "finished":
                    slot.job = None
                    self._job_seconds = 0.8 * self._job_seconds + 0.2 * message[3]
        except (EOFError, OSError):
            pass  # the process is gone; the liveness check below handles it

    def _bury(self, slot: _Slot) -> None:
        """A worker exited: fail the job it held and remove that job's partial outputs."""
        slot.process.join()
        code = slot.process.exitcode or 0
        how = f"killed by {signal.Signals(-code).name}" if code < 0 else f"exit status {code}"
        print(f"composer serve: worker {slot.process.pid} stopped ({how}); starting another", file=sys.stderr)
        if slot.job is not None:
            self._fail(slot.job, f"the worker process (pid {slot.process.pid}) died during the job ({how})")
        slot.conn.close()

    def _dispatch(self) -> None:
        for slot in self._slots:
            if not (slot.ready and slot.job is None and slot.process.is_alive()):
                continue
            with self._lock:
                if not self._pending:
                    return
                job_id = self._pending.popleft()
            try:
                slot.conn.send(job_id)
                slot.job = job_id
            except OSError:  # died a moment ago; the job goes back to the front of the queue
                with self._lock:
                    self._pending.appendleft(job_id)

    def _fail(self, job_id: str, message: str) -> None:
        try:
            self.store.fail(job_id, message)
        except (JobNotFound, OSError) as exc:
            print(f"composer serve: could not mark job {job_id} failed: {exc}", file=sys.stderr)
