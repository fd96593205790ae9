"""`composer eval musicality`: a tiny run end to end (three conditions, references, table, pictures), the
masked-random ablation really decodes without the model, and the 'not moved beyond random' mark."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from composer.evaluate.musicality_report import bar_listing, table_lines, write_pictures
from composer.evaluate.musicality_run import (
    CONDITIONS,
    HEADLINES,
    UniformDecoder,
    load_musicality_prompts,
    not_moved,
    requested_present,
    run_musicality,
    uniform_logits,
)

from .conftest import run_cli


def test_not_moved_needs_the_difference_inside_two_standard_errors() -> None:
    assert not_moved({"mean": 0.30, "se": 0.02}, {"mean": 0.32, "se": 0.02})
    assert not not_moved({"mean": 0.30, "se": 0.01}, {"mean": 0.40, "se": 0.01})
    assert not not_moved({"mean": None, "se": None}, {"mean": 0.4, "se": 0.1})


def test_a_keyboards_two_hands_are_heard_in_its_one_track_and_a_missing_part_is_silent() -> None:
    from types import SimpleNamespace

    asked = {"Piano (right hand)": "melody", "Piano (left hand)": "comp", "Electric Bass (finger)": "bass",
             "Flute": "counter"}
    piece = SimpleNamespace(attributes={"roles": {"value": asked}})
    measured = SimpleNamespace(parts=[SimpleNamespace(name="Piano", bars_sounding=1.0),
                                      SimpleNamespace(name="Electric Bass (finger)", bars_sounding=0.95)])
    assert requested_present(piece, measured) == 0.75  # type: ignore[arg-type]  # the flute never plays


def test_the_melody_span_is_its_95th_minus_its_5th_percentile_pitch_over_the_melodies() -> None:
    from types import SimpleNamespace

    span = dict((key, value) for key, _, value in HEADLINES)["melody_span"]
    tune = SimpleNamespace(role="melody", p5_pitch=62.0, p95_pitch=74.0)
    bass = SimpleNamespace(role="bass", p5_pitch=30.0, p95_pitch=55.0)
    assert span(SimpleNamespace(parts=[tune, bass])) == 12.0  # the bass's span is not a tune's
    assert span(SimpleNamespace(parts=[bass])) is None


def test_uniform_logits_replaces_the_decoder_only_inside_the_block() -> None:
    from composer.decode import sampling

    original = sampling.decoder_for
    with uniform_logits():
        assert sampling.decoder_for is not original
    assert sampling.decoder_for is original
    logits, _ = UniformDecoder(7).prefill(None)
    assert logits.shape == (1, 7) and float(logits.abs().sum()) == 0.0


def test_a_bad_prompt_file_is_one_line(tmp_path: Path) -> None:
    bad = tmp_path / "p.jsonl"
    bad.write_text('{"id": "x"}\n')
    result = run_cli("eval", "musicality", "--prompts", str(bad), "--out", str(tmp_path / "out"))
    assert result.returncode == 2 and "needs a \"prompt\"" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    bad.write_text('{"id": "x", "prompt": "a duo", "bass": "kazoo"}\n')
    result = run_cli("eval", "musicality", "--prompts", str(bad), "--out", str(tmp_path / "out"))
    assert result.returncode == 2 and "bass family 'kazoo'" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_a_tiny_run_measures_every_condition_beside_the_references(tmp_path: Path) -> None:
    prompts = tmp_path / "p.jsonl"
    prompts.write_text(json.dumps({"id": "duo", "prompt": "calm folk song for flute and cello",
                                   "melody": "flute", "bass": "cello"}) + "\n")
    result = run_musicality(load_musicality_prompts(prompts), tmp_path / "out", seeds=(1,), bars=4,
                            reference_counts={"chorales": 1, "quartets": 1, "folk": 1, "piano": 1})
    groups = result["groups"]
    assert [g for g in groups if groups[g]["kind"] == "generated"] == [c.name for c in CONDITIONS]
    assert {g for g in groups if groups[g]["kind"] == "reference"} == {"chorales", "quartets", "folk", "piano"}
    files = {name: Path(groups[name]["files"][0]).read_bytes() for name in ("composer", "masked random")}
    assert files["composer"] != files["masked random"]  # the ablation really decodes something else
    assert set(result["headlines"]) == {key for key, _, _ in HEADLINES}
    composer_piece = result["pieces"]["composer"][0]
    assert sorted(composer_piece["roles"]) == ["bass", "melody"]  # from the prompt's families
    assert result["headlines"]["bass_median"]["values"]["chorales"]["mean"] < 60
    lines = table_lines(result)
    assert lines[0].startswith("| measure | composer | masked random | model alone | no soft biases")
    assert 0 <= composer_piece["parts_present"] <= 1
    assert any("distinct keys" in line for line in lines)
    assert groups["composer"]["prompts"] == ["calm folk song for flute and cello"]
    assert result["prompt_sets"]["composer"]["jazz_pieces"] == 0  # a folk prompt: no jazz share
    assert result["prompt_sets"]["composer"]["jazz_seventh_share"] is None
    assert composer_piece["cadence_share"] is None  # four bars: no whole 8-bar period
    assert set(result["reference_sets"]) == {"chorales", "quartets", "folk", "piano"}
    window_row = next(line for line in lines if line.startswith("| 4-bar windows that are distinct"))
    assert window_row.count("%") == 8  # four conditions and four reference groups
    assert any(line.startswith("| bars on a seventh chord") for line in lines)
    pictures = write_pictures(result, tmp_path / "out")
    assert all(Path(p).exists() for p in pictures.values())
    listing = bar_listing(groups["composer"]["files"][0])
    assert listing[0].startswith("== duo-s1.mid") and "bar 1" in listing
