"""Evaluation: the control checks and a fast CI guard through `eval control` and `eval music` with thresholds
that fail on a real regression (composer/evaluate/control.py, composer/evaluate/music.py,
composer/faces/commands_eval.py)."""

from __future__ import annotations

import json

import pytest

from composer.evaluate.control import (
    PUBLISHED,
    evaluate,
    instrument_scores,
    judge,
    load_prompts,
    requested_tempo,
    tempo_bin,
)

# Three explicit prompts in the shared eval format (like p01, p03 and p08 of prompts_public.jsonl).
GUARD_PROMPTS = [
    {"id": "g1", "kind": "explicit", "prompt": "Calm solo piano piece in C major at 72 bpm.", "key": "C major",
     "meter": "4/4", "tempo_range": [70, 74], "instruments": ["piano"]},
    {"id": "g2", "kind": "explicit", "prompt": "Orchestral strings and french horn in Eb major, 3/4, 90 bpm.",
     "key": "Eb major", "meter": "3/4", "tempo_range": [88, 92], "instruments": ["strings", "french_horn"]},
    {"id": "g3", "kind": "explicit", "prompt": "Music box melody with celesta and harp in D major, 3/4, 100 bpm.",
     "key": "D major", "meter": "3/4", "tempo_range": [98, 102], "instruments": ["celesta", "harp"]},
]


def test_midicaps_tempo_bins():
    assert [tempo_bin(b) for b in (30, 40, 41, 60, 65, 72, 100, 120, 150, 180, 211)] == \
        [0, 0, 1, 1, 2, 3, 4, 5, 6, 7, 8]


def test_the_tempo_a_prompt_asks_for():
    assert requested_tempo("Jazz ballad in Db major, slow, 66 bpm.") == (2, 66.0)
    assert requested_tempo("Baroque chorale in G major, Adagio.") == (2, None)
    assert requested_tempo("A Presto for two flutes at 180 BPM") == (7, 180.0)  # the number wins
    assert requested_tempo("A minor folk tune for fiddle, lively.") is None


def test_judging_key_signature_tempo_bins_and_instruments():
    entry = {"prompt": "Waltz for flute and piano in D major at 100 bpm", "key": "D major", "meter": "3/4",
             "instruments": ["flute", "piano"]}
    found = {"keys": {"key": (2, "major"), "krumhansl": (9, "major")}, "key_signature": (2, "major"),
             "tempo": 108.0, "meter": "3/4", "programs": {0, 73}, "notes_per_second": 3.0, "mean_velocity": 80}
    checks = judge(entry, found, median_density=3.0)
    assert checks["key"] and not checks["key_krumhansl"] and checks["key_signature"]
    assert checks["TB"] and checks["TBT"] and checks["tempo_10pct"]  # 108 is in 100's bin (90-110], within 10%
    slow = judge(entry, {**found, "tempo": 85.0, "key_signature": (11, "minor")}, median_density=3.0)
    assert not slow["TB"] and slow["TBT"] and not slow["tempo_10pct"] and not slow["key_signature"]
    far = judge(entry, {**found, "tempo": 150.0}, median_density=3.0)
    assert not far["TB"] and not far["TBT"]
    # a MIDI file stores 140 bpm as 428571 us a beat, read back as 140.00014: still the 110-140 bin
    rock = judge({**entry, "prompt": "Rock anthem in D major, 140 bpm."}, {**found, "tempo": 140.00014},
                 median_density=3.0)
    assert rock["TB"] and rock["tempo_10pct"]
    assert instrument_scores(["piano", "violin"], {0, 40, 73}) == pytest.approx(
        {"instrument_precision": 2 / 3, "instrument_recall": 1.0, "instrument_f1": 0.8})
    assert instrument_scores(["piano"], set())["instrument_f1"] == 0.0


def test_eval_control_guard(tmp_path):
    """3 prompts x 1 seed through the whole control evaluation; the published figures ride along."""
    path = tmp_path / "prompts.jsonl"
    path.write_text("".join(json.dumps(p) + "\n" for p in GUARD_PROMPTS))
    report = evaluate(load_prompts(path), tmp_path / "out", seeds=(0,))
    control = report["control"]
    assert control["CK"]["files"] == 3 and control["CK"]["percent"] >= 66.6
    assert control["key_signature"]["percent"] == 100.0
    assert control["TB"]["files"] == 3 and control["TBT"]["percent"] >= 66.6
    assert control["meter"]["percent"] >= 66.6
    assert control["instrument_f1"]["percent"] >= 66.6
    assert report["published"] == PUBLISHED and PUBLISHED["Text2midi"]["CK"] == 33.6


def test_eval_control_prints_published_figures_marked(tmp_path, capsys):
    from composer.faces.commands_eval import control_lines

    report = {"published": PUBLISHED, "control": {"CK": {"percent": 90.0, "files": 30},
                                                  "meter": {"percent": 100.0, "files": 30}}}
    text = "\n".join(control_lines(report))
    assert "published, not re-measured" in text and "33.6%" in text and "13.7%" in text and "90.0%" in text


def test_eval_music_guard(tmp_path, monkeypatch):
    """4 generated vs 4 held-out pieces (converted on the fly from one corpus collection, as without data/)."""
    import composer.evaluate.heldout
    from composer.evaluate.music import evaluate_music

    monkeypatch.setattr(composer.evaluate.heldout, "DEFAULT_PIECES", tmp_path / "no-pieces.jsonl")
    report = evaluate_music(4, seed=0, out_dir=tmp_path / "music", collections=("essenFolksong",))
    assert report["heldout_source"].startswith("music21's corpus")
    assert report["heldout_collections"] == {"essenFolksong": 4}
    assert len(list((tmp_path / "music").glob("generated-*.mid"))) == 4
    generated, heldout = report["metrics"]["generated"], report["metrics"]["heldout"]
    assert generated["scale_consistency"]["mean"] >= 0.9  # constraints on: the key's scale
    assert heldout["scale_consistency"]["mean"] >= 0.9  # German folk songs are diatonic
    assert 0.5 <= generated["groove_consistency"]["mean"] <= 1.0
    assert generated["pitch_range"]["mean"] <= 36 and generated["empty_beat_rate"]["mean"] <= 0.5
    for row in report["distributions"]["generated_vs_heldout"].values():
        assert 0.0 <= row["overlap_area"] <= 1.0 and row["kl_divergence"] >= 0.0
    nll = report["nll"]
    assert nll["pieces"] == 4 and nll["tokens"] > 400
    assert nll["nll_per_token"] < 1.0  # the shipped model: ~0.5 on these tunes; untrained: ~ln(vocab) = 6+
    assert nll["nll_per_token_with_controls"] <= nll["nll_per_token"] + 0.05


def test_eval_music_refuses_too_few_pieces(capsys):
    from composer.faces.cli import main

    assert main(["eval", "music", "--n", "2"]) == 2
    assert "at least 4 pieces" in capsys.readouterr().err
    assert main(["eval", "control", "--prompts", "missing.jsonl"]) == 2
