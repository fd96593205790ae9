"""Who plays what: a role for every pitched part, from --roles, then the prompt's words ("bass line on
cello", "piano comping"), then the ensemble and the instruments (the table below), each with its source.

The ensemble rules, in order, for parts the option and the prompt left open:
  a lone part plays the melody: a guitar or harp with both hands (its whole range); a keyboard that plays the
      melody adds a left hand (hands_for): the bass without a bass part, else chords below middle C;
  bass instruments (GM 32-39 basses, 43 contrabass, 58 tuba) are the bass; without one, with three or more
      parts, a cello, bassoon, trombone or baritone sax takes the bass line (else there is none: keyboards
      and harps keep their left hands); in the baroque style a cello or bassoon beside a keyboard plays the
      continuo bass even in a duet (a minuet for harpsichord and cello: the harpsichord has the tune);
  the melody is the first lead instrument (LEAD_PROGRAMS, in that order), else the highest-reaching part
      that is not a pad;
  synth pads (88-95), string sections (48-51), choirs (52-54) and organs (16-20) hold pads;
  keyboards (0-7), guitars (24-31), mallets (8-15) and accordions (21, 23) comp; the harp plays arpeggios;
  whatever is left plays a counter-line.
"""

from __future__ import annotations

import re
from collections.abc import Set as AbstractSet

from composer.core.errors import ComposerError
from composer.core.gm import playable_range
from composer.core.instruments import DRUMS, INSTRUMENT_PROGRAMS, parse_instruments
from composer.core.roles import (
    LEFT_HAND_REGISTER,
    RIGHT_HAND_REGISTER,
    ROLE_REGISTERS,
    ROLES,
    VOICE_REGISTERS,
    Register,
    register_for,
)
from composer.core.voices import CHOIRS, Voice, with_left_hand

BASS_PROGRAMS = frozenset({*range(32, 40), 43, 58})
LEAD_PROGRAMS = (73, 72, 74, 75, 40, 56, 65, 64, 66, 67, 71, 68, 69, 80, 81, 82, 83, 84, 85, 86, 87, 53, 52, 54,
                 60, 57, 59, 61, 62, 63, 21, 22, 23, 41, 70, 79, 78, 77, 76, 42)  # a cello duet: the cello sings
PAD_PROGRAMS = frozenset({*range(88, 96), *range(48, 52), 52, 53, 54, *range(16, 21)})
COMP_PROGRAMS = frozenset({*range(0, 16), *range(24, 32), 21, 23})  # accordions comp when not the tune
LOW_LINE_PROGRAMS = (42, 70, 57, 67, 32)  # cello, bassoon, trombone, baritone sax: a bass line without a bass
KEYBOARDS = frozenset({*range(0, 8), 21, 23})  # pianos and accordions: two hands when they carry the melody
CONTINUO_STYLES = frozenset({"baroque"})  # a low line beside a keyboard or organ is the basso continuo
CONTINUO_KEYBOARDS = frozenset({*range(0, 8), *range(16, 21)})
BASS_SECTIONS = frozenset({*range(0, 8), *range(16, 21), *range(48, 52)})  # play their own bass (hands_for)
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


def roles_from_text(prompt: str | None, programs: list[int], real: dict[int, int] | None = None,
                    ) -> dict[int, tuple[str, str]]:
    """Roles the prompt's words give its instruments: program -> (role, the words). `real` maps a voice's
    decode program to the instrument it is (composer.core.voices), for names."""
    text = re.sub(r"[\s-]+", " ", (prompt or "").lower())
    words = "|".join(sorted((re.escape(w) for w in ROLE_WORDS), key=len, reverse=True))
    found: dict[int, tuple[str, str]] = {}
    for program in programs:
        for name in _names((real or {}).get(program, program)):
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


def _ensemble_roles(programs: list[int], fixed: dict[int, str], real: dict[int, int],
                    style: str | None = None) -> dict[int, tuple[str, str]]:
    """The table's roles for the parts not fixed yet: program -> (role, why), judged by the instrument each
    voice is (`real`); `style` (the texture style) may make a low line the continuo bass."""
    def kind(program: int) -> int:
        return real.get(program, program)

    open_parts = [p for p in programs if p not in fixed]
    chosen: dict[int, tuple[str, str]] = {}
    if len(programs) == 1 and open_parts:
        program = open_parts[0]
        return {program: ("melody", "a lone part, both hands" if kind(program) in TWO_HANDS else "a lone part")}
    taken = set(fixed.values())
    if "bass" not in taken:
        basses = [p for p in open_parts if kind(p) in BASS_PROGRAMS]
        continuo = style in CONTINUO_STYLES and any(kind(p) in CONTINUO_KEYBOARDS for p in programs)
        if not basses and (len(programs) >= 3 or continuo):
            basses = [p for low in LOW_LINE_PROGRAMS for p in open_parts if kind(p) == low][:1]
        if not basses and len(programs) >= 3:  # a choir's (or any section's) lowest voice: its last
            sections = [p for p in open_parts if sum(kind(q) == kind(p) for q in programs) >= 3]
            basses = sections[-1:]
        if basses:
            chosen[basses[0]] = ("bass", "a bass instrument" if kind(basses[0]) in BASS_PROGRAMS else
                                 "the continuo bass" if continuo and len(programs) < 3 else
                                 "the ensemble's lowest line")
    rest = [p for p in open_parts if p not in chosen]
    if "melody" not in taken and rest:
        leads = [p for lead in LEAD_PROGRAMS for p in rest if kind(p) == lead]
        unpadded = [p for p in rest if kind(p) not in PAD_PROGRAMS] or rest
        melody = leads[0] if leads else max(unpadded, key=lambda p: playable_range(kind(p))[1])
        chosen[melody] = ("melody", "a lead instrument" if leads else "the highest part")
    for program in (p for p in open_parts if p not in chosen):
        if kind(program) in CHOIRS and sum(kind(q) == kind(program) for q in programs) > 1:
            chosen[program] = ("counter", "an inner voice")
        elif kind(program) in ARP_PROGRAMS:
            chosen[program] = ("arp", "a harp")
        elif kind(program) in PAD_PROGRAMS:
            chosen[program] = ("pad", "a sustaining instrument")
        elif kind(program) in COMP_PROGRAMS:
            chosen[program] = ("comp", "a keyboard, guitar, mallet instrument or accordion")
        else:
            chosen[program] = ("counter", "a second line")
    return chosen


