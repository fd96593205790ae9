"""The style's texture on the logits as biases: each role's figure (held pad chords, comp chords on the figure,
the bass's chord tones, steps for melodies), while the model picks the notes. The figures as a hard mask:
constraints.voicing; constants and the register filters: constraints.roles."""

from __future__ import annotations

from collections.abc import Sequence
from collections.abc import Set as AbstractSet

import torch

from composer.constraints.biases import Bias
from composer.constraints.roles import (
    BREATH_PULL,
    CHORD_PULL,
    CHORD_ROLES,
    CLASH_COST,
    ENTRY_BEATS,
    ENTRY_PULL,
    ENTRY_ROLES,
    FIGURE_SKIP_COST,
    FINAL_PULL,
    HAND_SPAN,
    HARMONY_PULL,
    HOLD_PULL,
    HOME_PULL,
    LEAP_COST,
    LEGATO,
    LENGTH_PULL,
    LINE_ROLES,
    OFF_FIGURE,
    PAD_PULL,
    PHRASE_BARS,
    REPEAT_COST,
    ROOT_PULL,
    RUN_COST,
    SHORT_PAD,
    SINGLE_COST,
    SINGLE_ROLES,
    SKIP_COST,
    _total,
)
from composer.constraints.state import DRUMS, DecodeState, Tracker
from composer.core.harmony import chord_root
from composer.core.textures import Figure, figure_for

PartFigure = tuple[tuple[int, ...], int, Figure]  # onsets and length in positions, and the figure


def part_figures(roles: dict[int, str], style: str, meter: tuple[int, int], resolution: int,
                 left_hands: frozenset[int] = frozenset(), sparse: bool = False) -> dict[int, PartFigure]:
    """Each figured part's figure in decoder positions (a keyboard's left hand that carries the bass plays
    the style's "hand" figure; `sparse`: thinned to whole beats, composer.core.textures.thinned)."""
    figures: dict[int, PartFigure] = {}
    for program, role in roles.items():
        figure = figure_for(style, "hand" if program in left_hands and role == "bass" else role, *meter, sparse)
        if figure is not None:
            onsets = tuple(sorted({round(o * resolution) for o in figure.onsets}))
            figures[program] = (onsets, max(1, round(figure.length * resolution)), figure)
    return figures


def next_due(state: DecodeState, program: int, onsets: tuple[int, ...], final: bool, start: int = 0) -> int | None:
    """The next onset (a position in this bar) of `program`'s figure that it has not struck yet, from now
    (or `start`) on; in a closed piece's last bar (`final`) only the downbeat: one chord, held to the end."""
    played = state.last_onset.get(program, -1)
    for onset in onsets[:1] if final else onsets:
        if state.bar_start + onset > played and onset >= max(state.position, start, 0) and onset < state.bar_length:
            return onset
    return None


