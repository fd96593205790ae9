"""Standard MIDI Files in and out with mido (type-1 files that DAWs accept), and symusic conversion."""

from __future__ import annotations

import io
import os
import re
import unicodedata
from pathlib import Path
from typing import Any

import mido
import numpy as np
import symusic

from composer.core.atomic import write_bytes_atomic
from composer.core.errors import ChannelOverflowError, ComposerError, MidiReadError
from composer.core.gm import DRUM_CHANNEL, default_track_name
from composer.core.limits import MAX_MIDI_BYTES, LimitError
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
from composer.output.midi_reader import parse_midi

# symusic.Score is a factory object rather than a class, so symusic scores are typed Any here.
MELODIC_CHANNELS = [c for c in range(16) if c != DRUM_CHANNEL]


# ---------------------------------------------------------------- reading


def read_midi(source: str | os.PathLike[str] | bytes) -> Score:
    """Read a MIDI file (a path or its bytes) into a Score at 480 ticks per beat.

    Notes are paired first-in first-out per channel and pitch, as pretty_midi does; each (track, channel,
    program) becomes one Track (composer.output.midi_reader). Raises MidiReadError with a one-line reason
    when the data is not a readable MIDI file, and LimitError past a limit of composer.core.limits; a
    repaired meta event (a tempo out of range, a key of 12 sharps) is reported as a RepairWarning.
    """
    if isinstance(source, bytes):
        data, label, title = source, "MIDI data", ""
        size = len(data)
    else:
        path = Path(source)
        if not path.is_file():
            raise ComposerError(f"{path}: no such file")
        label, title, size = str(path), path.stem, path.stat().st_size
    if size > MAX_MIDI_BYTES:  # before a path's bytes are read
        raise LimitError(f"{label} is {size / 2**20:.1f} MB; composer reads MIDI files of at most "
                         f"{MAX_MIDI_BYTES // 2**20} MB")
    if not isinstance(source, bytes):
        data = path.read_bytes()
    if not data:
        raise MidiReadError(f"{label} is empty (0 bytes), not a MIDI file")
    if not data.startswith(b"MThd"):
        raise MidiReadError(f"{label} is not a MIDI file (it does not start with an 'MThd' header)")
    return parse_midi(data, label, title)


def from_symusic(parsed: Any, title: str = "") -> Score:
    """Convert a symusic score (any resolution) into a Score at 480 ticks per beat."""
    if parsed.ticks_per_quarter != TICKS_PER_BEAT:
        parsed = parsed.resample(TICKS_PER_BEAT, min_dur=1)
    tracks = []
    for src in parsed.tracks:
        arrays = src.notes.numpy()
        notes = [
            Note(int(p), int(t), int(t) + max(1, int(d)), min(127, max(1, int(v))))
            for t, d, p, v in zip(arrays["time"], arrays["duration"], arrays["pitch"],
                                  arrays["velocity"], strict=True)
        ]
        notes.sort(key=lambda n: (n.start, n.pitch))
        controls = [ControlChange(c.time, c.number, c.value) for c in src.controls]
        bends = [PitchBend(b.time, b.value) for b in src.pitch_bends]
        name = src.name.strip() or default_track_name(src.program, src.is_drum)
        tracks.append(Track(name, int(src.program), bool(src.is_drum), notes, controls, bends))
    tempos = [TempoChange(t.time, round(float(t.qpm), 3)) for t in parsed.tempos] or [TempoChange(0, 120.0)]
    meters = [TimeSignature(ts.time, ts.numerator, ts.denominator) for ts in parsed.time_signatures
              if ts.numerator > 0 and ts.denominator in (1, 2, 4, 8, 16, 32, 64)]
    keys = [KeySignature.from_sharps(k.time, k.key, "minor" if k.tonality else "major")
            for k in parsed.key_signatures if -7 <= k.key <= 7]
    markers = [Marker(m.time, m.text) for m in parsed.markers]
    return Score(
        tracks=tracks,
        tempos=one_per_tick(tempos),
        time_signatures=one_per_tick(meters) or [TimeSignature(0, 4, 4)],
        key_signatures=one_per_tick(keys),
        markers=markers,
        title=title,
    )


