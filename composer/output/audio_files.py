"""Rendered audio in memory and on disk: WAV, FLAC or OGG by suffix, written atomically with its loop and markers."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from composer.core.atomic import atomic_output
from composer.core.errors import ComposerError
from composer.core.score import Track
from composer.output.loudness import LoudnessFacts

# soundfile subtype per container: 16-bit WAV for every game engine and DAW, 24-bit FLAC, Vorbis OGG.
AUDIO_FORMATS = {".wav": ("WAV", "PCM_16"), ".flac": ("FLAC", "PCM_24"), ".ogg": ("OGG", "VORBIS")}
WRITE_BLOCK = 1 << 15  # frames per write


@dataclass
class Audio:
    """Stereo float32 samples, shape (frames, 2), in [-1, 1]."""

    samples: np.ndarray
    sample_rate: int
    loop: tuple[int, int] | None = None  # (start, end) frames of a loop region, end exclusive: the file's end
    markers: list[tuple[int, str]] = field(default_factory=list)  # (frame, name): sections and loop points
    tail: np.ndarray | None = None  # a loop's release after its end, unwrapped (what rings on when it stops)
    loudness: LoudnessFacts | None = None  # what loudness normalisation did, when it was asked for

    @property
    def seconds(self) -> float:
        return len(self.samples) / self.sample_rate

    @property
    def peak(self) -> float:
        return float(np.max(np.abs(self.samples))) if len(self.samples) else 0.0


def audio_format(path: str | os.PathLike[str]) -> tuple[str, str]:
    """(container, subtype) for soundfile from the file extension, or a ComposerError."""
    suffix = Path(path).suffix.lower()
    if suffix not in AUDIO_FORMATS:
        raise ComposerError(f"cannot write audio as '{suffix or Path(path).name}': use .wav, .flac or .ogg")
    return AUDIO_FORMATS[suffix]


def save_audio(audio: Audio, path: str | os.PathLike[str]) -> Path:
    """Write audio atomically as WAV, FLAC or OGG, chosen by the extension.

    A loop's points and the markers go into the file too (composer.output.loop_tags): `cue ` points with
    `labl` names and a `smpl` loop in WAV, LOOPSTART/LOOPLENGTH comments in FLAC and OGG.
    """
    import soundfile

    from composer.output.loop_tags import tag_audio

    container, subtype = audio_format(path)
    samples = np.clip(audio.samples, -1.0, 1.0)
    channels = 1 if samples.ndim == 1 else samples.shape[1]
    with atomic_output(path) as tmp:
        with soundfile.SoundFile(tmp, "w", audio.sample_rate, channels, format=container, subtype=subtype) as out:
            # in blocks: libvorbis allocates a whole write on the stack, and one write of a minute or more
            # of OGG audio overflows it (a segfault; python-soundfile issues 233, 396, 426)
            for start in range(0, len(samples), WRITE_BLOCK):
                out.write(samples[start:start + WRITE_BLOCK])
        markers = [(frame, name) for frame, name in audio.markers if 0 <= frame <= len(samples)]
        tag_audio(tmp, container, audio.sample_rate, audio.loop, markers)
    return Path(path)


def save_tail(audio: Audio, path: str | os.PathLike[str]) -> Path:
    """Write a loop's unwrapped tail (Audio.tail) as its own file: it starts at the loop's end."""
    if audio.tail is None:
        raise ComposerError("only a loop has a tail to write; render it as a loop (--loop or loop markers)")
    return save_audio(Audio(audio.tail, audio.sample_rate), path)


def stem_filename(index: int, track: Track, suffix: str) -> str:
    """A file name for a track's stem, e.g. "01-piano.wav"."""
    slug = re.sub(r"[^a-z0-9]+", "-", track.name.lower()).strip("-") or "track"
    return f"{index + 1:02d}-{slug}{suffix}"
