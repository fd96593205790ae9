"""Music metrics: MusPy's per-piece measures and Yang & Lerch's distribution comparison of two sets.

Per piece (`piece_metrics`, computed by the `muspy` package itself; Dong et al., "MusPy: A Toolkit for
Symbolic Music Generation", ISMIR 2020): pitch-class entropy (bits), scale consistency (the largest share
of notes in one major or natural-minor scale), groove consistency (1 - mean Hamming distance of
consecutive bars' onset patterns), empty-beat rate, polyphony (mean pitches sounding where any does) and
pitch range (semitones). Scores go to MusPy at 12 ticks per beat, the tokenizer's grid, so a bar's
onset pattern has as many slots as the model has positions (at 480 the groove measure is always ~1).

Sets (Yang & Lerch 2020, "On the evaluation of generative models in music", Neural Computing and
Applications 32, the mgeval toolkit): each piece becomes five features (pitch-class histogram,
pitch-class transition matrix, average absolute interval between consecutive notes, average
inter-onset interval in beats, note-length histogram over 12 classes). For each feature, the
Euclidean distances between pieces within a set (intra-set) and across two sets (inter-set) form
two distributions, smoothed with scipy's gaussian_kde as the paper does; their overlapping area (OA,
1 = the same) and Kullback-Leibler divergence (KLD, 0 = the same) say how far a candidate set is
from a reference set, measured on the scale of the reference set's own variety.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

import numpy as np

from composer.core.score import TICKS_PER_BEAT, Score

MUSPY_RESOLUTION = 12  # ticks per beat handed to MusPy: 16ths and triplets, as in composer/decode/tokens.py
PIECE_METRICS = ("pitch_class_entropy", "scale_consistency", "groove_consistency", "empty_beat_rate",
                 "polyphony", "pitch_range")
FEATURES = ("pitch_class_histogram", "pitch_class_transition_matrix", "average_interval", "inter_onset_interval",
            "note_length_histogram")
# mgeval's 12 note-length classes in beats: whole, half, quarter, 8th, 16th; dotted half, quarter, 8th,
# 16th; half-, quarter- and 8th-note triplets. Each note counts in the class nearest its length.
NOTE_LENGTH_CLASSES = np.array([4, 2, 1, 1 / 2, 1 / 4, 3, 3 / 2, 3 / 4, 3 / 8, 4 / 3, 2 / 3, 1 / 3])
GRID_POINTS = 3000  # where the two densities are compared, over three times the samples' span


def to_muspy(score: Score, resolution: int = MUSPY_RESOLUTION) -> Any:
    """The score as a `muspy.Music` at `resolution` ticks per beat (notes keep at least one tick)."""
    import muspy

    def at(tick: int) -> int:
        return round(tick * resolution / TICKS_PER_BEAT)

    tracks = []
    for track in score.tracks:
        notes = [muspy.Note(time=at(n.start), pitch=n.pitch, duration=max(1, at(n.end) - at(n.start)),
                            velocity=n.velocity) for n in track.notes]
        tracks.append(muspy.Track(program=track.program, is_drum=track.is_drum, name=track.name, notes=notes))
    meters = [muspy.TimeSignature(time=at(t.tick), numerator=t.numerator, denominator=t.denominator)
              for t in score.time_signatures]
    tempos = [muspy.Tempo(time=at(t.tick), qpm=t.bpm) for t in score.tempos]
    return muspy.Music(resolution=resolution, tracks=tracks, time_signatures=meters, tempos=tempos)


def piece_metrics(score: Score) -> dict[str, float]:
    """MusPy's six per-piece measures (NaN where one is undefined, e.g. no pitched notes)."""
    import muspy

    music = to_muspy(score)
    meter = score.time_signatures[0] if score.time_signatures else None
    bar = MUSPY_RESOLUTION * 4 * meter.numerator // meter.denominator if meter else 4 * MUSPY_RESOLUTION
    if not any(t.notes for t in music.tracks):
        return dict.fromkeys(PIECE_METRICS, float("nan"))
    return {
        "pitch_class_entropy": float(muspy.pitch_class_entropy(music)),
        "scale_consistency": float(muspy.scale_consistency(music)),
        "groove_consistency": float(muspy.groove_consistency(music, bar)),
        "empty_beat_rate": float(muspy.empty_beat_rate(music)),
        "polyphony": float(muspy.polyphony(music)),
        "pitch_range": float(muspy.pitch_range(music)),
    }


def _voices(score: Score) -> list[list[tuple[int, int, int]]]:
    """Each pitched track's notes as (start, end, pitch), in onset order (lowest pitch first)."""
    return [sorted((n.start, n.end, n.pitch) for n in t.notes) for t in score.tracks if not t.is_drum and t.notes]


