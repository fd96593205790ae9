"""A decoder-only Music Transformer: relative self-attention (Huang et al. 2018, with the "skew"), a KV cache,
and a conditioning prefix of soft tokens projected from a 384-d text or image embedding.

The network sees token ids and a conditioning vector; it knows nothing of text, images or MIDI.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn


@dataclass
class ModelConfig:
    vocab_size: int = 640  # tokenizer size (REMI + control tokens), set from the tokenizer
    n_layer: int = 6  # transformer blocks
    n_head: int = 8  # attention heads per block
    d_model: int = 256  # residual width
    d_ff: int = 1024  # feed-forward width
    max_relative: int = 1024  # relative distances >= this share the last learned embedding
    block_size: int = 1024  # training context in tokens; decoding slides a window of this size
    cond_dim: int = 384  # size of the text/image embedding (all-MiniLM-L6-v2)
    n_soft_tokens: int = 4  # prefix positions the embedding is projected to
    dropout: float = 0.1  # dropout in attention and feed-forward while training


class RelativeSelfAttention(nn.Module):
    """Causal multi-head attention with learned relative-position logits, shared across heads' positions."""

    def __init__(self, cfg: ModelConfig) -> None:
        super().__init__()
        assert cfg.d_model % cfg.n_head == 0
        self.n_head, self.head_dim = cfg.n_head, cfg.d_model // cfg.n_head
        self.qkv = nn.Linear(cfg.d_model, 3 * cfg.d_model)
        self.out = nn.Linear(cfg.d_model, cfg.d_model)
        # E[r] is the embedding of distance r = query - key; one per head (Music Transformer, per layer)
        self.relative = nn.Parameter(torch.randn(cfg.n_head, cfg.max_relative, self.head_dim) * 0.02)
        self.max_relative = cfg.max_relative

    def _relative_logits_skewed(self, q: torch.Tensor) -> torch.Tensor:
        """S_rel[i, j] = q_i . E[i - j] for j <= i, by Huang et al.'s memory-efficient skew. q: (B, nh, T, hs).

        qe[i, k] = q_i . E[T-1-k]; padding one column on the left and reading the result as (T+1, T)
        shifts row i left by T-1-i, which puts E[i - j] at column j. Entries above the diagonal are
        garbage and get masked by the caller.
        """
        B, H, T, _ = q.shape
        distances = torch.arange(T - 1, -1, -1, device=q.device).clamp(max=self.max_relative - 1)
        e = self.relative[:, distances]  # (nh, T, hs), row k holds distance T-1-k
        qe = torch.matmul(q, e.unsqueeze(0).transpose(-1, -2))  # (B, nh, T, T)
        padded = F.pad(qe, (1, 0))  # (B, nh, T, T+1)
        return padded.reshape(B, H, T + 1, T)[:, :, 1:, :]  # (B, nh, T, T)

    def forward(self, x: torch.Tensor, cache: LayerCache | None = None) -> torch.Tensor:
        """x: (B, T, C). Without a cache: causal attention over x. With one: x holds the newest T positions,
        they are appended to the cache, and they attend to everything in it."""
        B, T, C = x.shape
        q, k, v = self.qkv(x).view(B, T, 3, self.n_head, self.head_dim).permute(2, 0, 3, 1, 4)  # (B, nh, T, hs)
        q = q * (1.0 / math.sqrt(self.head_dim))
        if cache is None:
            scores = torch.matmul(q, k.transpose(-1, -2)) + self._relative_logits_skewed(q)  # (B, nh, T, T)
            future = torch.ones(T, T, dtype=torch.bool, device=x.device).triu(1)
            scores = scores.masked_fill(future, float("-inf"))
        else:
            k, v = cache.append(k, v)  # (B, nh, S, hs), S keys including the new ones
            S = k.size(2)
            if T == 1:  # decoding: q . E[d] for every distance d, read backwards from the newest key
                qe = torch.matmul(q, self.relative.transpose(-1, -2).unsqueeze(0))  # (B, nh, 1, max_rel)
                if self.max_relative >= S:
                    relative = qe[..., :S].flip(-1)
                else:
                    far = qe[..., -1:].expand(B, self.n_head, 1, S - self.max_relative)
                    relative = torch.cat([far, qe.flip(-1)], dim=-1)
            else:
                distance = torch.arange(S - T, S, device=x.device)[:, None] - torch.arange(S, device=x.device)
                e = self.relative[:, distance.clamp(0, self.max_relative - 1)]  # (nh, T, S, hs)
                relative = torch.einsum("bhtd,htsd->bhts", q, e).masked_fill(distance < 0, float("-inf"))
            scores = torch.matmul(q, k.transpose(-1, -2)) + relative
        weights = torch.softmax(scores.float(), dim=-1).to(v.dtype)
        y = torch.matmul(weights, v).transpose(1, 2).reshape(B, T, C)  # (B, T, C)
        return self.out(y)