class TextureBias(Bias):
    """Each role's texture, while the model picks the notes.

    bass, comp, pad and arp play their style's figure (composer.core.textures): the part is due at each of
    the figure's onsets (its Program pulled in there, the next onset not placed past it, an onset off the
    figure costs OFF_FIGURE), each note near the figure's length, comp and pad chords built up to the
    figure's size. The bass plays the figure's chord tones (roots on the downbeat, fifths, a walking line's
    approach into the next bar's root); an arpeggio moves through the bar's chord. melody and counter:
    stepwise motion preferred (a cost for each semitone of a leap beyond a whole tone), and the melody comes
    back in after two silent beats. `chords` are the pitch classes of each bar's chord (cycling)."""

    name = "texture"

    def __init__(self, tracker: Tracker, roles: dict[int, str], chords: Sequence[AbstractSet[int]] | None,
                 strength: float = 1.0, loop_bars: int | None = None, style: str = "pop",
                 meter: tuple[int, int] = (4, 4), final_bar: int | None = None,
                 left_hands: frozenset[int] = frozenset(), slots: int = 1, sparse: bool = False) -> None:
        super().__init__(tracker, strength)
        self.slots = slots
        self.final_bar = final_bar  # a closed piece's last bar: its bass (or lowest chord note) on the root
        self.loop_bars = loop_bars  # a loop's last half bar: its way home (the loop bias) leads the lines
        t = self.tables
        self.roles = {p: r for p, r in roles.items() if p != DRUMS}
        self.chords = chords or []
        self.bassless = "bass" not in self.roles.values()  # the harmony's parts then sound its roots
        self.pitch = t.pitch
        self.is_pitch = t.pitch >= 0
        self.is_duration = t.duration >= 0
        self.program_ids = {p: int(torch.nonzero(t.program == p)[0]) for p in self.roles}
        self.is_position = t.masks["Position"]
        self.is_bar = t.masks["Bar"]
        self.is_eos = t.masks.get("EOS", torch.zeros(t.size, dtype=torch.bool))
        self.figures = part_figures(self.roles, style, meter, t.beat_resolution, left_hands, sparse)

    def _chord(self, state: DecodeState, ahead: int = 0) -> AbstractSet[int]:
        """The chord now (`ahead`: that many slots later)."""
        if not self.chords or state.bar < 1:
            return set()
        return self.chords[state.slot(self.slots, ahead) % len(self.chords)]

    def _due(self, state: DecodeState, program: int, role: str) -> int | None:
        """When a part is due next (an absolute time in this bar, None when none is): a figured part at its
        figure's next onset it has not played; a melody that has stopped sounding on the first ENTRY_BEATS
        step after it falls silent."""
        if program in self.figures:
            onset = next_due(state, program, self.figures[program][0], state.bar == self.final_bar)
            return None if onset is None else state.bar_start + onset
        if state.voices(program):
            return None
        step = max(1, round(ENTRY_BEATS[role] * self.tables.beat_resolution))
        free = max(state.heard_until.get(program, state.bar_start), state.bar_start) - state.bar_start
        due = -(-free // step) * step
        return state.bar_start + due if due < state.bar_length else None

    def _single_lines(self, state: DecodeState) -> torch.Tensor | None:
        """In an ensemble, a single line (bass, melody, counter, arpeggio) that has a note at this onset gets
        no second one; a lone part keeps its chords."""
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
        """The accompaniment's rhythm: a part that is due comes in now (its Program), a figured part off its
        figure is held back, and the next onset is not placed past a due entry (nor the bar ended before it)."""
        bias, now, any_due = torch.zeros(self.tables.size), state.now, False
        choosing_position = state.last_type in ("TimeSig", "Duration")
        for program, role in self.roles.items():
            if role not in ENTRY_ROLES and program not in self.figures:
                continue
            due = self._due(state, program, role)
            if due is not None and due <= now and state.position >= 0:
                if not state.notes_at_onset.get(program, 0):
                    bias[self.program_ids[program]] += ENTRY_PULL
            elif program in self.figures and state.position >= 0 and not state.notes_at_onset.get(program, 0):
                bias[self.program_ids[program]] -= OFF_FIGURE
            waiting = due is not None and (due > now or not state.notes_at_onset.get(program, 0))
            if choosing_position and waiting:
                assert due is not None
                any_due = True
                cost = FIGURE_SKIP_COST if program in self.figures else SKIP_COST
                skips = self.is_position & (self.tables.position > due - state.bar_start)
                bias = bias - cost * (skips | self.is_bar | self.is_eos).float()
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
        chord = self._chord(state)
        if role in LINE_ROLES and homeward and chord:  # a loop's way home: through its last chord (V7)
            bias = torch.where(self.is_pitch & torch.isin(pitch % 12, torch.tensor(sorted(chord))), HOME_PULL, 0.0)
        elif role in LINE_ROLES and state.program in state.last_pitch and not homeward:
            bias = self._steps(state)
        elif role == "bass" and chord:
            bias = self._bass_pitch(state, chord)
        elif role == "arp" and chord:
            tones = torch.tensor(sorted(chord))
            bias = torch.where(self.is_pitch & torch.isin(pitch % 12, tones), 2.0, 0.0)
            if state.program in state.last_pitch:
                bias = bias - 2.0 * (self.is_pitch & (pitch == state.last_pitch[state.program])).float()
        elif role in CHORD_ROLES and chord and self.bassless and (state.position == 0 or state.bar == self.final_bar) \
                and not state.notes_at_onset.get(state.program):  # no bass part: the chord's lowest note
            pull = FINAL_PULL if state.bar == self.final_bar else ROOT_PULL
            bias = torch.where(self.is_pitch & (pitch % 12 == chord_root(chord)), pull, 0.0)
        elif role in CHORD_ROLES and state.pitches_at_onset:
            taken = torch.tensor(sorted({p % 12 for p in state.pitches_at_onset}))
            bias = torch.where(self.is_pitch & torch.isin(pitch % 12, taken), -1.5, 0.0)  # spread the chord
            held = torch.tensor(state.pitches(state.program), dtype=torch.long)  # a unison on one instrument
            bias = bias - SINGLE_COST * (self.is_pitch & torch.isin(pitch, held)).float()  # is one note
            if chord:  # a chord part sounds the harmony: its added notes are the bar's chord tones
                tones = torch.isin(pitch % 12, torch.tensor(sorted(chord)))
                bias = bias + HARMONY_PULL * (self.is_pitch & tones).float()
            own = state.pitches(state.program)
            if own:  # a voicing within a hand's reach
                span = (pitch > min(own) + HAND_SPAN) | (pitch < max(own) - HAND_SPAN)
                bias = bias - SINGLE_COST * (self.is_pitch & span).float()
            lowest = min(state.pitches(state.program), default=None)
            if chord and self.bassless and (state.position == 0 or state.bar == self.final_bar) and lowest is not None \
                    and lowest % 12 == chord_root(chord):  # the root stays the chord's lowest note
                pull = FINAL_PULL if state.bar == self.final_bar else ROOT_PULL
                bias = bias - pull * (self.is_pitch & (pitch < lowest)).float()
        return bias - self._clashes(state, role)

    def _clashes(self, state: DecodeState, role: str) -> torch.Tensor:
        """A cost for a pitch a semitone (or a major seventh) from a note sounding now in any part: CLASH_COST,
        half of it for a line off the beat (a passing note). A planned major seventh pays it too: tried without,
        the jazz and lo-fi pieces' clash rate rose past the floor (10% against 8%)."""
        sounding = {p % 12 for program in self.roles for p in state.pitches(program)}
        if not sounding:
            return torch.zeros(self.tables.size)
        near = torch.tensor(sorted({(pc + d) % 12 for pc in sounding for d in (-1, 1)} - sounding))
        on_beat = state.position % self.tables.beat_resolution == 0
        cost = CLASH_COST / 2 if role in LINE_ROLES and not on_beat else CLASH_COST
        return torch.where(self.is_pitch & torch.isin(self.pitch % 12, near), cost, 0.0)

    def _steps(self, state: DecodeState) -> torch.Tensor:
        """A line's pull to steps: minus LEAP_COST for each semitone of a leap beyond a whole tone, and
        REPEAT_COST for the same pitch again, RUN_COST more for each time in a row it already came again (a line
        that moves, not one that sits on a note for bars)."""
        leap = (self.pitch - state.last_pitch[state.program]).abs()
        run = state.repeats.get(state.program, 0)
        cost = (leap - 2).clamp(min=0).float() * LEAP_COST + (leap == 0).float() * (REPEAT_COST + RUN_COST * run)
        if run:  # a repeated note is left by step (a neighbour), as it sets up a move, not by a leap
            cost = cost - ((leap >= 1) & (leap <= 2)).float() * RUN_COST
        return torch.where(self.is_pitch, -cost, 0.0)

    def _bass_pitch(self, state: DecodeState, chord: AbstractSet[int]) -> torch.Tensor:
        """The bass figure's chord tones at this onset (see composer.core.textures)."""
        pitch, root = self.pitch, chord_root(chord)
        fifth = (root + 7) % 12
        figure = self.figures[state.program][2].bass if state.program in self.figures else "root"
        onsets = self.figures[state.program][0] if state.program in self.figures else (0,)
        index = onsets.index(state.position) if state.position in onsets else -1
        if state.bar == self.final_bar:  # a closed piece's last bar: the bass stays on the root
            return torch.where(self.is_pitch & (pitch % 12 == root), FINAL_PULL, 0.0)
        weights = {root: ROOT_PULL, fifth: 1.0}
        if figure == "root-fifth" and index > 0:
            weights = {fifth: 2.0, root: 1.0}
        elif figure == "line":  # a line from root to root: the root on the downbeat, steps between
            weights = {root: ROOT_PULL} if state.position == 0 else {}
        elif figure == "walk" and index == len(onsets) - 1 and self._chord(state, 1):
            target = chord_root(self._chord(state, 1))  # an approach note: a step into the next bar's root
            weights = {(target + d) % 12: 2.0 for d in (-2, -1, 1, 2)}
        elif figure == "walk" and index > 0:
            weights = {pc: 1.0 for pc in chord}
        elif figure == "broken" and index > 0:  # the chord's other tones in turn
            weights = {pc: 2.0 for pc in chord if pc != state.last_pitch.get(state.program, -1) % 12}
        bias = torch.zeros(self.tables.size)
        for pc, weight in weights.items():
            bias = bias + torch.where(self.is_pitch & (pitch % 12 == pc), weight, 0.0)
        if state.program in state.last_pitch and figure in ("line", "walk"):
            bias = bias + self._steps(state) * (0.5 if figure == "walk" else 1.0)
        if figure == "octave" and index % 2 == 1 and state.program in state.last_pitch:
            bias = bias + torch.where(self.is_pitch & ((pitch - state.last_pitch[state.program]).abs() == 12), 1.5, 0.0)
        return bias

    def _duration_bias(self, state: DecodeState, role: str) -> torch.Tensor | None:
        beat = self.tables.beat_resolution
        length = self.tables.duration.float()
        target = self.figures[state.program][1] if state.program in self.figures else beat
        if state.program in self.figures and state.bar == self.final_bar:  # held to the piece's end
            rest = state.bar_length - state.position
            return torch.where(self.is_duration, (length >= rest).float() * HOLD_PULL, 0.0)
        if role == "pad":  # held: two beats at the least (nearly a mask), best to the next chord (the bar's end)
            to_bar_end = max(state.bar_length - state.position, 1)
            held = (length == to_bar_end).float() * 4.0 + (length >= target).float() * 2.0 \
                - (length < min(2 * beat, target)).float() * SHORT_PAD
            return torch.where(self.is_duration, held, 0.0)
        if state.program in self.figures:  # near the figure's length: a cost per halving or doubling
            return torch.where(self.is_duration, -(length / target).log2().abs() * LENGTH_PULL, 0.0)
        if role == "melody" and state.bar % PHRASE_BARS == 0 and state.position * 2 >= state.bar_length:
            # a phrase's end breathes: its last note held, two beats or to the barline
            to_bar_end = max(state.bar_length - state.position, 1)
            return torch.where(self.is_duration, (length >= min(2 * beat, to_bar_end)).float() * BREATH_PULL, 0.0)
        if role in LINE_ROLES:  # lines sing: a note shorter than a beat costs its missing share
            return torch.where(self.is_duration, -(beat - length).clamp(min=0) / beat * LEGATO, 0.0)
        return None

    def _chord_building(self, state: DecodeState, role: str) -> torch.Tensor | None:
        if state.program not in self.figures:
            return None
        onsets, _, figure = self.figures[state.program]
        off_figure = state.position not in onsets and role != "pad"  # a pad's every onset is a chord
        played = state.notes_at_onset.get(state.program, 0)
        bias = torch.zeros(self.tables.size)
        if played > figure.notes:  # a full voicing: the figure's notes and one more at the most
            bias[self.program_ids[state.program]] = -SINGLE_COST
            return bias
        if off_figure or played >= figure.notes:
            return None
        bias[self.program_ids[state.program]] = CHORD_PULL * (PAD_PULL if role == "pad" else 1.0)  # the next note
        return bias
