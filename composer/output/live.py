"""Live MIDI out: stream a Score or a MIDI file in real time to a MIDI port (through mido and python-rtmidi)."""

from __future__ import annotations

import contextlib
import io
import os
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import mido

from composer.core.errors import ComposerError
from composer.core.gm import DRUM_CHANNEL
from composer.core.score import Score

INSTALL_HINT = "pip install 'composer[live]'"
LINUX_HINT = ("load the ALSA sequencer (`sudo modprobe snd-seq`; Debian/Ubuntu: `sudo apt install libasound2`) "
              "or start a JACK server")
DRAIN_SECONDS = 0.1  # a pause before closing the port: JACK sends from its own thread, once a period
MAX_SLEEP = 0.1  # seconds; the player wakes at least this often, so Ctrl+C is answered at once
# Controllers sent on every used channel when playing stops, at the end or on Ctrl+C.
SUSTAIN, ALL_SOUND_OFF, ALL_NOTES_OFF = 64, 120, 123
# The count-in click: GM hi and low wood blocks on the drum channel, the downbeat accented.
CLICK_DOWNBEAT, CLICK_BEAT, CLICK_SECONDS = 76, 77, 0.08

Send = Callable[[mido.Message], None]


class MidiBackendError(ComposerError):
    """No way to reach a MIDI port: python-rtmidi missing, no MIDI system to open, or no port to use."""


@dataclass(frozen=True)
class Timeline:
    """Channel messages to send, at seconds from the start (in sending order), and the piece's length."""

    events: list[tuple[float, mido.Message]]
    duration: float  # seconds: the end of the file (its last bar), not only its last note-off

    @property
    def channels(self) -> list[int]:
        """The MIDI channels the timeline uses (0-15), in order."""
        return sorted({m.channel for _, m in self.events if hasattr(m, "channel")})


# ---------------------------------------------------------------- scheduling


def load_midi(source: Score | str | os.PathLike[str]) -> tuple[mido.MidiFile, Score]:
    """A Score or a MIDI file path as a mido file to play and a Score (its tempo and meter for the count-in).

    A file is played as it is (its own channels and events); it is also read with composer.output.midi_io, so
    a damaged file gets that module's one-line MidiReadError.
    """
    from composer.output.midi_io import midi_bytes, read_midi

    if isinstance(source, Score):
        data, score = midi_bytes(source), source
    else:
        path = Path(source)
        score = read_midi(path)
        data = path.read_bytes()
    midi = mido.MidiFile(file=io.BytesIO(data), clip=True)
    if midi.type == 2:
        raise ComposerError(f"{source} is a type-2 MIDI file (independent patterns), which cannot be played live")
    return midi, score


def count_in_clicks(score: Score, bars: int) -> tuple[list[tuple[float, mido.Message]], float]:
    """`bars` bars of clicks in the piece's first meter and tempo, and their length in seconds.

    Compound meters (6/8, 9/8, 12/8) click on the dotted quarter, the others on the meter's beat unit.
    """
    if bars < 0:
        raise ComposerError(f"--count-in must be 0 or more bars, not {bars}")
    meter = min(score.time_signatures, key=lambda ts: ts.tick)
    bpm = min(score.tempos, key=lambda t: t.tick).bpm
    compound = meter.denominator >= 8 and meter.numerator % 3 == 0 and meter.numerator > 3
    beats = meter.numerator // 3 if compound else meter.numerator
    beat_seconds = 60.0 / bpm * 4 / meter.denominator * (3 if compound else 1)
    clicks: list[tuple[float, mido.Message]] = []
    for index in range(bars * beats):
        at = index * beat_seconds
        pitch, velocity = (CLICK_DOWNBEAT, 110) if index % beats == 0 else (CLICK_BEAT, 80)
        clicks.append((at, mido.Message("note_on", channel=DRUM_CHANNEL, note=pitch, velocity=velocity)))
        clicks.append((at + min(CLICK_SECONDS, beat_seconds / 2),
                       mido.Message("note_off", channel=DRUM_CHANNEL, note=pitch, velocity=0)))
    return clicks, bars * beats * beat_seconds


