"""Shared fixtures: tiny hand-built scores, corpus pieces, and a way to run the real CLI."""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from composer.core.score import TICKS_PER_BEAT, KeySignature, Marker, Note, Score, TempoChange, TimeSignature, Track

REPO = Path(__file__).resolve().parent.parent


def add_track(score: Score, name: str, program: int, notes: list[tuple[int, int, float, float]],
              is_drum: bool = False) -> Track:
    """Append a track built from (pitch, velocity, start_beat, end_beat) tuples."""
    track = Track(name, program, is_drum, [
        Note(pitch, round(start * TICKS_PER_BEAT), round(end * TICKS_PER_BEAT), velocity)
        for pitch, velocity, start, end in notes])
    score.tracks.append(track)
    return track


def small_band_score() -> Score:
    """Two bars of 3/4 in Eb major at 90 bpm: piano, strings, bass and drums, with markers."""
    score = Score(tempos=[TempoChange(0, 90.0)], time_signatures=[TimeSignature(0, 3, 4)],
                  key_signatures=[KeySignature(0, "Eb", "major")],
                  markers=[Marker(0, "A"), Marker(3 * TICKS_PER_BEAT, "B")], title="small band")
    add_track(score, "Piano", 0, [(63, 90, 0, 1), (67, 80, 1, 2), (70, 80, 2, 3), (75, 100, 3, 6)])
    add_track(score, "Strings", 48, [(51, 70, 0, 3), (55, 70, 3, 6)])
    add_track(score, "Bass", 33, [(39, 100, 0, 1.5), (46, 100, 3, 4.5)])
    add_track(score, "Drums", 0, [(36, 110, b, b + 0.25) for b in range(6)], is_drum=True)
    return score


@pytest.fixture
def band_score() -> Score:
    return small_band_score()


@functools.cache
def corpus_score(path: str, number: int | None = None) -> Score:
    """A piece from music21's bundled corpus as a Score (parsed once per test session)."""
    from music21 import corpus

    from composer.output.musicxml_io import score_from_music21

    stream = corpus.parse(path, number=number) if number else corpus.parse(path)
    return score_from_music21(stream, title=path)


def fluidsynth_available() -> bool:
    try:
        import fluidsynth  # noqa: F401
    except (ImportError, OSError):
        return False
    return True


needs_fluidsynth = pytest.mark.skipif(not fluidsynth_available(), reason="FluidSynth library not installed")
needs_mscore = pytest.mark.skipif(shutil.which("mscore3") is None, reason="MuseScore 3 (mscore3) not installed")


def run_cli(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run `python -m composer ARGS` as a user would, capturing output."""
    # CI=1 as on the CI machine: pyfluidsynth prints to stdout there, which once broke --json output.
    full_env = {**os.environ, "CI": "1", **(env or {})}
    return subprocess.run([sys.executable, "-m", "composer", *args], capture_output=True, text=True,
                          env=full_env, cwd=cwd or REPO, timeout=300)
