"""Deterministic train/valid/test splits by piece, keyed on a transposition-invariant fingerprint.

Two copies of a tune (in two collections, or in two keys) have the same fingerprint, so they always
land in the same split: a test tune never reaches training, not even transposed.
"""

from __future__ import annotations

import hashlib
import itertools

from composer.core.score import TICKS_PER_BEAT, Score

SPLIT_PERCENT = {"train": 90, "valid": 5, "test": 5}
FINGERPRINT_EVENTS = 48  # melody events hashed; enough to tell tunes apart, short enough to match variants


def melody_fingerprint(score: Score) -> str:
    """Hash of the top line's intervals and inter-onset times (12ths of a beat), so transposition-free."""
    top: dict[int, int] = {}
    for track in score.tracks:
        if track.is_drum:
            continue
        for note in track.notes:
            top[note.start] = max(top.get(note.start, 0), note.pitch)
    onsets = sorted(top)[:FINGERPRINT_EVENTS + 1]
    events = [
        f"{top[b] - top[a]}:{round((b - a) * 12 / TICKS_PER_BEAT)}" for a, b in itertools.pairwise(onsets)
    ]
    return hashlib.sha1(",".join(events).encode()).hexdigest()[:16]


def split_of(fingerprint: str) -> str:
    """"train", "valid" or "test", from the fingerprint alone."""
    bucket = int(fingerprint[:8], 16) % 100
    if bucket < SPLIT_PERCENT["train"]:
        return "train"
    if bucket < SPLIT_PERCENT["train"] + SPLIT_PERCENT["valid"]:
        return "valid"
    return "test"
