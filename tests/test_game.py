"""Stingers, transitions and cue sheets, judged from the written MIDI and sidecars."""

import json

import pytest

from composer.arrange.cues import TEMPO_LIMIT, fit_bars, load_cue_sheet
from composer.core.errors import ComposerError
from composer.core.score import KeySignature, Score, TempoChange, TimeSignature
from composer.decode.checkpoint import CHECKPOINT_ROOT, DEFAULT_CHECKPOINT

from .conftest import add_track, run_cli

shipped = pytest.mark.skipif(not (CHECKPOINT_ROOT / DEFAULT_CHECKPOINT / "model.safetensors").exists(),
                             reason="no shipped checkpoint yet")


def d_minor_piece(tempo: float = 96.0) -> Score:
    score = Score(tempos=[TempoChange(0, tempo)], time_signatures=[TimeSignature(0, 3, 4)],
                  key_signatures=[KeySignature(0, "D", "minor")])
    melody = [62, 64, 65, 67, 69, 70, 69, 67, 65, 64, 61, 62] * 2
    add_track(score, "Strings", 48, [(p, 80, i, i + 1) for i, p in enumerate(melody)])
    add_track(score, "Bass", 33, [(38 + (i % 2) * 7, 90, 3 * i, 3 * i + 3) for i in range(8)])
    return score


def test_hits_land_on_bar_lines_by_nudging_the_tempo_within_its_limit():
    bars, tempo = fit_bars(14.5, 66.0, (4, 4))
    assert bars * 4 * 60 / tempo == pytest.approx(14.5, abs=1e-3) and abs(tempo / 66 - 1) <= TEMPO_LIMIT
    bars, tempo = fit_bars(10.0, 120.0, (6, 8))
    assert bars == 7 and bars * 3 * 60 / tempo == pytest.approx(10.0, abs=1e-3)
    with pytest.raises(ComposerError, match="cannot hold whole bars"):
        fit_bars(0.9, 60.0, (4, 4))


def test_cue_sheets_are_checked_with_one_clear_reason(tmp_path):
    ok = {"title": "t", "scenes": [{"name": "a", "description": "calm", "start": 0},
                                   {"name": "b", "description": "battle", "start": 10, "bars": 4}]}
    assert [s.name for s in load_cue_sheet(ok)[1]] == ["a", "b"]
    for sheet, message in (({"scenes": []}, "needs a list"), ({"scenes": [{"name": "a", "start": 3}]}, "starts at 0"),
                           ({"scenes": [{"start": 0}, {"start": 5}, {"start": 4}]}, "must increase"),
                           ({"scenes": [{"start": 0, "mood": "x"}]}, "unknown fields mood"),
                           ({"scenes": [{"start": 0}, {"bars": 0}]}, "bars must be")):
        with pytest.raises(ComposerError, match=message):
            load_cue_sheet(sheet)
    broken = tmp_path / "broken.yaml"
    broken.write_text("scenes: [ {name: a, start: 0")
    result = run_cli("score", str(broken), "-o", str(tmp_path / "x.mid"))
    assert result.returncode == 2 and "not valid YAML" in result.stderr and not (tmp_path / "x.mid").exists()


@shipped
def test_a_stinger_takes_the_pieces_key_tempo_and_meter_and_resolves_home(tmp_path):
    from composer.arrange.game import stinger
    from composer.output.midi_io import read_midi, write_midi

    write_midi(d_minor_piece(), tmp_path / "piece.mid")
    piece = stinger(tmp_path / "piece.mid", seed=1)
    score = read_midi(piece.save_midi(tmp_path / "sting.mid"))
    assert score.tempos[0].bpm == 96.0 and (score.time_signatures[0].numerator, score.key_signatures[0].name) == \
        (3, "D minor")
    assert score.length_ticks == 2 * 3 * 480
    notes = [n for t in score.tracks for n in t.notes]
    assert {t.program for t in score.tracks} <= {48, 33}
    last_bar = sorted((n for n in notes if n.start >= 3 * 480), key=lambda n: n.start)
    opening = [n.pitch for n in last_bar if n.start == last_bar[0].start]
    assert min(opening) % 12 == 2  # the last bar opens on the tonic, D, in the bass
    assert all(n.pitch % 12 in {2, 5, 9} for n in last_bar if n.start == last_bar[-1].start)  # ends on D minor


@shipped
def test_a_transition_glides_from_as_tempo_and_key_to_bs(tmp_path):
    from composer.output.midi_io import read_midi, write_midi

    write_midi(d_minor_piece(96.0), tmp_path / "a.mid")
    b = d_minor_piece(140.0)
    b.tracks[0].notes = [n.__class__(n.pitch + 7, n.start, n.end, n.velocity) for n in b.tracks[0].notes]
    b.tracks[1].notes = [n.__class__(n.pitch + 7, n.start, n.end, n.velocity) for n in b.tracks[1].notes]
    write_midi(b, tmp_path / "b.mid")
    result = run_cli("transition", str(tmp_path / "a.mid"), str(tmp_path / "b.mid"), "--bars", "2",
                     "-o", str(tmp_path / "bridge.mid"), "--seed", "3", "--json")
    assert result.returncode == 0, result.stderr
    bridge = read_midi(tmp_path / "bridge.mid")
    assert bridge.tempos[0].bpm == 96.0 and bridge.tempos[-1].bpm == 140.0
    assert [t.bpm for t in bridge.tempos] == sorted(t.bpm for t in bridge.tempos)
    assert [k.name for k in bridge.key_signatures] == ["D minor", "A minor"]
    assert bridge.note_count > 0 and bridge.length_ticks == 2 * 3 * 480


@shipped
def test_a_cue_sheet_lands_each_scene_on_its_time_with_a_marker(tmp_path):
    cues = tmp_path / "cues.yaml"
    cues.write_text("title: Level\nscenes:\n  - {name: Explore, description: calm forest with flute, start: 0}\n"
                    "  - {name: Ambush, description: frantic boss battle, start: 9.5}\n"
                    "  - {name: Win, description: triumphant fanfare, start: 21, bars: 2}\n")
    result = run_cli("score", str(cues), "-o", str(tmp_path / "level.mid"), "--audio", str(tmp_path / "level.wav"),
                     "--seed", "1")
    assert result.returncode == 0, result.stderr
    sidecar = json.loads((tmp_path / "level.wav.json").read_text())
    sections = {s["name"]: s["start"]["seconds"] for s in sidecar["sections"]}
    assert sections["Explore"] == 0 and sections["Ambush"] == pytest.approx(9.5, abs=0.01)
    assert sections["Win"] == pytest.approx(21.0, abs=0.01)
    assert all(s["start"]["beat"] == 1 for s in sidecar["sections"])  # every hit on a bar line
    tempos = [t["bpm"] for t in sidecar["tempo_map"]]
    assert len(tempos) == 3 and tempos[1] > tempos[0]  # the battle runs faster than the forest
    segments = sidecar["segments"]  # one per scene, each with its own tempo, for one-tempo-per-stream engines
    assert [s["name"] for s in segments] == ["Explore", "Ambush", "Win"] and sidecar["segment_bpm"] == tempos
    assert [s["start"]["sample"] for s in segments] == [m["sample"] for m in sidecar["markers"]]
    assert segments[-1]["bars"] == 2 and segments[-1]["end"] == sidecar["end"]
