"""MIDI files we write are what DAWs expect, checked with independent readers (mido, pretty_midi)."""

import io

import mido
import pretty_midi
import pytest

from composer.core.errors import ChannelOverflowError, MidiReadError
from composer.core.score import Note, Score, Track
from composer.output.midi_io import assign_channels, midi_bytes, read_midi, write_midi

from .conftest import add_track


def test_written_file_is_type1_at_480_ticks_with_named_tracks(band_score, tmp_path):
    path = write_midi(band_score, tmp_path / "band.mid")
    midi = mido.MidiFile(path)
    assert midi.type == 1
    assert midi.ticks_per_beat == 480
    names = [next(m.name for m in t if m.type == "track_name") for t in midi.tracks]
    assert names == ["Piano", "Strings", "Bass", "Drums"]  # track 0 is the first part and the conductor


def test_tempo_meter_and_key_are_written_once_in_track_0(band_score, tmp_path):
    """pretty_midi reads the file without its "events found on non-zero tracks" warning, and symusic sees one
    key event per change (the parts used to repeat them)."""
    import warnings

    import symusic

    path = write_midi(band_score, tmp_path / "band.mid")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        pm = pretty_midi.PrettyMIDI(str(path))
    assert len(pm.key_signature_changes) == len(band_score.key_signatures) == 1
    assert len(symusic.Score(str(path)).key_signatures) == 1
    meta = {"key_signature", "time_signature", "set_tempo", "marker"}
    tracks = mido.MidiFile(path).tracks
    assert all(m.type not in meta for t in tracks[1:] for m in t)
    drums_first = Score(tracks=[band_score.tracks[3], *band_score.tracks[:3]], tempos=band_score.tempos,
                        time_signatures=band_score.time_signatures, key_signatures=band_score.key_signatures,
                        title="drums first")
    tracks = mido.MidiFile(file=io.BytesIO(midi_bytes(drums_first))).tracks  # a conductor track of its own
    assert [next(m.name for m in t if m.type == "track_name") for t in tracks][:2] == ["drums first", "Drums"]
    assert all(m.type not in meta for t in tracks[1:] for m in t)


def test_programs_channels_and_drums_seen_by_pretty_midi(band_score, tmp_path):
    path = write_midi(band_score, tmp_path / "band.mid")
    pm = pretty_midi.PrettyMIDI(str(path))
    got = [(i.name, i.program, i.is_drum, len(i.notes)) for i in pm.instruments]
    assert got == [("Piano", 0, False, 4), ("Strings", 48, False, 2), ("Bass", 33, False, 2), ("Drums", 0, True, 6)]
    midi = mido.MidiFile(path)
    channels = [{m.channel for m in t if hasattr(m, "channel")} for t in midi.tracks]
    assert channels[3] == {9}
    assert len({next(iter(c)) for c in channels}) == 4  # every part on a channel of its own


def test_tempo_meter_key_and_markers_are_meta_events(band_score, tmp_path):
    path = write_midi(band_score, tmp_path / "band.mid")
    pm = pretty_midi.PrettyMIDI(str(path))
    assert pm.get_tempo_changes()[1][0] == pytest.approx(90.0, abs=0.01)
    assert [(ts.numerator, ts.denominator) for ts in pm.time_signature_changes] == [(3, 4)]
    assert pretty_midi.key_number_to_key_name(pm.key_signature_changes[0].key_number) == "Eb Major"
    conductor = mido.MidiFile(path).tracks[0]
    markers, tick = [], 0
    for message in conductor:
        tick += message.time
        if message.type == "marker":
            markers.append((tick, message.text))
    assert markers == [(0, "A"), (1440, "B")]


def test_round_trip_keeps_everything(band_score):
    back = read_midi(midi_bytes(band_score))
    assert back.tracks == band_score.tracks
    assert back.time_signatures == band_score.time_signatures
    assert back.key_signatures == band_score.key_signatures
    assert back.markers == band_score.markers
    assert back.tempos == band_score.tempos


