"""Scene model, held out by source: a fifth of the labelled descriptions' sources (composer/ask/data/scenes.jsonl)
kept out, the scene model rebuilt on the rest, and its tempo bin (exact and within one bin), mode, dynamic and
density accuracy on the held-out sources against today's mood head (composer/ask/head.py, trained on corpus
captions) and the lexicon alone (composer/ask/mood.py; a prompt it knows no word of gets the neutral defaults).
Variants of the scene model are scored the same way: the neighbours alone, the neighbours averaged with a linear
classifier (ridge on one-hot labels, ridge regression on the bin index for the ordinal attributes, or softmax
regression) at a fixed share, and at k and share chosen by leave-one-source-out on the training sources only.
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
from composer.ask.mood import Affect, MoodAttributes, affect_of_text, attributes_from_affect, mood_coverage
from composer.ask.scene_model import (
    FULL_CONFIDENCE,
    MIN_CONFIDENCE,
    MIN_SIMILARITY,
    RIDGE,
    K,
    SceneModel,
    blend_mood,
    load_scenes,
    scene_matrix,
)
from composer.decode.controls import TEMPO_BINS

ATTRIBUTES = ("tempo", "mode", "dynamic", "density")
KS = (3, 5, 7, 9, 11, 15, 21)  # the neighbour counts leave-one-source-out chooses from
SHARES = tuple(round(0.1 * step, 1) for step in range(11))  # the linear classifier's shares it chooses from
ORDINAL = {"tempo": TEMPO_BINS, "dynamic": tuple(DYNAMIC_VELOCITY), "density": tuple(DENSITY_ONSETS)}


def nearest_bin(value: float, table: dict[str, float] | dict[str, int]) -> str:
    return min(table, key=lambda name: abs(table[name] - value))


def mood_labels(mood: MoodAttributes) -> dict[str, str]:
    """A reading's values as the labelled set's bins."""
    return {"tempo": nearest_bin(mood.tempo, TEMPO_VALUES), "mode": mood.mode,
            "dynamic": nearest_bin(mood.velocity, DYNAMIC_VELOCITY),
            "density": nearest_bin(mood.onsets_per_bar, DENSITY_ONSETS)}


def lexicon_labels(text: str) -> dict[str, str]:
    return mood_labels(attributes_from_affect(affect_of_text(text) or Affect(0.0, 0.0)))


def accuracy(predicted: list[dict[str, str]], truth: list[dict[str, str]]) -> dict[str, float]:
    out = {name: round(float(np.mean([p[name] == t[name] for p, t in zip(predicted, truth, strict=True)])), 3)
           for name in ATTRIBUTES}
    within = [abs(TEMPO_BINS.index(p["tempo"]) - TEMPO_BINS.index(t["tempo"])) <= 1
              for p, t in zip(predicted, truth, strict=True)]
    return out | {"tempo_within_one_bin": round(float(np.mean(within)), 3)}


def features(matrix: np.ndarray) -> np.ndarray:
    return np.hstack([matrix, np.ones((len(matrix), 1), np.float32)])  # (N, 385): a bias column


class Fitted:
    """The labelled rows, their unit embeddings and each attribute's classes (sorted), for the variants below."""

    def __init__(self, rows: list[dict], matrix: np.ndarray) -> None:
        self.rows, self.matrix = rows, matrix
        self.classes = {name: tuple(sorted({row[name] for row in rows})) for name in ATTRIBUTES}

    def onehot(self, name: str) -> np.ndarray:
        return np.array([[row[name] == label for label in self.classes[name]] for row in self.rows], float)


def neighbour_shares(model: Fitted, test: np.ndarray, k: int) -> dict[str, np.ndarray]:
    """The scene model's similarity-weighted votes of the k nearest, (M, classes) per attribute."""
    similarity = test @ model.matrix.T  # (M, N)
    order = np.argsort(-similarity, axis=1)[:, :k]
    weights = np.clip(np.take_along_axis(similarity, order, 1) - MIN_SIMILARITY, 0, None)  # (M, k)
    weights /= np.maximum(weights.sum(1, keepdims=True), 1e-9)
    return {name: np.einsum("mk,mkc->mc", weights, model.onehot(name)[order]) for name in ATTRIBUTES}


