"""Decode speed: batch-1 sampling from composer's Music Transformer (KV cache) against Hugging Face
GPT2LMHeadModel.generate built at the same size with random weights, in the same run.

Floor: >= 1,000 tokens/s on this 2-core CPU, and at least 2x the peer. Writes results/decode.json.
Run: .venv/bin/python benchmarks/decode.py [--checkpoint NAME] [--tokens N]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import write_result

from composer.generate import SamplingConfig, sample
from composer.model import ModelConfig, MusicTransformer

FLOOR_TOKENS_PER_SECOND = 1000.0
FLOOR_RATIO = 2.0


def load_model(checkpoint: str | None) -> tuple[MusicTransformer, str]:
    try:
        from composer.checkpoint import load_shipped

        model, _, _ = load_shipped(checkpoint)
        return model, f"shipped checkpoint {checkpoint or 'default'}"
    except Exception as exc:
        cfg = ModelConfig(vocab_size=790, n_layer=6, n_head=4, d_model=256, d_ff=1024, block_size=512,
                          max_relative=512)
        return MusicTransformer(cfg).eval(), f"random weights ({exc})"


def time_composer(model: MusicTransformer, tokens: int, repeats: int) -> float:
    runs = []
    for seed in range(repeats):
        config = SamplingConfig(max_tokens=tokens, seed=seed, top_p=0.95)
        started = time.perf_counter()
        out = sample(model, [1], None, config)
        runs.append(len(out) / (time.perf_counter() - started))
    return statistics.median(runs)


def time_gpt2(cfg: ModelConfig, tokens: int, repeats: int) -> tuple[float, int]:
    from transformers import GPT2Config, GPT2LMHeadModel

    gpt2 = GPT2LMHeadModel(GPT2Config(vocab_size=cfg.vocab_size, n_positions=max(1024, tokens + 8),
                                      n_embd=cfg.d_model, n_layer=cfg.n_layer, n_head=cfg.n_head,
                                      n_inner=cfg.d_ff)).eval()
    runs = []
    for seed in range(repeats):
        torch.manual_seed(seed)
        started = time.perf_counter()
        with torch.inference_mode():
            out = gpt2.generate(torch.tensor([[1]]), do_sample=True, top_p=0.95, max_new_tokens=tokens,
                                min_new_tokens=tokens, pad_token_id=0)
        runs.append((out.size(1) - 1) / (time.perf_counter() - started))
    return statistics.median(runs), sum(p.numel() for p in gpt2.parameters())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--checkpoint", default=None)
    parser.add_argument("--tokens", type=int, default=512)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    model, source = load_model(args.checkpoint)
    ours = time_composer(model, args.tokens, args.repeats)
    peer, peer_params = time_gpt2(model.cfg, args.tokens, args.repeats)
    figures = {
        "model": source,
        "parameters": model.num_parameters(),
        "gpt2_parameters": peer_params,
        "tokens_per_run": args.tokens,
        "threads": torch.get_num_threads(),
        "composer_tokens_per_second": round(ours, 1),
        "gpt2_generate_tokens_per_second": round(peer, 1),
        "ratio": round(ours / peer, 2),
        "floor_tokens_per_second": FLOOR_TOKENS_PER_SECOND,
        "floor_ratio": FLOOR_RATIO,
        "meets_floor": ours >= FLOOR_TOKENS_PER_SECOND and ours / peer >= FLOOR_RATIO,
    }
    path = write_result("decode", figures, packages=("torch", "transformers"))
    print(f"batch-1 sampling, {args.tokens} tokens, {model.num_parameters() / 1e6:.1f} M parameters ({source})")
    print(f"  composer (KV cache, relative attention)  {ours:8.1f} tokens/s")
    print(f"  HF GPT2LMHeadModel.generate (peer)       {peer:8.1f} tokens/s")
    print(f"  ratio {ours / peer:.2f}x   floor {FLOOR_TOKENS_PER_SECOND:.0f} tokens/s and {FLOOR_RATIO:.0f}x: "
          f"{'met' if figures['meets_floor'] else 'NOT met'}   -> {path}")
    return 0 if figures["meets_floor"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
