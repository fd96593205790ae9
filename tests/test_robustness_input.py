"""Hostile input gives a valid file or one clear line: MIDI mutants and crafted events, picture bombs,
prompts in any script, and cue sheets with fields of the wrong type."""

from __future__ import annotations

import struct
import subprocess
import sys
import time
import warnings
import zlib
from pathlib import Path

import mido
import pytest

from composer.arrange.cues import load_cue_sheet
from composer.ask.image import load_image
from composer.core.errors import ComposerError, MidiReadError
from composer.core.limits import MAX_BARS, MAX_NOTES, LimitError, RepairWarning
from composer.core.score import Note, Score, TempoChange, TimeSignature, Track
from composer.evaluate.midi_fuzz import NOTE, mutants, seed_files, smf, try_read, vlq
from composer.output.midi_io import midi_bytes, midi_text, read_midi
from composer.output.sidecar import build_sidecar

from .conftest import REPO, run_cli


def one_line(exc: pytest.ExceptionInfo[BaseException]) -> str:
    message = str(exc.value)
    assert message and "\n" not in message
    return message


def read_repaired(data: bytes) -> tuple[Score, str]:
    """The score read, and the one RepairWarning it gave."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        score = read_midi(data)
    repairs = [str(w.message) for w in caught if issubclass(w.category, RepairWarning)]
    assert len(repairs) == 1, repairs
    return score, repairs[0]


def rewritten(score: Score) -> Score:
    """The score written and read back, with no repair needed the second time."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", RepairWarning)
        return read_midi(midi_bytes(score))


# ---------------------------------------------------------------- MIDI: mutants


def test_500_mutants_of_real_files_are_read_or_refused_in_one_line() -> None:
    seeds = [p.read_bytes() for p in seed_files()]
    assert len(seeds) >= 30
    outcomes = [(name, try_read(data)) for name, data in mutants(seeds, 500, seed=2024)]
    crashes = [f"{name}: {o.message}" for name, o in outcomes if o.verdict == "crash"]
    assert not crashes, "\n".join(crashes[:10])
    assert max(o.seconds for _, o in outcomes) < 10
    verdicts = {o.verdict for _, o in outcomes}
    assert {"read", "repaired", "refused"} <= verdicts  # the mutants reach every path


# ---------------------------------------------------------------- MIDI: crafted meta events, repaired


def test_a_key_signature_of_12_sharps_is_dropped_and_the_notes_kept() -> None:
    score, repair = read_repaired(smf(b"\x00\xff\x59\x02\x0c\x00" + NOTE))
    assert "key signature of 12 sharps" in repair
    assert score.key_signatures == [] and score.tracks[0].notes == [Note(60, 0, 480, 80)]


def test_a_tempo_of_zero_microseconds_per_beat_is_the_fastest_tempo() -> None:
    score, repair = read_repaired(smf(b"\x00\xff\x51\x03\x00\x00\x00" + NOTE))
    assert "0 us per beat" in repair
    assert score.tempos == [TempoChange(0, 1000.0)] and rewritten(score).tempos == score.tempos


def test_the_slowest_legal_tempo_is_clamped_to_one_the_writer_can_write_back() -> None:
    score, repair = read_repaired(smf(b"\x00\xff\x51\x03\xff\xff\xff" + NOTE))
    assert "3.576 bpm into 3.6 bpm" in repair
    assert rewritten(score).tempos == [TempoChange(0, 3.6)]


@pytest.mark.parametrize("event,repair", [
    (b"\x00\xff\x58\x04\x00\x02\x18\x08", "time signatures of 0 beats"),
    (b"\x00\xff\x59\x02\x02\x05", "unknown mode"),
    (b"\x00\xff\x51\x01\x07", "tempos shorter than 3 bytes"),
    (b"\x00\x90\xbc\xc0" + b"\x60\x80\x7f\x00", "data bytes over 127"),
], ids=["meter-of-0-beats", "key-mode-5", "tempo-of-one-byte", "data-byte-over-127"])
def test_other_malformed_events_are_repaired_and_named(event: bytes, repair: str) -> None:
    score, message = read_repaired(smf(event + NOTE))
    assert repair in message and score.note_count >= 1
    rewritten(score)


