"""Audio from a Score with FluidSynth in-process: mix and stems, normalised to a peak or a loudness, seamless loops."""

from __future__ import annotations

import contextlib
import ctypes
import dataclasses
import io
import math
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from composer.core.errors import ComposerError, EmptyScoreError, FluidSynthMissing, SoundfontError
from composer.core.gm import DRUM_CHANNEL
from composer.core.limits import check_render_seconds
from composer.core.score import ControlChange, Score, TempoMap, Track
from composer.output.audio_files import AUDIO_FORMATS, Audio, audio_format, save_audio, save_tail, stem_filename
from composer.output.levels import normalise as set_level
from composer.output.midi_io import assign_channels
from composer.output.sidecar import build_sidecar, loop_ticks, sidecar_path, write_sidecar
from composer.output.soundfonts import resolve_soundfont

__all__ = ["AUDIO_FORMATS", "Audio", "RenderConfig", "RenderedFiles", "audio_format", "render", "render_stems",
           "render_to_files", "save_audio", "save_tail", "stem_filename"]

ProgressCallback = Callable[[int, int], None]  # (samples done, samples expected)

INSTALL_HINT = ("install FluidSynth (Debian/Ubuntu: sudo apt-get install fluidsynth libfluidsynth3 "
                "fluid-soundfont-gm; macOS: brew install fluid-synth)")


@dataclass(frozen=True)
class RenderConfig:
    """How a score becomes audio."""

    sample_rate: int = 44100  # 44100 or 48000 Hz, always stereo
    reverb: bool = True  # FluidSynth's reverb unit, as a player would hear the soundfont
    chorus: bool = True  # FluidSynth's chorus unit
    peak_dbfs: float = -1.0  # the loudest sample is normalised to this level: no clipping, 1 dB headroom
    # instead, the mix's integrated loudness (LUFS, ITU-R BS.1770-4) when given, e.g. -16 for games and streams,
    # with every file's 4x-oversampled true peak kept under true_peak_dbtp (limited where it would not be)
    loudness_lufs: float | None = None
    true_peak_dbtp: float = -1.0
    min_tail_seconds: float = 0.5  # always keep this much after the last note-off (release)
    max_tail_seconds: float = 3.0  # keep at most this much reverb tail
    tail_floor_db: float = -60.0  # the tail ends once a 100 ms block is this far below the peak
    synth_gain: float = 0.3  # FluidSynth's master gain; low enough that dense scores never saturate
    # a seamless loop from the loopStart/loopEnd markers: None follows the markers, True loops the markers'
    # region or else the whole piece in whole bars, False renders a plain piece with its tail
    loop: bool | None = None

    def __post_init__(self) -> None:
        if self.sample_rate not in (44100, 48000):
            raise ComposerError(f"sample rate must be 44100 or 48000 Hz, not {self.sample_rate}")
        if not -40.0 <= self.peak_dbfs <= 0.0:
            raise ComposerError(f"peak level must be between -40 and 0 dBFS, not {self.peak_dbfs}")
        if self.loudness_lufs is not None and not -40.0 <= self.loudness_lufs <= -5.0:
            raise ComposerError(f"loudness must be between -40 and -5 LUFS, not {self.loudness_lufs}")
        if not -20.0 <= self.true_peak_dbtp <= 0.0:
            raise ComposerError(f"true-peak ceiling must be between -20 and 0 dBTP, not {self.true_peak_dbtp}")


def _load_fluidsynth() -> Any:
    """Import pyfluidsynth; a missing FluidSynth library becomes one clear FluidSynthMissing."""
    try:
        with contextlib.redirect_stdout(io.StringIO()):  # it reports where it found the library when $CI is set
            import fluidsynth
    except (ImportError, OSError) as exc:
        raise FluidSynthMissing(f"the FluidSynth library is not available ({exc}); {INSTALL_HINT}") from None
    return fluidsynth


