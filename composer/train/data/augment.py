"""Training-data augmentation on Scores: re-orchestration within instrument ranges and velocity shaping.
(Transposition and tempo jitter happen on token ids while training, see data/loader.py.)

Drums: the corpus has none, so the model never learns them; drum parts come from the arranger's
groove library at generation time, not from training data.
"""

from __future__ import annotations

import dataclasses
import random

from composer.core.gm import playable_range
from composer.core.score import Note, Score, Track

# Ensembles for several voices, top voice first; the last entry repeats for extra voices.
ENSEMBLES: dict[str, list[tuple[str, int]]] = {
    "string quartet": [("Violin I", 40), ("Violin II", 40), ("Viola", 41), ("Cello", 42), ("Contrabass", 43)],
    "string orchestra": [("Strings", 48)],
    "choir": [("Soprano", 52), ("Alto", 52), ("Tenor", 52), ("Bass", 52)],
    "brass": [("Trumpet", 56), ("French Horn", 60), ("Trombone", 57), ("Tuba", 58)],
    "woodwinds": [("Flute", 73), ("Oboe", 68), ("Clarinet", 71), ("Bassoon", 70)],
    "organ": [("Organ", 19)],
    "piano": [("Piano", 0)],
    "synth": [("Synth Lead", 81), ("Synth Pad", 89), ("Synth Pad", 89), ("Synth Bass", 38)],
    "guitar and bass": [("Guitar", 24), ("Guitar", 24), ("Guitar", 24), ("Bass", 33)],
    "saxophones": [("Alto Sax", 65), ("Alto Sax", 65), ("Tenor Sax", 66), ("Baritone Sax", 67)],
    "mallets": [("Vibraphone", 11), ("Marimba", 12)],
    "harp": [("Harp", 46)],
}
SOLO_INSTRUMENTS = [("Violin", 40), ("Flute", 73), ("Fiddle", 110), ("Oboe", 68), ("Clarinet", 71),
                    ("Trumpet", 56), ("Alto Sax", 65), ("Accordion", 21), ("Piano", 0), ("Guitar", 24),
                    ("Synth Lead", 80), ("Square Lead", 80), ("Harp", 46), ("Celesta", 8), ("Recorder", 74),
                    ("Tin Whistle", 78), ("Vibraphone", 11), ("Marimba", 12), ("Cello", 42), ("French Horn", 60),
                    ("Electric Piano", 4), ("Nylon Guitar", 24), ("Pan Flute", 75), ("Bagpipe", 109)]
DYNAMIC_LEVELS = {"pp": 40, "p": 58, "mf": 78, "f": 98, "ff": 115}
SHAPES = ("flat", "crescendo", "decrescendo", "arch")


def fit_to_range(notes: list[Note], program: int) -> list[Note] | None:
    """Shift a voice by octaves so every note lies in the program's range; None if no shift fits."""
    if not notes:
        return notes
    low, high = playable_range(program)
    lowest, highest = min(n.pitch for n in notes), max(n.pitch for n in notes)
    for shift in sorted(range(-36, 37, 12), key=abs):
        if low <= lowest + shift and highest + shift <= high:
            return [dataclasses.replace(n, pitch=n.pitch + shift) for n in notes]
    return None


def orchestrate(score: Score, ensemble: list[tuple[str, int]]) -> Score | None:
    """Give the voices (ordered high to low by mean pitch) the ensemble's instruments; None if a voice cannot fit."""
    voices = sorted([t for t in score.tracks if not t.is_drum and t.notes],
                    key=lambda t: -sum(n.pitch for n in t.notes) / len(t.notes))
    tracks = []
    for index, voice in enumerate(voices):
        if len(voices) > 1 and index == len(voices) - 1 and len(ensemble) > 1:
            name, program = ensemble[-1]  # the bass voice takes the ensemble's bass instrument
        else:
            name, program = ensemble[min(index, max(0, len(ensemble) - 2))] if len(ensemble) > 1 else ensemble[0]
        fitted = fit_to_range(voice.notes, program)
        if fitted is None:
            return None
        tracks.append(Track(name, program, False, fitted, list(voice.controls), list(voice.pitch_bends)))
    out = score.copy()
    out.tracks = tracks + [t for t in score.tracks if t.is_drum]
    return out


# Instruments that take a piece's inner voices as one chordal part: real inner voices become comping or a pad
# (composer.decode.parts.score_roles reads the role from the merged notes) under a melody and a bass.
HARMONY_INSTRUMENTS = [("Piano", 0), ("Electric Piano", 4), ("Organ", 19), ("Guitar", 24), ("Strings", 48),
                       ("Choir", 52), ("Synth Pad", 89), ("Warm Pad", 89), ("Accordion", 21), ("Harp", 46)]
MELODY_INSTRUMENTS = [("Flute", 73), ("Violin", 40), ("Oboe", 68), ("Trumpet", 56), ("Synth Lead", 80),
                      ("Clarinet", 71), ("Alto Sax", 65), ("Voice", 53)]
