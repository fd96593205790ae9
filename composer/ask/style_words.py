"""Style words: the texture style a prompt asks for (composer.core.textures), else one its meter, tempo,
drums and instruments suggest."""

from __future__ import annotations

import re

# word -> style; longer phrases are matched first
STYLE_WORDS: dict[str, str] = {
    "pop": "pop", "rock": "rock", "punk": "rock", "metal": "rock", "grunge": "rock", "funk": "funk",
    "funky": "funk", "disco": "funk", "jazz": "swing", "jazzy": "swing", "swing": "swing", "bebop": "swing",
    "blues": "swing", "ballad": "ballad", "love song": "ballad", "waltz": "waltz", "march": "march",
    "marching": "march", "military": "march", "folk": "folk", "celtic": "folk", "irish": "folk",
    "jig": "folk", "reel": "folk", "fiddle tune": "folk", "country": "folk", "bluegrass": "folk",
    "shanty": "folk", "baroque": "baroque", "bach": "baroque", "fugue": "baroque", "harpsichord": "baroque",
    "chorale": "chorale", "hymn": "chorale", "choral": "chorale", "ambient": "ambient", "drone": "ambient",
    "meditation": "ambient", "new age": "ambient", "chiptune": "chiptune", "8-bit": "chiptune",
    "8 bit": "chiptune", "retro game": "chiptune", "nes": "chiptune", "orchestral": "orchestral",
    "symphonic": "orchestral", "fanfare": "orchestral", "lo-fi": "lofi", "lofi": "lofi", "lo fi": "lofi",
    "chillhop": "lofi", "hip hop": "lofi", "cinematic": "cinematic", "film score": "cinematic",
    "trailer": "cinematic", "epic": "cinematic", "suspense": "cinematic",
}
DRUM_STYLES = {"rock": "rock", "four": "pop", "funk": "funk", "halftime": "lofi", "swing": "swing",
               "march": "march", "latin": "pop", "battle": "cinematic", "soft": "ballad"}
ORCHESTRAL = frozenset({40, 41, 42, 43, 44, 45, 48, 49, 56, 57, 58, 60, 61, 68, 70, 71, 73})
PADS = frozenset(range(88, 96))


def named_style(prompt: str | None) -> tuple[str, str] | None:
    """The style a word of the prompt names, with the word (None: no style word)."""
    text = (prompt or "").lower()
    for word in sorted(STYLE_WORDS, key=len, reverse=True):
        if re.search(rf"(?<![a-z0-9]){re.escape(word)}(?![a-z0-9])", text):
            return STYLE_WORDS[word], word
    return None


def suggested_style(meter: str, tempo: float, programs: list[int], drum_style: str | None) -> tuple[str, str]:
    """A style for a prompt that names none, with why: triple meter a waltz, compound meter a folk dance,
    the drums' groove, a string or wind ensemble orchestral, pads ambient, slow music a ballad, else pop."""
    numerator, denominator = (int(x) for x in meter.split("/"))
    pitched = [p for p in programs if p >= 0]
    if numerator == 3 and denominator == 4:
        return "waltz", "3/4"
    if denominator == 8 and numerator % 3 == 0:
        return "folk", meter
    if drum_style in DRUM_STYLES and -1 in programs:
        return DRUM_STYLES[drum_style], f"the {drum_style} groove"
    if pitched and all(p in ORCHESTRAL for p in pitched) and len(pitched) >= 2:
        return ("chorale" if tempo < 90 else "orchestral"), "an orchestral ensemble"
    if pitched and any(p in PADS for p in pitched):
        return "ambient", "a synth pad"
    if tempo < 80:
        return "ballad", f"{tempo:g} bpm"
    return "pop", "the default"

# word -> harmony style (composer.core.progressions) where the words ask for other chords than the texture's
HARMONY_WORDS: dict[str, str] = {
    "blues": "blues", "bluesy": "blues", "twelve-bar": "blues", "12-bar": "blues", "spooky": "suspense",
    "creepy": "suspense", "eerie": "suspense", "horror": "suspense", "haunted": "suspense", "suspense": "suspense",
    "suspenseful": "suspense", "sinister": "suspense", "ominous": "suspense", "modal": "modal", "dorian": "modal",
    "mixolydian": "modal", "phrygian": "modal", "lydian": "modal", "jazz": "swing", "jazzy": "swing",
    "bebop": "swing", "bossa": "swing", "bossa nova": "swing", "smooth jazz": "swing", "lounge": "swing",
}


def harmony_style(prompt: str | None, style: str) -> tuple[str, str]:
    """The style whose progressions the piece takes, with why: a harmony word of the prompt, else the texture's."""
    text = (prompt or "").lower()
    for word in sorted(HARMONY_WORDS, key=len, reverse=True):
        if re.search(rf"(?<![a-z0-9]){re.escape(word)}(?![a-z0-9])", text):
            return HARMONY_WORDS[word], word
    return style, f"the {style} style"
