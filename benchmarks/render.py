"""Render speed: a 60-second, four-instrument piece through FluidSynth, composer against pretty_midi.

Floor: 40x real time on a 2-core CPU with the default soundfont. Writes results/render.json.
Run: .venv/bin/python benchmarks/render.py
"""

from __future__ import annotations

import io
import statistics
import sys
import time
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import write_result

from composer.core.score import TICKS_PER_BEAT, KeySignature, Note, Score, TempoChange, Track
from composer.output.midi_io import midi_bytes
from composer.output.render import RenderConfig, render
from composer.output.soundfonts import resolve_soundfont

FLOOR = 40.0
SECONDS = 60.0
BPM = 120.0
REPEATS = 5


def four_instrument_piece(seconds: float = SECONDS, seed: int = 0) -> Score:
    """Piano arpeggios, a string pad, a bass line and a flute melody over I-vi-IV-V in C, at 120 bpm."""
    rng = np.random.default_rng(seed)
    beats = int(seconds * BPM / 60)
    q = TICKS_PER_BEAT
    chords = [(60, 64, 67), (57, 60, 64), (53, 57, 60), (55, 59, 62)]
    piano, strings, bass, flute = (Track("Piano", 0), Track("Strings", 48), Track("Bass", 33), Track("Flute", 73))
    scale = [60, 62, 64, 65, 67, 69, 71, 72]
    for bar in range(beats // 4):
        chord = chords[bar % 4]
        start = bar * 4 * q
        strings.notes += [Note(p, start, start + 4 * q, 60) for p in chord]
        bass.notes += [Note(chord[0] - 24, start + b * q, start + b * q + q - 40, 95) for b in range(4)]
        for eighth in range(8):
            pitch = chord[eighth % 3] + 12 * (eighth // 3 % 2)
            piano.notes.append(Note(pitch, start + eighth * q // 2, start + eighth * q // 2 + q // 2, 70))
        tick = start
        while tick < start + 4 * q:
            length = int(rng.choice([q // 2, q, q]))
            flute.notes.append(Note(int(rng.choice(scale)) + 12, tick, tick + length, 85))
            tick += length
    return Score(tracks=[piano, strings, bass, flute], tempos=[TempoChange(0, BPM)],
                 key_signatures=[KeySignature(0, "C", "major")], title="render benchmark")


def time_composer(score: Score, soundfont: Path) -> tuple[float, float]:
    """(first render including the soundfont load, median warm render) in seconds."""
    started = time.perf_counter()
    render(score, RenderConfig(), soundfont)
    cold = time.perf_counter() - started
    warm = []
    for _ in range(REPEATS):
        started = time.perf_counter()
        render(score, RenderConfig(), soundfont)
        warm.append(time.perf_counter() - started)
    return cold, statistics.median(warm)


def time_pretty_midi(score: Score, soundfont: Path) -> float:
    """pretty_midi.PrettyMIDI.fluidsynth on the same file: one synth per instrument, no normalisation."""
    import pretty_midi

    with warnings.catch_warnings():  # it warns about key signatures in part tracks; see pyproject.toml
        warnings.simplefilter("ignore", RuntimeWarning)
        pm = pretty_midi.PrettyMIDI(io.BytesIO(midi_bytes(score)))
    runs = []
    for _ in range(REPEATS):
        started = time.perf_counter()
        pm.fluidsynth(fs=44100, synthesizer=str(soundfont))
        runs.append(time.perf_counter() - started)
    return statistics.median(runs)


def main() -> int:
    score = four_instrument_piece()
    soundfont = resolve_soundfont()
    music_seconds = score.duration_seconds
    cold, warm = time_composer(score, soundfont)
    peer = time_pretty_midi(score, soundfont)
    figures = {
        "soundfont": str(soundfont),
        "music_seconds": round(music_seconds, 2),
        "instruments": len(score.tracks),
        "notes": score.note_count,
        "composer_warm_seconds": round(warm, 3),
        "composer_cold_seconds": round(cold, 3),
        "composer_realtime_factor": round(music_seconds / warm, 1),
        "composer_cold_realtime_factor": round(music_seconds / cold, 1),
        "pretty_midi_seconds": round(peer, 3),
        "pretty_midi_realtime_factor": round(music_seconds / peer, 1),
        "floor_realtime_factor": FLOOR,
        "meets_floor": music_seconds / warm >= FLOOR,
        "settings": "44.1 kHz stereo float, reverb and chorus on, normalised to -1 dBFS, tail trimmed at -60 dB",
    }
    path = write_result("render", figures, packages=("pyfluidsynth", "pretty_midi"))
    print(f"60 s, 4 instruments, {score.note_count} notes, soundfont {soundfont.name}")
    print(f"  composer render (synth warm)     {warm:6.3f} s   {music_seconds / warm:6.1f}x real time")
    print(f"  composer render (incl. sf load)  {cold:6.3f} s   {music_seconds / cold:6.1f}x real time")
    print(f"  pretty_midi.fluidsynth (peer)    {peer:6.3f} s   {music_seconds / peer:6.1f}x real time")
    print(f"  floor {FLOOR:.0f}x: {'met' if figures['meets_floor'] else 'NOT met'}   -> {path}")
    return 0 if figures["meets_floor"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
