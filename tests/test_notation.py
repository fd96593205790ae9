"""Notation programs read what we write: MuseScore 3 and music21 import our MIDI and MusicXML, laid out to read."""

import os
import subprocess
import sys
import xml.etree.ElementTree as ET

import pytest
from music21 import converter

from composer.core.score import TICKS_PER_BEAT, KeySignature, Score, TempoChange
from composer.output.midi_io import write_midi
from composer.output.musicxml_io import write_musicxml
from composer.output.notation import pitch_name

from .conftest import REPO, add_track, needs_mscore

sys.path.insert(0, str(REPO / "benchmarks"))
import validity  # benchmarks/ is not a package


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


# ---------------------------------------------------------------- laid out for reading


def written_parts(path):
    """{part-name: (score-part element, part element)} of a MusicXML file, in order."""
    root = ET.parse(path).getroot()
    return {sp.findtext("part-name"): (sp, root.find(f"part[@id='{sp.get('id')}']")) for sp in root.iter("score-part")}


def clefs(part):
    return [(c.findtext("sign"), c.get("number")) for c in part.iter("clef")]


def spelled(part):
    """(step, alter) of each pitched note in the part."""
    return [(p.findtext("step"), int(p.findtext("alter") or 0)) for p in part.iter("pitch")]


def chamber_score():
    """Two violins (one GM program, so one default name), a cello, a wide piano and a kit in Eb major."""
    score = Score(tempos=[TempoChange(0, 100.0)], key_signatures=[KeySignature(0, "Eb", "major")], title="chamber")
    add_track(score, "Violin", 40, [(70, 80, 0, 1), (68, 80, 1, 2), (75, 80, 2, 4)])
    add_track(score, "Violin", 40, [(63, 80, 0, 2), (61, 80, 2, 4)])
    add_track(score, "Cello", 42, [(39, 80, 0, 2), (43, 80, 2, 3), (46, 80, 3, 4)])
    add_track(score, "Piano", 0, [(36, 80, 0, 2), (43, 80, 0, 2), (57, 80, 2, 4), (60, 80, 2, 4), (64, 80, 2, 4),
                                  (79, 80, 0, 1), (84, 80, 1, 2)])
    add_track(score, "Drums", 0, [(36, 100, b, b + 0.25) for b in range(4)]
              + [(42, 80, b + 0.5, b + 0.75) for b in range(4)], is_drum=True)
    return score


@pytest.fixture
def chamber(tmp_path):
    return write_musicxml(chamber_score(), tmp_path / "chamber.musicxml")


def test_each_part_is_named_once_and_repeated_names_are_numbered(chamber):
    parts = written_parts(chamber)
    assert list(parts) == ["Violin I", "Violin II", "Cello", "Piano", "Drums"]
    for name, (score_part, _) in parts.items():
        if name != "Drums":  # a kit names each of its sounds instead
            assert [i.findtext("instrument-name") for i in score_part.iter("score-instrument")] == [name]
    assert all(len(p.findall("score-instrument")) == 1 for p, _ in list(parts.values())[:4])
    assert [p.findtext("part-abbreviation") for p, _ in parts.values()][:2] == ["Vln I", "Vln II"]


def test_a_low_part_reads_in_the_bass_clef_and_a_high_one_in_the_treble(chamber):
    parts = written_parts(chamber)
    assert clefs(parts["Cello"][1]) == [("F", None)]
    assert clefs(parts["Violin I"][1]) == clefs(parts["Violin II"][1]) == [("G", None)]


def test_a_bass_reads_the_bass_clef_even_in_its_tenor_range(tmp_path):
    score = Score()
    add_track(score, "Bass", 33, [(55, 80, 0, 1), (58, 80, 1, 2), (62, 80, 2, 3)])  # median Bb3
    add_track(score, "Flute", 73, [(55, 80, 0, 1), (58, 80, 1, 2), (62, 80, 2, 3)])
    parts = written_parts(write_musicxml(score, tmp_path / "tenor.musicxml"))
    assert [clefs(part) for _, part in parts.values()] == [[("F", None)], [("G", None)]]


def test_a_choirs_tenors_read_the_octave_treble_clef(tmp_path):
    score = Score()
    add_track(score, "Alto", 52, [(64, 80, 0, 1), (62, 80, 1, 2)])
    add_track(score, "Tenor", 52, [(57, 80, 0, 1), (55, 80, 1, 2)])
    add_track(score, "Tenor Sax", 66, [(57, 80, 0, 1), (55, 80, 1, 2)])  # a tenor, but not a singer
    parts = written_parts(write_musicxml(score, tmp_path / "satb.musicxml"))
    _, tenor = parts["Tenor"]
    assert clefs(tenor) == [("G", None)] and tenor.findtext("measure/attributes/clef/clef-octave-change") == "-1"
    assert parts["Tenor Sax"][1].find("measure/attributes/clef/clef-octave-change") is None
    assert parts["Alto"][1].find("measure/attributes/clef/clef-octave-change") is None