def ridge_shares(model: Fitted, test: np.ndarray) -> dict[str, np.ndarray]:
    """Ridge (RIDGE) on one-hot labels, clipped at 0 and normalised, (M, classes) per attribute."""
    train, out = features(model.matrix), {}
    for name in ATTRIBUTES:
        weights = np.linalg.solve(train.T @ train + RIDGE * np.eye(train.shape[1]), train.T @ model.onehot(name))
        score = np.clip(features(test) @ weights, 0, None) + 1e-9
        out[name] = score / score.sum(1, keepdims=True)
    return out


def ordinal_shares(model: Fitted, test: np.ndarray) -> dict[str, np.ndarray]:
    """Ridge regression on the bin index, the prediction split between the two nearest bins; the mode (not
    ordinal) keeps the one-hot ridge classifier's shares. (M, classes) each, in model.classes order."""
    train = features(model.matrix)
    out = {"mode": ridge_shares(model, test)["mode"]}
    for name, bins in ORDINAL.items():
        index = np.array([bins.index(row[name]) for row in model.rows], np.float64)
        weights = np.linalg.solve(train.T @ train + np.eye(train.shape[1]), train.T @ index)
        guess = np.clip(features(test) @ weights, 0, len(bins) - 1)  # (M,)
        near = np.clip(1 - np.abs(guess[:, None] - np.arange(len(bins))[None]), 0, None)  # (M, bins)
        out[name] = near[:, [bins.index(label) for label in model.classes[name]]]
    return out


def softmax_shares(model: Fitted, test: np.ndarray, steps: int = 300) -> dict[str, np.ndarray]:
    """Softmax regression (L2 1.0, full-batch gradient descent) per attribute, in model.classes order."""
    train, out = features(model.matrix), {}
    for name in ATTRIBUTES:
        target = np.array([[row[name] == label for label in model.classes[name]] for row in model.rows], float)
        weights = np.zeros((train.shape[1], target.shape[1]))
        for _ in range(steps):
            logits = train @ weights
            prob = np.exp(logits - logits.max(1, keepdims=True))
            weights -= 5.0 * (train.T @ (prob / prob.sum(1, keepdims=True) - target) + weights) / len(train)
        logits = features(test) @ weights
        prob = np.exp(logits - logits.max(1, keepdims=True))
        out[name] = prob / prob.sum(1, keepdims=True)
    return out


def shares_of(rows: list[dict], matrix: np.ndarray, test: np.ndarray) -> dict[str, dict]:
    """Trained on rows: for each k the neighbours' vote shares, and each linear classifier's, per attribute."""
    model = Fitted(rows, matrix)
    neighbours = {k: neighbour_shares(model, test, k) for k in KS}
    linear = {"ridge": ridge_shares(model, test),
              "ordinal": ordinal_shares(model, test), "softmax": softmax_shares(model, test)}
    return {"neighbours": neighbours, "linear": linear, "classes": model.classes}


def labels_of(shares: dict, linear: str, k: dict[str, int], share: dict[str, float]) -> list[dict[str, str]]:
    columns = {name: (1 - share[name]) * shares["neighbours"][k[name]][name] + share[name] *
               shares["linear"][linear][name] for name in ATTRIBUTES}
    count = len(columns["mode"])
    return [{name: shares["classes"][name][int(np.argmax(columns[name][i]))] for name in ATTRIBUTES}
            for i in range(count)]


