"""Part roles and idiomatic pitch ranges for musicality metrics, read from a MIDI file's track names and programs.

Roles: melody, counter, bass, comp, pad, arp, doubling, inner (inner = a middle voice whose job is unknown).

`infer_roles(parts)` decides each part's role in this order (the first rule that says something wins):
  1. Track name (lower-cased, whole words, table NAME_ROLES, first match): "doubling" -> doubling, "counter" ->
     counter, "pad" -> pad, "arp"/"arpeggio" -> arp, "comp"/"chords"/"accompaniment"/"rhythm" -> comp,
     "bass"/"contrabass"/"double bass"/"bassoon"/"tuba"/"basso"/"continuo"/"left hand"/"lh" -> bass,
     "soprano"/"violin i"/"violin 1"/"melody"/"lead"/"right hand"/"rh"/"voice"/"vocal" -> melody,
     "alto"/"tenor"/"violin ii"/"violin 2"/"viola" -> inner; "cello"/"violoncello" -> bass when it is the
     lowest-median part of all, or when nothing else is a bass by name or program and it is the lowest-median
     cello; other cellos -> inner.
  2. GM program (table PROGRAM_ROLES): 32-39 (basses), 43 contrabass, 58 tuba, 70 bassoon -> bass;
     88-95 (synth pads) -> pad; 80-87 (synth leads) -> melody.
  3. Register, over the parts still undecided: if no part is a melody yet, the highest-median one is the melody;
     if no part is a bass yet and there are 2+ parts, the lowest-median remaining one is the bass, if no other part
     sits lower (a whistle over a comping guitar is no bass line).
  4. Whatever is left: comp when its program is a keyboard, organ or guitar (0-7, 16-31), else inner.

`roles_from_families(parts, expected)` first gives roles from a prompt's instrument families (FAMILIES), then
falls back to the rules above for the parts it did not match (rule 3 only fills a melody or bass still missing).

`idiomatic_range(name, program, role)` looks a part up in IDIOMATIC_RANGES by, in order: track-name words
(RANGE_NAME_WORDS, first match), then GM program (RANGE_PROGRAMS), then role (ROLE_RANGES; anything else gets the
piano's 21-108). A part whose role is bass and whose instrument is a cello gets the cello-as-bass range 36-60; a
part named only "bass" is a bass voice (40-64) unless its program is a bass instrument's (then 28-55).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from statistics import median

import pretty_midi

ROLES: tuple[str, ...] = ("melody", "counter", "bass", "comp", "pad", "arp", "doubling", "inner")

# Register rank for voice crossing: melody above everything, bass below everything, the rest in between
# (unordered among themselves). Doubling parts have no rank and are left out of crossing.
REGISTER_RANK: dict[str, int] = {
    "melody": 2,
    "counter": 1,
    "comp": 1,
    "pad": 1,
    "arp": 1,
    "inner": 1,
    "bass": 0,
}

# Track-name rules, tried in order; the pattern is searched in the lower-cased name.
NAME_ROLES: tuple[tuple[str, str], ...] = (
    (r"\bdoubl", "doubling"),
    (r"\bcounter", "counter"),
    (r"\bpads?\b", "pad"),
    (r"\barp(s|eggio|eggios)?\b", "arp"),
    (r"\bcomp\b|\bchords?\b|\baccomp|\brhythm\b", "comp"),
    (r"\bbassoon|\bcontrabass|\bdouble bass|\bbass\b|\btuba\b|\bbasso\b|\bcontinuo\b|\bleft hand\b|\blh\b", "bass"),
    (r"\bsoprano|\bviolin\s*(i|1)\b|\bmelody|\blead\b|\bright hand\b|\brh\b|\bvoice\b|\bvocal", "melody"),
    (r"\balto\b|\btenor\b|\bviolin\s*(ii|2)\b|\bviola\b", "inner"),
)
CELLO_NAME = r"cello\b"  # cello: bass when lowest, else inner

BASS_PROGRAMS: frozenset[int] = frozenset([*range(32, 40), 43, 58, 70])  # basses, contrabass, tuba, bassoon
PAD_PROGRAMS: frozenset[int] = frozenset(range(88, 96))  # GM synth pads
LEAD_PROGRAMS: frozenset[int] = frozenset(range(80, 88))  # GM synth leads
COMP_PROGRAMS: frozenset[int] = frozenset([*range(0, 8), *range(16, 32)])  # pianos, organs, guitars
PROGRAM_ROLES: tuple[tuple[frozenset[int], str], ...] = (
    (BASS_PROGRAMS, "bass"),
    (PAD_PROGRAMS, "pad"),
    (LEAD_PROGRAMS, "melody"),
)

# Instrument families a prompt may name, as sets of 0-based GM programs.
FAMILIES: dict[str, frozenset[int]] = {
    "piano": frozenset(range(0, 8)),  # acoustic/electric pianos 0-5, harpsichord 6, clavinet 7
    "electric_piano": frozenset({4, 5}),
    "celesta": frozenset({8}),
    "vibraphone": frozenset({11}),
    "organ": frozenset(range(16, 24)),
    "accordion": frozenset(range(21, 24)),
    "acoustic_guitar": frozenset({24, 25}),
    "electric_guitar": frozenset(range(26, 32)),
    "bass": frozenset(range(32, 40)),
    "electric_bass": frozenset(range(33, 40)),
    "violin": frozenset({40, 48, 49}),
    "viola": frozenset({41}),
    "cello": frozenset({42}),
    "strings": frozenset(range(40, 52)),
    "harp": frozenset({46}),
    "timpani": frozenset({47}),
    "choir": frozenset(range(52, 55)),
    "synth_voice": frozenset({54, 85}),
    "trumpet": frozenset({56}),
    "trombone": frozenset({57}),
    "tuba": frozenset({58}),
    "french_horn": frozenset({60}),
    "brass": frozenset(range(56, 64)),
    "alto_sax": frozenset(range(64, 68)),
    "clarinet": frozenset({71}),
    "flute": frozenset(range(72, 76)),
    "synth_lead": frozenset(range(80, 88)),
    "synth_pad": frozenset(range(88, 96)),
}
FAMILY_ROLE_ORDER: tuple[str, ...] = ("bass", "melody", "comp", "pad", "two_hands")  # order roles are given out

# Idiomatic ranges (low, high) as MIDI note numbers, from the real instruments' and voices' ranges.
IDIOMATIC_RANGES: dict[str, tuple[int, int]] = {
    "bass_instrument": (28, 55),  # electric / acoustic bass guitar, E1-G3
    "contrabass": (28, 55),  # E1-G3
    "cello_bass": (36, 60),  # cello playing the bass line, C2-C4
    "tuba": (28, 58),  # E1-B♭3
    "bassoon": (34, 65),  # B♭1-F4
    "soprano": (60, 81),  # C4-A5
    "alto": (53, 74),  # F3-D5
    "tenor": (48, 69),  # C3-A4
    "bass_voice": (40, 64),  # E2-E4
    "violin": (55, 100),  # G3-E7
    "viola": (48, 88),  # C3-E6
    "cello": (36, 76),  # C2-E5
    "piano": (21, 108),  # A0-C8
    "ensemble": (36, 84),  # pads, string/brass ensembles, C2-C6
    "flute": (60, 96),  # C4-C7
    "clarinet": (50, 91),  # D3-G6 (sounding, B♭ clarinet)
    "oboe": (58, 91),  # B♭3-G6
    "trumpet": (54, 82),  # F♯3-B♭5
    "horn": (41, 77),  # F2-F5
    "trombone": (40, 72),  # E2-C5
    "alto_sax": (49, 81),  # D♭3-A5 (sounding)
    "tenor_sax": (44, 76),  # A♭2-E5 (sounding)
    "guitar": (40, 88),  # E2-E6
    "synth_lead": (48, 96),  # C3-C7
    "choir": (40, 81),  # E2-A5, all four voices
}

# Track-name words -> IDIOMATIC_RANGES key, tried in order (instruments before SATB voices).
RANGE_NAME_WORDS: tuple[tuple[str, str], ...] = (
    (r"contrabass|double bass|kontrabass", "contrabass"),
    (r"electric bass|bass guitar|fretless|slap bass|synth bass|acoustic bass|finger bass|pick bass", "bass_instrument"),
    (r"bassoon|fagott", "bassoon"),
    (r"tuba", "tuba"),
    (r"cello", "cello"),
    (r"viola\b", "viola"),
    (r"violin", "violin"),
    (r"flute|piccolo", "flute"),
    (r"clarinet", "clarinet"),
    (r"oboe", "oboe"),
    (r"trumpet", "trumpet"),
    (r"trombone", "trombone"),
    (r"\bhorn", "horn"),
    (r"alto sax", "alto_sax"),
    (r"tenor sax", "tenor_sax"),
    (r"guitar", "guitar"),
    (r"piano|keyboard|harpsichord|right hand|left hand", "piano"),
    (r"choir|chorus", "choir"),
    (r"soprano", "soprano"),
    (r"\balto\b", "alto"),
    (r"\btenor\b", "tenor"),
    (r"\bbass\b", "bass_voice"),
)

# GM program (0-based) -> IDIOMATIC_RANGES key.
RANGE_PROGRAMS: dict[int, str] = {
    **dict.fromkeys(range(0, 8), "piano"),
    **dict.fromkeys(range(24, 32), "guitar"),
    **dict.fromkeys(range(32, 40), "bass_instrument"),
    40: "violin",
    41: "viola",
    42: "cello",
    43: "contrabass",
    **dict.fromkeys([44, 45, 48, 49, 50, 51, 61, 62, 63], "ensemble"),
    **dict.fromkeys(range(52, 55), "choir"),
    56: "trumpet",
    57: "trombone",
    58: "tuba",
    59: "trumpet",
    60: "horn",
    64: "alto_sax",
    65: "alto_sax",
    66: "tenor_sax",
    67: "tenor_sax",
    68: "oboe",
    69: "oboe",
    70: "bassoon",
    71: "clarinet",
    **dict.fromkeys(range(72, 80), "flute"),
    **dict.fromkeys(range(80, 88), "synth_lead"),
    **dict.fromkeys(range(88, 96), "ensemble"),
}

# Role -> IDIOMATIC_RANGES key when neither name nor program says; other roles get "piano".
ROLE_RANGES: dict[str, str] = {"bass": "bass_instrument", "pad": "ensemble"}


def median_pitch(part: pretty_midi.Instrument) -> float:
    """Median MIDI pitch of a part's notes (0 for a part without notes)."""
    return float(median(n.pitch for n in part.notes)) if part.notes else 0.0


