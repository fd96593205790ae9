"""Fast incremental decoding of a MusicTransformer on a CPU: int8 weights, bf16 activations, a KV window.

Batch-1 decoding reads every weight once per token, so on a CPU it is bound by memory traffic, not
arithmetic: the 6 M parameter model is 24 MB in fp32 and a step spent most of its time waiting for
them. Here each Linear keeps int8 weights with one fp32->bf16 scale per output channel (weight-only
quantization, as in gpt-fast), multiplied by `torch._weight_int8pack_mm`, and the rest of the step is a
short list of tensor ops without nn.Module dispatch. The residual stream is bf16 too (an fp32 one
needs a cast around every matmul, and mixed-dtype adds: 3x slower here, for no change in the output
distribution: mean KL to the float model ~1e-4 nats either way). Attention and the KV window stay
fp32: CPU bf16 batched matmuls at these shapes were 2-4x slower than fp32 here.

The float model stays the reference: `prefill` runs it on the prompt (many positions at once, where
weight traffic is amortised) and copies its keys and values into this decoder's window; `step` then
runs the quantized path. `benchmarks/decode.py` reports held-out NLL through both paths.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import cast

import torch
import torch.nn.functional as F
from torch import nn

from composer.decode.model import Block, MusicTransformer, RelativeSelfAttention

ACTIVATION = torch.bfloat16


class Int8Linear:
    """y = x W^T + b with W stored as int8 rows and a per-row scale; x and y are bf16 (B, in) / (B, out)."""

    def __init__(self, weight: torch.Tensor, bias: torch.Tensor | None) -> None:
        weight = weight.detach().float()
        scale = weight.abs().amax(dim=1).clamp(min=1e-12) / 127.0  # (out,)
        self.weight = torch.round(weight / scale[:, None]).clamp(-127, 127).to(torch.int8).contiguous()
        self.scale = scale.to(ACTIVATION)
        self.bias = None if bias is None else bias.detach().to(ACTIVATION)

    @classmethod
    def from_linear(cls, linear: nn.Linear) -> Int8Linear:
        return cls(linear.weight, linear.bias)

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        y = torch._weight_int8pack_mm(x, self.weight, self.scale)
        return y if self.bias is None else y.add_(self.bias)


@dataclass
class _Layer:
    norm1: tuple[torch.Tensor, torch.Tensor, float]
    qkv: Int8Linear
    out: Int8Linear
    relative_t: torch.Tensor  # (nh, hs, window) fp32: column c holds E[window - 1 - c], so keys line up
    norm2: tuple[torch.Tensor, torch.Tensor, float]
    ff_in: Int8Linear
    ff_out: Int8Linear


def _norm(layer_norm: nn.LayerNorm) -> tuple[torch.Tensor, torch.Tensor, float]:
    return layer_norm.weight.detach().to(ACTIVATION), layer_norm.bias.detach().to(ACTIVATION), layer_norm.eps


class DecodeCache:
    """Keys and values of every layer for one stream: (n_layer, nh, 2 * window, hs) fp32 buffers.

    `window` positions are visible: the first `pinned` (the prompt, kept in view: composer.decode.model's
    LayerCache) and the newest others, read as one contiguous run. When the buffer fills, the newest
    window - 1 positions move to the front (once every `window` steps), so appending is O(1) amortised;
    once the run slides past the pinned ones, a copy of them is written just before it at each step.
    """

    def __init__(self, n_layer: int, n_head: int, head_dim: int, window: int) -> None:
        self.window = window
        self.kv = torch.zeros(n_layer, 2, n_head, 2 * window, head_dim)  # keys and values side by side
        self.length = 0
        self.pinned = 0
        self.pins: torch.Tensor | None = None  # (n_layer, 2, nh, pinned, hs): the pinned positions' copy

    def pin(self, count: int) -> None:
        """Keep the first `count` loaded positions in view for good."""
        self.pinned = count
        self.pins = self.kv[:, :, :, :count].clone() if count else None

    def visible_start(self) -> int:
        """The buffer index where the visible run begins (pinned positions copied there when it slid)."""
        start = max(0, self.length - self.window)
        if start and self.pins is not None:
            self.kv[:, :, :, start:start + self.pinned] = self.pins
        return start

    def load(self, layer: int, k: torch.Tensor, v: torch.Tensor) -> None:
        """Copy a prefilled layer's visible keys and values (nh, S, hs), S <= window."""
        S = k.size(1)
        self.kv[layer, 0, :, :S] = k
        self.kv[layer, 1, :, :S] = v

    def advance(self) -> int:
        """Make room for one position; returns the buffer index where every layer writes it."""
        if self.length == self.kv.size(3):
            P = self.pinned
            keep = self.window - 1 - P
            self.kv[:, :, :, P:P + keep] = self.kv[:, :, :, self.length - keep:self.length].clone()
            if self.pins is not None:
                self.kv[:, :, :, :P] = self.pins
            self.length = P + keep
        self.length += 1
        return self.length - 1


