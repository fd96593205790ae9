"""Parts that are given while another is written (add-part, infill of a track): their notes are forced into
the time-major stream at their own positions, so at every onset the new part is chosen knowing what the
others play there and have played, exactly as in training.

    given = GivenParts(tracker, given_ids, first_bar)   # given_ids: tokenizer.encode of the given parts

At each bar's positions the given notes come first (forced through `structure`, no filter asked), then the
model may add its own notes at that position or move on; it may not move past the next given onset, nor end
the bar while given notes remain in it (the mask in `__call__`, after every other filter). The decode state
sees every forced note, so the masks (polyphony, order, clashes) judge the new part against the given ones.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import torch

from composer.constraints.masks import NEG_INF
from composer.constraints.state import Tracker

NOTE_TYPES = ("Program", "Pitch", "PitchDrum", "Velocity", "Duration")


@dataclass
class _Bar:
    groups: list[tuple[int, list[int]]] = field(default_factory=list)  # (position, note tokens) in time order


def given_bars(tokens: Sequence[str], ids: Sequence[int]) -> list[_Bar]:
    """The given stream cut into bars of (position, its Program/Pitch/Velocity/Duration ids); tempo, meter
    and chord tokens are left to the new stream."""
    bars: list[_Bar] = []
    for token, token_id in zip(tokens, ids, strict=True):
        kind = token.split("_", 1)[0]
        if kind == "Bar":
            bars.append(_Bar())
        elif kind == "Position" and bars:
            bars[-1].groups.append((int(token.split("_")[1]), []))
        elif kind in NOTE_TYPES and bars and bars[-1].groups:
            bars[-1].groups[-1][1].append(token_id)
    for bar in bars:
        bar.groups = [g for g in bar.groups if g[1]]
    return bars


class GivenParts:
    """Forces the given parts' notes (`bars`, from given_bars) into the stream's bars first_bar, first_bar + 1,
    ... (counted from 1 over the whole sequence, the prompt's context bars included)."""

    def __init__(self, tracker: Tracker, bars: list[_Bar], first_bar: int) -> None:
        self.tracker, self.tables = tracker, tracker.tables
        self.bars, self.first_bar = bars, first_bar
        self.consumed = 0
        self.bars_seen = 0  # Bar tokens so far, the prompt's included
        self.bar = -1  # index into self.bars of the bar being written
        self.next_group = 0  # the bar's first given group not yet written
        self.forcing: list[int] = []  # the given tokens still to write at this position
        self.position_ids = self.tables.masks["Position"]
        self.ends = torch.zeros(self.tables.size, dtype=torch.bool)
        self.ends[[self.tables.bar_id, self.tables.eos_id]] = True
        self.one_hot = torch.eye(self.tables.size, dtype=torch.bool)

    def _follow(self, ids: torch.Tensor) -> None:
        """Read the tokens written since the last call: bars, positions and forced tokens."""
        if len(ids) < self.consumed:
            self.consumed, self.bars_seen, self.bar, self.next_group, self.forcing = 0, 0, -1, 0, []
        for token in ids[self.consumed:].tolist():
            kind = self.tables.type_names[token]
            if self.forcing and token == self.forcing[0]:
                self.forcing.pop(0)
            elif kind == "Bar":
                self.bars_seen += 1
                self.bar = self.bars_seen - self.first_bar
                self.next_group, self.forcing = 0, []
            elif kind == "Position":
                groups = self._groups()
                if self.next_group < len(groups) and groups[self.next_group][0] == int(self.tables.position[token]):
                    self.forcing = list(groups[self.next_group][1])
                    self.next_group += 1
        self.consumed = len(ids)

    def _groups(self) -> list[tuple[int, list[int]]]:
        return self.bars[self.bar].groups if 0 <= self.bar < len(self.bars) else []

    def structure(self, ids: torch.Tensor) -> torch.Tensor | None:
        """The next given token, while a given position's notes are being written."""
        self._follow(ids)
        return self.one_hot[self.forcing[0]] if self.forcing else None

    def __call__(self, ids: torch.Tensor, scores: torch.Tensor) -> torch.Tensor:
        """The model's own steps: no Position past the next given onset, no bar end before it. It runs after
        the other filters; where they leave the new part nothing before that onset (its voices still
        sounding), the stream moves to the onset itself, which is always open (the given part plays there)."""
        self._follow(ids)
        groups = self._groups()
        if self.next_group >= len(groups):
            return scores
        upcoming = groups[self.next_group][0]
        blocked = self.ends | (self.position_ids & (self.tables.position > upcoming))
        out = scores.masked_fill(blocked, NEG_INF)
        if bool(torch.isfinite(out).any()):
            return out
        onset = torch.full_like(scores, NEG_INF)
        onset[self.position_ids & (self.tables.position == upcoming)] = 0.0
        return onset


class ClosedContext:
    """Music that goes on after whole bars of context (`composer continue`, a form's next section): the first
    new token is the next Bar (forced through `structure`). Without it the model could go on writing the
    context's last onset: a pad's F added to a section's closing tonic chord, a note in the user's last bar."""

    def __init__(self, tracker: Tracker, context_bars: int) -> None:
        self.tracker, self.context_bars = tracker, context_bars
        self.bar_only = tracker.tables.masks["Bar"].clone()

    def structure(self, ids: torch.Tensor) -> torch.Tensor | None:
        state = self.tracker.sync(ids)
        return self.bar_only if self.context_bars > 0 and state.bar <= self.context_bars else None

    def __call__(self, ids: torch.Tensor, scores: torch.Tensor) -> torch.Tensor:
        return scores

