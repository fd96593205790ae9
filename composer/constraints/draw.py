"""A picture as a soft target: DrawBias pulls onsets, pitches and durations toward a time x pitch grid.

The grid (DrawGrid) says which pitch sounds in which time cell; composer/plan/drawing.py makes one from an
image. DrawBias is a Bias like the others: it adds finite values (strength x a bias in [-1, 1]) to
scores the hard masks have already filtered, so a masked token (-inf) stays masked and every hard
constraint (key, meter, ranges, bar count, polyphony) still holds.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from composer.constraints.biases import Bias
from composer.constraints.state import DRUMS, DecodeState, Tracker

DRAW_STRENGTH = 6.0  # the default: chosen by benchmarks/draw.py (likeness against musicality; see the README)


@dataclass(frozen=True)
class DrawGrid:
    """Which pitch is lit in which time cell. Row r is pitches[r] (ascending); a time cell is
    1/cells_per_beat of the meter's beat, counted from the start of the piece."""

    cells: np.ndarray  # (time cells, rows) bool
    pitches: tuple[int, ...]  # MIDI pitch of each row, ascending
    cells_per_beat: int  # 4 in x/4: sixteenth notes

    def __post_init__(self) -> None:
        if self.cells.ndim != 2 or self.cells.shape[1] != len(self.pitches):
            raise ValueError(f"cells {self.cells.shape} do not match {len(self.pitches)} pitch rows")
        if list(self.pitches) != sorted(set(self.pitches)) or not all(0 <= p < 128 for p in self.pitches):
            raise ValueError("pitch rows must be distinct MIDI pitches in ascending order")
        if self.cells_per_beat < 1:
            raise ValueError(f"cells_per_beat is >= 1, not {self.cells_per_beat}")

    @property
    def columns(self) -> int:
        return int(self.cells.shape[0])


