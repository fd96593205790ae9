"""How a Score is laid out for notation: named parts, clefs, grand staves, voices, spelling, drum kits."""

from __future__ import annotations

import bisect
import functools
import itertools
import math
from collections import defaultdict
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from composer.core.gm import default_track_name
from composer.core.score import TICKS_PER_BEAT, KeySignature, Note, Score, TimeSignature, Track
from composer.core.voices import CHOIRS

GRIDS = (TICKS_PER_BEAT // 4, TICKS_PER_BEAT // 3)  # onsets and releases snap to 16ths, or to eighth triplets, per beat
OVERLAP_TICKS = TICKS_PER_BEAT // 4  # a release this far past the next onset is legato, not a second voice
MAX_VOICES = 4  # per staff, as MuseScore and most notation programs allow
KEYBOARDS = frozenset([*range(0, 8), *range(16, 24)])  # pianos, keyboards, organs: a grand staff when wide
GRAND_SPAN = 20  # semitones from the 5th to the 95th percentile pitch that ask for two staves
LOW_HAND, HIGH_HAND = 53, 67  # ... as do notes at or below F3 together with notes at or above G4
MIDDLE_C = 60  # the right hand takes notes from here up, the left hand those below
BASS_CLEF_BELOW = 55  # a staff whose median pitch lies below G3 reads in the bass clef
# Basses, cello, contrabass, timpani, trombone, tuba and bassoon read the bass clef even in their tenor range.
BASS_READERS = frozenset([*range(32, 40), 42, 43, 47, 57, 58, 70])
BASS_READERS_BELOW = 64  # ... unless their median pitch lies at or above E4
ROMAN = ("I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII")

# Where each GM drum sits on the five-line percussion staff (as a treble-clef pitch) and its notehead,
# after the usual drum-set key: feet below the middle line, drums on the spaces, cymbals above the staff.
# No two sounds share a place and a head, so a note's sound can be read back from how it looks.
DRUM_NOTATION: dict[int, tuple[str, str]] = {
    35: ("E4", "normal"), 36: ("F4", "normal"),  # bass drums
    37: ("C5", "x"), 38: ("C5", "normal"), 39: ("C5", "slash"), 40: ("C5", "diamond"),  # stick, snares, clap
    41: ("G4", "normal"), 43: ("A4", "normal"), 45: ("B4", "normal"),  # floor and low toms
    47: ("D5", "normal"), 48: ("E5", "normal"), 50: ("F5", "normal"),  # mid and high toms
    42: ("G5", "x"), 44: ("D4", "x"), 46: ("G5", "circle-x"),  # hi-hat closed, pedal, open
    49: ("A5", "x"), 57: ("B5", "x"), 55: ("A5", "circle-x"), 52: ("B5", "circle-x"),  # crashes, splash, china
    51: ("F5", "x"), 59: ("E5", "x"), 53: ("F5", "diamond"),  # rides, ride bell
    54: ("D5", "x"), 56: ("E5", "triangle"), 58: ("D5", "triangle"),  # tambourine, cowbell, vibraslap
}
_STAFF_PLACES = [f"{letter}{octave}" for octave in (3, 4, 5, 6) for letter in "CDEFGAB"]  # C3 .. B6
_SPARE_PLACES = [(place, head) for head in ("triangle", "cross", "slash", "diamond", "inverted triangle")
                 for place in sorted(_STAFF_PLACES, key=lambda p: abs(_STAFF_PLACES.index(p) - 13))]  # B4 first
for _pitch in sorted(range(128), key=lambda p: not 27 <= p <= 87):  # the rarer sounds take the places left
    if _pitch not in DRUM_NOTATION:
        DRUM_NOTATION[_pitch] = next(p for p in _SPARE_PLACES if p not in DRUM_NOTATION.values())
DRUM_BY_LOOK = {look: pitch for pitch, look in DRUM_NOTATION.items()}
FEET = frozenset({35, 36, 44})  # written in the lower voice, stems down

Chord = tuple[int, int, tuple[tuple[int, int], ...]]  # (start, end, ((pitch, velocity), ...)) in ticks


@dataclass(frozen=True, slots=True)
class Staff:
    """One five-line staff's music: its clef and the notes it shows."""

    clef: str  # "treble", "bass", "alto", "treble8vb" or "percussion"
    notes: list[Note]


@dataclass(frozen=True, slots=True)
class PartPlan:
    """One part as written: a track's name shown once, on one staff, or two braced for a keyboard."""

    name: str
    abbreviation: str
    track: Track
    staves: list[Staff]


def letter_spelling(pitch: int, sharps: int, mode: str) -> tuple[str, int, int]:
    """(letter, alteration, octave) of MIDI `pitch` in the key with `sharps` (flats negative).

    Notes of the key are spelled as its scale; in minor the raised sixth and seventh as raised letters;
    other notes prefer a natural letter, then the spelling nearer the key on the line of fifths (C major:
    C# Eb F# G# Bb; Eb major: E A B Db Gb; E major: C D F G A#; C minor: Db E F# A B)."""
    fifths = _fifths_of(pitch % 12, sharps, mode)
    letter, alter = "FCGDAEB"[(fifths + 1) % 7], (fifths + 1) // 7
    octave = (pitch - "C D EF G A B".index(letter) - alter) // 12 - 1
    return letter, alter, octave


@functools.cache
def _fifths_of(pitch_class: int, sharps: int, mode: str) -> int:
    """The line-of-fifths position (F = -1, C = 0, G = 1, ...) that spells `pitch_class` in the key."""
    base = (7 * pitch_class) % 12  # the position in 0..11 that sounds this pitch class
    candidates = [base - 12, base, base + 12]
    for position in candidates:
        if sharps - 1 <= position <= sharps + 5:  # in the scale (the relative major's seven fifths)
            return position
        if mode == "minor" and position in (sharps + 6, sharps + 8):  # raised sixth, raised seventh
            return position
    centre = sharps + (3 if mode == "minor" else 2)  # the middle of the scale's fifths, nudged sharp in minor
    return min(candidates, key=lambda p: ((p + 1) // 7 != 0, abs(p - centre), -p))  # natural, near, sharper


def pitch_name(pitch: int, key: KeySignature | None) -> str:
    """The music21 name ("B-3", "G#4") of `pitch` spelled in `key` (C major when None)."""
    letter, alter, octave = letter_spelling(pitch, key.sharps if key else 0, key.mode if key else "major")
    return f"{letter}{'#' * alter if alter > 0 else '-' * -alter}{octave}"


def plan_parts(score: Score) -> list[PartPlan]:
    """The parts to write, one per track with notes, in track order; repeated names get I, II, ..."""
    from music21 import instrument

    tracks = [t for t in score.tracks if t.notes]
    names = [t.name.strip() or default_track_name(t.program, t.is_drum) for t in tracks]
    repeats = {n for n in names if names.count(n) > 1}
    seen: dict[str, int] = defaultdict(int)
    plans = []
    for track, name in zip(tracks, names, strict=True):
        short = "Dr." if track.is_drum else _abbreviation(instrument.instrumentFromMidiProgram(track.program), name)
        if name in repeats:
            seen[name] += 1
            numeral = ROMAN[seen[name] - 1] if seen[name] <= len(ROMAN) else str(seen[name])
            name, short = f"{name} {numeral}", f"{short} {numeral}"
        plans.append(PartPlan(name, short, track, _staves(track)))
    return plans


def _abbreviation(m21_instrument: Any, name: str) -> str:
    """The short name on later systems: music21's for the instrument the track is named after ("Vln"
    for "Violin"), else the name cut to its first three letters ("Sop." for "Soprano")."""
    abbreviation = str(m21_instrument.instrumentAbbreviation or "")
    named_after = str(m21_instrument.instrumentName or "").lower() in name.lower()
    if named_after and abbreviation and not any(len(w) == 1 and w.islower() for w in abbreviation.split()):
        return abbreviation
    return name if len(name) <= 5 else f"{name[:3]}."


def _staves(track: Track) -> list[Staff]:
    if track.is_drum:
        return [Staff("percussion", track.notes)]
    pitches = sorted(n.pitch for n in track.notes)
    low, high = pitches[round(0.05 * (len(pitches) - 1))], pitches[round(0.95 * (len(pitches) - 1))]
    wide = high - low >= GRAND_SPAN or (pitches[0] <= LOW_HAND and pitches[-1] >= HIGH_HAND)
    if track.program in KEYBOARDS and wide:
        right, left = split_hands(track.notes)
        if right and left:
            return [Staff("treble", right), Staff("bass", left)]
    median = pitches[len(pitches) // 2]
    if 24 <= track.program <= 31:
        return [Staff("treble8vb", track.notes)]  # guitars read an octave above their sound
    if track.name.split(" (")[0].strip().lower() == "tenor" and track.program in CHOIRS:
        return [Staff("treble8vb", track.notes)]  # a choir's tenors read the octave treble clef, as in a hymnal
    if track.program == 41 and median < 67:
        return [Staff("alto", track.notes)]  # viola
    low = BASS_READERS_BELOW if track.program in BASS_READERS else BASS_CLEF_BELOW
    return [Staff("bass" if median < low else "treble", track.notes)]


def split_hands(notes: list[Note]) -> tuple[list[Note], list[Note]]:
    """(right hand, left hand): notes from middle C up and those below, except that notes struck together
    within an octave stay in one hand (the right when their mean lies at or above middle C)."""
    right: list[Note] = []
    left: list[Note] = []
    by_onset: dict[int, list[Note]] = defaultdict(list)
    grids = _beat_grids(notes)
    for note in notes:
        by_onset[_snap(note.start, grids)].append(note)
    for group in by_onset.values():
        pitches = [n.pitch for n in group]
        if max(pitches) - min(pitches) <= 12:
            (right if sum(pitches) >= MIDDLE_C * len(pitches) else left).extend(group)
        else:
            right.extend(n for n in group if n.pitch >= MIDDLE_C)
            left.extend(n for n in group if n.pitch < MIDDLE_C)
    return sorted(right, key=lambda n: (n.start, n.pitch)), sorted(left, key=lambda n: (n.start, n.pitch))


def _beat_grids(notes: list[Note]) -> dict[int, int]:
    """The grid (ticks) of each beat of the notes: 16ths, or eighth triplets where those fit the onsets
    and releases in that beat better."""
    error: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for note in notes:
        for tick in (note.start, note.end):
            beat, offset = divmod(tick, TICKS_PER_BEAT)
            for index, grid in enumerate(GRIDS):
                error[beat][index] += abs(offset - round(offset / grid) * grid)
    return {beat: GRIDS[1] if e[1] < e[0] else GRIDS[0] for beat, e in error.items()}


def _snap(tick: int, grids: dict[int, int]) -> int:
    beat, offset = divmod(tick, TICKS_PER_BEAT)
    grid = grids.get(beat, GRIDS[0])
    return beat * TICKS_PER_BEAT + round(offset / grid) * grid


def bar_grid(score: Score) -> tuple[list[int], list[TimeSignature], list[KeySignature | None]]:
    """The bars to write: their starts and the end of the last, each bar's meter, and its key (a key
    change shows from the bar it falls in; None where the score names no key)."""
    bars = score.bar_starts(score.length_ticks)
    meter_ticks = sorted(score.time_signatures, key=lambda m: m.tick)
    key_ticks = sorted(score.key_signatures, key=lambda k: k.tick)
    meters = [next((m for m in reversed(meter_ticks) if m.tick <= tick), TimeSignature(0, 4, 4)) for tick in bars]
    bars.append(bars[-1] + meters[-1].bar_ticks)
    return bars, meters, [next((k for k in reversed(key_ticks) if k.tick < end), None) for end in bars[1:]]


def staff_voices(staff: Staff, drums: bool, bars: list[int], meters: list[TimeSignature]) -> list[list[Chord]]:
    """The staff's voices: a kit's hands and feet, or its notes' chords as assign_voices lays them out."""
    if drums:
        return drum_voices(staff.notes, bars, [beat_ticks(m) for m in meters])
    return assign_voices(chords_of(staff.notes))


def chords_of(notes: list[Note]) -> list[Chord]:
    """The staff's notes quantized and gathered into chords (notes struck and released together).

    A release up to a 16th past a later onset is cut back to it (legato, not a second voice); notes
    struck together whose releases lie within a 16th of each other are released together."""
    grids = _beat_grids(notes)
    snapped = []
    for note in notes:
        start, end = _snap(note.start, grids), _snap(note.end, grids)
        snapped.append((start, max(end, start + grids.get(start // TICKS_PER_BEAT, GRIDS[0])), note.pitch,
                        note.velocity))
    onsets = sorted({s for s, *_ in snapped})
    by_onset: dict[int, list[list[int]]] = defaultdict(list)
    for start, end, pitch, velocity in snapped:
        later = onsets[min(bisect.bisect_right(onsets, start), len(onsets) - 1)]
        if start < later < end <= later + OVERLAP_TICKS:
            end = later
        by_onset[start].append([end, pitch, velocity])
    chords: dict[tuple[int, int], dict[int, int]] = defaultdict(dict)
    for start, group in by_onset.items():
        group.sort()
        for index in range(len(group) - 2, -1, -1):  # release together when within a 16th of the next
            if group[index + 1][0] - group[index][0] <= OVERLAP_TICKS:
                group[index][0] = group[index + 1][0]
        for end, pitch, velocity in group:
            chords[start, end][pitch] = max(velocity, chords[start, end].get(pitch, 0))
    found = [(start, end, tuple(sorted(pitches.items()))) for (start, end), pitches in chords.items()]
    return sorted(found, key=lambda c: (c[0], -c[2][-1][0]))  # the highest chord first: voice 1


def assign_voices(chords: list[Chord]) -> list[list[Chord]]:
    """Chords into voices, each a line of chords that do not overlap: a chord takes the first voice free
    at its onset (voice 1 first, so a voice sounds only under the voices above it). Past MAX_VOICES the
    voice free soonest has its chord cut short (or joined, when struck together)."""
    voices: list[list[Chord]] = []
    for chord in chords:
        free = next((v for v in voices if v[-1][1] <= chord[0]), None)
        if free is None and len(voices) < MAX_VOICES:
            voices.append([chord])
            continue
        if free is None:
            free = min(voices, key=lambda v: v[-1][1])
            start, end, pitches = free[-1]
            if start == chord[0]:
                free[-1] = (start, end, tuple(sorted(dict(pitches + chord[2]).items())))
                continue
            free[-1] = (start, chord[0], pitches)
        free.append(chord)
    return voices


def drum_voices(notes: list[Note], bar_starts: list[int], beats: list[int]) -> list[list[Chord]]:
    """A kit's hits as two voices (hands above, feet below), each hit lasting until the next hit in its
    voice, the next beat or the bar line, whichever comes first, so the kit reads without ties."""
    grids = _beat_grids(notes)
    voices = []
    for feet in (False, True):
        hits: dict[int, dict[int, int]] = defaultdict(dict)
        for note in notes:
            if (note.pitch in FEET) == feet:
                hits[_snap(note.start, grids)][note.pitch] = note.velocity
        onsets = sorted(hits)
        line = []
        for index, start in enumerate(onsets):
            bar = bisect.bisect_right(bar_starts, start) - 1
            beat = beats[bar]
            beat_end = bar_starts[bar] + ((start - bar_starts[bar]) // beat + 1) * beat
            bar_end = bar_starts[bar + 1] if bar + 1 < len(bar_starts) else math.inf
            end = min(onsets[index + 1] if index + 1 < len(onsets) else math.inf, beat_end, bar_end)
            line.append((start, int(end), tuple(sorted(hits[start].items()))))
        if line:
            voices.append(line)
    return voices


def beat_ticks(meter: TimeSignature) -> int:
    """The beat a bar is felt in: a dotted quarter in 6/8, 9/8, 12/8; else the meter's denominator."""
    unit = TICKS_PER_BEAT * 4 // meter.denominator
    return unit * 3 if meter.denominator >= 8 and meter.numerator % 3 == 0 and meter.numerator > 3 else unit


@functools.cache
def notatable(ticks: int) -> bool:
    """Whether a length is one note or rest: plain or dotted, or a triplet without dots."""
    from music21 import duration

    conversion = duration.quarterConversion(Fraction(ticks, TICKS_PER_BEAT))
    if len(conversion.components) != 1 or conversion.components[0].type in ("inexpressible", "zero"):
        return False
    tuplet = conversion.tuplet
    shape = (tuplet.numberNotesActual, tuplet.numberNotesNormal, conversion.components[0].dots) if tuplet else None
    return shape in (None, (3, 2, 0))


@functools.cache
def longest_notatable(ticks: int) -> int:
    """The longest notatable length up to `ticks` (`ticks` itself when notatable)."""
    return next(n for n in range(ticks, 0, -1) if notatable(n))


def triplet_cuts(start: int, end: int) -> list[int]:
    """start, end and the quarter-note boundaries between them next to a triplet position (one off the
    16th grid), so that each beat's triplets are written, and bracketed, within it."""
    points = [start]
    if start % GRIDS[0] and (start // TICKS_PER_BEAT + 1) * TICKS_PER_BEAT < end:
        points.append((start // TICKS_PER_BEAT + 1) * TICKS_PER_BEAT)
    if end % GRIDS[0] and end // TICKS_PER_BEAT * TICKS_PER_BEAT > points[-1]:
        points.append(end // TICKS_PER_BEAT * TICKS_PER_BEAT)
    return [*points, end]


def note_pieces(start: int, end: int, bar_start: int, beat: int, simple: bool) -> list[int]:
    """Lengths of the tied pieces that write a note inside one bar: cut at the first beat when it starts
    off the beat, at the last beat when it ends off one (a dotted beat may stay whole in a simple meter),
    beside triplets, and wherever a length is not one note."""
    cuts = []
    for first, last in itertools.pairwise(triplet_cuts(start, end)):
        cuts.append(first)
        offset = first - bar_start
        if offset % beat and (offset // beat + 1) * beat < last - bar_start:
            cuts.append(bar_start + (offset // beat + 1) * beat)
        rest = last - cuts[-1]
        if (last - bar_start) % beat and rest > beat and not (simple and rest == beat * 3 // 2):
            cuts.append(bar_start + (last - bar_start) // beat * beat)
    lengths = []
    for a, b in itertools.pairwise([*cuts, end]):
        while a < b:
            lengths.append(longest_notatable(b - a))
            a += lengths[-1]
    return lengths


def rest_pieces(start: int, end: int, bar_start: int, beat: int) -> list[int]:
    """Lengths of the rests that fill start..end: whole beats grouped as the bar's metre allows (a half
    rest on beat 3 of 4/4, not a dotted half on beat 2), and inside a beat its 16ths or triplets."""
    lengths = []
    for position, last in itertools.pairwise(triplet_cuts(start, end)):
        while position < last:
            offset = position - bar_start
            if offset % beat == 0 and last - position >= beat:
                length = beat
                while offset % (2 * length) == 0 and position + 2 * length <= last:
                    length *= 2
            else:
                stop = min(last, position - offset % beat + beat)
                length = math.gcd(offset % beat, stop - position, beat)
                while (offset % beat) % (2 * length) == 0 and position + 2 * length <= stop:
                    length *= 2
            lengths.append(longest_notatable(length))
            position += lengths[-1]
    return lengths


Piece = tuple[int, int, tuple[tuple[int, int], ...], str | None]  # (start, length, pitches, tie type)


def bar_pieces(voices: list[list[Chord]], bars: list[int], meters: list[TimeSignature]) -> list[dict[int, list[Piece]]]:
    """Each bar's pieces by voice number (from 1): the chords cut at bar lines and as note_pieces says,
    with the tie type ("start", "continue", "stop" or None) that joins each chord's pieces."""
    found: list[dict[int, list[Piece]]] = [{} for _ in bars[:-1]]
    for number, voice in enumerate(voices, start=1):
        for start, end, pitches in voice:
            chain = []
            end = min(end, bars[-1])
            bar = bisect.bisect_right(bars, start) - 1
            while start < end:
                stop, beat = min(end, bars[bar + 1]), beat_ticks(meters[bar])
                simple = beat * meters[bar].numerator == meters[bar].bar_ticks
                for length in note_pieces(start, stop, bars[bar], beat, simple):
                    chain.append((bar, start, length))
                    start += length
                bar += 1
            for index, (bar, tick, length) in enumerate(chain):
                tie = None if len(chain) == 1 else "start" if index == 0 else "stop" if index == len(chain) - 1 \
                    else "continue"
                found[bar].setdefault(number, []).append((tick, length, pitches, tie))
    return found
