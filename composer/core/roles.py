"""Ensemble roles and the register each plays in: an orchestration table, from real ranges and practice.

    melody    the tune: the highest line, mostly stepwise
    counter   a second line under (or briefly over) the melody
    bass      the lowest line: roots and fifths on the downbeats, a real line under chorales and quartets
    comp      chords or broken chords in rhythm (piano, guitar, organ, e-piano)
    pad       sustained chords of three or more notes, a bar or longer
    arp       broken chords in steady eighths or sixteenths (harp, chiptune, ambient)
    doubling  plays another part's line (no register of its own)

A part's register window is its role's window (ROLE_REGISTERS) intersected with what its instrument plays
well (composer.core.gm.playable_range), widened to at least MIN_WINDOW semitones around the overlap when
the two barely meet. Windows are hard limits on the pitches a part may choose; `centre` is where a part
is pulled to inside it.
"""

from __future__ import annotations

from dataclasses import dataclass

from composer.core.gm import playable_range

ROLES = ("melody", "counter", "bass", "comp", "pad", "arp", "doubling")

# role -> (low, centre, high) in MIDI numbers. Bass parts: chorale basses sit at a median of 51-52,
# quartet cellos 50-51, pop bass lines at E1-E3 (28-52); melodies above the accompaniment, in the
# treble staff; comping in the two octaves around middle C; pads a little above.
ROLE_REGISTERS: dict[str, tuple[int, int, int]] = {
    "melody": (60, 72, 91),
    "counter": (52, 64, 79),
    "bass": (28, 43, 55),
    "comp": (48, 60, 74),
    "pad": (48, 62, 79),
    "arp": (52, 67, 88),
    "doubling": (21, 64, 108),
}
RIGHT_HAND_REGISTER = (64, 76, 96)  # a keyboard's right hand over its own left hand: the tune, an octave up
LEFT_HAND_REGISTER = (38, 50, 64)  # a keyboard's left hand over a bass part: chords around and below middle C
# a choir's voices by name, whatever their role: a singer's range is the voice's, not the role's (the melody
# window let a soprano sit at G5-A5, the bass window centred a choir's basses at G2, where chorale basses
# sit at D3)
VOICE_REGISTERS: dict[str, tuple[int, int, int]] = {
    "Soprano": (60, 69, 81), "Alto": (53, 62, 74), "Tenor": (47, 57, 69), "Bass": (40, 50, 62)}
# their order from the top, as ranks beside the roles' (composer.constraints.roles.RANKS: melody 3, counter 2,
# bass 0): the alto and the tenor are both inner voices (counter), and the alto keeps over the tenor
VOICE_RANKS: dict[str, float] = {"Soprano": 3.0, "Alto": 2.0, "Tenor": 1.5, "Bass": 0.0}
MIN_WINDOW = 15  # semitones: a window narrower than this leaves no room for a line


@dataclass(frozen=True)
class Register:
    """Where one part plays: hard limits and the pitch it is pulled toward."""

    low: int
    centre: int
    high: int


def register_for(program: int, role: str) -> Register:
    """The register window of GM `program` playing `role` (see the module docstring)."""
    role_low, centre, role_high = ROLE_REGISTERS[role]
    play_low, play_high = playable_range(program)
    low, high = max(role_low, play_low), min(role_high, play_high)
    if high - low < MIN_WINDOW:  # the instrument barely reaches the role's register: keep its nearest part
        if play_high < role_low + MIN_WINDOW:
            low, high = max(play_low, play_high - MIN_WINDOW), play_high
        else:
            low, high = play_low, min(play_high, play_low + MIN_WINDOW)
    return Register(low, min(max(centre, low + 3), high - 3), high)