class _Synth:
    """One FluidSynth instance with a soundfont loaded, writing float samples straight into numpy."""

    # Keeps one synth per soundfont alive, so FluidSynth's sample cache makes later loads near-free.
    _keepalive: ClassVar[dict[tuple[Path, int], Any]] = {}

    def __init__(self, soundfont: Path, config: RenderConfig) -> None:
        fs = _load_fluidsynth()
        settings: dict[str, Any] = {
            "synth.reverb.active": int(config.reverb),
            "synth.chorus.active": int(config.chorus),
            "synth.midi-channels": 16,
        }
        self.synth = fs.Synth(gain=config.synth_gain, samplerate=float(config.sample_rate), **settings)
        self.sfid = self.synth.sfload(str(soundfont))
        if self.sfid < 0:
            self.synth.delete()
            raise SoundfontError(f"FluidSynth could not load soundfont {soundfont}; is it a valid .sf2/.sf3?")
        self._write = fs._fl.fluid_synth_write_float  # float output: pyfluidsynth only wraps the s16 one
        self._write.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_void_p, ctypes.c_int, ctypes.c_int,
                                ctypes.c_void_p, ctypes.c_int, ctypes.c_int]
        self._write.restype = ctypes.c_int
        key = (soundfont.resolve(), config.sample_rate)
        if key not in self._keepalive:
            self._keepalive[key] = fs.Synth(samplerate=float(config.sample_rate))
            self._keepalive[key].sfload(str(soundfont))

    def write(self, out: np.ndarray, start: int, frames: int) -> None:
        """Synthesize `frames` frames into rows start.. of the (n, 2) float32 array `out`."""
        if frames <= 0:
            return
        base = out.ctypes.data
        self._write(self.synth.synth, frames, base, 2 * start, 2, base, 2 * start + 1, 2)

    def close(self) -> None:
        self.synth.delete()


def _events(score: Score, sample_rate: int) -> list[tuple[int, int, str, int, int, int]]:
    """Every channel event as (sample, order, kind, channel, a, b), note-offs before note-ons."""
    tempo = TempoMap(score.tempos)

    def at(tick: int) -> int:
        return round(tempo.seconds_at(tick) * sample_rate)

    events: list[tuple[int, int, str, int, int, int]] = []
    for track, channel in zip(score.tracks, assign_channels(score.tracks), strict=True):
        for c in track.controls:
            events.append((at(c.tick), 1, "cc", channel, c.number, c.value))
        for b in track.pitch_bends:
            events.append((at(b.tick), 1, "bend", channel, b.value, 0))
        for n in track.notes:
            events.append((at(n.start), 2, "on", channel, n.pitch, n.velocity))
            events.append((at(n.end), 0, "off", channel, n.pitch, 0))
    events.sort()
    return events


def render(score: Score, config: RenderConfig | None = None, soundfont: str | os.PathLike[str] | None = None,
           on_progress: ProgressCallback | None = None, normalise: bool = True) -> Audio:
    """Render the whole score to stereo audio, with a reverb tail, normalised to `config.peak_dbfs` (or to
    `config.loudness_lufs`); a loop keeps its unwrapped tail in Audio.tail and its markers in Audio.markers."""
    check_render_seconds(score.seconds_at(score.length_ticks))  # before a sample is allocated
    config = config or RenderConfig()
    markers = _marker_frames(score, config.sample_rate)
    score, loop = _loop_plan(score, config)
    raw = _synthesize(score, config, resolve_soundfont(soundfont), on_progress, length=_raw_length(loop, config))
    raw = _wrap_tail(raw, loop, config)
    raw.markers = markers
    if normalise:
        set_level(raw, [], config.peak_dbfs, config.loudness_lufs, config.true_peak_dbtp)
    return raw


def render_stems(score: Score, config: RenderConfig | None = None,
                 soundfont: str | os.PathLike[str] | None = None,
                 on_progress: ProgressCallback | None = None) -> tuple[Audio, list[tuple[Track, Audio]]]:
    """Render the mix and one stem per track, all the same length and scaled by one common gain.

    Because the gain is shared, the stems add up to the mix (as far as FluidSynth is linear), which
    is what a game engine layering them or a DAW re-balancing them expects. A loop's stems are wrapped
    like the mix, so they stay sample-aligned with it.
    """
    check_render_seconds(score.seconds_at(score.length_ticks))  # before a sample is allocated
    config = config or RenderConfig()
    path = resolve_soundfont(soundfont)
    tracks = score.tracks
    markers = _marker_frames(score, config.sample_rate)
    score, loop = _loop_plan(score, config)
    mix = _synthesize(score, config, path, on_progress, length=_raw_length(loop, config))
    stems = []
    for track, played in zip(tracks, score.tracks, strict=True):
        solo = score.copy()
        solo.tracks = [played]
        if played.notes:
            stem = _synthesize(solo, config, path, None, length=len(mix.samples))
        else:  # a track silent here (all its notes after the loop's end)
            stem = Audio(np.zeros_like(mix.samples), mix.sample_rate)
        stems.append((track, _wrap_tail(stem, loop, config)))
    mix = _wrap_tail(mix, loop, config)
    for audio in (mix, *(stem for _, stem in stems)):
        audio.markers = list(markers)
    set_level(mix, [stem for _, stem in stems], config.peak_dbfs, config.loudness_lufs, config.true_peak_dbtp)
    return mix, stems


