"""The JSON sidecar and loop markers: timings from the tempo map, the shipped schema, real renders, the CLI."""

import argparse
import json

import jsonschema
import pytest
import symusic

from composer.core.errors import ComposerError
from composer.core.score import TICKS_PER_BEAT, KeySignature, Marker, Score, TempoChange, TimeSignature
from composer.faces.outputs import write_piece
from composer.output.midi_io import from_symusic, midi_bytes, read_midi, write_midi
from composer.output.sidecar import build_sidecar, load_schema, loop_region, set_loop, sidecar_path

from .conftest import add_track, needs_fluidsynth, run_cli, small_band_score
from .test_game import shipped

BAR = 4 * TICKS_PER_BEAT


def validate(sidecar: dict) -> None:
    jsonschema.Draft202012Validator(load_schema()).validate(sidecar)


def four_bars(*tempos: TempoChange) -> Score:
    """Four bars of 4/4 with one held note a bar, sections A and B, and a loop over all four bars."""
    score = Score(tempos=list(tempos) or [TempoChange(0, 120.0)], key_signatures=[KeySignature(0, "D", "minor")],
                  markers=[Marker(0, "A"), Marker(2 * BAR, "B")], title="four bars")
    add_track(score, "Strings", 48, [(62, 80, 4 * bar, 4 * bar + 4) for bar in range(4)])
    return set_loop(score, 0, 4 * BAR)


# ---------------------------------------------------------------- loop markers


def test_set_loop_returns_a_copy_with_both_markers_and_loop_region_reads_them():
    score = small_band_score()
    looped = set_loop(score, 0, 2 * 3 * TICKS_PER_BEAT)
    assert loop_region(score) is None and len(score.markers) == 2  # the original is untouched
    assert loop_region(looped) == (0, 2880)
    assert [m.text for m in looped.markers] == ["A", "loopStart", "B", "loopEnd"]
    again = set_loop(looped, 480, 2880)  # replaces, never duplicates
    assert loop_region(again) == (480, 2880)
    assert sum(m.text.startswith("loop") for m in again.markers) == 2
    assert loop_region(Score(markers=[Marker(0, "LoopStart"), Marker(960, "LOOPEND")])) == (0, 960)


@pytest.mark.parametrize("markers,message", [
    ([Marker(0, "loopStart")], "no 'loopEnd'"),
    ([Marker(960, "loopEnd")], "no 'loopStart'"),
    ([Marker(960, "loopStart"), Marker(480, "loopEnd")], "before it starts"),
], ids=["start-only", "end-only", "backwards"])
def test_a_half_or_backwards_loop_is_a_user_error(markers, message):
    with pytest.raises(ComposerError, match=message):
        loop_region(Score(markers=markers))
    with pytest.raises(ComposerError):
        set_loop(Score(), 960, 960)


def test_loop_markers_round_trip_through_our_reader_and_symusic(tmp_path):
    score = four_bars()
    path = write_midi(score, tmp_path / "loop.mid")
    assert loop_region(read_midi(path)) == (0, 4 * BAR)
    assert loop_region(from_symusic(symusic.Score(str(path)))) == (0, 4 * BAR)
    assert [m.text for m in read_midi(path).markers] == ["A", "loopStart", "B", "loopEnd"]


# ---------------------------------------------------------------- timings


