"""all-MiniLM-L6-v2's BERT encoder in plain torch, read from the package's own safetensors and tokenizer.json.

Why not transformers' BertModel: importing transformers' modelling stack costs 3-4 s on a 2-core CPU (it pulls
torch.distributed.tensor, torch._dynamo and scipy.optimize), about half of a cold `composer generate`'s 8 s.
The network here is the same six post-LayerNorm BERT layers with the same ops in the same order, and the test
suite checks its sentence embeddings against transformers' BertModel (tests/test_text_encoder.py).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn


@dataclass(frozen=True)
class BertConfig:
    vocab_size: int = 30522
    hidden_size: int = 384              # MiniLM-L6's width
    num_hidden_layers: int = 6
    num_attention_heads: int = 12       # 32 dims per head
    intermediate_size: int = 1536       # 4x hidden
    max_position_embeddings: int = 512
    type_vocab_size: int = 2
    layer_norm_eps: float = 1e-12

    @classmethod
    def from_json(cls, path: Path) -> BertConfig:
        values = json.loads(path.read_text())
        if values.get("hidden_act", "gelu") != "gelu" or values.get("position_embedding_type",
                                                                     "absolute") != "absolute":
            raise ValueError(f"{path}: only absolute positions and exact GELU are supported")
        return cls(**{name: values[name] for name in cls.__dataclass_fields__ if name in values})


class Embeddings(nn.Module):
    def __init__(self, config: BertConfig) -> None:
        super().__init__()
        self.word_embeddings = nn.Embedding(config.vocab_size, config.hidden_size)
        self.position_embeddings = nn.Embedding(config.max_position_embeddings, config.hidden_size)
        self.token_type_embeddings = nn.Embedding(config.type_vocab_size, config.hidden_size)
        self.LayerNorm = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)

    def forward(self, input_ids: torch.Tensor, token_type_ids: torch.Tensor) -> torch.Tensor:
        positions = torch.arange(input_ids.shape[1], device=input_ids.device).unsqueeze(0)  # (1, T)
        x = self.word_embeddings(input_ids) + self.token_type_embeddings(token_type_ids)
        return self.LayerNorm(x + self.position_embeddings(positions))  # (B, T, C)


class Attention(nn.Module):
    def __init__(self, config: BertConfig) -> None:
        super().__init__()
        self.heads = config.num_attention_heads
        self.query = nn.Linear(config.hidden_size, config.hidden_size)
        self.key = nn.Linear(config.hidden_size, config.hidden_size)
        self.value = nn.Linear(config.hidden_size, config.hidden_size)
        self.dense = nn.Linear(config.hidden_size, config.hidden_size)
        self.LayerNorm = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)

    def forward(self, x: torch.Tensor, keep: torch.Tensor) -> torch.Tensor:
        B, T, C = x.shape
        q, k, v = (proj(x).view(B, T, self.heads, -1).transpose(1, 2)  # (B, nh, T, hs)
                   for proj in (self.query, self.key, self.value))
        y = F.scaled_dot_product_attention(q, k, v, attn_mask=keep)  # keep: (B, 1, 1, T) bool
        y = y.transpose(1, 2).reshape(B, T, C)
        return self.LayerNorm(self.dense(y) + x)


class Layer(nn.Module):
    def __init__(self, config: BertConfig) -> None:
        super().__init__()
        self.attention = Attention(config)
        self.intermediate = nn.Linear(config.hidden_size, config.intermediate_size)
        self.output = nn.Linear(config.intermediate_size, config.hidden_size)
        self.LayerNorm = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)

    def forward(self, x: torch.Tensor, keep: torch.Tensor) -> torch.Tensor:
        x = self.attention(x, keep)
        return self.LayerNorm(self.output(F.gelu(self.intermediate(x))) + x)


class BertEncoder(nn.Module):
    """Token ids -> last hidden states (B, T, C); no pooler, as sentence-transformers uses none."""

    def __init__(self, config: BertConfig) -> None:
        super().__init__()
        self.embeddings = Embeddings(config)
        self.layers = nn.ModuleList(Layer(config) for _ in range(config.num_hidden_layers))

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor,
                token_type_ids: torch.Tensor) -> torch.Tensor:
        keep = attention_mask.bool()[:, None, None, :]  # (B, 1, 1, T): padding is never attended to
        x = self.embeddings(input_ids, token_type_ids)
        for layer in self.layers:
            x = layer(x, keep)
        return x


# The checkpoint's names (transformers' BertModel layout) -> this module's, where they differ.
_RENAMES = (
    ("encoder.layer.", "layers."),
    (".attention.self.", ".attention."),
    (".attention.output.dense.", ".attention.dense."),
    (".attention.output.LayerNorm.", ".attention.LayerNorm."),
    (".intermediate.dense.", ".intermediate."),
    (".output.dense.", ".output."),
    (".output.LayerNorm.", ".LayerNorm."),
)


def _rename(name: str) -> str:
    for old, new in _RENAMES:
        name = name.replace(old, new)
    return name


def load_encoder(folder: Path) -> BertEncoder:
    """The encoder with the folder's weights; every weight must be used and every parameter filled."""
    from safetensors.torch import load_file

    model = BertEncoder(BertConfig.from_json(folder / "config.json"))
    weights = {_rename(name): tensor for name, tensor in load_file(str(folder / "model.safetensors")).items()
               if not name.startswith("pooler.") and name != "embeddings.position_ids"}
    model.load_state_dict(weights, strict=True)
    return model.eval()
