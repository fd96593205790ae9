"""The sampling loop: model + logits processors (hard masks first) + warpers, with a KV cache and a seed.

It lives outside the network, so it can be tested with a tiny random model.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

import torch

from composer.model import MusicTransformer

# (token ids so far, scores (vocab,)) -> scores; never mutates its input (transformers' LogitsProcessor shape).
LogitsProcessor = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]
ProgressCallback = Callable[[int, int], None]


@dataclass(frozen=True)
class SamplingConfig:
    temperature: float = 1.0  # <1 sharper, >1 wilder
    top_k: int = 0  # keep the k most likely tokens (0: all)
    top_p: float = 0.95  # keep the smallest set whose probability reaches p
    guidance: float = 1.0  # classifier-free guidance scale against the null condition (1: off)
    max_tokens: int = 4096  # hard stop on generated tokens
    seed: int | None = None  # same seed, same settings -> same tokens

    def __post_init__(self) -> None:
        if self.temperature <= 0:
            raise ValueError(f"temperature must be > 0, not {self.temperature}")
        if not 0 < self.top_p <= 1:
            raise ValueError(f"top_p must be in (0, 1], not {self.top_p}")
        if self.top_k < 0 or self.max_tokens < 1:
            raise ValueError("top_k must be >= 0 and max_tokens >= 1")


def warp(scores: torch.Tensor, config: SamplingConfig) -> torch.Tensor:
    """Temperature, then top-k, then top-p, on a (vocab,) score vector; returns new scores."""
    scores = scores / config.temperature
    if config.top_k and config.top_k < scores.numel():
        kth = torch.topk(scores, config.top_k).values[-1]
        scores = scores.masked_fill(scores < kth, float("-inf"))
    if config.top_p < 1.0:
        ordered, order = torch.sort(scores, descending=True)
        cumulative = torch.softmax(ordered, dim=-1).cumsum(-1)
        drop = cumulative - torch.softmax(ordered, dim=-1) >= config.top_p  # keep the token that crosses p
        scores = scores.clone()
        scores[order[drop]] = float("-inf")
    return scores


@contextlib.contextmanager
def single_thread() -> Iterator[None]:
    """Batch-1 decoding is a chain of tiny matrix-vector products: extra intra-op threads only add
    synchronisation (several times slower here, far worse when the cores are busy), so use one."""
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(previous)


def sample(model: MusicTransformer, prompt: Sequence[int], condition: torch.Tensor | None,
           config: SamplingConfig, processors: Sequence[LogitsProcessor] = (), stop_ids: Sequence[int] = (),
           null_prompt: Sequence[int] | None = None, on_progress: ProgressCallback | None = None) -> list[int]:
    """Continue `prompt` until a stop id or max_tokens; returns the generated ids (without the prompt).

    With guidance != 1 a second, unconditioned stream (`null_prompt`, no embedding) is decoded in
    step, and scores = uncond + guidance * (cond - uncond) before the processors run.
    """
    with single_thread(), torch.inference_mode():
        return _sample(model, prompt, condition, config, processors, stop_ids, null_prompt, on_progress)


def _sample(model: MusicTransformer, prompt: Sequence[int], condition: torch.Tensor | None,
            config: SamplingConfig, processors: Sequence[LogitsProcessor], stop_ids: Sequence[int],
            null_prompt: Sequence[int] | None, on_progress: ProgressCallback | None) -> list[int]:
    generator = torch.Generator().manual_seed(config.seed if config.seed is not None else torch.seed())
    ids = torch.tensor([list(prompt)])
    logits, cache = model.prefill(ids, condition[None] if condition is not None else None)
    guided = config.guidance != 1.0
    if guided:
        null_ids = torch.tensor([list(null_prompt if null_prompt is not None else prompt[:1])])
        null_logits, null_cache = model.prefill(null_ids, None)
    history = list(prompt)
    generated: list[int] = []
    stops = set(stop_ids)
    for _ in range(config.max_tokens):
        scores = logits[0].float()
        if guided:
            scores = null_logits[0].float() + config.guidance * (scores - null_logits[0].float())
        so_far = torch.tensor(history)
        for processor in processors:  # hard masks and biases, in order
            scores = processor(so_far, scores)
        scores = warp(scores, config)
        probabilities = torch.softmax(scores, dim=-1)
        token = int(torch.multinomial(probabilities, 1, generator=generator))
        history.append(token)
        generated.append(token)
        if on_progress is not None:
            on_progress(len(generated), config.max_tokens)
        if token in stops:
            break
        step_input = torch.tensor([token])
        logits, cache = model.step(step_input, cache)
        if guided:
            null_logits, null_cache = model.step(step_input, null_cache)
    return generated