def build_timeline(source: Score | str | os.PathLike[str], count_in: int = 0) -> Timeline:
    """Every channel message of the piece at its time in seconds (mido follows the tempo map).

    Program changes at the very start are sent first, before any count-in, so each channel has its
    instrument when the DAW starts recording; everything else is shifted by the count-in.
    """
    midi, score = load_midi(source)
    clicks, offset = count_in_clicks(score, count_in) if count_in else ([], 0.0)
    head: list[tuple[float, mido.Message]] = []
    body: list[tuple[float, mido.Message]] = []
    now = 0.0
    for message in midi:  # merged tracks; message.time is seconds since the previous message
        now += message.time
        if message.is_meta or message.type == "sysex":
            continue
        if message.type == "program_change" and now == 0.0:
            head.append((0.0, message.copy(time=0)))
        else:
            body.append((now + offset, message.copy(time=0)))
    events = head + sorted(clicks, key=lambda e: e[0]) + body  # sorted: a click's note-off may pass the next on
    return Timeline(events, duration=offset + now)


# ---------------------------------------------------------------- playing


def reset_messages(channels: list[int], sounding: set[tuple[int, int]]) -> list[mido.Message]:
    """Messages that silence everything: a note-off per sounding note, then on every used channel
    sustain off, all notes off and all sound off."""
    out = [mido.Message("note_off", channel=channel, note=note, velocity=0) for channel, note in sorted(sounding)]
    for channel in channels:
        for number, value in ((SUSTAIN, 0), (ALL_NOTES_OFF, 0), (ALL_SOUND_OFF, 0)):
            out.append(mido.Message("control_change", channel=channel, control=number, value=value))
    return out


def perform(timeline: Timeline, send: Send, *, tempo_scale: float = 1.0,
            clock: Callable[[], float] = time.perf_counter, sleep: Callable[[float], None] = time.sleep,
            on_progress: Callable[[int, int], None] | None = None) -> float:
    """Send the timeline's messages at their times (faster by `tempo_scale`), then the resets.

    The resets also go out when sending stops early (Ctrl+C raises KeyboardInterrupt, which is passed
    on after them), so no note is left hanging. Returns the seconds played.
    """
    if not tempo_scale > 0:
        raise ComposerError(f"--tempo-scale must be above 0, not {tempo_scale}")
    sounding: set[tuple[int, int]] = set()
    total_ms = max(1, round(timeline.duration * 1000))
    start = clock()
    try:
        for seconds, message in timeline.events:
            _wait_until(start + seconds / tempo_scale, clock, sleep)
            key = (getattr(message, "channel", -1), getattr(message, "note", -1))
            if message.type == "note_on" and message.velocity > 0:
                sounding.add(key)  # before sending: an interrupted send may still have reached the port
            send(message)
            if message.type == "note_off" or (message.type == "note_on" and message.velocity == 0):
                sounding.discard(key)
            if on_progress is not None:
                on_progress(min(total_ms, round(seconds * 1000)), total_ms)
        _wait_until(start + timeline.duration / tempo_scale, clock, sleep)
    finally:
        channels = sorted(set(timeline.channels) | {channel for channel, _ in sounding})
        for message in reset_messages(channels, sounding):
            send(message)
    return clock() - start


def _wait_until(target: float, clock: Callable[[], float], sleep: Callable[[float], None]) -> None:
    while (remaining := target - clock()) > 0:
        sleep(min(remaining, MAX_SLEEP))


# ---------------------------------------------------------------- ports


@contextlib.contextmanager
def _quiet_stderr() -> Iterator[None]:
    """Silence the C libraries' own stderr lines ("ALSA lib seq_hw.c ... failed", JACK's server
    probes): our one-line error says what went wrong and what to do."""
    try:
        saved = os.dup(2)
    except OSError:  # no file descriptor 2 (an embedded interpreter): nothing to silence
        yield
        return
    try:
        with tempfile.TemporaryFile() as sink:
            sys.stderr.flush()
            os.dup2(sink.fileno(), 2)
            yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def _rtmidi_backend() -> tuple[Any, tuple[type[BaseException], ...]]:
    """mido's rtmidi backend, loaded, and the exceptions its calls raise when the MIDI system fails."""
    try:
        import rtmidi
        backend = mido.Backend("mido.backends.rtmidi", load=True, use_environ=False)
    except ImportError:
        raise MidiBackendError(f"live MIDI needs python-rtmidi, which is not installed: {INSTALL_HINT}") from None
    return backend, (rtmidi.RtMidiError, OSError, RuntimeError, ValueError)


