"""A generated piece: its score, what was asked, and how to write it (MIDI, MusicXML, audio, stems, piano roll)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from composer.core.errors import ComposerError
from composer.core.score import Score


@dataclass
class Piece:
    """A generated piece: the score, what was asked and resolved, and how long each stage took."""

    score: Score
    attributes: dict[str, Any]
    token_count: int = 0
    seconds: dict[str, float] = field(default_factory=dict)
    attempts: int = 1  # samples drawn: more than one when key analysis of the first disagreed with the key

    def save_midi(self, path: str | Path) -> Path:
        """Write the piece as a Standard MIDI File (named tracks, programs, tempo, meter, key, markers)."""
        from composer.output.midi_io import write_midi

        return write_midi(self.score, _existing_folder(path))

    def save_musicxml(self, path: str | Path) -> Path:
        """Write the piece as MusicXML for notation programs."""
        from composer.output.musicxml_io import write_musicxml

        return write_musicxml(self.score, _existing_folder(path))

    def audio(self, *, loop: bool | None = None, sample_rate: int = 44100, peak_db: float = -1.0,
              reverb: bool = True, chorus: bool = True, soundfont: str | Path | None = None,
              ) -> tuple[np.ndarray, int]:
        """Render with FluidSynth in memory: (stereo float32 samples of shape (frames, 2), sample rate).
        The keywords are those of render()."""
        from composer.output.render import render

        config = _render_config(loop, sample_rate, peak_db, reverb, chorus)
        sound = render(self.score, config, soundfont)
        return sound.samples, sound.sample_rate

    def render(self, path: str | Path, *, loop: bool | None = None, sample_rate: int = 44100, peak_db: float = -1.0,
               reverb: bool = True, chorus: bool = True, soundfont: str | Path | None = None, sidecar: bool = True,
               on_progress: Callable[[int, int], None] | None = None) -> list[Path]:
        """Render to `path` (.wav, .flac or .ogg, by its suffix) with a JSON sidecar of beat and loop times
        beside it; returns the files written.

        loop: None follows the piece's loop markers, True renders a seamless loop, False a plain piece with
        its tail. sample_rate: 44100 or 48000. peak_db: the loudest sample's level in dBFS (-40 to 0).
        reverb, chorus: FluidSynth's effects. soundfont: a .sf2 file (default: see `composer soundfonts`).
        """
        from composer.output.render import render_to_files

        config = _render_config(loop, sample_rate, peak_db, reverb, chorus)
        return render_to_files(self.score, _existing_folder(path), config=config, soundfont=soundfont,
                               sidecar=sidecar, on_progress=on_progress)

    def stems(self, folder: str | Path, audio: str | Path | None = None, *, loop: bool | None = None,
              sample_rate: int = 44100, peak_db: float = -1.0, reverb: bool = True, chorus: bool = True,
              soundfont: str | Path | None = None, sidecar: bool = True,
              on_progress: Callable[[int, int], None] | None = None) -> list[Path]:
        """One audio file per track in `folder` (sample-aligned, same gain as the mix), and the mix too
        when `audio` is given; the keywords are those of render(). `folder` is created if its parent exists."""
        from composer.output.render import render_to_files

        config = _render_config(loop, sample_rate, peak_db, reverb, chorus)
        target = Path(folder)
        _existing_folder(target)
        target.mkdir(exist_ok=True)
        return render_to_files(self.score, _existing_folder(audio) if audio is not None else None, stems_dir=target,
                               config=config, soundfont=soundfont, sidecar=sidecar, on_progress=on_progress)

    def piano_roll_png(self, path: str | Path) -> Path:
        """Draw the piano roll (one colour a track) as a PNG."""
        from composer.output.pianoroll import save_piano_roll

        return save_piano_roll(self.score, _existing_folder(path))


def _render_config(loop: bool | None, sample_rate: int, peak_db: float, reverb: bool, chorus: bool) -> Any:
    from composer.output.render import RenderConfig

    return RenderConfig(sample_rate=sample_rate, peak_dbfs=peak_db, reverb=reverb, chorus=chorus, loop=loop)


def _existing_folder(path: str | Path) -> Path:
    """`path`, when the folder it goes into exists; else a ComposerError (no folder is created silently)."""
    target = Path(path)
    if not target.parent.is_dir():
        raise ComposerError(f"folder {target.parent} does not exist; create it first or write elsewhere")
    return target
