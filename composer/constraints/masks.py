"""Hard constraints: filters `(input_ids, scores) -> scores` that set forbidden tokens to -inf.

Each filter reads a shared DecodeState (see state.py), acts only in the phase of the grammar it governs,
never mutates its input, and raises UnsatisfiableError when it would leave no token at all.
"""

from __future__ import annotations

from collections.abc import Sequence
from collections.abc import Set as AbstractSet

import torch

from composer.constraints.state import DRUMS, GRAMMAR, DecodeState, Tracker
from composer.core.errors import UnsatisfiableError
from composer.core.gm import playable_range
from composer.core.theory import MODE_SCALES, mode_family

NEG_INF = float("-inf")
GM_DRUM_PITCHES = range(35, 82)  # General MIDI percussion key map: 35 (acoustic bass drum) to 81 (open triangle)
ONSET_PHASES = ("Position", "Tempo", "Duration")
MELODIC_CHANNELS = 15  # 16 MIDI channels, one kept for drums  # after these a Program (a note) may come


class Mask:
    """Base: subclasses return the allowed ids for the next token, or None where they do not apply."""

    name = "mask"
    steps_aside = False  # True: where it would leave no token, the scores pass unchanged (no error)

    def __init__(self, tracker: Tracker) -> None:
        self.tracker = tracker
        self.tables = tracker.tables

    def allowed(self, state: DecodeState) -> torch.Tensor | None:
        raise NotImplementedError

    def __call__(self, input_ids: torch.Tensor, scores: torch.Tensor) -> torch.Tensor:
        state = self.tracker.sync(input_ids)
        allowed = self.allowed(state)
        if allowed is None:
            return scores
        out = scores.masked_fill(~allowed, NEG_INF)
        if not bool(torch.isfinite(out).any()):
            if self.steps_aside:
                return scores
            raise UnsatisfiableError(f"the {self.name} constraint leaves no possible token after a "
                                     f"{state.last_type} token in bar {state.bar}")
        return out


class GrammarMask(Mask):
    """Every sequence decodes to valid MIDI: token types follow GRAMMAR, drum pitches follow the drum
    program only, and positions move forward inside the bar. Tempo tokens are left out unless allowed
    (composer writes the tempo map from the options)."""

    name = "grammar"

    def __init__(self, tracker: Tracker, allow_tempo: bool = False) -> None:
        super().__init__(tracker)
        follows = {kind: set(after) - (set() if allow_tempo else {"Tempo"}) for kind, after in GRAMMAR.items()}
        self.by_type = {kind: self.tables.of_types(*after) for kind, after in follows.items()}
        self.pitched = self.tables.of_types("Pitch")
        self.drums = self.tables.of_types("PitchDrum")
        self.positions = self.tables.masks["Position"]

    def allowed(self, state: DecodeState) -> torch.Tensor:
        if state.last_type == "Program":
            return self.drums if state.program == DRUMS else self.pitched
        allowed = self.by_type[state.last_type]
        if state.last_type in ("TimeSig", "Duration"):  # the next Position lies later in this bar
            later = (self.tables.position > state.position) & (self.tables.position < state.bar_length)
            allowed = (allowed & ~self.positions) | later
        return allowed


class MeterMask(Mask):
    """The requested time signature in every bar, exactly `bars` bars, then the end; no note lasts past
    the final barline."""

    name = "meter and length"

    def __init__(self, tracker: Tracker, bars: int, meter: tuple[int, int] | None = None) -> None:
        super().__init__(tracker)
        if bars < 1:
            raise UnsatisfiableError(f"a piece needs at least 1 bar, not {bars}")
        self.bars, self.fixed = bars, meter is not None
        self.meter_ids = torch.zeros(self.tables.size, dtype=torch.bool)
        for token, value in self.tables.meter.items():
            self.meter_ids[token] = meter is None or value == meter
        if meter is not None and not bool(self.meter_ids.any()):
            raise UnsatisfiableError(f"the vocabulary has no {meter[0]}/{meter[1]} time signature")
        self.not_bar = torch.ones(self.tables.size, dtype=torch.bool)
        self.not_bar[self.tables.bar_id] = False
        self.not_eos = torch.ones(self.tables.size, dtype=torch.bool)
        self.not_eos[self.tables.eos_id] = False
        self.not_duration = ~self.tables.masks["Duration"]

    def allowed(self, state: DecodeState) -> torch.Tensor | None:
        if state.last_type == "Bar":
            return self.meter_ids
        if state.last_type in ("TimeSig", "Duration", "BOS"):
            return self.not_eos if state.bar < self.bars else self.not_bar
        if state.last_type == "Velocity" and (state.bar == self.bars or self.fixed):
            # every note ends by the final barline (bars after this one are as long as this one when
            # the meter is fixed; with a free meter only the last bar is checked)
            left = state.bar_length * (self.bars - state.bar + 1) - state.position
            return self.not_duration | (self.tables.duration <= left)
        return None