@pytest.mark.parametrize("sample_rate", [44100, 48000])
def test_beats_at_120_bpm_are_half_a_second_apart(sample_rate):
    sidecar = build_sidecar(four_bars(), sample_rate=sample_rate)
    validate(sidecar)
    assert len(sidecar["beats"]) == 16 and sidecar["bar_count"] == 4
    for k, beat in enumerate(sidecar["beats"]):
        assert beat["seconds"] == pytest.approx(k * 0.5)
        assert beat["sample"] == round(k * 0.5 * sample_rate)
        assert (beat["bar"], beat["beat"]) == (k // 4 + 1, k % 4 + 1)
    assert [b["sample"] for b in sidecar["bars"]] == [round(2.0 * i * sample_rate) for i in range(4)]
    assert sidecar["duration"] == {"seconds": 8.0, "samples": 8 * sample_rate}


def test_a_tempo_change_moves_the_beats_and_everything_after_it():
    sidecar = build_sidecar(four_bars(TempoChange(0, 120.0), TempoChange(2 * BAR, 60.0)), sample_rate=44100)
    validate(sidecar)
    seconds = [b["seconds"] for b in sidecar["beats"]]
    assert seconds == pytest.approx([0.5 * k for k in range(8)] + [4.0 + k for k in range(8)])
    assert [b["sample"] for b in sidecar["beats"]][8:10] == [176400, 220500]
    assert [(t["bpm"], t["seconds"], t["sample"]) for t in sidecar["tempo_map"]] == [(120.0, 0.0, 0),
                                                                                     (60.0, 4.0, 176400)]
    loop = sidecar["loop"]
    assert (loop["start"]["bar"], loop["end"]["bar"], loop["end"]["beat"]) == (1, 5, 1)  # the end: bar 5, beat 1
    assert (loop["end"]["seconds"], loop["end"]["sample"], loop["length"]["samples"]) == (12.0, 529200, 529200)
    sections = {s["name"]: (s["start"]["seconds"], s["end"]["seconds"], s["start"]["bar"], s["end"]["bar"])
                for s in sidecar["sections"]}
    assert sections == {"A": (0.0, 4.0, 1, 3), "B": (4.0, 12.0, 3, 5)}  # loop points are not sections
    assert [m["name"] for m in sidecar["markers"]] == ["A", "loopStart", "B", "loopEnd"]


def test_meter_changes_make_bars_of_their_own_length():
    score = Score(time_signatures=[TimeSignature(0, 4, 4), TimeSignature(BAR, 6, 8)])
    add_track(score, "Piano", 0, [(60, 80, 0, 4), (62, 80, 4, 7)])
    sidecar = build_sidecar(score, sample_rate=44100)
    validate(sidecar)
    assert [b["meter"] for b in sidecar["bars"]] == ["4/4", "6/8"]
    assert [(b["bar"], b["beat"]) for b in sidecar["beats"]][4:] == [(2, k) for k in range(1, 7)]
    assert sidecar["beats"][5]["seconds"] == pytest.approx(2.25)  # eighth-note beats in 6/8
    assert sidecar["meters"][1]["bar"] == 2 and sidecar["loop"] is None and sidecar["sections"] == []
    assert build_sidecar(score, sample_rate=44100, loop=True)["loop"]["end"]["tick"] == BAR + 6 * 240


def test_file_names_are_relative_to_the_sidecar_and_stems_must_match_tracks(tmp_path):
    score = small_band_score()
    stems = [tmp_path / "stems" / f"{i}.ogg" for i in range(4)]
    sidecar = build_sidecar(score, sample_rate=44100, audio=tmp_path / "mix.ogg", stems=stems,
                            midi=tmp_path / "band.mid", base=tmp_path)
    validate(sidecar)
    assert (sidecar["audio"], sidecar["midi"]) == ("mix.ogg", "band.mid")
    assert [s["file"] for s in sidecar["stems"]] == [f"stems/{i}.ogg" for i in range(4)]
    assert sidecar["stems"][3] == {"file": "stems/3.ogg", "track": "Drums", "program": 0, "is_drum": True}
    with pytest.raises(ComposerError, match="one per track"):
        build_sidecar(score, sample_rate=44100, stems=stems[:2])
    assert sidecar_path(tmp_path / "mix.ogg", tmp_path / "stems") == tmp_path / "mix.ogg.json"
    assert sidecar_path(None, tmp_path / "stems") == tmp_path / "stems" / "sidecar.json"


def test_the_schema_documents_every_field():
    def walk(node, where):
        if isinstance(node, dict):
            for name, child in node.get("properties", {}).items():
                assert "description" in child or "$ref" in child, f"{where}.{name} has no description"
            for key, child in node.items():
                walk(child, f"{where}.{key}")
        elif isinstance(node, list):
            for index, child in enumerate(node):
                walk(child, f"{where}[{index}]")

    schema = load_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    walk(schema, "$")
    assert all("description" in d for d in schema["$defs"].values())
    sidecar = build_sidecar(four_bars(), sample_rate=44100)
    sidecar["tempo"] = 120  # an undocumented field is refused
    with pytest.raises(jsonschema.ValidationError):
        validate(sidecar)


# ---------------------------------------------------------------- real renders


@needs_fluidsynth
def test_a_rendered_loop_has_a_valid_sidecar_that_matches_its_audio(tmp_path):
    import soundfile

    from composer.output.render import render_to_files

    written = render_to_files(four_bars(), tmp_path / "loop.ogg", stems_dir=tmp_path / "stems",
                              midi=tmp_path / "loop.mid")
    assert written.sidecar == tmp_path / "loop.ogg.json"
    sidecar = json.loads(written.sidecar.read_text())
    validate(sidecar)
    frames = soundfile.info(written[0]).frames
    assert sidecar["duration"]["samples"] == frames == sidecar["loop"]["end"]["sample"] == 8 * 44100
    assert sidecar["audio"] == "loop.ogg" and sidecar["midi"] == "loop.mid"
    assert [s["file"] for s in sidecar["stems"]] == ["stems/01-strings.ogg"]
    assert not list(tmp_path.rglob("*.part"))


@needs_fluidsynth
def test_stems_alone_put_the_sidecar_in_the_stems_folder(tmp_path):
    from composer.output.render import render_to_files

    written = render_to_files(small_band_score(), stems_dir=tmp_path / "stems")
    assert written.sidecar == tmp_path / "stems" / "sidecar.json"
    sidecar = json.loads(written.sidecar.read_text())
    validate(sidecar)
    assert sidecar["audio"] is None and sidecar["loop"] is None
    assert sidecar["duration"]["seconds"] > sidecar["end"]["seconds"]  # a plain piece keeps its tail
    assert [s["file"] for s in sidecar["stems"]] == ["01-piano.wav", "02-strings.wav", "03-bass.wav", "04-drums.wav"]


@needs_fluidsynth
def test_cli_render_prints_the_sidecar_and_can_skip_it(tmp_path):
    source = tmp_path / "loop.mid"
    source.write_bytes(midi_bytes(four_bars()))
    result = run_cli("render", str(source), "-o", str(tmp_path / "loop.ogg"))
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [str(tmp_path / "loop.ogg"), str(tmp_path / "loop.ogg.json")]
    sidecar = json.loads((tmp_path / "loop.ogg.json").read_text())
    assert sidecar["midi"] == "loop.mid" and sidecar["loop"]["length"]["seconds"] == 8.0
    result = run_cli("render", str(source), "-o", str(tmp_path / "plain.wav"), "--no-sidecar")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [str(tmp_path / "plain.wav")]
    assert not (tmp_path / "plain.wav.json").exists()


class _Piece:
    """What write_piece needs of a generated Piece."""

    def __init__(self, score: Score) -> None:
        self.score, self.attributes, self.token_count, self.attempts, self.seconds = score, {}, 0, 1, {}

    def save_midi(self, path):
        return write_midi(self.score, path)


@needs_fluidsynth
def test_generate_json_lists_the_sidecar(tmp_path, capsys):
    args = argparse.Namespace(output=str(tmp_path / "p.mid"), musicxml=None, piano_roll=None,
                              audio=str(tmp_path / "p.flac"), stems=None, json=True)
    assert write_piece(_Piece(four_bars()), args, 0.0) == 0
    outputs = json.loads(capsys.readouterr().out)["outputs"]
    assert outputs["sidecar"] == str(tmp_path / "p.flac.json")
    assert json.loads((tmp_path / "p.flac.json").read_text())["midi"] == "p.mid"


def sidecar_links(sidecar: dict) -> list[str]:
    """Every file a sidecar names: the mix, the MIDI source, the stems and a loop's tail."""
    names = [sidecar["audio"], sidecar["midi"], *(stem["file"] for stem in sidecar["stems"])]
    tail = sidecar.get("tail")
    return [name for name in names if name is not None] + ([tail["file"]] if tail else [])


@shipped
@needs_fluidsynth
def test_every_file_a_sidecar_names_exists_with_layers_stems_and_tails(tmp_path):
    for folder in ("layers", "stems-only", "one", "rendered"):
        (tmp_path / folder).mkdir()
    runs = [["generate", "tense stealth", "--layers", "low,high", "--loop", "--bars", "2", "--seed", "5",
             "-o", "layers/s.mid", "--audio", "layers/s.ogg", "--stems", "layers/stems"],
            ["generate", "calm piano", "--bars", "2", "--seed", "1", "-o", "stems-only/p.mid",
             "--stems", "stems-only/stems"],
            ["generate", "calm loop", "--bars", "2", "--loop", "--seed", "2", "-o", "one/p.mid", "--audio", "one/p.wav",
             "--stems", "one/stems", "--tail", "one/p-tail.wav"],
            ["render", "one/p.mid", "-o", "rendered/p.flac", "--stems", "rendered/stems", "--tail", "rendered/t.ogg"]]
    for args in runs:
        result = run_cli(*args, cwd=tmp_path)
        assert result.returncode == 0, (args, result.stderr)
    sidecars = sorted(tmp_path.rglob("*.json"))
    assert [p.relative_to(tmp_path).as_posix() for p in sidecars] == [
        "layers/s-high.ogg.json", "layers/s-low.ogg.json", "one/p.wav.json", "rendered/p.flac.json",
        "stems-only/stems/sidecar.json"]
    for path in sidecars:
        sidecar = json.loads(path.read_text())
        validate(sidecar)
        assert sidecar["midi"] is not None, path  # every run wrote or read a MIDI file
        for name in sidecar_links(sidecar):
            assert (path.parent / name).is_file(), f"{path} names {name}, which is not there"
    assert json.loads((tmp_path / "one/p.wav.json").read_text())["tail"]["file"] == "p-tail.wav"
    assert json.loads((tmp_path / "stems-only/stems/sidecar.json").read_text())["midi"] == "../p.mid"
