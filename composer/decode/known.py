"""The instruments a checkpoint knows: the programs its training data played, kept in its config.json.

A checkpoint gives an instrument it never saw in training almost no probability (asked for a fretless bass,
which no training version plays, it puts 0.000 on Program_35 at every onset, so the part falls silent after
the notes the masks force), and composer.core.voices then decodes such a part as a known instrument like
it (an electric bass) and writes the real program to the file. Known means at least MIN_NOTES notes in the
training split of the shards the checkpoint was trained on: 56 of 128 programs for the shipped base.
(Asking the model instead, by the share it gives a program's first note when that instrument alone is
requested, misses instruments it knows only inside their ensembles: the viola, 63,000 training notes, gets
0.008 alone, and decoded as a string section its quartet's second violin fell silent.)

    composer train known-programs --shards data/shards [--checkpoint base]   # count, write into config.json
"""

from __future__ import annotations

import functools
import json
import os
from pathlib import Path

from composer.core.atomic import write_bytes_atomic
from composer.core.errors import ComposerError

MIN_NOTES = 10_000  # training notes (every version, before transposition) at which a program counts as known


def record_known_programs(folder: Path, notes: dict[int, int]) -> list[int]:
    """Write the known programs (those with at least MIN_NOTES training notes) and every program's count,
    for the record, into FOLDER/config.json."""
    known = sorted(p for p, count in notes.items() if count >= MIN_NOTES)
    path = folder / "config.json"
    config = json.loads(path.read_text())
    config["known_programs"] = known
    config["training_notes_by_program"] = {str(p): int(n) for p, n in sorted(notes.items()) if n}
    write_bytes_atomic(path, (json.dumps(config, indent=2) + "\n").encode())
    _known_in.cache_clear()
    return known


@functools.cache
def _known_in(folder: str) -> frozenset[int] | None:
    try:
        config = json.loads((Path(folder) / "config.json").read_text())
    except (OSError, ValueError):
        return None
    known = config.get("known_programs")
    return None if known is None else frozenset(int(p) for p in known)


def known_programs(name_or_path: str | os.PathLike[str] | None = None) -> frozenset[int] | None:
    """The programs the checkpoint (default: $COMPOSER_CHECKPOINT, else base) knows; None where its config
    names none (every program is played as itself)."""
    from composer.decode.checkpoint import checkpoint_dir

    try:
        folder = checkpoint_dir(name_or_path)
    except ComposerError:  # no checkpoint there: loading the model says so, not this
        return None
    return _known_in(str(folder.resolve()))

