"""The model's log-likelihood of music token sequences: held-out NLL in nats per token."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from composer.decode.tokens import MusicTokenizer


@torch.no_grad()
def model_log_probs(model: Any, tokenizer: MusicTokenizer, seqs: list[np.ndarray], controls: np.ndarray | None,
                    stride: int = 256, batch_size: int = 32) -> np.ndarray:
    """Log probability of each token given [BOS] (+ controls) and up to block_size - stride earlier tokens
    (stride is at most half the block, so every token sees at least half a block of context once it exists).

    Each sequence is cut into chunks of `stride` tokens, every chunk scored with the tokens before it as
    context; chunks of all sequences are batched (right padding cannot affect a causal model).
    """
    block = model.cfg.block_size
    stride = min(stride, block // 2)
    jobs = []  # (sequence index, position, end, ids, first scored logit index)
    for i, seq in enumerate(seqs):
        prefix = [tokenizer.bos_id] + ([int(c) for c in controls[i] if c >= 0] if controls is not None else [])
        context = block - len(prefix) - stride
        position = 0
        while position < len(seq):
            first = max(0, position - context)
            end = min(len(seq), position + stride)
            jobs.append((i, position, end, prefix + seq[first:end].tolist(), len(prefix) - 1 + position - first))
            position = end
    out = [np.zeros(len(s)) for s in seqs]
    jobs.sort(key=lambda job: len(job[3]))
    for start in range(0, len(jobs), batch_size):
        batch = jobs[start:start + batch_size]
        width = max(len(job[3]) for job in batch)
        ids = torch.full((len(batch), width), tokenizer.pad_id, dtype=torch.long)
        for row, job in enumerate(batch):
            ids[row, :len(job[3])] = torch.tensor(job[3])
        with torch.autocast("cpu", dtype=torch.bfloat16):
            logits = model(ids[:, :-1])  # logits[:, j] predicts ids[:, j + 1]
        lp = F.log_softmax(logits.float(), dim=-1)
        for row, (i, position, end, _, first) in enumerate(batch):
            j = torch.arange(first, first + end - position)
            out[i][position:end] = lp[row, j, ids[row, j + 1]].numpy()
    return np.concatenate(out)


def heldout_nll(rows: list[dict[str, Any]], checkpoint: str | None = None) -> dict[str, Any]:
    """NLL (nats/token) of the shipped model on corpus rows (pieces.jsonl rows), tokenized exactly as the
    training shards are (composer/train/data/shards.py), without and with the rows' control tokens."""
    from composer.decode.checkpoint import load_shipped
    from composer.train.data.shards import versions_of

    model, tokenizer, config = load_shipped(checkpoint)
    versions = [v for number, row in enumerate(rows) for v in versions_of(row, number)]
    seqs = [np.asarray(v["ids"], dtype=np.int64) for v in versions]
    width = max((len(v["controls"]) for v in versions), default=0)
    controls = np.full((len(versions), max(width, 1)), -1, dtype=np.int64)
    for i, version in enumerate(versions):
        controls[i, :len(version["controls"])] = version["controls"]
    tokens = int(sum(len(s) for s in seqs))
    if not tokens:
        return {"pieces": 0, "tokens": 0}
    plain = model_log_probs(model, tokenizer, seqs, None)
    controlled = model_log_probs(model, tokenizer, seqs, controls)
    return {"pieces": len(seqs), "tokens": tokens, "checkpoint_steps": config.get("trained_steps"),
            "nll_per_token": round(float(-plain.mean()), 4),
            "nll_per_token_with_controls": round(float(-controlled.mean()), 4)}
