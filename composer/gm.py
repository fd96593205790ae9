"""General MIDI facts: program names, the drum channel and default track names."""

from __future__ import annotations

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
