"""Training end to end on a tiny shard: the loss falls, state resumes, a shipped checkpoint loads and generates."""

import base64
import json
import os
import shutil
import subprocess
import sys

import pytest
import torch

from composer.decode.parts import transposed_chord
from composer.output.midi_io import midi_bytes
from composer.train.data.attributes import extract_attributes
from composer.train.data.splits import melody_fingerprint

from .conftest import REPO, corpus_score

PIECES = [("essenFolksong/altdeu10", n) for n in range(1, 7)] + [("bach/bwv66.6", None)]


@pytest.fixture(scope="module")
def tiny_shards(tmp_path_factory):
    from composer.train.data.shards import build_shards

    data = tmp_path_factory.mktemp("data")
    rows = []
    for i, (path, number) in enumerate(PIECES):
        score = corpus_score(path, number)
        split = "valid" if i == 0 else "train"
        rows.append({"piece_id": f"{path}#{number}", "collection": path.split("/")[0], "title": "",
                     "fingerprint": melody_fingerprint(score), "split": split,
                     "attributes": extract_attributes(score, path.split("/")[0]).to_json(),
                     "midi_b64": base64.b64encode(midi_bytes(score)).decode(), "duplicate_of": f"{path}#{number}"})
    (data / "pieces.jsonl").write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    shards = data / "shards"
    meta = build_shards(data, shards, jobs=1, embed=lambda texts: torch.randn(len(texts), 384).numpy())
    assert meta["versions"] >= len(PIECES)
    return shards


TINY_ARGS = ["--n-layer", "2", "--n-head", "2", "--d-model", "64", "--d-ff", "128", "--block-size", "128",
             "--max-relative", "128", "--batch-size", "4", "--warmup", "5", "--lr", "3e-3", "--eval-every", "20",
             "--eval-batches", "2", "--dropout", "0.0"]


def test_training_lowers_the_loss_and_resumes(tiny_shards, tmp_path):
    from composer.train.trainer import main

    run = tmp_path / "run"
    assert main(["--shards", str(tiny_shards), "--run-dir", str(run), "--steps", "40", *TINY_ARGS]) == 0
    log = [json.loads(line) for line in (run / "log.jsonl").read_text().splitlines()]
    first, last = sum(r["loss"] for r in log[:5]) / 5, sum(r["loss"] for r in log[-5:]) / 5
    assert last < first - 1.0, (first, last)
    assert "valid_loss" in log[-1]
    assert main(["--shards", str(tiny_shards), "--run-dir", str(run), "--steps", "45", *TINY_ARGS]) == 0
    steps = [json.loads(line)["step"] for line in (run / "log.jsonl").read_text().splitlines()]
    assert steps[-6:] == [40, 41, 42, 43, 44, 45]  # resumed at 40, not from scratch


def test_export_then_generate(tiny_shards, tmp_path):
    from composer.decode.checkpoint import load_shipped
    from composer.pipeline import compose
    from composer.train.trainer import export, main

    run = tmp_path / "run"
    main(["--shards", str(tiny_shards), "--run-dir", str(run), "--steps", "10", *TINY_ARGS])
    folder = export(run, tiny_shards, tmp_path / "ckpt")
    assert sorted(p.name for p in folder.iterdir()) == ["config.json", "model.safetensors", "tokenizer.json"]
    model, tokenizer, config = load_shipped(folder)
    assert config["trained_steps"] == 10 and model.cfg.vocab_size == len(tokenizer)
    from composer.train.data.shards import training_notes_by_program

    notes = training_notes_by_program(tiny_shards)  # the export records what its training data played
    assert config["training_notes_by_program"] == {str(p): n for p, n in notes.items() if n}
    assert sum(notes.values()) > 0 and set(config["known_programs"]) <= {p for p, n in notes.items() if n}
    piece = compose(key="D minor", meter="3/4", tempo=90, bars=2, seed=3, checkpoint=str(folder))
    again = compose(key="D minor", meter="3/4", tempo=90, bars=2, seed=3, checkpoint=str(folder))
    assert midi_bytes(piece.score) == midi_bytes(again.score)  # same seed, same bytes


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("torchrun") is None and not os.path.exists(os.path.join(
    os.path.dirname(sys.executable), "torchrun")), reason="torchrun not installed")
def test_torchrun_ddp_two_processes(tiny_shards, tmp_path):
    torchrun = os.path.join(os.path.dirname(sys.executable), "torchrun")
    result = subprocess.run([torchrun, "--standalone", "--nproc_per_node", "2", "-m", "composer.train.trainer",
                             "--shards", str(tiny_shards), "--run-dir", str(tmp_path / "ddp"), "--steps", "4",
                             "--threads", "1", *TINY_ARGS], capture_output=True, text=True, cwd=REPO, timeout=600)
    assert result.returncode == 0, result.stderr[-2000:]
    assert (tmp_path / "ddp" / "last.pt").exists()


