"""Style words: the texture style a prompt asks for (composer.core.textures), else one its meter, tempo,
drums and instruments suggest."""

from __future__ import annotations

from composer.ask.word_match import first_word

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
    found = first_word(prompt, STYLE_WORDS)
    return (found[0], found[1]) if found else None


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
    found = first_word(prompt, HARMONY_WORDS)
    return (found[0], found[1]) if found else (style, f"the {style} style")

# genre word -> (tempo in bpm, velocity): how the genre is usually played, for a prompt that gives neither
# (a tempo or loudness from the words, the mood or an option always wins)
GENRE_FEEL: dict[str, tuple[float, int]] = {
    "punk": (176, 104), "metal": (152, 104), "thrash": (180, 106), "hard rock": (132, 100), "rock": (124, 96),
    "grunge": (110, 96), "funk": (104, 92), "funky": (104, 92), "disco": (118, 94), "techno": (130, 98),
    "house": (124, 94), "trance": (136, 94), "drum and bass": (172, 100), "dubstep": (140, 100),
    "hip hop": (90, 88), "lo-fi hip hop": (82, 64), "lofi hip hop": (82, 64),
    "lo-fi": (78, 64), "lofi": (78, 64), "chillhop": (80, 64), "bebop": (208, 88),
    "swing": (148, 86), "jazz": (120, 78), "blues": (84, 80), "ballad": (68, 62), "lullaby": (64, 50),
    "waltz": (150, 72), "march": (116, 96), "marching": (116, 96), "polka": (120, 92), "reel": (112, 88),
    "jig": (116, 86), "hornpipe": (100, 84), "bluegrass": (132, 90), "country": (112, 84), "folk": (104, 76),
    "shanty": (100, 90), "baroque": (100, 78), "chorale": (72, 70), "hymn": (76, 72), "ambient": (68, 54),
    "drone": (60, 50), "new age": (70, 56), "chiptune": (144, 92), "8-bit": (144, 92), "fanfare": (112, 104),
    "trailer": (96, 100), "epic": (100, 102), "reggae": (76, 84), "bossa nova": (132, 66), "tango": (120, 88),
}


def genre_feel(prompt: str | None) -> tuple[float, int, str] | None:
    """The tempo and velocity a genre word of the prompt is usually played at, with the word."""
    found = first_word(prompt, GENRE_FEEL)
    return (*found[0], found[1]) if found else None
