"""Scene model, held out by source: a fifth of the labelled descriptions' sources (composer/ask/data/scenes.jsonl)
kept out, the scene model rebuilt on the rest, and its tempo bin (exact and within one bin), mode, dynamic and
density accuracy on the held-out sources against today's mood head (composer/ask/head.py, trained on corpus
captions) and the lexicon alone (composer/ask/mood.py; a prompt it knows no word of gets the neutral defaults).
Writes results/scenes.json.
Run: .venv/bin/python benchmarks/scenes.py
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import write_result

from composer.ask.head import DENSITY_ONSETS, DYNAMIC_VELOCITY, TEMPO_VALUES, load_head
from composer.ask.mood import Affect, affect_of_text, attributes_from_affect
from composer.ask.scene_model import SceneModel, load_scenes, scene_matrix
from composer.decode.controls import TEMPO_BINS

ATTRIBUTES = ("tempo", "mode", "dynamic", "density")


def nearest_bin(value: float, table: dict[str, float] | dict[str, int]) -> str:
    return min(table, key=lambda name: abs(table[name] - value))


def lexicon_labels(text: str) -> dict[str, str]:
    mood = attributes_from_affect(affect_of_text(text) or Affect(0.0, 0.0))
    return {"tempo": nearest_bin(mood.tempo, TEMPO_VALUES), "mode": mood.mode,
            "dynamic": nearest_bin(mood.velocity, DYNAMIC_VELOCITY),
            "density": nearest_bin(mood.onsets_per_bar, DENSITY_ONSETS)}


def accuracy(predicted: list[dict[str, str]], truth: list[dict[str, str]]) -> dict[str, float]:
    out = {name: round(float(np.mean([p[name] == t[name] for p, t in zip(predicted, truth, strict=True)])), 3)
           for name in ATTRIBUTES}
    within = [abs(TEMPO_BINS.index(p["tempo"]) - TEMPO_BINS.index(t["tempo"])) <= 1
              for p, t in zip(predicted, truth, strict=True)]
    return out | {"tempo_within_one_bin": round(float(np.mean(within)), 3)}


def main() -> int:
    started = time.perf_counter()
    rows, matrix = load_scenes(), scene_matrix()
    sources = sorted({row["source"] for row in rows})
    held_sources = sources[2::5]  # every fifth source, by name
    held = [i for i, row in enumerate(rows) if row["source"] in held_sources]
    kept = [i for i, row in enumerate(rows) if row["source"] not in held_sources]
    model = SceneModel([rows[i] for i in kept], matrix[kept])
    truth = [{name: rows[i][name] for name in ATTRIBUTES} for i in held]
    results = {"scene_model": accuracy([model.predict(matrix[i]).labels for i in held], truth),
               "lexicon": accuracy([lexicon_labels(rows[i]["text"]) for i in held], truth)}
    head = load_head()
    if head is not None:
        results["mood_head"] = accuracy([head.predict(matrix[i]).labels for i in held], truth)
    lexicon_known = sum(affect_of_text(rows[i]["text"]) is not None for i in held)
    figures = {"descriptions": len(rows), "sources": len(sources), "held_out_sources": held_sources,
               "held_out_descriptions": len(held), "trained_on": len(kept),
               "held_out_lexicon_knows_a_word": lexicon_known, "accuracy": results,
               "seconds": round(time.perf_counter() - started, 1)}
    path = write_result("scenes", figures, packages=("torch", "numpy"))
    print(f"{len(held)} held-out descriptions from {', '.join(held_sources)} ({len(kept)} trained on); "
          f"the lexicon knows a word of {lexicon_known}")
    for name, figure in results.items():
        print(f"  {name:12} " + ", ".join(f"{k} {v:.1%}" for k, v in figure.items()))
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
