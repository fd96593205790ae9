"""Drum parts: grooves by style and meter, with crashes at section starts and fills into them.

The corpus composer learns from (music21's: chorales, folk tunes, madrigals) has no drum kit, so the
model cannot play one; a drum part is arranged from these patterns instead, on the generated piece's grid.
"""

from __future__ import annotations

from dataclasses import dataclass

from composer.core.score import TICKS_PER_BEAT, Note, Track

# General MIDI percussion keys (channel 10)
KICK, SNARE, CLAP, CLOSED_HAT, PEDAL_HAT, OPEN_HAT, CRASH, RIDE, SHAKER = 36, 38, 39, 42, 44, 46, 49, 51, 70
TOMS = (50, 48, 47, 45, 43, 41)  # high to low, for fills

# One bar of 4/4 on a 16-step grid ("x" loud, "o" soft, "." rest), per style and drum.
GROOVES_4_4: dict[str, dict[int, str]] = {
    "rock": {KICK: "x.......x.x.....", SNARE: "....x.......x...", CLOSED_HAT: "x.o.x.o.x.o.x.o."},
    "pop": {KICK: "x.....x.x.......", SNARE: "....x.......x...", CLOSED_HAT: "x.o.x.o.x.o.x.o."},
    "four": {KICK: "x...x...x...x...", CLAP: "....x.......x...", OPEN_HAT: "..o...o...o...o.",
             CLOSED_HAT: "o.o.o.o.o.o.o.o."},
    "funk": {KICK: "x..x..x...x..x..", SNARE: "....x..o.o..x...", CLOSED_HAT: "xoxoxoxoxoxoxoxo"},
    "halftime": {KICK: "x......x..x.....", SNARE: "........x.......", CLOSED_HAT: "x.o.x.o.x.o.x.o."},
    "march": {KICK: "x.......x.......", SNARE: "x..oo.o.x..oo.o."},
    "battle": {KICK: "x..x..x.x..x..x.", SNARE: "....x.......x.xo", TOMS[5]: "..o.....o.o....."},
    "latin": {KICK: "x..x..x.x..x..x.", CLOSED_HAT: "x.x.x.x.x.x.x.x.", SNARE: "o..o...o..o..o.."},
    "swing": {RIDE: "x..x.xx..x.x", PEDAL_HAT: "...x.....x..", KICK: "o.....o....."},  # triplet grid
    "soft": {RIDE: "o...o...o...o...", SHAKER: "o.o.o.o.o.o.o.o."},
}


@dataclass(frozen=True)
class Grid:
    """How a bar divides: beats, steps a beat, and ticks a step."""

    beats: int
    steps_per_beat: int
    step_ticks: int

    @classmethod
    def of(cls, numerator: int, denominator: int, triplets: bool = False) -> Grid:
        beat_ticks = TICKS_PER_BEAT * 4 // denominator
        if denominator == 8 and numerator % 3 == 0 and numerator > 3:  # compound: dotted beats of three 8ths
            return cls(numerator // 3, 3, beat_ticks)
        steps = 3 if triplets else (4 if denominator <= 4 else 1)
        return cls(numerator, steps, beat_ticks // steps)

    @property
    def steps(self) -> int:
        return self.beats * self.steps_per_beat


def bar_pattern(style: str, numerator: int, denominator: int) -> tuple[Grid, dict[int, str]]:
    """The groove's one-bar pattern on the meter's grid: the 4/4 table where it fits, else built from the
    meter's beats (kick on the downbeat, snare on the other strong beats, hats on the subdivisions)."""
    table = GROOVES_4_4.get(style, GROOVES_4_4["rock"])
    if (numerator, denominator) in ((4, 4), (2, 2)):
        grid = Grid.of(4, 4, triplets=style == "swing")
        return grid, table
    grid = Grid.of(numerator, denominator, triplets=style == "swing" and denominator <= 4)
    cymbal = RIDE if style in ("swing", "soft") else CLOSED_HAT
    rows = {KICK: ["."] * grid.steps, SNARE: ["."] * grid.steps, cymbal: ["."] * grid.steps}
    strong = _strong_beats(grid.beats)
    for beat in range(grid.beats):
        first = beat * grid.steps_per_beat
        if beat == 0:
            rows[KICK][first] = "x"
        elif beat in strong:
            rows[SNARE if style != "soft" else KICK][first] = "x"
        elif grid.beats == 3:  # waltz: the second and third beats answer the downbeat
            rows[SNARE][first] = "o"
        for step in range(grid.steps_per_beat):
            if style != "march" and (step % 2 == 0 or style in ("funk", "battle", "four")):
                rows[cymbal][first + step] = "x" if step == 0 else "o"
    return grid, {drum: "".join(row) for drum, row in rows.items()}


def _strong_beats(beats: int) -> set[int]:
    """Secondary strong beats: 2 of 2, 3 of 4, 3 of 5 (3+2), 2 and 4 of 6, 4 of 7 (3+4)..."""
    if beats <= 3:
        return {1} if beats == 2 else set()
    return {b for b in range(2, beats, 2)} if beats % 2 == 0 else {3 if beats >= 5 else 2}


def drum_track(bars: int, meter: tuple[int, int], style: str, velocity: int = 90,
               section_starts: tuple[int, ...] = (0,), start_tick: int = 0) -> Track:
    """A drum part of `bars` bars from `start_tick`: the style's groove each bar, a crash on the first
    beat of each section (bars counted from 0), and a tom fill in the last beat before each new section."""
    numerator, denominator = meter
    grid, pattern = bar_pattern(style, numerator, denominator)
    bar_ticks = TICKS_PER_BEAT * 4 * numerator // denominator
    step_ticks = bar_ticks // grid.steps
    loud, soft = max(1, min(127, velocity)), max(1, min(127, velocity - 30))
    fills = {start - 1 for start in section_starts if start > 0} | ({bars - 1} if bars >= 4 else set())
    notes: list[Note] = []
    for bar in range(bars):
        bar_start = start_tick + bar * bar_ticks
        fill_from = grid.steps - grid.steps_per_beat if bar in fills and style != "soft" else grid.steps
        for drum, row in pattern.items():
            for step, hit in enumerate(row[:grid.steps]):
                if hit != "." and step < fill_from:
                    tick = bar_start + step * step_ticks
                    notes.append(Note(drum, tick, tick + step_ticks, loud if hit == "x" else soft))
        for index, step in enumerate(range(fill_from, grid.steps)):  # the fill: toms falling, snare last
            drum = TOMS[min(index * len(TOMS) // grid.steps_per_beat, len(TOMS) - 1)]
            tick = bar_start + step * step_ticks
            notes.append(Note(drum, tick, tick + step_ticks, loud))
        if bar in section_starts:
            notes.append(Note(CRASH, bar_start, bar_start + grid.steps_per_beat * step_ticks, loud))
    notes.sort(key=lambda n: (n.start, n.pitch))
    return Track("Drums", 0, is_drum=True, notes=notes)
