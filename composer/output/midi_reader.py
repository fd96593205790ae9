"""Standard MIDI File bytes into a Score, byte by byte within composer.core.limits, repairing bad meta events."""

from __future__ import annotations

import unicodedata
import warnings
from collections import Counter, defaultdict, deque

from composer.core.errors import MidiReadError
from composer.core.gm import DRUM_CHANNEL, default_track_name
from composer.core.limits import (
    MAX_BARS,
    MAX_BEATS,
    MAX_BPM,
    MAX_CONTROLS,
    MAX_EVENTS,
    MAX_META,
    MAX_NOTES,
    MAX_SECONDS,
    MAX_TRACKS,
    LimitError,
    RepairWarning,
    clamp_bpm,
    hours,
)
from composer.core.score import (
    TICKS_PER_BEAT,
    ControlChange,
    KeySignature,
    Marker,
    Note,
    PitchBend,
    Score,
    TempoChange,
    TimeSignature,
    Track,
    one_per_tick,
)

SYSTEM_DATA_BYTES = {0xF1: 1, 0xF2: 2, 0xF3: 1, 0xF6: 0, 0xF8: 0, 0xFA: 0, 0xFB: 0, 0xFC: 0, 0xFE: 0}
METERS = (1, 2, 4, 8, 16, 32, 64)  # note values a time signature may count in
MAX_VLQ_BYTES = 5  # the standard allows 4; mido writes a fifth for deltas of 2^28 ticks or more


class _Ended(Exception):
    """The data of a track ended in the middle of an event."""


def parse_midi(data: bytes, label: str, title: str = "") -> Score:
    """The Score in the bytes of a Standard MIDI File at 480 ticks per beat; `label` names it in errors.

    Notes are paired first-in first-out per channel and pitch, as pretty_midi does; each (track, channel,
    program) becomes one Track. Raises MidiReadError for data that is not a readable MIDI file, LimitError
    as soon as a limit of composer.core.limits is passed, and warns (RepairWarning) of what it repaired.
    """
    if len(data) < 14:
        raise MidiReadError(f"{label} is a truncated MIDI file (it ends inside its header)")
    size = int.from_bytes(data[4:8], "big")
    if size < 6:
        raise MidiReadError(f"{label} is a damaged MIDI file (a header of {size} bytes, not 6)")
    declared = int.from_bytes(data[10:12], "big")
    division = int.from_bytes(data[12:14], "big", signed=True)
    if division < 0:
        raise MidiReadError(f"{label} uses SMPTE time code, which composer does not read")
    if division == 0:
        raise MidiReadError(f"{label} is a damaged MIDI file (0 ticks per beat, so its events have no time)")
    if declared > MAX_TRACKS:
        raise LimitError(f"{label} declares {declared:,} tracks; composer reads at most {MAX_TRACKS}")
    reader = _Reader(division, label)
    pos, found = 8 + size, 0
    while found < declared:
        if pos + 8 > len(data):
            raise MidiReadError(f"{label} is a truncated MIDI file (it ends in the middle of a track)")
        name, length = data[pos:pos + 4], int.from_bytes(data[pos + 4:pos + 8], "big")
        pos += 8
        if name == b"MTrk":
            reader.read_track(data[pos:pos + length], cut=pos + length > len(data), start=pos,
                              default_name=title if found == 0 else "")
            found += 1
        else:
            reader.repairs["skipped chunks that are not tracks"] += 1
        pos += length
    return reader.score(title)


