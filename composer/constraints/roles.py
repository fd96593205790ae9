"""Roles on the logits: each part kept in its register (a hard window and a pull to its centre, per part,
never one centre for all) and in its order (the bass lowest, the melody on top), with the constants the
texture filters share (composer.constraints.texture: held chords for pads, chords in rhythm for comping,
roots on the downbeat for the bass, steps for melodies).

    registers = {33: (28, 43, 55), 73: (60, 72, 91)}   # program -> (low, centre, high)
    roles = {33: "bass", 73: "melody"}
"""

from __future__ import annotations

import torch

from composer.constraints.biases import Bias
from composer.constraints.masks import Mask
from composer.constraints.state import DRUMS, DecodeState, Tracker

LINE_ROLES = ("melody", "counter")  # single lines: steps preferred, chord tones only on the downbeat
KEPT_VOICINGS = ("bass", "comp", "pad", "arp")  # parts that go back to their shape for a chord heard before
CHORD_ROLES = ("comp", "pad")  # parts that sound the harmony as chords
SINGLE_ROLES = ("bass", "melody", "counter", "arp")  # one note at a time (a cello bass plays no double stops)
SINGLE_COST = 20.0  # a second note at one onset of a single line: all but a mask (finite, never unsatisfiable)
# The model, trained mostly on single lines, puts a Position after nearly every note: a chord needs a pull
# about as strong as the gap between its first and its tenth choice.
CHORD_PULL = 8.0
HAND_SPAN = 14  # semitones a comp or pad voicing spans at the most (a hand's reach, a ninth)
HARMONY_PULL = 3.0  # a comp or pad chord's added notes on the bar's chord tones
PAD_PULL = 3.0  # a pad's chord is all but always full: this times CHORD_PULL
SHORT_PAD = 20.0  # a pad note under two beats: finite, so a note in the last beat of the piece stays possible
ENTRY_ROLES = ("melody", "counter")  # unfigured parts that keep sounding: each comes back in when it stops
ENTRY_BEATS = {"melody": 1.0, "counter": 1.0}  # beats of silence before it is due again
LEGATO = 1.0  # a line's note shorter than a beat: this times the missing share of the beat
REPEAT_COST = 0.7  # a line's note on the pitch it just played (melodies sat on one note for bars without it)
# ... and this much more for each time in a row it already came again: the third A of "A A A A" costs 1.5, the
# fourth 2.3 (the tunes repeated their note at 32% of their intervals, the corpus's 7-16%)
RUN_COST = 0.8
PHRASE_BARS = 4  # a phrase's length (composer.plan.harmony's periods are two of them)
BREATH_PULL = 2.0  # a melody note in a phrase's last half bar held two beats or to the barline
ENTRY_PULL = 8.0  # its Program at a due onset
SKIP_COST = 4.0  # an onset placed past the melody's due entry, or the bar ended before it
FIGURE_SKIP_COST = 10.0  # the same past a figured part's due onset: the style's rhythm all but holds
OFF_FIGURE = 5.0  # a figured part's Program at an onset off its figure
LENGTH_PULL = 1.5  # a figured note's length: this per halving or doubling away from the figure's
FINAL_PULL = 12.0  # the same in a closed piece's last bar: all but a mask (the tonic in the bass)
HOLD_PULL = 6.0  # a figured part's note in a closed piece's last bar that lasts to its end
HOME_PULL = 4.0  # a line's chord tones in a loop's last half bar (its chord leads back to bar 1)
ROOT_PULL = 4.0  # the bass's root at the downbeat (the fifth: 1)
CLASH_COST = 2.5  # a pitch a semitone from one sounding (a passing note off the beat: half)
LEAP_COST = 1.2  # a line's cost per semitone of a leap beyond a whole tone


def _total(*biases: torch.Tensor | None) -> torch.Tensor | None:
    """The sum of the biases that apply (None where none does)."""
    applied = [b for b in biases if b is not None]
    return torch.stack(applied).sum(0) if applied else None


class RegisterMask(Mask):
    """Each part's pitches inside its register window (the windows come from composer.core.roles)."""

    name = "register"

    def __init__(self, tracker: Tracker, registers: dict[int, tuple[int, int, int]]) -> None:
        super().__init__(tracker)
        pitch = self.tables.pitch
        not_pitch = pitch < 0
        self.windows = {program: not_pitch | ((pitch >= low) & (pitch <= high))
                        for program, (low, _, high) in registers.items() if program != DRUMS}

    def allowed(self, state: DecodeState) -> torch.Tensor | None:
        if state.last_type != "Program":
            return None
        return self.windows.get(state.program)


