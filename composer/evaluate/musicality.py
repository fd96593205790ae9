"""Musicality metrics of a written MIDI file, computed from the file alone (read with pretty_midi), never from a plan.

Conventions. Times are quarter-note beats, beat = tick / resolution. Bars come from the file's first time
signature (4/4 without one), bar 0 starting at tick 0; a piece has ceil(last note end / bar length) bars unless
the caller passes `bars`. A part is one pitched pretty_midi Instrument with notes (drum tracks are left out).
A note sounds at grid point t when start <= t < end. Onsets are quantised to 1/12 beat; an onset's position is
its 1/12-beat offset from its bar's downbeat. Strong positions: the downbeat, plus the half-bar point when the
numerator is 4, 6 or 12 (4/4: beats 0 and 2; 6/8: eighths 0 and 3; 3/4: beat 0 only).
Roles and idiomatic ranges: see musicality_roles (infer_roles, roles_from_families, IDIOMATIC_RANGES).

Prevailing chord of a bar: of 48 templates (12 roots x major {0,4,7}, minor {0,3,7}, diminished {0,3,6},
dominant 7th {0,4,7,10}), the one with the highest score = inside - 1.0 x outside - 0.1 x absent, where the
weight of a pitch class = beats it sounds inside the bar over ALL pitched parts, normalised to sum 1; inside /
outside = weight on / off the template's pcs, absent = number of template pcs with no weight at all. Ties (within
1e-9) go to the template rooted on the pc of the bar's lowest note (a bar of A's alone is A, not D major), then
to fewer pcs, then the lower root, then major, minor, diminished. A silent bar has no chord (None).

Per part (PartMetrics):
  notes_per_bar      notes / bars of the piece.
  median_pitch, p5_pitch, p95_pitch   of the part's note pitches (numpy percentiles, linear interpolation).
  in_range           share of notes with low <= pitch <= high of the part's idiomatic range (range_low/high).
  mean_duration      mean note length in beats.
  bars_sounding      the share of bars in which the part has a note sounding (parts_present: the share of
                     parts, or of the parts a prompt asked for, that sound in 90% of the bars).
  polyphony          mean number of the part's notes sounding, over the 1/12-beat grid points where it sounds.
  chord_onsets       share of the part's distinct onsets at which 3 or more of its notes start together.
  chord_tone_strong  share of the part's onsets at strong positions whose pc is in the bar's prevailing chord.
  onset_repeat       share of bars (with 1+ onsets of the part) whose sorted onset-position pattern equals that
                     of an earlier bar of the part; bars without onsets are out of numerator and denominator.
  pitch_repeat       the same with the sorted (position, pitch) pattern.
  compression_gain   zlib (level 9) ratio len(raw) / len(compressed) of the note string (3 bytes a note, notes in
                     (onset, pitch) order: pitch, onset delta from the previous note and duration, in 1/12 beats,
                     capped at 255) divided by the mean ratio of 8 shuffles of the note order (numpy
                     default_rng seeds 0-7). > 1: more repeated structure than chance. None under 2 notes.
  step_share, leap_3_7, leap_over_octave   of the top line (highest pitch at each quantised onset, in onset
                     order): shares of its non-zero intervals that are 1-2, 3-7 and > 12 semitones (8-12
                     counts in none); repeated notes are out of the denominator. None without such intervals.
  unison_share       of the top line: the share of all its intervals that are 0 (the same note again).

Per piece (PieceMetrics), sampling the 1/4-beat grid over the piece's bars:
  clash_rate      among grid points where 2+ distinct pcs sound, the share holding two pcs 1 semitone apart
                  mod 12 (a minor second or major seventh in any octave).
  voice_crossing  ranks: melody 2; counter, comp, pad, arp, inner 1; bass 0; doubling unranked. Among grid
                  points where some pair of differently ranked parts both sound, the share where for some
                  such pair the higher-ranked part's top sounding note is below the lower-ranked part's top note.
  bass_lowest     among grid points where a bass-role part sounds, the share where the lowest bass note is the
                  lowest note of all sounding pitched notes (a unison counts as lowest). None without a bass.
  bass_root       among bars with a prevailing chord and a bass-role note sounding at the downbeat, the share
                  where one such note's pc is the chord's root. None without a bass.
  co_sounding     mean over pairs of parts of (points where both sound) / (points where either sounds).
  texture_repeat  onset_repeat's rule on the (position, pitch) pattern of all pitched parts together.
  key, tonic      music21 `analyze('key')` (Aarden-Essen) of all pitched notes, e.g. "D major", "Bb minor".
  ending_tonic    True when the last bar has a note sounding and the lowest note sounding at the last onset
                  (the final sonority's bass) has the tonic's pitch class.
  ending_full     stricter: ending_tonic, and the final sonority's pcs relative to the tonic lie within {0, 4, 7}
                  or within {0, 3, 7} (a major or minor tonic triad, doublings, a bare fifth or unison allowed).
  seventh_share   among bars with notes, the share whose seventh chord (musicality_form.seventh_chord) exists:
                  the best of 84 templates (12 roots x major, minor, diminished, major 7th {0,4,7,11}, minor 7th
                  {0,3,7,10}, half-diminished {0,3,6,10}, dominant 7th {0,4,7,10}; the prevailing chord's score
                  and tie-breaks) is a seventh, each of its 4 pcs holds >= 0.1 of the bar's pc weight and the 4
                  together >= 0.8 of it. The prevailing chord above is unchanged by this.
  cadence_share   over the whole 8-bar periods (bars 0-7, 8-15, ...), the share whose last bar's prevailing chord
                  is rooted on the tonic after a bar rooted on the dominant (7), a diminished chord on the leading
                  tone (11) or the subdominant (5), or whose last bar is rooted on the dominant (a half cadence);
                  roots relative to the tonic, (root - tonic) % 12. The bar before may also be read by its
                  second half's prevailing chord (half_bar_chords: "ii V | I" is authentic). None under 8 bars.
  chord_roots     the prevailing chord's root pc per bar, None for silent bars.

Per prompt set (`set_metrics`): distinct_keys; progressions = distinct 4-bar windows (bars 0-3, 4-7, ...; whole
windows only) of chord roots relative to each piece's tonic, (root - tonic) % 12, None kept for silent bars;
default_plan_share = share of bars with a chord whose relative root equals plan[bar % len(plan)];
distinct_openings = distinct first windows (bars 0-3) over the pieces; distinct_window_share = distinct_progressions
/ progression_windows (all windows, repeats counted). The run adds per prompt set (musicality_run): seventh_share,
the mean of the pieces' values; jazz_seventh_share, that mean over the pieces whose prompt text, lower-cased, holds
jazz, swing, bebop, bossa or blues (JAZZ_WORDS); by_prompt, seventh_share, cadence_share and ending_full by prompt.
Mode check (composer.evaluate.modes): scale_fit = share of note durations on the mode's scale from the tonic;
in_mode = scale_fit >= 0.95 and the final sonority's lowest note has the tonic's pitch class.
"""