def cross_validate(rows: list[dict], matrix: np.ndarray, linear: str) -> dict[str, np.ndarray]:
    """Leave one source out over these rows: per attribute, the accuracy at each (k, share), (KS, SHARES)."""
    correct = {name: np.zeros((len(KS), len(SHARES))) for name in ATTRIBUTES}
    for source in sorted({row["source"] for row in rows}):
        fit = [i for i, row in enumerate(rows) if row["source"] != source]
        test = [i for i, row in enumerate(rows) if row["source"] == source]
        shares = shares_of([rows[i] for i in fit], matrix[fit], matrix[test])
        for name in ATTRIBUTES:
            for a, k in enumerate(KS):
                for b, share in enumerate(SHARES):
                    guess = labels_of(shares, linear, dict.fromkeys(ATTRIBUTES, k), dict.fromkeys(ATTRIBUTES, share))
                    correct[name][a, b] += sum(g[name] == rows[i][name] for g, i in zip(guess, test, strict=True))
    return {name: table / len(rows) for name, table in correct.items()}


def variants(rows: list[dict], matrix: np.ndarray, held: list[int], kept: list[int]) -> dict[str, dict]:
    """Each scene-model variant's held-out accuracy, with the k and share it used (and how they were chosen)."""
    train_rows = [rows[i] for i in kept]
    shares = shares_of(train_rows, matrix[kept], matrix[held])
    truth = [{name: rows[i][name] for name in ATTRIBUTES} for i in held]
    fixed = dict.fromkeys(ATTRIBUTES, K)
    chosen: dict[str, tuple[str, dict[str, int], dict[str, float], str]] = {
        "neighbours_only": ("ridge", fixed, dict.fromkeys(ATTRIBUTES, 0.0), "fixed"),
        "neighbours_mode_ridge_half": ("ridge", fixed, dict.fromkeys(ATTRIBUTES, 0.0) | {"mode": 0.5}, "fixed"),
    }
    for linear in ("ridge", "ordinal", "softmax"):
        chosen[f"{linear}_all_half"] = (linear, fixed, dict.fromkeys(ATTRIBUTES, 0.5), "fixed")
        table = cross_validate(train_rows, matrix[kept], linear)
        mean = np.mean([table[name] for name in ATTRIBUTES], axis=0)  # (KS, SHARES)
        a, b = np.unravel_index(int(np.argmax(mean)), mean.shape)
        chosen[f"{linear}_all_cv_shared"] = (linear, dict.fromkeys(ATTRIBUTES, KS[a]),
                                             dict.fromkeys(ATTRIBUTES, SHARES[b]), "leave-one-source-out")
        best = {name: np.unravel_index(int(np.argmax(table[name])), table[name].shape) for name in ATTRIBUTES}
        chosen[f"{linear}_all_cv_per_attribute"] = (linear, {n: KS[a] for n, (a, _) in best.items()},
                                                    {n: SHARES[b] for n, (_, b) in best.items()},
                                                    "leave-one-source-out")
    out = {}
    for name, (linear, k, share, how) in chosen.items():
        figures = accuracy(labels_of(shares, linear, k, share), truth)
        mean = round(float(np.mean([figures[n] for n in ATTRIBUTES])), 3)
        out[name] = {"linear": linear, "k": k, "linear_share": share, "chosen_by": how,
                     "accuracy": figures | {"mean_of_four": mean}}
    return out


# (MIN_CONFIDENCE, FULL_CONFIDENCE) pairs leave-one-source-out chooses from; none starts under 0.1, where
# unrelated text ("xyzzy plugh", 0.08-0.10) would move the defaults
GATES = tuple((low, full) for low in (0.1, 0.15, 0.2) for full in (0.15, 0.2, 0.3, 0.4, 0.5) if full > low)


def blend_labels(model: SceneModel, rows: tuple[dict, ...], matrix: np.ndarray, indices: list[int],
                 gate: tuple[float, float], by_coverage: bool = True) -> list[dict[str, str]]:
    """What resolve() does with each description: the lexicon's reading moved toward the scene model's
    (blend_mood) as far as `gate` lets its confidence, the mode chosen by the lexicon's coverage of the
    description's words (`by_coverage`) or by the lexicon whenever it knows a word."""
    labels = []
    for i in indices:
        text = rows[i]["text"]
        affect = affect_of_text(text)
        lexicon = attributes_from_affect(affect) if affect else None
        coverage = mood_coverage(text, affect.words) if affect and by_coverage else 1.0
        mood = blend_mood(model.predict(matrix[i]), lexicon, len(affect.words) if affect else 0, coverage, gate)
        labels.append(mood_labels(mood))
    return labels