def role_from_name(name: str) -> str | None:
    """The role a track name states (cello aside), or None."""
    lowered = name.lower()
    for pattern, role in NAME_ROLES:
        if re.search(pattern, lowered):
            return role
    return None


def role_from_program(program: int) -> str | None:
    """The role a GM program implies, or None."""
    for programs, role in PROGRAM_ROLES:
        if program in programs:
            return role
    return None


def _fill_roles(parts: Sequence[pretty_midi.Instrument], fixed: Sequence[str | None]) -> list[str]:
    """Roles for the parts not fixed already, by name, program, register, then leftover rules."""
    medians = [median_pitch(p) for p in parts]
    lowest = min(range(len(parts)), key=lambda i: medians[i]) if parts else -1
    roles: list[str | None] = list(fixed)
    for i, part in enumerate(parts):
        if roles[i] is None:
            roles[i] = role_from_name(part.name) or role_from_program(part.program)
    cellos = [i for i, p in enumerate(parts) if roles[i] is None and re.search(CELLO_NAME, p.name.lower())]
    lowest_cello = min(cellos, key=lambda i: (medians[i], i)) if cellos and "bass" not in roles else None
    for i in cellos:
        roles[i] = "bass" if i in (lowest, lowest_cello) else "inner"
    undecided = [i for i, r in enumerate(roles) if r is None]
    if undecided and "melody" not in roles:
        top = max(undecided, key=lambda i: (medians[i], -i))
        roles[top] = "melody"
        undecided.remove(top)
    if undecided and "bass" not in roles and len(parts) >= 2:
        bottom = min(undecided, key=lambda i: (medians[i], i))
        if medians[bottom] <= medians[lowest]:  # a part with another part under it is no bass line
            roles[bottom] = "bass"
            undecided.remove(bottom)
    for i in undecided:
        roles[i] = "comp" if parts[i].program in COMP_PROGRAMS else "inner"
    return [r or "inner" for r in roles]


