"""Generated files open in MuseScore 3, music21, pretty_midi and FluidSynth: benchmarks/validity.py on 3 outputs."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from composer.core.score import Score, TimeSignature
from composer.output.midi_io import write_midi
from composer.output.musicxml_io import write_musicxml

from .conftest import REPO, add_track, small_band_score

sys.path.insert(0, str(REPO / "benchmarks"))
import validity  # benchmarks/ is not a package

# Three requests that take different paths: a compound meter in a seven-sharp key, a loop with a drum
# kit in a seven-flat key and an odd meter, and a continuation of the user's own file.
CASES = [
    ("jig-6-8-C#", ["generate", "--key", "C# major", "--meter", "6/8", "--instruments", "flute,cello", "--bars", "2"]),
    ("loop-5-4-Cb-drums", ["generate", "--loop", "--key", "Cb major", "--meter", "5/4",
                           "--instruments", "piano,bass,drums", "--bars", "2"]),
    ("continue-band", ["continue", "{band}", "--bars", "1"]),
]
TOOLS = {
    "musescore": lambda midi, xml, work: [validity.musescore(midi, work), validity.musescore(xml, work)],
    "music21": lambda midi, xml, work: [validity.music21_parse(midi), validity.music21_parse(xml)],
    "pretty_midi": lambda midi, xml, work: [validity.pretty_midi_load(midi)],
    "fluidsynth": lambda midi, xml, work: [validity.fluidsynth_render(midi, work)],
    "musicxml_bars": lambda midi, xml, work: [validity.full_bars(xml)],
}


@pytest.fixture(scope="module")
def outputs(tmp_path_factory) -> tuple[list[tuple[Path, Path]], Path]:
    work = tmp_path_factory.mktemp("validity")
    inputs = {"band": str(write_midi(small_band_score(), work / "band.mid"))}
    found = []
    for name, arguments in CASES:
        record = validity.run_case(name, arguments, work, inputs)
        assert record["exit_code"] == 0, record.get("error")
        found += [(Path(midi), Path(xml)) for midi, xml in record["outputs"]]
    assert len(found) == 3
    return found, work


@pytest.mark.parametrize("tool", list(TOOLS))
def test_every_output_opens_in(tool, outputs):
    files, work = outputs
    results = [(midi.name, result) for midi, xml in files for result in TOOLS[tool](midi, xml, work)]
    skipped = [message for _, (ok, message) in results if ok is None]
    if skipped:
        pytest.skip(skipped[0])
    failures = [f"{name}: {message}" for name, (ok, message) in results if not ok]
    assert not failures, failures


def test_a_held_note_under_moving_ones_fills_its_bar_exactly(tmp_path):
    """A viola holds G4 through beat 4 while B3 enters on its second half: one MIDI track, two voices.
    music21 once wrote them end to end (4.5 beats in a 4/4 bar; MuseScore read a 9/8 bar)."""
    score = Score(time_signatures=[TimeSignature(0, 4, 4)])
    add_track(score, "Viola", 41, [(71, 80, 0, 1), (62, 80, 1, 2), (67, 80, 3, 4), (59, 80, 3.5, 4),
                                   (67, 80, 4, 8)])
    xml = write_musicxml(score, tmp_path / "viola.musicxml")
    ok, message = validity.full_bars(xml)
    assert ok, message
    assert validity.meters(xml) == {"4/4"}
    ok, message = validity.music21_parse(xml)
    assert ok and "5 notes" in message, message