def mean_of_four(figure: dict[str, float]) -> float:
    return float(np.mean([figure[name] for name in ATTRIBUTES]))


def choose_gate(rows: tuple[dict, ...], matrix: np.ndarray, kept: list[int]) -> tuple[float, float]:
    """The confidence gate (MIN_CONFIDENCE, FULL_CONFIDENCE) whose blend is best on average when each training
    source in turn is predicted by a scene model fitted on the others (the held-out sources take no part)."""
    scores = {gate: [] for gate in GATES}
    for source in sorted({rows[i]["source"] for i in kept}):
        test = [i for i in kept if rows[i]["source"] == source]
        train = [i for i in kept if rows[i]["source"] != source]
        fold = SceneModel([rows[i] for i in train], matrix[train])
        truth = [{name: rows[i][name] for name in ATTRIBUTES} for i in test]
        for gate in GATES:
            scores[gate].append(mean_of_four(accuracy(blend_labels(fold, rows, matrix, test, gate), truth)))
    return max(GATES, key=lambda gate: float(np.mean(scores[gate])))


def blended(model: SceneModel, rows: tuple[dict, ...], matrix: np.ndarray, held: list[int], kept: list[int],
            truth: list[dict[str, str]]) -> dict[str, dict[str, float]]:
    """The whole reading on the held-out sources: shipped (coverage decides the mode, the shipped gate), the
    lexicon choosing the mode whenever it knows a word, and the gate chosen by leave-one-source-out."""
    shipped = (MIN_CONFIDENCE, FULL_CONFIDENCE)
    chosen = choose_gate(rows, matrix, kept)
    return {"blend": accuracy(blend_labels(model, rows, matrix, held, shipped), truth),
            "blend_lexicon_mode": accuracy(blend_labels(model, rows, matrix, held, shipped, False), truth),
            f"blend_gate_{chosen[0]}_{chosen[1]}": accuracy(blend_labels(model, rows, matrix, held, chosen), truth),
            "blend_gate_0.2_0.5_before": accuracy(blend_labels(model, rows, matrix, held, (0.2, 0.5), False), truth)}


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
    results |= blended(model, rows, matrix, held, kept, truth)
    head = load_head()
    if head is not None:
        results["mood_head"] = accuracy([head.predict(matrix[i]).labels for i in held], truth)
    scene_variants = variants(list(rows), matrix, held, kept)
    lexicon_known = sum(affect_of_text(rows[i]["text"]) is not None for i in held)
    figures = {"descriptions": len(rows), "sources": len(sources), "held_out_sources": held_sources,
               "held_out_descriptions": len(held), "trained_on": len(kept),
               "held_out_lexicon_knows_a_word": lexicon_known, "accuracy": results,
               "shipped": "neighbours_mode_ridge_half", "scene_model_variants": scene_variants,
               "seconds": round(time.perf_counter() - started, 1)}
    path = write_result("scenes", figures, packages=("torch", "numpy"))
    print(f"{len(held)} held-out descriptions from {', '.join(held_sources)} ({len(kept)} trained on); "
          f"the lexicon knows a word of {lexicon_known}")
    for name, figure in results.items():
        print(f"  {name:12} " + ", ".join(f"{k} {v:.1%}" for k, v in figure.items()))
    print("scene model variants (held out):")
    for name, variant in scene_variants.items():
        print(f"  {name:34} " + ", ".join(f"{k} {v:.1%}" for k, v in variant["accuracy"].items()) +
              f"  (k {variant['k']}, share {variant['linear_share']})")
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
