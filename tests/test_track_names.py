"""Tracks are named in the person's own words ("Lead Synth"), and `--tracks` finds them by those names, by GM
name or by family."""

import mido
import pytest

from composer.arrange.infill import pick_tracks
from composer.core.instruments import instrument_names, parse_named
from composer.core.score import Score, Track
from composer.decode.checkpoint import CHECKPOINT_ROOT, DEFAULT_CHECKPOINT
from composer.plan.request import describe


def test_an_instrument_list_keeps_the_names_it_was_given() -> None:
    assert parse_named("lead synth, Upright Bass & 8-bit + drums") == [(81, "Lead Synth"), (32, "Upright Bass"),
                                                                       (80, "8-bit"), (-1, None)]
    assert parse_named("string quartet")[0] == (40, None)  # an ensemble's parts keep their GM names
    assert instrument_names(["rhodes", 33, "piano"]) == {4: "Rhodes", 0: "Piano"}


@pytest.mark.parametrize(("prompt", "options", "names"), [
    ("upbeat pop with lead synth, piano and bass", {}, ["Lead Synth", "Piano", "Bass"]),
    ("a duet for two violins", {}, ["Violin I", "Violin II"]),
    ("a string quartet in G", {}, ["Violin I", "Violin II", "Viola", "Cello"]),
    ("calm night", {"instruments": "rhodes, upright bass"}, ["Rhodes (right hand)", "Rhodes (left hand)",
                                                             "Upright Bass"]),
    ("calm night", {"instruments": [4, 32]}, ["Electric Piano 1 (right hand)",
      "Electric Piano 1 (left hand)", "Acoustic Bass"]),  # numbers: GM names
], ids=["words", "two-violins", "quartet", "option", "numbers"])
def test_parts_are_named_from_the_words(prompt: str, options: dict, names: list[str]) -> None:
    request = describe(prompt, **options)
    assert sorted(request["roles"]) == sorted(names)


def test_tracks_are_found_by_own_name_gm_name_and_family() -> None:
    score = Score(tracks=[Track("Lead Synth", 81), Track("Piano", 0), Track("Upright Bass", 32),
                          Track("Drums", 0, True)])
    assert [t.name for t in pick_tracks(score, "lead synth")] == ["Lead Synth"]
    assert [t.name for t in pick_tracks(score, "Lead 2 (sawtooth)")] == ["Lead Synth"]  # its GM name
    assert [t.name for t in pick_tracks(score, "acoustic grand piano")] == ["Piano"]
    assert [t.name for t in pick_tracks(score, "bass, DRUMS")] == ["Upright Bass", "Drums"]  # word, then name


@pytest.mark.skipif(not (CHECKPOINT_ROOT / DEFAULT_CHECKPOINT / "model.safetensors").exists(),
                    reason="no shipped checkpoint")
def test_the_written_midi_carries_the_names(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from composer import compose

    piece = compose("a chill groove for rhodes and fretless bass", bars=2, seed=1)
    path = piece.save_midi(tmp_path / "named.mid")
    names = [m.name for track in mido.MidiFile(path).tracks for m in track if m.type == "track_name"]
    assert names == ["Rhodes", "Fretless Bass"]
