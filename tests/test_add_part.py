"""`composer add-part`: a new part in its role's register over the file's harmony, every existing note kept."""

from __future__ import annotations

from pathlib import Path

import pytest

from composer.output.midi_io import read_midi, write_midi

from .conftest import run_cli, small_band_score


@pytest.fixture
def band_without_bass(tmp_path: Path) -> Path:
    score = small_band_score()
    score.tracks = [t for t in score.tracks if t.name != "Bass"]
    return write_midi(score, tmp_path / "band.mid")


def _notes(path: Path) -> dict[str, list[tuple[int, int, int]]]:
    return {t.name: [(n.pitch, n.start, n.end) for n in t.notes] for t in read_midi(path).tracks}


def test_a_bass_is_added_in_the_bass_register_and_nothing_else_moves(tmp_path: Path, band_without_bass: Path) -> None:
    out = tmp_path / "with-bass.mid"
    result = run_cli("add-part", str(band_without_bass), "--instrument", "fretless bass", "-o", str(out),
                     "--seed", "1")
    assert result.returncode == 0, result.stderr
    before, after = _notes(band_without_bass), _notes(out)
    assert {k: v for k, v in after.items() if k in before} == before  # the user's notes, note for note
    added = after["Fretless Bass"]
    assert added and all(28 <= pitch <= 55 for pitch, _, _ in added)


def test_the_role_can_be_given_and_bad_requests_are_one_line(tmp_path: Path, band_without_bass: Path) -> None:
    out = tmp_path / "with-pad.mid"
    result = run_cli("add-part", str(band_without_bass), "--instrument", "warm pad", "--role", "pad", "-o", str(out),
                     "--seed", "2", "--json")
    assert result.returncode == 0, result.stderr
    assert '"role": "pad"' in result.stdout
    for args, message in ((["--instrument", "kazoo-violin"], "unknown instrument"),
                          (["--instrument", "cello", "--role", "rhythm"], "--role"),
                          (["--instrument", "cello", "--bars", "3-9"], "bars")):
        bad = run_cli("add-part", str(band_without_bass), *args, "-o", str(tmp_path / "x.mid"))
        assert bad.returncode == 2 and message in bad.stderr and len(bad.stderr.strip().splitlines()) == 1
    same = run_cli("add-part", str(band_without_bass), "--instrument", "cello", "-o", str(band_without_bass))
    assert same.returncode == 2 and "is also an input" in same.stderr
