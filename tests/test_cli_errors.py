"""The error table: each bad input gives exit code 2, one line on stderr, no traceback, no output file."""

import os
import textwrap

import pytest

from composer.output.midi_io import midi_bytes

from .conftest import REPO, run_cli, small_band_score


def assert_one_clear_line(result, *, contains: str) -> None:
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("composer: error:")
    assert contains in lines[0]
    assert "Traceback" not in result.stderr


@pytest.fixture
def good_midi(tmp_path):
    path = tmp_path / "good.mid"
    path.write_bytes(midi_bytes(small_band_score()))
    return path


@pytest.mark.parametrize("content,contains", [
    (b"", "empty"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "not a MIDI file"),
    (midi_bytes(small_band_score())[:60], "truncated"),
    (b"MThd\x00\x00\x00\x06\x00\x01\x00\x00\x01\xe0", "no notes"),
], ids=["zero-bytes", "png-file", "truncated-midi", "midi-without-notes"])
def test_bad_midi_input(tmp_path, content, contains):
    bad = tmp_path / "bad.mid"
    bad.write_bytes(content)
    out = tmp_path / "out.wav"
    result = run_cli("render", str(bad), "-o", str(out))
    assert_one_clear_line(result, contains=contains)
    assert not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.mid"]


def test_missing_input_file(tmp_path):
    result = run_cli("render", str(tmp_path / "nope.mid"), "-o", str(tmp_path / "x.wav"))
    assert_one_clear_line(result, contains="no such file")


def test_missing_soundfont(tmp_path, good_midi):
    out = tmp_path / "out.wav"
    result = run_cli("render", str(good_midi), "-o", str(out), "--soundfont", str(tmp_path / "missing.sf2"))
    assert_one_clear_line(result, contains="missing.sf2")
    assert not out.exists()


def test_missing_soundfont_from_environment(tmp_path, good_midi):
    result = run_cli("render", str(good_midi), "-o", str(tmp_path / "o.wav"),
                     env={"COMPOSER_SOUNDFONT": str(tmp_path / "gone.sf2")})
    assert_one_clear_line(result, contains="COMPOSER_SOUNDFONT")


def test_fluidsynth_not_installed(tmp_path, good_midi):
    """pyfluidsynth raises ImportError when libfluidsynth is absent; a stand-in module does the same."""
    fake = tmp_path / "fake"
    fake.mkdir()
    (fake / "fluidsynth.py").write_text(textwrap.dedent("""
        raise ImportError("Couldn't find the FluidSynth library.")
    """))
    out = tmp_path / "out.wav"
    env = {"PYTHONPATH": os.pathsep.join([str(fake), str(REPO)])}
    result = run_cli("render", str(good_midi), "-o", str(out), env=env)
    assert_one_clear_line(result, contains="apt-get install fluidsynth")
    assert not out.exists()


def test_unknown_audio_format(tmp_path, good_midi):
    result = run_cli("render", str(good_midi), "-o", str(tmp_path / "x.mp4"))
    assert_one_clear_line(result, contains="use .wav, .flac or .ogg")


def test_nothing_to_write(good_midi):
    result = run_cli("render", str(good_midi))
    assert_one_clear_line(result, contains="nothing to write")
