"""`composer demo`: a corpus chorale for string quartet, written as MIDI, MusicXML, audio and a picture.

Until the trained model ships this shows the output path end to end on real music.
"""

from __future__ import annotations

from pathlib import Path

from composer.midi_io import write_midi
from composer.musicxml_io import score_from_music21, write_musicxml
from composer.pianoroll import save_piano_roll
from composer.render import ProgressCallback, RenderConfig, render_to_files
from composer.score import Marker, Score

DEMO_PIECE = "bach/bwv66.6"  # "Christ unser Herr zum Jordan kam", four voices, F# minor
QUARTET = [("Violin I", 40), ("Violin II", 40), ("Viola", 41), ("Cello", 42)]


def demo_score() -> Score:
    """The chorale from music21's bundled corpus, its four voices given to a string quartet."""
    from music21 import corpus

    score = score_from_music21(corpus.parse(DEMO_PIECE), title="Chorale BWV 66.6 (string quartet)")
    for track, (name, program) in zip(score.tracks, QUARTET, strict=True):
        track.name, track.program = name, program
    score.markers = [Marker(0, "Chorale")]
    return score


def make_demo(out_dir: str | Path, soundfont: str | None = None,
              on_progress: ProgressCallback | None = None) -> list[Path]:
    """Write demo.mid, demo.musicxml, demo.png and demo.wav into `out_dir`; return the paths."""
    out = Path(out_dir)
    score = demo_score()
    written = [
        write_midi(score, out / "demo.mid"),
        write_musicxml(score, out / "demo.musicxml"),
        save_piano_roll(score, out / "demo.png"),
    ]
    written += render_to_files(score, out / "demo.wav", config=RenderConfig(), soundfont=soundfont,
                               on_progress=on_progress)
    return written
