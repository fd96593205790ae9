"""Live MIDI out: the scheduler's order and timing against the tempo map, the resets, Ctrl+C, the CLI, real ports."""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

import mido
import pytest

from composer.core.score import TICKS_PER_BEAT, Score, TempoChange, TempoMap, TimeSignature
from composer.faces import cli, outputs
from composer.output import live
from composer.output.midi_io import write_midi

from .conftest import add_track, run_cli, small_band_score

CONTROL_RESETS = (live.SUSTAIN, live.ALL_NOTES_OFF, live.ALL_SOUND_OFF)


def tempo_change_score() -> Score:
    """Two bars of 4/4 at 120 bpm, then two at 60 (seconds 0-4, then 4-12): piano, bass and drums."""
    score = Score(tempos=[TempoChange(0, 120.0), TempoChange(8 * TICKS_PER_BEAT, 60.0)],
                  time_signatures=[TimeSignature(0, 4, 4)], length=16 * TICKS_PER_BEAT)
    add_track(score, "Piano", 0, [(60 + beat % 12, 90, beat, beat + 0.5) for beat in range(16)])
    add_track(score, "Bass", 33, [(36, 100, beat, beat + 2) for beat in range(0, 16, 2)])
    add_track(score, "Drums", 0, [(36, 110, beat, beat + 0.25) for beat in range(0, 16, 4)], is_drum=True)
    return score


def expected_times(score: Score) -> list[tuple[float, str, int, int]]:
    """(seconds, type, channel, note) of every note event, from the tempo map; channels as midi_io assigns."""
    tempo = TempoMap(score.tempos)
    channels = {"Piano": 0, "Bass": 1, "Drums": 9}
    events = []
    for track in score.tracks:
        for n in track.notes:
            channel = channels[track.name]
            events.append((tempo.seconds_at(n.start), "note_on", channel, n.pitch))
            events.append((tempo.seconds_at(n.end), "note_off", channel, n.pitch))
    return sorted(events)


def note_events(timed: list[tuple[float, mido.Message]]) -> list[tuple[float, str, int, int]]:
    return sorted((t, m.type, m.channel, m.note) for t, m in timed if m.type in ("note_on", "note_off"))


class FakeClock:
    """A clock that moves only when the player sleeps, so timing checks are exact and instant."""

    def __init__(self) -> None:
        self.now = 100.0
        self.longest_sleep = 0.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.longest_sleep = max(self.longest_sleep, seconds)
        self.now += seconds


def test_timeline_follows_the_tempo_map_with_program_changes_first():
    score = tempo_change_score()
    timeline = live.build_timeline(score)
    assert [(m.channel, m.program) for _, m in timeline.events[:2]] == [(0, 0), (1, 33)]
    assert all(t == 0.0 for t, _ in timeline.events[:2])
    got = note_events(timeline.events)
    want = expected_times(score)
    assert [(kind, ch, note) for _, kind, ch, note in got] == [(kind, ch, note) for _, kind, ch, note in want]
    assert max(abs(a[0] - b[0]) for a, b in zip(got, want, strict=True)) < 1e-6
    assert got[-1][0] == pytest.approx(12.0)  # beat 16 at 60 bpm after 8 beats at 120
    assert timeline.duration == pytest.approx(12.0)
    assert timeline.channels == [0, 1, 9]
    times = [t for t, _ in timeline.events]
    assert times == sorted(times)
    # at one instant a channel releases before it strikes again (the repeated bass note is re-struck)
    at_two = [(m.type, m.note) for t, m in timeline.events if t == pytest.approx(2.0) and m.channel == 1]
    assert at_two == [("note_off", 36), ("note_on", 36)]


def test_perform_sends_on_the_tempo_map_in_real_time_sped_up():
    score = tempo_change_score()
    scale = 20.0  # 12 s of music in 0.6 s
    sent: list[tuple[float, mido.Message]] = []
    timeline = live.build_timeline(score)
    start = time.perf_counter()
    played = live.perform(timeline, lambda m: sent.append((time.perf_counter() - start, m)),
                          tempo_scale=scale)
    assert played == pytest.approx(12.0 / scale, abs=0.02)
    errors_ms = [abs(got[0] - want[0] / scale) * 1000
                 for got, want in zip(note_events(sent), expected_times(score), strict=True)]
    assert statistics.median(errors_ms) < 3.0, errors_ms  # wall-clock ms; the CPU is shared, so the median
    assert max(errors_ms) < 30.0, errors_ms


def test_perform_with_a_fake_clock_is_exact_and_wakes_often():
    score = tempo_change_score()
    clock = FakeClock()
    sent: list[tuple[float, mido.Message]] = []
    live.perform(live.build_timeline(score), lambda m: sent.append((clock() - 100.0, m)), tempo_scale=0.5,
                 clock=clock, sleep=clock.sleep)
    got = note_events(sent)
    want = expected_times(score)
    assert max(abs(a[0] - 2 * b[0]) for a, b in zip(got, want, strict=True)) < 1e-9  # half speed
    assert clock.now - 100.0 == pytest.approx(24.0)
    assert clock.longest_sleep <= live.MAX_SLEEP