def test_a_wide_piano_is_a_braced_grand_staff_split_by_hand(chamber):
    _, piano = written_parts(chamber)["Piano"]
    assert piano.find("measure/attributes/staves").text == "2"
    assert clefs(piano) == [("G", "1"), ("F", "2")]
    hands = {}
    for note in piano.iter("note"):
        if note.find("pitch") is not None:
            name = note.findtext("pitch/step") + note.findtext("pitch/octave")
            hands.setdefault(note.findtext("staff"), set()).add(name)
    # C4 and E4 sound with A3, within an octave: the chord stays in the right hand
    assert hands == {"1": {"A3", "C4", "E4", "G5", "C6"}, "2": {"C2", "G2"}}
    parsed = converter.parse(chamber)
    assert len(parsed.parts) == 6  # music21 reads the grand staff as two PartStaffs
    (brace,) = [g for g in parsed.getElementsByClass("StaffGroup") if g.symbol == "brace"]
    assert brace.name == "Piano"


def test_a_narrow_piano_keeps_one_staff(band_score, tmp_path):
    _, piano = written_parts(write_musicxml(band_score, tmp_path / "band.musicxml"))["Piano"]
    assert piano.find("measure/attributes/staves") is None
    assert clefs(piano) == [("G", None)]


def test_drums_are_written_on_a_percussion_staff_with_a_sound_per_drum(chamber):
    score_part, drums = written_parts(chamber)["Drums"]
    assert clefs(drums) == [("percussion", None)]
    assert drums.find(".//pitch") is None and drums.find(".//key") is None
    sounds = {m.get("id"): int(m.findtext("midi-unpitched")) for m in score_part.iter("midi-instrument")}
    assert sorted(sounds.values()) == [37, 43]  # 1-based: bass drum 1 and closed hi-hat
    looks = {(n.findtext("unpitched/display-step") + n.findtext("unpitched/display-octave"),
              n.findtext("notehead") or "normal", sounds[n.find("instrument").get("id")])
             for n in drums.iter("note") if n.find("unpitched") is not None}
    assert looks == {("F4", "normal", 37), ("G5", "x", 43)}


def test_one_tempo_mark_at_the_start_and_one_key_per_part(band_score, tmp_path):
    band_score.tempos.append(TempoChange(3 * TICKS_PER_BEAT, 120.0))
    root = ET.parse(write_musicxml(band_score, tmp_path / "band.musicxml")).getroot()
    marks = [(part.get("id"), measure.get("number"), m.findtext("per-minute"))
             for part in root.findall("part") for measure in part.findall("measure") for m in measure.iter("metronome")]
    assert marks == [("P1", "1", "90"), ("P1", "2", "120")]
    for part in root.findall("part")[:3]:  # the kit has no key
        keys = [(measure.get("number"), k.findtext("fifths"))
                for measure in part.findall("measure") for k in measure.iter("key")]
        assert keys == [("1", "-3")]


def test_pitches_are_spelled_in_the_key(tmp_path):
    def spelling(tonic, mode, pitches):
        score = Score(key_signatures=[KeySignature(0, tonic, mode)])
        add_track(score, "Flute", 73, [(p, 80, i, i + 1) for i, p in enumerate(pitches)])
        (_, part), = written_parts(write_musicxml(score, tmp_path / f"{tonic}.musicxml")).values()
        return spelled(part)

    # Bb Ab Eb, then Db and Gb from outside the scale: flats, never A# or G#
    assert spelling("Eb", "major", [70, 68, 63, 73, 66]) == [("B", -1), ("A", -1), ("E", -1), ("D", -1), ("G", -1)]
    assert spelling("E", "major", [68, 63, 70, 67]) == [("G", 1), ("D", 1), ("A", 1), ("G", 0)]
    assert spelling("C", "minor", [71, 69, 66]) == [("B", 0), ("A", 0), ("F", 1)]  # raised 7th and 6th, V of V
    assert spelling("G#", "minor", [67]) == [("F", 2)]  # the raised seventh of G# minor is F double sharp


