"""Roles on the logits: each part kept in its register (a hard window and a pull to its centre, per part,
never one centre for all) and playing its role's texture (held chords for pads, chords in rhythm for
comping, roots on the downbeat for the bass, steps for melodies).

    registers = {33: (28, 43, 55), 73: (60, 72, 91)}   # program -> (low, centre, high)
    roles = {33: "bass", 73: "melody"}
"""

from __future__ import annotations

import torch

from composer.constraints.biases import Bias
from composer.constraints.masks import Mask
from composer.constraints.state import DRUMS, DecodeState, Tracker

LINE_ROLES = ("melody", "counter")  # single lines: steps preferred, chord tones only on the downbeat
CHORD_ROLES = ("comp", "pad")  # parts that sound the harmony as chords
SINGLE_ROLES = ("bass", "melody", "counter")  # one note at a time (a cello bass plays no double stops)
SINGLE_COST = 20.0  # a second note at one onset of a single line: all but a mask (finite, never unsatisfiable)
CHORD_NOTES = {"pad": 3, "comp": 3}  # notes a chord of the role is built up to at one onset
# The model, trained mostly on single lines, puts a Position after nearly every note: a chord needs a pull
# about as strong as the gap between its first and its tenth choice.
CHORD_PULL = 8.0
SHORT_PAD = 20.0  # a pad note under two beats: finite, so a note in the last beat of the piece stays possible
ENTRY_ROLES = ("melody", "bass", "comp", "pad")  # parts that keep sounding: each comes back in when it stops
ENTRY_BEATS = {"melody": 2.0, "bass": 1.0, "comp": 2.0}  # beats between its entry points (a pad: each bar)
ENTRY_PULL = 8.0  # its Program at a due onset
SKIP_COST = 4.0  # an onset placed past a due entry, or the bar ended before it


def chord_root(chord: set[int]) -> int:
    """The pitch class with a third and a fifth above it in `chord` (the lowest such, by pitch class)."""
    return max(sorted(chord), key=lambda pc: (((pc + 4) % 12 in chord or (pc + 3) % 12 in chord)
                                              + ((pc + 7) % 12 in chord)))


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


RANKS = {"melody": 2, "counter": 1, "comp": 1, "pad": 1, "arp": 1, "bass": 0}  # high to low; doubling: none
CROSSING_COST = 6.0  # per note that would cross a sounding part of another rank (a counter-line: a quarter)


class OrderBias(Bias):
    """Parts keep their order: the melody above the accompaniment, the bass below everything. A pitch that
    would sound above a higher-ranked part's sounding note, or below a lower-ranked one's, costs
    CROSSING_COST (a counter-line may cross for a moment: a quarter of it)."""

    name = "register"

    def __init__(self, tracker: Tracker, roles: dict[int, str], strength: float = 1.0) -> None:
        super().__init__(tracker, strength)
        self.ranks = {p: RANKS[r] for p, r in roles.items() if r in RANKS and p != DRUMS}
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
        cost = CROSSING_COST / 4 if state.program in self.counters else CROSSING_COST
        return torch.where(self.is_pitch & crossing, -cost, 0.0)


