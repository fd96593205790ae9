"""The CLI as a user runs it: render, stems, convert, soundfonts and demo."""

import mido
import soundfile

from composer.output.midi_io import midi_bytes

from .conftest import needs_fluidsynth, run_cli, small_band_score


@needs_fluidsynth
def test_render_writes_mix_and_stems(tmp_path):
    source = tmp_path / "band.mid"
    source.write_bytes(midi_bytes(small_band_score()))
    result = run_cli("render", str(source), "-o", str(tmp_path / "band.flac"), "--stems", str(tmp_path / "stems"))
    assert result.returncode == 0, result.stderr
    stems = sorted(p.name for p in (tmp_path / "stems").iterdir())
    assert stems == ["01-piano.flac", "02-strings.flac", "03-bass.flac", "04-drums.flac"]
    lengths = {soundfile.info(p).frames for p in (tmp_path / "stems").iterdir()}
    assert lengths == {soundfile.info(tmp_path / "band.flac").frames}


def test_convert_cleans_a_type0_file(tmp_path):
    midi = mido.MidiFile(type=0, ticks_per_beat=96)
    midi.tracks.append(mido.MidiTrack([
        mido.Message("program_change", channel=0, program=24, time=0),
        mido.Message("program_change", channel=1, program=33, time=0),
        mido.Message("note_on", channel=0, note=64, velocity=90, time=0),
        mido.Message("note_on", channel=1, note=40, velocity=90, time=0),
        mido.Message("note_off", channel=0, note=64, velocity=0, time=96),
        mido.Message("note_off", channel=1, note=40, velocity=0, time=0),
    ]))
    midi.save(tmp_path / "type0.mid")
    result = run_cli("convert", str(tmp_path / "type0.mid"), "-o", str(tmp_path / "clean.mid"),
                     "--piano-roll", str(tmp_path / "roll.png"))
    assert result.returncode == 0, result.stderr
    clean = mido.MidiFile(tmp_path / "clean.mid")
    # track 0 holds the guitar and the conductor's events, track 1 the bass
    assert clean.type == 1 and clean.ticks_per_beat == 480 and len(clean.tracks) == 2
    programs = sorted(m.program for t in clean.tracks for m in t if m.type == "program_change")
    assert programs == [24, 33]
    assert (tmp_path / "roll.png").read_bytes()[:4] == b"\x89PNG"


def test_soundfonts_lists_the_bundled_fallback():
    result = run_cli("soundfonts")
    assert result.returncode == 0
    assert "TimGM6mb.sf2" in result.stdout


@needs_fluidsynth
def test_demo_writes_midi_musicxml_png_and_wav(tmp_path):
    result = run_cli("demo", "--out-dir", str(tmp_path))
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["demo.mid", "demo.musicxml", "demo.png", "demo.wav",
                                                          "demo.wav.json"]  # the render's sidecar
    names = [next(m.name for m in t if m.type == "track_name") for t in mido.MidiFile(tmp_path / "demo.mid").tracks]
    assert names == ["Violin I", "Violin II", "Viola", "Cello"]  # a string quartet's four parts, two violins apart
    assert soundfile.info(tmp_path / "demo.wav").duration > 20  # 8 bars of 4/4 at andante (83 bpm): 23 s