def test_every_used_channel_is_reset_at_the_end():
    sent: list[mido.Message] = []
    timeline = live.build_timeline(small_band_score())
    clock = FakeClock()
    live.perform(timeline, sent.append, clock=clock, sleep=clock.sleep)
    resets = sent[len(timeline.events):]
    assert sent[:len(timeline.events)] == [m for _, m in timeline.events]
    assert {(m.channel, m.control) for m in resets} == {(c, n) for c in (0, 1, 2, 9) for n in CONTROL_RESETS}
    assert all(m.type == "control_change" and m.value == 0 for m in resets)  # no note was left sounding


def test_ctrl_c_still_silences_every_channel():
    sent: list[mido.Message] = []
    interrupted_at = 0

    def send(message: mido.Message) -> None:
        nonlocal interrupted_at
        if message.type == "note_on" and sum(m.type == "note_on" for m in sent) == 5:
            interrupted_at = len(sent)
            raise KeyboardInterrupt  # the 6th note-on (drums, beat 2): piano 67, strings and bass sound
        sent.append(message)

    clock = FakeClock()
    with pytest.raises(KeyboardInterrupt):
        live.perform(live.build_timeline(small_band_score()), send, clock=clock, sleep=clock.sleep)
    assert clock.now - 100.0 < 1.0  # it stopped at once, not at the end of the piece
    resets = sent[interrupted_at:]
    # the interrupted note-on may have reached the port, so it is released too
    assert [(m.type, m.channel, m.note) for m in resets[:4]] == [
        ("note_off", 0, 67), ("note_off", 1, 51), ("note_off", 2, 39), ("note_off", 9, 36)]
    controls = [(m.channel, m.control) for m in resets[4:]]
    assert controls == [(c, n) for c in (0, 1, 2, 9) for n in CONTROL_RESETS]


def test_count_in_clicks_the_first_meter_then_shifts_the_piece():
    score = small_band_score()  # 3/4 at 90 bpm: a beat is 2/3 s
    timeline = live.build_timeline(score, count_in=2)
    clicks = [(t, m.note) for t, m in timeline.events if m.type == "note_on" and m.note in (76, 77)
              and m.channel == 9 and t < 4.0 - 1e-9]
    assert [note for _, note in clicks] == [76, 77, 77, 76, 77, 77]
    assert [t for t, _ in clicks] == pytest.approx([i * 2 / 3 for i in range(6)])
    assert timeline.events[0][1].type == "program_change" and timeline.events[0][0] == 0.0
    first_note = min(t for t, m in timeline.events if m.type == "note_on" and m.note not in (76, 77))
    assert first_note == pytest.approx(4.0)
    assert timeline.duration == pytest.approx(4.0 + 6 * 2 / 3)
    jig = Score(tempos=[TempoChange(0, 120.0)], time_signatures=[TimeSignature(0, 6, 8)])
    add_track(jig, "Flute", 73, [(72, 80, 0, 1)])
    assert len(live.count_in_clicks(jig, 1)[0]) == 4  # two dotted-quarter clicks, on and off


def test_play_command_streams_a_file_to_a_port(tmp_path, monkeypatch, capsys):
    class FakePort:
        def __init__(self) -> None:
            self.sent: list[mido.Message] = []
            self.closed = False

        def send(self, message: mido.Message) -> None:
            self.sent.append(message)

        def close(self) -> None:
            self.closed = True

    port = FakePort()
    opened: list[str] = []
    monkeypatch.setattr(live, "open_output", lambda name: (opened.append(name), (port, f"port '{name} 1'"))[1])
    path = write_midi(small_band_score(), tmp_path / "band.mid")
    assert cli.main(["play", str(path), "--port", "Loop", "--tempo-scale", "40", "--count-in", "1"]) == 0
    assert opened == ["Loop"] and port.closed
    assert "to port 'Loop 1'" in capsys.readouterr().err
    notes = [m for m in port.sent if m.type == "note_on"]
    assert len(notes) == 3 + small_band_score().note_count  # the count-in and every note
    assert port.sent[-1].type == "control_change"


def test_generate_live_streams_the_written_piece(tmp_path, monkeypatch):
    import composer.faces.commands_live

    class Piece:
        score = small_band_score()

        def save_midi(self, path):
            return write_midi(self.score, path)

    streamed = []
    monkeypatch.setattr(composer.faces.commands_live, "stream", lambda score, port: streamed.append((score, port)))
    args = cli.build_parser().parse_args(["generate", "-o", str(tmp_path / "x.mid"), "--live", "DAW In"])
    assert outputs.write_piece(Piece(), args, 0.0) == 0
    assert streamed == [(Piece.score, "DAW In")] and (tmp_path / "x.mid").exists()
    args = argparse.Namespace(**{**vars(args), "live": None})
    streamed.clear()
    outputs.write_piece(Piece(), args, 0.0)
    assert streamed == []


