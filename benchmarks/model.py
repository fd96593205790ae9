"""Held-out NLL of the shipped model against unigram and smoothed n-gram baselines on the same test split.

Reports NLL per token and per note, overall and per source collection, and writes results/model.json. For a
part-wise vocabulary it also reports nats per note given the chords (chord tokens are the plan at generation,
so their cost is left out, as the control tokens' is).
The n-grams use interpolated absolute discounting; the order and discount are picked on the validation split.
Run: .venv/bin/python benchmarks/model.py [--shards data/shards] [--checkpoint base]
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from collections import defaultdict
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import RESULTS, write_result

from composer.decode.checkpoint import load_shipped
from composer.decode.tokens import MusicTokenizer
from composer.evaluate.likelihood import model_log_probs

SPLIT = {"train": 0, "valid": 1, "test": 2}


def sequences(shards: Path, split: str) -> tuple[list[np.ndarray], list[int], np.ndarray]:
    """(music token arrays, piece numbers, control rows) of one split."""
    tokens = np.memmap(shards / "tokens.bin", dtype=np.uint16, mode="r")
    index = np.load(shards / "index.npy")
    rows = np.flatnonzero(index[:, 2] == SPLIT[split])
    controls = np.load(shards / "controls.npy")[rows]
    return ([np.asarray(tokens[o:o + n], dtype=np.int64) for o, n, _, _ in index[rows]],
            [int(p) for p in index[rows, 3]], controls)


class NGram:
    """Interpolated absolute-discounting n-gram over token ids, with an add-one unigram at the bottom."""

    def __init__(self, train: list[np.ndarray], order: int, vocab: int, bos: int) -> None:
        self.order, self.vocab, self.bos = order, vocab, bos
        self.bits = max(1, math.ceil(math.log2(vocab)))
        stream = self._padded(train)
        self.unigram = np.bincount(np.concatenate(train), minlength=vocab).astype(np.float64)
        self.total = self.unigram.sum()
        self.tables = {}
        for k in range(2, order + 1):
            grams = self._codes(stream, k)
            contexts = grams >> self.bits
            g_codes, g_counts = np.unique(grams, return_counts=True)
            c_codes, c_counts = np.unique(contexts, return_counts=True)
            follow_codes, follow_counts = np.unique(g_codes >> self.bits, return_counts=True)  # N1+(c .)
            self.tables[k] = (g_codes, g_counts, c_codes, c_counts, follow_codes, follow_counts)

    def _padded(self, seqs: list[np.ndarray]) -> list[np.ndarray]:
        pad = np.full(self.order - 1, self.bos, dtype=np.int64)
        return [np.concatenate([pad, s]) for s in seqs]

    def _codes(self, padded: list[np.ndarray], k: int) -> np.ndarray:
        """Codes of every k-gram ending at a real token (the last k-1 padding positions hold BOS)."""
        out = []
        for s in padded:
            n = len(s) - (self.order - 1)
            code = np.zeros(n, dtype=np.int64)
            for j in range(k):
                start = self.order - k + j
                code = (code << self.bits) | s[start:start + n]
            out.append(code)
        return np.concatenate(out)

    @staticmethod
    def _lookup(codes: np.ndarray, keys: np.ndarray, values: np.ndarray) -> np.ndarray:
        position = np.searchsorted(keys, codes).clip(max=len(keys) - 1)
        return np.where(keys[position] == codes, values[position], 0).astype(np.float64)

    def log_probs(self, seqs: list[np.ndarray], discount: float, order: int | None = None) -> np.ndarray:
        """Natural-log probability of every token of `seqs`, in order."""
        order = order or self.order
        padded = self._padded(seqs)
        targets = np.concatenate(seqs)
        p = (self.unigram[targets] + 1) / (self.total + self.vocab)
        for k in range(2, order + 1):
            g_codes, g_counts, c_codes, c_counts, f_codes, f_counts = self.tables[k]
            grams = self._codes(padded, k)
            contexts = grams >> self.bits
            joint = self._lookup(grams, g_codes, g_counts)
            context = self._lookup(contexts, c_codes, c_counts)
            follows = self._lookup(contexts, f_codes, f_counts)
            seen = context > 0
            safe = np.where(seen, context, 1)
            mixed = np.maximum(joint - discount, 0) / safe + discount * follows / safe * p
            p = np.where(seen, mixed, p)
        return np.log(p)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--shards", default="data/shards")
    parser.add_argument("--checkpoint", default=None)
    parser.add_argument("--max-orders", type=int, default=6)
    parser.add_argument("--name", default="model", help="results/NAME.json")
    args = parser.parse_args()
    shards = Path(args.shards)
    tokenizer = MusicTokenizer.load(shards / "tokenizer.json")
    train, _, _ = sequences(shards, "train")
    valid, _, _ = sequences(shards, "valid")
    test, test_pieces, test_controls = sequences(shards, "test")
    pieces = json.loads((shards / "pieces.json").read_text())
    note_ids = [i for t, i in tokenizer.vocab.items() if t.startswith(("Pitch_", "PitchDrum_"))]
    targets = np.concatenate(test)
    notes = int(np.isin(targets, note_ids).sum())
    started = time.time()
    ngram = NGram(train, args.max_orders, len(tokenizer), tokenizer.bos_id)
    best = min(((order, d, -ngram.log_probs(valid, d, order).mean()) for order in range(2, args.max_orders + 1)
                for d in (0.5, 0.75, 0.9)), key=lambda x: x[2])
    order, discount, _ = best
    results: dict[str, dict[str, np.ndarray]] = {
        "unigram": {"logp": ngram.log_probs(test, 0.0, order=1)},
        f"{order}-gram (d={discount})": {"logp": ngram.log_probs(test, discount, order)},
    }
    model, _, config = load_shipped(args.checkpoint)
    results["composer, no condition"] = {"logp": model_log_probs(model, tokenizer, test, None)}
    results["composer, control tokens"] = {"logp": model_log_probs(model, tokenizer, test, test_controls)}
    owner = np.concatenate([[pieces[p]["collection"]] * len(s) for p, s in zip(test_pieces, test, strict=True)])
    is_note = np.isin(targets, note_ids)
    # a part-wise vocabulary's chord tokens are given at generation (the chord plan), like control tokens
    is_chord = np.isin(targets, [i for t, i in tokenizer.vocab.items() if t.startswith("Chord_")])
    table = {}
    for name, result in results.items():
        logp = result["logp"]
        per_source = defaultdict(dict)
        for collection in sorted(set(owner)):
            mask = owner == collection
            per_source[collection] = {"nll_per_token": round(float(-logp[mask].mean()), 4),
                                      "nll_per_note": round(float(-logp[mask].sum() / max(1, is_note[mask].sum())), 3),
                                      "tokens": int(mask.sum())}
        table[name] = {"nll_per_token": round(float(-logp.mean()), 4),
                       "nll_per_note": round(float(-logp.sum() / notes), 3),
                       "nll_per_note_given_chords": round(float(-logp[~is_chord].sum() / notes), 3),
                       "per_source": per_source}
    best_ngram = table[f"{order}-gram (d={discount})"]["nll_per_token"]
    figures = {"test_tokens": len(targets), "test_notes": notes, "test_versions": len(test),
               "checkpoint": {k: config.get(k) for k in ("trained_steps", "tokens_seen", "last_valid_loss")},
               "best_ngram": {"order": order, "discount": discount}, "models": table,
               "model_beats_best_ngram": table["composer, no condition"]["nll_per_token"] < best_ngram,
               "seconds": round(time.time() - started, 1)}
    previous = RESULTS / "model_remi.json"
    if previous.exists():  # the REMI checkpoint this one replaced, measured on the same test pieces
        models = json.loads(previous.read_text())["models"]
        figures["previous"] = {"file": str(previous.relative_to(RESULTS.parent.parent)),
                               "nll_per_note": models["composer, control tokens"]["nll_per_note"],
                               "nll_per_note_no_condition": models["composer, no condition"]["nll_per_note"]}
    path = write_result(args.name, figures, packages=("torch", "miditok"))
    print(f"held-out test split: {len(test)} pieces, {len(targets)} tokens, {notes} notes")
    for name, row in table.items():
        print(f"  {name:<28} {row['nll_per_token']:7.4f} nats/token  {row['nll_per_note']:7.3f} nats/note  "
              f"{row['nll_per_note_given_chords']:7.3f} nats/note given the chords")
    print(f"model beats the best n-gram: {figures['model_beats_best_ngram']}   -> {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
