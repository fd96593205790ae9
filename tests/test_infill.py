"""`composer infill`: a span of bars regenerated, everything else left exactly as it was."""

import pytest

from composer.arrange.infill import parse_span, pick_tracks
from composer.core.errors import ComposerError
from composer.core.score import TICKS_PER_BEAT, ControlChange, KeySignature, Marker, Score, TempoChange, TimeSignature
from composer.decode.checkpoint import CHECKPOINT_ROOT, DEFAULT_CHECKPOINT

from .conftest import add_track, run_cli

shipped = pytest.mark.skipif(not (CHECKPOINT_ROOT / DEFAULT_CHECKPOINT / "model.safetensors").exists(),
                             reason="no shipped checkpoint yet")
BAR = 4 * TICKS_PER_BEAT
C_MAJOR = {0, 2, 4, 5, 7, 9, 11}


def eight_bars() -> Score:
    """Eight bars of C major at 100 bpm: a piano melody with a pedal change, held string chords (one held
    across the start of bar 5) and a bass on every bar."""
    score = Score(tempos=[TempoChange(0, 100.0)], time_signatures=[TimeSignature(0, 4, 4)],
                  key_signatures=[KeySignature(0, "C", "major")], markers=[Marker(0, "A"), Marker(4 * BAR, "B")])
    melody = [60, 62, 64, 65, 67, 65, 64, 62] * 4
    piano = add_track(score, "Piano", 0, [(p, 90, i, i + 1) for i, p in enumerate(melody)])
    piano.controls.extend([ControlChange(0, 64, 127), ControlChange(5 * BAR, 64, 0)])
    chords = [(48, 52, 55), (53, 57, 60), (55, 59, 62), (48, 52, 55)] * 2
    strings = []
    for bar, chord in enumerate(chords):
        if bar == 4:
            continue  # bar 4's chord is held through bar 5 instead
        end = bar + 2 if bar == 3 else bar + 1
        strings += [(p, 70, bar * 4, end * 4) for p in chord]
    add_track(score, "Strings", 48, strings)
    add_track(score, "Bass", 33, [(36 + (bar % 4) * 2, 100, bar * 4, bar * 4 + 2) for bar in range(8)])
    return score


def test_spans_and_track_names_are_read_or_refused_clearly():
    assert parse_span("5-8") == (5, 8) and parse_span(" 3 ") == (3, 3)
    for bad in ("0-2", "8-5", "five", "1-100"):
        with pytest.raises(ComposerError):
            parse_span(bad)
    score = eight_bars()
    assert [t.name for t in pick_tracks(score, "piano, BASS")] == ["Piano", "Bass"]
    assert len(pick_tracks(score, None)) == 3
    with pytest.raises(ComposerError, match="tracks are 'Piano', 'Strings', 'Bass'"):
        pick_tracks(score, "Violin")


@shipped
@pytest.mark.parametrize("tracks", [None, "Strings,Bass"])
def test_infill_regenerates_only_the_span_of_the_chosen_tracks(tracks):
    from composer.arrange.infill import infill_score
    from composer.output.midi_io import midi_bytes, read_midi

    original = read_midi(midi_bytes(eight_bars()))
    piece = infill_score(original, (5, 6), tracks, seed=3)
    out = read_midi(midi_bytes(piece.score))
    start, end = 4 * BAR, 6 * BAR
    assert [(t.name, t.program) for t in out.tracks] == [(t.name, t.program) for t in original.tracks]
    assert (out.tempos, out.time_signatures, out.key_signatures, out.markers) == \
        (original.tempos, original.time_signatures, original.key_signatures, original.markers)
    chosen = {t.name for t in pick_tracks(original, tracks)}
    new_notes = 0
    for before, after in zip(original.tracks, out.tracks, strict=True):
        assert after.controls == before.controls and after.pitch_bends == before.pitch_bends
        if before.name not in chosen:
            assert after.notes == before.notes  # untouched, even inside the span
            continue
        outside = [n for n in before.notes if not start <= n.start < end]
        cut = [n if n.end <= start or n.start >= start else n.__class__(n.pitch, n.start, start, n.velocity)
               for n in outside]
        assert [n for n in after.notes if not start <= n.start < end] == cut
        inside = [n for n in after.notes if start <= n.start < end]
        assert all(n.end <= end for n in inside)
        assert all(n.pitch % 12 in C_MAJOR for n in inside)
        new_notes += len(inside)
    assert new_notes > 0, "the span was emptied, not regenerated"
    held = next(t for t in out.tracks if t.name == "Strings").notes
    if "Strings" in chosen:  # the chord held from bar 4 into bar 5 stops where the span begins
        assert all(n.end <= start for n in held if n.start < start)
    assert midi_bytes(infill_score(original, (5, 6), tracks, seed=3).score) == midi_bytes(piece.score)


@shipped
def test_infill_cli_writes_the_file_and_refuses_spans_outside_it(tmp_path):
    from composer.output.midi_io import read_midi, write_midi

    source = tmp_path / "in.mid"
    write_midi(eight_bars(), source)
    out = tmp_path / "out.mid"
    done = run_cli("infill", str(source), "--bars", "2-3", "--tracks", "Piano", "-o", str(out), "--seed", "1")
    assert done.returncode == 0, done.stderr
    assert read_midi(out).note_count > 0
    for args, message in ((["--bars", "8-10"], "has 8 bars"), (["--bars", "x"], "cannot read bars"),
                          (["--bars", "2", "--tracks", "Violin"], "no track named 'Violin'")):
        bad = run_cli("infill", str(source), *args, "-o", str(tmp_path / "bad.mid"))
        assert bad.returncode == 2 and message in bad.stderr and "Traceback" not in bad.stderr
        assert not (tmp_path / "bad.mid").exists()


def test_tracks_are_found_by_a_word_of_their_name_or_by_their_family():
    score = Score()
    add_track(score, "Acoustic Grand Piano", 0, [(60, 90, 0, 480)])
    add_track(score, "Electric Bass (finger)", 33, [(36, 90, 0, 480)])
    assert [t.name for t in pick_tracks(score, "Piano")] == ["Acoustic Grand Piano"]  # the README's example
    assert [t.name for t in pick_tracks(score, "bass")] == ["Electric Bass (finger)"]
    assert [t.name for t in pick_tracks(score, "fretless bass")] == ["Electric Bass (finger)"]  # its GM family
    assert [t.name for t in pick_tracks(score, "piano, piano")] == ["Acoustic Grand Piano"]  # once
    with pytest.raises(ComposerError, match="no track named 'tuba'"):
        pick_tracks(score, "tuba")