class TextureBias(Bias):
    """Each role's texture, while the model picks the notes.

    pad: a chord of CHORD_NOTES["pad"] notes at each of its onsets (its next note at the same onset is
    favoured until then), each held a bar or more (at least two beats). comp: chords of three notes on
    the beat. bass: the bar's chord root at the downbeat (the fifth next), notes of a beat or more. melody
    and counter: stepwise motion preferred (a cost for each semitone of a leap beyond a whole tone).
    `chords` are the pitch classes of each bar's chord (cycling), as the chord bias has them."""

    name = "texture"

    def __init__(self, tracker: Tracker, roles: dict[int, str], chords: list[set[int]] | None,
                 strength: float = 1.0, loop_bars: int | None = None) -> None:
        super().__init__(tracker, strength)
        self.loop_bars = loop_bars  # a loop's last half bar: its way home (the loop bias) leads the lines
        t = self.tables
        self.roles = {p: r for p, r in roles.items() if p != DRUMS}
        self.chords = chords or []
        self.pitch = t.pitch
        self.is_pitch = t.pitch >= 0
        self.is_duration = t.duration >= 0
        self.program_ids = {p: int(torch.nonzero(t.program == p)[0]) for p in self.roles}
        self.is_position = t.masks["Position"]
        self.is_bar = t.masks["Bar"]
        self.is_eos = t.masks.get("EOS", torch.zeros(t.size, dtype=torch.bool))

    def _chord(self, state: DecodeState) -> set[int]:
        return self.chords[(state.bar - 1) % len(self.chords)] if self.chords and state.bar >= 1 else set()

    def _due(self, state: DecodeState, program: int, role: str) -> int | None:
        """When an accompaniment that has stopped sounding comes in again (an absolute time): the first beat
        (bass), half bar (comp) or bar (pad) after it falls silent; None when that is past this bar."""
        step = max(1, round(ENTRY_BEATS[role] * self.tables.beat_resolution)) if role in ENTRY_BEATS else \
            max(state.bar_length, 1)
        free = max(state.heard_until.get(program, state.bar_start), state.bar_start) - state.bar_start
        due = -(-free // step) * step
        return state.bar_start + due if due < state.bar_length else None

    def _single_lines(self, state: DecodeState) -> torch.Tensor | None:
        """In an ensemble, a single line (bass, melody, counter) that has a note at this onset gets no second
        one; a lone part (a piano's two hands) keeps its chords."""
        if len(self.roles) < 2:
            return None
        played = [p for p, r in self.roles.items() if r in SINGLE_ROLES and state.notes_at_onset.get(p, 0)]
        if not played:
            return None
        bias = torch.zeros(self.tables.size)
        for program in played:
            bias[self.program_ids[program]] = -SINGLE_COST
        return bias

    def _entries(self, state: DecodeState) -> torch.Tensor | None:
        """The accompaniment's rhythm: a part that is due comes in now (its Program), and the next onset is
        not placed past a due entry (nor the bar ended before it)."""
        bias, now, any_due = torch.zeros(self.tables.size), state.now, False
        choosing_position = state.last_type in ("TimeSig", "Duration")
        for program, role in self.roles.items():
            if role not in ENTRY_ROLES or state.voices(program):
                continue
            due = self._due(state, program, role)
            if due is None:
                continue
            if due <= now and state.position >= 0:
                bias[self.program_ids[program]] += ENTRY_PULL
            elif choosing_position:
                any_due = True
                skips = self.is_position & (self.tables.position > due - state.bar_start)
                bias = bias - SKIP_COST * (skips | self.is_bar | self.is_eos).float()
        return bias if any_due or bool(bias.any()) else None

    def bias(self, state: DecodeState) -> torch.Tensor | None:
        role = self.roles.get(state.program)
        if state.last_type == "Duration":  # the next token may be a Program at this onset, or a later onset
            own = self._chord_building(state, role) if role in CHORD_ROLES else self._single_lines(state)
            return _total(own, self._entries(state))
        if state.last_type in ("TimeSig", "Position", "Tempo"):
            return self._entries(state)
        if state.last_type == "Program" and role is not None:
            return self._pitch_bias(state, role)
        if state.last_type == "Velocity" and role is not None:
            return self._duration_bias(state, role)
        return None

    def _pitch_bias(self, state: DecodeState, role: str) -> torch.Tensor | None:
        pitch, bias = self.pitch, torch.zeros(self.tables.size)
        homeward = self.loop_bars == state.bar and state.position * 2 >= state.bar_length
        if role in LINE_ROLES and state.program in state.last_pitch and not homeward:
            leap = (pitch - state.last_pitch[state.program]).abs()
            bias = torch.where(self.is_pitch, -(leap - 2).clamp(min=0).float() / 3.0, 0.0)
        elif role == "bass" and state.position == 0 and self._chord(state):
            root = chord_root(self._chord(state))
            bias = torch.where(self.is_pitch & (pitch % 12 == root), 2.0,
                               torch.where(self.is_pitch & (pitch % 12 == (root + 7) % 12), 1.0, 0.0))
        elif role in CHORD_ROLES and state.pitches_at_onset:
            taken = torch.tensor(sorted({p % 12 for p in state.pitches_at_onset}))
            bias = torch.where(self.is_pitch & torch.isin(pitch % 12, taken), -1.5, 0.0)  # spread the chord
        return bias

    def _duration_bias(self, state: DecodeState, role: str) -> torch.Tensor | None:
        beat = self.tables.beat_resolution
        length = self.tables.duration.float()
        if role == "pad":  # held: two beats at the least (nearly a mask), a bar or more preferred
            bar = max(state.bar_length, beat)
            held = (length >= bar).float() * 4.0 - (length < 2 * beat).float() * SHORT_PAD
            return torch.where(self.is_duration, held, 0.0)
        if role in ("bass", "comp"):
            return torch.where(self.is_duration, -(beat - length).clamp(min=0) / beat * 2.0, 0.0)
        return None

    def _chord_building(self, state: DecodeState, role: str) -> torch.Tensor | None:
        on_beat = state.position % self.tables.beat_resolution == 0
        if role == "comp" and not on_beat:
            return None
        if state.notes_at_onset.get(state.program, 0) >= CHORD_NOTES[role]:
            return None
        bias = torch.zeros(self.tables.size)
        bias[self.program_ids[state.program]] = CHORD_PULL  # another note of the chord, at this onset
        return bias