def scale_pitch_classes(tonic: int, mode: str) -> set[int]:
    """The mode's scale (composer.core.theory.MODE_SCALES): minor is natural minor plus the raised 6th and 7th
    (melodic and harmonic minor); dorian, mixolydian and the other modes their own seven notes."""
    if mode not in MODE_SCALES:
        raise UnsatisfiableError(f"unknown mode {mode!r}; known: {', '.join(MODE_SCALES)}")
    return {(tonic + step) % 12 for step in MODE_SCALES[mode]}


def tonic_triad(tonic: int, mode: str) -> set[int]:
    return {tonic % 12, (tonic + (4 if mode_family(mode) == "major" else 3)) % 12, (tonic + 7) % 12}


class KeyMask(Mask):
    """Pitched notes stay in the key's scale, and in the tones of the planned chord (`chords`, `slots` a bar)
    where it borrows from outside the scale. A budget of chromatic notes may fall off the beat. The
    first onset and the whole last bar sound the tonic triad; the last bar's first note is the tonic."""

    name = "key"

    def __init__(self, tracker: Tracker, tonic: int, mode: str, bars: int, chromatic_budget: int = 0,
                 cadence: bool = True, chords: Sequence[AbstractSet[int]] | None = None, slots: int = 1) -> None:
        super().__init__(tracker)
        if mode not in MODE_SCALES:
            raise UnsatisfiableError(f"mode must be one of {', '.join(MODE_SCALES)}, not {mode}")
        self.tonic, self.bars, self.budget, self.cadence = tonic % 12, bars, chromatic_budget, cadence
        self.scale_set = scale_pitch_classes(tonic, mode)
        pitch_class = self.tables.pitch % 12
        is_pitch = self.tables.pitch >= 0
        self.other = ~is_pitch
        self.scale = self.other | (is_pitch & _in(pitch_class, self.scale_set))
        self.triad = self.other | (is_pitch & _in(pitch_class, tonic_triad(tonic, mode)))
        self.tonic_only = self.other | (is_pitch & (pitch_class == self.tonic))
        self.everything = torch.ones(self.tables.size, dtype=torch.bool)
        self.outside = [pc for pc in range(12) if pc not in self.scale_set]
        # a planned chord's tones outside the scale (bVII in major, V/V's raised fourth) join it while it sounds
        self.slots = slots
        self.with_chord = [self.scale | (is_pitch & _in(pitch_class, set(c))) if set(c) - self.scale_set
                           else self.scale for c in chords or ()]

    def allowed(self, state: DecodeState) -> torch.Tensor | None:
        if state.last_type != "Program" or state.program == DRUMS:
            return None
        if state.now == state.first_onset:
            return self.triad
        if self.cadence and state.bar == self.bars:
            first = state.position == 0 and not state.pitches_at_onset
            return self.tonic_only if first else self.triad
        used = sum(state.pitch_class_counts[pc] for pc in self.outside)
        if self.budget > used and state.position % self.tables.beat_resolution != 0:
            return self.everything
        if self.with_chord:
            return self.with_chord[state.slot(self.slots) % len(self.with_chord)]
        return self.scale


def _in(values: torch.Tensor, members: set[int]) -> torch.Tensor:
    return torch.isin(values, torch.tensor(sorted(members)))


def polyphony_cap(program: int) -> int:
    """Most notes at once for a GM program (drums: hits at once)."""
    if program == DRUMS:
        return 4
    if 32 <= program <= 39 or 56 <= program <= 87:  # basses, brass, reeds, pipes, synth leads: one line
        return 1
    if 40 <= program <= 47:  # solo strings, harp: double stops (the harp plays like a piano)
        return 8 if program == 46 else 2
    if 24 <= program <= 31:  # guitars: six strings
        return 6
    if 48 <= program <= 55 or 88 <= program <= 95:  # string sections, choirs, pads: divisi
        return 4
    return 8  # pianos, organs, mallets and the rest


