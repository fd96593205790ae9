"""The one in-memory music type: a validated, multi-track score on a 480-ticks-per-beat grid."""

from __future__ import annotations

import bisect
import dataclasses
from dataclasses import dataclass, field

from composer.core.limits import MAX_BARS, MAX_BPM, MIN_BPM, LimitError
from composer.core.theory import Mode, sharps_for_key, signature_key, tonic_for_sharps

TICKS_PER_BEAT = 480  # every Score uses this resolution; readers rescale other files to it


@dataclass(frozen=True, slots=True)
class Note:
    """One note: MIDI pitch, onset and release in ticks (end > start), and velocity 1-127."""

    pitch: int
    start: int
    end: int
    velocity: int = 80

    def __post_init__(self) -> None:
        if not 0 <= self.pitch <= 127:
            raise ValueError(f"pitch must be 0-127, not {self.pitch}")
        if not 1 <= self.velocity <= 127:
            raise ValueError(f"velocity must be 1-127, not {self.velocity}")
        if self.start < 0 or self.end <= self.start:
            raise ValueError(f"a note needs 0 <= start < end, not start={self.start} end={self.end}")

    @property
    def duration(self) -> int:
        return self.end - self.start

    def shifted(self, ticks: int) -> Note:
        """The same note `ticks` later (earlier when negative)."""
        return dataclasses.replace(self, start=self.start + ticks, end=self.end + ticks)


@dataclass(frozen=True, slots=True)
class ControlChange:
    """A MIDI controller value (sustain pedal is number 64) at a tick."""

    tick: int
    number: int
    value: int

    def __post_init__(self) -> None:
        if self.tick < 0 or not 0 <= self.number <= 127 or not 0 <= self.value <= 127:
            raise ValueError(f"bad control change {self}")


@dataclass(frozen=True, slots=True)
class PitchBend:
    """A pitch-bend value, -8192..8191, at a tick."""

    tick: int
    value: int

    def __post_init__(self) -> None:
        if self.tick < 0 or not -8192 <= self.value <= 8191:
            raise ValueError(f"bad pitch bend {self}")


@dataclass(frozen=True, slots=True)
class TempoChange:
    """A tempo in quarter-note beats per minute from a tick on."""

    tick: int
    bpm: float

    def __post_init__(self) -> None:
        if self.tick < 0 or not MIN_BPM <= self.bpm <= MAX_BPM:
            raise ValueError(f"tempo must be {MIN_BPM:g}-{MAX_BPM:g} bpm at tick >= 0, not {self.bpm} at {self.tick}")


@dataclass(frozen=True, slots=True)
class TimeSignature:
    """A meter such as 6/8 from a tick on."""

    tick: int
    numerator: int
    denominator: int

    def __post_init__(self) -> None:
        if self.tick < 0 or self.numerator < 1 or self.denominator not in (1, 2, 4, 8, 16, 32, 64):
            raise ValueError(f"bad time signature {self.numerator}/{self.denominator} at {self.tick}")

    @property
    def bar_ticks(self) -> int:
        """Length of one bar in ticks."""
        return self.numerator * TICKS_PER_BEAT * 4 // self.denominator

    def __str__(self) -> str:
        return f"{self.numerator}/{self.denominator}"


@dataclass(frozen=True, slots=True)
class KeySignature:
    """A key such as Eb major from a tick on; `tonic` is spelled as on a staff."""

    tick: int
    tonic: str
    mode: Mode

    def __post_init__(self) -> None:
        if self.tick < 0 or self.mode not in ("major", "minor"):
            raise ValueError(f"bad key signature {self.tonic} {self.mode} at {self.tick}")
        sharps_for_key(self.tonic, self.mode)  # raises on a tonic that is not a note name

    @property
    def sharps(self) -> int:
        """Sharps (positive) or flats (negative) in the signature."""
        return sharps_for_key(self.tonic, self.mode)

    @property
    def name(self) -> str:
        return f"{self.tonic} {self.mode}"

    @classmethod
    def from_sharps(cls, tick: int, sharps: int, mode: Mode) -> KeySignature:
        return cls(tick, tonic_for_sharps(sharps, mode), mode)

    @classmethod
    def of_key(cls, tick: int, tonic: str, mode: str) -> KeySignature:
        """The signature a key writes, modes included: D dorian writes A minor's (no sharps)."""
        return cls(tick, *signature_key(tonic, mode))


@dataclass(frozen=True, slots=True)
class Marker:
    """A named point in time: a section start, a loop point, a cue."""

    tick: int
    text: str

    def __post_init__(self) -> None:
        if self.tick < 0:
            raise ValueError(f"marker tick must be >= 0, not {self.tick}")


@dataclass(slots=True)
class Track:
    """One part: a named instrument (GM program, or drums) with its notes and controllers."""

    name: str
    program: int = 0
    is_drum: bool = False
    notes: list[Note] = field(default_factory=list)
    controls: list[ControlChange] = field(default_factory=list)
    pitch_bends: list[PitchBend] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not 0 <= self.program <= 127:
            raise ValueError(f"program must be 0-127, not {self.program}")

    @property
    def end_tick(self) -> int:
        return max((n.end for n in self.notes), default=0)


