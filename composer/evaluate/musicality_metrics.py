"""Metric computations on the notes of a MIDI file, in beats; the definitions are in musicality.py's docstring."""

from __future__ import annotations

import math
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import combinations, pairwise

import numpy as np
import pretty_midi

from composer.evaluate.musicality_roles import REGISTER_RANK

EPS = 1e-6
FINE = 12  # grid points per beat: onset quantisation, positions in a bar, polyphony sampling
COARSE = 4  # grid points per beat: piece-level sampling (clashes, crossing, bass lowest, co-sounding)
SHUFFLES = 8  # seeded shuffles for the compression baseline
MAX_BYTE = 255

# Chord templates: quality -> pitch classes above the root. 12 roots x 4 qualities = 48 templates.
CHORD_QUALITIES: dict[str, tuple[int, ...]] = {
    "major": (0, 4, 7),
    "minor": (0, 3, 7),
    "diminished": (0, 3, 6),
    "dominant7": (0, 4, 7, 10),
}
# Template score on the bar's pc weights normalised to sum 1:
#   score = inside - OUTSIDE_PENALTY x outside - ABSENT_PENALTY x (template pcs that do not sound at all).
# inside + outside = 1, so the outside term alone ranks templates as `inside` does; the absent term prefers a
# chord whose tones all sound over a bigger template that covers slightly more weight.
OUTSIDE_PENALTY = 1.0
ABSENT_PENALTY = 0.1


@dataclass(frozen=True)
class Note:
    """A note with times in quarter-note beats."""

    pitch: int
    start: float
    end: float


@dataclass(frozen=True)
class Part:
    """One pitched pretty_midi Instrument, notes sorted by (start, pitch)."""

    name: str
    program: int
    notes: tuple[Note, ...]