def one_line_error(capsys) -> str:
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and err.startswith("composer: error: "), err
    return err


def test_no_rtmidi_is_one_line_saying_what_to_install(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "rtmidi", None)  # `import rtmidi` now raises ImportError
    monkeypatch.setitem(sys.modules, "mido.backends.rtmidi", None)
    assert cli.main(["play", "--list"]) == cli.EXIT_USER_ERROR
    assert "pip install 'composer[live]'" in one_line_error(capsys)


def test_a_midi_system_that_cannot_open_is_one_line(monkeypatch, capsys, tmp_path):
    import rtmidi

    class NoSequencer:
        def get_output_names(self, api=None):
            raise rtmidi.SystemError("MidiOutAlsa::initialize: error creating ALSA sequencer client object.")

    monkeypatch.setattr(live, "_rtmidi_backend", lambda: (NoSequencer(), (rtmidi.RtMidiError, OSError)))
    path = write_midi(small_band_score(), tmp_path / "band.mid")
    assert cli.main(["play", str(path), "--port", "DAW"]) == cli.EXIT_USER_ERROR
    err = one_line_error(capsys)
    assert "error creating ALSA sequencer client object" in err and "MidiOutAlsa" not in err
    if sys.platform.startswith("linux"):
        assert "sudo modprobe snd-seq" in err and "libasound2" in err


def test_windows_without_a_matching_port_says_so(monkeypatch, capsys):
    class NoPorts:
        def get_output_names(self, api=None):
            return ["Microsoft GS Wavetable Synth 0"]

    monkeypatch.setattr(live, "_rtmidi_backend", lambda: (NoPorts(), (OSError,)))
    monkeypatch.setattr(live, "virtual_ports_supported", lambda: False)
    monkeypatch.setattr("mido.backends.rtmidi.get_api_names", lambda: ["WINDOWS_MM"])
    with pytest.raises(live.MidiBackendError, match=r"Wavetable.*loopMIDI"):
        live.open_output("DAW")


def test_the_real_command_lists_ports_or_says_what_is_missing():
    result = run_cli("play", "--list")
    if result.returncode == 0:
        return  # this machine has a MIDI system; the tests below use it
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr  # the C libraries' own ALSA/JACK lines are silenced
    assert "composer[live]" in lines[0] or "snd-seq" in lines[0], lines[0]


def real_virtual_input(name: str):  # type: ignore[no-untyped-def]
    """A virtual input port called `name` on the first MIDI API that can make one, or skip."""
    try:
        backend, working, errors = live._working_apis()
    except live.MidiBackendError as exc:
        pytest.skip(f"no MIDI system here: {exc}")
    if not live.virtual_ports_supported():
        pytest.skip("virtual ports are not supported on this OS")
    for api, _ in working:
        try:
            return backend.open_input(name, virtual=True, client_name=name, api=api), api
        except errors:
            continue
    pytest.skip("no MIDI API here can open a virtual port")


def test_plays_to_an_existing_port_found_by_part_of_its_name():
    """Through a real MIDI system (ALSA, or a JACK server: `jackd -d dummy -p 1024`). A JACK server starved
    into xruns (a busy CPU and a small period) repeats or drops events, and this test then fails."""
    sink_name = f"composer-sink-{os.getpid()}"
    sink, _ = real_virtual_input(sink_name)
    try:
        time.sleep(0.1)
        score = small_band_score()
        played = live.play(score, sink_name.removeprefix("composer-"), tempo_scale=20.0)
        assert played == pytest.approx(live.build_timeline(score).duration / 20.0, abs=0.05)
        time.sleep(0.1)
        got = list(sink.iter_pending())
    finally:
        sink.close()
    timeline = live.build_timeline(score)
    assert got[:len(timeline.events)] == [m for _, m in timeline.events]
    assert [m.control for m in got[len(timeline.events):]] == [*CONTROL_RESETS] * 4


def test_a_virtual_output_port_can_be_recorded_from():
    name = f"composer-out-{os.getpid()}"
    real_virtual_input(f"{name}-probe")[0].close()  # skips where there are no virtual ports
    port, description = live.open_output(name)
    backend, _ = live._rtmidi_backend()
    try:
        assert description.startswith(f"virtual port '{name}'")
        source = next(n for n in backend.get_input_names(api=port.api) if name in n)
        recorder = backend.open_input(source, api=port.api)
        time.sleep(0.1)
        live.perform(live.build_timeline(small_band_score()), port.send, tempo_scale=20.0)
        time.sleep(0.1)
        got = list(recorder.iter_pending())
        recorder.close()
    finally:
        port.close()
    assert sum(m.type == "note_on" for m in got) == small_band_score().note_count
    assert got[-1].type == "control_change" and got[-1].control == live.ALL_SOUND_OFF
