"""Keys by style and instrument: which tonics a style and its instruments favour, with weights, for a request
that asks for no key. The weights are players' practice: fiddle tunes sit in D, G and A (open strings) and E
or A minor; brass and wind bands in flat keys (Bb, Eb, F); guitar music in E, A, D and G (open chords); jazz
in F, Bb and Eb (horn keys); keyboards anywhere.

    key_weights("folk", "major", [40])   -> {"D": 3.0 x 3.0, "G": ..., ...}
    choose_key("folk", "major", [40], "a jig for fiddle") -> "D"
"""

from __future__ import annotations

import zlib

# style -> mode -> tonic -> weight (styles not listed use "any")
STYLE_KEYS: dict[str, dict[str, dict[str, float]]] = {
    "any": {"major": {"C": 3, "G": 3, "D": 2, "F": 2, "A": 1, "Bb": 1, "Eb": 1, "E": 1},
            "minor": {"A": 3, "E": 2, "D": 3, "G": 2, "C": 1, "B": 1, "F#": 1}},
    "folk": {"major": {"D": 4, "G": 4, "A": 2, "C": 1, "F": 0.5},
             "minor": {"E": 3, "A": 3, "D": 2, "B": 1, "G": 1}},
    "swing": {"major": {"F": 3, "Bb": 3, "Eb": 2, "C": 2, "Ab": 1, "G": 1},
              "minor": {"C": 2, "D": 2, "G": 2, "F": 1, "A": 1}},
    "blues": {"major": {"E": 2, "A": 2, "G": 2, "Bb": 2, "F": 2, "C": 1},
              "minor": {"A": 2, "E": 2, "C": 2, "G": 2, "D": 1}},
    "lofi": {"major": {"F": 2, "Eb": 2, "Bb": 1, "C": 1, "Db": 1, "Ab": 1},
             "minor": {"C": 2, "F": 2, "G": 1, "D": 1, "Bb": 1}},
    "rock": {"major": {"E": 3, "A": 3, "D": 2, "G": 2, "C": 1},
             "minor": {"E": 3, "A": 3, "D": 1, "B": 1, "F#": 1}},
    "march": {"major": {"Bb": 3, "Eb": 3, "F": 2, "C": 1, "Ab": 1}, "minor": {"G": 2, "C": 2, "F": 1, "D": 1}},
    "orchestral": {"major": {"D": 2, "Eb": 2, "C": 2, "Bb": 1, "F": 1, "G": 1, "A": 1},
                   "minor": {"D": 3, "C": 2, "G": 2, "E": 1, "F": 1}},
    "cinematic": {"major": {"D": 2, "C": 2, "Eb": 1, "Bb": 1, "E": 1, "F": 1},
                  "minor": {"D": 3, "C": 2, "E": 2, "F": 1, "G": 1, "C#": 1}},
    "baroque": {"major": {"D": 3, "G": 2, "C": 2, "F": 2, "Bb": 1, "A": 1},
                "minor": {"D": 2, "G": 2, "A": 2, "E": 1, "C": 1, "B": 1}},
    "chorale": {"major": {"G": 2, "F": 2, "D": 2, "A": 1, "Bb": 1, "C": 1},
                "minor": {"A": 2, "D": 2, "E": 2, "G": 1, "B": 1}},
    "waltz": {"major": {"C": 2, "F": 2, "G": 2, "D": 1, "Bb": 1, "Eb": 1}, "minor": {"A": 2, "D": 2, "E": 1, "G": 1}},
    "ambient": {"major": {"D": 2, "E": 2, "F": 2, "C": 1, "A": 1, "Db": 1}, "minor": {"A": 2, "E": 2, "D": 2, "C#": 1}},
    "chiptune": {"major": {"C": 3, "G": 2, "D": 1, "F": 1}, "minor": {"A": 3, "E": 2, "D": 1, "C": 1}},
    "pop": {"major": {"C": 2, "G": 2, "D": 2, "F": 2, "A": 1, "E": 1, "Bb": 1, "Eb": 1},
            "minor": {"A": 2, "E": 2, "D": 2, "B": 1, "F#": 1, "C": 1, "G": 1}},
    "ballad": {"major": {"C": 2, "Eb": 2, "F": 2, "G": 1, "D": 1, "Bb": 1, "Ab": 1},
               "minor": {"A": 2, "D": 2, "C": 1, "E": 1, "F": 1, "B": 1}},
    "funk": {"major": {"E": 2, "F": 2, "A": 1, "G": 1, "Bb": 1}, "minor": {"E": 3, "A": 2, "D": 2, "G": 1, "C": 1}},
}
STYLE_KEYS["suspense"] = {"major": STYLE_KEYS["cinematic"]["major"], "minor": STYLE_KEYS["cinematic"]["minor"]}
STYLE_KEYS["modal"] = {"major": STYLE_KEYS["folk"]["major"], "minor": STYLE_KEYS["folk"]["minor"]}

# instrument family -> tonic -> factor (a tonic not listed keeps its weight x OTHER_KEY)
FIDDLES, WHISTLES = frozenset({40, 110}), frozenset({71, 72, 73, 74, 75, 78, 79, 109})
BRASS, GUITARS = frozenset(range(56, 68)), frozenset(range(24, 32))
INSTRUMENT_KEYS: list[tuple[frozenset[int], dict[str, float]]] = [
    (FIDDLES, {"D": 3, "G": 3, "A": 3, "E": 2, "C": 1.5, "B": 1.5}),  # open strings G D A E
    (WHISTLES, {"D": 3, "G": 3, "A": 1.5, "E": 2, "B": 1.5}),  # the D whistle and its G; E and B minor
    (BRASS, {"Bb": 3, "Eb": 3, "F": 3, "Ab": 2, "C": 1.5, "G": 1.5}),  # Bb and F instruments
    (GUITARS, {"E": 3, "A": 3, "D": 2, "G": 2, "C": 1.5, "B": 1.5}),  # open chords
]
OTHER_KEY = 0.25


def key_weights(style: str, mode: str, programs: list[int]) -> dict[str, float]:
    """Each tonic's weight for this style, mode and band: the style's table times each instrument family's
    factor (a family shapes it only when it plays; melody instruments are not told apart from the rest)."""
    table = STYLE_KEYS.get(style, STYLE_KEYS["any"]).get(mode, STYLE_KEYS["any"][mode])
    weights = dict(table)
    for family, factors in INSTRUMENT_KEYS:
        if any(p in family for p in programs):
            weights = {tonic: weight * factors.get(tonic, OTHER_KEY) for tonic, weight in weights.items()}
    return weights


def choose_key(style: str, mode: str, programs: list[int], prompt: str) -> str:
    """A tonic drawn by weight, the same for the same prompt (a stable hash of its words, not Python's hash)."""
    weights = key_weights(style, mode, programs)
    tonics = sorted(weights)
    total = sum(weights.values())
    point = zlib.crc32(f"{prompt}|{style}|{mode}".encode()) / 2**32 * total
    for tonic in tonics:
        point -= weights[tonic]
        if point < 0:
            return tonic
    return tonics[-1]
