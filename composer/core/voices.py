"""Voices: the parts a piece is written in, kept apart even when they share a GM program.

The decoder's tokens name a part by its program, so two violins would merge into one stream. Each voice
therefore has a decode program: its own program for the first voice that has it, and for the next ones a
stand-in the model knows as a like instrument (a second violin is decoded as a fiddle), mapped back to the
real program and a numbered name ("Violin I", "Violin II") when the score is written. A keyboard played
with two hands is two voices, right and left hand, written back as one track.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Set as AbstractSet
from dataclasses import dataclass

from composer.core.gm import default_track_name, playable_range

# program -> stand-ins in order of preference: like instruments, programs the training corpus uses first
SOUND_ALIKES: dict[int, tuple[int, ...]] = {
    0: (4, 1, 2, 6), 4: (0, 5, 2), 21: (23, 20, 19), 23: (21, 20, 19),
    24: (25, 26, 27, 46), 25: (24, 26, 27, 46), 40: (110, 41, 48, 44),
    41: (40, 110, 48), 42: (43, 41, 48), 46: (24, 47), 48: (49, 50, 44), 52: (48, 53, 54), 53: (52, 54, 85),
    56: (59, 60, 61), 57: (58, 60), 60: (56, 61), 65: (66, 64, 67), 66: (65, 67, 64), 71: (68, 73, 70),
    73: (74, 75, 72), 74: (73, 75, 72), 81: (80, 82, 87), 80: (81, 82, 87), 89: (88, 90, 48),
    # instruments whose nearest like is in another GM family (a banjo plays like a guitar)
    22: (21, 23), 104: (24, 46), 105: (24, 25), 106: (24, 46), 107: (46, 24), 108: (12, 11), 109: (71, 68),
    111: (68, 71), 112: (8, 11), 113: (12, 11), 114: (12, 11), 115: (12, 11), 116: (12, 11), 117: (12, 11),
}
ROMAN = ("I", "II", "III", "IV", "V", "VI", "VII", "VIII")
HAND_KEYBOARDS = frozenset({*range(0, 16), 21, 23})  # keyboards, mallets and accordions: two hands, one track
CHOIRS = frozenset({52, 53, 54})
CHOIR_VOICES = {2: ("Soprano", "Alto"), 3: ("Soprano", "Alto", "Bass"), 4: ("Soprano", "Alto", "Tenor", "Bass")}


@dataclass(frozen=True)
class Voice:
    """One part: the program the model plays it as, the program and name written to the file, and the hand
    ("right" or "left") of a keyboard played with two hands ("" otherwise)."""

    decode: int
    program: int
    name: str
    hand: str = ""


def stand_in(program: int, taken: set[int], known: AbstractSet[int] | None = None) -> int:
    """A program like `program` that is not in `taken`: the known one nearest it (`known`, as decode_program
    picks; None: all programs known), else its sound-alikes, its GM family, any."""
    if known is not None:
        alike = _known_alike(program, known, taken)
        if alike is not None:
            return alike
    family = range(program // 8 * 8, program // 8 * 8 + 8)
    for candidate in (*SOUND_ALIKES.get(program, ()), *family, *range(128)):
        if candidate not in taken and candidate != program:
            return candidate
    raise ValueError("no free program left for another voice")


def decode_program(program: int, known: AbstractSet[int] | None, taken: set[int]) -> int:
    """The program the model plays `program` as: itself where the checkpoint knows it (`known`, from
    composer.decode.known; None: every program), else a known one like it, not in `taken`. A checkpoint
    gives an instrument it never saw in training (a fretless bass, a viola) almost no probability, so a
    part decoded as itself falls silent after its first notes; decoded as a like instrument (an electric
    bass) it plays, and the file gets the real program."""
    if known is None or program in known:
        return program
    alike = _known_alike(program, known, taken)
    return program if alike is None else alike


def played_as(programs: AbstractSet[int], known: AbstractSet[int] | None) -> dict[int, int]:
    """A file's pitched programs the model does not know -> the known programs it plays them as (each one
    not among the file's programs; composer continue, infill and add-part decode a user's parts so)."""
    taken, out = set(programs), {}
    for program in sorted(p for p in programs if p >= 0):
        decode = decode_program(program, known, taken)
        if decode != program:
            out[program] = decode
            taken.add(decode)
    return out


def _known_alike(program: int, known: AbstractSet[int], taken: set[int]) -> int | None:
    """Its sound-alikes the model knows, in order; else the known program of its GM family (then of any)
    whose playable range overlaps its own most."""
    pool = {p for p in known if p not in taken and p != program and 0 <= p < 128}
    for candidate in SOUND_ALIKES.get(program, ()):
        if candidate in pool:
            return candidate
    if not pool:
        return None
    low, high = playable_range(program)

    def distance(candidate: int) -> tuple[bool, int, int]:
        their_low, their_high = playable_range(candidate)
        overlap = min(high, their_high) - max(low, their_low)
        return candidate // 8 != program // 8, -overlap, abs(candidate - program)

    return min(pool, key=distance)


def voices_for(programs: list[int], names: dict[int, str] | None = None,
               known: AbstractSet[int] | None = None) -> list[Voice]:
    """The voices of pitched GM `programs` in order (repeats allowed): [40, 40, 41, 42] -> Violin I (40),
    Violin II (decoded as 110), Viola, Cello; two to four choir voices are Soprano, Alto, Tenor, Bass.
    `names` (program -> the person's word for it, "Lead Synth") replaces the GM name of a program. With
    `known` (the programs the checkpoint knows), a program it does not know is decoded as one it does."""
    counts, seen = Counter(programs), Counter[int]()
    taken = set(programs)
    voices = []
    for program in programs:
        seen[program] += 1
        name = (names or {}).get(program) or default_track_name(program, False)
        if program in CHOIRS and counts[program] in CHOIR_VOICES:
            name = CHOIR_VOICES[counts[program]][seen[program] - 1]
        elif counts[program] > 1:
            name = f"{name} {ROMAN[seen[program] - 1] if seen[program] <= len(ROMAN) else seen[program]}"
        decode = decode_program(program, known, taken) if seen[program] == 1 else stand_in(program, taken, known)
        taken.add(decode)
        voices.append(Voice(decode, program, name))
    return voices


def with_left_hand(voices: list[Voice], index: int, known: AbstractSet[int] | None = None) -> list[Voice]:
    """`voices` with the part at `index` played by two hands: its right hand keeps its decode program and a
    left hand is added after it, decoded as a stand-in. A keyboard's hands write to its one track; an organ's
    pedals and a string section's basses get a track of their own ("Strings (basses)")."""
    voice = voices[index]
    taken = {v.decode for v in voices} | {v.program for v in voices}
    right = Voice(voice.decode, voice.program, voice.name, "right")
    own = "pedals" if 16 <= voice.program < 24 else "basses"  # an organ's pedals, a section's basses
    lower = voice.name if voice.program in HAND_KEYBOARDS else f"{voice.name} ({own})"
    left = Voice(stand_in(voice.program, taken, known), voice.program, lower, "left")
    return [*voices[:index], right, left, *voices[index + 1:]]


def label(voice: Voice) -> str:
    """How explain and --json name a voice: its track name, and its hand (a section's basses) if it has one."""
    if not voice.hand:
        return voice.name
    if voice.program in HAND_KEYBOARDS:  # keyboards, mallets and accordions
        return f"{voice.name} ({voice.hand} hand)"
    return voice.name if voice.hand == "left" else f"{voice.name} (upper voices)"