def test_names_lose_control_characters_and_read_as_utf8_or_latin1() -> None:
    name = "Flöte".encode() + b"\x00"
    score = read_midi(smf(b"\x00\xff\x03" + vlq(len(name)) + name + NOTE, b"\x00\xff\x03\x04Pi\xe9n" + NOTE))
    assert [t.name for t in score.tracks] == ["Flöte", "Pién"]


# ---------------------------------------------------------------- MIDI: past a limit, refused early


def test_a_note_at_tick_2_to_the_31_is_refused() -> None:
    with pytest.raises(LimitError) as exc:
        read_midi(smf(vlq(2**31) + b"\x90\x3c\x40"))
    assert "past the 2 hours" in one_line(exc)


def test_one_tick_per_beat_and_a_late_event_is_refused_at_once(tmp_path: Path) -> None:
    data = smf(b"\x00\x90\x3c\x40" + vlq(0x0FFFFFFF) + b"\x80\x3c\x00", division=1)
    assert len(data) == 37
    bad = tmp_path / "late.mid"
    bad.write_bytes(data)
    started = time.perf_counter()
    result = run_cli("convert", str(bad), "-o", str(tmp_path / "out.mid"), "--musicxml", str(tmp_path / "o.musicxml"),
                     "--piano-roll", str(tmp_path / "o.png"))
    assert time.perf_counter() - started < 10
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "beat 268,435,455, past the 2 hours" in result.stderr.strip().splitlines()[-1]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["late.mid"]


def test_a_million_notes_are_refused_by_the_note_limit_quickly_and_in_little_memory(tmp_path: Path) -> None:
    path = tmp_path / "million.mid"
    path.write_bytes(smf(b"\x00\x90\x3c\x40" + b"\x01\x3c\x00\x00\x3c\x40" * (1_000_000 - 1) + b"\x01\x3c\x00"))
    assert path.stat().st_size > 6_000_000
    # peak memory as VmHWM: ru_maxrss would carry over the forking pytest process's own peak across exec
    probe = ("import re, sys, time\n"
             "from composer.output.midi_io import read_midi\n"
             "started = time.perf_counter()\n"
             "try:\n    read_midi(sys.argv[1])\nexcept Exception as exc:\n    print(type(exc).__name__, exc)\n"
             "peak = re.search(r'VmHWM:\\s+(\\d+)', open('/proc/self/status').read()).group(1)\n"
             "print(time.perf_counter() - started, peak)\n")
    result = subprocess.run([sys.executable, "-c", probe, str(path)], capture_output=True, text=True, timeout=60)
    refusal, figures = result.stdout.strip().splitlines()
    seconds, peak_kb = figures.split()
    assert refusal == f"LimitError {path} holds more than {MAX_NOTES:,} notes, more than composer reads"
    assert float(seconds) < 5 and int(peak_kb) < 400 * 1024


@pytest.mark.parametrize("data,match", [
    (smf(NOTE, division=0), "0 ticks per beat"),
    (smf(NOTE, division=-25 << 8 | 40), "SMPTE"),
    (smf(*[NOTE] * 257), "declares 257 tracks"),
    (smf(b"".join(b"\x00\xff\x51\x03\x07\xa1\x20" for _ in range(10_001)) + NOTE), "10,000 tempo changes"),
    (smf(b"\x00\xff\x58\x04\x01\x04\x18\x08" + vlq(MAX_BARS * 120) + NOTE[1:]), "spans 10,004 bars"),
    (smf(b"\x00\xff\x51\x03\x2d\xc6\xc0" + vlq(2401 * 480) + NOTE[1:]), "lasts 2:00:06"),
    (b"MThd" + b"\x00" * (32 * 2**20), "at most 32 MB"),
    (smf(b"\x00\xf4\x00" + NOTE), "undefined status byte 0xF4"),
    (smf(b"\x00\x3c\x40" + NOTE), "no status byte"),
], ids=["division-0", "smpte", "257-tracks", "10001-tempos", "10001-bars", "over-2-hours", "33-mb",
        "undefined-status", "running-status-without-status"])
