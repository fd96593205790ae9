"""FluidSynth rendering: stereo, normalised without clipping, a tail, aligned stems, three formats, seamless loops."""

import struct

import numpy as np
import pytest
import soundfile

from composer.core.errors import ComposerError, EmptyScoreError
from composer.core.score import TICKS_PER_BEAT, Note, Score, TempoChange
from composer.output.loop_tags import flac_blocks, parse_vorbis_comment, riff_chunks
from composer.output.render import RenderConfig, render, render_stems, render_to_files, save_audio
from composer.output.sidecar import set_loop

from .conftest import add_track, needs_fluidsynth, small_band_score

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

    code = ("import numpy as np, soundfile, sys; from composer.output.render import Audio, save_audio; "
            "a = Audio(np.random.default_rng(0).uniform(-0.5, 0.5, (44100 * 120, 2)).astype(np.float32), 44100); "
            f"p = save_audio(a, {str(tmp_path / 'long.ogg')!r}); "
            "assert abs(soundfile.info(str(p)).duration - 120) < 0.1")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=240)
    assert result.returncode == 0, result.stderr[-500:]


# ---------------------------------------------------------------- seamless loops

LOOP_TICKS = 2 * 4 * TICKS_PER_BEAT  # two bars of 4/4
LOOP_FRAMES = 4 * 44100  # two bars of 4/4 at 120 bpm are 4 seconds


def loop_score() -> Score:
    """Two bars at 120 bpm: a string chord held to the loop's end, piano notes on bars 1 and 2, loop markers."""
    score = Score(tempos=[TempoChange(0, 120.0)])
    add_track(score, "Strings", 48, [(p, 80, 0, 8) for p in (48, 55, 60, 64)])
    add_track(score, "Piano", 0, [(72, 90, 0, 1), (76, 90, 4, 5)])
    return set_loop(score, 0, LOOP_TICKS)


def seam_jump(samples: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per channel: the step from the last sample back to the first, and the 99th percentile of steps inside."""
    steps = np.abs(np.diff(samples, axis=0))
    return np.abs(samples[0] - samples[-1]), np.percentile(steps, 99, axis=0)


def test_a_loop_is_exactly_its_length_and_has_no_click_at_the_seam():
    audio = render(loop_score())
    assert len(audio.samples) == LOOP_FRAMES
    assert audio.loop == (0, LOOP_FRAMES)
    jump, typical = seam_jump(audio.samples)
    assert np.all(jump < typical), (jump, typical)
    last = audio.samples[-2205:]  # the last 50 ms still sound: a loop is not faded out
    assert np.sqrt(np.mean(last ** 2)) > 0.05
    # the same music cut to the loop's length without the wrapped tail jumps at the seam
    plain = render(loop_score(), RenderConfig(loop=False))
    assert len(plain.samples) > LOOP_FRAMES and plain.loop is None
    jump, typical = seam_jump(plain.samples[:LOOP_FRAMES])
    assert np.all(jump > 2 * typical), (jump, typical)


def test_the_tail_is_wrapped_onto_the_start():
    looped = render(loop_score(), normalise=False)
    plain = render(loop_score(), RenderConfig(loop=False), normalise=False)
    # the first bar of the loop is the first bar of the plain render plus what rang on after the end
    added = looped.samples[:LOOP_FRAMES] - plain.samples[:LOOP_FRAMES]
    assert np.max(np.abs(added[:4410])) > 0.01  # the release and reverb of the held chord
    assert np.max(np.abs(added[-4410:])) < 1e-6  # nothing is added at the end


def test_loop_markers_are_followed_or_overridden():
    score = loop_score()
    score.tracks[1].notes.append(Note(79, LOOP_TICKS + 480, LOOP_TICKS + 960, 90))  # after the loop: cut
    assert len(render(score).samples) == LOOP_FRAMES
    assert np.array_equal(render(score).samples, render(loop_score()).samples)
    unmarked = loop_score()
    unmarked.markers = []
    assert render(unmarked).loop is None
    forced = render(unmarked, RenderConfig(loop=True))  # the whole piece in whole bars
    assert forced.loop == (0, LOOP_FRAMES)
    assert np.allclose(forced.samples, render(loop_score()).samples)


def test_loop_stems_are_wrapped_aligned_and_share_the_gain():
    mix, stems = render_stems(loop_score())
    assert len(mix.samples) == LOOP_FRAMES
    assert all(len(s.samples) == LOOP_FRAMES and s.loop == mix.loop for _, s in stems)
    total = sum(s.samples for _, s in stems)
    assert np.max(np.abs(total - mix.samples)) < 0.05 * mix.peak
    assert max([mix.peak] + [s.peak for _, s in stems]) == pytest.approx(10 ** (-1 / 20), rel=1e-4)


def test_loop_points_are_written_into_wav_and_flac(tmp_path):
    written = render_to_files(loop_score(), tmp_path / "loop.wav", sidecar=False)
    wav = written[0].read_bytes()
    assert soundfile.info(written[0]).frames == LOOP_FRAMES
    smpl = dict(riff_chunks(wav))[b"smpl"]
    fields = struct.unpack("<15I", smpl)
    assert fields[7] == 1  # one loop
    assert fields[11:13] == (0, LOOP_FRAMES - 1)  # start and the last frame played
    flac = render_to_files(loop_score(), tmp_path / "loop.flac", sidecar=False)[0]
    assert soundfile.info(flac).frames == LOOP_FRAMES
    blocks, _ = flac_blocks(flac.read_bytes())
    _, comments = parse_vorbis_comment(dict(blocks)[4])
    assert {b"LOOPSTART=0", f"LOOPLENGTH={LOOP_FRAMES}".encode()} <= set(comments)
    ogg = render_to_files(loop_score(), tmp_path / "loop.ogg", sidecar=False)[0]
    assert soundfile.info(ogg).frames == LOOP_FRAMES  # no tags in OGG (that needs mutagen), same length
    plain = render_to_files(small_band_score(), tmp_path / "plain.wav", sidecar=False)[0]
    assert b"smpl" not in dict(riff_chunks(plain.read_bytes()))
