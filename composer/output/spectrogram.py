"""Log-frequency spectrograms of a score's FluidSynth render, plotted as PNGs with matplotlib.

The power spectrogram is a short-time Fourier transform (Hann window of 8192 samples, bins 5.4 Hz
apart at 44.1 kHz, hop 256, computed in blocks so that a long piece needs little memory), resampled
onto log-spaced frequencies, `bins_per_semitone` a semitone, so pitch runs up evenly as in a piano
roll. A pure tone shows one line at its fundamental; most patches add their harmonics above it.
Of the General MIDI patches in FluidR3_GM that may play 8 notes at once, the vibraphone (11) is
nearly a sine: 99.8% of a note's energy lies within 3% of its fundamental, against 72% for the
piano (benchmarks/draw.py measures it), so a drawing played on it shows once, not once per harmonic.
"""

from __future__ import annotations

import io
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from composer.core.atomic import write_bytes_atomic
from composer.core.errors import EmptyScoreError
from composer.core.score import Score

WINDOW = 8192  # samples: 5.4 Hz bins at 44.1 kHz, finer than a semitone from about 95 Hz (G2) up
HOP = 256
FLOOR_DB = -70.0  # the plot's black level below the loudest bin


@dataclass(frozen=True)
class Spectrogram:
    power_db: np.ndarray  # (frequencies, frames), dB below the loudest bin (0 at the top)
    frequencies: np.ndarray  # Hz, log-spaced, ascending
    times: np.ndarray  # seconds, frame centres


def midi_hz(pitch: float) -> float:
    return float(440.0 * 2 ** ((pitch - 69) / 12))


def log_spectrogram(samples: np.ndarray, sample_rate: int, low_pitch: float, high_pitch: float,
                    bins_per_semitone: int = 3) -> Spectrogram:
    """The power spectrogram of mono `samples` on log-spaced frequencies from low_pitch to high_pitch (MIDI)."""
    from numpy.lib.stride_tricks import sliding_window_view

    steps = round((high_pitch - low_pitch) * bins_per_semitone) + 1
    targets = np.array([midi_hz(p) for p in np.linspace(low_pitch, high_pitch, steps)])
    # linear interpolation between the two FFT bins around each target frequency
    position = targets * WINDOW / sample_rate
    below = position.astype(int)
    weight = (position - below)[:, None]
    kept = int(below.max()) + 2  # only the FFT bins below the top target are kept
    padded = np.pad(np.asarray(samples, dtype=np.float32), (WINDOW // 2, WINDOW // 2))
    frames = sliding_window_view(padded, WINDOW)[::HOP]  # a view: no copy of the whole signal
    window = np.hanning(WINDOW).astype(np.float32)
    power = np.empty((kept, len(frames)), dtype=np.float32)
    for start in range(0, len(frames), 256):  # in blocks, so a long piece needs little memory
        block = np.fft.rfft(frames[start:start + 256] * window, axis=1)[:, :kept]
        power[:, start:start + 256] = (np.abs(block) ** 2).T
    resampled = (1 - weight) * power[below] + weight * power[below + 1]
    power_db = 10 * np.log10(resampled / max(float(resampled.max()), 1e-20) + 1e-12)
    times = np.arange(len(frames)) * HOP / sample_rate
    return Spectrogram(np.maximum(power_db, FLOOR_DB), targets, times)


def plot_spectrogram(spec: Spectrogram, title: str = "") -> bytes:
    """The spectrogram as PNG bytes: time right, pitch up (log frequency, C of each octave labelled)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    pitches = 69 + 12 * np.log2(spec.frequencies / 440.0)
    figure, axes = plt.subplots(figsize=(10, 4.5), dpi=100)
    axes.imshow(spec.power_db, origin="lower", aspect="auto", cmap="magma", vmin=FLOOR_DB, vmax=0.0,
                extent=(float(spec.times[0]), float(spec.times[-1]), float(pitches[0]), float(pitches[-1])))
    octaves = [p for p in range(0, 128, 12) if pitches[0] <= p <= pitches[-1]]
    axes.set_yticks(octaves, [f"C{p // 12 - 1}\n{midi_hz(p):.0f} Hz" for p in octaves])
    axes.set_xlabel("seconds")
    axes.set_ylabel("pitch (log frequency)")
    axes.set_title(title or "spectrogram")
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    plt.close(figure)
    return buffer.getvalue()


def save_spectrogram(score: Score, path: str | os.PathLike[str], soundfont: str | os.PathLike[str] | None = None,
                     margin: int = 5) -> Path:
    """Render `score` with FluidSynth (as --audio does) and write its log-frequency spectrogram to `path`
    (PNG), over the notes' pitch range and `margin` semitones either side."""
    from composer.output.render import RenderConfig, render

    pitches = [n.pitch for t in score.tracks if not t.is_drum for n in t.notes]
    if not pitches:
        raise EmptyScoreError("the score has no pitched notes to show in a spectrogram")
    config = RenderConfig()
    audio = render(score, config, soundfont)
    spec = log_spectrogram(audio.samples.mean(axis=1), config.sample_rate, min(pitches) - margin,
                           max(pitches) + margin)
    programs = ", ".join(sorted({t.name for t in score.tracks if t.notes}))
    return write_bytes_atomic(path, plot_spectrogram(spec, f"{score.title or 'composer'}: {programs}"))
