"""The sampling loop: model + logits processors (hard masks first) + warpers, with a KV cache and a seed.

It lives outside the network, so it can be tested with a tiny random model.
"""

from __future__ import annotations

import contextlib
import os
import weakref
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import torch

from composer.decode.decoder import QuantizedDecoder
from composer.decode.model import MusicTransformer

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
    int8: bool = True  # decode steps with int8 weights (composer.decode.decoder, ~3x faster on CPU); False: floats
    # keep the prompt (the condition, controls, parts and roles) in view as the window slides, as every
    # training window begins with it (composer.decode.model.LayerCache); False: it slides out like the music
    pin_prompt: bool = True

    def __post_init__(self) -> None:
        if self.temperature <= 0:
            raise ValueError(f"temperature must be > 0, not {self.temperature}")
        if not 0 < self.top_p <= 1:
            raise ValueError(f"top_p must be in (0, 1], not {self.top_p}")
        if self.top_k < 0 or self.max_tokens < 1:
            raise ValueError("top_k must be >= 0 and max_tokens >= 1")


NUCLEUS_SEARCH = 64  # top-p looks for its nucleus among this many best tokens first (a full sort is slow)


def candidates(scores: torch.Tensor, config: SamplingConfig) -> tuple[torch.Tensor, torch.Tensor]:
    """The tokens that temperature, top-k and top-p keep, best first: (ids, tempered scores).

    Top-k keeps the k best; top-p then keeps the smallest set of the best whose probability (after
    top-k) reaches p, the token that crosses p included.
    """
    scores = scores / config.temperature if config.temperature != 1.0 else scores
    vocab = scores.numel()
    if config.top_k and config.top_k < vocab:
        values, ids = torch.topk(scores, config.top_k)
        log_total = torch.logsumexp(values, dim=0)
    elif config.top_p < 1.0:
        values, ids = torch.topk(scores, min(NUCLEUS_SEARCH, vocab))
        log_total = torch.logsumexp(scores, dim=0)
    else:
        return torch.arange(vocab), scores
    if config.top_p < 1.0:
        probabilities = torch.exp(values - log_total)
        if float(probabilities.sum()) < config.top_p and values.numel() < vocab:  # a flat distribution
            values, ids = torch.sort(scores, descending=True)
            probabilities = torch.exp(values - log_total)
        kept = max(1, int((probabilities.cumsum(0) - probabilities < config.top_p).sum()))
        values, ids = values[:kept], ids[:kept]
    return ids, values


def warp(scores: torch.Tensor, config: SamplingConfig) -> torch.Tensor:
    """Temperature, top-k and top-p on a (vocab,) score vector: new scores, -inf where a token is cut."""
    ids, values = candidates(scores, config)
    return torch.full_like(scores, float("-inf")).index_copy_(0, ids, values.to(scores.dtype))


def draw(ids: torch.Tensor, values: torch.Tensor, generator: torch.Generator) -> int:
    """One of `ids`, with probability softmax(values): the argmax of p / E with E ~ Exponential(1) (an
    exponential race: the same distribution as multinomial, at a fraction of its cost for one sample)."""
    probabilities = torch.softmax(values, dim=-1)
    race = torch.empty_like(probabilities).exponential_(generator=generator)
    return int(ids[torch.argmax(probabilities / race)])


class Decoder(Protocol):
    """prefill(tokens (1, T), condition) -> (logits (1, vocab), cache); step(token (1,), cache) -> same."""

    def prefill(self, tokens: torch.Tensor, condition: torch.Tensor | None = None,
                pin: bool = False) -> tuple[torch.Tensor, Any]: ...

    def step(self, token: torch.Tensor, cache: Any) -> tuple[torch.Tensor, Any]: ...


# COMPOSER_DECODE=float decodes every step through the fp32 model: the same seed then writes the same bytes on
# any CPU (the int8 path's bf16 activations round differently where a CPU has AMX or AVX-512 BF16), ~3x slower.
EXACT_DECODE_ENV = "COMPOSER_DECODE"

_quantized: weakref.WeakKeyDictionary[MusicTransformer, QuantizedDecoder] = weakref.WeakKeyDictionary()


def decoder_for(model: MusicTransformer, int8: bool = True) -> Decoder:
    """The int8 decoder of `model` (built once per model and kept while the model lives), or the model
    itself when int8 is off (or COMPOSER_DECODE=float) or its sizes do not suit the int8 kernel."""
    exact = os.environ.get(EXACT_DECODE_ENV, "").lower() == "float"
    if not int8 or exact or model.training or not QuantizedDecoder.supports(model):
        return model
    if model not in _quantized:
        _quantized[model] = QuantizedDecoder(model)
    return _quantized[model]


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
    decoder = decoder_for(model, config.int8)
    logits, cache = decoder.prefill(torch.tensor([list(prompt)]), condition[None] if condition is not None else None,
                                    config.pin_prompt)
    guided = config.guidance != 1.0
    if guided:
        null_ids = torch.tensor([list(null_prompt if null_prompt is not None else prompt[:1])])
        null_logits, null_cache = decoder.prefill(null_ids, None, config.pin_prompt)
    history = torch.empty(len(prompt) + config.max_tokens, dtype=torch.long)  # filled in place, O(1) per token
    history[:len(prompt)] = torch.tensor(list(prompt))
    length = len(prompt)
    generated: list[int] = []
    stops = set(stop_ids)
    structures = [p.structure for p in processors if hasattr(p, "structure")]  # type: ignore[attr-defined]
    for _ in range(config.max_tokens):
        scores = logits[0].float()
        if guided:
            scores = null_logits[0].float() + config.guidance * (scores - null_logits[0].float())
        so_far = history[:length]
        allowed = next((a for a in (s(so_far) for s in structures) if a is not None), None)
        if allowed is not None:  # a structural token (a bar's chord): drawn from its mask alone
            scores = scores.masked_fill(~allowed, float("-inf"))
        else:
            for processor in processors:  # hard masks and biases, in order
                scores = processor(so_far, scores)
        token = draw(*candidates(scores, config), generator)
        history[length] = token
        length += 1
        generated.append(token)
        if on_progress is not None:
            on_progress(len(generated), config.max_tokens)
        if token in stops:
            break
        step_input = history[length - 1:length]
        logits, cache = decoder.step(step_input, cache)
        if guided:
            null_logits, null_cache = decoder.step(step_input, null_cache)
    return generated