class InstrumentMask(Mask):
    """Only the requested programs (DRUMS for the kit), each pitch within its playable range, drum hits
    on General MIDI drum keys, and at most polyphony_cap(program) notes of a program at once."""

    name = "instruments"

    def __init__(self, tracker: Tracker, programs: list[int], caps: dict[int, int] | None = None,
                 polyphony: bool = True, scale: set[int] | None = None, real: dict[int, int] | None = None) -> None:
        super().__init__(tracker)
        if not programs:
            raise UnsatisfiableError("at least one instrument is needed")
        self.programs = sorted(set(programs))
        real = real or {}  # decode program -> the instrument it is (its range and polyphony hold)
        self.caps = {p: (caps or {}).get(p, polyphony_cap(real.get(p, p))) if polyphony else 10**6
                     for p in self.programs}
        self.program_ids = {p: int(torch.nonzero(self.tables.program == p)[0]) for p in self.programs}
        self.any_program = self.tables.masks["Program"]
        self.requested = ~self.any_program | _in(self.tables.program, set(self.programs))
        is_pitch = self.tables.pitch >= 0
        self.ranges: dict[int, torch.Tensor] = {}
        for program in self.programs:
            if program == DRUMS:
                self.ranges[program] = (self.tables.drum_pitch < 0) | _in(self.tables.drum_pitch, set(GM_DRUM_PITCHES))
                continue
            low, high = playable_range(real.get(program, program))
            if scale is not None and not any(p % 12 in scale for p in range(low, high + 1)):
                raise UnsatisfiableError(f"program {program} plays {low}-{high}, which holds no note of the scale")
            self.ranges[program] = ~is_pitch | ((self.tables.pitch >= low) & (self.tables.pitch <= high))
        self.positions = self.tables.masks["Position"]

    def allowed(self, state: DecodeState) -> torch.Tensor | None:
        if state.last_type == "Program":
            if state.program not in self.ranges:
                return None  # cannot happen: the Program token itself was masked
            return self.ranges[state.program]
        if state.last_type not in ONSET_PHASES and state.last_type != "TimeSig":
            return None
        allowed = self.requested
        melodic = [p for p in state.sounding if p != DRUMS]
        if len(melodic) >= MELODIC_CHANNELS:  # a MIDI file holds no more melodic programs than channels
            allowed = allowed & (~self.any_program | _in(self.tables.program, {*melodic, DRUMS}))
        full = [p for p in self.programs if state.voices(p) >= self.caps[p]]
        if full:
            allowed = allowed.clone()
            for program in full:
                allowed[self.program_ids[program]] = False
        if state.last_type in ("Duration", "TimeSig"):  # a new Position only where some voice is free
            free = min(state.free_from(p, self.caps[p]) for p in self.programs) - state.bar_start
            if free > max(state.position, -1) + 1:
                allowed = allowed & (~self.positions | (self.tables.position >= free))
        return allowed


class EntryMask(Mask):
    """Every requested pitched part enters on the piece's first onset: the onset takes no Position, Bar or end
    while one of them has not struck. The model continues the texture it hears (given two parts at the start
    it keeps both), but left to choose at the first note it mostly writes a solo and never brings the others
    in. Only for a piece begun from nothing: a continuation's or infill's first onset lies in its context."""

    name = "entry"
    steps_aside = True  # where the other masks leave only a move on (every program at its polyphony cap)

    def __init__(self, tracker: Tracker, programs: Sequence[int]) -> None:
        super().__init__(tracker)
        self.programs = sorted({p for p in programs if p != DRUMS})
        self.programs_only = self.tables.masks["Program"]

    def allowed(self, state: DecodeState) -> torch.Tensor | None:
        if state.last_type != "Duration" or state.first_onset < 0 or state.now != state.first_onset:
            return None
        if all(p in state.notes_at_onset for p in self.programs):
            return None
        return self.programs_only


class RestrikeMask(Mask):
    """No pitch struck again on its program while it still sounds (a player, and a MIDI channel, would merge
    the two notes). Last of the hard masks, and it steps aside where the others leave only held pitches."""

    name = "restrike"
    steps_aside = True

    def allowed(self, state: DecodeState) -> torch.Tensor | None:
        if state.last_type != "Program" or state.program == DRUMS:
            return None
        held = state.pitches(state.program)
        return ~_in(self.tables.pitch, set(held)) if held else None
