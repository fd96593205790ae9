"""The most composer reads or renders, checked while reading, and the warning it gives for repaired input.

| what                                   | limit          | checked                                       |
|----------------------------------------|----------------|-----------------------------------------------|
| MIDI file size                         | 32 MiB         | before reading a byte past the header         |
| MIDI track chunks                      | 256            | from the header, before any track is read     |
| notes                                  | 500,000        | at each note-on, while reading                |
| controller changes and pitch bends     | 500,000        | at each one, while reading                    |
| events of any kind                     | 2,000,000      | at each one, while reading                    |
| tempo changes; meters; keys; markers   | 10,000 each    | at each one, while reading                    |
| the last event                         | beat 120,000   | at each event: 2 hours at the fastest tempo   |
| music (to the last event)              | 2 hours        | after reading, through the tempo map          |
| bars                                   | 10,000         | after reading; Score.bar_starts refuses more  |
| tempo                                  | 3.6-1000 bpm   | clamped while reading (MIDI holds >= 3.58)    |
| rendered audio                         | 2 hours        | before render allocates a sample              |
| picture file; picture pixels           | 20 MiB; 40 Mpx | before decoding (the header's declared size)  |

A file past a limit is refused with one ComposerError line. A malformed meta event is repaired where the
intent is clear (a tempo of 0 us per beat is the fastest tempo; one out of range is clamped) and dropped
where it is not (a key signature of 12 sharps, a meter of 0 beats); the repairs are reported in one
RepairWarning per file.
"""

from __future__ import annotations

from composer.core.errors import ComposerError

MAX_MIDI_BYTES = 32 * 2**20
MAX_TRACKS = 256
MAX_NOTES = 500_000
MAX_CONTROLS = 500_000  # controller changes and pitch bends together
MAX_EVENTS = 2_000_000  # every event in every track, including those composer ignores (aftertouch, sysex)
MAX_META = 10_000  # each of: tempo changes, time signatures, key signatures, markers
MAX_SECONDS = 2 * 3600.0
MAX_BARS = 10_000
MIN_BPM = 3.6  # MIDI's slowest tempo is 0xFFFFFF us per beat = 3.576 bpm; this is the next round tenth
MAX_BPM = 1000.0
MAX_BEATS = round(MAX_SECONDS * MAX_BPM / 60)  # no event later than this can fall within MAX_SECONDS
MAX_RENDER_SECONDS = 2 * 3600.0
MAX_IMAGE_BYTES = 20 * 2**20
MAX_IMAGE_PIXELS = 40_000_000


class RepairWarning(UserWarning):
    """Input that was read after repairing it: a clamped tempo, a dropped key signature, a clipped byte."""


class LimitError(ComposerError):
    """Input past one of composer's limits (see the table in composer.core.limits)."""


def clamp_bpm(bpm: float) -> float:
    """`bpm` within MIN_BPM..MAX_BPM, the tempos a Score holds and a MIDI file can carry."""
    return min(MAX_BPM, max(MIN_BPM, bpm))


def hours(seconds: float) -> str:
    """Seconds as h:mm:ss, for messages."""
    whole = int(seconds)
    return f"{whole // 3600}:{whole % 3600 // 60:02d}:{whole % 60:02d}"


def check_render_seconds(seconds: float) -> None:
    """Refuse to render more than MAX_RENDER_SECONDS of audio, before any samples are allocated."""
    if seconds > MAX_RENDER_SECONDS:
        raise LimitError(f"the score lasts {hours(seconds)}; composer renders at most "
                         f"{MAX_RENDER_SECONDS / 3600:g} hours of audio")