def to_symusic(score: Score) -> Any:
    """Convert a Score into a symusic score at 480 ticks per quarter (the tokenizer's input type)."""
    out: Any = symusic.Score(TICKS_PER_BEAT)
    for track in score.tracks:
        dst: Any = symusic.Track(track.name, track.program, track.is_drum)
        if track.notes:
            dst.notes = symusic.Note.from_numpy(
                time=np.array([n.start for n in track.notes], dtype=np.int32),
                duration=np.array([n.duration for n in track.notes], dtype=np.int32),
                pitch=np.array([n.pitch for n in track.notes], dtype=np.int8),
                velocity=np.array([n.velocity for n in track.notes], dtype=np.int8),
            )
        for c in track.controls:
            dst.controls.append(symusic.ControlChange(c.tick, c.number, c.value))
        for b in track.pitch_bends:
            dst.pitch_bends.append(symusic.PitchBend(b.tick, b.value))
        out.tracks.append(dst)
    for t in score.tempos:
        out.tempos.append(symusic.Tempo(t.tick, t.bpm))
    for ts in score.time_signatures:
        out.time_signatures.append(symusic.TimeSignature(ts.tick, ts.numerator, ts.denominator))
    for k in score.key_signatures:
        out.key_signatures.append(symusic.KeySignature(k.tick, k.sharps, int(k.mode == "minor")))
    for m in score.markers:
        out.markers.append(symusic.TextMeta(m.tick, m.text))
    return out


# ---------------------------------------------------------------- writing


def assign_channels(tracks: list[Track]) -> list[int]:
    """A MIDI channel per track: drums on channel 10 (index 9), and never two programs on one channel.

    Each melodic track gets a channel of its own while there are enough; past 15, a track may share
    the channel of an earlier track with the same program. Raises ChannelOverflowError when more
    than 15 distinct melodic programs are asked for.
    """
    channels: list[int] = []
    free = list(MELODIC_CHANNELS)
    by_program: dict[int, int] = {}
    melodic = [t for t in tracks if not t.is_drum]
    distinct = len({t.program for t in melodic})
    if distinct > len(MELODIC_CHANNELS):
        raise ChannelOverflowError(
            f"{distinct} different instruments need more than MIDI's 15 melodic channels; use 15 or fewer")
    spare = len(MELODIC_CHANNELS) - distinct  # channels we may spend on repeated programs
    for track in tracks:
        if track.is_drum:
            channels.append(DRUM_CHANNEL)
            continue
        if track.program in by_program and spare <= 0:
            channels.append(by_program[track.program])
            continue
        if track.program in by_program:
            spare -= 1
        channel = free.pop(0)
        by_program.setdefault(track.program, channel)
        channels.append(channel)
    return channels


def midi_text(text: str, fallback: str) -> str:
    """`text` as a MIDI meta event holds it for every DAW: printable ASCII.

    Other text is transliterated (NFKD with the accents dropped: "Café" -> "Cafe", "ＡＢ" -> "AB"),
    characters without a Latin form (Chinese, Japanese, Arabic, emoji) are left out, and `fallback`
    stands in when nothing readable is left. The Score keeps the full text for MusicXML and the sidecar.
    """
    if text.isascii() and text.isprintable():
        return text
    latin = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    latin = re.sub(r"\s+", " ", "".join(c if c.isprintable() else " " for c in latin)).strip()
    return latin if any(c.isalnum() for c in latin) else fallback


def _conductor_events(score: Score) -> list[tuple[int, int, mido.MetaMessage]]:
    """The tempo map, meters, keys and markers shared by all parts, as (tick, order, message), order -4..-1:
    before a part's own events at the same tick."""
    events: list[tuple[int, int, mido.MetaMessage]] = []
    for ts in score.time_signatures:
        events.append((ts.tick, -4, mido.MetaMessage(
            "time_signature", numerator=ts.numerator, denominator=ts.denominator,
            clocks_per_click=24, notated_32nd_notes_per_beat=8)))
    for k in score.key_signatures:
        events.append((k.tick, -3, _key_signature(k)))
    for t in score.tempos:  # a Score's tempos (MIN_BPM..MAX_BPM) all fit the 24-bit field
        events.append((t.tick, -2, mido.MetaMessage("set_tempo", tempo=mido.bpm2tempo(t.bpm))))
    for m in score.markers:
        events.append((m.tick, -1, mido.MetaMessage("marker", text=midi_text(m.text, "marker"))))
    return events


def _conductor_track(score: Score) -> mido.MidiTrack:
    """A track 0 of its own (a score whose first part is the drum kit, or has none): the title and the
    conductor's events."""
    events = sorted(_conductor_events(score), key=lambda e: (e[0], e[1]))
    track = mido.MidiTrack([mido.MetaMessage("track_name", name=midi_text(score.title or "composer", "composer"))])
    _append_delta_timed(track, [(tick, msg) for tick, _, msg in events], end=score.length_ticks)
    return track


