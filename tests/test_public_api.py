"""The public face: `composer.compose` and friends in dir() and help(), documented, typed (py.typed, mypy on
a user's snippet), Piece.render's keywords, Piece.audio() in memory, and no folder created by accident."""

from __future__ import annotations

import inspect
import os
import pydoc
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import composer
from composer.core.errors import ComposerError

from .conftest import REPO, fluidsynth_available, small_band_score

PUBLIC = ["add_part", "compose", "describe", "Piece", "continue_midi", "infill_midi", "compose_layers", "stinger",
          "transition", "score_cues", "read_midi", "Score", "ComposerError"]


def test_public_names_are_listed_and_documented() -> None:
    assert set(PUBLIC) <= set(dir(composer)) and set(PUBLIC) <= set(composer.__all__)
    text = pydoc.render_doc(composer, renderer=pydoc.plaintext)
    for name in PUBLIC:
        assert name in text
        assert inspect.getdoc(getattr(composer, name)), f"composer.{name} has no docstring"


def test_every_public_method_of_piece_and_score_has_a_docstring() -> None:
    for cls in (composer.Piece, composer.Score):
        public = [n for n, v in vars(cls).items() if not n.startswith("_") and (callable(v) or isinstance(v, property))]
        undocumented = [n for n in public if not inspect.getdoc(getattr(cls, n))]
        assert public and not undocumented, f"{cls.__name__}: {undocumented}"


def test_importing_composer_loads_no_model_or_torch() -> None:
    code = "import sys, composer; dir(composer); print('torch' in sys.modules, 'composer.pipeline' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False"]


def test_the_package_ships_a_typing_marker() -> None:
    assert (REPO / "composer" / "py.typed").exists()
    assert "py.typed" in (REPO / "pyproject.toml").read_text()


def test_mypy_accepts_a_users_snippet(tmp_path: Path) -> None:
    snippet = tmp_path / "user.py"
    snippet.write_text('import composer\n\npiece = composer.compose("x")\npiece.save_midi("a.mid")\n'
                       'samples, rate = piece.audio(sample_rate=48000)\npiece.render("a.wav", loop=True)\n')
    bad = tmp_path / "bad.py"  # the check can fail: a misspelt method is an error
    bad.write_text('import composer\n\ncomposer.compose("x").save_mid("a.mid")\n')
    env = {**os.environ, "MYPYPATH": str(REPO)}  # the editable install's import hook is invisible to mypy
    run = [sys.executable, "-m", "mypy", "--strict", "--follow-imports=silent", "--cache-dir", str(tmp_path / "cache")]
    good = subprocess.run([*run, str(snippet)], capture_output=True, text=True, env=env, cwd=tmp_path)
    assert good.returncode == 0, good.stdout
    wrong = subprocess.run([*run, str(bad)], capture_output=True, text=True, env=env, cwd=tmp_path)
    assert wrong.returncode == 1 and "save_mid" in wrong.stdout


def _piece() -> composer.Piece:
    return composer.Piece(small_band_score(), {})


def test_a_path_into_a_missing_folder_is_an_error(tmp_path: Path) -> None:
    piece = _piece()
    for write in (piece.save_midi, piece.save_musicxml, piece.piano_roll_png, piece.render):
        with pytest.raises(ComposerError, match="does not exist"):
            write(tmp_path / "missing" / "out.mid")
    assert not (tmp_path / "missing").exists()
    assert piece.save_midi(tmp_path / "here.mid").exists()


@pytest.mark.skipif(not fluidsynth_available(), reason="FluidSynth is not installed")
def test_audio_in_memory_and_render_keywords(tmp_path: Path) -> None:
    import soundfile

    piece = _piece()
    samples, rate = piece.audio(sample_rate=48000, reverb=False)
    assert rate == 48000 and samples.dtype == np.float32 and samples.ndim == 2 and samples.shape[1] == 2
    assert 0.5 < float(np.max(np.abs(samples))) <= 1.0
    written = piece.render(tmp_path / "a.wav", sample_rate=48000, peak_db=-6.0, reverb=False, loop=False)
    info = soundfile.info(written[0])
    assert info.samplerate == 48000 and info.frames == len(samples)
    level = float(np.max(np.abs(soundfile.read(written[0])[0])))
    assert abs(20 * np.log10(level) + 6.0) < 0.1
    with pytest.raises(ComposerError):
        piece.render(tmp_path / "b.wav", sample_rate=22050)
