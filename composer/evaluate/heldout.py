"""Held-out music: test-split corpus pieces, from `composer data build`'s pieces.jsonl or converted on the fly.

The test split is the build's own (composer/train/data/splits.py: 5% of pieces by a transposition-invariant
melody fingerprint, so no test tune or its transposition reaches training). Without a built corpus the
same rows come from converting music21's bundled corpus file by file (composer/train/data/build.py's
`convert_and_label`), so the split is identical; only a tune printed twice is recognised within what was
converted rather than across the whole corpus.
"""

from __future__ import annotations

import base64
import json
import random
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from composer.core.errors import ComposerError
from composer.core.score import Score, Track

DEFAULT_PIECES = Path("data") / "pieces.jsonl"


def _built_rows(pieces: Path) -> Iterator[dict[str, Any]]:
    with pieces.open() as lines:
        for line in lines:
            row = json.loads(line)
            if row["split"] == "test" and row["duplicate_of"] == row["piece_id"]:
                yield row


def _converted_rows(collections: Sequence[str] | None, seed: int) -> Iterator[dict[str, Any]]:
    """Test rows converted on the fly, from the corpus files in a seeded random order."""
    from composer.train.data.build import convert_and_label
    from composer.train.data.sources import corpus_sources

    sources = [s for s in corpus_sources()[0] if collections is None or s.collection in collections]
    if not sources:
        raise ComposerError(f"music21's corpus has no collection named {', '.join(collections or [])}")
    random.Random(seed).shuffle(sources)
    seen: set[str] = set()
    for source in sources:
        for row in convert_and_label(source)["rows"]:
            if row["split"] == "test" and row["fingerprint"] not in seen:
                seen.add(row["fingerprint"])
                yield row


def built_pieces(pieces: Path | None = None) -> Path | None:
    """The pieces.jsonl to read: `pieces`, else data/pieces.jsonl when it exists, else None (convert)."""
    return pieces if pieces is not None else (DEFAULT_PIECES if DEFAULT_PIECES.exists() else None)


def heldout_rows(n: int, min_bars: int = 8, seed: int = 0, pieces: Path | None = None,
                 collections: Sequence[str] | None = None,
                 on_progress: Callable[[int, int], None] | None = None) -> list[dict[str, Any]]:
    """`n` distinct test-split pieces of at least `min_bars` bars, drawn at random with `seed`: from
    `pieces` (a built pieces.jsonl; default data/pieces.jsonl when it exists), else converted on the fly
    (optionally only from some `collections`, e.g. ("essenFolksong",), which is much quicker)."""
    if n < 1:
        raise ComposerError("the number of pieces must be at least 1")
    path = built_pieces(pieces)
    if path is not None:
        if not path.is_file():
            raise ComposerError(f"{path}: no such pieces file (build one with `composer data build`)")
        rows = [r for r in _built_rows(path) if r["attributes"]["bars"] >= min_bars
                and (collections is None or r["collection"] in collections)]
        random.Random(seed).shuffle(rows)
        chosen = rows[:n]
    else:
        chosen = []
        for row in _converted_rows(collections, seed):
            if row["attributes"]["bars"] >= min_bars:
                chosen.append(row)
                if on_progress:
                    on_progress(len(chosen), n)
                if len(chosen) == n:
                    break
    if len(chosen) < n:
        where = f" in {', '.join(collections)}" if collections else ""
        raise ComposerError(f"only {len(chosen)} held-out pieces of {min_bars}+ bars found{where}, not {n}")
    return chosen


def score_of(row: dict[str, Any]) -> Score:
    from composer.output.midi_io import read_midi

    return read_midi(base64.b64decode(row["midi_b64"]))


def first_bars(score: Score, bars: int) -> Score:
    """The score's first `bars` bars (notes that begin in them, cut at the last barline)."""
    starts = score.bar_starts(until_tick=score.end_tick + 1)
    end = starts[bars] if len(starts) > bars else score.length_ticks
    cut = score.copy()
    cut.tracks = [Track(t.name, t.program, t.is_drum,
                        [n if n.end <= end else type(n)(n.pitch, n.start, end, n.velocity)
                         for n in t.notes if n.start < end]) for t in score.tracks]
    cut.tracks = [t for t in cut.tracks if t.notes]
    cut.length = end
    return cut