def infer_roles(parts: Sequence[pretty_midi.Instrument]) -> list[str]:
    """Each part's role from its track name, GM program and register (rules in the module docstring)."""
    return _fill_roles(parts, [None] * len(parts))


def family_programs(family: str) -> frozenset[int]:
    """GM programs of a named instrument family; ValueError for an unknown family."""
    if family not in FAMILIES:
        raise ValueError(f"unknown instrument family {family!r}; known: {', '.join(sorted(FAMILIES))}")
    return FAMILIES[family]


def _give_two_hands(matches: list[int], medians: list[float], roles: list[str | None]) -> None:
    """Roles for the parts of a two-handed instrument: top = melody, bottom = bass when free, else comp."""
    ordered = sorted(matches, key=lambda i: medians[i])
    for i in ordered:
        roles[i] = "comp"
    melody_taken = any(r == "melody" for j, r in enumerate(roles) if j not in matches)
    bass_taken = any(r == "bass" for j, r in enumerate(roles) if j not in matches)
    if not melody_taken:
        roles[ordered[-1]] = "melody"
    if len(ordered) >= 2 and not bass_taken:
        roles[ordered[0]] = "bass"


def roles_from_families(parts: Sequence[pretty_midi.Instrument], expected: dict[str, str]) -> list[str]:
    """Roles from a prompt's role -> instrument-family map, falling back to `infer_roles` rules for the rest.

    Roles are given out in the order bass, melody, comp, pad, two_hands, then any other role named. A part whose
    program is in the family gets the role, except: bass goes to the lowest-median matching part only; the
    parts of a two_hands family (a piano's staves) give the highest-median one melody and, with 2+, the
    lowest-median one bass, unless another part holds that role already; the other staves are comp.
    """
    unknown = [role for role in expected if role not in (*ROLES, "two_hands")]
    if unknown:
        raise ValueError(f"unknown role(s) {unknown}; known: {', '.join((*ROLES, 'two_hands'))}")
    medians = [median_pitch(p) for p in parts]
    roles: list[str | None] = [None] * len(parts)
    order = [r for r in FAMILY_ROLE_ORDER if r in expected] + [r for r in expected if r not in FAMILY_ROLE_ORDER]
    for role in order:
        programs = family_programs(expected[role])
        matches = [i for i, p in enumerate(parts) if roles[i] is None and not p.is_drum and p.program in programs]
        if not matches:
            continue
        if role == "bass":
            roles[min(matches, key=lambda i: (medians[i], i))] = "bass"
        elif role == "two_hands":
            _give_two_hands(matches, medians, roles)
        else:
            for i in matches:
                roles[i] = role
    return _fill_roles(parts, roles)


def range_key(name: str, program: int, role: str) -> str:
    """The IDIOMATIC_RANGES key for a part: by track-name words, then GM program, then role."""
    lowered = name.lower()
    key = next((k for pattern, k in RANGE_NAME_WORDS if re.search(pattern, lowered)), None)
    if key == "bass_voice" and program in BASS_PROGRAMS:
        key = RANGE_PROGRAMS[program]
    if key is None:
        key = RANGE_PROGRAMS.get(program)
    if key is None:
        key = ROLE_RANGES.get(role, "piano")
    if key == "cello" and role == "bass":
        key = "cello_bass"
    return key


def idiomatic_range(name: str, program: int, role: str) -> tuple[int, int]:
    """(low, high) MIDI range a part should stay inside (lookup order in the module docstring)."""
    return IDIOMATIC_RANGES[range_key(name, program, role)]
