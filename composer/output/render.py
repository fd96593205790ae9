"""Audio from a Score with FluidSynth in-process: mix and stems, normalised, seamless loops, written atomically."""

from __future__ import annotations

import contextlib
import ctypes
import dataclasses
import io
import math
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from composer.core.atomic import atomic_output
from composer.core.errors import ComposerError, EmptyScoreError, FluidSynthMissing, SoundfontError
from composer.core.gm import DRUM_CHANNEL
from composer.core.score import ControlChange, Score, TempoMap, Track
from composer.output.midi_io import assign_channels
from composer.output.sidecar import build_sidecar, loop_ticks, sidecar_path, write_sidecar
from composer.output.soundfonts import resolve_soundfont

ProgressCallback = Callable[[int, int], None]  # (samples done, samples expected)

# soundfile subtype per container: 16-bit WAV for every game engine and DAW, 24-bit FLAC, Vorbis OGG.
AUDIO_FORMATS = {".wav": ("WAV", "PCM_16"), ".flac": ("FLAC", "PCM_24"), ".ogg": ("OGG", "VORBIS")}
INSTALL_HINT = ("install FluidSynth (Debian/Ubuntu: sudo apt-get install fluidsynth libfluidsynth3 "
                "fluid-soundfont-gm; macOS: brew install fluid-synth)")


@dataclass(frozen=True)
class RenderConfig:
    """How a score becomes audio."""

    sample_rate: int = 44100  # 44100 or 48000 Hz, always stereo
    reverb: bool = True  # FluidSynth's reverb unit, as a player would hear the soundfont
    chorus: bool = True  # FluidSynth's chorus unit
    peak_dbfs: float = -1.0  # the loudest sample is normalised to this level: no clipping, 1 dB headroom
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


@dataclass
class Audio:
    """Stereo float32 samples, shape (frames, 2), in [-1, 1]."""

    samples: np.ndarray
    sample_rate: int
    loop: tuple[int, int] | None = None  # (start, end) frames of a loop region, end exclusive: the file's end

    @property
    def seconds(self) -> float:
        return len(self.samples) / self.sample_rate

    @property
    def peak(self) -> float:
        return float(np.max(np.abs(self.samples))) if len(self.samples) else 0.0


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
    """Render the whole score to stereo audio, with a reverb tail, normalised to `config.peak_dbfs`."""
    config = config or RenderConfig()
    score, loop = _loop_plan(score, config)
    raw = _synthesize(score, config, resolve_soundfont(soundfont), on_progress, length=_raw_length(loop, config))
    raw = _wrap_tail(raw, loop)
    if normalise:
        raw.samples *= _normalising_gain([raw.peak], config.peak_dbfs)
    return raw


def render_stems(score: Score, config: RenderConfig | None = None,
                 soundfont: str | os.PathLike[str] | None = None,
                 on_progress: ProgressCallback | None = None) -> tuple[Audio, list[tuple[Track, Audio]]]:
    """Render the mix and one stem per track, all the same length and scaled by one common gain.

    Because the gain is shared, the stems add up to the mix (as far as FluidSynth is linear), which
    is what a game engine layering them or a DAW re-balancing them expects. A loop's stems are wrapped
    like the mix, so they stay sample-aligned with it.
    """
    config = config or RenderConfig()
    path = resolve_soundfont(soundfont)
    tracks = score.tracks
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
        stems.append((track, _wrap_tail(stem, loop)))
    mix = _wrap_tail(mix, loop)
    gain = _normalising_gain([mix.peak] + [s.peak for _, s in stems], config.peak_dbfs)
    mix.samples *= gain
    for _, stem in stems:
        stem.samples *= gain
    return mix, stems


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


