"""Voices: the parts a piece is written in, kept apart even when they share a GM program.

The decoder's tokens name a part by its program, so two violins would merge into one stream. Each voice
therefore has a decode program: its own program for the first voice that has it, and for the next ones a
stand-in the model knows as a like instrument (a second violin is decoded as a fiddle), mapped back to the
real program and a numbered name ("Violin I", "Violin II") when the score is written. A keyboard played
with two hands is two voices, right and left hand, written back as one track.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from composer.core.gm import default_track_name

# program -> stand-ins in order of preference: like instruments, programs the training corpus uses first
SOUND_ALIKES: dict[int, tuple[int, ...]] = {
    0: (4, 1, 2, 6), 4: (0, 5, 2), 21: (23, 20, 19), 23: (21, 20, 19),
    24: (25, 26, 27, 46), 25: (24, 26, 27, 46), 40: (110, 41, 48, 44),
    41: (40, 110, 48), 42: (43, 41, 48), 46: (24, 47), 48: (49, 50, 44), 52: (48, 53, 54), 53: (52, 54, 85),
    56: (59, 60, 61), 57: (58, 60), 60: (56, 61), 65: (66, 64, 67), 66: (65, 67, 64), 71: (68, 73, 70),
    73: (74, 75, 72), 74: (73, 75, 72), 81: (80, 82, 87), 80: (81, 82, 87), 89: (88, 90, 48),
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


def stand_in(program: int, taken: set[int]) -> int:
    """A program like `program` that is not in `taken`: its sound-alikes, then its GM family, then any."""
    family = range(program // 8 * 8, program // 8 * 8 + 8)
    for candidate in (*SOUND_ALIKES.get(program, ()), *family, *range(128)):
        if candidate not in taken and candidate != program:
            return candidate
    raise ValueError("no free program left for another voice")


def voices_for(programs: list[int], names: dict[int, str] | None = None) -> list[Voice]:
    """The voices of pitched GM `programs` in order (repeats allowed): [40, 40, 41, 42] -> Violin I (40),
    Violin II (decoded as 110), Viola, Cello; two to four choir voices are Soprano, Alto, Tenor, Bass.
    `names` (program -> the person's word for it, "Lead Synth") replaces the GM name of a program."""
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
        decode = program
        if seen[program] > 1:
            decode = stand_in(program, taken)
            taken.add(decode)
        voices.append(Voice(decode, program, name))
    return voices


def with_left_hand(voices: list[Voice], index: int) -> list[Voice]:
    """`voices` with the part at `index` played by two hands: its right hand keeps its decode program and a
    left hand is added after it, decoded as a stand-in. A keyboard's hands write to its one track; an organ's
    pedals and a string section's basses get a track of their own ("Strings (basses)")."""
    voice = voices[index]
    taken = {v.decode for v in voices} | {v.program for v in voices}
    right = Voice(voice.decode, voice.program, voice.name, "right")
    own = "pedals" if 16 <= voice.program < 24 else "basses"  # an organ's pedals, a section's basses
    lower = voice.name if voice.program in HAND_KEYBOARDS else f"{voice.name} ({own})"
    left = Voice(stand_in(voice.program, taken), voice.program, lower, "left")
    return [*voices[:index], right, left, *voices[index + 1:]]


def label(voice: Voice) -> str:
    """How explain and --json name a voice: its track name, and its hand (a section's basses) if it has one."""
    if not voice.hand:
        return voice.name
    if voice.program in HAND_KEYBOARDS:  # keyboards, mallets and accordions
        return f"{voice.name} ({voice.hand} hand)"
    return voice.name if voice.hand == "left" else f"{voice.name} (upper voices)"
