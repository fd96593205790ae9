"""Scene and mood descriptions -> musical attributes by meaning: the nearest labelled descriptions (MiniLM)."""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from composer.ask.head import DENSITY_ONSETS, DYNAMIC_VELOCITY, REGISTER_PITCH, TEMPO_VALUES
from composer.ask.mood import Affect as MoodAffect
from composer.ask.mood import MoodAttributes, attributes_from_affect
from composer.core.instruments import DRUMS

DATA = Path(__file__).resolve().parent / "data"
SCENES = DATA / "scenes.jsonl"  # one labelled description a line (see data/README.md)
CACHE = DATA / "scenes_embeddings.safetensors"  # their embeddings, keyed by a digest of the texts
LABELS = ("tempo", "mode", "dynamic", "density", "register", "band")
# a band name in the data -> the GM programs that play it when the prompt names none (-1 drums)
BANDS: dict[str, list[int]] = {
    "piano": [0], "piano and strings": [0, 48], "piano and pad": [0, 89], "cello and piano": [42, 0],
    "music box": [10, 46], "woodwinds": [73, 46, 48], "strings and harp": [48, 46, 73], "pad": [89, 88, 46],
    "low strings": [48, 42, 47], "low winds": [42, 32, 71], "horror": [48, 19], "action": [48, 47, DRUMS],
    "battle": [48, 60, 47, DRUMS], "storm": [48, 60, 47], "rock": [30, 33, DRUMS], "brass": [56, 60, 48, 47],
    "heroic": [48, 60, 56, 47], "dance": [0, 33, DRUMS], "party": [81, 38, DRUMS], "whimsy": [71, 0],
    "jazz": [0, 32, DRUMS, 65], "folk": [40, 73, 24], "guitar": [24, 73, 33],
    "big band": [56, 57, 65, 32, DRUMS],  # trumpet, trombone, alto sax, bass, drums: loud busy crowds
}
K = 7  # neighbours that vote
MODES = ("major", "minor")
RIDGE = 1.0  # the mode classifier's L2 penalty (held out by source: 0.3-3 within a point)
MIN_SIMILARITY = 0.25  # a neighbour less similar than this is no evidence at all
# the neighbours' mean similarity -> how relevant they are, 0..1: text unlike any scene ("a piece", "C major 4/4
# piano", "xyzzy") scores 0.22-0.36, scenes 0.39-0.55
RELEVANT = (0.30, 0.42)
# A reading moves nothing up to MIN_CONFIDENCE and the defaults all the way to its value from FULL_CONFIDENCE.
# Chosen by leave-one-source-out over the training sources for the whole reading, lexicon and scene model
# together (benchmarks/scenes.py), among gates that start at 0.1 or more: unrelated text ("xyzzy plugh") reads
# at 0.08-0.10 and must move nothing. The old (0.2, 0.5) left low-confidence readings near the defaults, and
# the blend fell below the scene model alone (held out: tempo 36% against 58%).
MIN_CONFIDENCE = 0.1
FULL_CONFIDENCE = 0.15
LEXICON_SHARE = 0.7  # where the lexicon knows one word, the scene model moves its values at most this far (n: /√n)
MODE_COVERAGE = 0.5  # the lexicon's words choose the mode where they are at least half the prompt's content words
BAND_CONFIDENCE = 0.45  # the least band confidence for the scene model to choose the instruments


@dataclass(frozen=True)
class Neighbour:
    text: str
    similarity: float
    scene: str  # the description's label group, e.g. "calm" or "chase"


@dataclass(frozen=True)
class ScenePrediction:
    labels: dict[str, str]  # attribute -> bin (the head's bins; "band" a BANDS name)
    confidence: dict[str, float]  # attribute -> winning vote share x the neighbours' relevance (RELEVANT)
    valence: float
    arousal: float
    nearest: tuple[Neighbour, ...]  # most similar first

    def describe(self, shown: int = 3) -> str:
        near = "; ".join(f"{n.text!r} {n.similarity:.2f}" for n in self.nearest[:shown])
        labels = ", ".join(f"{self.labels[k]} {self.confidence[k]:.0%}" for k in LABELS if k != "band")
        return f"scene model: {labels}; nearest {near}"


