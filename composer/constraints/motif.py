"""Recognisable structure as a bias: a bar the form names as an echo (composer.plan.harmony) repeats the bar it
echoes, and an accompanying part keeps its voicing for a chord heard before. Same protocol as the masks."""

from __future__ import annotations

from collections.abc import Sequence
from collections.abc import Set as AbstractSet

import torch

from composer.constraints.biases import Bias
from composer.constraints.state import DRUMS, DecodeState, Tracker

ECHO_WEIGHT = 7.5  # a bar the form repeats (composer.plan.harmony's echoes) pulls this much harder to its model


class MotifBias(Bias):
    """Recognisable structure: favour onsets where the bar it echoes had them, and each instrument's pitch from
    that bar at the same position (a repeated figure). A bar echoes the bar `period` bars back, or the bar the
    form names (`echoes`, 1-based, from composer.plan.harmony: a consequent phrase's opening, a repeated
    section), which pulls ECHO_WEIGHT times harder. An accompanying part (the programs in `keeps`: bass, comp,
    pad, arpeggio) keeps its voicing instead where no bar is named: its pitches come from the latest earlier bar on
    the same chords (`harmony`, `slots` a bar), as a player's hand goes back to the shape it found for a chord."""

    name = "motif"

    def __init__(self, tracker: Tracker, period: int = 2, strength: float = 1.0,
                 echoes: Sequence[int | None] | None = None, harmony: Sequence[AbstractSet[int]] | None = None,
                 slots: int = 1, keeps: AbstractSet[int] = frozenset(),
                 scale: AbstractSet[int] | None = None) -> None:
        super().__init__(tracker, strength)
        if period < 1:
            raise ValueError(f"a motif period is >= 1 bar, not {period}")
        self.period, self.echoes, self.keeps = period, list(echoes or []), keeps
        self.scale = sorted(scale) if scale else None
        chords = list(harmony or [])
        self.bar_roots = [getattr(chords[i], "root", None) for i in range(0, len(chords) - slots + 1, slots)]
        self.bar_chords = _bar_chords(harmony or [], slots)
        self.same_chords = _same_chords(self.bar_chords)
        self.pitch_ids = {int(p): i for i, p in enumerate(self.tables.pitch.tolist()) if p >= 0}
        self.position_ids = {int(p): i for i, p in enumerate(self.tables.position.tolist()) if p >= 0}
        self.program_ids = {int(p): i for i, p in enumerate(self.tables.program.tolist())
                            if p >= 0 and self.tables.type_names[i] == "Program"}

    def _source(self, bar: int, program: int | None) -> tuple[int, float]:
        """The bar this one echoes and how hard (`program`: the part about to choose a pitch, if any)."""
        named = self._named(bar)
        # an accompanying part echoes a named bar only on its chords (an answer on a substitute chord keeps
        # the tune's figure, while the bass and the chords go to their own shape for the new chord)
        if named is not None and (program not in self.keeps or self._chords(bar) == self._chords(named)):
            return named, ECHO_WEIGHT
        if program in self.keeps and bar in self.same_chords:
            return self.same_chords[bar], ECHO_WEIGHT
        return bar - self.period, 1.0

    def _named(self, bar: int) -> int | None:
        """The earlier bar (1-based) the form names bar `bar` (1-based) an echo of, if any."""
        return self.echoes[bar - 1] if 0 < bar <= len(self.echoes) else None

    def _chords(self, bar: int) -> tuple[frozenset[int], ...] | None:
        return self.bar_chords[(bar - 1) % len(self.bar_chords)] if self.bar_chords else None

    def bias(self, state: DecodeState) -> torch.Tensor | None:
        if state.last_type == "Velocity":
            return self._let_go(state) if state.program != DRUMS and state.program not in self.keeps else None
        if state.last_type == "Program" and state.program != DRUMS:
            return _sum(self._pitches(state), self._lead_in(state))
        source, weight = self._source(state.bar, None)
        if source < 1:
            return None
        if state.last_type == "Position":
            return self._parts(state, source, weight)
        if state.last_type in ("TimeSig", "Duration"):
            later = [self.position_ids[p] for p in state.bar_onsets.get(source, ()) if p > state.position
                     and p in self.position_ids]
            if not later:
                return None
            bias = torch.zeros(self.tables.size)
            bias[min(later, key=lambda i: int(self.tables.position[i]))] = weight  # the next onset of that bar
            return bias
        return None


    def _pitches(self, state: DecodeState) -> torch.Tensor | None:
        """The pitches the part struck at this position in the bar this one echoes (those not struck yet)."""
        source, weight = self._source(state.bar, state.program)
        if source < 1:
            return None
        played = state.archive.get((state.bar, max(state.position, 0), state.program), [])
        there = state.archive.get((source, max(state.position, 0), state.program), [])
        if state.program not in self.keeps and self._named(state.bar) is None:  # the bar `period` back: a sequence
            there = self._sequenced(there, source, state.bar)
        wanted = [p for p in there if p not in played and p in self.pitch_ids]  # a chord's notes not yet struck
        if not wanted:
            return None
        bias = torch.zeros(self.tables.size)
        bias[[self.pitch_ids[p] for p in wanted]] = weight
        return bias

    def _sequenced(self, pitches: Sequence[int], source: int, bar: int) -> list[int]:
        """A line's pitches from bar `source` moved as its chord root moved to `bar`'s, by scale steps (the
        nearer way: I to V three steps down, I to IV three up), so the figure comes back as a
        sequence on the new chord (its chord tones on the new chord's), not on the old notes; as they were on
        the same root, without a key, or where a root or a note is off the scale."""
        if not self.scale or not self.bar_roots:
            return list(pitches)
        old, new = (self.bar_roots[(b - 1) % len(self.bar_roots)] for b in (source, bar))
        if old is None or new is None or old == new or old not in self.scale or new not in self.scale:
            return list(pitches)
        size = len(self.scale)
        steps = (self.scale.index(new) - self.scale.index(old)) % size
        steps = steps - size if steps > size // 2 else steps
        out = []
        for pitch in pitches:
            if pitch % 12 not in self.scale:
                return list(pitches)
            index = self.scale.index(pitch % 12) + steps
            octave, degree = divmod(index, size)
            out.append(pitch - pitch % 12 + 12 * octave + self.scale[degree])
        return out

    def _lead_in(self, state: DecodeState) -> torch.Tensor | None:
        """A line's note in the last beat before a bar the form names as an echo leads into the echo's first
        note by a step (a phrase that starts again is approached, not leapt into): pitches 1-2 semitones
        from it pull by half ECHO_WEIGHT."""
        if state.program in self.keeps or 4 * max(state.position, 0) < 3 * state.bar_length:
            return None
        named = self._named(state.bar + 1)
        if named is None or named > state.bar:
            return None
        onsets = sorted(p for p in state.bar_onsets.get(named, ()) if (named, p, state.program) in state.archive)
        if not onsets:
            return None
        first = state.archive[(named, onsets[0], state.program)][-1]  # the top of a chord, a line's one note
        near = [self.pitch_ids[p] for p in (first - 2, first - 1, first + 1, first + 2) if p in self.pitch_ids]
        if not near:
            return None
        bias = torch.zeros(self.tables.size)
        bias[near] = ECHO_WEIGHT / 2
        return bias

    def _let_go(self, state: DecodeState) -> torch.Tensor | None:
        """A line's note ends in time for its echo's next note: in a bar the form names as an echo, by the
        next onset the line had in the bar it echoes; in the bar before one, by that bar's first onset (a
        phrase end held over the barline swallowed the consequent's first note). Longer notes are pulled
        down by ECHO_WEIGHT."""
        onsets = self._echo_onsets(state, state.bar, state.program)
        later = [p for p in onsets if p > state.position] if onsets is not None else []
        if later:
            end = state.bar_start + min(later)
        else:
            following = self._echo_onsets(state, state.bar + 1, state.program)
            if not following:
                return None
            end = state.bar_start + state.bar_length + min(following)
        too_long = self.tables.masks["Duration"] & (state.now + self.tables.duration > end)
        if not bool(too_long.any()) or bool(too_long[self.tables.masks["Duration"]].all()):
            return None
        return too_long.float() * -ECHO_WEIGHT

    def _echo_onsets(self, state: DecodeState, bar: int, program: int) -> list[int] | None:
        """The positions where `program` struck in the bar `bar` echoes by name (None: not a named echo, or the
        bar it echoes is not written yet)."""
        named = self._named(bar)
        if named is None or named >= bar:
            return None
        return [p for p in state.bar_onsets.get(named, ()) if (named, p, program) in state.archive]

    def _parts(self, state: DecodeState, source: int, weight: float) -> torch.Tensor | None:
        """At an onset of a bar the form names as an echo, the parts that struck at this position in that bar
        come in (those not yet here), and a line that was silent there keeps silent: the echo's parts play
        where they played, not a note more (extra notes made most consequent openings differ from the
        antecedent's). Only named echoes; an accompanying part follows its figure."""
        named = self._named(state.bar)
        if named != source:
            return None
        position = max(state.position, 0)
        bias = torch.zeros(self.tables.size)
        for program in state.bar_parts.get(source, ()):
            if program in self.keeps or program not in self.program_ids:
                continue
            there = (source, position, program) in state.archive
            here = (state.bar, position, program) in state.archive
            if there and not here:
                bias[self.program_ids[program]] = weight
            elif not there:
                bias[self.program_ids[program]] = -weight
        return bias if bool(bias.any()) else None


def _sum(first: torch.Tensor | None, second: torch.Tensor | None) -> torch.Tensor | None:
    """Two biases added (None: none)."""
    if first is None or second is None:
        return second if first is None else first
    return first + second


def _bar_chords(harmony: Sequence[AbstractSet[int]], slots: int) -> list[tuple[frozenset[int], ...]]:
    """Each bar's chords (`slots` a bar) as a comparable tuple."""
    return [tuple(frozenset(c) for c in harmony[i:i + slots]) for i in range(0, len(harmony) - slots + 1, slots)]


def _same_chords(bars: Sequence[tuple[frozenset[int], ...]]) -> dict[int, int]:
    """Bar (1-based) -> the latest earlier bar on the same chords, for bars whose chords came before; the
    harmony cycles over the piece as the chord bias reads it, so only its own length is mapped."""
    latest: dict[tuple[frozenset[int], ...], int] = {}
    found = {}
    for bar, chords in enumerate(bars, 1):
        if chords in latest:
            found[bar] = latest[chords]
        latest[chords] = bar
    return found
