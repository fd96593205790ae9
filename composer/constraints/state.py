"""What the constraint filters know about the sequence so far: vocabulary tables and a decode state
that is updated one token at a time (O(polyphony) per token, never a re-decode of the sequence)."""

from __future__ import annotations

from dataclasses import dataclass, field

import torch

from composer.decode.tokens import MusicTokenizer

# The token types of miditok's REMI with programs, and what each is followed by. This table is data:
# the grammar mask is built from it, and tests check it against every sequence in the corpus.
GRAMMAR: dict[str, set[str]] = {
    "BOS": {"Bar"},
    "Bar": {"TimeSig"},
    "TimeSig": {"Position", "Bar", "EOS"},  # Bar or EOS: an empty bar
    "Position": {"Program", "Tempo"},
    "Tempo": {"Program"},
    "Program": {"Pitch", "PitchDrum"},  # PitchDrum after Program_-1 only (see VocabTables.follows)
    "Pitch": {"Velocity"},
    "PitchDrum": {"Velocity"},
    "Velocity": {"Duration"},
    "Duration": {"Position", "Program", "Bar", "EOS"},
    "EOS": set(),
}
DRUMS = -1  # miditok's program number for the drum kit


@dataclass(frozen=True)
class VocabTables:
    """Per-id facts as tensors (-1 where they do not apply), and a boolean mask per token type."""

    size: int
    type_names: tuple[str, ...]
    masks: dict[str, torch.Tensor]  # token type -> (V,) bool
    pitch: torch.Tensor  # Pitch_p -> p
    drum_pitch: torch.Tensor  # PitchDrum_p -> p
    position: torch.Tensor  # Position_k -> k (in 1/beat_resolution of a beat)
    program: torch.Tensor  # Program_p -> p (-1 is drums; -2 where not a program)
    duration: torch.Tensor  # Duration_a.b.r -> length in positions
    velocity: torch.Tensor  # Velocity_v -> v
    meter: dict[int, tuple[int, int]]  # TimeSig id -> (numerator, denominator)
    beat_resolution: int
    bar_id: int
    eos_id: int

    @classmethod
    def of(cls, tokenizer: MusicTokenizer) -> VocabTables:
        size = len(tokenizer)
        names = tuple(tokenizer.token_type(i) for i in range(size))
        values = [tokenizer.tokens[i].split("_", 1)[1] for i in range(size)]
        resolution = tokenizer.settings.beat_resolution

        def table(kind: str, parse, missing: int = -1) -> torch.Tensor:  # type: ignore[no-untyped-def]
            return torch.tensor([parse(v) if n == kind else missing for n, v in zip(names, values, strict=True)])

        def duration(text: str) -> int:
            beats, sub, res = (int(x) for x in text.split("."))
            return max(1, round((beats + sub / res) * resolution))

        masks = {kind: torch.tensor([n == kind for n in names]) for kind in set(names)}
        meter = {i: (int(v.split("/")[0]), int(v.split("/")[1]))
                 for i, (n, v) in enumerate(zip(names, values, strict=True)) if n == "TimeSig"}
        return cls(size=size, type_names=names, masks=masks, pitch=table("Pitch", int),
                   drum_pitch=table("PitchDrum", int), position=table("Position", int),
                   program=table("Program", int, missing=-2), duration=table("Duration", duration),
                   velocity=table("Velocity", int), meter=meter, beat_resolution=resolution,
                   bar_id=tokenizer.token_id("Bar"), eos_id=tokenizer.eos_id)

    def of_types(self, *kinds: str) -> torch.Tensor:
        mask = torch.zeros(self.size, dtype=torch.bool)
        for kind in kinds:
            if kind in self.masks:
                mask |= self.masks[kind]
        return mask


