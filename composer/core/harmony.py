"""Chords as Roman numerals: one spelling for the progression library, the chord model and `explain`.

A numeral names its root by its distance from the tonic on the major scale, with an explicit accidental,
in every mode: in C minor the Ab chord is "bVI" and the Eb chord "bIII" (pop and jazz practice, so one
string means one chord in any key). Case gives the triad (upper major, lower minor), then "o"
diminished, "ø" half-diminished, "+" augmented; a suffix adds tones: "7" (a dominant seventh on an
upper-case numeral, a minor seventh on a lower-case one), "maj7", "9", "maj9", "sus4", "sus2", "6".

    numeral_chord("ii7", 2)   -> Chord({4, 7, 11, 2}, root=4, name="ii7")   # Em7 in D
    numeral_of(9, "min7")      -> "vi7"
"""

from __future__ import annotations

import re
from collections.abc import Set as AbstractSet

DEGREES = {"I": 0, "II": 2, "III": 4, "IV": 5, "V": 7, "VI": 9, "VII": 11}
# semitones above the root of each chord quality
QUALITIES: dict[str, tuple[int, ...]] = {
    "maj": (0, 4, 7), "min": (0, 3, 7), "dim": (0, 3, 6), "aug": (0, 4, 8), "sus4": (0, 5, 7), "sus2": (0, 2, 7),
    "dom7": (0, 4, 7, 10), "maj7": (0, 4, 7, 11), "min7": (0, 3, 7, 10), "hdim7": (0, 3, 6, 10),
    "dim7": (0, 3, 6, 9), "dom9": (0, 4, 7, 10, 2), "maj9": (0, 4, 7, 11, 2), "min9": (0, 3, 7, 10, 2),
    "maj6": (0, 4, 7, 9), "min6": (0, 3, 7, 9),
}
SEVENTHS = frozenset({"dom7", "maj7", "min7", "hdim7", "dim7", "dom9", "maj9", "min9"})
_NUMERAL = re.compile(r"(b|#)?(VII|VI|V|IV|III|II|I|vii|vi|v|iv|iii|ii|i)(o|ø|\+)?(maj7|maj9|7|9|sus4|sus2|6)?")
# (upper-case?, triad sign, suffix) -> quality
_QUALITY_OF = {
    (True, "", ""): "maj", (False, "", ""): "min", (False, "o", ""): "dim", (True, "o", ""): "dim",
    (True, "+", ""): "aug", (True, "", "7"): "dom7", (False, "", "7"): "min7", (True, "", "maj7"): "maj7",
    (False, "ø", "7"): "hdim7", (False, "o", "7"): "dim7", (True, "", "9"): "dom9", (False, "", "9"): "min9",
    (True, "", "maj9"): "maj9", (True, "", "sus4"): "sus4", (True, "", "sus2"): "sus2", (True, "", "6"): "maj6",
    (False, "", "6"): "min6",
}
_SIGN_OF = {quality: (upper, sign, suffix) for (upper, sign, suffix), quality in _QUALITY_OF.items()
            if not (quality == "dim" and upper)}
# semitones above the tonic -> how a numeral names that root
_ROOT_NAMES = {0: "I", 1: "bII", 2: "II", 3: "bIII", 4: "III", 5: "IV", 6: "#IV", 7: "V", 8: "bVI", 9: "VI",
               10: "bVII", 11: "VII"}


class Chord(frozenset[int]):
    """A chord's pitch classes that knows its root and its name (a Roman numeral or a chord symbol)."""

    root: int
    name: str

    def __new__(cls, pitch_classes: frozenset[int] | set[int], root: int, name: str = "") -> Chord:
        chord = super().__new__(cls, pitch_classes)
        chord.root, chord.name = root % 12, name
        return chord

    def __reduce__(self) -> tuple:  # type: ignore[type-arg]
        return Chord, (frozenset(self), self.root, self.name)

    def __repr__(self) -> str:
        return f"Chord({sorted(self)}, root={self.root}, name={self.name!r})"


def parse_numeral(numeral: str) -> tuple[int, str]:
    """"bVII" -> (10, "maj"), "ii7" -> (2, "min7"), "viiø7" -> (11, "hdim7"): root offset and quality."""
    match = _NUMERAL.fullmatch(numeral.strip())
    if not match:
        raise ValueError(f"not a Roman numeral: {numeral!r}")
    accidental, degree, sign, suffix = match.group(1) or "", match.group(2), match.group(3) or "", match.group(4) or ""
    key = (degree.isupper(), sign, suffix)
    if key not in _QUALITY_OF:
        raise ValueError(f"not a chord this vocabulary knows: {numeral!r}")
    offset = DEGREES[degree.upper()] + {"b": -1, "#": 1, "": 0}[accidental]
    return offset % 12, _QUALITY_OF[key]


def numeral_of(offset: int, quality: str) -> str:
    """The numeral of a chord `offset` semitones above the tonic: (10, "maj") -> "bVII", (2, "min7") -> "ii7"."""
    if quality not in _SIGN_OF:
        raise ValueError(f"unknown chord quality {quality!r}; known: {', '.join(QUALITIES)}")
    upper, sign, suffix = _SIGN_OF[quality]
    root = _ROOT_NAMES[offset % 12]
    accidental, degree = (root[0], root[1:]) if root[0] in "b#" else ("", root)
    return accidental + (degree if upper else degree.lower()) + sign + suffix


def numeral_chord(numeral: str, tonic: int) -> Chord:
    """The chord a numeral names in the key on `tonic` (a pitch class)."""
    offset, quality = parse_numeral(numeral)
    root = (tonic + offset) % 12
    return Chord({(root + step) % 12 for step in QUALITIES[quality]}, root, numeral)


def is_seventh(numeral: str) -> bool:
    return parse_numeral(numeral)[1] in SEVENTHS


def chord_root(chord: AbstractSet[int]) -> int:
    """A chord's root: the one it knows, else the pitch class with a third and a fifth above it (the lowest)."""
    if isinstance(chord, Chord):
        return chord.root
    return max(sorted(chord), key=lambda pc: (((pc + 4) % 12 in chord or (pc + 3) % 12 in chord)
                                              + ((pc + 7) % 12 in chord)))