def _wrap_tail(audio: Audio, loop: tuple[int, int] | None) -> Audio:
    """Cut the audio at the loop's end and mix what rang on after it back in from the loop's start.

    Played as a loop, the file then sounds as if the music went round again: the release and reverb
    of the last bar overlap the first, and there is no click or gap at the seam.
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
    return Audio(out, audio.sample_rate, loop=(start, end))


def _normalising_gain(peaks: list[float], peak_dbfs: float) -> float:
    loudest = max(peaks)
    return 10 ** (peak_dbfs / 20) / loudest if loudest > 0 else 1.0


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


def audio_format(path: str | os.PathLike[str]) -> tuple[str, str]:
    """(container, subtype) for soundfile from the file extension, or a ComposerError."""
    suffix = Path(path).suffix.lower()
    if suffix not in AUDIO_FORMATS:
        raise ComposerError(f"cannot write audio as '{suffix or Path(path).name}': use .wav, .flac or .ogg")
    return AUDIO_FORMATS[suffix]


WRITE_BLOCK = 1 << 15  # frames per write


def save_audio(audio: Audio, path: str | os.PathLike[str]) -> Path:
    """Write audio atomically as WAV, FLAC or OGG, chosen by the extension.

    A loop's points go into the file too: a `smpl` chunk in WAV, LOOPSTART/LOOPLENGTH comments in FLAC
    (OGG files carry them only in the sidecar; see composer.output.loop_tags).
    """
    import soundfile

    from composer.output.loop_tags import tag_loop

    container, subtype = audio_format(path)
    samples = np.clip(audio.samples, -1.0, 1.0)
    channels = 1 if samples.ndim == 1 else samples.shape[1]
    with atomic_output(path) as tmp:
        with soundfile.SoundFile(tmp, "w", audio.sample_rate, channels, format=container, subtype=subtype) as out:
            # in blocks: libvorbis allocates a whole write on the stack, and one write of a minute or more
            # of OGG audio overflows it (a segfault; python-soundfile issues 233, 396, 426)
            for start in range(0, len(samples), WRITE_BLOCK):
                out.write(samples[start:start + WRITE_BLOCK])
        if audio.loop is not None:
            tag_loop(tmp, container, audio.sample_rate, *audio.loop)
    return Path(path)


def stem_filename(index: int, track: Track, suffix: str) -> str:
    """A file name for a track's stem, e.g. "01-piano.wav"."""
    slug = re.sub(r"[^a-z0-9]+", "-", track.name.lower()).strip("-") or "track"
    return f"{index + 1:02d}-{slug}{suffix}"


class RenderedFiles(list[Path]):
    """The audio files a render wrote (the mix first, then the stems), and its sidecar JSON, if any."""

    sidecar: Path | None = None


def render_to_files(score: Score, audio_path: str | os.PathLike[str] | None = None, *,
                    stems_dir: str | os.PathLike[str] | None = None, config: RenderConfig | None = None,
                    soundfont: str | os.PathLike[str] | None = None,
                    on_progress: ProgressCallback | None = None, sidecar: bool = True,
                    midi: str | os.PathLike[str] | None = None) -> RenderedFiles:
    """Render the score to `audio_path` and/or one file per track in `stems_dir`; return what was written.

    Unless `sidecar` is False, a JSON sidecar (composer.output.sidecar) goes beside the mix as <name>.json, or
    into the stems folder as sidecar.json; `midi` is the MIDI file it names as the source, when known.
    """
    if audio_path is None and stems_dir is None:
        raise ComposerError("nothing to write: give an audio file and/or a stems folder")
    suffix = Path(audio_path).suffix.lower() if audio_path else ".wav"
    audio_format(audio_path or "x.wav")  # refuse an unknown format before spending time rendering
    config = config or RenderConfig()
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
    if sidecar:
        where = sidecar_path(audio_path, stems_dir)
        facts = build_sidecar(score, sample_rate=config.sample_rate, audio=audio_path, stems=list(stem_paths),
                              midi=midi, frames=len(mix.samples), loop=config.loop, base=where.parent)
        written.sidecar = write_sidecar(where, facts)
    return written
