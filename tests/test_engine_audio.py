"""Engine-ready audio: markers and loop points inside WAV, FLAC and OGG equal to the sidecar's, a loop's
tail, loudness to a target under a true-peak ceiling, stinger sync and per-segment tempos in the sidecar."""

import itertools
import json
import math
import struct
from pathlib import Path

import jsonschema
import numpy as np
import pytest
import soundfile

from composer.core.errors import ComposerError
from composer.core.score import TICKS_PER_BEAT, Marker, Score, TempoChange, TimeSignature
from composer.output.sidecar import build_sidecar, load_schema, parse_sync, set_loop, stinger_marker

from .conftest import add_track, needs_fluidsynth, run_cli, small_band_score
from .test_game import d_minor_piece, shipped
from .test_render import LOOP_FRAMES, loop_score

BAR = 4 * TICKS_PER_BEAT
TARGET, CEILING = -16.0, -1.0


def validate(sidecar: dict) -> None:
    jsonschema.Draft202012Validator(load_schema()).validate(sidecar)


def riff_markers(wav: bytes) -> tuple[dict[int, int], dict[int, str], tuple[int, int, int] | None]:
    """A WAV file's cue points {id: frame}, their labl names {id: name} and its smpl loop (cue id, start,
    last frame), read with nothing but struct (not composer's own chunk reader)."""
    assert wav[:4] == b"RIFF" and wav[8:12] == b"WAVE"
    cues, labels, loop, offset = {}, {}, None, 12
    while offset + 8 <= len(wav):
        cid, size = wav[offset:offset + 4], struct.unpack("<I", wav[offset + 4:offset + 8])[0]
        data = wav[offset + 8:offset + 8 + size]
        if cid == b"cue ":
            for index in range(struct.unpack("<I", data[:4])[0]):
                name, _, chunk, _, _, frame = struct.unpack("<II4sIII", data[4 + 24 * index:28 + 24 * index])
                assert chunk == b"data"
                cues[name] = frame
        elif cid == b"LIST" and data[:4] == b"adtl":
            inner = 4
            while inner + 8 <= len(data):
                sub, length = data[inner:inner + 4], struct.unpack("<I", data[inner + 4:inner + 8])[0]
                if sub == b"labl":
                    labels[struct.unpack("<I", data[inner + 8:inner + 12])[0]] = \
                        data[inner + 12:inner + 8 + length].rstrip(b"\0").decode()
                inner += 8 + length + (length & 1)
        elif cid == b"smpl":
            assert struct.unpack("<I", data[28:32])[0] == 1  # one loop
            ident, _, start, last = struct.unpack("<4I", data[36:52])
            loop = (ident, start, last)
        offset += 8 + size + (size & 1)
    return cues, labels, loop


def true_peak_db(samples: np.ndarray) -> float:
    """4x-oversampled peak in dBTP, computed here with scipy alone."""
    from scipy.signal import resample_poly

    return 20 * math.log10(float(np.max(np.abs(resample_poly(samples, 4, 1, axis=0)))))


def lufs(path: Path) -> float:
    import pyloudnorm

    samples, rate = soundfile.read(path)
    return float(pyloudnorm.Meter(rate).integrated_loudness(samples))


def intro_and_loop() -> Score:
    """An intro bar, then a two-bar loop (bars 2-3) with sections "intro" and "theme" at 120 bpm."""
    score = Score(tempos=[TempoChange(0, 120.0)], markers=[Marker(0, "intro"), Marker(BAR, "theme")])
    add_track(score, "Strings", 48, [(p, 80, 0, 12) for p in (48, 55, 64)])
    add_track(score, "Piano", 0, [(72 + 2 * i, 90, i, i + 1) for i in range(12)])
    return set_loop(score, BAR, 3 * BAR)


# ---------------------------------------------------------------- markers and loop points in the files


@needs_fluidsynth
def test_wav_cue_points_labels_and_smpl_loop_are_the_sidecars_samples(tmp_path):
    from composer.output.render import render_to_files

    written = render_to_files(intro_and_loop(), tmp_path / "theme.wav")
    sidecar = json.loads(written.sidecar.read_text())
    validate(sidecar)
    cues, labels, loop = riff_markers(written[0].read_bytes())
    assert [(cues[i], labels[i]) for i in sorted(cues)] == [(m["sample"], m["name"]) for m in sidecar["markers"]]
    assert [labels[i] for i in sorted(cues)] == ["intro", "theme", "loopStart", "loopEnd"]
    assert loop is not None and labels[loop[0]] == "loopStart"  # the smpl loop names its cue point
    assert loop[1:] == (sidecar["loop"]["start"]["sample"], sidecar["loop"]["end"]["sample"] - 1) == (88200, 264599)
    assert soundfile.info(written[0]).frames == sidecar["duration"]["samples"] == 264600


