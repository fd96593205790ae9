"""FluidSynth rendering: stereo, normalised without clipping, a tail, aligned stems, three formats."""

import numpy as np
import pytest
import soundfile

from composer.errors import ComposerError, EmptyScoreError
from composer.render import RenderConfig, render, render_stems, render_to_files, save_audio
from composer.score import Score

from .conftest import needs_fluidsynth

pytestmark = needs_fluidsynth


def test_mix_is_stereo_normalised_and_has_a_tail(band_score):
    audio = render(band_score)
    assert audio.sample_rate == 44100
    assert audio.samples.shape[1] == 2
    assert audio.samples.dtype == np.float32
    assert audio.peak == pytest.approx(10 ** (-1 / 20), rel=1e-4)  # -1 dBFS, the stated target
    music_seconds = band_score.duration_seconds
    assert music_seconds + 0.5 <= audio.seconds <= music_seconds + 3.0 + 1e-6
    tail = audio.samples[int(music_seconds * 44100):]
    assert np.max(np.abs(tail)) > 1e-3  # the release and reverb are kept, not cut at the last note
    assert np.max(np.abs(audio.samples[-10:])) < 1e-2  # and the very end fades to silence


def test_48k_and_effects_switches_change_the_sound(band_score):
    wet = render(band_score, RenderConfig(sample_rate=48000))
    dry = render(band_score, RenderConfig(sample_rate=48000, reverb=False, chorus=False))
    assert wet.sample_rate == dry.sample_rate == 48000
    n = min(len(wet.samples), len(dry.samples))
    assert not np.allclose(wet.samples[:n], dry.samples[:n], atol=1e-3)


def test_stems_are_aligned_share_one_gain_and_sum_to_the_mix(band_score):
    mix, stems = render_stems(band_score)
    assert [t.name for t, _ in stems] == ["Piano", "Strings", "Bass", "Drums"]
    assert all(len(s.samples) == len(mix.samples) for _, s in stems)
    total = sum(s.samples for _, s in stems)
    assert np.max(np.abs(total - mix.samples)) < 0.05 * mix.peak
    assert max([mix.peak] + [s.peak for _, s in stems]) == pytest.approx(10 ** (-1 / 20), rel=1e-4)
    assert all(s.peak > 0.01 for _, s in stems)


@pytest.mark.parametrize("suffix,container", [(".wav", "WAV"), (".flac", "FLAC"), (".ogg", "OGG")])
def test_every_format_is_readable(band_score, tmp_path, suffix, container):
    written = render_to_files(band_score, tmp_path / f"mix{suffix}", stems_dir=tmp_path / "stems")
    assert len(written) == 5
    for path in written:
        info = soundfile.info(path)
        assert info.format == container
        assert info.channels == 2
        assert info.samplerate == 44100
    assert not list(tmp_path.rglob("*.part"))


def test_unknown_format_is_refused_before_rendering(band_score, tmp_path):
    with pytest.raises(ComposerError, match=r"\.mp4"):
        render_to_files(band_score, tmp_path / "x.mp4")
    assert not list(tmp_path.iterdir())


def test_empty_score_is_refused():
    with pytest.raises(EmptyScoreError):
        render(Score())


def test_a_failed_write_leaves_no_file(band_score, tmp_path, monkeypatch):
    audio = render(band_score)

    def broken_write(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(soundfile.SoundFile, "write", broken_write)
    with pytest.raises(OSError):
        save_audio(audio, tmp_path / "x.wav")
    assert not list(tmp_path.iterdir())


def test_long_ogg_is_written_in_blocks_without_crashing(tmp_path):
    """libvorbis overflows its stack on one large write (a segfault, so this runs in a child process)."""
    import subprocess
    import sys

    code = ("import numpy as np, soundfile, sys; from composer.render import Audio, save_audio; "
            "a = Audio(np.random.default_rng(0).uniform(-0.5, 0.5, (44100 * 120, 2)).astype(np.float32), 44100); "
            f"p = save_audio(a, {str(tmp_path / 'long.ogg')!r}); "
            "assert abs(soundfile.info(str(p)).duration - 120) < 0.1")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=240)
    assert result.returncode == 0, result.stderr[-500:]