def features(score: Score) -> dict[str, np.ndarray]:
    """Yang & Lerch's features of one piece, each a flat vector (drums left out)."""
    voices = _voices(score)
    notes = [note for voice in voices for note in voice]
    pitch_classes = np.bincount([p % 12 for _, _, p in notes], minlength=12).astype(float)
    transitions = np.zeros((12, 12))
    intervals: list[int] = []
    for voice in voices:
        for (_, _, a), (_, _, b) in itertools.pairwise(voice):
            transitions[a % 12, b % 12] += 1
            intervals.append(abs(b - a))
    onsets = np.unique([s for s, _, _ in notes]) / TICKS_PER_BEAT
    lengths = np.array([(e - s) / TICKS_PER_BEAT for s, e, _ in notes])
    nearest = np.abs(lengths[:, None] - NOTE_LENGTH_CLASSES[None, :]).argmin(axis=1) if len(lengths) else []
    note_lengths = np.bincount(np.asarray(nearest, dtype=int), minlength=12).astype(float)
    return {
        "pitch_class_histogram": pitch_classes / max(1.0, pitch_classes.sum()),
        "pitch_class_transition_matrix": (transitions / max(1.0, transitions.sum())).ravel(),
        "average_interval": np.array([np.mean(intervals) if intervals else 0.0]),
        "inter_onset_interval": np.array([np.diff(onsets).mean() if len(onsets) > 1 else 0.0]),
        "note_length_histogram": note_lengths / max(1.0, note_lengths.sum()),
    }


def intra_set_distances(vectors: np.ndarray) -> np.ndarray:
    """Euclidean distances between every two pieces of one set (each pair once)."""
    from scipy.spatial.distance import pdist

    return pdist(np.atleast_2d(vectors.reshape(len(vectors), -1)))


def inter_set_distances(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Euclidean distances between every piece of `a` and every piece of `b`."""
    from scipy.spatial.distance import cdist

    return cdist(a.reshape(len(a), -1), b.reshape(len(b), -1)).ravel()


def _density(values: np.ndarray) -> Callable[[np.ndarray], np.ndarray]:
    """scipy's gaussian_kde of `values`; a narrow Gaussian where they are all equal (the KDE is singular)."""
    from scipy.stats import gaussian_kde

    values = np.asarray(values, dtype=float)
    if len(values) > 1 and np.ptp(values) > 1e-12:
        return gaussian_kde(values)
    centre, width = float(values.mean()), 1e-3 * max(1.0, abs(float(values.mean())))
    return lambda x: np.exp(-0.5 * ((np.asarray(x) - centre) / width) ** 2) / (width * np.sqrt(2 * np.pi))


def _grid(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    low, high = min(a.min(), b.min()), max(a.max(), b.max())
    margin = (high - low) or 1e-2 * max(1.0, abs(high))  # wide enough for the kernels' tails
    return np.linspace(low - margin, high + margin, GRID_POINTS)


def overlap_area(a: np.ndarray, b: np.ndarray) -> float:
    """Area under min(pdf_a, pdf_b) of the two kernel densities: 1 for identical samples, 0 for disjoint."""
    from scipy.integrate import trapezoid

    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    x = _grid(a, b)
    return float(np.clip(trapezoid(np.minimum(_density(a)(x), _density(b)(x)), x), 0.0, 1.0))


def kl_divergence(reference: np.ndarray, candidate: np.ndarray) -> float:
    """KL(reference || candidate) of the two kernel densities on a common grid, in nats."""
    from scipy.stats import entropy

    reference, candidate = np.asarray(reference, dtype=float), np.asarray(candidate, dtype=float)
    x = _grid(reference, candidate)
    p, q = _density(reference)(x), _density(candidate)(x)
    return float(entropy(p + 1e-12, q + 1e-12))


def compare_sets(candidate: list[Score], reference: list[Score]) -> dict[str, dict[str, float | None]]:
    """Per feature: OA and KLD between the candidate-vs-reference inter-set distances and the reference's
    intra-set distances, with the mean and spread of both sets' intra-set distances beside them."""
    if len(candidate) < 1 or len(reference) < 2:
        raise ValueError("need at least one candidate and two reference pieces")
    ours = [features(s) for s in candidate]
    theirs = [features(s) for s in reference]
    out = {}
    for name in FEATURES:
        a, b = np.stack([f[name] for f in ours]), np.stack([f[name] for f in theirs])
        intra_ref, inter = intra_set_distances(b), inter_set_distances(a, b)
        intra_cand = intra_set_distances(a) if len(a) > 1 else np.zeros(1)
        out[name] = {"overlap_area": round(overlap_area(inter, intra_ref), 4),
                     "kl_divergence": round(kl_divergence(intra_ref, inter), 4),
                     "intra_candidate_mean": round(float(intra_cand.mean()), 4),
                     "intra_candidate_std": round(float(intra_cand.std()), 4),
                     "intra_reference_mean": round(float(intra_ref.mean()), 4),
                     "intra_reference_std": round(float(intra_ref.std()), 4),
                     "feature_candidate_mean": round(float(a.mean()), 4) if a.shape[1] == 1 else None,
                     "feature_reference_mean": round(float(b.mean()), 4) if b.shape[1] == 1 else None}
    return out


def summarise(rows: list[dict[str, float]]) -> dict[str, dict[str, float]]:
    """Mean and standard deviation of each per-piece metric over a set (NaNs left out, counted)."""
    out = {}
    for name in PIECE_METRICS:
        values = np.array([r[name] for r in rows], dtype=float)
        kept = values[~np.isnan(values)]
        out[name] = {"mean": round(float(kept.mean()), 4) if len(kept) else float("nan"),
                     "std": round(float(kept.std()), 4) if len(kept) else float("nan"),
                     "undefined": int(np.isnan(values).sum())}
    return out
