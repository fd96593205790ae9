"""Token shards for training: versions of every piece (re-orchestrated, re-shaped) as flat uint16 memmaps.

Layout of a shard folder:
  tokens.bin      uint16, the music tokens of every version back to back, each ending with EOS
  index.npy       int64 (n, 4): offset, length, split (0 train, 1 valid, 2 test), piece number
  controls.npy    int16 (n, MAX_CONTROLS): control-token ids of each version, -1 padded
  embeddings.npy  float16 (n, 384): all-MiniLM-L6-v2 embedding of each version's caption
  captions.json   the caption of each version;  pieces.json  piece id, collection and style by piece number
  tokenizer.json  the vocabulary settings;  meta.json  counts
"""

from __future__ import annotations

import base64
import json
import multiprocessing
import os
import random
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from composer.core.atomic import write_bytes_atomic
from composer.core.score import Score
from composer.core.voices import stand_in
from composer.decode.controls import control_vocabulary, controls_from_attributes
from composer.decode.parts import score_roles
from composer.decode.tokens import MusicTokenizer, TokenizerSettings
from composer.output.midi_io import read_midi
from composer.train.data.attributes import extract_attributes
from composer.train.data.augment import random_orchestration, shape_velocities
from composer.train.data.build import load_pieces
from composer.train.data.captions import caption

SPLITS = {"train": 0, "valid": 1, "test": 2}
MAX_CONTROLS = 28  # 9 attribute tokens and an Inst and Role token for each of up to 8 parts
TRAIN_VERSIONS = 2  # the source orchestration plus a random one; valid/test keep only the source
# abc tunes and vocal scores name no instrument, so they convert as piano (program 0): left so, the model
# learns program 0 as the default line whatever instruments the prefix asks for. Most such source versions
# give way to their orchestrations in training (valid and test keep the source, as the old checkpoint saw).
KEYBOARD_COLLECTIONS = frozenset({"beethoven", "mozart", "haydn", "chopin", "joplin", "schumann_robert",
                                  "schumann_clara", "schubert", "beach", "cpebach", "handel", "weber"})
UNSPECIFIED_REPLACED = 0.75
ENSEMBLE_VERSIONS = 6  # pieces of several parts (a tenth of the corpus) train in more orchestrations

Progress = Callable[[int, int], None]
_tokenizer: MusicTokenizer | None = None


def composer_tokenizer() -> MusicTokenizer:
    """The shipped vocabulary: REMI plus every control token."""
    return MusicTokenizer(TokenizerSettings(control_tokens=control_vocabulary()))


def _worker_tokenizer() -> MusicTokenizer:
    global _tokenizer
    if _tokenizer is None:
        _tokenizer = composer_tokenizer()
    return _tokenizer


def versions_of(row: dict[str, Any], number: int) -> list[dict[str, Any]]:
    """Worker: the training versions of one piece, each as tokens, controls and a caption."""
    tokenizer = _worker_tokenizer()
    rng = random.Random(f"{row['piece_id']}|{row['fingerprint']}")
    score = read_midi(base64.b64decode(row["midi_b64"]))
    collection, style = row["collection"], row["attributes"]["style"]
    tempo_from_source = row["attributes"]["tempo_from_source"]
    if not tempo_from_source:  # give the score its documented default tempo, so tokens and labels agree
        from composer.core.score import TempoChange
        score.tempos = [TempoChange(0, row["attributes"]["tempo_bpm"])]
    candidates = [score]
    if row["split"] == "train":
        parts = sum(1 for t in score.tracks if not t.is_drum and t.notes)
        for _ in range((TRAIN_VERSIONS if parts < 2 else ENSEMBLE_VERSIONS) - 1):
            orchestrated = random_orchestration(score, rng)
            if orchestrated is not None:
                candidates.append(shape_velocities(orchestrated, rng))
        unspecified = collection not in KEYBOARD_COLLECTIONS and all(
            t.program == 0 for t in score.tracks if not t.is_drum)
        if unspecified and len(candidates) > 1 and rng.random() < UNSPECIFIED_REPLACED:
            candidates = candidates[1:]  # "program 0" here only means the source named no instrument
    out = []
    for version in candidates:
        version = separate_voices(version)
        attributes = extract_attributes(version, collection, "", True).to_json()
        attributes["style"] = style
        roles = score_roles(version)
        attributes["roles"] = roles
        ids = tokenizer.encode(version, roles)
        if len(ids) < 8:
            continue
        controls = [tokenizer.vocab[t] for t in controls_from_attributes(attributes)][:MAX_CONTROLS]
        out.append({"number": number, "split": SPLITS[row["split"]], "ids": [*ids, tokenizer.eos_id],
                    "controls": controls, "caption": caption(attributes, rng), "roles": sorted(roles.values())})
    return out


def separate_voices(score: Score) -> Score:
    """Parts that share a program get voices' stand-in programs (a second violin plays as a fiddle), as at
    generation (composer.core.voices), so that the one token stream keeps them apart."""
    taken = {t.program for t in score.tracks if not t.is_drum}
    seen: set[int] = set()
    out = score.copy()
    for track in out.tracks:
        if track.is_drum or not track.notes:
            continue
        if track.program in seen:
            track.program = stand_in(track.program, taken)
            taken.add(track.program)
        seen.add(track.program)
    return out


