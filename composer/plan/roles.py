"""Who plays what: a role for every pitched part, from --roles, then the prompt's words ("bass line on
cello", "piano comping"), then the ensemble and the instruments (the table below), each with its source.

The ensemble rules, in order, for parts the option and the prompt left open:
  a lone part plays everything: a keyboard, guitar or harp with both hands (its whole range), else the melody;
  bass instruments (GM 32-39 basses, 43 contrabass, 58 tuba) are the bass; without one, with three or more
      parts, a cello, bassoon, trombone or baritone sax takes the bass line (else there is none: keyboards
      and harps keep their left hands);
  the melody is the first lead instrument (LEAD_PROGRAMS, in that order), else the highest-reaching part
      that is not a pad;
  synth pads (88-95), string sections (48-51), choirs (52-54) and organs (16-20) hold pads;
  keyboards (0-7), guitars (24-31) and mallets (8-15) comp; the harp plays arpeggios;
  whatever is left plays a counter-line.
"""

from __future__ import annotations

import re

from composer.core.errors import ComposerError
from composer.core.gm import playable_range
from composer.core.instruments import DRUMS, INSTRUMENT_PROGRAMS, parse_instruments
from composer.core.roles import ROLE_REGISTERS, ROLES, Register, register_for

BASS_PROGRAMS = frozenset({*range(32, 40), 43, 58})
LEAD_PROGRAMS = (73, 72, 74, 75, 40, 56, 65, 64, 66, 67, 71, 68, 69, 80, 81, 82, 83, 84, 85, 86, 87, 53, 52, 54,
                 60, 57, 59, 61, 62, 63, 21, 22, 23, 41, 70, 79, 78, 77, 76)
PAD_PROGRAMS = frozenset({*range(88, 96), *range(48, 52), 52, 53, 54, *range(16, 21)})
COMP_PROGRAMS = frozenset({*range(0, 16), *range(24, 32)})
LOW_LINE_PROGRAMS = (42, 70, 57, 67, 32)  # cello, bassoon, trombone, baritone sax: a bass line without a bass
TWO_HANDS = frozenset({*range(0, 8), *range(24, 32), 46})  # a lone one of these plays its whole range
ARP_PROGRAMS = frozenset({46})
# words after an instrument ("piano comping") or before "on/for/by <instrument>" ("bass line on cello")
ROLE_WORDS: dict[str, str] = {
    "comping": "comp", "comp": "comp", "comps": "comp", "chords": "comp", "rhythm": "comp",
    "pad": "pad", "pads": "pad", "drone": "pad", "sustained chords": "pad",
    "arpeggios": "arp", "arpeggio": "arp", "arpeggiated": "arp", "arps": "arp",
    "bass line": "bass", "bassline": "bass", "bass": "bass",
    "melody": "melody", "lead": "melody", "tune": "melody", "solo": "melody",
    "countermelody": "counter", "counter-melody": "counter", "counter melody": "counter", "counter": "counter",
    "doubling": "doubling", "doubles": "doubling",
}


def _names(program: int) -> list[str]:
    return sorted((n for n, p in INSTRUMENT_PROGRAMS.items() if p == program), key=len, reverse=True)


def roles_from_text(prompt: str | None, programs: list[int]) -> dict[int, tuple[str, str]]:
    """Roles the prompt's words give its instruments: program -> (role, the words)."""
    text = re.sub(r"[\s-]+", " ", (prompt or "").lower())
    words = "|".join(sorted((re.escape(w) for w in ROLE_WORDS), key=len, reverse=True))
    found: dict[int, tuple[str, str]] = {}
    for program in programs:
        for name in _names(program):
            after = re.search(rf"(?<![a-z]){re.escape(name)} ({words})(?![a-z])", text)
            before = re.search(rf"(?<![a-z])({words}) (?:line )?(?:on|for|from|by|played by|in) (?:the |a )?"
                               rf"{re.escape(name)}(?![a-z])", text)
            match = after or before
            if match and not (match.group(1) == "bass" and "bass" in name):
                found[program] = (ROLE_WORDS[match.group(1)], match.group(0))
                break
    return found