class _Reader:
    """Collects notes, controllers and meta events, track after track, counting against the limits."""

    def __init__(self, division: int, label: str) -> None:
        self.division, self.label = division, label
        self.scale = TICKS_PER_BEAT / division
        self.last_tick = MAX_BEATS * division  # source ticks: no later event can fall within MAX_SECONDS
        self.tempos: list[TempoChange] = []
        self.meters: list[TimeSignature] = []
        self.keys: list[KeySignature] = []
        self.markers: list[Marker] = []
        self.tracks: list[Track] = []
        self.notes = self.controls = self.events = self.length = 0
        self.repairs: Counter[str] = Counter()

    def refuse(self, what: str, limit: int) -> LimitError:
        return LimitError(f"{self.label} holds more than {limit:,} {what}, more than composer reads")

    def damaged(self, reason: str, offset: int) -> MidiReadError:
        return MidiReadError(f"{self.label} is a damaged MIDI file ({reason} at byte {offset})")

    def read_track(self, track: bytes, cut: bool, start: int, default_name: str) -> None:
        """Read one MTrk chunk's data; `cut` when the file ends before the chunk's declared end."""
        scale, last_tick, size = self.scale, self.last_tick, len(track)
        name = ""
        programs = [0] * 16
        sounding: dict[int, deque[tuple[int, int, int]]] = {}  # channel << 7 | pitch -> (start, velocity, program)
        notes: dict[tuple[int, int], list[Note]] = defaultdict(list)  # (channel, program) -> notes
        controls: dict[int, list[ControlChange]] = defaultdict(list)
        bends: dict[int, list[PitchBend]] = defaultdict(list)
        now = status = pos = 0
        events, max_events, notes_left = self.events, MAX_EVENTS, MAX_NOTES + 1 - self.notes
        try:
            while pos < size:
                byte = track[pos]
                pos += 1
                now += byte & 0x7F
                if byte & 0x80:
                    now, pos = self._long_delta(track, pos, now - (byte & 0x7F), byte, start)
                if now > last_tick:
                    raise LimitError(f"{self.label} has an event at beat {now // self.division:,}, past the "
                                     f"{MAX_SECONDS / 3600:g} hours of music composer reads")
                events += 1
                if events > max_events:
                    raise self.refuse("events", MAX_EVENTS)
                byte = track[pos]
                if byte >= 0x80:
                    pos += 1
                    if byte >= 0xF0:
                        if byte == 0xFF:
                            kind = track[pos]
                            length, pos = _vlq(track, pos + 1)
                            if pos + length > size:
                                raise _Ended
                            payload, pos = track[pos:pos + length], pos + length
                            if kind == 0x2F:
                                break
                            if kind == 0x03 and not name:
                                name = clean_text(payload).strip()
                            elif kind in (0x06, 0x07, 0x51, 0x58, 0x59):
                                self._meta(kind, payload, round(now * scale))
                        elif byte in (0xF0, 0xF7):  # sysex; it cancels running status, as the standard says
                            length, pos = _vlq(track, pos)
                            pos, status = pos + length, 0
                        elif byte in SYSTEM_DATA_BYTES:
                            pos += SYSTEM_DATA_BYTES[byte]
                        else:
                            raise self.damaged(f"undefined status byte 0x{byte:02X}", start + pos - 1)
                        if pos > size:
                            raise _Ended
                        continue
                    status = byte
                elif not status:
                    raise self.damaged("a data byte with no status byte before it", start + pos)
                kind, channel = status & 0xF0, status & 0x0F
                if kind in (0xC0, 0xD0):
                    value = track[pos]
                    pos += 1
                    if value > 127:
                        value = self._clip()
                    if kind == 0xC0:
                        programs[channel] = value
                    continue
                first, second = track[pos], track[pos + 1]
                pos += 2
                if first > 127 or second > 127:
                    first, second = min(first, self._clip()), min(second, 127)
                if kind == 0x90 and second:
                    queue = sounding.get(channel << 7 | first)
                    if queue is None:
                        queue = sounding[channel << 7 | first] = deque()
                    queue.append((round(now * scale), second, programs[channel]))
                    notes_left -= 1
                    if not notes_left:
                        raise self.refuse("notes", MAX_NOTES)
                elif kind in (0x80, 0x90):
                    queue = sounding.get(channel << 7 | first)
                    if queue:  # an unmatched note-off is ignored, as every player does
                        begin, velocity, program = queue.popleft()
                        notes[(channel, program)].append(Note(first, begin, max(round(now * scale), begin + 1),
                                                              velocity))
                elif kind in (0xB0, 0xE0):
                    self.controls += 1
                    if self.controls > MAX_CONTROLS:
                        raise self.refuse("controller changes and pitch bends", MAX_CONTROLS)
                    if kind == 0xB0 and first in (0, 32) and second == 0 and now == 0:
                        pass  # GM's bank 0 selected before the program: what every file means anyway (not kept)
                    elif kind == 0xB0:
                        controls[channel].append(ControlChange(round(now * scale), first, second))
                    else:
                        bends[channel].append(PitchBend(round(now * scale), (first | second << 7) - 8192))
        except (IndexError, _Ended):
            if cut:
                raise MidiReadError(f"{self.label} is a truncated MIDI file (it ends in the middle of a track)") \
                    from None
            self.repairs["ended tracks at an event that runs past the end of its track"] += 1
        self.events, self.notes = events, MAX_NOTES + 1 - notes_left
        self.length = max(self.length, now)
        end = round(now * scale)
        for key, queue in sounding.items():  # notes never released end with the track
            for begin, velocity, program in queue:
                notes[(key >> 7, program)].append(Note(key & 0x7F, begin, max(end, begin + 1), velocity))
        self._add_tracks(notes, controls, bends, name or default_name)

    def _long_delta(self, track: bytes, pos: int, now: int, byte: int, start: int) -> tuple[int, int]:
        """The running time after a delta of more than one byte, whose first byte was `byte`."""
        delta, count = byte & 0x7F, 1
        while byte & 0x80:
            if count == MAX_VLQ_BYTES:
                raise self.damaged(f"a delta time longer than {MAX_VLQ_BYTES} bytes", start + pos)
            byte = track[pos]
            pos, count, delta = pos + 1, count + 1, delta << 7 | byte & 0x7F
        return now + delta, pos

    def _clip(self) -> int:
        self.repairs["clipped data bytes over 127 to 127"] += 1
        return 127

    def _meta(self, kind: int, payload: bytes, tick: int) -> None:
        """A marker, tempo, meter or key; a malformed one is repaired or dropped, and counted."""
        if kind in (0x06, 0x07):
            self._keep(self.markers, Marker(tick, clean_text(payload)), "markers")
        elif kind == 0x51 and len(payload) >= 3:
            micros = payload[0] << 16 | payload[1] << 8 | payload[2]
            bpm = round(60_000_000 / micros, 3) if micros else MAX_BPM
            if not micros:
                self.repairs[f"set tempos of 0 us per beat to {MAX_BPM:g} bpm"] += 1
            elif clamp_bpm(bpm) != bpm:
                self.repairs[f"clamped tempos of {bpm:.4g} bpm into {clamp_bpm(bpm):g} bpm"] += 1
            self._keep(self.tempos, TempoChange(tick, clamp_bpm(bpm)), "tempo changes")
        elif kind == 0x58 and len(payload) >= 2 and payload[0] > 0 and payload[1] < len(METERS):
            self._keep(self.meters, TimeSignature(tick, payload[0], METERS[payload[1]]), "time signatures")
        elif kind == 0x59 and len(payload) >= 2 and -7 <= _signed(payload[0]) <= 7 and payload[1] in (0, 1):
            self._keep(self.keys, KeySignature.from_sharps(tick, _signed(payload[0]), "minor" if payload[1] else
                                                           "major"), "key signatures")
        elif kind == 0x51:
            self.repairs["dropped tempos shorter than 3 bytes"] += 1
        elif kind == 0x58:
            self.repairs["dropped time signatures of 0 beats, of a note value past 1/64, or short"] += 1
        else:
            sharps = _signed(payload[0]) if payload else 0
            self.repairs[f"dropped a key signature of {sharps} sharps" if len(payload) >= 2 and
                         not -7 <= sharps <= 7 else "dropped key signatures of an unknown mode or short"] += 1

    def _keep(self, events: list, event: object, what: str) -> None:
        events.append(event)
        if len(events) > MAX_META:
            raise self.refuse(what, MAX_META)

    def _add_tracks(self, notes: dict[tuple[int, int], list[Note]], controls: dict[int, list[ControlChange]],
                    bends: dict[int, list[PitchBend]], name: str) -> None:
        groups = sorted(notes, key=lambda key: min(n.start for n in notes[key]))
        for channel, program in groups:
            is_drum = channel == DRUM_CHANNEL
            part_name = name
            if not part_name or len(groups) > 1:
                generic = default_track_name(program, is_drum)
                part_name = f"{part_name} ({generic})" if part_name else generic
            self.tracks.append(Track(part_name, 0 if is_drum else program, is_drum,
                                     sorted(notes[(channel, program)], key=lambda n: (n.start, n.pitch)),
                                     controls[channel], bends[channel]))

    def score(self, title: str) -> Score:
        """The Score read, once its length in time and in bars is checked; repairs are warned of here."""
        score = Score(
            tracks=self.tracks,
            tempos=one_per_tick(self.tempos) or [TempoChange(0, 120.0)],
            time_signatures=one_per_tick(self.meters) or [TimeSignature(0, 4, 4)],
            key_signatures=one_per_tick(self.keys),
            markers=sorted(self.markers, key=lambda m: m.tick),
            title=title,
            length=round(self.length * self.scale) or None,  # rests kept
        )
        seconds = score.seconds_at(score.length_ticks)
        if seconds > MAX_SECONDS:
            raise LimitError(f"{self.label} lasts {hours(seconds)}; composer reads at most "
                             f"{MAX_SECONDS / 3600:g} hours of music")
        bars = score.bar_count(score.length_ticks)
        if bars > MAX_BARS:
            raise LimitError(f"{self.label} spans {bars:,} bars; composer reads at most {MAX_BARS:,}")
        if self.repairs:
            done = "; ".join(f"{what} ({count})" for what, count in self.repairs.items())
            warnings.warn(f"{self.label}: repaired while reading: {done}", RepairWarning, stacklevel=4)
        return score


def _vlq(track: bytes, pos: int) -> tuple[int, int]:
    """A variable-length number at `pos` and the position after it (IndexError past the data)."""
    value = 0
    for count in range(MAX_VLQ_BYTES):
        byte = track[pos + count]
        value = value << 7 | byte & 0x7F
        if not byte & 0x80:
            return value, pos + count + 1
    raise _Ended


def _signed(byte: int) -> int:
    return byte - 256 if byte > 127 else byte


def clean_text(payload: bytes) -> str:
    """Meta-event text: UTF-8 where it decodes, else Latin-1 (the standard's ASCII, as mido reads it),
    without control characters (NUL-terminated names are common, and XML cannot hold them)."""
    try:
        text = payload.decode("utf-8")
    except UnicodeDecodeError:
        text = payload.decode("latin-1")
    if text.isprintable():
        return text
    return "".join(c for c in text if unicodedata.category(c) != "Cc")