def test_loader_transposes_pitches_and_key_together(tiny_shards):
    from composer.train.data.loader import ShardDataset

    plain = ShardDataset(tiny_shards, 0, 128, seed=0, transpose=False)
    moved = ShardDataset(tiny_shards, 0, 128, seed=0, transpose=True)
    tokens = plain.tokenizer.tokens
    shifts = set()
    for row in range(len(plain)):
        prefix_a, music_a = plain.sample(row, dropout=False, start=0)
        moved.rng = __import__("numpy").random.default_rng(row)
        prefix_b, music_b = moved.sample(row, dropout=False, start=0)
        pitches_a = [int(tokens[t][6:]) for t in music_a if tokens[t].startswith("Pitch_")]
        pitches_b = [int(tokens[t][6:]) for t in music_b if tokens[t].startswith("Pitch_")]
        shift = {b - a for a, b in zip(pitches_a, pitches_b, strict=True)}
        assert len(shift) == 1 and all(21 <= p <= 108 for p in pitches_b)
        key_a = next(tokens[t] for t in prefix_a if tokens[t].startswith("Key_"))
        key_b = next(tokens[t] for t in prefix_b if tokens[t].startswith("Key_"))
        from composer.core.theory import pitch_class

        k = shift.pop()
        shifts.add(k)
        assert (pitch_class(key_a[4:].split("-")[0]) + k) % 12 == pitch_class(key_b[4:].split("-")[0])
        assert key_a.split("-")[1] == key_b.split("-")[1]
        chords_a = [tokens[t] for t in music_a if tokens[t].startswith("Chord_")]
        chords_b = [tokens[t] for t in music_b if tokens[t].startswith("Chord_")]
        assert chords_a and [transposed_chord(c, k) for c in chords_a] == chords_b  # the chords move too
    assert len(shifts) > 1


def test_ensembles_can_be_drawn_more_often(tiny_shards):
    from composer.train.data.loader import ShardDataset

    plain = ShardDataset(tiny_shards, 0, 128, seed=0)
    weighted = ShardDataset(tiny_shards, 0, 128, seed=0, ensemble_weight=4.0)
    ensembles = plain.parts >= 2
    assert ensembles.any() and not ensembles.all()  # the chorale's versions, and the folk tunes
    share, heavier = plain.weights[ensembles].sum(), weighted.weights[ensembles].sum()
    assert heavier == pytest.approx(4 * share / (4 * share + 1 - share))


def test_shards_report_what_each_collection_gives(tiny_shards):
    meta = json.loads((tiny_shards / "meta.json").read_text())
    bach, folk = meta["by_collection"]["bach"], meta["by_collection"]["essenFolksong"]
    assert bach["pieces"] == 1 and bach["versions"] >= 2  # an ensemble piece trains in several orchestrations
    assert bach["roles"]["melody"] == bach["roles"]["bass"] == bach["versions"]
    inner = sum(bach["roles"].get(role, 0) for role in ("counter", "comp", "pad"))
    assert inner > 0  # the inner voices as lines, or (a reduction) as one part's chords
    assert set(folk["roles"]) == {"melody"} and folk["skipped"] == 0


def test_a_run_can_start_from_a_shipped_checkpoint(tiny_shards, tmp_path):
    from composer.decode.checkpoint import load_shipped
    from composer.train.trainer import main

    base, base_tokens, config = load_shipped("base")
    args = config["model_args"]
    run = tmp_path / "warm"
    shape = ["--n-layer", str(args["n_layer"]), "--n-head", str(args["n_head"]), "--d-model", str(args["d_model"]),
             "--d-ff", str(args["d_ff"]), "--max-relative", str(args["max_relative"]), "--block-size", "128",
             "--batch-size", "2", "--eval-every", "100", "--eval-batches", "1"]
    assert main(["--shards", str(tiny_shards), "--run-dir", str(run), "--steps", "1", "--lr", "1e-9",
                 "--init-from", "base", *shape]) == 0
    state = torch.load(run / "last.pt", weights_only=False)["model"]
    known = len(base_tokens)
    assert torch.allclose(state["embed.weight"][:known], base.embed.weight, atol=1e-4)  # lr 1e-9: barely moved
    assert torch.allclose(state["blocks.0.attn.qkv.weight"], base.blocks[0].attn.qkv.weight, atol=1e-4)


def test_condition_dropout_drops_whole_families(tiny_shards):
    from composer.train.data.loader import ShardDataset

    data = ShardDataset(tiny_shards, 0, 128, seed=1, p_drop_all=0.0, p_keep_family=0.5)
    full, _ = data.sample(0, dropout=False, start=0)
    families = {data.family[t] for t in full[1:]}
    seen = []
    for _ in range(30):
        prefix, _ = data.sample(0, dropout=True, start=0)
        kept = {data.family[t] for t in prefix[1:]}
        assert kept <= families
        insts_full = [t for t in full if data.family[t] == "Inst"]
        if "Inst" in kept:  # the instrument family is kept or dropped as a whole
            assert [t for t in prefix if data.family[t] == "Inst"] == insts_full
        seen.append(len(kept))
    assert min(seen) < len(families)


def test_every_training_flag_has_help_and_bf16_is_used_only_where_it_is_fast():
    import torch

    from composer.train.trainer import bf16_is_fast, parser

    actions = [a for a in parser()._actions if a.option_strings and a.dest != "help"]
    assert len(actions) >= 20
    for action in actions:
        assert action.help and not action.help.startswith(" (default"), action.dest  # a description, not only a default
    assert parser().parse_args([]).bf16 == -1  # auto
    from pathlib import Path

    cpuinfo = Path("/proc/cpuinfo")
    flags = cpuinfo.read_text() if cpuinfo.exists() else ""
    assert bf16_is_fast(torch.device("cpu")) == ("avx512_bf16" in flags or "amx_bf16" in flags)