class LayerCache:
    """Preallocated keys and values of one layer; a sliding window of at most `capacity` positions.

    The first `pinned` positions (the prompt: the condition's soft tokens, the controls, the parts and their
    roles) stay in view as the window slides, followed by the newest capacity - pinned; attention reads
    them as one contiguous run, so the pinned ones sit just before the window, as every training window
    begins with its prompt (composer.train.data.loader).
    """

    def __init__(self, capacity: int, slack: int = 64, pinned: int = 0) -> None:
        self.capacity, self.slack, self.pinned = capacity, slack, pinned
        self.k: torch.Tensor | None = None
        self.v: torch.Tensor | None = None
        self.length = 0

    def append(self, k: torch.Tensor, v: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        B, H, T, D = k.shape
        if self.k is None:
            size = max(self.capacity + self.slack, T)
            self.k = k.new_empty(B, H, size, D)
            self.v = v.new_empty(B, H, size, D)
        assert self.v is not None
        P = self.pinned
        if self.length + T > self.k.size(2):  # full: keep the pinned and the newest capacity - T - pinned
            keep = max(0, self.capacity - T - P)
            self.k[:, :, P:P + keep] = self.k[:, :, self.length - keep:self.length].clone()
            self.v[:, :, P:P + keep] = self.v[:, :, self.length - keep:self.length].clone()
            self.length = P + keep
        self.k[:, :, self.length:self.length + T] = k
        self.v[:, :, self.length:self.length + T] = v
        self.length += T
        start = max(0, self.length - self.capacity)
        if start and P:  # slid past the pinned: they go just before the newest
            newest = self.length - (self.capacity - P)
            return (torch.cat([self.k[:, :, :P], self.k[:, :, newest:self.length]], dim=2),
                    torch.cat([self.v[:, :, :P], self.v[:, :, newest:self.length]], dim=2))
        return self.k[:, :, start:self.length], self.v[:, :, start:self.length]


class Block(nn.Module):
    def __init__(self, cfg: ModelConfig) -> None:
        super().__init__()
        self.norm1 = nn.LayerNorm(cfg.d_model)
        self.attn = RelativeSelfAttention(cfg)
        self.norm2 = nn.LayerNorm(cfg.d_model)
        self.ff = nn.Sequential(nn.Linear(cfg.d_model, cfg.d_ff), nn.GELU(), nn.Linear(cfg.d_ff, cfg.d_model),
                                nn.Dropout(cfg.dropout))

    def forward(self, x: torch.Tensor, cache: LayerCache | None = None) -> torch.Tensor:
        x = x + self.attn(self.norm1(x), cache)
        return x + self.ff(self.norm2(x))


KVCache = list[LayerCache]


class MusicTransformer(nn.Module):
    """tokens (B, T) + condition (B, cond_dim) -> next-token logits (B, T, vocab)."""

    def __init__(self, cfg: ModelConfig) -> None:
        super().__init__()
        self.cfg = cfg
        self.embed = nn.Embedding(cfg.vocab_size, cfg.d_model)
        self.soft_prefix = nn.Linear(cfg.cond_dim, cfg.n_soft_tokens * cfg.d_model)
        self.null_condition = nn.Parameter(torch.zeros(cfg.cond_dim))  # the "no text, no image" condition
        self.drop = nn.Dropout(cfg.dropout)
        self.blocks = nn.ModuleList(Block(cfg) for _ in range(cfg.n_layer))
        self.norm = nn.LayerNorm(cfg.d_model)
        self.head = nn.Linear(cfg.d_model, cfg.vocab_size, bias=False)
        self.head.weight = self.embed.weight  # tied input and output embeddings
        self.apply(self._init)

    @staticmethod
    def _init(module: nn.Module) -> None:
        if isinstance(module, nn.Linear):
            nn.init.normal_(module.weight, std=0.02)
            if module.bias is not None:
                nn.init.zeros_(module.bias)
        elif isinstance(module, nn.Embedding):
            nn.init.normal_(module.weight, std=0.02)

    def num_parameters(self) -> int:
        return sum(p.numel() for p in self.parameters())

    def condition_prefix(self, condition: torch.Tensor | None, batch: int) -> torch.Tensor:
        """(B, n_soft, d_model) soft tokens; a missing condition (or a row of NaNs) uses the null condition."""
        if condition is None:
            condition = self.null_condition.expand(batch, -1)
        else:
            missing = torch.isnan(condition).any(dim=-1, keepdim=True)
            condition = torch.where(missing, self.null_condition.expand_as(condition), condition)
        return self.soft_prefix(condition).view(batch, self.cfg.n_soft_tokens, self.cfg.d_model)

    def forward(self, tokens: torch.Tensor, condition: torch.Tensor | None = None) -> torch.Tensor:
        """Training/scoring pass. tokens: (B, T); returns logits (B, T, vocab) for the token positions."""
        B, _T = tokens.shape
        x = torch.cat([self.condition_prefix(condition, B), self.embed(tokens)], dim=1)  # (B, P+T, C)
        x = self.drop(x)
        for block in self.blocks:
            x = block(x)
        return self.head(self.norm(x[:, self.cfg.n_soft_tokens:]))

    @torch.no_grad()
    def prefill(self, tokens: torch.Tensor, condition: torch.Tensor | None = None,
                pin: bool = False) -> tuple[torch.Tensor, KVCache]:
        """Run the prompt once; returns logits of the last position (B, vocab) and the KV cache. `pin`: the
        prompt and the soft tokens stay in view as the window slides (where they fill at most a quarter of it)."""
        B = tokens.size(0)
        x = torch.cat([self.condition_prefix(condition, B), self.embed(tokens)], dim=1)
        window = self.cfg.block_size + self.cfg.n_soft_tokens
        pinned = x.size(1) if pin and x.size(1) <= window // 4 else 0
        cache: KVCache = [LayerCache(window, pinned=pinned) for _ in self.blocks]
        for block, layer_cache in zip(self.blocks, cache, strict=True):
            x = block(x, layer_cache)
        return self.head(self.norm(x[:, -1])), cache

    @torch.no_grad()
    def step(self, token: torch.Tensor, cache: KVCache) -> tuple[torch.Tensor, KVCache]:
        """One decoding step: token (B,) -> logits (B, vocab), with the cache extended by one position.

        When the cache holds block_size positions the oldest are dropped (a sliding window). Relative
        attention has no absolute positions, so the window can slide forever; cached keys keep the
        context they were computed with, as in Transformer-XL.
        """
        x = self.embed(token)[:, None, :]  # (B, 1, C)
        for block, layer_cache in zip(self.blocks, cache, strict=True):
            x = block(x, layer_cache)
        return self.head(self.norm(x[:, -1])), cache