def _marker_frames(score: Score, sample_rate: int) -> list[tuple[int, str]]:
    """Every marker (sections, loop points) as (frame, name), in time order."""
    ordered = sorted(score.markers, key=lambda m: m.tick)
    return [(round(score.seconds_at(m.tick) * sample_rate), m.text) for m in ordered]


def _loop_plan(score: Score, config: RenderConfig) -> tuple[Score, tuple[int, int] | None]:
    """The score to play and the loop's (start, end) frames: a loop's score stops at the loop's end."""
    ticks = loop_ticks(score, config.loop)
    if ticks is None:
        return score, None
    start, end = (round(score.seconds_at(tick) * config.sample_rate) for tick in ticks)
    return _cut_at(score, ticks[1]), (start, end)


def _cut_at(score: Score, end_tick: int) -> Score:
    """The score without what starts at or after `end_tick`: notes held past it are released there, and so
    is the sustain pedal; what rings on becomes the loop's tail."""
    out = score.copy()
    for track in out.tracks:
        track.notes = [dataclasses.replace(n, end=min(n.end, end_tick)) for n in track.notes if n.start < end_tick]
        pedal = any(c.number == 64 for c in track.controls)
        track.controls = [c for c in track.controls if c.tick < end_tick]
        if pedal:
            track.controls.append(ControlChange(end_tick, 64, 0))
        track.pitch_bends = [b for b in track.pitch_bends if b.tick < end_tick]
    return out


def _raw_length(loop: tuple[int, int] | None, config: RenderConfig) -> int | None:
    """Frames to synthesize: a loop's whole region plus the longest tail, else None (until silence)."""
    return None if loop is None else loop[1] + math.ceil(config.max_tail_seconds * config.sample_rate)


def _wrap_tail(audio: Audio, loop: tuple[int, int] | None, config: RenderConfig) -> Audio:
    """Cut the audio at the loop's end and mix what rang on after it back in from the loop's start.

    Played as a loop, the file then sounds as if the music went round again: the release and reverb
    of the last bar overlap the first, and there is no click or gap at the seam. The tail itself is kept
    too, unwrapped and trimmed at silence, for a game to play when it leaves the loop at its end.
    """
    if loop is None:
        return audio
    start, end = loop
    out = np.zeros((end, audio.samples.shape[1]), dtype=np.float32)
    kept = min(end, len(audio.samples))
    out[:kept] = audio.samples[:kept]
    tail = audio.samples[end:]
    for offset in range(0, len(tail), end - start):  # a tail longer than the loop goes round again
        chunk = tail[offset:offset + end - start]
        out[start:start + len(chunk)] += chunk
    return Audio(out, audio.sample_rate, loop=(start, end), tail=_trim_tail(tail, float(np.max(np.abs(out))), config))