def assign_roles(programs: list[int], prompt: str | None = None, option: dict[int, str] | None = None,
                 real: dict[int, int] | None = None, style: str | None = None) -> dict[int, tuple[str, str, str]]:
    """program -> (role, source, detail) for every pitched program: option, then text, then the table (in
    the texture `style`, if given). `programs` may be voices' decode programs, with `real` mapping each to
    the instrument it is (an option's instrument then sets every voice of it)."""
    real = real or {}
    pitched = [p for p in programs if p != DRUMS]
    unknown = sorted(set(option or {}) - {real.get(p, p) for p in pitched})
    if unknown:
        raise ComposerError(f"--roles names instruments the piece does not have (GM {unknown}); add them to "
                            "--instruments")
    roles = {p: ((option or {})[real.get(p, p)], "option", "") for p in pitched if real.get(p, p) in (option or {})}
    for program, (role, words) in roles_from_text(prompt, pitched, real).items():
        roles.setdefault(program, (role, "text", words))
    fixed = {p: r for p, (r, _, _) in roles.items()}
    for program, (role, why) in _ensemble_roles(pitched, fixed, real, style).items():
        roles[program] = (role, "inferred", why)
    return {p: roles[p] for p in pitched}


def registers_for(roles: dict[int, str], real: dict[int, int] | None = None,
                  left_hands: frozenset[int] = frozenset(), names: dict[int, str] | None = None,
                  right_hands: frozenset[int] = frozenset()) -> dict[int, Register]:
    """Each part's register window, by the instrument each voice is (`real`); a keyboard's left hand
    (`left_hands`) keeps below middle C, a choir's voices (`names`: Soprano, Alto, Tenor, Bass) their own ranges; a lone
    guitar or harp keeps its whole range (both hands)."""
    real, names = real or {}, names or {}
    windows = {}
    for program, role in roles.items():
        instrument = real.get(program, program)
        if program in left_hands and role != "bass":
            windows[program] = Register(*LEFT_HAND_REGISTER)
        elif program in right_hands and role == "melody":
            windows[program] = Register(*RIGHT_HAND_REGISTER)
        elif names.get(program) in VOICE_REGISTERS and instrument in CHOIRS:
            windows[program] = Register(*VOICE_REGISTERS[names[program]])
        else:
            windows[program] = register_for(instrument, role)
    if len(roles) == 1:
        (program,) = roles
        if real.get(program, program) in TWO_HANDS:
            low, high = playable_range(real.get(program, program))
            windows[program] = Register(max(low, 33), 62, min(high, 96))
    return windows


def hands_for(voices: list[Voice], roles: dict[int, str], known: AbstractSet[int] | None = None
              ) -> tuple[list[Voice], dict[int, str]]:
    """Parts that play with two hands (or a section's basses). A keyboard (GM 0-7) that plays the melody,
    with no other part holding the harmony, plays it with its right hand, and its left hand takes the bass
    when the ensemble has none (else chords below middle C). With no bass in the ensemble, a keyboard,
    organ or string section that accompanies (comp or pad) plays its own bass: a left hand, or a string
    section's basses. Returns the voices and roles with the lower voices added."""
    has_bass = "bass" in roles.values()
    harmony = any(role in ("comp", "pad", "arp", "counter") for role in roles.values())
    for index, voice in enumerate(voices):
        role = roles.get(voice.decode)
        if voice.hand:
            continue
        if voice.program in KEYBOARDS and role == "melody" and not harmony:
            lower = "comp" if has_bass else "bass"
        elif voice.program in BASS_SECTIONS and role in ("comp", "pad") and not has_bass and len(voices) > 1:
            lower = "bass"
        else:
            continue
        voices = with_left_hand(voices, index, known)
        return voices, {**roles, voices[index + 1].decode: lower}  # one part gets a second hand
    return voices, roles

__all__ = ["ROLE_REGISTERS", "assign_roles", "hands_for", "parse_roles", "registers_for", "roles_from_text"]