def _key_signature(key: KeySignature) -> mido.MetaMessage:
    return mido.MetaMessage("key_signature", key=key.tonic + ("m" if key.mode == "minor" else ""))


BANK_SELECT = (0, 32)  # controller numbers: bank select MSB and LSB


def _part_track(track: Track, channel: int, conductor: list[tuple[int, int, mido.MetaMessage]] | None = None,
                end: int = 0) -> mido.MidiTrack:
    """One named part: its name, bank select and program change, controllers, pitch bends and notes on
    `channel`; with `conductor` events, the first track: the part and the whole piece's tempo map, meters,
    keys and markers (to `end` at least)."""
    name = midi_text(track.name, default_track_name(track.program, track.is_drum))
    head = [mido.MetaMessage("track_name", name=name)]
    if not track.is_drum:
        head.append(mido.MetaMessage("instrument_name", name=name))
    events: list[tuple[int, int, mido.Message | mido.MetaMessage]] = []  # (tick, order, message)
    bank = {c.number: c.value for c in track.controls if c.tick == 0 and c.number in BANK_SELECT}
    if not track.is_drum:  # bank select (MSB, LSB: GM's bank 0 unless the part carries its own), then the program
        events += [(0, 0, mido.Message("control_change", channel=channel, control=number, value=bank.get(number, 0)))
                   for number in BANK_SELECT]
        events.append((0, 0, mido.Message("program_change", channel=channel, program=track.program)))
    events += conductor or []
    for c in track.controls:
        if not track.is_drum and c.tick == 0 and c.number in BANK_SELECT:
            continue  # written before the program change above
        events.append((c.tick, 1, mido.Message("control_change", channel=channel,
                                                control=c.number, value=c.value)))
    for b in track.pitch_bends:
        events.append((b.tick, 1, mido.Message("pitchwheel", channel=channel, pitch=b.value)))
    for n in track.notes:
        events.append((n.end, 0, mido.Message("note_off", channel=channel, note=n.pitch, velocity=0)))
        events.append((n.start, 2, mido.Message("note_on", channel=channel, note=n.pitch,
                                                  velocity=n.velocity)))
    events.sort(key=lambda e: (e[0], e[1]))
    out = mido.MidiTrack(head)
    _append_delta_timed(out, [(tick, msg) for tick, _, msg in events], end=end)
    return out


def _append_delta_timed(track: mido.MidiTrack, timed: list[tuple[int, mido.Message | mido.MetaMessage]],
                        end: int = 0) -> None:
    """Append messages at absolute ticks as delta times, then the end of the track at `end` or later."""
    now = 0
    for tick, msg in timed:
        track.append(msg.copy(time=tick - now))
        now = tick
    track.append(mido.MetaMessage("end_of_track", time=max(0, end - now)))


def midi_bytes(score: Score) -> bytes:
    """The Score as a type-1 Standard MIDI File at 480 ticks per beat.

    The tempo map, meters, keys and markers are written once, in track 0, which is also the first part's
    track (named after the part; the title is the file's name): MuseScore 3 reads key signatures only from
    tracks that get a staff, so a conductor track of meta events alone left it guessing keys (6 of 8 right in
    a test), while pretty_midi and symusic want them in track 0 only (one key event per change). A score
    whose first part is the drum kit (no key on a drum staff) gets a conductor track of its own instead.
    """
    channels = assign_channels(score.tracks)
    midi = mido.MidiFile(type=1, ticks_per_beat=TICKS_PER_BEAT)
    conductor = _conductor_events(score)
    merged = bool(score.tracks) and not score.tracks[0].is_drum
    if not merged:
        midi.tracks.append(_conductor_track(score))
    for index, (track, channel) in enumerate(zip(score.tracks, channels, strict=True)):
        first = merged and index == 0
        midi.tracks.append(_part_track(track, channel, conductor if first else None,
                                       score.length_ticks if first else 0))
    buffer = io.BytesIO()
    midi.save(file=buffer)
    return buffer.getvalue()


def write_midi(score: Score, path: str | os.PathLike[str]) -> Path:
    """Write the Score to `path` atomically as a type-1 MIDI file and return the path."""
    return write_bytes_atomic(path, midi_bytes(score))
