"""The music metrics on tiny hand-made scores whose answers are known (composer/evaluate/metrics.py)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from composer.core.score import Score, TimeSignature
from composer.evaluate.metrics import (
    NOTE_LENGTH_CLASSES,
    compare_sets,
    features,
    kl_divergence,
    overlap_area,
    piece_metrics,
    summarise,
    to_muspy,
)
from tests.conftest import add_track

C_MAJOR = [60, 62, 64, 65, 67, 69, 71]


def melody(pitches: list[int], beats: float = 1.0, meter: tuple[int, int] = (4, 4)) -> Score:
    """One piano line, each note `beats` long, back to back."""
    score = Score(time_signatures=[TimeSignature(0, *meter)])
    add_track(score, "Piano", 0, [(p, 80, i * beats, (i + 1) * beats) for i, p in enumerate(pitches)])
    return score


def test_a_c_major_scale():
    metrics = piece_metrics(melody(C_MAJOR))
    assert metrics["scale_consistency"] == 1.0
    assert metrics["pitch_class_entropy"] == pytest.approx(math.log2(7))
    assert metrics["pitch_range"] == 11
    assert metrics["polyphony"] == 1.0
    assert metrics["empty_beat_rate"] == 0.0


def test_one_note_outside_any_scale_lowers_scale_consistency():
    # C D E F G A B plus C# and D#: no major or natural-minor scale holds more than 7 of the 9 pitch classes
    assert piece_metrics(melody([*C_MAJOR, 61, 63]))["scale_consistency"] == pytest.approx(7 / 9)
    # a single repeated pitch class has no uncertainty
    assert piece_metrics(melody([60, 72, 60, 48]))["pitch_class_entropy"] == 0.0


def test_polyphony_counts_pitches_sounding_together_and_ignores_drums():
    score = Score()
    add_track(score, "Piano", 0, [(60, 80, 0, 1), (64, 80, 0, 1), (67, 80, 0, 1)])
    add_track(score, "Drums", 0, [(36, 100, 0, 1), (38, 100, 0, 1)], is_drum=True)
    metrics = piece_metrics(score)
    assert metrics["polyphony"] == 3.0
    assert metrics["pitch_range"] == 7  # the drum keys 36 and 38 are not pitches


def test_empty_beat_rate():
    # half-beat notes on beats 1 and 4 of a bar: beats 2 and 3 are empty (MusPy counts beats up to the last
    # release: 4 beats)
    score = Score()
    add_track(score, "Piano", 0, [(60, 80, 0, 0.5), (62, 80, 3, 3.5)])
    assert piece_metrics(score)["empty_beat_rate"] == 0.5


def test_groove_consistency_compares_the_onset_patterns_of_consecutive_bars():
    same, different = Score(), Score()
    # two 4/4 bars, each ending before the next barline so MusPy sees exactly two bars
    add_track(same, "Piano", 0, [(60, 80, b, b + 0.5) for b in (0, 1, 2, 3, 4, 5, 6, 7)])
    add_track(different, "Piano", 0, [(60, 80, b, b + 0.5) for b in (0, 1, 2, 3)] + [(60, 80, 4, 7.5)])
    assert piece_metrics(same)["groove_consistency"] == 1.0
    # three of the 48 onset slots (12 a beat) differ between the bars
    assert piece_metrics(different)["groove_consistency"] == pytest.approx(1 - 3 / 48)


def test_a_score_without_pitched_notes_has_undefined_metrics():
    score = Score()
    add_track(score, "Drums", 0, [(36, 100, 0, 1)], is_drum=True)
    assert math.isnan(piece_metrics(score)["scale_consistency"])
    summary = summarise([piece_metrics(score), piece_metrics(melody(C_MAJOR))])
    assert summary["scale_consistency"] == {"mean": 1.0, "std": 0.0, "undefined": 1}


def test_short_notes_keep_a_tick_at_muspy_resolution():
    score = Score()
    add_track(score, "Piano", 0, [(60, 80, 0, 0.01)])
    assert to_muspy(score).tracks[0].notes[0].duration == 1


def test_yang_lerch_features():
    found = features(melody([60, 64, 67, 72], beats=1.0))
    assert found["pitch_class_histogram"] == pytest.approx(np.array([2, 0, 0, 0, 1, 0, 0, 1, 0, 0, 0, 0]) / 4)
    transitions = found["pitch_class_transition_matrix"].reshape(12, 12)
    assert transitions[0, 4] == transitions[4, 7] == transitions[7, 0] == pytest.approx(1 / 3)
    assert transitions.sum() == pytest.approx(1.0)
    assert found["average_interval"][0] == pytest.approx((4 + 3 + 5) / 3)
    assert found["inter_onset_interval"][0] == 1.0
    quarter = list(NOTE_LENGTH_CLASSES).index(1)
    assert found["note_length_histogram"][quarter] == 1.0
    dotted_eighths = features(melody([60, 62], beats=0.75))["note_length_histogram"]
    assert dotted_eighths[list(NOTE_LENGTH_CLASSES).index(0.75)] == 1.0


def test_overlap_area_and_kl_divergence():
    rng = np.random.default_rng(0)
    sample = rng.normal(size=400)
    assert overlap_area(sample, sample) == pytest.approx(1.0, abs=1e-6)
    assert kl_divergence(sample, sample) == pytest.approx(0.0, abs=1e-9)
    assert overlap_area(sample, sample + 20) < 1e-6
    # N(0, 1) against N(1, 1): KL 0.5 nats, overlap 2 * Phi(-0.5) = 0.617 (within the KDE's smoothing)
    assert kl_divergence(sample, rng.normal(1, 1, size=400)) == pytest.approx(0.5, abs=0.15)
    assert overlap_area(sample, rng.normal(1, 1, size=400)) == pytest.approx(0.617, abs=0.08)
    assert overlap_area(np.ones(5), np.ones(5)) == pytest.approx(1.0, abs=1e-3)  # a degenerate sample


def test_compare_sets_tells_a_like_set_from_an_unlike_one():
    rng = np.random.default_rng(1)
    tunes = [melody([int(p) for p in 60 + rng.choice([0, 2, 4, 5, 7, 9, 11], size=16)], beats=0.5)
             for _ in range(8)]
    clusters = [melody([int(p) for p in rng.integers(40, 90, size=16)], beats=float(rng.choice([0.25, 2])))
                for _ in range(8)]
    like = compare_sets(tunes[:4], tunes[4:])
    unlike = compare_sets(clusters, tunes)
    for name in ("pitch_class_histogram", "average_interval", "note_length_histogram"):
        assert like[name]["overlap_area"] > unlike[name]["overlap_area"]
        assert like[name]["kl_divergence"] < unlike[name]["kl_divergence"]
    with pytest.raises(ValueError):
        compare_sets(tunes[:1], tunes[:1])