BASS_INSTRUMENTS = [("Cello", 42), ("Bass", 33), ("Acoustic Bass", 32), ("Synth Bass", 38), ("Tuba", 58),
                    ("Bassoon", 70), ("Contrabass", 43)]
# Instruments whose chords and bass are one player's (two hands, an organ's pedals, a section's basses): the
# generator plays a keyboard, organ or string section that accompanies with its own bass line so.
HAND_INSTRUMENTS = [("Piano", 0), ("Electric Piano", 4), ("Harpsichord", 6), ("Organ", 19), ("Accordion", 21),
                    ("Guitar", 24), ("Harp", 46), ("Strings", 48)]
DUO_MELODIES = [*MELODY_INSTRUMENTS, ("Cello", 42), ("French Horn", 60), ("Choir", 52)]
# Reductions of three or more voices, as shares of their re-orchestrations: melody and bass alone (the outer
# voices), melody over one chordal part holding every lower voice, melody over chords over a bass, and a
# melody over one player's chords and bass ("hands": a cello and piano duet, a choir over an organ).
REDUCTIONS = (("outer", 0.15), ("accompanied", 0.15), ("merged", 0.2), ("hands", 0.25))


def merge_inner_voices(score: Score, rng: random.Random, kind: str = "merged") -> Score | None:
    """A reduction (REDUCTIONS) of a piece in three or more voices, each part on an instrument of its
    family: "merged" melody, the inner voices as one chordal part, bass; "outer" melody and bass;
    "accompanied" melody and every lower voice as one chordal part; "hands" melody, and the inner voices
    and the bass as two parts of one instrument (the shards give the second a stand-in program, as the
    generator gives a left hand). None when a part cannot fit its instrument's range."""
    voices = sorted([t for t in score.tracks if not t.is_drum and t.notes],
                    key=lambda t: -sum(n.pitch for n in t.notes) / len(t.notes))
    if len(voices) < 3:
        return None

    def chordal(tracks: list[Track]) -> list[Note]:
        return sorted((n for t in tracks for n in t.notes), key=lambda n: (n.start, n.pitch))

    melody = (voices[0].notes, rng.choice(MELODY_INSTRUMENTS))
    bass = (voices[-1].notes, rng.choice(BASS_INSTRUMENTS))
    if kind == "hands":  # the inner voices and the bass on one instrument
        player = rng.choice(HAND_INSTRUMENTS)
        parts = [(voices[0].notes, rng.choice(DUO_MELODIES)), (chordal(voices[1:-1]), player),
                 (voices[-1].notes, player)]
    else:
        parts = {"merged": [melody, (chordal(voices[1:-1]), rng.choice(HARMONY_INSTRUMENTS)), bass],
                 "outer": [melody, bass],
                 "accompanied": [melody, (chordal(voices[1:]), rng.choice(HARMONY_INSTRUMENTS))]}[kind]
    tracks = []
    for notes, (name, program) in parts:
        fitted = fit_to_range(notes, program)
        if fitted is None:
            return None
        tracks.append(Track(name, program, False, fitted))
    out = score.copy()
    out.tracks = tracks + [t for t in score.tracks if t.is_drum]
    return out


def random_orchestration(score: Score, rng: random.Random) -> Score | None:
    """A plausible new instrumentation: a solo instrument for a melody, an ensemble for several voices, or
    (for three or more voices, REDUCTIONS' shares of the time) a reduction to two or three parts."""
    pitched = [t for t in score.tracks if not t.is_drum and t.notes]
    if len(pitched) >= 3:
        draw = rng.random()
        for kind, share in REDUCTIONS:
            if draw < share:
                reduced = merge_inner_voices(score, rng, kind)
                if reduced is not None:
                    return reduced
                break
            draw -= share
    options = [[choice] for choice in SOLO_INSTRUMENTS] if len(pitched) == 1 else list(ENSEMBLES.values())
    rng.shuffle(options)
    for ensemble in options[:6]:
        result = orchestrate(score, ensemble)
        if result is not None:
            return result
    return None


def shape_velocities(score: Score, rng: random.Random, level: str | None = None) -> Score:
    """A dynamic level and shape over the piece, accents on downbeats, and a little human jitter."""
    level = level or rng.choice(list(DYNAMIC_LEVELS))
    base = DYNAMIC_LEVELS[level]
    shape = rng.choice(SHAPES)
    end = max(1, score.end_tick)
    bar_starts = set(score.bar_starts())
    out = score.copy()
    for track in out.tracks:
        notes = []
        for note in track.notes:
            x = note.start / end
            swell = {"flat": 0.0, "crescendo": x - 0.5, "decrescendo": 0.5 - x, "arch": 0.5 - abs(x - 0.5) * 2}[shape]
            velocity = base + 24 * swell + (8 if note.start in bar_starts else 0) + rng.randint(-6, 6)
            notes.append(dataclasses.replace(note, velocity=max(1, min(127, round(velocity)))))
        track.notes = notes
    return out
