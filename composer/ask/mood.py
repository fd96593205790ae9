"""Implicit values: mood and scene words -> valence and arousal -> mode, tempo, density, register,
dynamics and a default band.

Valence and arousal are in [-1, 1] (Russell's circumplex). The lexicon gives words and scenes their
coordinates; several words average. `attributes_from_affect` is the one mapping from affect to music,
shared by text and images.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from composer.core.instruments import DRUMS, INSTRUMENT_PROGRAMS

# word or scene -> (valence, arousal)
AFFECT: dict[str, tuple[float, float]] = {
    # calm and positive
    "calm": (0.4, -0.7), "peaceful": (0.6, -0.7), "serene": (0.6, -0.7), "gentle": (0.5, -0.5),
    "relaxing": (0.5, -0.7), "tranquil": (0.6, -0.8), "lullaby": (0.5, -0.9), "sleepy": (0.3, -0.9),
    "dreamy": (0.4, -0.5), "tender": (0.5, -0.5), "warm": (0.6, -0.2), "cozy": (0.6, -0.5), "dawn": (0.5, -0.3),
    "sunrise": (0.6, -0.1), "forest": (0.3, -0.4), "meadow": (0.6, -0.4), "pastoral": (0.6, -0.4),
    "nostalgic": (0.1, -0.4), "hopeful": (0.6, 0.1), "romantic": (0.6, -0.2), "love": (0.7, -0.1),
    "sunday": (0.3, -0.5), "afternoon": (0.3, -0.3), "ballad": (0.2, -0.5), "reflective": (0.1, -0.5),
    # energetic and positive
    "happy": (0.8, 0.5), "joyful": (0.9, 0.6), "cheerful": (0.8, 0.5), "playful": (0.7, 0.5),
    "bright": (0.7, 0.4), "lively": (0.7, 0.6), "upbeat": (0.7, 0.6), "festive": (0.8, 0.7),
    "celebration": (0.9, 0.7), "wedding": (0.8, 0.5), "dancing": (0.7, 0.7), "dance": (0.6, 0.6),
    "party": (0.8, 0.8), "victory": (0.9, 0.7), "victorious": (0.9, 0.7), "triumphant": (0.9, 0.7),
    "heroic": (0.7, 0.7), "majestic": (0.6, 0.3), "epic": (0.4, 0.8), "adventure": (0.5, 0.6),
    "fair": (0.7, 0.6), "tavern": (0.6, 0.5), "reel": (0.6, 0.7), "jig": (0.6, 0.7), "returning": (0.5, 0.2),
    "home": (0.6, -0.2), "march": (0.4, 0.6), "fanfare": (0.8, 0.7), "sunny": (0.8, 0.4), "summer": (0.7, 0.4),
    # tense and negative
    "dark": (-0.6, 0.1), "dungeon": (-0.6, 0.2), "lurking": (-0.6, 0.3), "haunted": (-0.7, 0.3),
    "horror": (-0.8, 0.5), "scary": (-0.7, 0.5), "creepy": (-0.7, 0.2), "ominous": (-0.6, 0.2),
    "sinister": (-0.7, 0.3), "mysterious": (-0.3, -0.1), "mystery": (-0.3, -0.1), "suspense": (-0.4, 0.5),
    "tense": (-0.5, 0.6), "battle": (-0.4, 0.9), "boss": (-0.5, 0.9), "fight": (-0.4, 0.9), "war": (-0.6, 0.8),
    "chase": (-0.3, 0.9), "escape": (-0.4, 0.9), "frantic": (-0.5, 0.95), "collapsing": (-0.6, 0.8),
    "danger": (-0.6, 0.7), "angry": (-0.8, 0.8), "storm": (-0.5, 0.8), "urgent": (-0.4, 0.8),
    # sad and low
    "sad": (-0.7, -0.5), "grief": (-0.9, -0.5), "mourning": (-0.8, -0.6), "lonely": (-0.7, -0.5),
    "melancholy": (-0.6, -0.4), "melancholic": (-0.6, -0.4), "sorrow": (-0.8, -0.5), "graveside": (-0.8, -0.6),
    "funeral": (-0.8, -0.6), "rainy": (-0.3, -0.5), "rain": (-0.3, -0.4), "night": (-0.2, -0.4),
    "winter": (-0.2, -0.4), "cold": (-0.4, -0.3), "empty": (-0.5, -0.6), "lament": (-0.8, -0.5),
    "space": (-0.1, -0.2), "vast": (0.0, -0.3), "ambient": (0.1, -0.6), "underwater": (0.0, -0.5),
}
# scene words -> the band that plays them when the prompt names none (GM programs, -1 drums)
SCENE_BANDS: dict[str, list[int]] = {
    "battle": [48, 60, 47, DRUMS], "boss": [48, 60, 47, DRUMS], "war": [48, 60, 47, DRUMS],
    "epic": [48, 60, 47, DRUMS], "heroic": [48, 60, 56], "triumphant": [56, 60, 48, 47], "army": [56, 60, 48, 47],
    "victory": [56, 60, 48, 47], "fanfare": [56, 57, 60], "lullaby": [10, 46], "music box": [10],
    "haunted": [19, 48], "horror": [48, 19], "dungeon": [48, 42, 47], "creepy": [8, 48],
    "tavern": [21, 40, 24], "medieval": [74, 40, 24], "minstrels": [74, 40, 24], "reel": [40, 73, 24],
    "jig": [40, 73, 24], "scottish": [40, 109], "irish": [40, 78, 24], "fair": [40, 73, 24],
    "wedding": [48, 0, 73], "dance": [0, 33, DRUMS], "party": [81, 38, DRUMS], "space": [89, 88, 81],
    "sci-fi": [89, 81, 38], "synthwave": [81, 89, 38, DRUMS], "8-bit": [80, 81], "chiptune": [80, 81],
    "rainy": [0, 89], "rain": [0, 89], "night": [0, 48], "forest": [73, 46, 48], "dawn": [73, 48, 46],
    "escape": [48, 47, DRUMS], "chase": [48, 47, DRUMS], "frantic": [48, 47, DRUMS], "grief": [42, 0],
    "graveside": [42, 48], "funeral": [19, 48], "jazz": [0, 32, DRUMS, 65], "rock": [30, 33, DRUMS],
    "chorale": [52], "church": [19, 52], "underwater": [89, 11, 46], "ocean": [89, 46, 48],
}
STYLE_METERS = {"waltz": "3/4", "jig": "6/8", "reel": "4/4", "march": "4/4"}


@dataclass(frozen=True)
class Affect:
    valence: float
    arousal: float
    words: tuple[str, ...] = ()


def affect_of_text(prompt: str) -> Affect | None:
    """The mean (valence, arousal) of the lexicon words in `prompt`, or None when there are none."""
    lowered = prompt.lower()
    hits = [(word, va) for word, va in AFFECT.items() if re.search(rf"(?<![a-z]){re.escape(word)}(?![a-z])", lowered)]
    if not hits:
        return None
    valence = sum(va[0] for _, va in hits) / len(hits)
    arousal = sum(va[1] for _, va in hits) / len(hits)
    return Affect(valence, arousal, tuple(word for word, _ in hits))


# Words that say nothing of a mood: how much of a prompt's own words the lexicon knows is counted without them.
_STOPWORD_TEXT = """
a an the and or but nor so yet for of in on at to from by with without into onto over under through across
along around behind before after during while as than then that this these those there here where when who
whom whose which what why how is are was were be been being am has have had do does did will would shall
should can could may might must not no never very too just only also even all any some each every both
its it's his her hers their theirs our ours your yours my mine me you him them us we they she he one
two three out off up down about again once last next still now other another such own same more most
piece song music tune theme track melody score sound sounds soundtrack cue loop bars bar bpm key major minor
"""
STOPWORDS = frozenset(_STOPWORD_TEXT.split())
INSTRUMENT_WORDS = frozenset(word for name in INSTRUMENT_PROGRAMS for word in name.split())  # "lead", "synth", ...


def mood_coverage(prompt: str, words: tuple[str, ...]) -> float:
    """The share of the prompt's content words (three letters or more, not STOPWORDS, not instrument names)
    that are lexicon `words`: 1.0 for "sad slow waltz", 1/6 for "soldiers dig trenches in the freezing mud
    before dawn", where one incidental word is all the lexicon knows."""
    content = [w for w in re.findall(r"[a-z][a-z'-]{2,}", prompt.lower()) if w not in STOPWORDS
               and (w in AFFECT or (w not in INSTRUMENT_WORDS and w.rstrip("s") not in INSTRUMENT_WORDS))]
    known = sum(1 for w in content if w in words)
    return min(1.0, known / len(content)) if content else 1.0


def band_of_text(prompt: str) -> list[int] | None:
    lowered = prompt.lower()
    for scene, band in SCENE_BANDS.items():
        if re.search(rf"(?<![a-z]){re.escape(scene)}(?![a-z])", lowered):
            return band
    return None


@dataclass(frozen=True)
class MoodAttributes:
    mode: str
    tempo: float
    onsets_per_bar: float
    centre_pitch: int
    velocity: int


def attributes_from_affect(affect: Affect) -> MoodAttributes:
    """Major when pleasant, minor when not; faster, busier, louder and a little higher as arousal rises."""
    v, a = max(-1.0, min(1.0, affect.valence)), max(-1.0, min(1.0, affect.arousal))
    return MoodAttributes(
        mode="major" if v >= 0 else "minor",
        tempo=round(98 + 52 * a + 8 * v),  # ~46 bpm (a = -1) .. ~158 (a = 1)
        onsets_per_bar=round(max(1.0, 5 + 5.5 * a), 1),  # 1 .. 10.5 onsets a bar
        centre_pitch=round(64 + 6 * v + 4 * a),
        velocity=round(82 + 32 * a),  # 50 .. 114
    )
