"""`composer demo`: a piece composed by the shipped model, written as MIDI, MusicXML, audio and a picture."""

from __future__ import annotations

from pathlib import Path

from composer.output.render import ProgressCallback, RenderConfig, render_to_files

DEMO_PROMPT = "a gentle string quartet in D major, andante"
DEMO_BARS, DEMO_SEED = 8, 1


def make_demo(out_dir: str | Path, soundfont: str | None = None,
              on_progress: ProgressCallback | None = None) -> list[Path]:
    """Compose DEMO_PROMPT and write demo.mid, demo.musicxml, demo.png, demo.wav (and its sidecar)."""
    from composer.pipeline import compose

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)  # the demo's own folder
    piece = compose(DEMO_PROMPT, bars=DEMO_BARS, seed=DEMO_SEED)
    written = [piece.save_midi(out / "demo.mid"), piece.save_musicxml(out / "demo.musicxml"),
               piece.piano_roll_png(out / "demo.png")]
    rendered = render_to_files(piece.score, out / "demo.wav", config=RenderConfig(), soundfont=soundfont,
                               on_progress=on_progress, midi=out / "demo.mid")
    return [*written, *rendered, *([rendered.sidecar] if getattr(rendered, "sidecar", None) else [])]