from __future__ import annotations

import copy
import warnings
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, fields
from pathlib import Path

import numpy as np
import pretty_midi
from music21 import note as m21note
from music21 import stream

from composer.evaluate.musicality_form import cadence_share, ending_full, final_sonority, half_bar_chords, seventh_share
from composer.evaluate.musicality_metrics import (
    COARSE,
    FINE,
    Chord,
    Meter,
    Part,
    bar_chords,
    bar_count,
    bar_histograms,
    bar_patterns,
    bass_lowest,
    bass_root,
    chord_onsets,
    chord_tone_strong,
    clash_rate,
    co_sounding,
    compression_gain,
    grid_length,
    interval_shares,
    polyphony,
    read_meter,
    read_parts,
    repeat_share,
    roll,
    top_line,
    voice_crossing,
)
from composer.evaluate.musicality_roles import idiomatic_range, infer_roles, roles_from_families


@dataclass
class PartMetrics:
    """Metrics of one pitched part (definitions in the module docstring)."""

    name: str
    program: int
    role: str
    n_notes: int
    notes_per_bar: float
    median_pitch: float
    p5_pitch: float
    p95_pitch: float
    range_low: int
    range_high: int
    in_range: float
    mean_duration: float
    polyphony: float
    chord_onsets: float
    chord_tone_strong: float | None
    onset_repeat: float | None
    pitch_repeat: float | None
    compression_gain: float | None
    step_share: float | None
    leap_3_7: float | None
    unison_share: float | None
    leap_over_octave: float | None
    bars_sounding: float = 0.0


