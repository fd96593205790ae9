"""Analysis of a Score's music itself: key (as music21 finds it) and polyphony."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

import numpy as np

from composer.core.score import TICKS_PER_BEAT, Score
from composer.core.theory import Mode

# Pitch-class names used in key labels: the spelling most key signatures use.
KEY_TONICS = ("C", "Db", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B")


@dataclass(frozen=True)
class KeyEstimate:
    tonic_pc: int
    mode: Mode
    correlation: float

    @property
    def name(self) -> str:
        return f"{KEY_TONICS[self.tonic_pc]} {self.mode}"


# music21's key-weight profiles (tonic first; rows major, minor) for its two common analyses, copied so
# that judging a key does not import music21 (about a second and a half); tests check they still match.
PROFILES = {
    "key": np.array([[17.7661, 0.145624, 14.9265, 0.160186, 19.8049, 11.3587, 0.291248, 22.062, 0.145624, 8.15494,
                      0.232998, 4.95122],
                     [18.2648, 0.737619, 14.0499, 16.8599, 0.702494, 14.4362, 0.702494, 18.6161, 4.56621, 1.93186,
                      7.37619, 1.75623]]),
    "krumhansl": np.array([[6.35, 2.23, 3.48, 2.33, 4.38, 4.09, 2.52, 5.19, 2.39, 3.66, 2.29, 2.88],
                           [6.33, 2.68, 3.52, 5.38, 2.6, 3.53, 2.54, 4.75, 3.98, 2.69, 3.34, 3.17]]),
}


@functools.cache
def _profiles(method: str) -> np.ndarray:
    """The key profiles, rows [major, minor], of the music21 analysis that `analyze(method)` runs."""
    if method.lower() in PROFILES:
        return PROFILES[method.lower()]
    return music21_profiles(method)


def music21_profiles(method: str) -> np.ndarray:
    """The profiles read from music21 itself."""
    from music21.analysis.discrete import analysisClassFromMethodName

    analyser_class = analysisClassFromMethodName(method)
    if analyser_class is None:
        raise ValueError(f"music21 has no key analysis called {method!r}")
    analyser: Any = analyser_class()  # the key-weight subclasses define getWeights
    return np.array([analyser.getWeights("major"), analyser.getWeights("minor")], dtype=np.float64)


def pitch_class_durations(score: Score) -> np.ndarray:
    """Seconds-free histogram: total duration in beats of each pitch class, drums excluded."""
    histogram = np.zeros(12)
    for track in score.tracks:
        if track.is_drum:
            continue
        for note in track.notes:
            histogram[note.pitch % 12] += note.duration / TICKS_PER_BEAT
    return histogram


def estimate_key(score: Score, method: str = "key") -> KeyEstimate | None:
    """The key music21's `stream.analyze(method)` finds, computed directly on the Score.

    music21's key analyses (its default "key" is Aarden-Essen; "Krumhansl" is Krumhansl-Schmuckler) pick
    the best Pearson correlation of the duration-weighted pitch-class histogram with the 24 rotated
    profiles; the profiles come from music21 itself. None when there are no pitched notes.
    """
    correlation = key_correlations(score, method)
    if correlation is None:
        return None
    mode_index, tonic = np.unravel_index(int(np.argmax(correlation)), correlation.shape)
    return KeyEstimate(int(tonic), "major" if mode_index == 0 else "minor", float(correlation[mode_index, tonic]))


def key_correlations(score: Score, method: str = "key") -> np.ndarray | None:
    """[2, 12]: the Pearson correlation of the score's pitch-class durations with each key's profile (rows
    major and minor, columns the tonic's pitch class); None without pitched notes."""
    histogram = pitch_class_durations(score)
    if histogram.sum() == 0:
        return None
    profiles = _profiles(method)
    # rotated[m, tonic, j] = profile_m[(j - tonic) % 12]
    index = (np.arange(12)[None, :] - np.arange(12)[:, None]) % 12
    rotated = profiles[:, index]
    p = rotated - rotated.mean(axis=2, keepdims=True)
    h = histogram - histogram.mean()
    denominator = np.sqrt((p ** 2).sum(axis=2) * (h ** 2).sum())
    return np.where(denominator > 0, (p * h).sum(axis=2) / np.where(denominator > 0, denominator, 1), 0.0)


def onset_polyphony(score: Score) -> float:
    """Mean number of pitched notes sounding at each pitched onset."""
    events = sorted((n.start, n.end) for t in score.tracks if not t.is_drum for n in t.notes)
    if not events:
        return 0.0
    starts = np.array([s for s, _ in events])
    ends = np.array([e for _, e in events])
    onsets = np.unique(starts)
    ends_sorted = np.sort(ends)
    started = np.searchsorted(starts, onsets, side="right")
    ended = np.searchsorted(ends_sorted, onsets, side="right")
    return float(np.mean(started - ended))


# Chord templates for bar_chord: intervals above the root, simplest first (ties go to the simpler chord).
CHORD_TEMPLATES = {"": (0, 4, 7), "m": (0, 3, 7), "7": (0, 4, 7, 10), "dim": (0, 3, 6), "m7": (0, 3, 7, 10),
                   "maj7": (0, 4, 7, 11), "sus4": (0, 5, 7)}


def chord_label(score: Score, start: int, end: int) -> tuple[int, str] | None:
    """(root, CHORD_TEMPLATES name) of the chord that best explains the pitched notes sounding in [start, end):
    the template with the most duration-weighted in-chord time minus out-of-chord time (None when silent)."""
    weights = np.zeros(12)
    for track in score.tracks:
        if track.is_drum:
            continue
        for note in track.notes:
            overlap = min(note.end, end) - max(note.start, start)
            if overlap > 0:
                weights[note.pitch % 12] += overlap
    return best_template(weights)


def best_template(weights: np.ndarray, roots: range | tuple[int, ...] = range(12)) -> tuple[int, str] | None:
    """(root, template name) fitting 12 pitch-class weights best, over `roots` (None when all are zero)."""
    if not weights.any():
        return None
    total = weights.sum()
    best: tuple[float, int, str] | None = None
    for name, intervals in CHORD_TEMPLATES.items():
        for root in roots:
            inside = sum(weights[(root + step) % 12] for step in intervals)
            fit = inside - (total - inside) - 0.01 * len(intervals) * total
            if best is None or fit > best[0]:
                best = (fit, root, name)
    assert best is not None
    return best[1], best[2]


def bar_chord(score: Score, start: int, end: int) -> set[int] | None:
    """The pitch classes of chord_label's chord for [start, end) (None when silent)."""
    label = chord_label(score, start, end)
    if label is None:
        return None
    root, name = label
    return {(root + step) % 12 for step in CHORD_TEMPLATES[name]}
