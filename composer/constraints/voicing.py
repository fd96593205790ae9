"""The accompaniment's figures as a hard mask: where and what a comp, bass, pad or arpeggio part strikes (its
figure's onsets, its chord's tones, its chord size), and no onset where no part may strike."""

from __future__ import annotations

from collections.abc import Sequence
from collections.abc import Set as AbstractSet

import torch

from composer.constraints.masks import Mask
from composer.constraints.roles import CHORD_ROLES, SINGLE_ROLES
from composer.constraints.state import DRUMS, DecodeState, Tracker
from composer.constraints.texture import next_due, part_figures


class VoicingMask(Mask):
    """Where and what the accompaniment strikes: a comp, bass or arpeggio part only at its figure's onsets
    (composer.core.textures); at one onset a comp or pad chord its figure's notes and one more at the most,
    a single line of an ensemble one; a comp or pad note a tone of the bar's chord. Another part, a later
    onset or the next bar always stays open, so the mask never leaves nothing."""

    name = "texture"
    steps_aside = True  # another part, a later onset or the next bar stays open: it never leaves nothing

    def __init__(self, tracker: Tracker, roles: dict[int, str], chords: Sequence[AbstractSet[int]] | None = None,
                 style: str = "pop", meter: tuple[int, int] = (4, 4), final_bar: int | None = None,
                 left_hands: frozenset[int] = frozenset(), slots: int = 1, sparse: bool = False) -> None:
        super().__init__(tracker)
        self.slots = slots
        pitched = {p: r for p, r in roles.items() if p != DRUMS}
        self.caps: dict[int, int] = {}
        self.onsets: dict[int, set[int]] = {}  # figured parts: the positions they may strike at
        self.chord_parts = {p for p, r in pitched.items() if r in CHORD_ROLES}
        self.drummed = DRUMS in roles  # a kit the mask does not know may strike anywhere
        self.chords = chords or []
        figures = part_figures(pitched, style, meter, self.tables.beat_resolution, left_hands, sparse)
        self.figured: dict[int, tuple[tuple[int, ...], int]] = {  # program -> (figure onsets, notes at each)
            p: (onsets, min(figure.notes, 3) if pitched[p] in CHORD_ROLES else 1)
            for p, (onsets, _, figure) in figures.items()}
        for program, role in pitched.items():
            if program in figures and role in ("comp", "bass", "arp"):
                self.onsets[program] = set(figures[program][0])
            if role in CHORD_ROLES and program in figures:
                self.caps[program] = figures[program][2].notes + 1
            elif role in SINGLE_ROLES and len(pitched) > 1:
                self.caps[program] = 1
        self.program_ids = {p: int(torch.nonzero(self.tables.program == p)[0]) for p in pitched}
        self.pitch = self.tables.pitch
        self.final_bar = final_bar
        t = self.tables
        eos = t.masks.get("EOS", torch.zeros(t.size, dtype=torch.bool))
        self.moving_on = t.masks["Position"] | t.masks["Bar"] | eos

    def _rhythm(self, state: DecodeState) -> torch.Tensor | None:
        """The figures as a rhythm: the piece does not move on past a figured part's due onset, and an onset
        does not end while a due part has not struck (or its chord has fewer than its notes)."""
        pending, earliest = False, None
        for program, (onsets, notes) in self.figured.items():
            struck = state.notes_at_onset.get(program, 0)
            if state.last_type == "Duration" and state.position in onsets and 0 < struck < notes:
                pending = True  # a chord being built
            # the next onset the part is free to strike (a line still sounding cannot be due under its note)
            due = next_due(state, program, onsets, state.bar == self.final_bar, self._free(state, program))
            if due is None:
                continue
            if state.last_type == "Duration" and due == state.position and not struck:
                pending = True
            elif due > state.position or state.last_type == "TimeSig":
                earliest = due if earliest is None else min(earliest, due)
        if pending:
            return ~self.moving_on
        if earliest is None:
            return None
        later = self.tables.masks["Position"] & (self.tables.position > earliest)
        return ~(later | (self.moving_on & ~self.tables.masks["Position"]))  # nor the bar ended before it

    def _free(self, state: DecodeState, program: int) -> int:
        """The position in this bar from which `program` has a voice free (its cap not reached)."""
        return state.free_from(program, self.caps.get(program, 10**6)) - state.bar_start

    def _playable(self, state: DecodeState) -> torch.Tensor | None:
        """No onset where no part may strike (a figured part off its figure, a single line still sounding):
        the next Position is one where some part is free to play, or the bar moves on. Without it the
        model could pick such a position and the mask had to step aside (a funk clavinet's stray notes
        between its figure's chords). None where a part the mask does not know (the drum kit) may play."""
        if self.drummed:
            return None
        after = max(state.position, -1) + 1 if state.last_type == "Duration" else 0
        free = [0] * (state.bar_length + 1)
        for program in self.program_ids:
            start = max(after, self._free(state, program))
            if program in self.onsets:
                for onset in self.onsets[program]:
                    if start <= onset < state.bar_length:
                        free[onset] = 1
            elif start < state.bar_length:
                free[start:state.bar_length] = [1] * (state.bar_length - start)
        positions = self.tables.position
        playable = torch.tensor(free, dtype=torch.bool)[positions.clamp(0, state.bar_length)] & (positions >= 0) \
            & (positions < state.bar_length)
        return ~self.tables.masks["Position"] | playable

    def allowed(self, state: DecodeState) -> torch.Tensor | None:
        if state.last_type == "Program":
            return self._chord_tones(state)
        if state.last_type == "TimeSig":
            return _both(self._rhythm(state), self._playable(state))
        if state.last_type not in ("Duration", "Position"):
            return None
        rhythm = _both(self._rhythm(state), self._playable(state)) if state.last_type == "Duration" else None
        closed = [p for p, cap in self.caps.items() if state.notes_at_onset.get(p, 0) >= cap]
        closed += [p for p, onsets in self.onsets.items() if state.position not in onsets
                   and not state.notes_at_onset.get(p)]  # off its figure
        if not closed:
            return rhythm
        allowed = torch.ones(self.tables.size, dtype=torch.bool)
        allowed[[self.program_ids[p] for p in set(closed)]] = False
        return allowed if rhythm is None else allowed & rhythm

    def _chord_tones(self, state: DecodeState) -> torch.Tensor | None:
        """A comp or pad note is a tone of the bar's chord (block or broken chords sound the harmony)."""
        if state.program not in self.chord_parts or not self.chords or state.bar < 1:
            return None
        chord = torch.tensor(sorted(self.chords[state.slot(self.slots) % len(self.chords)]))
        return (self.pitch < 0) | torch.isin(self.pitch % 12, chord)