class RegisterBias(Bias):
    """A pull toward each part's own register centre: minus the distance in octaves."""

    name = "register"

    def __init__(self, tracker: Tracker, registers: dict[int, tuple[int, int, int]], strength: float = 1.0) -> None:
        super().__init__(tracker, strength)
        pitch = self.tables.pitch
        self.pulls = {program: torch.where(pitch >= 0, -(pitch - centre).abs().float() / 12.0, 0.0)
                      for program, (_, centre, _) in registers.items() if program != DRUMS}

    def bias(self, state: DecodeState) -> torch.Tensor | None:
        if state.last_type != "Program":
            return None
        return self.pulls.get(state.program)


# high to low; doubling: none
RANKS: dict[str, float] = {"melody": 3, "counter": 2, "comp": 1, "pad": 1, "arp": 1, "bass": 0}


def part_ranks(roles: dict[int, str], ranks: dict[int, float] | None = None) -> dict[int, float]:
    """Each ordered part's rank, high to low: its role's (RANKS), or the one given for it (a choir's voices)."""
    return {p: (ranks or {}).get(p, RANKS[r]) for p, r in roles.items() if r in RANKS and p != DRUMS}


CROSSING_COST = 6.0  # per note that would cross a sounding part of another rank (a counter-line: half)


class OrderBias(Bias):
    """Parts keep their order: the melody above the accompaniment, the bass below everything. A pitch that
    would sound above a higher-ranked part's sounding note, or below a lower-ranked one's, costs
    CROSSING_COST (a counter-line may cross for a moment: half of it)."""

    name = "register"

    def __init__(self, tracker: Tracker, roles: dict[int, str], strength: float = 1.0,
                 ranks: dict[int, float] | None = None) -> None:
        super().__init__(tracker, strength)
        self.ranks = part_ranks(roles, ranks)
        self.counters = {p for p, r in roles.items() if r == "counter"}
        self.pitch = self.tables.pitch
        self.is_pitch = self.pitch >= 0

    def bias(self, state: DecodeState) -> torch.Tensor | None:
        if state.last_type != "Program" or state.program not in self.ranks:
            return None
        rank, crossing = self.ranks[state.program], torch.zeros(self.tables.size, dtype=torch.bool)
        for other, other_rank in self.ranks.items():
            if other == state.program or other_rank == rank or other not in state.last_pitch:
                continue
            if state.voices(other) == 0 and state.notes_at_onset.get(other, 0) == 0:
                continue  # not sounding now
            level = state.last_pitch[other]
            crossing |= (self.pitch > level) if other_rank > rank else (self.pitch < level)
        cost = CROSSING_COST / 2 if state.program in self.counters else CROSSING_COST
        return torch.where(self.is_pitch & crossing, -cost, 0.0)


class OrderMask(Mask):
    """The hard order of parts: the bass is the lowest note sounding (ties allowed), and a part of a lower
    rank stays at or under the top of every sounding higher-ranked part (the melody over the accompaniment),
    and a higher-ranked part at or over the top of every lower-ranked one. A counter-line keeps over the
    harmony and the bass, and may cross the melody for a moment (OrderBias asks it not to). Where the other
    masks leave no pitch inside the order, it steps aside."""

    name = "order"

    def __init__(self, tracker: Tracker, roles: dict[int, str], ranks: dict[int, float] | None = None) -> None:
        super().__init__(tracker)
        self.ranks = part_ranks(roles, ranks)
        self.counters = {p for p, r in roles.items() if r == "counter"}  # kept over the bass only
        self.bass = {p for p, r in roles.items() if r == "bass"}
        self.pitch = self.tables.pitch
        self.not_pitch = self.pitch < 0

    def allowed(self, state: DecodeState) -> torch.Tensor | None:
        if state.last_type != "Program" or state.program not in self.ranks:
            return None
        rank, low, high = self.ranks[state.program], -1, 128
        for other, other_rank in self.ranks.items():
            if other == state.program:
                continue
            levels = state.pitches(other)
            if not levels:
                continue
            if other in self.bass and state.program not in self.bass:
                low = max(low, max(levels))
            elif state.program in self.bass and other not in self.bass:
                high = min(high, min(levels))
            elif {other, state.program} & self.counters and max(rank, other_rank) == RANKS["melody"]:
                continue  # a counter-line may cross the melody for a moment (OrderBias), never the harmony
            elif other_rank > rank:
                high = min(high, max(levels))
            elif other_rank < rank:
                low = max(low, max(levels))
        if low < 0 and high > 127:
            return None
        return self.not_pitch | ((self.pitch >= low) & (self.pitch <= high))

    def __call__(self, input_ids: torch.Tensor, scores: torch.Tensor) -> torch.Tensor:
        state = self.tracker.sync(input_ids)
        allowed = self.allowed(state)
        if allowed is None:
            return scores
        out = scores.masked_fill(~allowed, float("-inf"))
        return out if bool(torch.isfinite(out[self.tables.masks["Pitch"]]).any()) else scores