@dataclass
class PieceMetrics:
    """Metrics of one piece (definitions in the module docstring)."""

    n_bars: int
    meter: str
    key: str | None
    tonic: int | None
    roles: list[str]
    parts: list[PartMetrics]
    clash_rate: float | None
    voice_crossing: float | None
    bass_lowest: float | None
    bass_root: float | None
    co_sounding: float | None
    texture_repeat: float | None
    ending_tonic: bool
    ending_full: bool
    seventh_share: float | None
    cadence_share: float | None
    chord_roots: list[int | None]
    parts_present: float | None = None  # share of the (requested) parts sounding in PRESENT_SHARE of the bars


PRESENT_SHARE = 0.9
PIECE_NUMBERS: tuple[str, ...] = (
    "clash_rate",
    "voice_crossing",
    "bass_lowest",
    "bass_root",
    "co_sounding",
    "parts_present",
    "texture_repeat",
    "ending_tonic",
    "ending_full",
    "seventh_share",
    "cadence_share",
)
PART_NUMBERS: tuple[str, ...] = tuple(
    f.name for f in fields(PartMetrics) if f.name not in ("name", "program", "role", "range_low", "range_high")
)


def pitched_instruments(pm: pretty_midi.PrettyMIDI) -> list[pretty_midi.Instrument]:
    """The instruments measured as parts: not drums, with notes; explicit roles align with this list."""
    return [inst for inst in pm.instruments if not inst.is_drum and inst.notes]


def detect_key(parts: Sequence[Part]) -> tuple[str | None, int | None]:
    """music21's key of all notes as ("D major", 2); (None, None) without notes."""
    notes = [n for p in parts for n in p.notes if n.end > n.start]
    if not notes:
        return None, None
    s: stream.Stream = stream.Stream()
    for n in notes:
        s.insert(
            round(n.start * FINE) / FINE,
            m21note.Note(n.pitch, quarterLength=max(1, round((n.end - n.start) * FINE)) / FINE),
        )
    key = s.analyze("key")
    return f"{key.tonic.name.replace('-', 'b')} {key.mode}", int(key.tonic.pitchClass)


def measure_part(part: Part, role: str, meter: Meter, n_bars: int, chords: Sequence[Chord | None]) -> PartMetrics:
    pitches = np.array([n.pitch for n in part.notes])
    low, high = idiomatic_range(part.name, part.program, role)
    step, leap, over, unison = interval_shares(top_line(part))
    return PartMetrics(
        name=part.name,
        program=part.program,
        role=role,
        n_notes=len(part.notes),
        notes_per_bar=len(part.notes) / n_bars,
        median_pitch=float(np.median(pitches)),
        p5_pitch=float(np.percentile(pitches, 5)),
        p95_pitch=float(np.percentile(pitches, 95)),
        range_low=low,
        range_high=high,
        in_range=float(((pitches >= low) & (pitches <= high)).mean()),
        mean_duration=float(np.mean([n.end - n.start for n in part.notes])),
        polyphony=polyphony(part, grid_length(n_bars, meter, FINE)),
        chord_onsets=chord_onsets(part),
        chord_tone_strong=chord_tone_strong(part, chords, meter),
        onset_repeat=repeat_share(bar_patterns(part.notes, meter, n_bars, with_pitch=False)),
        pitch_repeat=repeat_share(bar_patterns(part.notes, meter, n_bars, with_pitch=True)),
        compression_gain=compression_gain(part),
        step_share=step,
        leap_3_7=leap,
        unison_share=unison,
        leap_over_octave=over,
        bars_sounding=bars_sounding(part, meter, n_bars),
    )