def parse_roles(text: str) -> dict[int, str]:
    """"piano=comp,cello=bass" -> {0: "comp", 42: "bass"}; one-line errors name the bad entry."""
    roles: dict[int, str] = {}
    for entry in (e.strip() for e in text.split(",") if e.strip()):
        name, _, role = entry.partition("=")
        role = role.strip().lower()
        if role not in ROLES:
            raise ComposerError(f"--roles {entry!r}: the role is one of {', '.join(ROLES)}")
        programs = [p for p in parse_instruments(name) if p != DRUMS]
        if not programs:
            raise ComposerError(f"--roles {entry!r}: name a pitched instrument before '='")
        for program in programs:
            roles[program] = role
    return roles


def _ensemble_roles(programs: list[int], fixed: dict[int, str]) -> dict[int, tuple[str, str]]:
    """The table's roles for the parts not fixed yet: program -> (role, why)."""
    open_parts = [p for p in programs if p not in fixed]
    chosen: dict[int, tuple[str, str]] = {}
    if len(programs) == 1 and open_parts:
        program = open_parts[0]
        return {program: ("melody", "a lone part, both hands" if program in TWO_HANDS else "a lone part")}
    taken = set(fixed.values())
    if "bass" not in taken:
        basses = [p for p in open_parts if p in BASS_PROGRAMS]
        if not basses and len(programs) >= 3:
            basses = [p for p in LOW_LINE_PROGRAMS if p in open_parts][:1]
        if basses:
            chosen[basses[0]] = ("bass", "a bass instrument" if basses[0] in BASS_PROGRAMS else
                                 "the ensemble's lowest line")
    rest = [p for p in open_parts if p not in chosen]
    if "melody" not in taken and rest:
        leads = [p for p in LEAD_PROGRAMS if p in rest]
        unpadded = [p for p in rest if p not in PAD_PROGRAMS] or rest
        melody = leads[0] if leads else max(unpadded, key=lambda p: playable_range(p)[1])
        chosen[melody] = ("melody", "a lead instrument" if leads else "the highest part")
    for program in (p for p in open_parts if p not in chosen):
        if program in ARP_PROGRAMS:
            chosen[program] = ("arp", "a harp")
        elif program in PAD_PROGRAMS:
            chosen[program] = ("pad", "a sustaining instrument")
        elif program in COMP_PROGRAMS:
            chosen[program] = ("comp", "a keyboard, guitar or mallet instrument")
        else:
            chosen[program] = ("counter", "a second line")
    return chosen


def assign_roles(programs: list[int], prompt: str | None = None, option: dict[int, str] | None = None,
                 ) -> dict[int, tuple[str, str, str]]:
    """program -> (role, source, detail) for every pitched program: option, then text, then the table."""
    pitched = [p for p in programs if p != DRUMS]
    unknown = sorted(set(option or {}) - set(pitched))
    if unknown:
        raise ComposerError(f"--roles names instruments the piece does not have (GM {unknown}); add them to "
                            "--instruments")
    roles = {p: (r, "option", "") for p, r in (option or {}).items()}
    for program, (role, words) in roles_from_text(prompt, pitched).items():
        roles.setdefault(program, (role, "text", words))
    fixed = {p: r for p, (r, _, _) in roles.items()}
    for program, (role, why) in _ensemble_roles(pitched, fixed).items():
        roles[program] = (role, "inferred", why)
    return {p: roles[p] for p in pitched}


def registers_for(roles: dict[int, str]) -> dict[int, Register]:
    """Each part's register window; a lone keyboard, guitar or harp keeps its whole range (two hands)."""
    windows = {program: register_for(program, role) for program, role in roles.items()}
    if len(roles) == 1:
        (program,) = roles
        if program in TWO_HANDS:
            low, high = playable_range(program)
            windows[program] = Register(max(low, 33), 62, min(high, 96))
    return windows


__all__ = ["ROLE_REGISTERS", "assign_roles", "parse_roles", "registers_for", "roles_from_text"]