def embed_shards(out_dir: Path, embed: Callable[[list[str]], np.ndarray]) -> Path:
    """embeddings.npy: the caption embedding of every version in `out_dir` (float16)."""
    captions = json.loads((out_dir / "captions.json").read_text())
    path = out_dir / "embeddings.npy"
    np.save(path, embed(captions).astype(np.float16))
    return path


def source_report(rows: list[dict[str, Any]], versions: list[dict[str, Any]]) -> dict[str, Any]:
    """Per collection: pieces, versions, tokens, the parts of each role, and pieces that gave no version."""
    report: dict[str, Any] = {}
    for row in rows:
        entry = report.setdefault(row["collection"], {"pieces": 0, "versions": 0, "tokens": 0, "roles": {},
                                                      "skipped": 0})
        entry["pieces"] += 1
    given = set()
    for version in versions:
        entry = report[rows[version["number"]]["collection"]]
        entry["versions"] += 1
        entry["tokens"] += len(version["ids"])
        for role in version["roles"]:
            entry["roles"][role] = entry["roles"].get(role, 0) + 1
        given.add(version["number"])
    for number, row in enumerate(rows):
        if number not in given:
            report[row["collection"]]["skipped"] += 1  # fewer than 8 tokens in every version
    return dict(sorted(report.items(), key=lambda item: -item[1]["tokens"]))


def _versions_star(args: tuple[dict[str, Any], int]) -> list[dict[str, Any]]:
    return versions_of(*args)


def build_shards(data_dir: Path, out_dir: Path, jobs: int | None = None, on_progress: Progress | None = None,
                 embed: Callable[[list[str]], np.ndarray] | None = None) -> dict[str, Any]:
    """Tokenize every piece of `data_dir/pieces.jsonl` into `out_dir`; returns the counts."""
    rows = load_pieces(data_dir)
    rows = [r for r in rows if r["duplicate_of"] == r["piece_id"]]  # a tune printed twice trains once
    out_dir.mkdir(parents=True, exist_ok=True)
    versions: list[dict[str, Any]] = []
    with multiprocessing.get_context("spawn").Pool(jobs or os.cpu_count() or 1) as pool:
        for done, result in enumerate(pool.imap(_versions_star, [(r, i) for i, r in enumerate(rows)], chunksize=16)):
            versions += result
            if on_progress:
                on_progress(done + 1, len(rows))
    lengths = np.array([len(v["ids"]) for v in versions], dtype=np.int64)
    offsets = np.concatenate([[0], np.cumsum(lengths)[:-1]])
    tokens = np.memmap(out_dir / "tokens.bin", dtype=np.uint16, mode="w+", shape=(int(lengths.sum()),))
    for version, offset in zip(versions, offsets, strict=True):
        tokens[offset:offset + len(version["ids"])] = version["ids"]
    tokens.flush()
    index = np.stack([offsets, lengths, [v["split"] for v in versions], [v["number"] for v in versions]], axis=1)
    np.save(out_dir / "index.npy", index.astype(np.int64))
    controls = np.full((len(versions), MAX_CONTROLS), -1, dtype=np.int16)
    for i, version in enumerate(versions):
        controls[i, :len(version["controls"])] = version["controls"]
    np.save(out_dir / "controls.npy", controls)
    captions = [v["caption"] for v in versions]
    write_bytes_atomic(out_dir / "captions.json", json.dumps(captions).encode())
    if embed is not None:
        embed_shards(out_dir, embed)
    write_bytes_atomic(out_dir / "pieces.json", json.dumps(
        [{"piece_id": r["piece_id"], "collection": r["collection"], "style": r["attributes"]["style"]}
         for r in rows]).encode())
    composer_tokenizer().save(out_dir / "tokenizer.json")
    meta = {"pieces": len(rows), "versions": len(versions), "tokens": int(lengths.sum()),
            "tokens_by_split": {s: int(lengths[index[:, 2] == i].sum()) for s, i in SPLITS.items()},
            "by_collection": source_report(rows, versions)}
    write_bytes_atomic(out_dir / "meta.json", (json.dumps(meta, indent=2) + "\n").encode())
    return meta


def training_notes_by_program(shard_dir: Path) -> dict[int, int]:
    """Program -> notes of it in the training split of a shard folder (one Program token per note)."""
    tokenizer = MusicTokenizer.load(shard_dir / "tokenizer.json")
    tokens = np.memmap(shard_dir / "tokens.bin", dtype=np.uint16, mode="r")
    counts = np.zeros(len(tokenizer), dtype=np.int64)
    for offset, length, split, _ in np.load(shard_dir / "index.npy"):
        if split == SPLITS["train"]:
            counts += np.bincount(tokens[offset:offset + length], minlength=len(tokenizer))
    return {p: int(counts[tokenizer.vocab[f"Program_{p}"]]) for p in range(128)}