def test_reader_rescales_other_resolutions_to_480():
    pm = pretty_midi.PrettyMIDI(resolution=96, initial_tempo=120.0)
    piano = pretty_midi.Instrument(0, name="Keys")
    piano.notes.append(pretty_midi.Note(100, 60, 0.5, 1.0))  # beat 1 to beat 2 at 120 bpm
    pm.instruments.append(piano)
    buffer = io.BytesIO()
    pm.write(buffer)
    score = read_midi(buffer.getvalue())
    assert score.tracks[0].name == "Keys"
    assert (score.tracks[0].notes[0].start, score.tracks[0].notes[0].end) == (480, 960)


def test_same_program_gets_own_channel_while_channels_last():
    tracks = [Track(f"Violin {i}", 40) for i in range(3)] + [Track("Drums", 0, True)]
    assert assign_channels(tracks) == [0, 1, 2, 9]


def test_more_than_fifteen_tracks_share_channels_only_with_their_program():
    tracks = [Track(f"t{i}", i % 10) for i in range(20)]
    channels = assign_channels(tracks)
    owners: dict[int, set[int]] = {}
    for track, channel in zip(tracks, channels, strict=True):
        owners.setdefault(channel, set()).add(track.program)
    assert all(len(programs) == 1 for programs in owners.values())
    assert 9 not in owners


def test_sixteen_distinct_programs_is_a_clear_error():
    with pytest.raises(ChannelOverflowError, match="15"):
        assign_channels([Track(f"t{i}", i) for i in range(16)])


def test_repeated_notes_release_before_they_strike_again():
    score = Score()
    add_track(score, "Piano", 0, [(60, 80, 0, 1), (60, 80, 1, 2)])
    messages = [m for m in mido.MidiFile(file=io.BytesIO(midi_bytes(score))).tracks[0] if m.type.startswith("note")]
    assert [m.type for m in messages] == ["note_on", "note_off", "note_on", "note_off"]


@pytest.mark.parametrize("data,match", [
    (b"", "empty"),
    (b"RIFF....WAVEfmt ", "not a MIDI file"),
    (b"MThd\x00\x00\x00\x06\x00\x01\x00\x02\x01\xe0MTrk\x00\x00\x01\x00\x00\xff", "truncated"),
], ids=["empty", "wave-file", "truncated"])
def test_unreadable_data_raises_one_clear_error(data, match):
    with pytest.raises(MidiReadError, match=match):
        read_midi(data)


def test_zero_length_notes_in_a_file_become_one_tick():
    midi = mido.MidiFile(type=1, ticks_per_beat=480)
    track = mido.MidiTrack([mido.Message("note_on", note=60, velocity=90, time=0),
                            mido.Message("note_off", note=60, velocity=0, time=0)])
    midi.tracks.append(track)
    buffer = io.BytesIO()
    midi.save(file=buffer)
    assert read_midi(buffer.getvalue()).tracks[0].notes == [Note(60, 0, 1, 90)]


def test_a_bank_select_comes_before_every_program_change(tmp_path):
    import mido

    from composer.core.score import ControlChange, Score
    from composer.output.midi_io import read_midi, write_midi

    from .conftest import add_track

    score = Score()
    add_track(score, "Piano", 0, [(60, 90, 0, 1)])
    organ = add_track(score, "Organ", 19, [(48, 90, 0, 1)])
    organ.controls.append(ControlChange(0, 0, 8))  # the part's own bank: kept, and still first
    path = write_midi(score, tmp_path / "bank.mid")
    for track, bank in zip(mido.MidiFile(path).tracks, (0, 8), strict=True):
        channel = [m for m in track if not m.is_meta][:3]
        assert [(m.type, getattr(m, "control", None)) for m in channel] == [
            ("control_change", 0), ("control_change", 32), ("program_change", None)]
        assert channel[0].value == bank
    again = tmp_path / "again.mid"
    write_midi(read_midi(path), again)  # a round trip writes one bank select, not two
    assert sum(m.type == "control_change" for m in mido.MidiFile(again).tracks[0]) == 2