@dataclass(frozen=True)
class Meter:
    """The first time signature of the file."""

    numerator: int = 4
    denominator: int = 4

    @property
    def bar_beats(self) -> float:
        return self.numerator * 4 / self.denominator

    @property
    def bar_ticks(self) -> int:
        """Bar length in FINE grid units."""
        return max(1, round(self.bar_beats * FINE))

    def strong_ticks(self) -> frozenset[int]:
        """Strong positions in FINE units: the downbeat, plus the half bar when the numerator is 4, 6 or 12."""
        half = {self.bar_ticks // 2} if self.numerator in (4, 6, 12) else set()
        return frozenset({0, *half})


@dataclass(frozen=True)
class Chord:
    """A chord template: root pitch class, quality, and its pitch classes."""

    root: int
    quality: str
    pcs: frozenset[int]


def chord_templates(qualities: dict[str, tuple[int, ...]]) -> tuple[Chord, ...]:
    """Every root of every quality, in tie-break order: fewer pcs, lower root, then the order of `qualities`."""
    order = list(qualities)
    return tuple(sorted((Chord(root, quality, frozenset((root + i) % 12 for i in intervals))
                         for quality, intervals in qualities.items() for root in range(12)),
                        key=lambda c: (len(c.pcs), c.root, order.index(c.quality))))


TEMPLATES = chord_templates(CHORD_QUALITIES)  # major, minor, diminished, dominant 7th


def read_parts(pm: pretty_midi.PrettyMIDI) -> list[Part]:
    """The pitched (non-drum) instruments that have notes, with note times converted to beats."""
    parts = []
    for inst in pm.instruments:
        if inst.is_drum or not inst.notes:
            continue
        notes = [
            Note(int(n.pitch), pm.time_to_tick(n.start) / pm.resolution, pm.time_to_tick(n.end) / pm.resolution)
            for n in inst.notes
        ]
        parts.append(Part(inst.name, int(inst.program), tuple(sorted(notes, key=lambda n: (n.start, n.pitch)))))
    return parts


def read_meter(pm: pretty_midi.PrettyMIDI) -> Meter:
    """The first time signature, 4/4 without one."""
    if not pm.time_signature_changes:
        return Meter()
    first = min(pm.time_signature_changes, key=lambda ts: ts.time)
    return Meter(int(first.numerator), int(first.denominator))


def bar_count(parts: Sequence[Part], meter: Meter) -> int:
    """Bars up to the last note's end (at least 1)."""
    end = max((n.end for p in parts for n in p.notes), default=0.0)
    return max(1, math.ceil(end / meter.bar_beats - EPS))


def grid_index(beat: float, per_beat: int) -> int:
    """The first grid point at or after a time."""
    return math.ceil(beat * per_beat - EPS)


def onset_tick(note: Note) -> int:
    """A note's onset quantised to the FINE grid."""
    return round(note.start * FINE)


def chord_onsets(part: Part) -> float:
    """Share of the part's distinct onsets (FINE grid) at which 3 or more of its notes start together."""
    counts: dict[int, int] = {}
    for note in part.notes:
        counts[onset_tick(note)] = counts.get(onset_tick(note), 0) + 1
    return sum(1 for c in counts.values() if c >= 3) / len(counts) if counts else 0.0


def roll(part: Part, per_beat: int, length: int) -> np.ndarray:
    """Boolean [128, length] grid: pitch p sounds at point k when start <= k / per_beat < end."""
    grid = np.zeros((128, length), dtype=bool)
    for n in part.notes:
        grid[n.pitch, grid_index(n.start, per_beat) : min(length, grid_index(n.end, per_beat))] = True
    return grid


def note_counts(part: Part, per_beat: int, length: int) -> np.ndarray:
    """Number of the part's notes sounding at each grid point."""
    delta = np.zeros(length + 1, dtype=int)
    for n in part.notes:
        lo, hi = grid_index(n.start, per_beat), min(length, grid_index(n.end, per_beat))
        if lo < hi:
            delta[lo] += 1
            delta[hi] -= 1
    return np.cumsum(delta)[:length]


def grid_length(n_bars: int, meter: Meter, per_beat: int) -> int:
    return max(1, round(n_bars * meter.bar_beats * per_beat))


# --- chords ---------------------------------------------------------------------------------------------------


def bar_histograms(parts: Sequence[Part], meter: Meter, n_bars: int) -> np.ndarray:
    """[n_bars, 12] pitch-class weights: beats each pc sounds inside each bar, over all parts."""
    hist = np.zeros((n_bars, 12))
    bar = meter.bar_beats
    for n in (n for p in parts for n in p.notes):
        first, last = int(n.start // bar), min(n_bars - 1, math.ceil(n.end / bar - EPS) - 1)
        for b in range(max(0, first), last + 1):
            overlap = min(n.end, (b + 1) * bar) - max(n.start, b * bar)
            if overlap > 0:
                hist[b, n.pitch % 12] += overlap
    return hist


def chord_score(chord: Chord, weights: np.ndarray) -> float:
    """The template score of a bar's pc weights (rule at ABSENT_PENALTY)."""
    share = weights / weights.sum()
    inside = sum(float(share[pc]) for pc in chord.pcs)
    absent = sum(float(weights[pc]) <= EPS for pc in chord.pcs)
    return inside - OUTSIDE_PENALTY * (1.0 - inside) - ABSENT_PENALTY * absent


def prevailing_chord(weights: np.ndarray, lowest: int | None = None) -> Chord | None:
    """Best-scoring template for one bar's pc weights; None for a silent bar. Ties go to the template rooted
    on `lowest` (the pc of the bar's lowest note, when given: a bar of A's alone is A, not the D major it
    also fits), else keep the earlier template."""
    if weights.sum() <= EPS:
        return None
    best, best_score = TEMPLATES[0], -math.inf
    for chord in TEMPLATES:
        score = chord_score(chord, weights)
        if score > best_score + 1e-9 or (abs(score - best_score) <= 1e-9 and chord.root == lowest != best.root):
            best, best_score = chord, score
    return best


def bar_lowest(parts: Sequence[Part], meter: Meter, n_bars: int) -> list[int | None]:
    """Per bar, the pitch class of the lowest note sounding in it (None for a silent bar)."""
    lowest = [128] * n_bars
    for n in (n for p in parts for n in p.notes if n.end > n.start):
        for b in range(max(0, int(n.start // meter.bar_beats)), min(n_bars, math.ceil(n.end / meter.bar_beats - EPS))):
            lowest[b] = min(lowest[b], n.pitch)
    return [None if p == 128 else p % 12 for p in lowest]


def bar_chords(parts: Sequence[Part], meter: Meter, n_bars: int) -> list[Chord | None]:
    return [prevailing_chord(w, low) for w, low in
            zip(bar_histograms(parts, meter, n_bars), bar_lowest(parts, meter, n_bars), strict=True)]


# --- per-part metrics ------------------------------------------------------------------------------------------


def bar_patterns(
    notes: Sequence[Note], meter: Meter, n_bars: int, with_pitch: bool
) -> list[tuple[tuple[int, ...], ...]]:
    """Per bar, the sorted onset positions (FINE units from the barline), with pitches when asked."""
    patterns: list[list[tuple[int, ...]]] = [[] for _ in range(n_bars)]
    for n in notes:
        bar, pos = divmod(onset_tick(n), meter.bar_ticks)
        if 0 <= bar < n_bars:
            patterns[bar].append((pos, n.pitch) if with_pitch else (pos,))
    return [tuple(sorted(p)) for p in patterns]


def repeat_share(patterns: Sequence[tuple[tuple[int, ...], ...]]) -> float | None:
    """Share of non-empty bars whose pattern equals an earlier bar's; None without non-empty bars."""
    seen: set[tuple[tuple[int, ...], ...]] = set()
    repeats = total = 0
    for pattern in patterns:
        if not pattern:
            continue
        total += 1
        repeats += pattern in seen
        seen.add(pattern)
    return repeats / total if total else None


def polyphony(part: Part, length: int) -> float:
    """Mean number of the part's notes sounding, over the FINE grid points where it sounds."""
    counts = note_counts(part, FINE, length)
    sounding = counts[counts > 0]
    return float(sounding.mean()) if sounding.size else 0.0


def chord_tone_strong(part: Part, chords: Sequence[Chord | None], meter: Meter) -> float | None:
    """Share of the part's strong-beat onsets whose pc is in the bar's prevailing chord."""
    strong = meter.strong_ticks()
    hits = total = 0
    for n in part.notes:
        bar, pos = divmod(onset_tick(n), meter.bar_ticks)
        if pos not in strong or not 0 <= bar < len(chords) or chords[bar] is None:
            continue
        total += 1
        hits += n.pitch % 12 in chords[bar].pcs  # type: ignore[union-attr]
    return hits / total if total else None


def note_bytes(notes: Sequence[Note]) -> list[bytes]:
    """Each note as 3 bytes: pitch, onset delta from the previous note and duration, in FINE units (cap 255)."""
    out, previous = [], 0
    for n in notes:
        onset = onset_tick(n)
        delta = min(MAX_BYTE, max(0, onset - previous))
        duration = min(MAX_BYTE, max(0, round((n.end - n.start) * FINE)))
        out.append(bytes((n.pitch, delta, duration)))
        previous = onset
    return out


def compression_ratio(data: bytes) -> float:
    return len(data) / len(zlib.compress(data, 9))


def compression_gain(part: Part) -> float | None:
    """zlib ratio of the note string over the mean ratio of SHUFFLES seeded shuffles of its notes."""
    units = note_bytes(part.notes)
    if len(units) < 2:
        return None
    actual = compression_ratio(b"".join(units))
    shuffled = [
        compression_ratio(b"".join(units[i] for i in np.random.default_rng(seed).permutation(len(units))))
        for seed in range(SHUFFLES)
    ]
    return actual / float(np.mean(shuffled))


def top_line(part: Part) -> list[int]:
    """The highest pitch at each quantised onset, in onset order."""
    tops: dict[int, int] = {}
    for n in part.notes:
        tick = onset_tick(n)
        tops[tick] = max(n.pitch, tops.get(tick, n.pitch))
    return [tops[t] for t in sorted(tops)]


def interval_shares(line: Sequence[int]) -> tuple[float | None, float | None, float | None, float | None]:
    """(steps 1-2, leaps 3-7, leaps > 12) as shares of the line's non-zero intervals; and the same note again
    as a share of all its intervals (None: fewer than two notes)."""
    every = [abs(b - a) for a, b in pairwise(line)]
    intervals, unison = [i for i in every if i], (sum(i == 0 for i in every) / len(every) if every else None)
    if not intervals:
        return None, None, None, unison
    count = len(intervals)
    return (sum(1 <= i <= 2 for i in intervals) / count, sum(3 <= i <= 7 for i in intervals) / count,
            sum(i > 12 for i in intervals) / count, unison)


# --- per-piece metrics -----------------------------------------------------------------------------------------


def top_notes(grid: np.ndarray) -> np.ndarray:
    """Highest sounding pitch per grid point, -1 where silent."""
    return np.where(grid.any(axis=0), 127 - np.argmax(grid[::-1], axis=0), -1)


def bottom_notes(grid: np.ndarray) -> np.ndarray:
    """Lowest sounding pitch per grid point, 128 where silent."""
    return np.where(grid.any(axis=0), np.argmax(grid, axis=0), 128)


def pitch_classes(grid: np.ndarray) -> np.ndarray:
    """[12, length] boolean: pc sounds at the grid point."""
    padded = np.zeros((132, grid.shape[1]), dtype=bool)
    padded[:128] = grid
    return np.logical_or.reduce(padded.reshape(11, 12, -1), axis=0)


def clash_rate(grids: Sequence[np.ndarray]) -> float | None:
    """Share of points with 2+ distinct pcs that hold two pcs a semitone apart (mod 12)."""
    pcs = pitch_classes(np.logical_or.reduce(grids))
    multi = pcs.sum(axis=0) >= 2
    clash = (pcs & np.roll(pcs, -1, axis=0)).any(axis=0)
    return float(clash[multi].mean()) if multi.any() else None


def voice_crossing(grids: Sequence[np.ndarray], roles: Sequence[str]) -> float | None:
    """Share of points with an ordered pair both sounding where the higher-ranked part's top is below the other's."""
    tops = [top_notes(g) for g in grids]
    both_any = np.zeros(grids[0].shape[1], dtype=bool)
    crossed_any = np.zeros_like(both_any)
    for i, j in combinations(range(len(grids)), 2):
        if (
            roles[i] not in REGISTER_RANK
            or roles[j] not in REGISTER_RANK
            or REGISTER_RANK[roles[i]] == REGISTER_RANK[roles[j]]
        ):
            continue
        hi, lo = (i, j) if REGISTER_RANK[roles[i]] > REGISTER_RANK[roles[j]] else (j, i)
        both = (tops[hi] >= 0) & (tops[lo] >= 0)
        both_any |= both
        crossed_any |= both & (tops[hi] < tops[lo])
    return float(crossed_any[both_any].mean()) if both_any.any() else None


def bass_lowest(grids: Sequence[np.ndarray], roles: Sequence[str]) -> float | None:
    """Share of points where the bass sounds whose lowest bass note is the lowest note sounding (ties count)."""
    bass = [g for g, r in zip(grids, roles, strict=True) if r == "bass"]
    if not bass:
        return None
    bass_low = bottom_notes(np.logical_or.reduce(bass))
    all_low = bottom_notes(np.logical_or.reduce(grids))
    sounding = bass_low < 128
    return float((bass_low[sounding] == all_low[sounding]).mean()) if sounding.any() else None


def bass_root(
    parts: Sequence[Part], roles: Sequence[str], chords: Sequence[Chord | None], meter: Meter
) -> float | None:
    """Share of bars (with a chord and a bass note sounding at the downbeat) where such a note's pc is the root."""
    bass_notes = [n for p, r in zip(parts, roles, strict=True) if r == "bass" for n in p.notes]
    if not any(r == "bass" for r in roles):
        return None
    hits = total = 0
    for b, chord in enumerate(chords):
        downbeat = b * meter.bar_beats
        pcs = {n.pitch % 12 for n in bass_notes if n.start <= downbeat + EPS < n.end}
        if chord is None or not pcs:
            continue
        total += 1
        hits += chord.root in pcs
    return hits / total if total else None


def co_sounding(grids: Sequence[np.ndarray]) -> float | None:
    """Mean over part pairs of (points where both sound) / (points where either sounds)."""
    sounding = [g.any(axis=0) for g in grids]
    ratios = [float((a & b).sum() / (a | b).sum()) for a, b in combinations(sounding, 2) if (a | b).any()]
    return float(np.mean(ratios)) if ratios else None