@dataclass(slots=True)
class Score:
    """A multi-track piece: tracks plus the tempo map, meters, keys and markers they share."""

    tracks: list[Track] = field(default_factory=list)
    tempos: list[TempoChange] = field(default_factory=lambda: [TempoChange(0, 120.0)])
    time_signatures: list[TimeSignature] = field(default_factory=lambda: [TimeSignature(0, 4, 4)])
    key_signatures: list[KeySignature] = field(default_factory=list)
    markers: list[Marker] = field(default_factory=list)
    title: str = ""
    length: int | None = None  # ticks, where the piece is meant to last past its last release (N whole bars)

    @property
    def note_count(self) -> int:
        """Notes in all tracks."""
        return sum(len(t.notes) for t in self.tracks)

    @property
    def end_tick(self) -> int:
        """The release of the last note."""
        return max((t.end_tick for t in self.tracks), default=0)

    @property
    def length_ticks(self) -> int:
        """The piece's length: `length` when set, else the release of the last note."""
        return max(self.length or 0, self.end_tick)

    def copy(self) -> Score:
        """A copy whose lists can be changed without touching this score (notes are immutable)."""
        return dataclasses.replace(
            self,
            tracks=[dataclasses.replace(t, notes=list(t.notes), controls=list(t.controls),
                                        pitch_bends=list(t.pitch_bends)) for t in self.tracks],
            tempos=list(self.tempos),
            time_signatures=list(self.time_signatures),
            key_signatures=list(self.key_signatures),
            markers=list(self.markers),
        )

    def seconds_at(self, tick: int) -> float:
        """Time in seconds of `tick`, following the tempo map."""
        return TempoMap(self.tempos).seconds_at(tick)

    @property
    def duration_seconds(self) -> float:
        """Seconds from the start to the end of the last note or the score's length, through its tempo map."""
        return self.seconds_at(self.end_tick)

    def bar_count(self, until_tick: int | None = None) -> int:
        """How many bars bar_starts(until_tick) lists, counted per meter without walking the bars."""
        end = self.end_tick if until_tick is None else until_tick
        meters = sorted(self.time_signatures, key=lambda ts: ts.tick) or [TimeSignature(0, 4, 4)]
        tick, index, count = 0, 0, 0
        while True:
            while index + 1 < len(meters) and meters[index + 1].tick <= tick:
                index += 1
            stop = end if index + 1 == len(meters) else min(end, meters[index + 1].tick)
            bars = max(-(-(stop - tick) // meters[index].bar_ticks), 0 if count else 1)
            count, tick = count + bars, tick + bars * meters[index].bar_ticks
            if tick >= end:
                return count

    def bar_starts(self, until_tick: int | None = None) -> list[int]:
        """Ticks where bars begin, following the time-signature changes, up to the score's end.

        Raises LimitError past MAX_BARS bars (and one more: the start of the bar after the end)."""
        end = self.end_tick if until_tick is None else until_tick
        if self.bar_count(end) > MAX_BARS + 1:
            raise LimitError(f"the music spans {self.bar_count(end):,} bars; composer handles at most {MAX_BARS:,}")
        meters = sorted(self.time_signatures, key=lambda ts: ts.tick) or [TimeSignature(0, 4, 4)]
        starts: list[int] = []
        tick, index = 0, 0
        while tick < end or not starts:
            while index + 1 < len(meters) and meters[index + 1].tick <= tick:
                index += 1
            starts.append(tick)
            tick += meters[index].bar_ticks
        return starts


class TempoMap:
    """Tick-to-seconds conversion for a list of tempo changes, O(log n) per query."""

    def __init__(self, tempos: list[TempoChange]) -> None:
        changes = sorted(tempos, key=lambda t: t.tick)
        if not changes or changes[0].tick != 0:
            changes.insert(0, TempoChange(0, changes[0].bpm if changes else 120.0))
        self._ticks = [t.tick for t in changes]
        self._seconds_per_tick = [60.0 / (t.bpm * TICKS_PER_BEAT) for t in changes]
        self._seconds = [0.0]
        for i in range(1, len(changes)):
            span = self._ticks[i] - self._ticks[i - 1]
            self._seconds.append(self._seconds[-1] + span * self._seconds_per_tick[i - 1])

    def seconds_at(self, tick: int) -> float:
        i = bisect.bisect_right(self._ticks, tick) - 1
        return self._seconds[i] + (tick - self._ticks[i]) * self._seconds_per_tick[i]


def one_per_tick(events: list, keep: str = "last") -> list:
    """One event per tick (the first or the last given), in time order: files often repeat meta events."""
    by_tick: dict[int, object] = {}
    for event in events:
        if keep == "last" or event.tick not in by_tick:
            by_tick[event.tick] = event
    return [by_tick[t] for t in sorted(by_tick)]


def untangle_unisons(score: Score) -> Score:
    """The score with no pitch struck again in a track while it still sounds: a note re-struck at the same
    onset merges with it (the longer, louder one), and one re-struck later is released there, as a
    keyboard or a MIDI player would do anyway. Changes the score's tracks in place and returns it."""
    for track in score.tracks:
        by_pitch: dict[int, list[Note]] = {}
        for note in sorted(track.notes, key=lambda n: (n.pitch, n.start, -n.end)):
            run = by_pitch.setdefault(note.pitch, [])
            if run and note.start == run[-1].start:
                run[-1] = dataclasses.replace(run[-1], end=max(run[-1].end, note.end),
                                              velocity=max(run[-1].velocity, note.velocity))
                continue
            if run and note.start < run[-1].end:
                run[-1] = dataclasses.replace(run[-1], end=note.start)
            run.append(note)
        track.notes = sorted((n for run in by_pitch.values() for n in run), key=lambda n: (n.start, n.pitch))
    return score
