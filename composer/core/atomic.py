"""Atomic output files: write to a temporary sibling, then rename, so no reader sees half a file.

    with all_or_nothing():          # a command's outputs: every file lands, or none does
        write_midi(score, "a.mid")  # each writer goes through atomic_output
        render_to_files(score, "a.wav")

Temporary files are named `.NAME.PID-RANDOM.part` beside their target. Outside a transaction each is
renamed over its target as soon as it is complete; inside one, all are renamed together at the end, with
SIGINT and SIGTERM held back for those few renames, and all are deleted if anything fails. A run killed
with SIGKILL cannot clean up: `sweep_stale_parts(folder)` (run before a command writes into a folder)
removes the temporary files of processes that no longer exist. New files get the mode the umask allows
(0666 less the umask); a replaced file keeps its mode.
"""

from __future__ import annotations

import contextlib
import contextvars
import os
import re
import secrets
import signal
import stat
import threading
from collections.abc import Iterator
from pathlib import Path

PART_SUFFIX = ".part"
# ours: .NAME.PID-RANDOM.part, or with the target's suffix in place of .part (a writer that needs one)
_PART_NAME = re.compile(r"^\..+\.(\d+)-[0-9a-f]{8}\.[A-Za-z0-9]+$")
_STALE_UNOWNED_SECONDS = 3600  # a .part file without our pid stamp is stale after this long


class _Transaction:
    """The temporary files of one all-or-nothing write, with their targets."""

    def __init__(self) -> None:
        self.staged: list[tuple[Path, Path]] = []
        self.created: list[Path] = []  # folders made for these files, removed again (when empty) on failure

    def commit(self) -> None:
        if INTERRUPTED.is_set():
            raise KeyboardInterrupt
        blocked = {signal.SIGINT, signal.SIGTERM}
        previous = signal.pthread_sigmask(signal.SIG_BLOCK, blocked)
        try:
            for tmp, target in self.staged:
                os.replace(tmp, target)
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, previous)
        self.staged.clear()

    def discard(self) -> None:
        for tmp, _ in self.staged:
            tmp.unlink(missing_ok=True)
        self.staged.clear()
        for folder in reversed(self.created):
            with contextlib.suppress(OSError):
                folder.rmdir()


# Set by the command line's SIGINT/SIGTERM handlers. A library that catches every exception (music21 has bare
# excepts) can swallow the KeyboardInterrupt a signal raises; the commit still sees the signal and lands nothing.
INTERRUPTED = threading.Event()

_ACTIVE: contextvars.ContextVar[_Transaction | None] = contextvars.ContextVar("composer_outputs", default=None)


@contextlib.contextmanager
def all_or_nothing() -> Iterator[None]:
    """Every atomic_output inside lands together when the block succeeds, and none does if it raises
    (KeyboardInterrupt and SystemExit included)."""
    if _ACTIVE.get() is not None:  # nested: the outer transaction decides
        yield
        return
    transaction = _Transaction()
    token = _ACTIVE.set(transaction)
    try:
        yield
        transaction.commit()
    except BaseException:
        transaction.discard()
        raise
    finally:
        _ACTIVE.reset(token)


def part_path(target: Path) -> Path:
    """A fresh temporary sibling of `target`, stamped with this process's id."""
    return target.parent / f".{target.name}.{os.getpid()}-{secrets.token_hex(4)}{PART_SUFFIX}"


def _umask() -> int:
    try:  # Linux: read it without changing it
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except OSError:
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _mode_for(target: Path) -> int:
    """The mode a written file gets: the replaced file's, else what the umask allows of 0666."""
    try:
        return stat.S_IMODE(target.stat().st_mode)
    except OSError:
        return 0o666 & ~_umask()


@contextlib.contextmanager
def atomic_output(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path beside `path`; on success rename it over `path` (or, inside all_or_nothing,
    when the whole block succeeds), on any error delete it.

    The rename is atomic on POSIX file systems, so `path` either keeps its old content or gets the
    complete new one. Parent folders are created as needed.
    """
    target = Path(path)
    transaction = _ACTIVE.get()
    if not target.parent.is_dir():
        missing = [p for p in (target.parent, *target.parent.parents) if not p.exists()]
        target.parent.mkdir(parents=True, exist_ok=True)
        if transaction is not None:
            transaction.created += reversed(missing)
    tmp = part_path(target)
    tmp.touch(mode=0o600)
    try:
        yield tmp
        os.chmod(tmp, _mode_for(target))
        if transaction is None:
            os.replace(tmp, target)
        else:
            transaction.staged.append((tmp, target))
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_bytes_atomic(path: str | os.PathLike[str], data: bytes) -> Path:
    """Write `data` to `path` atomically and return the path."""
    with atomic_output(path) as tmp:
        tmp.write_bytes(data)
    return Path(path)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's live process
        return True
    return True


def sweep_stale_parts(folder: str | os.PathLike[str]) -> list[Path]:
    """Delete the temporary files that killed runs left in `folder`; returns what was removed."""
    import time

    removed: list[Path] = []
    try:
        entries = list(Path(folder).iterdir())
    except OSError:
        return removed
    for entry in entries:
        match = _PART_NAME.match(entry.name)
        if not (match or (entry.name.startswith(".") and entry.name.endswith(PART_SUFFIX))) or not entry.is_file():
            continue
        if match:
            stale = int(match.group(1)) != os.getpid() and not _alive(int(match.group(1)))
        else:  # an older or foreign temporary file: stale once nobody has touched it for an hour
            try:
                stale = time.time() - entry.stat().st_mtime > _STALE_UNOWNED_SECONDS
            except OSError:
                stale = False
        if stale:
            entry.unlink(missing_ok=True)
            removed.append(entry)
    return removed