def test_a_clarinet_is_written_a_tone_above_its_sound_and_a_guitar_an_octave_above(tmp_path):
    score = Score(key_signatures=[KeySignature(0, "Eb", "major")])
    add_track(score, "Clarinet", 71, [(70, 80, 0, 1), (63, 80, 1, 2)])  # sounding Bb4 Eb4
    add_track(score, "Guitar", 25, [(52, 80, 0, 1), (64, 80, 1, 2)])  # sounding E3 E4
    parts = written_parts(write_musicxml(score, tmp_path / "transposed.musicxml"))
    _, clarinet = parts["Clarinet"]
    assert [k.findtext("fifths") for k in clarinet.iter("key")] == ["-1"]  # F major on the page
    assert spelled(clarinet) == [("C", 0), ("F", 0)]
    assert (clarinet.findtext(".//transpose/diatonic"), clarinet.findtext(".//transpose/chromatic")) == ("-1", "-2")
    _, guitar = parts["Guitar"]
    assert [(c.findtext("sign"), c.findtext("clef-octave-change")) for c in guitar.iter("clef")] == [("G", "-1")]


@pytest.mark.parametrize("tonic, mode, names", [
    ("C", "major", "C C# D Eb E F F# G G# A Bb B"),
    ("Eb", "major", "C Db D Eb E F Gb G Ab A Bb B"),
    ("A", "minor", "C C# D D# E F F# G G# A Bb B"),
    ("F#", "major", "C C# D D# E E# F# G G# A A# B"),
    ("Cb", "major", "C Db D Eb Fb F Gb G Ab A Bb Cb"),
], ids=["C", "Eb", "Am", "F#", "Cb"])
def test_the_chromatic_scale_in_a_key(tonic, mode, names):
    key = KeySignature(0, tonic, mode)
    written = [pitch_name(60 + step, key).rstrip("0123456789").replace("-", "b") for step in range(12)]
    assert written == names.split()


def test_a_lower_voice_tied_over_the_bar_line_keeps_its_number_and_bars_stay_full(tmp_path):
    """A chord struck under a sounding note takes voice 2, and keeps it in the next bar, where it sounds
    alone, so MuseScore joins its ties (voice 1 rests there, visibly)."""
    score = Score()
    add_track(score, "Strings", 48, [(72, 80, 0, 1), (60, 80, 0.5, 6), (64, 80, 0.5, 6), (74, 80, 2.5, 3)])
    path = write_musicxml(score, tmp_path / "tied.musicxml")
    (_, part), = written_parts(path).values()
    voices = {(m.get("number"), n.findtext("pitch/step"), n.findtext("voice"))
              for m in part.findall("measure") for n in m.iter("note") if n.find("pitch") is not None}
    assert voices == {("1", "C", "1"), ("1", "D", "1"), ("1", "C", "2"), ("1", "E", "2"),
                      ("2", "C", "2"), ("2", "E", "2")}
    second = part.findall("measure")[1]
    assert [t.get("type") for t in second.iter("tie")] == ["stop", "stop"]
    rests = [(n.findtext("voice"), n.get("print-object")) for n in second.iter("note") if n.find("rest") is not None]
    assert rests == [("1", None), ("2", "no")]  # voice 1 rests for the bar; voice 2's rest after the chord is hidden
    ok, message = validity.full_bars(path)
    assert ok, message


@needs_mscore
def test_musescore_shows_names_once_a_grand_staff_and_a_drum_set(chamber, tmp_path):
    mscx = tmp_path / "chamber.mscx"
    mscore_convert(chamber, mscx)
    root = ET.parse(mscx).getroot()
    parts = root.findall(".//Part")
    assert [p.findtext("Instrument/longName") for p in parts] == ["Violin I", "Violin II", "Cello", "Piano", "Drums"]
    assert [len(p.findall("Staff")) for p in parts] == [1, 1, 1, 2, 1]
    assert parts[4].find("Staff/StaffType").get("group") == "percussion"
    assert parts[4].findtext("Instrument/useDrumset") == "1"


def test_sections_are_rehearsal_marks_above_the_top_staff(band_score, tmp_path):
    """MuseScore 3 drops a MIDI file's markers, so the MusicXML carries them: A and B over the top staff,
    placed above it like the tempo (a direction without a placement is drawn below the staff)."""
    import xml.etree.ElementTree as ET

    root = ET.parse(write_musicxml(band_score, tmp_path / "band.musicxml")).getroot()
    parts = root.findall("part")
    marks = [(d.get("placement"), d.findtext("direction-type/rehearsal")) for d in parts[0].iter("direction")
             if d.find("direction-type/rehearsal") is not None]
    assert marks == [("above", "A"), ("above", "B")]
    assert all(d.get("placement") == "above" for d in parts[0].iter("direction")
               if d.find("direction-type/metronome") is not None)
    assert not any(p.find(".//rehearsal") is not None for p in parts[1:])  # once, not per part
