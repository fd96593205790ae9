"""Music-theory tables: pitch classes, key signatures and their spellings."""

from __future__ import annotations

from typing import Literal

Mode = Literal["major", "minor"]

PITCH_CLASS_NAMES_SHARP = ("C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B")

# Pitch class of each natural note letter.
LETTER_PITCH_CLASS = {"C": 0, "D": 2, "E": 4, "F": 5, "G": 7, "A": 9, "B": 11}

# Key signatures by number of sharps (positive) or flats (negative), -7..7, with the tonic of the
# major and the relative minor key spelled as they are written on a staff.
MAJOR_TONIC_BY_SHARPS = {
    -7: "Cb", -6: "Gb", -5: "Db", -4: "Ab", -3: "Eb", -2: "Bb", -1: "F", 0: "C",
    1: "G", 2: "D", 3: "A", 4: "E", 5: "B", 6: "F#", 7: "C#",
}
MINOR_TONIC_BY_SHARPS = {
    -7: "Ab", -6: "Eb", -5: "Bb", -4: "F", -3: "C", -2: "G", -1: "D", 0: "A",
    1: "E", 2: "B", 3: "F#", 4: "C#", 5: "G#", 6: "D#", 7: "A#",
}


def pitch_class(name: str) -> int:
    """Pitch class (0-11) of a note name such as "Eb", "F#", "B-" (music21's flat) or "Cb"."""
    if not name or name[0].upper() not in LETTER_PITCH_CLASS:
        raise ValueError(f"not a note name: {name!r}")
    pc = LETTER_PITCH_CLASS[name[0].upper()]
    for accidental in name[1:]:
        if accidental in "#♯":
            pc += 1
        elif accidental in "b-♭":
            pc -= 1
        else:
            raise ValueError(f"not a note name: {name!r}")
    return pc % 12


def sharps_for_key(tonic: str, mode: Mode) -> int:
    """Number of sharps (negative: flats) in the signature of `tonic` `mode`, e.g. ("Eb", "major") -> -3.

    An enharmonic tonic that has no standard signature (e.g. "D#" major) gets the closer spelling's
    signature (Eb major: -3).
    """
    table = MAJOR_TONIC_BY_SHARPS if mode == "major" else MINOR_TONIC_BY_SHARPS
    for sharps, spelled in table.items():
        if spelled == tonic:
            return sharps
    target = pitch_class(tonic)
    candidates = [s for s, spelled in table.items() if pitch_class(spelled) == target]
    if not candidates:  # pragma: no cover - every pitch class has a spelling in the table
        raise ValueError(f"no key signature for {tonic} {mode}")
    return min(candidates, key=abs)


def tonic_for_sharps(sharps: int, mode: Mode) -> str:
    """The written tonic of the key with `sharps` sharps (negative: flats) in `mode`."""
    table = MAJOR_TONIC_BY_SHARPS if mode == "major" else MINOR_TONIC_BY_SHARPS
    if sharps not in table:
        raise ValueError(f"a key signature has -7..7 sharps, not {sharps}")
    return table[sharps]


# Modes as keys: each mode's scale (semitones above its tonic), the major or minor family whose key token,
# tonic triad and cadences it takes, and how far its tonic lies above its parent major scale's (its signature).
MODE_SCALES: dict[str, tuple[int, ...]] = {
    "major": (0, 2, 4, 5, 7, 9, 11), "minor": (0, 2, 3, 5, 7, 8, 9, 10, 11),  # natural + harmonic + melodic
    "dorian": (0, 2, 3, 5, 7, 9, 10), "phrygian": (0, 1, 3, 5, 7, 8, 10), "lydian": (0, 2, 4, 6, 7, 9, 11),
    "mixolydian": (0, 2, 4, 5, 7, 9, 10), "aeolian": (0, 2, 3, 5, 7, 8, 10), "harmonic minor": (0, 2, 3, 5, 7, 8, 11),
}
MODE_FAMILY = {"major": "major", "minor": "minor", "dorian": "minor", "phrygian": "minor", "lydian": "major",
               "mixolydian": "major", "aeolian": "minor", "harmonic minor": "minor"}
MODE_DEGREE = {"dorian": 2, "phrygian": 4, "lydian": 5, "mixolydian": 7, "aeolian": 9}  # tonic above the parent's
MODES = tuple(MODE_SCALES)


def mode_family(mode: str) -> Mode:
    """"dorian" -> "minor", "mixolydian" -> "major": the family whose tonic triad and key token a mode takes."""
    if mode not in MODE_FAMILY:
        raise ValueError(f"unknown mode {mode!r}; known: {', '.join(MODES)}")
    return MODE_FAMILY[mode]  # type: ignore[return-value]


def signature_key(tonic: str, mode: str) -> tuple[str, Mode]:
    """The key of the mode's family that writes the same signature: ("D", "dorian") -> ("A", "minor") and
    ("G", "mixolydian") -> ("C", "major") (no sharps); major, minor and harmonic minor keep their tonic."""
    if mode not in MODE_DEGREE:
        return tonic, mode_family(mode)
    parent = (pitch_class(tonic) - MODE_DEGREE[mode]) % 12
    sharps = sharps_for_key(PITCH_CLASS_NAMES_SHARP[parent], "major")
    family = mode_family(mode)
    return tonic_for_sharps(sharps, family), family