def test_files_past_a_limit_or_beyond_repair_are_refused_in_one_line(data: bytes, match: str) -> None:
    with pytest.raises(ComposerError) as exc:
        read_midi(data)
    assert match in one_line(exc)


def test_a_truncated_track_is_still_called_truncated() -> None:
    with pytest.raises(MidiReadError, match="truncated"):
        read_midi(smf(NOTE * 4)[:-6])


def test_bar_walks_stop_at_the_bar_limit() -> None:
    score = Score(time_signatures=[TimeSignature(0, 1, 64)])
    assert len(score.bar_starts(until_tick=30 * MAX_BARS)) == MAX_BARS
    started = time.perf_counter()
    with pytest.raises(LimitError) as exc:
        score.bar_starts(until_tick=2**40)
    assert "bars; composer handles at most 10,000" in one_line(exc) and time.perf_counter() - started < 1


def test_render_refuses_more_than_two_hours_before_allocating() -> None:
    from composer.output.render import render, render_stems

    score = Score(tracks=[Track("Piano", 0, False, [Note(60, 0, 2401 * 480)])], tempos=[TempoChange(0, 20.0)])
    for call in (render, render_stems):
        with pytest.raises(LimitError) as exc:
            call(score)
        assert "renders at most 2 hours" in one_line(exc)


# ---------------------------------------------------------------- pictures


