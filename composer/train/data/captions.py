"""Varied English captions synthesized from a piece's attributes, for training the text conditioning."""

from __future__ import annotations

import random
from collections.abc import Mapping
from typing import Any

from composer.core.gm import program_name
from composer.decode.controls import DYNAMIC_BINS, DYNAMIC_EDGES, TEMPO_BINS, TEMPO_EDGES, bin_of

COMMON_NAMES = {
    0: "piano", 1: "piano", 4: "electric piano", 6: "harpsichord", 8: "celesta", 11: "vibraphone", 12: "marimba",
    19: "organ", 21: "accordion", 24: "nylon guitar", 25: "acoustic guitar", 33: "bass", 38: "synth bass",
    40: "violin", 41: "viola", 42: "cello", 43: "double bass", 46: "harp", 48: "strings", 52: "choir",
    56: "trumpet", 57: "trombone", 58: "tuba", 60: "french horn", 65: "alto sax", 66: "tenor sax",
    67: "baritone sax", 68: "oboe", 70: "bassoon", 71: "clarinet", 73: "flute", 74: "recorder", 75: "pan flute",
    78: "tin whistle", 80: "square lead", 81: "saw lead", 89: "warm pad", 109: "bagpipes", 110: "fiddle",
}
STYLE_NOUNS = {
    "chorale": ["chorale", "hymn", "four-part chorale", "Bach-style chorale"],
    "renaissance": ["Renaissance motet", "polyphonic mass movement", "Renaissance polyphony"],
    "madrigal": ["madrigal", "Renaissance madrigal", "vocal polyphony"],
    "medieval": ["medieval piece", "Ars Nova song", "early music piece"],
    "folksong": ["folk song", "traditional song", "folk melody"],
    "reel": ["reel", "Irish reel", "fast fiddle reel"], "jig": ["jig", "Irish jig", "double jig"],
    "slipjig": ["slip jig"], "slide": ["slide"], "hornpipe": ["hornpipe"], "strathspey": ["strathspey"],
    "polka": ["polka"], "march": ["march"], "waltz": ["waltz"], "air": ["slow air", "air", "lament"],
    "irish": ["Irish tune", "Celtic tune", "traditional Irish melody"],
    "scottish": ["Scottish tune", "Scottish air", "Celtic melody"],
    "classical": ["classical piece", "classical-era movement"], "baroque": ["Baroque piece"],
    "romantic": ["Romantic piece", "romantic-era piece"], "ragtime": ["ragtime", "rag"],
    "song": ["song", "ballad"], "modern": ["modern piece", "atonal piece"], "user": ["piece", "tune"],
}
MOODS = {
    ("major", True): ["joyful", "lively", "bright", "upbeat", "cheerful", "festive", "playful"],
    ("major", False): ["peaceful", "calm", "gentle", "tender", "serene", "warm", "pastoral"],
    ("minor", True): ["urgent", "driving", "dark", "tense", "restless", "fierce", "stormy"],
    ("minor", False): ["sad", "melancholic", "mournful", "somber", "wistful", "haunting", "lonely"],
}
TEMPO_WORDS = {"grave": "very slow", "slow": "slow", "andante": "walking pace", "moderato": "moderate tempo",
               "allegro": "fast", "fast": "quick", "presto": "very fast"}
DYNAMIC_WORDS = {"pp": ["very soft", "hushed"], "p": ["soft", "quiet"], "mf": ["", ""],
                 "f": ["loud", "strong"], "ff": ["very loud", "powerful"]}


def instrument_phrase(programs: list[int], rng: random.Random) -> str:
    names = list(dict.fromkeys(
        "drums" if p < 0 else COMMON_NAMES.get(p, program_name(p).lower()) for p in programs))
    if len(names) == 1:
        return rng.choice([f"solo {names[0]}", names[0], f"a {names[0]}"])
    return ", ".join(names[:-1]) + " and " + names[-1]


def caption(attributes: Mapping[str, Any], rng: random.Random) -> str:
    """One caption: a random template, with each detail kept or left out at random."""
    tonic, mode = attributes["key"].split()
    tempo_bin = bin_of(attributes["tempo_bpm"], TEMPO_EDGES, TEMPO_BINS)
    fast = tempo_bin in ("allegro", "fast", "presto") or attributes["notes_per_bar"] >= 16
    mood = rng.choice(MOODS[(mode, fast)])
    noun = rng.choice(STYLE_NOUNS.get(attributes["style"], ["piece"]))
    instruments = instrument_phrase(list(attributes["programs"]), rng)
    dynamic = rng.choice(DYNAMIC_WORDS[bin_of(attributes["mean_velocity"], DYNAMIC_EDGES, DYNAMIC_BINS)])
    details = []
    if rng.random() < 0.6:
        details.append(rng.choice([f"in {tonic} {mode}", f"in the key of {tonic} {mode}", f"{tonic} {mode}"]))
    if rng.random() < 0.5:
        details.append(rng.choice([f"{round(attributes['tempo_bpm'])} bpm", f"at {round(attributes['tempo_bpm'])} BPM",
                                   TEMPO_WORDS[tempo_bin]]))
    if rng.random() < 0.4:
        details.append(f"in {attributes['meter']}")
    if rng.random() < 0.3:
        details.append(f"{attributes['bars']} bars")
    template = rng.randrange(4)
    if template == 0:
        text = f"A {mood} {noun} for {instruments}"
    elif template == 1:
        text = f"{mood.capitalize()} {noun} played by {instruments}"
    elif template == 2:
        text = f"{instruments.capitalize()}: a {mood} {noun}"
    else:
        text = f"{noun.capitalize()}, {mood}, with {instruments}"
    if dynamic:
        text += f", {dynamic}"
    if details:
        text += ", " + ", ".join(details)
    return text + "."
