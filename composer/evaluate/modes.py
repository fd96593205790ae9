"""Is a written piece in a mode? The share of its sounding time on the mode's scale, and its final bass."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import TypeAlias

import pretty_midi

from composer.core.errors import ComposerError
from composer.evaluate.musicality_form import final_sonority
from composer.evaluate.musicality_metrics import Meter, Part, bar_count, read_meter, read_parts

# Mode -> pitch classes above the tonic. "minor" is the union of natural, harmonic and melodic minor.
MODE_SCALES: dict[str, frozenset[int]] = {
    "major": frozenset({0, 2, 4, 5, 7, 9, 11}),
    "ionian": frozenset({0, 2, 4, 5, 7, 9, 11}),
    "minor": frozenset({0, 2, 3, 5, 7, 8, 9, 10, 11}),
    "dorian": frozenset({0, 2, 3, 5, 7, 9, 10}),
    "phrygian": frozenset({0, 1, 3, 5, 7, 8, 10}),
    "lydian": frozenset({0, 2, 4, 6, 7, 9, 11}),
    "mixolydian": frozenset({0, 2, 4, 5, 7, 9, 10}),
    "aeolian": frozenset({0, 2, 3, 5, 7, 8, 10}),
    "locrian": frozenset({0, 1, 3, 5, 6, 8, 10}),
    "harmonic minor": frozenset({0, 2, 3, 5, 7, 8, 11}),
}
IN_MODE_FIT = 0.95  # in_mode: at least this share of the note durations on the scale

Source: TypeAlias = str | Path | pretty_midi.PrettyMIDI | Sequence[Part]  # a MIDI file, read or not, or its parts


class UnknownModeError(ComposerError):
    """A mode name that MODE_SCALES does not hold."""


def mode_scale(mode: str) -> frozenset[int]:
    """The mode's pcs above the tonic; "harmonic_minor" and "Harmonic-Minor" name "harmonic minor"."""
    name = mode.strip().lower().replace("_", " ").replace("-", " ")
    if name not in MODE_SCALES:
        raise UnknownModeError(f"unknown mode {mode!r}; known: {', '.join(MODE_SCALES)}")
    return MODE_SCALES[name]


def parts_and_meter(source: Source) -> tuple[list[Part], Meter]:
    """The pitched parts (drums left out) and first meter of a MIDI path or PrettyMIDI; parts as given, in 4/4."""
    if isinstance(source, str | Path):
        with warnings.catch_warnings():  # key signatures outside track 0 are legal SMF; pretty_midi warns of them
            warnings.filterwarnings("ignore", "Tempo, Key or Time signature change events", RuntimeWarning)
            source = pretty_midi.PrettyMIDI(str(source))
    if isinstance(source, pretty_midi.PrettyMIDI):
        return read_parts(source), read_meter(source)
    return list(source), Meter()


def fit_of(parts: Sequence[Part], tonic_pc: int, mode: str) -> float | None:
    scale = {(tonic_pc + step) % 12 for step in mode_scale(mode)}
    durations = [(n.pitch % 12, n.end - n.start) for p in parts for n in p.notes if n.end > n.start]
    total = sum(d for _, d in durations)
    return sum(d for pc, d in durations if pc in scale) / total if total > 0 else None


def scale_fit(source: Source, tonic_pc: int, mode: str) -> float | None:
    """Share of the pitched note durations (beats) whose pc lies in `mode` on `tonic_pc`; None without notes."""
    return fit_of(parts_and_meter(source)[0], tonic_pc, mode)


def in_mode(source: Source, tonic_pc: int, mode: str) -> bool:
    """scale_fit >= IN_MODE_FIT and the lowest note sounding at the last onset (in the last bar) is the tonic."""
    parts, meter = parts_and_meter(source)
    fit = fit_of(parts, tonic_pc, mode)
    if fit is None or fit < IN_MODE_FIT - 1e-9:
        return False
    sonority = final_sonority(parts, meter, bar_count(parts, meter))
    return sonority is not None and sonority[0] % 12 == tonic_pc % 12
