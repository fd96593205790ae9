"""A small head on the MiniLM embedding that predicts mode, tempo, density, register and dynamics, so
that wording the mood lexicon has never seen still reaches the music.

It is trained on the corpus captions (synthesized from each piece's measured attributes, see
composer/train/data/captions.py) with those attributes as labels, and ships beside the model as
`mood_head.safetensors` + `mood_head.json`.

Train: python -m composer.ask.head --shards data/shards [--checkpoint base]
"""

from __future__ import annotations

import argparse
import functools
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from composer.decode.controls import DENSITY_BINS, DYNAMIC_BINS, REGISTER_BINS, TEMPO_BINS

# attribute -> (its control-token prefix, the bins it predicts)
TARGETS: dict[str, tuple[str, tuple[str, ...]]] = {
    "mode": ("Key_", ("major", "minor")), "tempo": ("BPM_", TEMPO_BINS), "density": ("Density_", DENSITY_BINS),
    "register": ("Register_", REGISTER_BINS), "dynamic": ("Dynamic_", DYNAMIC_BINS),
}
# a representative value for each bin (what a prediction turns into)
TEMPO_VALUES = {"grave": 52, "slow": 68, "andante": 86, "moderato": 106, "allegro": 128, "fast": 156, "presto": 188}
DENSITY_ONSETS = {"sparse": 2.0, "light": 3.5, "medium": 6.0, "busy": 9.0, "dense": 12.0}
REGISTER_PITCH = {"low": 50, "mid": 62, "high": 72}
DYNAMIC_VELOCITY = {"pp": 42, "p": 60, "mf": 80, "f": 98, "ff": 116}
FILES = ("mood_head.safetensors", "mood_head.json")


@dataclass(frozen=True)
class Prediction:
    labels: dict[str, str]  # attribute -> bin
    confidence: dict[str, float]  # attribute -> probability of that bin


class MoodHead(torch.nn.Module):
    """One linear softmax layer per attribute over the 384-d sentence embedding."""

    def __init__(self, dim: int = 384) -> None:
        super().__init__()
        self.heads = torch.nn.ModuleDict({name: torch.nn.Linear(dim, len(bins)) for name, (_, bins) in TARGETS.items()})

    def forward(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        return {name: head(x) for name, head in self.heads.items()}

    def predict(self, embedding: np.ndarray) -> Prediction:
        with torch.no_grad():
            out = self(torch.from_numpy(np.asarray(embedding, dtype=np.float32))[None])
        labels, confidence = {}, {}
        for name, logits in out.items():
            probabilities = torch.softmax(logits[0], -1)
            best = int(probabilities.argmax())
            labels[name] = TARGETS[name][1][best]
            confidence[name] = round(float(probabilities[best]), 3)
        return Prediction(labels, confidence)


def labels_from_controls(controls: np.ndarray, vocab: list[str]) -> dict[str, np.ndarray]:
    """Per row, the bin index of each attribute from its control tokens (-1 where absent)."""
    out = {name: np.full(len(controls), -1) for name in TARGETS}
    for row, ids in enumerate(controls):
        for token_id in ids[ids >= 0]:
            token = vocab[token_id]
            for name, (prefix, bins) in TARGETS.items():
                if token.startswith(prefix):
                    value = token.rsplit("-", 1)[1] if name == "mode" else token[len(prefix):]
                    if value in bins:
                        out[name][row] = bins.index(value)
    return out


def train(shards: Path, out_dir: Path, epochs: int = 300, seed: int = 0) -> dict[str, float]:
    """Fit the head on the train split's captions; returns held-out (test split) accuracy per attribute."""
    from composer.decode.tokens import MusicTokenizer

    torch.manual_seed(seed)
    tokenizer = MusicTokenizer.load(shards / "tokenizer.json")
    embeddings = torch.from_numpy(np.load(shards / "embeddings.npy").astype(np.float32))
    split = np.load(shards / "index.npy")[:, 2]
    labels = {k: torch.from_numpy(v) for k, v in labels_from_controls(np.load(shards / "controls.npy"),
                                                                     tokenizer.tokens).items()}
    head = MoodHead(embeddings.shape[1])
    optimiser = torch.optim.AdamW(head.parameters(), lr=0.02, weight_decay=1e-3)
    train_rows = torch.from_numpy(split == 0)
    for _ in range(epochs):
        optimiser.zero_grad()
        out = head(embeddings[train_rows])
        loss = sum(torch.nn.functional.cross_entropy(out[name], labels[name][train_rows], ignore_index=-1)
                   for name in TARGETS)
        loss.backward()  # type: ignore[union-attr]
        optimiser.step()
    test_rows = torch.from_numpy(split == 2)
    accuracy = {}
    with torch.no_grad():
        out = head(embeddings[test_rows])
        for name in TARGETS:
            known = labels[name][test_rows] >= 0
            hits = out[name].argmax(-1)[known] == labels[name][test_rows][known]
            accuracy[name] = round(float(hits.float().mean()), 3)
    from safetensors.torch import save_file

    out_dir.mkdir(parents=True, exist_ok=True)
    save_file({k: v.contiguous() for k, v in head.state_dict().items()}, str(out_dir / FILES[0]))
    (out_dir / FILES[1]).write_text(json.dumps({"targets": {k: list(b) for k, (_, b) in TARGETS.items()},
                                                "test_accuracy": accuracy, "epochs": epochs}, indent=2) + "\n")
    return accuracy


@functools.cache
def load_head(checkpoint: str | None = None) -> MoodHead | None:
    """The shipped head, or None when the checkpoint has none."""
    from safetensors.torch import load_file

    from composer.decode.checkpoint import CHECKPOINT_ROOT, DEFAULT_CHECKPOINT

    folder = CHECKPOINT_ROOT / (checkpoint or DEFAULT_CHECKPOINT)
    if not (folder / FILES[0]).exists():
        return None
    head = MoodHead()
    head.load_state_dict(load_file(str(folder / FILES[0])))
    return head.eval()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--shards", type=Path, default=Path("data/shards"))
    parser.add_argument("--checkpoint", default="base")
    args = parser.parse_args()
    from composer.decode.checkpoint import CHECKPOINT_ROOT

    accuracy = train(args.shards, CHECKPOINT_ROOT / args.checkpoint)
    print("held-out accuracy: " + ", ".join(f"{k} {v:.1%}" for k, v in accuracy.items()))


if __name__ == "__main__":
    main()