@needs_fluidsynth
@pytest.mark.parametrize("suffix", [".flac", ".ogg"])
def test_flac_and_ogg_carry_loopstart_and_looplength_in_frames(tmp_path, suffix):
    import mutagen

    from composer.output.render import render_to_files

    written = render_to_files(intro_and_loop(), tmp_path / f"theme{suffix}", stems_dir=tmp_path / "stems")
    sidecar = json.loads(written.sidecar.read_text())
    for path in written:  # the mix and every stem
        tags = mutagen.File(path).tags
        assert tags["LOOPSTART"] == [str(sidecar["loop"]["start"]["sample"])] == ["88200"], path
        assert tags["LOOPLENGTH"] == [str(sidecar["loop"]["length"]["samples"])] == ["176400"], path
        assert soundfile.info(path).frames == sidecar["loop"]["end"]["sample"]


@needs_fluidsynth
def test_a_plain_piece_has_its_section_markers_and_no_loop(tmp_path):
    import mutagen

    from composer.output.render import render_to_files

    wav = render_to_files(small_band_score(), tmp_path / "band.wav", sidecar=False)[0]
    cues, labels, loop = riff_markers(wav.read_bytes())
    assert [(cues[i], labels[i]) for i in sorted(cues)] == [(0, "A"), (88200, "B")] and loop is None  # 90 bpm 3/4
    ogg = render_to_files(small_band_score(), tmp_path / "band.ogg", sidecar=False)[0]
    assert "LOOPSTART" not in mutagen.File(ogg).tags


# ---------------------------------------------------------------- a loop's tail


@needs_fluidsynth
def test_the_tail_is_the_release_the_loop_wraps_onto_its_start():
    from composer.output.render import RenderConfig, render

    looped = render(loop_score(), normalise=False)
    plain = render(loop_score(), RenderConfig(loop=False), normalise=False)
    tail = looped.tail
    assert tail is not None and 0.5 * 44100 <= len(tail) <= 3 * 44100
    kept = min(len(tail), len(plain.samples) - LOOP_FRAMES) - 2205  # before either file's final fade
    assert np.max(np.abs(tail[:kept])) > 0.01  # the held chord's release and reverb
    np.testing.assert_allclose(tail[:kept], plain.samples[LOOP_FRAMES:LOOP_FRAMES + kept], atol=1e-6)
    wrapped = looped.samples[:kept] - plain.samples[:kept]  # what the loop added at its start is that tail
    np.testing.assert_allclose(wrapped, tail[:kept], atol=1e-6)
    assert render(small_band_score()).tail is None


@needs_fluidsynth
def test_the_tail_file_is_named_in_the_sidecar_and_starts_at_the_loop_end(tmp_path):
    from composer.output.render import render_to_files

    written = render_to_files(loop_score(), tmp_path / "loop.ogg", tail=tmp_path / "loop-tail.wav")
    sidecar = json.loads(written.sidecar.read_text())
    validate(sidecar)
    assert written.tail == tmp_path / "loop-tail.wav" and written.tail not in written
    assert sidecar["tail"]["file"] == "loop-tail.wav" and sidecar["tail"]["start"] == sidecar["loop"]["end"]
    assert sidecar["tail"]["duration"]["samples"] == soundfile.info(written.tail).frames > 0
    assert riff_markers(written.tail.read_bytes())[2] is None  # the tail itself does not loop
    with pytest.raises(ComposerError, match="no loop"):
        render_to_files(small_band_score(), tmp_path / "band.wav", tail=tmp_path / "band-tail.wav")
    assert not (tmp_path / "band.wav").exists()


# ---------------------------------------------------------------- loudness


@needs_fluidsynth
@pytest.mark.parametrize(("score", "limited"), [(loop_score, False), (small_band_score, True)],
                         ids=["loop", "peaky-cue"])
def test_loudness_reaches_the_target_with_every_file_under_the_true_peak_ceiling(tmp_path, score, limited):
    from composer.output.render import RenderConfig, render_to_files

    config = RenderConfig(loudness_lufs=TARGET, true_peak_dbtp=CEILING)
    written = render_to_files(score(), tmp_path / "mix.wav", stems_dir=tmp_path / "stems", config=config)
    sidecar = json.loads(written.sidecar.read_text())
    validate(sidecar)
    assert abs(lufs(written[0]) - TARGET) <= 0.5
    assert abs(sidecar["loudness"]["integrated_lufs"] - lufs(written[0])) <= 0.1
    for path in written:
        assert true_peak_db(soundfile.read(path)[0]) <= CEILING + 0.05, path  # 16-bit rounding aside
    assert (sidecar["loudness"]["limited_db"] > 0.5) == limited  # the band peaks 16.6 dB over its loudness
    mix = soundfile.read(written[0])[0]
    stems = sum(soundfile.read(path)[0] for path in written[1:])
    assert np.max(np.abs(stems - mix)) < 0.05 * np.max(np.abs(mix))  # the stems still add up to the mix


