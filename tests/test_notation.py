"""Notation programs accept what we write: MuseScore 3 imports our MIDI and MusicXML; music21 reads both."""

import os
import subprocess
import xml.etree.ElementTree as ET

import pytest
from music21 import converter

from composer.output.midi_io import write_midi
from composer.output.musicxml_io import write_musicxml

from .conftest import needs_mscore


def mscore_convert(source, target):
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    result = subprocess.run(["mscore3", "-o", str(target), str(source)], capture_output=True, text=True,
                            env=env, timeout=120)
    assert result.returncode == 0 and target.exists(), result.stderr


def musicxml_facts(path, pitched_parts=None):
    root = ET.parse(path).getroot()
    parts = root.findall("part")[:pitched_parts]
    return {
        "parts": [p.text or "" for p in root.iter("part-name")],
        "fifths": {int(f.text) for part in parts for f in part.iter("fifths")},
        "meters": {(b.find("beats").text, b.find("beat-type").text) for b in root.iter("time")},
        "tempos": {float(s.get("tempo")) for s in root.iter("sound") if s.get("tempo")},
    }


@needs_mscore
def test_musescore_imports_our_midi_with_parts_key_meter_and_tempo(band_score, tmp_path):
    midi = write_midi(band_score, tmp_path / "band.mid")
    mscore_convert(midi, tmp_path / "band.musicxml")
    facts = musicxml_facts(tmp_path / "band.musicxml", pitched_parts=3)  # a drum staff has no key
    for name in ("Piano", "Strings", "Bass", "Drums"):
        assert any(name in part for part in facts["parts"]), facts["parts"]
    assert facts["fifths"] == {-3}  # Eb major
    assert facts["meters"] == {("3", "4")}
    assert facts["tempos"] == {90.0}


@needs_mscore
def test_musescore_imports_our_musicxml(band_score, tmp_path):
    xml = write_musicxml(band_score, tmp_path / "band.musicxml")
    mscore_convert(xml, tmp_path / "again.mid")
    assert (tmp_path / "again.mid").stat().st_size > 100


def test_musicxml_keeps_part_names_key_and_meter(band_score, tmp_path):
    path = write_musicxml(band_score, tmp_path / "band.musicxml")
    facts = musicxml_facts(path)
    assert facts["parts"][:3] == ["Piano", "Strings", "Bass"]
    assert facts["fifths"] == {-3}
    assert facts["meters"] == {("3", "4")}
    parsed = converter.parse(path)
    assert len(parsed.parts) == 4
    assert len(parsed.parts[0].recurse().notes) == 4


def test_compressed_mxl_and_bad_suffix(band_score, tmp_path):
    path = write_musicxml(band_score, tmp_path / "band.mxl")
    assert path.read_bytes()[:2] == b"PK"
    with pytest.raises(Exception, match="MusicXML"):
        write_musicxml(band_score, tmp_path / "band.pdf")


def test_abc_tune_with_a_shared_time_signature_converts_whole():
    """O'Neill's tune 1 trips music21's MIDI writer ("TimeSignature ... already found"); we repair it."""
    from music21 import corpus

    from composer.output.musicxml_io import score_from_music21

    tune = corpus.parse("oneills1850/0001-0050", number=1)
    previous, expected = None, 0
    for note in tune.flatten().notes:  # sounding notes: a same-pitch tie chain is one note
        tied = note.tie is not None and note.tie.type in ("stop", "continue")
        if not note.duration.isGrace and not (tied and previous is not None and previous.pitches == note.pitches):
            expected += len(note.pitches)
        previous = note
    score = score_from_music21(tune)
    graces = sum(1 for n in tune.flatten().notes if n.duration.isGrace)
    assert expected <= score.note_count <= expected + graces
    assert [str(ts) for ts in score.time_signatures][:1] == ["2/4"]
    assert score.key_signatures[0].name == "G minor"