def _trim_tail(tail: np.ndarray, peak: float, config: RenderConfig) -> np.ndarray:
    """The tail up to the last 100 ms block louder than `tail_floor_db` under `peak` (at least
    `min_tail_seconds`), faded out over its last 50 ms."""
    block = config.sample_rate // 10
    floor = peak * 10 ** (config.tail_floor_db / 20)
    loud = np.nonzero(np.max(np.abs(tail), axis=1) > floor)[0] if len(tail) else np.zeros(0, dtype=int)
    keep = (int(loud[-1]) // block + 1) * block if len(loud) else 0
    keep = min(len(tail), max(keep, int(config.min_tail_seconds * config.sample_rate)))
    trimmed = np.array(tail[:keep], dtype=np.float32)
    _fade_out(trimmed, config.sample_rate)
    return trimmed


def _synthesize(score: Score, config: RenderConfig, soundfont: Path, on_progress: ProgressCallback | None,
                length: int | None = None) -> Audio:
    """Raw FluidSynth output for the score; the tail is trimmed at silence unless `length` fixes it."""
    if score.note_count == 0:
        raise EmptyScoreError("the score has no notes to render")
    sr = config.sample_rate
    events = _events(score, sr)
    last_event = events[-1][0]
    capacity = length or last_event + math.ceil(config.max_tail_seconds * sr)
    out = np.zeros((capacity, 2), dtype=np.float32)
    synth = _Synth(soundfont, config)
    try:
        for track, channel in zip(score.tracks, assign_channels(score.tracks), strict=True):
            if track.is_drum:
                synth.synth.program_select(DRUM_CHANNEL, synth.sfid, 128, track.program)
            else:
                synth.synth.program_select(channel, synth.sfid, 0, track.program)
        now = 0
        report_every = sr  # about once per second of audio
        next_report = report_every
        for sample, _, kind, channel, a, b in events:
            synth.write(out, now, sample - now)
            now = sample
            if kind == "on":
                synth.synth.noteon(channel, a, b)
            elif kind == "off":
                synth.synth.noteoff(channel, a)
            elif kind == "cc":
                synth.synth.cc(channel, a, b)
            else:
                synth.synth.pitch_bend(channel, a)
            if on_progress and now >= next_report:
                on_progress(now, capacity)
                next_report = now + report_every
        end = _render_tail(synth, out, now, config) if length is None else _fill(synth, out, now)
    finally:
        synth.close()
    if on_progress:
        on_progress(capacity, capacity)
    samples = out[:end]
    _fade_out(samples, sr)
    return Audio(samples, sr)


def _fill(synth: _Synth, out: np.ndarray, start: int) -> int:
    synth.write(out, start, len(out) - start)
    return len(out)


def _render_tail(synth: _Synth, out: np.ndarray, start: int, config: RenderConfig) -> int:
    """Render after the last note-off until the sound falls `tail_floor_db` below its peak."""
    sr = config.sample_rate
    block = sr // 10
    minimum = start + int(config.min_tail_seconds * sr)
    peak = float(np.max(np.abs(out[:start]))) if start else 0.0
    floor = peak * 10 ** (config.tail_floor_db / 20)
    now = start
    while now < len(out):
        frames = min(block, len(out) - now)
        synth.write(out, now, frames)
        now += frames
        if now >= minimum and float(np.max(np.abs(out[now - frames:now]))) <= floor:
            break
    return now


def _fade_out(samples: np.ndarray, sample_rate: int, seconds: float = 0.05) -> None:
    """A short linear fade on the last frames, so a tail cut at its limit ends without a click."""
    frames = min(len(samples), int(seconds * sample_rate))
    if frames:
        samples[-frames:] *= np.linspace(1.0, 0.0, frames, dtype=np.float32)[:, None]


class RenderedFiles(list[Path]):
    """The audio files a render wrote (the mix first, then the stems), its sidecar JSON and a loop's tail, if any."""

    sidecar: Path | None = None
    tail: Path | None = None


def render_to_files(score: Score, audio_path: str | os.PathLike[str] | None = None, *,
                    stems_dir: str | os.PathLike[str] | None = None, config: RenderConfig | None = None,
                    soundfont: str | os.PathLike[str] | None = None,
                    on_progress: ProgressCallback | None = None, sidecar: bool = True,
                    midi: str | os.PathLike[str] | None = None,
                    tail: str | os.PathLike[str] | None = None) -> RenderedFiles:
    """Render the score to `audio_path` and/or one file per track in `stems_dir`; return what was written.

    Unless `sidecar` is False, a JSON sidecar (composer.output.sidecar) goes beside the mix as <name>.json, or
    into the stems folder as sidecar.json; `midi` is the MIDI file it names as the source, when known. For a
    loop, `tail` is a file for the release that rings on after the loop's end (named in the sidecar).
    """
    if audio_path is None and stems_dir is None:
        raise ComposerError("nothing to write: give an audio file and/or a stems folder")
    suffix = Path(audio_path).suffix.lower() if audio_path else ".wav"
    for path in (audio_path or "x.wav", tail or "x.wav"):
        audio_format(path)  # refuse an unknown format before spending time rendering
    config = config or RenderConfig()
    if tail is not None and loop_ticks(score, config.loop) is None:
        raise ComposerError("a tail is what rings on after a loop's end; this piece is no loop "
                            "(generate --loop, or loopStart/loopEnd markers)")
    stems: list[tuple[Track, Audio]] = []
    if stems_dir is None:
        mix = render(score, config, soundfont, on_progress)
    else:
        mix, stems = render_stems(score, config, soundfont, on_progress)
    written = RenderedFiles()
    if audio_path:
        written.append(save_audio(mix, audio_path))
    stem_paths = [save_audio(stem, Path(stems_dir) / stem_filename(index, track, suffix))
                  for index, (track, stem) in enumerate(stems)] if stems_dir is not None else []
    written += stem_paths
    if tail is not None:
        written.tail = save_tail(mix, tail)
    if sidecar:
        where = sidecar_path(audio_path, stems_dir)
        facts = build_sidecar(score, sample_rate=config.sample_rate, audio=audio_path, stems=list(stem_paths),
                              midi=midi, frames=len(mix.samples), loop=config.loop, base=where.parent,
                              tail=tail, tail_frames=None if mix.tail is None else len(mix.tail),
                              loudness=None if mix.loudness is None else mix.loudness.as_json())
        written.sidecar = write_sidecar(where, facts)
    return written