def _failure(api: str, exc: BaseException) -> str:
    """"LINUX_ALSA: error creating ALSA sequencer client object", without rtmidi's C++ method name."""
    text = str(exc)
    if "::" in text.split(": ", 1)[0]:  # "MidiOutAlsa::initialize: ..."
        text = text.split(": ", 1)[-1]
    return f"{api}: {text}".rstrip(". ")


def _no_system_message(failures: list[str]) -> str:
    detail = "; ".join(failures) or "no MIDI API compiled into python-rtmidi"
    if sys.platform.startswith("linux"):
        seq = "" if Path("/dev/snd/seq").exists() else ", /dev/snd/seq is missing"
        return f"no MIDI system to open ({detail}{seq}): {LINUX_HINT}; then check with `composer play --list`"
    return f"no MIDI system to open ({detail}); reinstall python-rtmidi: {INSTALL_HINT}"


def _working_apis() -> tuple[Any, list[tuple[str, list[str]]], tuple[type[BaseException], ...]]:
    """The backend, each MIDI API (ALSA, JACK, CoreMIDI, ...) that answers with its output ports, and the
    errors to catch; raises MidiBackendError when none answers."""
    backend, errors = _rtmidi_backend()
    import mido.backends.rtmidi as rt

    working: list[tuple[str, list[str]]] = []
    failures: list[str] = []
    for api in rt.get_api_names():
        with _quiet_stderr():
            try:
                names = backend.get_output_names(api=api)
            except errors as exc:
                failures.append(_failure(api, exc))
                continue
        if api == "UNIX_JACK" and not names and working:
            continue  # rtmidi's JACK answers with no ports when no server runs; ALSA is the better guess
        working.append((api, names))
    if not working:
        raise MidiBackendError(_no_system_message(failures))
    return backend, working, errors


def output_names() -> list[str]:
    """The names of the MIDI output ports there are now, over every MIDI API that answers."""
    _, working, _ = _working_apis()
    return [name for _, names in working for name in names]


def virtual_ports_supported() -> bool:
    """rtmidi makes virtual ports with ALSA, JACK and CoreMIDI, not with Windows MultiMedia."""
    return not sys.platform.startswith(("win", "cygwin"))


def open_output(name: str) -> tuple[Any, str]:
    """An output port: the first existing one whose name contains `name` (any case), else a new virtual
    port called `name`. Returns the open mido port and a line describing it."""
    if not name.strip():
        raise ComposerError("--port needs a name")
    backend, working, errors = _working_apis()
    for api, names in working:
        match = next((n for n in names if name.lower() in n.lower()), None)
        if match is not None:
            with _quiet_stderr():
                try:
                    return backend.open_output(match, api=api), f"port '{match}'"
                except errors as exc:
                    raise MidiBackendError(f"cannot open MIDI port '{match}': {exc}") from None
    if not virtual_ports_supported():
        listed = ", ".join(n for _, names in working for n in names) or "none"
        raise MidiBackendError(f"no MIDI output port matches '{name}' (ports: {listed}), and Windows has no "
                               "virtual ports: create one with loopMIDI and pass its name to --port")
    failures = []
    for api, _ in working:
        with _quiet_stderr():
            try:
                port = backend.open_output(name, virtual=True, client_name=name, api=api)
            except errors as exc:
                failures.append(_failure(api, exc))
                continue
        return port, f"virtual port '{name}' ({api})"
    raise MidiBackendError(_no_system_message(failures))


def play(source: Score | str | os.PathLike[str], port_name: str, *, tempo_scale: float = 1.0, count_in: int = 0,
         on_open: Callable[[str, Timeline], None] | None = None,
         on_progress: Callable[[int, int], None] | None = None) -> float:
    """Stream a Score or MIDI file to the port `port_name` (see open_output) in real time.

    `on_open(description, timeline)` is called once the port is open, before the first message.
    Returns the seconds played; Ctrl+C stops it after silencing every channel.
    """
    timeline = build_timeline(source, count_in)
    if not tempo_scale > 0:
        raise ComposerError(f"--tempo-scale must be above 0, not {tempo_scale}")
    port, description = open_output(port_name)
    try:
        if on_open is not None:
            on_open(description, timeline)
        return perform(timeline, port.send, tempo_scale=tempo_scale, on_progress=on_progress)
    finally:
        time.sleep(DRAIN_SECONDS)
        port.close()
