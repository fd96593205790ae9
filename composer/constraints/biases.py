"""Soft constraints: logit biases with a strength (0 turns one off). Same protocol as the masks."""

from __future__ import annotations

import torch

from composer.constraints.state import DRUMS, DecodeState, Tracker


class Bias:
    name = "bias"

    def __init__(self, tracker: Tracker, strength: float) -> None:
        if strength < 0:
            raise ValueError(f"a bias strength is >= 0, not {strength}")
        self.tracker, self.tables, self.strength = tracker, tracker.tables, strength

    def bias(self, state: DecodeState) -> torch.Tensor | None:
        raise NotImplementedError

    def __call__(self, input_ids: torch.Tensor, scores: torch.Tensor) -> torch.Tensor:
        state = self.tracker.sync(input_ids)
        if self.strength == 0:
            return scores
        bias = self.bias(state)
        return scores if bias is None else scores + self.strength * bias


class ChordBias(Bias):
    """Notes on the beat favour the tones of the bar's chord (chords[i] for bar i + 1, cycling)."""

    name = "chords"

    def __init__(self, tracker: Tracker, chords: list[set[int]], strength: float = 2.0) -> None:
        super().__init__(tracker, strength)
        if not chords:
            raise ValueError("no chords given")
        is_pitch = (self.tables.pitch >= 0).float()
        pitch_class = self.tables.pitch % 12
        self.per_chord = [is_pitch * torch.isin(pitch_class, torch.tensor(sorted(c))).float() - is_pitch * 0.5
                          for c in chords]

    def bias(self, state: DecodeState) -> torch.Tensor | None:
        if state.last_type != "Program" or state.program == DRUMS or state.position % self.tables.beat_resolution:
            return None
        return self.per_chord[(state.bar - 1) % len(self.per_chord)]


class LeapBias(Bias):
    """Penalise a leap of more than an octave from the same instrument's previous note."""

    name = "voice leading"

    def bias(self, state: DecodeState) -> torch.Tensor | None:
        if state.last_type != "Program" or state.program == DRUMS or state.program not in state.last_pitch:
            return None
        previous = state.last_pitch[state.program]
        pitch = self.tables.pitch
        leap = ((pitch - previous).abs() > 12) & (pitch >= 0)
        return -leap.float()


class TargetBias(Bias):
    """Pull pitches toward a register (a centre pitch) and velocities toward a dynamic level."""

    name = "targets"

    def __init__(self, tracker: Tracker, centre_pitch: int | None = None, velocity: int | None = None,
                 strength: float = 1.0) -> None:
        super().__init__(tracker, strength)
        pitch, vel = self.tables.pitch, self.tables.velocity
        self.register = None if centre_pitch is None else \
            torch.where(pitch >= 0, -(pitch - centre_pitch).abs().float() / 12.0, 0.0)
        self.dynamic = None if velocity is None else torch.where(vel >= 0, -(vel - velocity).abs().float() / 16.0, 0.0)

    def bias(self, state: DecodeState) -> torch.Tensor | None:
        if state.last_type == "Program" and state.program != DRUMS:
            return self.register
        if state.last_type in ("Pitch", "PitchDrum"):
            return self.dynamic
        return None


class CoverageBias(Bias):
    """Favour requested instruments that have not played yet, so that each of them gets a part."""

    name = "coverage"

    def __init__(self, tracker: Tracker, programs: list[int], strength: float = 2.0) -> None:
        super().__init__(tracker, strength)
        self.program_ids = {p: int(torch.nonzero(self.tables.program == p)[0]) for p in programs}

    def bias(self, state: DecodeState) -> torch.Tensor | None:
        if state.last_type not in ("Position", "Tempo", "Duration"):
            return None
        silent = [token for program, token in self.program_ids.items() if program not in state.sounding]
        if not silent:
            return None
        bias = torch.zeros(self.tables.size)
        bias[silent] = 1.0
        return bias