def png_header(width: int, height: int) -> bytes:
    """A PNG that declares width x height pixels but holds one row: what a decompression bomb looks like."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)) \
        + chunk(b"IDAT", zlib.compress(b"\x00" * (1 + 3 * width))) + chunk(b"IEND", b"")


def jpeg_header(width: int, height: int) -> bytes:
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (16, 16)).save(buffer, "JPEG")
    data = bytearray(buffer.getvalue())
    frame = data.index(b"\xff\xc0")
    data[frame + 5:frame + 9] = struct.pack(">HH", height, width)
    return bytes(data)


@pytest.mark.parametrize("name,data,match", [
    ("bomb.png", png_header(20_000, 20_000), "more than 40 million pixels"),
    ("bomb.jpg", jpeg_header(20_000, 20_000), "more than 40 million pixels"),
    ("big.png", png_header(8_000, 8_000), "8000x8000 pixels, more than 40 million"),
    ("text.png", b"just some text\n", "not a readable image"),
], ids=["png-20000x20000", "jpeg-20000x20000", "png-64-megapixels", "text-file"])
def test_pictures_too_large_or_not_pictures_are_one_clear_error(tmp_path: Path, name: str, data: bytes,
                                                                match: str) -> None:
    path = tmp_path / name
    path.write_bytes(data)
    with pytest.raises(ComposerError) as exc:
        load_image(path)
    assert match in one_line(exc)


@pytest.mark.parametrize("command", [["explain"], ["generate", "--bars", "2"], ["generate", "--draw", "--bars", "2"]],
                         ids=["explain", "generate", "draw"])
def test_a_picture_bomb_is_one_line_from_the_cli(tmp_path: Path, command: list[str]) -> None:
    bomb = tmp_path / "bomb.png"
    bomb.write_bytes(png_header(20_000, 20_000))
    extra = ["-o", str(tmp_path / "out.mid")] if command[0] == "generate" else []
    result = run_cli(*command, "--image", str(bomb), *extra)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines() == [f"composer: error: {bomb} has more than 40 million pixels; "
                                                  "scale it down"]


# ---------------------------------------------------------------- prompts in any script


@pytest.mark.parametrize("text,ascii_text", [
    ("A calm folk tune", "A calm folk tune"), ("Café Noël", "Cafe Noel"), ("ＰＩＡＮＯ", "PIANO"),
    ("🎹 calm piano 🌙", "calm piano"), ("平静的钢琴曲", "composer"), ("موسيقى هادئة", "composer"),
], ids=["ascii", "accents", "full-width", "emoji", "chinese", "arabic"])
def test_meta_text_is_ascii_transliterated_or_the_fallback(text: str, ascii_text: str) -> None:
    assert midi_text(text, "composer") == ascii_text


@pytest.mark.parametrize("prompt", ["平静的钢琴曲", "静かなピアノ", "موسيقى هادئة", "🎹 calm piano 🌙"],
                         ids=["chinese", "japanese", "arabic", "emoji"])
def test_prompts_in_any_script_give_valid_midi_and_keep_the_title_in_musicxml(tmp_path: Path, prompt: str) -> None:
    midi, xml = tmp_path / "out.mid", tmp_path / "out.musicxml"
    result = run_cli("generate", prompt, "--bars", "2", "--seed", "1", "-o", str(midi), "--musicxml", str(xml))
    assert result.returncode == 0, result.stderr
    names = [track.name for track in mido.MidiFile(midi).tracks]
    assert all(name.isascii() and name.isprintable() and name for name in names)
    # track 0 is the first part's (named after it); the title lives in the MusicXML and the sidecar
    assert f"<work-title>{prompt}</work-title>" in xml.read_text(encoding="utf-8")
    score = read_midi(midi)
    score.title = prompt
    assert build_sidecar(score, sample_rate=44100)["title"] == prompt


# ---------------------------------------------------------------- cue sheets


@pytest.mark.parametrize("scene,message", [
    ({"description": ["calm", "forest"]}, "scene 1: description must be text (a prompt), not ['calm', 'forest']"),
    ({"key": 7}, "scene 1: key must be text such as 'D minor', not 7"),
    ({"tempo": "fast"}, "scene 1: tempo must be a number of bpm, 20-400, not 'fast'"),
    ({"bars": True}, "scene 1: bars must be a whole number, 1-256, not True"),
    ({"start": True}, "scene 1: start must be a number of seconds, 0-1800, not True"),
    ({"meter": 3}, "scene 1: meter must be text such as '6/8', not 3"),
    ({"instruments": {"piano": 1}}, "scene 1: instruments must be text such as 'piano, strings'"),
    ({"mood": "calm"}, "scene 1 has unknown fields mood; known:"),
], ids=["description-list", "key-number", "tempo-word", "bars-true", "start-true", "meter-number",
        "instruments-mapping", "unknown-field"])
def test_cue_sheet_fields_of_the_wrong_type_are_one_line_naming_the_field(scene: dict, message: str) -> None:
    with pytest.raises(ComposerError) as exc:
        load_cue_sheet({"title": "t", "scenes": [{"start": 0, **scene}]})
    assert one_line(exc).startswith(message)


def test_cue_sheet_top_level_fields_are_checked_too() -> None:
    with pytest.raises(ComposerError, match="end must be a number of seconds, not 'late'"):
        load_cue_sheet({"scenes": [{"start": 0}], "end": "late"})
    with pytest.raises(ComposerError, match="the cue sheet has unknown fields ending; known: end, scenes, title"):
        load_cue_sheet({"scenes": [{"start": 0}], "ending": 30})


def test_the_shipped_cue_sheets_read_as_before() -> None:
    for path in (REPO / "examples/game/cues.yaml", REPO / "tests/fixtures/golden/cues.yaml"):
        title, scenes, end = load_cue_sheet(path)
        assert (title, end) == ("Ruined Keep", None)
        assert [(s.name, s.start, s.bars, s.options) for s in scenes] == [
            ("explore", 0, None, {}), ("ambush", 20, None, {}), ("chase", 36, None, {}), ("victory", 52, 4, {})]
        assert all(isinstance(s.start, int) for s in scenes)


def test_a_piano_roll_of_hundreds_of_tracks_keeps_a_short_legend() -> None:
    from composer.output.pianoroll import LEGEND_ROW, LEGEND_TRACKS, piano_roll_image

    score = Score(tracks=[Track(f"part {i}", 0, False, [Note(60, 0, 480)]) for i in range(300)])
    assert piano_roll_image(score).height < (LEGEND_TRACKS + 2) * LEGEND_ROW + 100


def test_the_cli_reports_a_repair_as_one_warning_line(tmp_path: Path) -> None:
    from .conftest import run_cli

    source = tmp_path / "sharp.mid"
    source.write_bytes(smf(b"\x00\xff\x59\x02\x0c\x00" + NOTE))
    result = run_cli("convert", str(source), "-o", str(tmp_path / "clean.mid"))
    assert result.returncode == 0, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("composer: warning:") and "12 sharps" in lines[0]