@functools.cache
def load_scenes(path: Path = SCENES) -> tuple[dict[str, Any], ...]:
    """The labelled descriptions, each checked against the head's bins and BANDS."""
    rows = tuple(json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip())
    allowed: dict[str, Any] = {"tempo": TEMPO_VALUES, "dynamic": DYNAMIC_VELOCITY, "density": DENSITY_ONSETS,
               "register": REGISTER_PITCH, "mode": ("major", "minor"), "band": BANDS}
    for number, row in enumerate(rows, 1):
        for name, values in allowed.items():
            if row.get(name) not in values:
                raise ValueError(f"{path.name} line {number}: {name} {row.get(name)!r} is not one of {list(values)}")
    return rows


def _digest(texts: list[str]) -> str:
    return hashlib.sha256("\n".join(texts).encode()).hexdigest()[:16]


@functools.cache
def scene_matrix(path: Path = SCENES, cache: Path = CACHE) -> np.ndarray:
    """(N, 384) unit embeddings of the descriptions: read from the cache, re-embedded when the texts changed."""
    from safetensors import safe_open
    from safetensors.numpy import load_file, save_file

    texts = [row["text"] for row in load_scenes(path)]
    digest = _digest(texts)
    if cache.exists():
        with safe_open(str(cache), "np") as handle:
            if (handle.metadata() or {}).get("digest") == digest:
                return load_file(str(cache))["embeddings"].astype(np.float32)
    from composer.ask.text_encoder import embed_texts

    matrix = embed_texts(texts)
    with contextlib.suppress(OSError):  # an installed, read-only package: use this run's embeddings
        save_file({"embeddings": matrix.astype(np.float16)}, str(cache), {"digest": digest})  # half: 0.5 MB
    return matrix


class SceneModel:
    """Similarity-weighted votes of the K nearest labelled descriptions, per attribute; for the mode, averaged with
    a ridge classifier on the whole set (the neighbours share a topic, "procession", where the mode follows the
    valence words, "sorrowful")."""

    def __init__(self, rows: list[dict[str, Any]] | tuple[dict[str, Any], ...], matrix: np.ndarray) -> None:
        if len(rows) != len(matrix) or not rows:
            raise ValueError(f"{len(rows)} descriptions for {len(matrix)} embeddings")
        self.rows, self.matrix = list(rows), np.asarray(matrix, dtype=np.float32)
        features = np.hstack([self.matrix, np.ones((len(rows), 1), np.float32)])  # (N, 385): a bias column
        targets = np.array([[row["mode"] == mode for mode in MODES] for row in rows], np.float32)  # (N, 2)
        self.mode_weights = np.linalg.solve(features.T @ features + RIDGE * np.eye(features.shape[1]),
                                            features.T @ targets)  # (385, 2)

    def predict(self, embedding: np.ndarray) -> ScenePrediction:
        similarity = self.matrix @ np.asarray(embedding, dtype=np.float32)  # (N,) cosine: rows are unit vectors
        order = np.argsort(-similarity)[:K]
        weights = np.clip(similarity[order] - MIN_SIMILARITY, 0.0, None)
        total = float(weights.sum())
        low, high = RELEVANT
        relevance = float(np.clip((similarity[order].mean() - low) / (high - low), 0.0, 1.0))
        labels, confidence = {}, {}
        for name in LABELS:
            votes: dict[str, float] = {}
            for row, weight in zip(order, weights, strict=True):
                votes[self.rows[row][name]] = votes.get(self.rows[row][name], 0.0) + float(weight) / max(total, 1e-9)
            if name == "mode":
                ridge = np.append(np.asarray(embedding, dtype=np.float32), 1.0) @ self.mode_weights
                votes = {mode: (votes.get(mode, 0.0) + float(np.clip(ridge[i], 0, 1))) / 2
                         for i, mode in enumerate(MODES)}
            best = max(votes, key=lambda label: votes[label])
            labels[name] = best
            confidence[name] = round(votes[best] * relevance, 3) if total > 0 else 0.0
        share = weights / total if total > 0 else np.zeros(len(order))
        valence = float(sum(s * self.rows[r]["valence"] for r, s in zip(order, share, strict=True)))
        arousal = float(sum(s * self.rows[r]["arousal"] for r, s in zip(order, share, strict=True)))
        nearest = tuple(Neighbour(self.rows[r]["text"], round(float(similarity[r]), 3), self.rows[r]["scene"])
                        for r in order)
        return ScenePrediction(labels, confidence, round(valence, 3), round(arousal, 3), nearest)