def bars_sounding(part: Part, meter: Meter, n_bars: int) -> float:
    """The share of the piece's bars in which the part has a note sounding."""
    bar = meter.bar_beats
    heard = {b for n in part.notes for b in range(int(n.start // bar), int(-(-n.end // bar))) if b < n_bars}
    return len(heard) / max(1, n_bars)


def resolve_roles(
    instruments: Sequence[pretty_midi.Instrument], roles: Sequence[str] | None, expected: dict[str, str] | None
) -> list[str]:
    """Explicit roles (aligned with `pitched_instruments`), else from expected families, else inferred."""
    if roles is not None:
        if len(roles) != len(instruments):
            raise ValueError(f"{len(roles)} roles for {len(instruments)} pitched parts")
        return list(roles)
    if expected:
        return roles_from_families(instruments, expected)
    return infer_roles(instruments)


def measure_pretty_midi(
    pm: pretty_midi.PrettyMIDI,
    roles: Sequence[str] | None = None,
    expected: dict[str, str] | None = None,
    bars: int | None = None,
) -> PieceMetrics:
    """All metrics of a PrettyMIDI; `bars` overrides the bar count (e.g. after `truncate`)."""
    parts = read_parts(pm)
    role_list = resolve_roles(pitched_instruments(pm), roles, expected)
    meter = read_meter(pm)
    n_bars = bars if bars is not None else bar_count(parts, meter)
    chords = bar_chords(parts, meter, n_bars)
    key, tonic = detect_key(parts)
    grids = [roll(p, COARSE, grid_length(n_bars, meter, COARSE)) for p in parts]
    texture = bar_patterns([n for p in parts for n in p.notes], meter, n_bars, with_pitch=True)
    sonority = final_sonority(parts, meter, n_bars) if parts else None
    return PieceMetrics(
        n_bars=n_bars,
        meter=f"{meter.numerator}/{meter.denominator}",
        key=key,
        tonic=tonic,
        roles=role_list,
        parts=[measure_part(p, r, meter, n_bars, chords) for p, r in zip(parts, role_list, strict=True)],
        clash_rate=clash_rate(grids) if grids else None,
        voice_crossing=voice_crossing(grids, role_list) if grids else None,
        bass_lowest=bass_lowest(grids, role_list) if grids else None,
        bass_root=bass_root(parts, role_list, chords, meter),
        co_sounding=co_sounding(grids),
        texture_repeat=repeat_share(texture),
        ending_tonic=sonority is not None and sonority[0] % 12 == tonic,
        ending_full=ending_full(sonority, tonic),
        seventh_share=seventh_share(bar_histograms(parts, meter, n_bars)),
        cadence_share=cadence_share(chords, tonic, half_bar_chords(parts, meter, n_bars)[1::2]),
        chord_roots=[c.root if c is not None else None for c in chords],
        parts_present=parts_present([bars_sounding(p, meter, n_bars) for p in parts]),
    )


def parts_present(shares: Sequence[float]) -> float | None:
    """The share of parts whose bars_sounding reaches PRESENT_SHARE (None without parts)."""
    return sum(share >= PRESENT_SHARE for share in shares) / len(shares) if shares else None


def measure_midi(
    path: str | Path,
    roles: Sequence[str] | None = None,
    expected: dict[str, str] | None = None,
    bars: int | None = None,
) -> PieceMetrics:
    """All metrics of a MIDI file (arguments as for `measure_pretty_midi`)."""
    with warnings.catch_warnings():  # pretty_midi warns of key signatures outside track 0; the SMF spec allows them
        warnings.filterwarnings("ignore", "Tempo, Key or Time signature change events", RuntimeWarning)
        midi = pretty_midi.PrettyMIDI(str(path))
    return measure_pretty_midi(midi, roles=roles, expected=expected, bars=bars)


def truncate(pm: pretty_midi.PrettyMIDI, bars: int) -> pretty_midi.PrettyMIDI:
    """A copy holding the first `bars` bars: later notes and events dropped, notes cut at the last barline."""
    out = copy.deepcopy(pm)
    cut_tick = round(bars * read_meter(pm).bar_beats * pm.resolution)
    cut = out.tick_to_time(cut_tick)
    for inst in out.instruments:
        inst.notes = [n for n in inst.notes if out.time_to_tick(n.start) < cut_tick]
        for n in inst.notes:
            n.end = min(n.end, cut)
        inst.control_changes = [c for c in inst.control_changes if c.time < cut]
        inst.pitch_bends = [b for b in inst.pitch_bends if b.time < cut]
    out.time_signature_changes = [t for t in out.time_signature_changes if t.time < cut]
    out.key_signature_changes = [k for k in out.key_signature_changes if k.time < cut]
    out.lyrics = [ly for ly in out.lyrics if ly.time < cut]
    return out


def mean_of(values: Sequence[float | bool | None]) -> float | None:
    present = [float(v) for v in values if v is not None]
    return float(np.mean(present)) if present else None


def summarise(pieces: Sequence[PieceMetrics]) -> dict[str, float]:
    """Headline numbers: piece metrics averaged over pieces; part metrics over all parts ("part.x") and by role
    ("bass.x", "melody.x", ...). Metrics that are None everywhere are left out."""
    out: dict[str, float] = {"pieces": float(len(pieces)), "parts": float(sum(len(p.parts) for p in pieces))}
    for name in PIECE_NUMBERS:
        value = mean_of([getattr(p, name) for p in pieces])
        if value is not None:
            out[name] = value
    by_role: dict[str, list[PartMetrics]] = defaultdict(list)
    for part in (part for piece in pieces for part in piece.parts):
        by_role["part"].append(part)
        by_role[part.role].append(part)
    for role, parts in sorted(by_role.items()):
        for name in PART_NUMBERS:
            value = mean_of([getattr(p, name) for p in parts])
            if value is not None:
                out[f"{role}.{name}"] = value
    return out


def relative_roots(piece: PieceMetrics) -> list[int | None]:
    """Chord roots relative to the piece's tonic, (root - tonic) % 12."""
    tonic = piece.tonic or 0
    return [None if r is None else (r - tonic) % 12 for r in piece.chord_roots]


def set_metrics(pieces: Sequence[PieceMetrics], default_plan: Sequence[int] | None = None) -> dict[str, float | None]:
    """Variety over a prompt set: distinct keys, distinct 4-bar relative root progressions and openings, the
    distinct share of all windows, default-plan share."""
    windows = [
        tuple(rel[i : i + 4])
        for piece in pieces
        if piece.tonic is not None
        for rel in [relative_roots(piece)]
        for i in range(0, len(rel) - 3, 4)
    ]
    openings = {tuple(relative_roots(p)[:4]) for p in pieces if p.tonic is not None and len(p.chord_roots) >= 4}
    on_plan = total = 0
    if default_plan:
        for piece in pieces:
            for bar, root in enumerate(relative_roots(piece) if piece.tonic is not None else []):
                if root is not None:
                    total += 1
                    on_plan += root == default_plan[bar % len(default_plan)]
    return {
        "pieces": float(len(pieces)),
        "distinct_keys": float(len({p.key for p in pieces if p.key is not None})),
        "progression_windows": float(len(windows)),
        "distinct_progressions": float(len(set(windows))),
        "distinct_openings": float(len(openings)),
        "distinct_window_share": len(set(windows)) / len(windows) if windows else None,
        "default_plan_share": on_plan / total if total else None,
    }