def _scaled_qkv(attention: RelativeSelfAttention, head_dim: int) -> Int8Linear:
    """The qkv projection with 1/sqrt(head_dim) folded into the query rows (one multiply fewer per step)."""
    weight, bias = attention.qkv.weight.detach().float().clone(), attention.qkv.bias.detach().float().clone()
    d_model = weight.size(1)
    weight[:d_model] /= math.sqrt(head_dim)
    bias[:d_model] /= math.sqrt(head_dim)
    return Int8Linear(weight, bias)


class QuantizedDecoder:
    """The incremental half of a MusicTransformer (prefill + step), with int8 weights. Batch 1 only."""

    @staticmethod
    def supports(model: MusicTransformer) -> bool:
        """The int8 kernel wants inner sizes that are multiples of 32 (smaller ones give NaNs here)."""
        cfg = model.cfg
        return cfg.d_model % 32 == 0 and cfg.d_ff % 32 == 0

    def __init__(self, model: MusicTransformer) -> None:
        if not self.supports(model):
            raise ValueError("QuantizedDecoder needs d_model and d_ff to be multiples of 32")
        cfg = model.cfg
        self.model = model
        self.n_head, self.head_dim = cfg.n_head, cfg.d_model // cfg.n_head
        self.window = cfg.block_size + cfg.n_soft_tokens  # as the float model's LayerCache
        distances = torch.arange(self.window - 1, -1, -1).clamp(max=cfg.max_relative - 1)
        self.embed = model.embed.weight.detach().to(ACTIVATION)
        self.layers = [self._quantize(cast(Block, block), distances) for block in model.blocks]
        self.norm = _norm(model.norm)
        self.head = Int8Linear(model.head.weight, None)

    def _quantize(self, block: Block, distances: torch.Tensor) -> _Layer:
        ff_in, ff_out = block.ff[0], block.ff[2]
        assert isinstance(ff_in, nn.Linear) and isinstance(ff_out, nn.Linear)
        return _Layer(norm1=_norm(block.norm1), qkv=_scaled_qkv(block.attn, self.head_dim),
                      out=Int8Linear.from_linear(block.attn.out),
                      relative_t=block.attn.relative.detach()[:, distances].transpose(1, 2).float().contiguous(),
                      norm2=_norm(block.norm2), ff_in=Int8Linear.from_linear(ff_in),
                      ff_out=Int8Linear.from_linear(ff_out))

    @torch.no_grad()
    def prefill(self, tokens: torch.Tensor, condition: torch.Tensor | None = None,
                pin: bool = False) -> tuple[torch.Tensor, DecodeCache]:
        """Run the float model on the prompt (1, T); returns the last position's logits (1, vocab) and a cache
        (`pin`: the prompt stays in view as the window slides, as MusicTransformer.prefill)."""
        if tokens.size(0) != 1:
            raise ValueError("QuantizedDecoder decodes one sequence at a time")
        logits, float_cache = self.model.prefill(tokens, condition, pin)
        cache = DecodeCache(len(self.layers), self.n_head, self.head_dim, self.window)
        for index, layer_cache in enumerate(float_cache):
            assert layer_cache.k is not None and layer_cache.v is not None
            start, end = max(0, layer_cache.length - self.window), layer_cache.length
            cache.load(index, layer_cache.k[0, :, start:end], layer_cache.v[0, :, start:end])
            cache.length = end - start
        cache.pin(float_cache[0].pinned)
        return logits.float(), cache

    @torch.no_grad()
    def step(self, token: torch.Tensor, cache: DecodeCache) -> tuple[torch.Tensor, DecodeCache]:
        """token (1,) -> logits (1, vocab) fp32, with the cache extended by one position.

        GELU uses its tanh form here (the model trained with the exact erf form; they differ by < 1e-3,
        far below the int8 rounding, and the tanh form is 2.5x cheaper on this CPU).
        """
        at = cache.advance()
        start = cache.visible_start()
        visible = cache.length - start
        x = self.embed.index_select(0, token)  # (1, C) bf16 residual stream, a fresh tensor, so updated in place
        shape = x.shape[-1:]
        for index, layer in enumerate(self.layers):
            h = torch.layer_norm(x, shape, *layer.norm1)
            qkv = layer.qkv(h).float().view(3, self.n_head, 1, self.head_dim)  # (3, nh, 1, hs), q pre-scaled
            kv = cache.kv[index]  # (2, nh, 2 * window, hs)
            kv.narrow(2, at, 1).copy_(qkv[1:])
            q = qkv[0]  # (nh, 1, hs)
            relative = torch.matmul(q, layer.relative_t[:, :, self.window - visible:])  # (nh, 1, S)
            scores = torch.baddbmm(relative, q, kv[0, :, start:cache.length].transpose(1, 2))  # + q . k
            y = torch.matmul(torch.softmax(scores, dim=-1), kv[1, :, start:cache.length])  # (nh, 1, hs)
            x += layer.out(y.view(1, -1).to(ACTIVATION))
            h = torch.layer_norm(x, shape, *layer.norm2)
            x += layer.ff_out(F.gelu(layer.ff_in(h), approximate="tanh"))
        h = torch.layer_norm(x, shape, *self.norm)
        return self.head(h).float(), cache