@functools.cache
def shipped_model() -> SceneModel:
    return SceneModel(load_scenes(), scene_matrix())


def predict(prompt: str) -> ScenePrediction:
    """The scene model's reading of a prompt (loads the MiniLM encoder on first use)."""
    from composer.ask.text_encoder import prompt_embedding

    return shipped_model().predict(prompt_embedding(prompt))


def scene_band(prediction: ScenePrediction) -> list[int] | None:
    """The band its neighbours agree on, or None when they do not agree enough."""
    return BANDS[prediction.labels["band"]] if prediction.confidence["band"] >= BAND_CONFIDENCE else None


def sure(confidence: float, gate: tuple[float, float] = (MIN_CONFIDENCE, FULL_CONFIDENCE)) -> float:
    """How far a reading of this confidence may move a value: 0 up to MIN_CONFIDENCE, 1 from FULL_CONFIDENCE
    (`gate`: another pair, for the benchmark that chooses them)."""
    low, full = gate
    return float(np.clip((confidence - low) / (full - low), 0.0, 1.0))


def blend_mood(prediction: ScenePrediction, lexicon: MoodAttributes | None, words: int = 1,
               coverage: float = 1.0, gate: tuple[float, float] = (MIN_CONFIDENCE, FULL_CONFIDENCE)) -> MoodAttributes:
    """Move the lexicon's values (from `words` mood words; where it knew none, the neutral defaults) toward the
    scene model's, each as far as its confidence allows: all the way from FULL_CONFIDENCE where the lexicon knew
    no word, at most LEXICON_SHARE / √words where it did. The mode is the lexicon's where its words are at
    least MODE_COVERAGE of the prompt's content words (`coverage`, composer.ask.mood.mood_coverage), else the
    scene model's where it is at least half sure: one incidental "dawn" does not make a trench scene major."""
    base = lexicon or attributes_from_affect(MoodAffect(0.0, 0.0))
    cap = LEXICON_SHARE / max(1, words) ** 0.5 if lexicon is not None else 1.0
    labels, confidence = prediction.labels, prediction.confidence

    def toward(value: float, target: float, name: str) -> float:
        return value + min(cap, sure(confidence[name], gate)) * (target - value)

    # the lexicon's valence words choose the mode where they cover the prompt; else a reading half sure of it
    lexicon_decides = lexicon is not None and coverage >= MODE_COVERAGE
    mode = labels["mode"] if not lexicon_decides and sure(confidence["mode"], gate) >= 0.5 else base.mode
    return MoodAttributes(
        mode=mode,
        tempo=round(toward(base.tempo, TEMPO_VALUES[labels["tempo"]], "tempo")),
        onsets_per_bar=round(toward(base.onsets_per_bar, DENSITY_ONSETS[labels["density"]], "density"), 1),
        centre_pitch=round(toward(base.centre_pitch, REGISTER_PITCH[labels["register"]], "register")),
        velocity=round(toward(base.velocity, DYNAMIC_VELOCITY[labels["dynamic"]], "dynamic")),
    )
