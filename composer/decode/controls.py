"""Control tokens: the attributes of a piece as a token prefix the model is conditioned on.

Prefix order: Style, Key, Meter, BPM, Inst [Role]..., Density, Register, Dynamic, Poly, Bars. Any of them may
be absent (condition dropout in training; unspecified at inference).
"""

from __future__ import annotations

import bisect
from collections.abc import Mapping
from typing import Any

from composer.core.analysis import KEY_TONICS
from composer.decode.parts import CONDITIONED_AS, chord_tokens, role_tokens

TEMPO_EDGES = (60, 76, 96, 116, 140, 176)
TEMPO_BINS = ("grave", "slow", "andante", "moderato", "allegro", "fast", "presto")
DENSITY_EDGES = (4, 8, 16, 32)  # notes per bar, all tracks
DENSITY_BINS = ("sparse", "light", "medium", "busy", "dense")
REGISTER_EDGES = (52, 67)  # mean MIDI pitch
REGISTER_BINS = ("low", "mid", "high")
DYNAMIC_EDGES = (50, 70, 90, 110)  # mean velocity
DYNAMIC_BINS = ("pp", "p", "mf", "f", "ff")
POLYPHONY_EDGES = (1.5, 3.0)  # mean notes sounding at an onset
POLYPHONY_BINS = ("mono", "chords", "full")
BAR_EDGES = (9, 17, 33, 65)
BAR_BINS = ("8", "16", "32", "64", "long")
STYLES = ("chorale", "renaissance", "madrigal", "medieval", "folksong", "reel", "jig", "slipjig", "slide",
          "hornpipe", "strathspey", "polka", "march", "waltz", "air", "irish", "scottish", "classical",
          "baroque", "romantic", "ragtime", "song", "modern", "user")
METERS = ("1/4", "2/4", "3/4", "4/4", "5/4", "6/4", "1/2", "2/2", "3/2", "4/2", "3/8", "6/8", "9/8", "12/8")
MAX_INSTRUMENTS = 8


def bin_of(value: float, edges: tuple[float, ...], names: tuple[str, ...]) -> str:
    return names[bisect.bisect_right(edges, value)]


def key_token(tonic_pc: int, mode: str) -> str:
    return f"Key_{KEY_TONICS[tonic_pc % 12]}-{mode}"


def control_vocabulary() -> tuple[str, ...]:
    """Every control token, in a fixed order (their ids follow REMI's in the tokenizer)."""
    tokens = [f"Style_{s}" for s in STYLES]
    tokens += [key_token(pc, mode) for mode in ("major", "minor") for pc in range(12)]
    tokens += [f"Meter_{m}" for m in METERS]
    tokens += [f"BPM_{b}" for b in TEMPO_BINS]
    tokens += [f"Inst_{p}" for p in range(128)] + ["Inst_drums"]
    tokens += [f"Density_{b}" for b in DENSITY_BINS]
    tokens += [f"Register_{b}" for b in REGISTER_BINS]
    tokens += [f"Dynamic_{b}" for b in DYNAMIC_BINS]
    tokens += [f"Poly_{b}" for b in POLYPHONY_BINS]
    tokens += [f"Bars_{b}" for b in BAR_BINS]
    tokens += [*role_tokens(), *chord_tokens()]  # the part-wise vocabulary's (composer.decode.parts)
    return tuple(tokens)


CONTROL_FAMILIES = ("Style", "Key", "Meter", "BPM", "Inst", "Density", "Register", "Dynamic", "Poly", "Bars")


def controls_from_attributes(attributes: Mapping[str, Any]) -> list[str]:
    """The full control prefix for a piece's attributes (as saved by the corpus build)."""
    from composer.core.theory import pitch_class

    tonic, mode = attributes["key"].split()
    tokens = []
    if attributes["style"] in STYLES:
        tokens.append(f"Style_{attributes['style']}")
    tokens.append(key_token(pitch_class(tonic), mode))
    if attributes["meter"] in METERS:
        tokens.append(f"Meter_{attributes['meter']}")
    tokens.append(f"BPM_{bin_of(attributes['tempo_bpm'], TEMPO_EDGES, TEMPO_BINS)}")
    programs = sorted(attributes["programs"])[:MAX_INSTRUMENTS]
    tokens += part_controls(programs, attributes.get("roles"))
    tokens.append(f"Density_{bin_of(attributes['notes_per_bar'], DENSITY_EDGES, DENSITY_BINS)}")
    tokens.append(f"Register_{bin_of(attributes['mean_pitch'], REGISTER_EDGES, REGISTER_BINS)}")
    tokens.append(f"Dynamic_{bin_of(attributes['mean_velocity'], DYNAMIC_EDGES, DYNAMIC_BINS)}")
    tokens.append(f"Poly_{bin_of(attributes['polyphony'], POLYPHONY_EDGES, POLYPHONY_BINS)}")
    tokens.append(f"Bars_{bin_of(attributes['bars'], BAR_EDGES, BAR_BINS)}")
    return tokens


def part_controls(programs: list[int], roles: Mapping[int, str] | Mapping[str, str] | None = None) -> list[str]:
    """Inst_p for each program, each followed by its Role_r token where `roles` (program -> role; JSON keys
    may be strings) names one (a role the corpus lacks as parts.CONDITIONED_AS's)."""
    roles = {int(p): r for p, r in (roles or {}).items()}
    tokens = []
    for program in programs:
        tokens.append("Inst_drums" if program < 0 else f"Inst_{program}")
        if program in roles:
            tokens.append(f"Role_{CONDITIONED_AS.get(roles[program], roles[program])}")
    return tokens


def family_of(token: str) -> str:
    """A token's family for condition dropout: a part's role goes with its instrument."""
    family = token.split("_", 1)[0]
    return "Inst" if family == "Role" else family
