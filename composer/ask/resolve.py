"""Every musical attribute of a request with where it came from: option > text > inferred > default.

Options are what the caller set (CLI flags, API arguments); text is what the prompt states outright;
inferred comes from mood and scene words or from an image; defaults fill the rest.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from composer.ask.chinese import gloss, glossary
from composer.ask.drum_words import default_style, implied_kit, style_for
from composer.ask.head import (
    DENSITY_ONSETS,
    DYNAMIC_VELOCITY,
    REGISTER_PITCH,
    TEMPO_VALUES,
    Prediction,
)
from composer.ask.mood import (
    Affect,
    MoodAttributes,
    affect_of_text,
    attributes_from_affect,
    band_of_text,
    mood_coverage,
)
from composer.ask.scene_model import blend_mood
from composer.ask.scene_model import predict as read_scene
from composer.ask.scene_model import scene_band as scene_band_of
from composer.ask.scene_model import sure as scene_sure
from composer.ask.style_words import genre_feel, harmony_style, named_style, suggested_style
from composer.ask.text import TextValues, parse_text
from composer.core.errors import ComposerError
from composer.core.instruments import DRUMS
from composer.core.keys import choose_key
from composer.core.theory import MODE_DEGREE, pitch_class

DEFAULTS: dict[str, Any] = {"tempo": 100.0, "meter": "4/4", "bars": 8, "instruments": [0]}
DEFAULT_TONIC = {"major": "C", "minor": "A"}  # when only the mode is known
MAX_SECONDS_BARS = 256


@dataclass
class Value:
    value: Any
    source: str  # "option", "text", "inferred", "image" or "default"
    detail: str = ""  # the words or features behind it

    def as_json(self) -> dict[str, Any]:
        out = {"value": self.value, "source": self.source}
        if self.detail:
            out["from"] = self.detail
        return out


@dataclass
class Resolved:
    """The request, attribute by attribute. `key` is "D minor"; `instruments` GM programs (-1 drums)."""

    values: dict[str, Value] = field(default_factory=dict)
    caption: str = ""  # what conditions the decoder: the prompt, an image's description, or both
    roles: dict[int, str] = field(default_factory=dict)  # a voice's decode program -> its role (composer.plan)
    voices: list[Any] = field(default_factory=list)  # composer.core.voices.Voice per pitched part (composer.plan)
    harmony: Any = None  # composer.plan.harmony.HarmonyPlan when no chords were given (composer.plan)
    names: dict[int, str] = field(default_factory=dict)  # program -> its track name in the person's words

    def __getitem__(self, name: str) -> Any:
        return self.values[name].value if name in self.values else None

    def as_json(self) -> dict[str, Any]:
        return {name: value.as_json() for name, value in self.values.items()}


def resolve(prompt: str | None = None, options: dict[str, Any] | None = None,
            image_affect: Affect | None = None, image_band: list[int] | None = None,
            image_caption: str = "", predict: Callable[[str], Prediction | None] | None = None) -> Resolved:
    """Combine options, the prompt's explicit words, its mood (blended with an image's) and defaults.

    `predict` (the MiniLM mood head) marks a caller that lets MiniLM read the prompt: the scene model
    (composer.ask.scene_model) then reads every prompt, blended with the lexicon as far as its confidence allows;
    the head itself is no longer asked (trained on the corpus's captions, it read every scene as moderato).
    """
    options = {k: v for k, v in (options or {}).items() if v is not None}
    english = gloss(prompt) if prompt else None  # a Chinese prompt's words, in English
    original, prompt = prompt, f"{prompt} {english}" if english else prompt  # the readers read both
    text = parse_text(prompt) if prompt else TextValues()
    text_affect = affect_of_text(prompt) if prompt else None
    affect = _blend(text_affect, image_affect)
    mood = attributes_from_affect(affect) if affect else None
    mood_source = "image" if image_affect and not text_affect else "inferred"
    mood_detail = ", ".join(affect.words) if affect else ""
    scene = read_scene(prompt) if prompt and predict is not None else None
    if scene is not None and (mood is not None or max(map(scene_sure, scene.confidence.values())) > 0):
        coverage = mood_coverage(prompt, text_affect.words) if prompt and text_affect and not image_affect else 1.0
        mood = blend_mood(scene, mood, len(affect.words) if affect else 0, coverage)
        mood_detail = ", ".join(d for d in (mood_detail, f"text model: nearest {scene.nearest[0].text!r}") if d)
    out = Resolved(caption=" ".join(p for p in (prompt or "", image_caption) if p))
    values = out.values
    if english is not None and original:
        values["gloss"] = Value(english, "text", "; ".join(f"{zh} {en}" for zh, en in glossary(original)))
    if scene is not None:
        values["scene"] = Value(scene.nearest[0].scene, "inferred", scene.describe())

    def pick(name: str, from_text: Any, inferred: Any = None, detail: str = "") -> None:
        if name in options:
            values[name] = Value(options[name], "option")
        elif from_text is not None:
            values[name] = Value(from_text, "text", text.matched.get(name, ""))
        elif inferred is not None:
            values[name] = Value(inferred, mood_source, detail or mood_detail)
        elif name in DEFAULTS:
            values[name] = Value(DEFAULTS[name], "default")

    text_key = f"{text.key[2]} {text.key[1]}" if text.key else None
    inferred_key = f"{DEFAULT_TONIC[mood.mode]} {mood.mode}" if mood else None
    pick("key", text_key, inferred_key)
    if "key" not in values:
        values["key"] = Value("C major", "default")
    pick("meter", text.meter)
    pick("tempo", text.tempo, mood.tempo if mood else None)
    # a genre's usual tempo and loudness where neither the words, a mood word, a picture nor an option gave them
    # (the scene model alone reads "punk rock with distorted guitar" as nothing in particular)
    feel = genre_feel(prompt) if text_affect is None and image_affect is None else None
    if feel is not None and values["tempo"].source in ("default", "inferred"):
        values["tempo"] = Value(feel[0], "inferred", f"{feel[2]}: the genre's usual tempo")
    scene_band = band_of_text(prompt or "")
    model_band = scene_band_of(scene) if scene is not None else None
    band = scene_band or image_band or model_band
    explicit_instruments = text.instruments or None
    if explicit_instruments is None and band is not None and text.excluded:
        band = [p for p in band if p not in text.excluded] or None
    band_from = f"scene: {mood_detail}" if scene_band else "picture" if image_band else "scene model"
    pick("instruments", explicit_instruments, band, detail=band_from)
    if values["instruments"].source == "text":
        out.names = dict(text.names)
    if values.get("instruments") and values["instruments"].detail == "picture":
        values["instruments"].source = "image"
    if text.excluded and "instruments" in values and values["instruments"].source != "option":
        kept = [p for p in values["instruments"].value if p not in text.excluded]
        values["instruments"] = Value(kept or [0], values["instruments"].source, values["instruments"].detail)
        values["excluded"] = Value(text.excluded, "text", text.matched.get("instruments", ""))
    _imply_drums(values, prompt, text.excluded)
    pick("chords", text.chords)
    pick("velocity", text.velocity, mood.velocity if mood else None)
    if feel is not None and ("velocity" not in values or values["velocity"].source == "inferred"):
        values["velocity"] = Value(feel[1], "inferred", f"{feel[2]}: the genre's usual loudness")
    if DRUMS in values["instruments"].value:
        implied = style_for(prompt)
        values["drum_style"] = (Value(implied[0], "text", implied[1]) if implied else
                                Value(default_style(float(values["tempo"].value), values["velocity"].value
                                                    if "velocity" in values else None), "default"))
    named = named_style(prompt)
    if named:
        values["style"] = Value(named[0], "text", named[1])
    else:
        drum_style = values["drum_style"].value if "drum_style" in values else None
        style, why = suggested_style(values["meter"].value, float(values["tempo"].value),
                                     values["instruments"].value, drum_style)
        values["style"] = Value(style, "default", why)
    harmony, why = harmony_style(prompt, values["style"].value)
    values["harmony"] = Value(harmony, values["style"].source if why.startswith("the ") else "text", why)
    if values["key"].source not in ("option", "text"):  # a tonic the style and the instruments favour
        mode = values["key"].value.split()[1]
        tonic = choose_key(harmony, mode, values["instruments"].value, prompt or "")
        if harmony == "modal":  # "a dorian tune", "modal": the mode named, else its family's folk mode
            mode = why if why in MODE_DEGREE else ("dorian" if mode == "minor" else "mixolydian")
        detail = "; ".join(d for d in (values["key"].detail, f"{mode} in {harmony}'s keys for these instruments")
                           if d)
        values["key"] = Value(f"{tonic} {mode}", values["key"].source if values["key"].source != "default"
                              else "inferred", detail)
    if mood:
        values["onsets_per_bar"] = Value(mood.onsets_per_bar, mood_source, mood_detail)
        values["centre_pitch"] = Value(mood.centre_pitch, mood_source, mood_detail)
    bars_from_seconds = _bars_for_seconds(text.seconds, values) if text.seconds else None
    pick("bars", text.bars if text.bars is not None else bars_from_seconds)
    if text.seconds and values["bars"].source == "text" and text.bars is None:
        values["bars"].detail = f"{text.matched['seconds']} at {values['tempo'].value:g} bpm"
    return out


def _imply_drums(values: dict[str, Value], prompt: str | None, excluded: list[int]) -> None:
    """Add drums to a band the prompt did not list when its style implies a kit ("a rock song", "techno for a
    chase"). A prompt that lists its instruments gets those ("a jazz ballad for sax, piano and upright bass":
    no drums; "... with drums" lists them), and an option's band or a prompt ruling drums out is kept."""
    implied = implied_kit(prompt)
    chosen = values.get("instruments")
    if implied is None or chosen is None or chosen.source in ("option", "text") or DRUMS in chosen.value \
            or DRUMS in excluded:
        return
    detail = "; ".join(d for d in (chosen.detail, f"drums implied by {implied[1]!r}") if d)
    values["instruments"] = Value([*chosen.value, DRUMS], chosen.source, detail)


def _blend(a: Affect | None, b: Affect | None) -> Affect | None:
    if a is None or b is None:
        return a or b
    return Affect((a.valence + b.valence) / 2, (a.arousal + b.arousal) / 2, a.words + b.words)


def _bars_for_seconds(seconds: float, values: dict[str, Value]) -> int:
    numerator, denominator = (int(x) for x in values["meter"].value.split("/"))
    quarter_notes_per_bar = numerator * 4 / denominator
    bars = round(seconds * float(values["tempo"].value) / 60 / quarter_notes_per_bar)
    if bars > MAX_SECONDS_BARS:
        raise ComposerError(f"{seconds:g} seconds is more than {MAX_SECONDS_BARS} bars at this tempo")
    return max(1, bars)


def key_pitch_class(key: str) -> int:
    return pitch_class(key.split()[0])


def mood_from_prediction(predicted: Prediction) -> MoodAttributes:
    labels = predicted.labels
    return MoodAttributes(mode=labels["mode"], tempo=TEMPO_VALUES[labels["tempo"]],
                          onsets_per_bar=DENSITY_ONSETS[labels["density"]],
                          centre_pitch=REGISTER_PITCH[labels["register"]], velocity=DYNAMIC_VELOCITY[labels["dynamic"]])
