"""Training batches from token shards: a control prefix with condition dropout, a music window, and a
random transposition applied to the token ids (pitches and the key token move together)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from composer.core.analysis import KEY_TONICS
from composer.decode.controls import family_of
from composer.decode.parts import chord_tokens, transposed_chord
from composer.decode.tokens import MusicTokenizer


@dataclass
class Batch:
    tokens: torch.Tensor  # (B, T) input ids
    targets: torch.Tensor  # (B, T) next ids, -100 where no loss is taken (prefix, padding)
    condition: torch.Tensor  # (B, 384), NaN rows mean "no embedding"


class ShardDataset:
    """Samples training windows from one split of a shard folder."""

    def __init__(self, shard_dir: Path, split: int, block_size: int, seed: int = 0,
                 p_drop_all: float = 0.1, p_keep_family: float = 0.7, p_keep_embedding: float = 0.7,
                 transpose: bool = True, ensemble_weight: float = 1.0) -> None:
        self.tokenizer = MusicTokenizer.load(shard_dir / "tokenizer.json")
        self.tokens = np.memmap(shard_dir / "tokens.bin", dtype=np.uint16, mode="r")
        index = np.load(shard_dir / "index.npy")
        self.rows = np.flatnonzero(index[:, 2] == split)
        self.offsets, self.lengths, self.pieces = index[self.rows, 0], index[self.rows, 1], index[self.rows, 3]
        self.controls = np.load(shard_dir / "controls.npy")[self.rows]
        embeddings_path = shard_dir / "embeddings.npy"
        self.embeddings = np.load(embeddings_path)[self.rows] if embeddings_path.exists() else None
        self.block_size = block_size
        self.rng = np.random.default_rng(seed)
        self.p_drop_all, self.p_keep_family, self.p_keep_embedding = p_drop_all, p_keep_family, p_keep_embedding
        self.transpose = transpose
        vocab = self.tokenizer.vocab
        weights = np.minimum(self.lengths, block_size).astype(np.float64)
        instruments = np.array([i for t, i in vocab.items() if t.startswith("Inst_")])
        self.parts = np.isin(self.controls, instruments).sum(axis=1)  # Inst tokens in each version's prefix
        weights[self.parts >= 2] *= ensemble_weight  # ensembles drawn more often (the model keeps every part)
        self.weights = weights / weights.sum()
        self.bar_id, self.bos_id, self.pad_id = vocab["Bar_None"], self.tokenizer.bos_id, self.tokenizer.pad_id
        self.pitch_ids = np.array([vocab[f"Pitch_{p}"] for p in range(21, 109)])
        self.is_pitch = np.zeros(len(self.tokenizer), dtype=bool)
        self.is_pitch[self.pitch_ids] = True
        self.pitch_of = np.full(len(self.tokenizer), -1)
        self.pitch_of[self.pitch_ids] = np.arange(21, 109)
        self.key_shift = self._key_shift_table()
        self.family = np.array([family_of(t) for t in self.tokenizer.tokens])
        self.tempo_ids = np.array(sorted(i for t, i in vocab.items() if t.startswith("Tempo_")))

    def _key_shift_table(self) -> np.ndarray:
        """table[k, id] = the id of the key or chord token moved k semitones up (other ids unchanged)."""
        table = np.tile(np.arange(len(self.tokenizer)), (12, 1))
        for k in range(12):
            for pc, tonic in enumerate(KEY_TONICS):
                for mode in ("major", "minor"):
                    table[k, self.tokenizer.vocab[f"Key_{tonic}-{mode}"]] = \
                        self.tokenizer.vocab[f"Key_{KEY_TONICS[(pc + k) % 12]}-{mode}"]
            for token in chord_tokens():  # a part-wise vocabulary's chords move with the music
                if token in self.tokenizer.vocab:
                    table[k, self.tokenizer.vocab[token]] = self.tokenizer.vocab[transposed_chord(token, k)]
        return table

    def __len__(self) -> int:
        return len(self.rows)

    def _prefix(self, row: int, drop: bool) -> list[int]:
        controls = [int(c) for c in self.controls[row] if c >= 0]
        if not drop:
            return controls
        if self.rng.random() < self.p_drop_all:
            return []
        kept_families = {f for f in set(self.family[controls]) if self.rng.random() < self.p_keep_family}
        return [c for c in controls if self.family[c] in kept_families]

    def sample(self, row: int, dropout: bool = True, start: int | None = None) -> tuple[list[int], list[int]]:
        """(prefix ids, music window ids) for one version."""
        prefix = [self.bos_id, *self._prefix(row, dropout)]
        music_room = self.block_size + 1 - len(prefix)
        offset, length = int(self.offsets[row]), int(self.lengths[row])
        if start is None:
            start = 0
            if length > music_room and self.rng.random() < 0.5:
                window = np.asarray(self.tokens[offset:offset + length])
                bars = np.flatnonzero(window[:length - music_room // 2] == self.bar_id)
                start = int(self.rng.choice(bars)) if len(bars) else 0
        music = np.asarray(self.tokens[offset + start:offset + min(length, start + music_room)]).astype(np.int64)
        if self.transpose:  # augmentation: tempo jitter of one log-spaced step (about 5%), then transposition
            step = int(self.rng.integers(-1, 2))
            is_tempo = (music >= self.tempo_ids[0]) & (music <= self.tempo_ids[-1])
            music = np.where(is_tempo, np.clip(music + step, self.tempo_ids[0], self.tempo_ids[-1]), music)
            pitches = self.pitch_of[music][self.is_pitch[music]]
            if len(pitches):
                low, high = 21 - pitches.min(), 108 - pitches.max()
                options = [k for k in range(-5, 7) if low <= k <= high]
                shift = int(self.rng.choice(options)) if options else 0
                music = np.where(self.is_pitch[music], music + shift, music)  # Pitch ids are contiguous
                music = self.key_shift[shift % 12, music]  # chord tokens
                prefix = [int(self.key_shift[shift % 12, t]) for t in prefix]
        return prefix, music.tolist()

    def batch(self, batch_size: int, dropout: bool = True) -> Batch:
        rows = self.rng.choice(len(self.rows), size=batch_size, p=self.weights)
        sequences, first_targets = [], []
        for row in rows:
            prefix, music = self.sample(int(row), dropout)
            sequences.append(prefix + music)
            first_targets.append(len(prefix) - 1)  # predicting the first music token from the prefix
        width = min(self.block_size, max(len(s) - 1 for s in sequences))
        tokens = torch.full((batch_size, width), self.pad_id, dtype=torch.long)
        targets = torch.full((batch_size, width), -100, dtype=torch.long)
        for i, (sequence, first) in enumerate(zip(sequences, first_targets, strict=True)):
            seq = torch.tensor(sequence[:width + 1])
            n = len(seq) - 1
            tokens[i, :n] = seq[:-1]
            targets[i, first:n] = seq[first + 1:]
        condition = torch.full((batch_size, 384), float("nan"))
        if self.embeddings is not None:
            for i, row in enumerate(rows):
                if not dropout or self.rng.random() < self.p_keep_embedding:
                    condition[i] = torch.from_numpy(self.embeddings[row].astype(np.float32))
        return Batch(tokens, targets, condition)

    def piece_names(self, shard_dir: Path) -> list[dict]:
        return json.loads((shard_dir / "pieces.json").read_text())
