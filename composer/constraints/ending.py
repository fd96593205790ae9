"""The ending: a closed piece's last bar sounds, and ends on the tonic with the tonic in the bass."""

from __future__ import annotations

import torch

from composer.constraints.masks import Mask
from composer.constraints.state import DRUMS, DecodeState, Tracker


class EndingMask(Mask):
    """No pitched note is held over the last barline, so the final chord is struck clean (and a monophonic part
    is free to strike). In the last bar the lowest part (`program`: the bass, else the part lowest in register)
    strikes first, on the downbeat: one of the tonic's pitches, held to the final barline (the longest Duration
    that fits). Every note after it in the bar sounds at or above that tonic (the part itself does not strike it
    again, which would end it on its channel), so the final sonority has the tonic in the bass; the key mask
    keeps the bar on the tonic triad. Where the other masks leave nothing (a register without a tonic) it
    steps aside."""

    name = "ending"
    steps_aside = True

    def __init__(self, tracker: Tracker, bars: int, tonic: int, program: int, lowest: bool = False) -> None:
        super().__init__(tracker)
        t = self.tables
        self.bars, self.program, self.lowest = bars, program, lowest
        self.first_position = t.masks["Position"] & (t.position == 0)  # not EOS, Bar or a later onset
        self.our_program = t.masks["Program"] & (t.program == program)  # before any other part
        self.is_pitch = t.pitch >= 0
        self.tonic = ~self.is_pitch | (t.pitch % 12 == tonic % 12)
        self.is_duration = t.masks["Duration"]
        self.floor: tuple[int, int] | None = None  # (bar start, the held tonic's pitch)

    def _struck(self, state: DecodeState) -> bool:
        return state.last_onset.get(self.program, -1) >= state.bar_start

    def allowed(self, state: DecodeState) -> torch.Tensor | None:
        if state.bar < self.bars:  # the last chord is struck clean: nothing is held over the last barline
            if state.last_type != "Velocity" or state.program == DRUMS:
                return None
            left = state.bar_start + (self.bars - state.bar) * state.bar_length - state.now
            return ~self.is_duration | (self.tables.duration <= left)
        if state.bar != self.bars:
            return None
        if not self._struck(state):
            if state.last_type == "TimeSig" or (state.last_type == "Duration" and state.position == 0):
                return self.first_position if state.last_type == "TimeSig" else self.our_program
            if state.last_type == "Position" and state.position == 0:
                return self.our_program
            if state.program != self.program or state.position != 0:
                return None
            if state.last_type == "Program":
                return self.tonic  # a chordal part's: the lowest one the other masks leave (__call__)
            if state.last_type == "Velocity":
                left = state.bar_length - state.position
                durations = self.tables.duration
                fits = self.is_duration & (durations <= left) & (durations > 0)
                if not bool(fits.any()):
                    return None
                longest = int(durations[fits].max())
                return ~self.is_duration | (durations == longest)
            return None
        if self.floor is None or self.floor[0] != state.bar_start:
            self.floor = (state.bar_start, state.history.get((state.bar, 0, self.program), -1))
        if state.last_type == "Program" and self.floor[1] >= 0:
            above = self.tables.pitch >= self.floor[1]
            if state.program == self.program:  # restruck on its own channel, the held tonic would be cut off
                above = above & (self.tables.pitch != self.floor[1])
            return ~self.is_pitch | above
        return None


    def __call__(self, input_ids: torch.Tensor, scores: torch.Tensor) -> torch.Tensor:
        """As Mask's; and where the ender plays chords (`lowest`: a comp or pad), its tonic is the lowest the
        other masks leave it: a comp guitar that took B4 had no chord tone left above it in its register, and
        the mask had to let its D#4 in below. A single line keeps the tonic the model picks."""
        out = super().__call__(input_ids, scores)
        state = self.tracker.state
        if self.lowest and state.bar == self.bars and state.last_type == "Program" and state.program == self.program \
                and state.position == 0 and not self._struck(state):
            tonics = torch.nonzero(torch.isfinite(out) & self.is_pitch).flatten()
            if len(tonics):
                lowest = tonics[torch.argmin(self.tables.pitch[tonics])]
                out = torch.full_like(out, float("-inf")).index_copy_(0, lowest[None], out[lowest][None])
        return out


def ending_part(programs: list[int], roles: dict[int, str] | None,
                registers: dict[int, tuple[int, int, int]] | None) -> int | None:
    """The part that ends on the tonic in the bass: the bass part (the lowest, if several), else the part
    whose register centre (or playable range) lies lowest; None without a pitched part."""
    from composer.core.gm import playable_range

    pitched = [p for p in programs if p >= 0]
    if not pitched:
        return None

    def centre(program: int) -> float:
        if registers and program in registers:
            return registers[program][1]
        low, high = playable_range(program)
        return (low + high) / 2

    basses = [p for p in pitched if (roles or {}).get(p) == "bass"]
    return min(basses or pitched, key=centre)
