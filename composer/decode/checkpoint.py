"""Model checkpoints: shipped ones (safetensors + JSON configs) and resumable training state."""

from __future__ import annotations

import dataclasses
import json
import os
from pathlib import Path
from typing import Any

import torch

from composer.core.atomic import atomic_output, write_bytes_atomic
from composer.core.errors import ComposerError
from composer.decode.model import ModelConfig, MusicTransformer
from composer.decode.tokens import MusicTokenizer, version_of

CHECKPOINT_ROOT = Path(__file__).resolve().parent.parent / "checkpoints"  # composer/checkpoints
DEFAULT_CHECKPOINT = "base"


def save_shipped(model: MusicTransformer, tokenizer: MusicTokenizer, folder: Path, extra: dict[str, Any]) -> Path:
    """Write model.safetensors (fp16), config.json and tokenizer.json into `folder`."""
    from safetensors.torch import save_file

    folder.mkdir(parents=True, exist_ok=True)
    state = {k: v.detach().to(torch.float16).contiguous() for k, v in model.state_dict().items()
             if k != "head.weight"}  # tied to embed.weight
    with atomic_output(folder / "model.safetensors") as tmp:
        save_file(state, str(tmp), metadata={"format": "pt"})
    config = {"model_args": dataclasses.asdict(model.cfg), "composer_version": version_of("composer"),
              "torch_version": torch.__version__, **extra}
    write_bytes_atomic(folder / "config.json", (json.dumps(config, indent=2) + "\n").encode())
    tokenizer.save(folder / "tokenizer.json")
    return folder


def checkpoint_dir(name_or_path: str | os.PathLike[str] | None = None) -> Path:
    """A shipped checkpoint by name (composer/checkpoints/NAME) or by path."""
    if name_or_path is None:
        name_or_path = os.environ.get("COMPOSER_CHECKPOINT", DEFAULT_CHECKPOINT)
    path = Path(name_or_path)
    folder = path if path.is_dir() else CHECKPOINT_ROOT / str(name_or_path)
    if not (folder / "model.safetensors").is_file():
        raise ComposerError(f"no model checkpoint at {folder} (expected model.safetensors, config.json, "
                            "tokenizer.json)")
    return folder


def load_shipped(name_or_path: str | os.PathLike[str] | None = None, dtype: torch.dtype = torch.float32
                 ) -> tuple[MusicTransformer, MusicTokenizer, dict[str, Any]]:
    """(model in eval mode, tokenizer, config dict) of a shipped checkpoint."""
    from safetensors.torch import load_file

    folder = checkpoint_dir(name_or_path)
    config = json.loads((folder / "config.json").read_text())
    model = MusicTransformer(ModelConfig(**config["model_args"]))
    state = {k: v.to(dtype) for k, v in load_file(str(folder / "model.safetensors")).items()}
    state["head.weight"] = state["embed.weight"]
    model.load_state_dict(state)
    return model.to(dtype).eval(), MusicTokenizer.load(folder / "tokenizer.json"), config