class DrawBias(Bias):
    """Favour what the grid lights up at the current time, penalise the rest (values in [-1, 1]):

    - onsets (after TimeSig or Duration): the Position of the next cell holding a lit pitch that no
      note sounds yet +1, other unlit positions -1; another note at this onset (Program) +1 while such a
      pitch remains here and the last note hit a lit pitch (a miss means the masks keep the rest off,
      e.g. the tonic triad of the first onset), else -1; Bar/EOS +1 once nothing is left to play in
      this bar, else -1;
    - pitches (after a pitched Program): the lit, not yet sounding pitches of this cell +1, others
      -0.5 to -1 by their distance from the nearest of them (a masked lit pitch yields to its neighbour),
      a pitch already begun at this onset -1;
    - durations (after Velocity): 1 - |log2(duration / the rest of the lit run)|, floored at -1.

    The notes already played are read from the token stream (a private DecodeState), so the bias knows
    which lit cells are covered by a sounding note.
    """

    name = "draw"

    def __init__(self, tracker: Tracker, grid: DrawGrid, strength: float = DRAW_STRENGTH) -> None:
        super().__init__(tracker, strength)
        t = self.tables
        self.grid, self.resolution, self.per_beat = grid, t.beat_resolution, grid.cells_per_beat
        self.lit = torch.from_numpy(np.ascontiguousarray(grid.cells, dtype=bool))  # (T, R)
        rows = torch.tensor(grid.pitches)
        self.row_of = {int(p): r for r, p in enumerate(grid.pitches)}
        # the column where each cell's lit run ends (exclusive), for the duration bias
        run_end = np.full(grid.cells.shape, grid.columns, dtype=np.int64)
        for c in range(grid.columns - 2, -1, -1):
            run_end[c] = np.where(grid.cells[c + 1], run_end[c + 1], c + 1)
        self.run_end = torch.from_numpy(run_end)
        self.is_pitch = t.pitch >= 0
        self.distance = (t.pitch[:, None] - rows[None, :]).abs().float()  # (V, R) semitones
        self.is_duration = t.masks["Duration"]
        self.log_duration = torch.log2(t.duration.clamp(min=1).float())
        self.is_position = t.position >= 0
        self.position_of = t.position
        self.pitched_program = t.masks["Program"] & (t.program >= 0)
        self.ends = t.of_types("Bar", "EOS")
        self.played = DecodeState(t)  # replays the stream to see each note with its duration
        self.row_end = torch.full((len(grid.pitches),), -1, dtype=torch.long)  # when each row's note ends
        self.refused = -1  # the latest onset where a note missed the picture (a mask kept it off the lit rows)

    def column(self, time: int) -> int:
        return time * self.per_beat // self.resolution

    def column_start(self, column: torch.Tensor) -> torch.Tensor:
        return -((-column * self.resolution) // self.per_beat)  # ceil(column x resolution / per_beat)

    def __call__(self, input_ids: torch.Tensor, scores: torch.Tensor) -> torch.Tensor:
        self._record(input_ids)
        return super().__call__(input_ids, scores)

    def _record(self, input_ids: torch.Tensor) -> None:
        if len(input_ids) < self.played.consumed:  # a new sequence
            self.played = DecodeState(self.tables)
            self.row_end.fill_(-1)
            self.refused = -1
        for token in input_ids[self.played.consumed:].tolist():
            self.played.update(int(token))
            if self.tables.type_names[token] != "Duration" or self.played.program == DRUMS:
                continue
            now, row = self.played.now, self.row_of.get(self.played.pitch)
            column = self.column(now)
            if row is None or column >= self.grid.columns or not self.lit[column, row] or self.row_end[row] > now:
                self.refused = now
            if row is not None:
                self.row_end[row] = max(int(self.row_end[row]), now + int(self.tables.duration[token]))
        self.played.consumed = len(input_ids)

    def wanted(self, columns: torch.Tensor) -> torch.Tensor:
        """(len(columns), R): lit cells that no note played so far sounds through."""
        starts = self.column_start(columns)
        return self.lit[columns] & (self.row_end[None, :] <= starts[:, None])

    def bias(self, state: DecodeState) -> torch.Tensor | None:
        if state.last_type in ("TimeSig", "Duration"):
            return self._onset_bias(state)
        if state.program == DRUMS or self.column(state.now) >= self.grid.columns:
            return None
        if state.last_type == "Program":
            return self._pitch_bias(state)
        if state.last_type == "Velocity":
            return self._duration_bias(state)
        return None

    def _onset_bias(self, state: DecodeState) -> torch.Tensor | None:
        if state.bar_length <= 0 or self.column(state.bar_start) >= self.grid.columns:
            return None
        # another note here only while lit cells wait and the last one hit one (else the masks refuse them)
        here = state.position >= 0 and state.last_type == "Duration" and self.refused != state.now
        now_column = self.column(state.now)
        wanted_now = here and now_column < self.grid.columns and bool(
            self.wanted(torch.tensor([now_column])).any())
        later = torch.arange(max(state.position + 1, 0), state.bar_length)
        times = state.bar_start + later
        columns = times * self.per_beat // self.resolution
        on_grid = (self.column_start(columns) == times) & (columns < self.grid.columns)
        slots = later[on_grid]
        open_slots = slots[self.wanted(columns[on_grid]).any(dim=1)] if len(slots) else slots
        position_bias = torch.full((state.bar_length,), -1.0)
        if not wanted_now:
            position_bias[open_slots] = -0.5
        if len(open_slots):
            position_bias[open_slots[0]] = -0.75 if wanted_now else 1.0
        bias = torch.zeros(self.tables.size)
        in_bar = self.is_position & (self.position_of < state.bar_length)
        bias[in_bar] = position_bias[self.position_of[in_bar]]
        bias[self.pitched_program] = 1.0 if wanted_now else -1.0
        bias[self.ends] = 1.0 if not wanted_now and not len(open_slots) else -1.0
        return bias

    def _pitch_bias(self, state: DecodeState) -> torch.Tensor | None:
        rows = self.wanted(torch.tensor([self.column(state.now)]))[0]
        if not bool(rows.any()):
            return None  # the picture has nothing left to play here: the music decides
        nearest = self.distance[:, rows].min(dim=1).values
        bias = torch.where(nearest == 0, 1.0, -(0.5 + 0.5 * nearest.clamp(max=12.0) / 12.0))
        if state.pitches_at_onset:  # never the same pitch twice at one onset
            bias = torch.where(torch.isin(self.tables.pitch, torch.tensor(state.pitches_at_onset)), -1.0, bias)
        return torch.where(self.is_pitch, bias, 0.0)

    def _duration_bias(self, state: DecodeState) -> torch.Tensor | None:
        column = self.column(state.now)
        row = self.row_of.get(state.pitch)
        if row is not None and bool(self.lit[column, row]):
            end = self.column_start(self.run_end[column, row])
        else:  # an unlit pitch: as short as one cell
            end = self.column_start(torch.tensor(column + 1))
        remaining = max(int(end) - state.now, 1)
        error = (self.log_duration - float(np.log2(remaining))).abs().clamp(max=2.0)
        return torch.where(self.is_duration, 1.0 - error, 0.0)
