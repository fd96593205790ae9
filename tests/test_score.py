"""The Score data model rejects impossible values and maps ticks to seconds through the tempo map."""

import pytest

from composer.core.score import KeySignature, Note, Score, TempoChange, TempoMap, TimeSignature, Track


@pytest.mark.parametrize("kwargs", [
    {"pitch": 128, "start": 0, "end": 10},
    {"pitch": 60, "start": 10, "end": 10},
    {"pitch": 60, "start": 10, "end": 5},
    {"pitch": 60, "start": -1, "end": 5},
    {"pitch": 60, "start": 0, "end": 5, "velocity": 0},
], ids=["pitch-too-high", "zero-length", "end-before-start", "negative-start", "silent-velocity"])
def test_note_rejects_impossible_values(kwargs):
    with pytest.raises(ValueError):
        Note(**kwargs)


def test_track_rejects_bad_program():
    with pytest.raises(ValueError):
        Track("x", program=128)


def test_key_signature_spelling_and_sharps():
    assert KeySignature(0, "Eb", "major").sharps == -3
    assert KeySignature(0, "F#", "minor").sharps == 3
    assert KeySignature.from_sharps(0, -5, "minor").name == "Bb minor"
    assert KeySignature(0, "D#", "major").sharps == -3  # enharmonic of Eb major
    with pytest.raises(ValueError):
        KeySignature(0, "H", "major")


def test_tempo_map_seconds_follow_tempo_changes():
    tempo = TempoMap([TempoChange(0, 120.0), TempoChange(960, 60.0)])
    assert tempo.seconds_at(480) == pytest.approx(0.5)
    assert tempo.seconds_at(960) == pytest.approx(1.0)
    assert tempo.seconds_at(1440) == pytest.approx(2.0)


def test_bar_starts_follow_meter_changes():
    score = Score(time_signatures=[TimeSignature(0, 3, 4), TimeSignature(1440 * 2, 6, 8)],
                  tracks=[Track("x", 0, False, [Note(60, 0, 1440 * 2 + 1440 * 2)])])
    assert score.bar_starts() == [0, 1440, 2880, 4320]


def test_copy_is_independent(band_score):
    copy = band_score.copy()
    copy.tracks[0].notes.clear()
    copy.markers.clear()
    assert band_score.tracks[0].notes and band_score.markers


def test_a_pitch_struck_again_while_sounding_is_merged_or_released():
    from composer.core.score import untangle_unisons

    score = Score(tracks=[Track("Violin", 40, notes=[Note(67, 0, 480, 70), Note(67, 0, 960, 90),
                                                     Note(67, 720, 1200, 80), Note(60, 100, 900, 60)])])
    untangle_unisons(score)
    assert score.tracks[0].notes == [Note(67, 0, 720, 90), Note(60, 100, 900, 60), Note(67, 720, 1200, 80)]
