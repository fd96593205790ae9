"""The int8 decoder follows the float model, through the sliding window; the samplers keep the right tokens."""

import torch

from composer.decode.decoder import QuantizedDecoder
from composer.decode.model import ModelConfig, MusicTransformer
from composer.decode.sampling import SamplingConfig, candidates, decoder_for, draw, sample, warp

SMALL = ModelConfig(vocab_size=50, n_layer=2, n_head=2, d_model=64, d_ff=128, max_relative=32, block_size=20,
                    dropout=0.0)


def small_model(seed: int = 0) -> MusicTransformer:
    torch.manual_seed(seed)
    model = MusicTransformer(SMALL).eval()
    with torch.no_grad():  # livelier than the 0.02 init, so the test distributions are not near-uniform
        for parameter in model.parameters():
            parameter.mul_(3.0)
    return model


def test_int8_decoder_follows_the_float_model_past_the_window():
    model = small_model()
    decoder = QuantizedDecoder(model)
    tokens = torch.randint(3, SMALL.vocab_size, (70,), generator=torch.Generator().manual_seed(1))
    with torch.inference_mode():
        reference, float_cache = model.prefill(tokens[None, :5])
        logits, cache = decoder.prefill(tokens[None, :5])
        worst = 0.0
        for token in tokens[5:]:  # 65 steps: the 24-position window slides more than twice
            p = torch.softmax(reference[0].float(), -1)
            kl = float((p * (p.log() - torch.log_softmax(logits[0], -1))).sum())
            worst = max(worst, kl)
            assert int(logits[0].argmax()) == int(reference[0].argmax()) or kl < 1e-2
            reference, float_cache = model.step(token[None], float_cache)
            logits, cache = decoder.step(token[None], cache)
    assert worst < 2e-2, worst
    assert cache.length <= 2 * decoder.window


def test_int8_decoder_differs_from_a_different_model():  # the check above can fail
    a, b = small_model(0), small_model(1)
    with torch.inference_mode():
        la, _ = QuantizedDecoder(a).prefill(torch.tensor([[1, 2, 3]]))
        lb, _ = b.prefill(torch.tensor([[1, 2, 3]]))
    assert not torch.allclose(la, lb.float(), atol=1e-2)


def test_decoder_for_falls_back_to_the_float_model_when_sizes_do_not_suit_int8():
    odd = MusicTransformer(ModelConfig(vocab_size=30, n_layer=1, n_head=2, d_model=16, d_ff=32, max_relative=16,
                                       block_size=16)).eval()
    assert decoder_for(odd) is odd
    model = small_model()
    assert isinstance(decoder_for(model), QuantizedDecoder) and decoder_for(model) is decoder_for(model)
    assert decoder_for(model, int8=False) is model


def test_composer_decode_float_decodes_through_the_float_model(monkeypatch):
    model = small_model()
    monkeypatch.setenv("COMPOSER_DECODE", "float")
    assert decoder_for(model) is model
    monkeypatch.setenv("COMPOSER_DECODE", "int8")
    assert isinstance(decoder_for(model), QuantizedDecoder)


def test_int8_sampling_is_deterministic_with_a_seed():
    model = small_model()
    a = sample(model, [1], None, SamplingConfig(seed=3, max_tokens=60))
    assert a == sample(model, [1], None, SamplingConfig(seed=3, max_tokens=60))
    assert a != sample(model, [1], None, SamplingConfig(seed=4, max_tokens=60))


def test_top_p_keeps_the_smallest_set_that_reaches_p():
    scores = torch.log(torch.tensor([0.5, 0.05, 0.3, 0.1, 0.05]))
    ids, _ = candidates(scores, SamplingConfig(top_p=0.85))
    assert ids.tolist() == [0, 2, 3]  # 0.5 + 0.3 < 0.85, the 0.1 crosses it
    ids, _ = candidates(scores, SamplingConfig(top_p=0.75))
    assert ids.tolist() == [0, 2]
    ids, _ = candidates(scores, SamplingConfig(top_k=2, top_p=0.6))  # p after top-k: 0.625, 0.375
    assert ids.tolist() == [0]
    flat = torch.zeros(200)  # no nucleus among the first 64: the full sort is used
    assert len(candidates(flat, SamplingConfig(top_p=0.9))[0]) == 180
    assert torch.isinf(warp(scores, SamplingConfig(top_p=0.75)))[[1, 3, 4]].all()


def test_draw_follows_the_distribution():
    probabilities = torch.tensor([0.6, 0.3, 0.1])
    generator = torch.Generator().manual_seed(0)
    counts = torch.zeros(3)
    for _ in range(6000):
        counts[draw(torch.arange(3), probabilities.log(), generator)] += 1
    assert torch.allclose(counts / 6000, probabilities, atol=0.02), counts / 6000


def test_a_pinned_prompt_stays_in_view_past_the_window_in_both_decoders():
    model = small_model()
    decoder = QuantizedDecoder(model)
    tokens = torch.randint(3, SMALL.vocab_size, (90,), generator=torch.Generator().manual_seed(2))
    with torch.inference_mode():
        reference, float_cache = model.prefill(tokens[None, :2], pin=True)  # 4 soft + 2 prompt positions
        logits, cache = decoder.prefill(tokens[None, :2], pin=True)
        unpinned, plain_cache = decoder.prefill(tokens[None, :2])
        assert float_cache[0].pinned == cache.pinned == 6 and plain_cache.pinned == 0
        worst, moved = 0.0, 0.0
        for token in tokens[2:]:  # 88 steps: the 24-position window slides several times
            p = torch.softmax(reference[0].float(), -1)
            worst = max(worst, float((p * (p.log() - torch.log_softmax(logits[0], -1))).sum()))
            moved = max(moved, float((logits - unpinned).abs().max()))
            reference, float_cache = model.step(token[None], float_cache)
            logits, cache = decoder.step(token[None], cache)
            unpinned, plain_cache = decoder.step(token[None], plain_cache)
        keys, _ = float_cache[0].append(torch.zeros(1, 2, 1, 32), torch.zeros(1, 2, 1, 32))
    assert worst < 2e-2, worst  # the int8 decoder reads the same visible run as the float model
    assert moved > 0.1  # and the pinned prompt changes what it predicts once the window has slid
    assert keys.size(2) == decoder.window and cache.length <= 2 * decoder.window
