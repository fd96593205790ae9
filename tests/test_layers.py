"""Intensity layers: shared tempo, meter, length and key; each layer adds parts; sample-aligned stems."""

import json
from pathlib import Path

import pytest

from composer.arrange.layers import layer_groups, parse_layers
from composer.core.errors import ComposerError
from composer.decode.checkpoint import CHECKPOINT_ROOT, DEFAULT_CHECKPOINT

from .conftest import fluidsynth_available

shipped = pytest.mark.skipif(not (CHECKPOINT_ROOT / DEFAULT_CHECKPOINT / "model.safetensors").exists(),
                             reason="no shipped checkpoint yet")


def test_layer_names_and_the_parts_each_layer_adds():
    assert parse_layers("low, mid ,high") == ["low", "mid", "high"]
    for bad in ("low", "a,b,c,d,e,f", "low,low", "low,../x"):
        with pytest.raises(ComposerError):
            parse_layers(bad)
    assert layer_groups([0], 3) == [[0], [33], [-1]]  # a bass and drums join a lone piano
    assert layer_groups([48, 60, 47, -1], 3) == [[48], [60], [47, -1]]  # beds, melody, then percussion
    assert layer_groups([0, 48], 2) == [[48], [0]]
    with pytest.raises(ComposerError, match="cannot make"):
        layer_groups([0, 33], 5)


@shipped
@pytest.mark.skipif(not fluidsynth_available(), reason="FluidSynth is not installed")
def test_layers_share_the_piece_and_their_audio_is_sample_aligned(tmp_path):
    import jsonschema
    import soundfile

    from composer.arrange.layers import compose_layers, write_layers
    from composer.core.analysis import estimate_key
    from composer.output.midi_io import read_midi
    from composer.output.sidecar import load_schema

    pieces = compose_layers("low,mid,high", "a tense stealth mission", key="A minor", bars=4, seed=1, loop=True)
    written = write_layers(pieces, tmp_path / "stealth.mid", tmp_path / "stealth.wav", tmp_path / "stems")
    scores = [read_midi(written["midi"][name]) for name in ("low", "mid", "high")]
    assert len({(s.tempos[0].bpm, str(s.time_signatures[0]), s.length_ticks) for s in scores}) == 1
    names = [[t.name for t in s.tracks] for s in scores]
    assert names[0] and names[0] == names[1][:len(names[0])] and names[1] == names[2][:len(names[1])]
    assert len(names[0]) < len(names[1]) < len(names[2])  # each layer adds parts
    assert [s.note_count for s in scores] == sorted(s.note_count for s in scores)
    assert any(t.is_drum for t in scores[2].tracks) and not any(t.is_drum for t in scores[0].tracks)
    # one key, one harmony: every layer is written in A minor, and the fullest mix is heard in it (the low
    # layer alone, one piano part over 4 bars, can read as its subdominant to music21's analysis)
    assert all([(k.tonic, k.mode) for k in s.key_signatures] == [("A", "minor")] for s in scores)
    assert estimate_key(scores[-1]).name == "A minor"
    files = list(written["audio"].values()) + written["stems"]
    assert len({soundfile.info(f).frames for f in files}) == 1  # every mix and stem the same length
    schema = load_schema()
    for name, path in written["sidecar"].items():
        sidecar = json.loads(Path(path).read_text())
        jsonschema.validate(sidecar, schema)
        assert sidecar["loop"] is not None and len(sidecar["stems"]) == len(pieces[name].score.tracks)