@needs_fluidsynth
def test_ogg_keeps_its_loudness_and_peak_normalisation_is_unchanged(tmp_path):
    from composer.output.render import RenderConfig, render_to_files

    ogg = render_to_files(small_band_score(), tmp_path / "band.ogg", config=RenderConfig(loudness_lufs=-20.0))
    assert abs(lufs(ogg[0]) + 20.0) <= 0.5
    plain = render_to_files(small_band_score(), tmp_path / "plain.wav")
    assert json.loads(plain.sidecar.read_text())["loudness"] is None
    assert np.max(np.abs(soundfile.read(plain[0])[0])) == pytest.approx(10 ** (-1 / 20), abs=1e-3)
    with pytest.raises(ComposerError, match="loudness must be between"):
        RenderConfig(loudness_lufs=0.0)


@shipped
@needs_fluidsynth
def test_a_generated_loop_and_its_stinger_reach_the_loudness_target(tmp_path):
    loop, sting = tmp_path / "loop.wav", tmp_path / "sting.ogg"
    result = run_cli("generate", "calm forest loop", "--bars", "4", "--loop", "--seed", "3", "-o",
                     str(tmp_path / "loop.mid"), "--audio", str(loop), "--tail", str(tmp_path / "tail.ogg"),
                     "--loudness", "-16", "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["outputs"]["tail"] == str(tmp_path / "tail.ogg")
    result = run_cli("stinger", "--to", str(tmp_path / "loop.mid"), "--seed", "1", "-o", str(tmp_path / "sting.mid"),
                     "--audio", str(sting), "--loudness", "-16")
    assert result.returncode == 0, result.stderr
    measured = {"loop": lufs(loop), "stinger": lufs(sting)}
    print(f"integrated loudness at a -16 LUFS target: {measured}")
    assert all(abs(value - TARGET) <= 0.5 for value in measured.values()), measured
    looped, stinger = (json.loads(Path(f"{path}.json").read_text()) for path in (loop, sting))
    validate(looped)
    validate(stinger)
    assert looped["tail"]["file"] == "tail.ogg" and (tmp_path / "tail.ogg").is_file()
    bar = looped["bars"][1]["sample"] - looped["bars"][0]["sample"]
    assert stinger["sync"]["unit"] == "bar" and stinger["sync"]["interval"]["samples"] == bar  # the loop's bar
    assert stinger["sync"]["bpm"] == looped["tempo_map"][0]["bpm"]


# ---------------------------------------------------------------- stinger sync


@pytest.mark.parametrize(("sync", "unit", "marker", "seconds"), [
    ("beat", "beat", None, 60 / 90), ("bar", "bar", None, 3 * 60 / 90), ("marker:Boss", "marker", "Boss", None)],
    ids=["beat", "bar", "marker"])
def test_a_stingers_sync_is_structured_in_the_sidecar(sync, unit, marker, seconds):
    score = Score(tempos=[TempoChange(0, 90.0)], time_signatures=[TimeSignature(0, 3, 4)],
                  markers=[Marker(0, stinger_marker(sync))])
    add_track(score, "Horn", 60, [(60, 90, 0, 3), (67, 90, 3, 6)])
    sidecar = build_sidecar(score, sample_rate=48000)
    validate(sidecar)
    found = sidecar["sync"]
    assert (found["unit"], found["marker"], found["bpm"], found["meter"]) == (unit, marker, 90.0, "3/4")
    assert found["anchor"]["sample"] == 0
    if seconds is None:
        assert found["interval"] is None
    else:
        assert found["interval"]["seconds"] == pytest.approx(seconds)
        assert found["interval"]["samples"] == round(seconds * 48000)
    assert build_sidecar(small_band_score(), sample_rate=44100)["sync"] is None


def test_sync_names_are_checked_and_a_missing_marker_is_refused_before_composing():
    assert parse_sync("marker: Boss ") == ("marker", "Boss") and stinger_marker("bar") == "stinger (sync: bar)"
    for wrong in ("downbeat", "marker:", "bar:2"):
        with pytest.raises(ComposerError, match="sync is beat, bar or marker:NAME"):
            parse_sync(wrong)
    from composer.arrange.game import stinger

    with pytest.raises(ComposerError, match="no marker 'Boss'"):
        stinger(d_minor_piece(), sync="marker:Boss")


# ---------------------------------------------------------------- segments with one tempo each


def test_segments_cut_at_sections_and_tempo_or_meter_changes():
    chase_bar = 3 * TICKS_PER_BEAT
    score = Score(tempos=[TempoChange(0, 96.0), TempoChange(4 * BAR, 120.0), TempoChange(4 * BAR, 120.0),
                          TempoChange(8 * BAR + 2 * chase_bar, 140.0)],
                  time_signatures=[TimeSignature(0, 4, 4), TimeSignature(8 * BAR, 3, 4)],
                  markers=[Marker(0, "explore"), Marker(4 * BAR, "ambush"), Marker(8 * BAR, "chase")])
    add_track(score, "Strings", 48, [(60, 80, 0, 32), (62, 80, 32, 44)])  # 8 bars of 4/4, 4 of 3/4
    sidecar = build_sidecar(score, sample_rate=44100)
    validate(sidecar)
    segments = sidecar["segments"]
    assert [(s["name"], s["bpm"], s["meter"], s["bars"]) for s in segments] == [
        ("explore", 96.0, "4/4", 4.0), ("ambush", 120.0, "4/4", 4.0), ("chase", 120.0, "3/4", 2.0),
        ("chase", 140.0, "3/4", 2.0)]  # the tempo change inside the chase cuts it in two
    assert sidecar["segment_bpm"] == [96.0, 120.0, 120.0, 140.0]
    starts = [0.0, 16 * 60 / 96, 10.0 + 16 * 60 / 120, 18.0 + 6 * 60 / 120]
    assert [s["start"]["seconds"] for s in segments] == pytest.approx(starts)
    assert [s["start"]["sample"] for s in segments] == [round(t * 44100) for t in starts]
    assert [s["start"]["bar"] for s in segments] == [1, 5, 9, 11]
    assert all(a["end"] == b["start"] for a, b in itertools.pairwise(segments))  # no gaps
    assert segments[-1]["end"] == sidecar["end"] and segments[-1]["end"]["seconds"] == pytest.approx(21 + 6 * 60 / 140)
    assert sum(s["duration"]["samples"] for s in segments) == sidecar["end"]["sample"]


# ---------------------------------------------------------------- the command line


def test_tail_and_loudness_mistakes_are_one_line_before_any_work(tmp_path):
    from composer.output.midi_io import write_midi

    source = write_midi(loop_score(), tmp_path / "loop.mid")
    plain = write_midi(small_band_score(), tmp_path / "plain.mid")
    for args, message in [
        (["generate", "x", "-o", "a.mid", "--audio", "a.wav", "--tail", "t.wav"], "add --loop"),
        (["generate", "x", "-o", "a.mid", "--loop", "--tail", "t.wav"], "--tail works on the render"),
        (["generate", "x", "-o", "a.mid", "--audio", "a.wav", "--true-peak", "-2"], "give --loudness"),
        (["generate", "x", "-o", "a.mid", "--audio", "a.wav", "--loudness", "-60"], "--loudness"),
        (["generate", "x", "--layers", "low,high", "-o", "a.mid", "--audio", "a.wav", "--loudness", "-16"],
         "work on one piece"),
        (["render", str(source), "-o", "x.wav", "--tail", "t.mp3"], "cannot write audio as '.mp3'"),
        (["render", str(source), "-o", "x.wav", "--tail", "x.wav"], "both name"),
        (["render", str(plain), "-o", "x.wav", "--tail", "t.wav"], "no loop")]:
        result = run_cli(*args, cwd=tmp_path)
        assert result.returncode == 2, (args, result.stderr)
        assert message in result.stderr and len(result.stderr.strip().splitlines()) == 1, (args, result.stderr)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["loop.mid", "plain.mid"]


@needs_fluidsynth
def test_cli_render_writes_the_tail_at_a_loudness_and_prints_it(tmp_path):
    from composer.output.midi_io import write_midi

    source = write_midi(intro_and_loop(), tmp_path / "theme.mid")
    result = run_cli("render", str(source), "-o", str(tmp_path / "theme.flac"), "--tail", str(tmp_path / "tail.wav"),
                     "--loudness", "-18", "--true-peak", "-2")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [str(tmp_path / name) for name in ("theme.flac", "tail.wav", "theme.flac.json")]
    sidecar = json.loads((tmp_path / "theme.flac.json").read_text())
    assert sidecar["tail"]["file"] == "tail.wav" and sidecar["loudness"]["ceiling_dbtp"] == -2.0
    assert abs(lufs(tmp_path / "theme.flac") + 18) <= 0.5
    assert true_peak_db(soundfile.read(tmp_path / "theme.flac")[0]) <= -2.0 + 0.05