@dataclass
class DecodeState:
    """The musical state after the tokens consumed so far. `sync(ids)` consumes only the new ones.

    Time is counted in positions (1/beat_resolution of the meter's beat) from the start of the piece.
    """

    tables: VocabTables
    consumed: int = 0
    last_type: str = "BOS"
    bar: int = 0  # bars begun so far (the current bar's number, from 1)
    bar_start: int = 0  # absolute time of the current bar's first position
    bar_length: int = 0  # positions in the current bar (from its TimeSig)
    position: int = -1  # current position within the bar (-1: none yet in this bar)
    program: int = -2  # program of the note being written
    pitch: int = -1  # pitch of the note being written
    onsets: int = 0  # notes begun so far
    sounding: dict[int, list[int]] = field(default_factory=dict)  # program -> end times of notes still sounding
    last_pitch: dict[int, int] = field(default_factory=dict)  # program -> its latest pitch
    pitches_at_onset: list[int] = field(default_factory=list)  # pitches begun at the current position
    notes_at_onset: dict[int, int] = field(default_factory=dict)  # program -> its notes begun at this position
    previous_pitch: dict[int, int] = field(default_factory=dict)  # program -> its pitch before this position
    repeats: dict[int, int] = field(default_factory=dict)  # program -> times in a row its latest pitch came again
    onset_pitch: dict[int, int] = field(default_factory=dict)  # program -> pitch begun at this position
    notes_in_bar: int = 0  # onsets in the current bar
    last_onset_bar: dict[int, int] = field(default_factory=dict)  # program -> bar of its latest note
    heard_until: dict[int, int] = field(default_factory=dict)  # program -> when its last-ending note so far ends
    last_onset: dict[int, int] = field(default_factory=dict)  # program -> absolute time of its latest onset
    held: dict[int, list[tuple[int, int]]] = field(default_factory=dict)  # program -> (end, pitch) still sounding
    history: dict[tuple[int, int, int], int] = field(default_factory=dict)  # (bar, position, program) -> pitch
    archive: dict[tuple[int, int, int], list[int]] = field(default_factory=dict)  # every pitch, every bar so far
    bar_onsets: dict[int, set[int]] = field(default_factory=dict)  # bar -> its pitched onset positions
    bar_parts: dict[int, set[int]] = field(default_factory=dict)  # bar -> the pitched programs that struck in it
    first_onset: int = -1  # absolute time of the piece's first note (-1: none yet)
    pitch_class_counts: list[int] = field(default_factory=lambda: [0] * 12)  # pitched notes so far
    pitch_class_time: list[int] = field(default_factory=lambda: [0] * 12)  # their summed durations

    @property
    def now(self) -> int:
        return self.bar_start + max(self.position, 0)

    def slot(self, slots: int, ahead: int = 0) -> int:
        """The harmonic slot now (from 0; `slots` chords a bar, the bar cut evenly), plus `ahead` slots."""
        within = max(self.position, 0) * slots // self.bar_length if self.bar_length else 0
        return (self.bar - 1) * slots + min(within, slots - 1) + ahead

    def sync(self, ids: torch.Tensor) -> None:
        """Consume ids[consumed:] (one new token per decoding step)."""
        for token in ids[self.consumed:].tolist():
            self.update(int(token))
        self.consumed = len(ids)

    def update(self, token: int) -> None:
        t = self.tables
        kind = t.type_names[token]
        if kind not in GRAMMAR:  # BOS, control tokens and padding carry no music
            return
        if kind == "Bar":
            self.bar_start += self.bar_length
            self.bar += 1
            self.position = -1
            self.notes_in_bar = 0
            for key in [k for k in self.history if k[0] < self.bar - 4]:  # keep the last four bars
                del self.history[key]
        elif kind == "TimeSig":
            numerator, _ = t.meter[token]
            self.bar_length = numerator * t.beat_resolution
        elif kind == "Position":
            self.position = int(t.position[token])
            self.pitches_at_onset = []
            self.notes_at_onset = {}
            self.previous_pitch = dict(self.last_pitch)
            self.onset_pitch = {}
            now = self.now
            for program, ends in self.sounding.items():
                self.sounding[program] = [end for end in ends if end > now]
            for program, notes in self.held.items():
                self.held[program] = [note for note in notes if note[0] > now]
        elif kind == "Program":
            self.program = int(t.program[token])
            if self.first_onset < 0:
                self.first_onset = self.now
        elif kind in ("Pitch", "PitchDrum"):
            self.pitch = int(t.pitch[token] if kind == "Pitch" else t.drum_pitch[token])
        elif kind == "Duration":
            end = self.now + int(t.duration[token])
            self.sounding.setdefault(self.program, []).append(end)
            self.heard_until[self.program] = max(end, self.heard_until.get(self.program, 0))
            self.last_onset[self.program] = self.now
            if self.program != DRUMS:
                if not self.notes_at_onset.get(self.program):  # a line's note (a chord's first), against the last
                    again = self.last_pitch.get(self.program) == self.pitch
                    self.repeats[self.program] = self.repeats.get(self.program, 0) + 1 if again else 0
                self.last_pitch[self.program] = self.pitch
                self.held.setdefault(self.program, []).append((end, self.pitch))
                self.pitches_at_onset.append(self.pitch)
                self.notes_at_onset[self.program] = self.notes_at_onset.get(self.program, 0) + 1
                self.pitch_class_counts[self.pitch % 12] += 1
                self.pitch_class_time[self.pitch % 12] += int(t.duration[token])
                self.onset_pitch[self.program] = self.pitch
                self.history[(self.bar, self.position, self.program)] = self.pitch
                self.archive.setdefault((self.bar, self.position, self.program), []).append(self.pitch)
                self.bar_onsets.setdefault(self.bar, set()).add(self.position)
                self.bar_parts.setdefault(self.bar, set()).add(self.program)
            self.onsets += 1
            self.notes_in_bar += 1
            self.last_onset_bar[self.program] = self.bar
        self.last_type = kind

    def silence(self, program: int) -> int:
        """Positions since `program` last sounded (0 while a note of it sounds). A program never heard has
        been silent since just before the start, so it is already silent at the first onset."""
        return max(0, self.now - self.heard_until.get(program, -1))

    def voices(self, program: int) -> int:
        """Notes of `program` sounding at the current position (begun here included)."""
        now = self.now
        return sum(1 for end in self.sounding.get(program, ()) if end > now)

    def pitches(self, program: int) -> list[int]:
        """Pitches of `program` sounding at the current position (begun here included)."""
        now = self.now
        return [pitch for end, pitch in self.held.get(program, ()) if end > now]

    def free_from(self, program: int, cap: int) -> int:
        """The first absolute time at which `program` has fewer than `cap` notes sounding."""
        ends = sorted(self.sounding.get(program, ()))
        if len(ends) < cap:
            return self.now
        return ends[len(ends) - cap]


class Tracker:
    """One DecodeState shared by several filters: whichever filter runs first syncs it."""

    def __init__(self, tokenizer: MusicTokenizer) -> None:
        self.tables = VocabTables.of(tokenizer)
        self.vocab = tokenizer.vocab
        self.state = DecodeState(self.tables)

    def sync(self, ids: torch.Tensor) -> DecodeState:
        if len(ids) < self.state.consumed:  # a new sequence: start over
            self.state = DecodeState(self.tables)
        if len(ids) > self.state.consumed:
            self.state.sync(ids)
        return self.state
