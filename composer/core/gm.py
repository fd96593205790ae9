"""General MIDI facts: program names, the drum channel and default track names."""

from __future__ import annotations

import contextlib
import io

# pretty_midi imports pyfluidsynth, which prints where it found the library to stdout whenever $CI is
# set; that line would corrupt `composer generate --json` (and stderr holds one error line), so drop it.
with contextlib.redirect_stdout(io.StringIO()):
    import pretty_midi

DRUM_CHANNEL = 9  # channel 10 when counted from 1, as General MIDI does
NUM_PROGRAMS = 128


def program_name(program: int) -> str:
    """The General MIDI name of `program` (0-127), e.g. 0 -> "Acoustic Grand Piano"."""
    if not 0 <= program < NUM_PROGRAMS:
        raise ValueError(f"a GM program is 0-127, not {program}")
    return str(pretty_midi.program_to_instrument_name(program))


def default_track_name(program: int, is_drum: bool) -> str:
    """The name a track gets when its file gave it none."""
    return "Drums" if is_drum else program_name(program)


# Playable range (lowest, highest MIDI pitch) of each GM program, from standard orchestration ranges
# (written ranges for transposing instruments converted to sounding pitch). Families where the
# synth has no real-world counterpart get a comfortable 36-96.
_RANGE_GROUPS: list[tuple[range, tuple[int, int]]] = [
    (range(0, 8), (21, 108)),  # pianos, harpsichord, clavinet
    (range(16, 21), (36, 96)),  # organs
    (range(24, 26), (40, 88)), (range(26, 32), (40, 86)),  # acoustic and electric guitars
    (range(32, 40), (28, 67)),  # basses
    (range(48, 52), (28, 103)),  # string ensembles
    (range(52, 55), (40, 84)),  # choir, voice, synth voice
    (range(80, 104), (36, 96)),  # synth leads, pads, effects
    (range(112, 128), (36, 84)),  # percussive and sound effects
]
_RANGE_SINGLE = {
    8: (60, 108), 9: (79, 108), 10: (60, 96), 11: (53, 89), 12: (45, 96), 13: (65, 108), 14: (60, 77), 15: (48, 84),
    21: (53, 89), 22: (60, 84), 23: (53, 89),
    40: (55, 103), 41: (48, 88), 42: (36, 76), 43: (28, 67), 44: (28, 103), 45: (28, 103), 46: (23, 103), 47: (40, 55),
    55: (36, 84), 56: (54, 86), 57: (40, 72), 58: (28, 58), 59: (54, 82), 60: (34, 77), 61: (34, 86), 62: (36, 96),
    63: (36, 96), 64: (56, 88), 65: (49, 81), 66: (44, 76), 67: (36, 69), 68: (58, 91), 69: (52, 81), 70: (34, 75),
    71: (50, 94), 72: (74, 108), 73: (60, 96), 74: (60, 96), 75: (60, 96), 76: (60, 84), 77: (55, 84), 78: (60, 96),
    79: (60, 84), 104: (48, 84), 105: (48, 84), 106: (50, 84), 107: (55, 96), 108: (48, 84), 109: (55, 77),
    110: (55, 96), 111: (55, 84),
}


def playable_range(program: int) -> tuple[int, int]:
    """(lowest, highest) MIDI pitch that GM `program` plays well; see the table above."""
    if program in _RANGE_SINGLE:
        return _RANGE_SINGLE[program]
    for programs, pitch_range in _RANGE_GROUPS:
        if program in programs:
            return pitch_range
    raise ValueError(f"a GM program is 0-127, not {program}")