class GuideToneMask(Mask):
    """A block chord on a seventh chord holds its guide tones: where a comp or pad chord (a figure of 3 or more
    notes) has only as many notes left to strike as it lacks of the chord's third and seventh, those are its
    next notes. The bass plays the root, so the seventh is heard, as a jazz pianist's rootless voicing has it
    (a comp chord of root, third and fifth under a V7 sounded a triad). Steps aside where it would leave no
    pitch (the register or the hand's span has no room for them)."""

    name = "guide tones"
    steps_aside = True

    def __init__(self, tracker: Tracker, voicing: VoicingMask) -> None:
        super().__init__(tracker)
        self.voicing = voicing
        self.blocks = {p: notes for p, (_, notes) in voicing.figured.items() if p in voicing.chord_parts and notes >= 3}
        self.guides = [_guide_tones(chord) for chord in voicing.chords]
        self.pitch_class = torch.where(self.tables.pitch >= 0, self.tables.pitch % 12, -1)

    def allowed(self, state: DecodeState) -> torch.Tensor | None:
        if state.last_type != "Program" or state.program not in self.blocks or not self.guides or state.bar < 1:
            return None
        guides = self.guides[state.slot(self.voicing.slots) % len(self.guides)]
        if not guides:
            return None
        struck = state.archive.get((state.bar, max(state.position, 0), state.program), [])
        missing = guides - {p % 12 for p in struck}
        if not missing or self.blocks[state.program] - len(struck) > len(missing):
            return None
        return (self.tables.pitch < 0) | torch.isin(self.pitch_class, torch.tensor(sorted(missing)))


def _guide_tones(chord: AbstractSet[int]) -> frozenset[int]:
    """A seventh chord's third and seventh (pitch classes); empty for a triad or a chord without a root."""
    root = getattr(chord, "root", None)
    if root is None or len(chord) < 4:
        return frozenset()
    third = next(((root + step) % 12 for step in (4, 3) if (root + step) % 12 in chord), None)
    seventh = next(((root + step) % 12 for step in (10, 11, 9) if (root + step) % 12 in chord), None)
    return frozenset({third, seventh}) if third is not None and seventh is not None else frozenset()


def _both(first: torch.Tensor | None, second: torch.Tensor | None) -> torch.Tensor | None:
    """Two allowed-sets' intersection (None: no limit)."""
    if first is None or second is None:
        return second if first is None else first
    return first & second
