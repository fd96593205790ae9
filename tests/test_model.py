"""The Music Transformer: relative attention is exact, the KV cache changes nothing, and a tiny model learns."""

import torch
import torch.nn.functional as F

from composer.decode.model import ModelConfig, MusicTransformer

TINY = ModelConfig(vocab_size=40, n_layer=2, n_head=2, d_model=32, d_ff=64, max_relative=16, block_size=24,
                   n_soft_tokens=2, dropout=0.0)


def tiny_model(seed: int = 0, **changes) -> MusicTransformer:
    torch.manual_seed(seed)
    cfg = ModelConfig(**{**TINY.__dict__, **changes})
    model = MusicTransformer(cfg).eval()
    with torch.no_grad():  # non-zero relative embeddings, so the test can see them matter
        for block in model.blocks:
            block.attn.relative.normal_(std=0.5)
    return model


def test_relative_logits_match_the_definition():
    attention = tiny_model().blocks[0].attn
    q = torch.randn(1, 2, 9, 16)
    skewed = attention._relative_logits_skewed(q)
    for i in range(9):
        for j in range(i + 1):
            expected = (q[0, :, i] * attention.relative[:, min(i - j, 15)]).sum(-1)
            assert torch.allclose(skewed[0, :, i, j], expected, atol=1e-5)


def test_kv_cache_decoding_equals_full_decoding():
    model = tiny_model()
    tokens = torch.randint(0, 40, (2, 20))
    condition = torch.randn(2, 384)
    full = model(tokens, condition)
    logits, cache = model.prefill(tokens[:, :4], condition)
    assert torch.allclose(logits, full[:, 3], atol=1e-5)
    for i in range(4, 20):
        logits, cache = model.step(tokens[:, i], cache)
        assert torch.allclose(logits, full[:, i], atol=1e-5)


def test_relative_positions_matter():
    model = tiny_model()
    a = torch.tensor([[1, 2, 3, 4, 5, 6]])
    b = torch.tensor([[1, 2, 3, 5, 4, 6]])
    assert not torch.allclose(model(a)[0, -1], model(b)[0, -1])


def test_sliding_window_keeps_the_cache_bounded():
    model = tiny_model()
    logits, cache = model.prefill(torch.randint(0, 40, (1, 5)))
    for _ in range(60):
        logits, cache = model.step(torch.tensor([3]), cache)
    window = TINY.block_size + TINY.n_soft_tokens
    assert cache[0].length <= window + cache[0].slack
    keys, _ = cache[0].append(torch.zeros(1, 2, 1, 16), torch.zeros(1, 2, 1, 16))
    assert keys.size(2) == window  # attention sees exactly the newest `window` positions
    assert torch.isfinite(logits).all()


def test_missing_condition_rows_use_the_null_condition():
    model = tiny_model()
    tokens = torch.randint(0, 40, (2, 6))
    with_nan = torch.full((2, 384), float("nan"))
    assert torch.allclose(model(tokens, with_nan), model(tokens, None))
    assert not torch.allclose(model(tokens, torch.randn(2, 384)), model(tokens, None))


def test_a_tiny_model_learns_a_pattern():
    model = tiny_model(dropout=0.0).train()
    optimizer = torch.optim.AdamW(model.parameters(), lr=3e-3)
    pattern = torch.tensor([[5, 6, 7, 8] * 5])
    losses = []
    for _ in range(40):
        logits = model(pattern[:, :-1])
        loss = F.cross_entropy(logits.reshape(-1, 40), pattern[:, 1:].reshape(-1))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert losses[-1] < losses[0] * 0.3
