"""The chord tokens of a part-wise vocabulary (composer.decode.parts): each bar's chords, written after its
time signature, from the chord plan, so the plan conditions the notes the model writes.

Chord tokens are structure, not music: the sampling loop asks `structure(ids)` before every step, and where
it answers with a mask, the next token is drawn from the mask alone (the plan's chord, or any chord when
there is no plan), with no other filter asked. The decode state never sees chord tokens.
"""

from __future__ import annotations

from collections.abc import Sequence
from collections.abc import Set as AbstractSet

import torch

from composer.constraints.state import Tracker
from composer.decode.parts import chord_slots, token_of_chord


class ChordTokens:
    """After each TimeSig, chord_slots(numerator) chord tokens: `chords[slot]` (cycling, `slots` a bar) when a
    plan is given, else whichever chords the model writes."""

    def __init__(self, tracker: Tracker, chords: Sequence[AbstractSet[int]] | None, slots: int = 1) -> None:
        self.tracker, self.tables = tracker, tracker.tables
        vocab = tracker.vocab
        self.chord_ids = torch.tensor([i for t, i in vocab.items() if t.startswith("Chord_")], dtype=torch.long)
        self.any_chord = torch.zeros(self.tables.size, dtype=torch.bool)
        self.any_chord[self.chord_ids] = True
        self.is_chord = self.any_chord.tolist()
        self.slots = slots
        self.planned: list[torch.Tensor] = []
        for chord in chords if self.active and chords else ():
            mask = torch.zeros(self.tables.size, dtype=torch.bool)
            mask[vocab[token_of_chord(chord)]] = True
            self.planned.append(mask)

    @property
    def active(self) -> bool:
        """The vocabulary has chord tokens (an older checkpoint's has none)."""
        return bool(self.chord_ids.numel())

    def structure(self, ids: torch.Tensor) -> torch.Tensor | None:
        """The tokens allowed next when the next token is a chord token; None otherwise."""
        if not len(ids) or not self.active:
            return None
        written = 0
        while written < len(ids) and self.is_chord[int(ids[len(ids) - 1 - written])]:
            written += 1
        before = int(ids[len(ids) - 1 - written]) if written < len(ids) else -1
        if before < 0 or self.tables.type_names[before] != "TimeSig":
            return None
        numerator, _ = self.tables.meter[before]
        wanted = chord_slots(numerator)
        if written >= wanted:
            return None
        if not self.planned:
            return self.any_chord
        bar = self.tracker.sync(ids).bar  # the bar the TimeSig began (from 1)
        slot = (bar - 1) * self.slots + min(written * self.slots // wanted, self.slots - 1)
        return self.planned[slot % len(self.planned)]

    def __call__(self, ids: torch.Tensor, scores: torch.Tensor) -> torch.Tensor:
        return scores  # the loop asks `structure` first; at any other step chord tokens are not in the grammar
