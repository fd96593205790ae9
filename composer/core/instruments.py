"""Instrument names people use, mapped to General MIDI programs (drums as -1)."""

from __future__ import annotations

import re
from collections.abc import Sequence

from composer.core.errors import ComposerError

DRUMS = -1

# name -> program. Lower-case; looked up after normalising spaces and hyphens.
INSTRUMENT_PROGRAMS: dict[str, int] = {
    "piano": 0, "grand piano": 0, "acoustic piano": 0, "bright piano": 1, "honky tonk": 3, "honky-tonk piano": 3,
    "electric piano": 4, "rhodes": 4, "wurlitzer": 5, "harpsichord": 6, "clavinet": 7, "celesta": 8,
    "glockenspiel": 9, "music box": 10, "vibraphone": 11, "vibes": 11, "marimba": 12, "xylophone": 13,
    "tubular bells": 14, "bells": 14, "dulcimer": 15, "organ": 19, "hammond organ": 16, "drawbar organ": 16,
    "rock organ": 18, "church organ": 19, "pipe organ": 19, "reed organ": 20, "accordion": 21, "harmonica": 22,
    "bandoneon": 23, "guitar": 24, "nylon guitar": 24, "classical guitar": 24, "acoustic guitar": 25,
    "steel guitar": 25, "jazz guitar": 26, "electric guitar": 27, "clean guitar": 27, "muted guitar": 28,
    "overdriven guitar": 29, "distorted guitar": 30, "distortion guitar": 30, "bass": 33, "electric bass": 33,
    "bass guitar": 33, "electric bass guitar": 33, "acoustic bass guitar": 32, "lead guitar": 29,
    "acoustic bass": 32, "upright bass": 32, "double bass": 43, "fretless bass": 35, "slap bass": 36,
    "synth bass": 38, "violin": 40, "fiddle": 40, "viola": 41, "cello": 42, "contrabass": 43,
    "tremolo strings": 44, "pizzicato": 45, "pizzicato strings": 45, "harp": 46, "timpani": 47,
    "strings": 48, "string ensemble": 48, "string orchestra": 48, "slow strings": 49, "synth strings": 50,
    "choir": 52, "voices": 52, "choir aahs": 52, "voice": 53, "vocals": 53, "synth voice": 54,
    "orchestra hit": 55, "trumpet": 56, "trombone": 57, "tuba": 58, "muted trumpet": 59, "french horn": 60,
    "horn": 60, "horns": 60, "brass section": 61, "synth brass": 62, "soprano sax": 64, "alto sax": 65,
    "saxophone": 65, "sax": 65, "tenor sax": 66, "baritone sax": 67, "oboe": 68, "english horn": 69,
    "bassoon": 70, "clarinet": 71, "piccolo": 72, "flute": 73, "recorder": 74, "pan flute": 75,
    "bottle": 76, "shakuhachi": 77, "whistle": 78, "tin whistle": 78, "ocarina": 79, "square lead": 80,
    "chiptune": 80, "8-bit": 80, "8 bit": 80, "saw lead": 81, "sawtooth": 81, "synth lead": 81,
    "lead synth": 81, "calliope": 82, "chiff": 83, "charang": 84, "synth pad": 89, "pad": 89, "warm pad": 89,
    "new age pad": 88, "polysynth": 90, "space voice": 91, "bowed pad": 92, "metallic pad": 93, "halo pad": 94,
    "sweep pad": 95, "sitar": 104, "banjo": 105, "shamisen": 106, "koto": 107, "kalimba": 108,
    "bagpipe": 109, "bagpipes": 109, "shanai": 111, "steel drums": 114, "taiko": 116,
    "drums": DRUMS, "drum kit": DRUMS, "percussion": DRUMS, "beat": DRUMS,
}
# Families: one name, several parts.
INSTRUMENT_FAMILIES: dict[str, list[int]] = {
    "string quartet": [40, 40, 41, 42], "brass": [56, 60, 57, 58], "woodwinds": [73, 68, 71, 70],
    "orchestra": [48, 60, 73, 43, 47], "rock band": [30, 33, DRUMS], "jazz trio": [0, 32, DRUMS],
    "synthwave": [81, 89, 38, DRUMS], "satb": [52, 52, 52, 52], "four part choir": [52, 52, 52, 52],
    "mixed choir": [52, 52, 52, 52],
}


def parse_instruments(text: str) -> list[int]:
    """"piano, strings, bass, drums" (or "... bass and drums") -> [0, 48, 33, -1]; a ComposerError names an
    unknown instrument."""
    return [program for program, _ in parse_named(text)]


def parse_named(text: str) -> list[tuple[int, str | None]]:
    """Each part of an instrument list with the name it was given: "lead synth, bass" -> [(81, "Lead Synth"),
    (33, "Bass")]; an ensemble's parts, a GM number and drums have no name of their own (None)."""
    parts: list[tuple[int, str | None]] = []
    for raw in re.split(r",|\s+and\s+|\s*&\s*|\s*\+\s*", text):
        name = " ".join(raw.strip().lower().replace("_", " ").split())
        if not name:
            continue
        if name in INSTRUMENT_FAMILIES:
            parts += [(program, None) for program in INSTRUMENT_FAMILIES[name]]
        elif name in INSTRUMENT_PROGRAMS:
            program = INSTRUMENT_PROGRAMS[name]
            parts.append((program, None if program == DRUMS else track_name(name)))
        elif name.isdigit() and int(name) < 128:
            parts.append((int(name), None))
        else:
            raise ComposerError(f"unknown instrument {raw.strip()!r}; try e.g. piano, strings, bass, drums, flute")
    if not parts:
        raise ComposerError("no instruments given")
    return parts


def track_name(words: str) -> str:
    """A track name from the words a person used: "lead synth" -> "Lead Synth", "8-bit" -> "8-bit"."""
    return " ".join(word[:1].upper() + word[1:] for word in words.split())


def instrument_names(value: str | Sequence[str | int] | None) -> dict[int, str]:
    """GM program -> the name `value` (what the API takes as `instruments`) gave it, for named single
    instruments: "piano, lead synth" -> {0: "Piano", 81: "Lead Synth"}; the first name of a program wins."""
    items = [value] if isinstance(value, str) else list(value or ())
    names: dict[int, str] = {}
    for item in items:
        if isinstance(item, str):
            for program, name in parse_named(item):
                if name is not None:
                    names.setdefault(program, name)
    return names


def instrument_programs(value: str | Sequence[str | int] | None) -> list[int] | None:
    """What the API takes as `instruments` -> GM programs: "piano,bass", ["piano", "bass"], [0, 33] or a mix;
    None stays None (the prompt or a default decides)."""
    if value is None:
        return None
    if isinstance(value, str):
        return parse_instruments(value)
    programs: list[int] = []
    for item in value:
        if isinstance(item, str):
            programs += parse_instruments(item)
        elif isinstance(item, int) and not isinstance(item, bool) and DRUMS <= item < 128:
            programs.append(item)
        else:
            raise ComposerError(f"an instrument is a name or a GM program 0-127 (-1 for drums), not {item!r}")
    if not programs:
        raise ComposerError("no instruments given")
    return programs
