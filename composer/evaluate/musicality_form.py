"""Harmony and form measures of a written piece: seventh-chord bars, 8-bar cadences, the final sonority."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from composer.evaluate.musicality_metrics import (
    CHORD_QUALITIES,
    EPS,
    Chord,
    Meter,
    Part,
    bar_chords,
    chord_score,
    chord_templates,
)

# Seventh chords: quality -> pitch classes above the root. Judged against the triads as well, so that a bar
# counts as a seventh chord only when the seventh earns its place (see SEVENTH_MIN_SHARE).
SEVENTH_QUALITIES: dict[str, tuple[int, ...]] = {
    "major7": (0, 4, 7, 11),
    "minor7": (0, 3, 7, 10),
    "half_diminished7": (0, 3, 6, 10),
    "dominant7": (0, 4, 7, 10),
}
TRIAD_QUALITIES: dict[str, tuple[int, ...]] = {q: CHORD_QUALITIES[q] for q in ("major", "minor", "diminished")}
EXTENDED_QUALITIES: dict[str, tuple[int, ...]] = {**TRIAD_QUALITIES, **SEVENTH_QUALITIES}
# Each of a seventh chord's four pcs must carry at least this share of the bar's pc weight (beats sounding,
# normalised to sum 1): one of four equal voices holding the seventh for 1.6 of 4 beats, not a passing note.
SEVENTH_MIN_SHARE = 0.1
# And the four together must hold this share: the bar is mostly that chord, not a line or two chords passing
# through (without it, masked-random bars read as sevenths more often than Bach's: 34% against 31%).
SEVENTH_MIN_COVER = 0.8

EXTENDED_TEMPLATES = chord_templates(EXTENDED_QUALITIES)  # tie-breaks as for the prevailing chord

PERIOD_BARS = 8  # a phrase period: cadences are looked for at bars 7, 15, 23, ...
DOMINANT, SUBDOMINANT, LEADING_TONE = 7, 5, 11  # roots relative to the tonic, (root - tonic) % 12
TONIC_TRIADS: tuple[frozenset[int], ...] = (frozenset({0, 4, 7}), frozenset({0, 3, 7}))  # major, minor


def seventh_chord(weights: np.ndarray) -> Chord | None:
    """The bar's seventh chord, or None: the best template over triads and sevenths (the prevailing chord's
    score and tie-breaks) when it is a seventh whose four pcs each hold SEVENTH_MIN_SHARE of the weight and
    together SEVENTH_MIN_COVER."""
    if weights.sum() <= EPS:
        return None
    best, best_score = EXTENDED_TEMPLATES[0], -math.inf
    for chord in EXTENDED_TEMPLATES:
        score = chord_score(chord, weights)
        if score > best_score + 1e-9:
            best, best_score = chord, score
    share = weights / weights.sum()
    if best.quality not in SEVENTH_QUALITIES or any(share[pc] < SEVENTH_MIN_SHARE - EPS for pc in best.pcs):
        return None
    return best if sum(share[pc] for pc in best.pcs) >= SEVENTH_MIN_COVER - EPS else None


def seventh_share(histograms: np.ndarray) -> float | None:
    """Share of the bars with notes whose seventh_chord is not None; None when every bar is silent."""
    sounding = [w for w in histograms if w.sum() > EPS]
    return sum(seventh_chord(w) is not None for w in sounding) / len(sounding) if sounding else None


def is_cadence(before: Chord | None, last: Chord | None, tonic: int) -> bool:
    """Half cadence (last bar on V), or authentic (V or vii° to I) or plagal (IV to I), by chord roots."""
    if last is None:
        return False
    if (last.root - tonic) % 12 == DOMINANT:
        return True
    if (last.root - tonic) % 12 != 0 or before is None:
        return False
    step = (before.root - tonic) % 12
    return step in (DOMINANT, SUBDOMINANT) or (step == LEADING_TONE and before.quality == "diminished")


def cadence_share(chords: Sequence[Chord | None], tonic: int | None,
                  late: Sequence[Chord | None] | None = None) -> float | None:
    """Share of the whole 8-bar periods whose last two bars make a cadence; None under 8 bars or no tonic.
    `late`, per bar, the prevailing chord of its second half: the penultimate bar's chord is either its whole
    bar's or its second half's, so "ii V | I" is the authentic cadence it is (the whole bar may read as ii)."""
    periods = len(chords) // PERIOD_BARS
    if tonic is None or periods == 0:
        return None
    ends = [(PERIOD_BARS * (k + 1) - 2, PERIOD_BARS * (k + 1) - 1) for k in range(periods)]
    return sum(is_cadence(chords[a], chords[b], tonic) or (late is not None and is_cadence(late[a], chords[b], tonic))
               for a, b in ends) / periods


def final_sonority(parts: Sequence[Part], meter: Meter, n_bars: int) -> list[int] | None:
    """Pitches sounding at the last onset, lowest first; None when the last bar is silent."""
    notes = [n for p in parts for n in p.notes]
    last_bar_start = (n_bars - 1) * meter.bar_beats
    if not any(n.end > last_bar_start + EPS and n.start < n_bars * meter.bar_beats - EPS for n in notes):
        return None
    last_onset = max(n.start for n in notes)
    return sorted(n.pitch for n in notes if n.start <= last_onset + EPS < n.end) or None


def ending_full(sonority: Sequence[int] | None, tonic: int | None) -> bool:
    """True when the final sonority has the tonic lowest and only tonic-triad pcs (major or minor third)."""
    if not sonority or tonic is None or sonority[0] % 12 != tonic:
        return False
    relative = {(p - tonic) % 12 for p in sonority}
    return any(relative <= triad for triad in TONIC_TRIADS)


def half_bar_chords(parts: Sequence[Part], meter: Meter, n_bars: int) -> list[Chord | None]:
    """The prevailing chord of each half bar (first and second half of bar 0, then of bar 1, ...)."""
    return bar_chords(parts, Meter(meter.numerator, meter.denominator * 2), 2 * n_bars)
