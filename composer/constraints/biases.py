"""Soft constraints: logit biases with a strength (0 turns one off). Same protocol as the masks."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from collections.abc import Set as AbstractSet

import torch

from composer.constraints.state import DRUMS, DecodeState, Tracker
from composer.core.theory import mode_family


class Bias:
    name = "bias"

    def __init__(self, tracker: Tracker, strength: float) -> None:
        if strength < 0:
            raise ValueError(f"a bias strength is >= 0, not {strength}")
        self.tracker, self.tables, self.strength = tracker, tracker.tables, strength

    def bias(self, state: DecodeState) -> torch.Tensor | None:
        raise NotImplementedError

    def __call__(self, input_ids: torch.Tensor, scores: torch.Tensor) -> torch.Tensor:
        state = self.tracker.sync(input_ids)
        if self.strength == 0:
            return scores
        bias = self.bias(state)
        return scores if bias is None else scores + self.strength * bias


class ChordBias(Bias):
    """Notes on the beat favour the tones of the chord now (`slots` chords a bar, cycling); the
    programs in `lines` (melodies, counter-lines) only at the downbeat, so passing tones stay free, except in
    the `cadences` bars (a period's last two), where every part sounds the cadence on the beat."""

    name = "chords"

    def __init__(self, tracker: Tracker, chords: Sequence[AbstractSet[int]], strength: float = 2.0,
                 lines: set[int] | None = None, slots: int = 1, cadences: frozenset[int] = frozenset()) -> None:
        super().__init__(tracker, strength)
        self.lines, self.slots, self.cadences = lines or set(), slots, cadences
        if not chords:
            raise ValueError("no chords given")
        is_pitch = (self.tables.pitch >= 0).float()
        pitch_class = self.tables.pitch % 12
        self.per_chord = [is_pitch * torch.isin(pitch_class, torch.tensor(sorted(c))).float() - is_pitch * 0.5
                          for c in chords]

    def bias(self, state: DecodeState) -> torch.Tensor | None:
        if state.last_type != "Program" or state.program == DRUMS or state.position % self.tables.beat_resolution:
            return None
        if state.program in self.lines and state.position != 0 and state.bar not in self.cadences:
            return None
        return self.per_chord[state.slot(self.slots) % len(self.per_chord)]


class LeapBias(Bias):
    """Voice leading: penalise a leap of more than an octave from the instrument's previous note, and
    parallel fifths or octaves (perfect intervals, compound ones included) against any other
    instrument that moves to a new note at the same onset."""

    name = "voice leading"

    def bias(self, state: DecodeState) -> torch.Tensor | None:
        if state.last_type != "Program" or state.program == DRUMS or state.program not in state.last_pitch:
            return None
        previous = state.previous_pitch.get(state.program, state.last_pitch[state.program])
        pitch = self.tables.pitch
        is_pitch = pitch >= 0
        penalty = (((pitch - previous).abs() > 12) & is_pitch).float()
        for other, now in state.onset_pitch.items():
            before = state.previous_pitch.get(other)
            if other == state.program or before is None or before == now:
                continue
            interval = (previous - before) % 12
            if interval in (0, 7):  # a perfect octave/unison or fifth before: the same one again, by motion
                parallel = ((pitch - now) % 12 == interval) & (pitch != previous) & is_pitch
                penalty = penalty + parallel.float()
        return -penalty


class TargetBias(Bias):
    """Pull pitches toward a register (a centre pitch) and velocities toward a dynamic level."""

    name = "targets"

    def __init__(self, tracker: Tracker, centre_pitch: int | None = None, velocity: int | None = None,
                 strength: float = 1.0) -> None:
        super().__init__(tracker, strength)
        pitch, vel = self.tables.pitch, self.tables.velocity
        self.register = None if centre_pitch is None else \
            torch.where(pitch >= 0, -(pitch - centre_pitch).abs().float() / 12.0, 0.0)
        self.dynamic = None if velocity is None else torch.where(vel >= 0, -(vel - velocity).abs().float() / 16.0, 0.0)

    def bias(self, state: DecodeState) -> torch.Tensor | None:
        if state.last_type == "Program" and state.program != DRUMS:
            return self.register
        if state.last_type in ("Pitch", "PitchDrum"):
            return self.dynamic
        return None


class CoverageBias(Bias):
    """Keep every requested instrument in the texture. A program gets strength x (beats it has been
    silent, at most 4) on its Program token. It is brought in (+100) at the bar's downbeat if it is not
    sounding then, at an onset on a beat once it has been silent for `gap` beats, and at any onset after
    2 x gap. +100, as the model alone may keep it below top-p's nucleus (the trained model keeps to one
    instrument, so a mild bias would never sound). A note still sounding counts as heard, so a held pad
    or a bass's long note is left alone. Such an entry lasts a beat or more (shorter Durations are pushed
    down), so an accompanying part sounds the harmony rather than blips; the leading part (most notes in
    the last four bars) keeps its own rhythm. Holding entries to the bar's end was tried: the whole
    texture stalled in long notes, as the model imitates its context."""

    name = "coverage"

    def __init__(self, tracker: Tracker, programs: list[int], strength: float = 2.0, gap: float = 2.0) -> None:
        super().__init__(tracker, strength)
        if gap <= 0:
            raise ValueError(f"a coverage gap is > 0 beats, not {gap}")
        self.gap = round(gap * self.tables.beat_resolution)
        self.program_ids = {p: int(torch.nonzero(self.tables.program == p)[0]) for p in programs}
        self.is_duration = self.tables.duration >= 0

    def due(self, state: DecodeState, silent: int) -> bool:
        """Whether a part silent for `silent` positions is brought in at the current onset."""
        position = max(state.position, 0)
        return ((position == 0 and silent > 0) or silent >= 2 * self.gap
                or (silent >= self.gap and position % self.tables.beat_resolution == 0))

    def bias(self, state: DecodeState) -> torch.Tensor | None:
        resolution = self.tables.beat_resolution
        if state.last_type == "Velocity":  # the note's Duration; its program's silence is not yet updated
            if state.program not in self.program_ids or not self.due(state, state.silence(state.program)):
                return None
            played = Counter(program for (_, _, program) in state.history)  # the last four bars
            if not played or played.most_common(1)[0][0] == state.program:
                return None  # the leading part (or the piece's first note) keeps the model's own rhythm
            shortfall = (resolution - self.tables.duration).clamp(min=0).float() / resolution
            return torch.where(self.is_duration, -4.0 * shortfall, 0.0)  # an eighth: -2 x strength
        if state.last_type not in ("Position", "Tempo", "Duration"):
            return None
        bias = torch.zeros(self.tables.size)
        for program, token in self.program_ids.items():
            silent = state.silence(program)
            bias[token] = min(silent / resolution, 4.0) + (100.0 / self.strength if self.due(state, silent) else 0.0)
        return bias


class DensityBias(Bias):
    """Pull the number of note onsets per bar toward a target: after a note, favour the Position that
    keeps the bar on schedule; for sparse targets (under 6 a bar) also thin the chords, as another
    note at the same onset adds density too."""

    name = "density"

    def __init__(self, tracker: Tracker, onsets_per_bar: float, strength: float = 1.0) -> None:
        super().__init__(tracker, strength)
        if onsets_per_bar <= 0:
            raise ValueError(f"a density target is > 0 onsets per bar, not {onsets_per_bar}")
        self.target = onsets_per_bar
        self.is_position = self.tables.position >= 0
        self.is_program = self.tables.masks["Program"]
        self.thinning = max(0.0, (6.0 - onsets_per_bar) / 6.0)

    def bias(self, state: DecodeState) -> torch.Tensor | None:
        if state.last_type not in ("TimeSig", "Duration") or state.bar_length <= 0:
            return None
        gap = state.bar_length / self.target  # positions between onsets on schedule
        ideal = max(state.position, 0) + gap if state.position >= 0 else 0
        distance = (self.tables.position.float() - ideal).abs() / max(gap, 1.0)
        bias = torch.where(self.is_position, -distance, 0.0)
        if state.last_type == "Duration" and self.thinning:
            bias = bias - self.thinning * self.is_program.float()
        return bias


DEGREE_SHARE = 1 / 24  # a pitch class whose target share of the time is this or more is a degree of the scale
# Krumhansl & Kessler (1982) probe-tone ratings, tonic first: how well each degree fits the key.
KK_MAJOR = (6.35, 2.23, 3.48, 2.33, 4.38, 4.09, 2.52, 5.19, 2.39, 3.66, 2.29, 2.88)
KK_MINOR = (6.33, 2.68, 3.52, 5.38, 2.60, 3.53, 2.54, 4.75, 3.98, 2.69, 3.34, 3.17)
# Aarden-Essen profiles (music21's default key analysis), tonic first
AE_MAJOR = (17.77, 0.15, 14.93, 0.16, 19.8, 11.36, 0.29, 22.06, 0.15, 8.15, 0.23, 4.95)
AE_MINOR = (18.26, 0.74, 14.05, 16.86, 0.7, 14.44, 0.7, 18.62, 4.57, 1.93, 7.38, 1.76)


class TonalBias(Bias):
    """The key's tonal hierarchy, kept in balance. Every pitched note is weighted by strength x
    log(rating / best rating) of its degree (Krumhansl-Kessler), and degrees that already hold more
    than their share of the piece's sounding time (against the mean of the Krumhansl-Kessler and
    Aarden-Essen profiles, the two key analyses music21 runs) are held back in proportion. Without the
    balance a held pedal on the dominant can take most of the time and key analysis hears the
    dominant's key."""

    name = "tonal"

    def __init__(self, tracker: Tracker, tonic: int, mode: str, strength: float = 1.0, balance: float = 1.5,
                 deficit: float = 0.0) -> None:
        super().__init__(tracker, strength)
        major = mode_family(mode) == "major"  # a mode takes its family's profile (the scale mask does the rest)
        ratings = torch.tensor(KK_MAJOR if major else KK_MINOR)
        aarden = torch.tensor(AE_MAJOR if major else AE_MINOR)
        pitch = self.tables.pitch
        self.is_pitch = pitch >= 0
        self.pitch_class = torch.where(self.is_pitch, pitch % 12, 0)
        self.weights = torch.where(self.is_pitch, torch.log(ratings / ratings.max())[(pitch - tonic) % 12], 0.0)
        target = (ratings / ratings.sum() + aarden / aarden.sum()) / 2  # by degree
        self.target = torch.roll(target, tonic)  # by pitch class
        self.balance = balance / max(strength, 1e-9)
        # with `deficit` > 0 a scale degree short of its share is pulled in, in proportion (a resample after
        # one heard in another key: a D major rock piece never sounded C#, and its many D's made Aarden-Essen
        # hear G, whose dominant D is)
        self.deficit = deficit / max(strength, 1e-9)
        self.degrees = self.target >= DEGREE_SHARE  # the scale's degrees; chromatic ones are never pulled in

    def bias(self, state: DecodeState) -> torch.Tensor | None:
        if state.last_type != "Program" or state.program == DRUMS:
            return None
        time = torch.tensor(state.pitch_class_time, dtype=torch.float32)
        total = float(time.sum())
        if total <= 0:
            return self.weights
        share = time / total + 1e-3
        excess = torch.clamp(torch.log(share / self.target), min=0.0)  # by pitch class
        bias = self.weights - self.balance * torch.where(self.is_pitch, excess[self.pitch_class], 0.0)
        if self.deficit:
            short = torch.where(self.degrees, torch.clamp(torch.log(self.target / share), min=0.0), 0.0)
            for pitch in (p for program in state.held for p in state.pitches(program)):
                short[[(pitch - 1) % 12, (pitch + 1) % 12]] = 0.0  # never pulled into a semitone clash
            bias = bias + self.deficit * torch.where(self.is_pitch, short[self.pitch_class], 0.0)
        return bias


class LoopBias(Bias):
    """A loop's way home: in the second half of the last bar, each instrument's notes favour pitches within
    a step of the first note it played, so the end leads melodically back into the start."""

    name = "loop"

    def __init__(self, tracker: Tracker, bars: int, strength: float = 2.0, reach: int = 2) -> None:
        super().__init__(tracker, strength)
        self.bars, self.reach = bars, reach
        self.first: dict[int, int] = {}  # program -> the first pitch it played

    def bias(self, state: DecodeState) -> torch.Tensor | None:
        for program, pitch in state.last_pitch.items():
            self.first.setdefault(program, pitch)
        if (state.last_type != "Program" or state.program == DRUMS or state.bar != self.bars
                or state.position * 2 < state.bar_length or state.program not in self.first):
            return None
        pitches = self.tables.pitch
        distance = (pitches - self.first[state.program]).abs()
        return torch.where(pitches >= 0, -(distance - self.reach).clamp(min=0).float() / 3.0, 0.0)
