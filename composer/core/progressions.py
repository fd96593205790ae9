"""The progression library: each style's chord progressions and cadences, kept as data (composer.core.harmony numerals).

A progression is written bar by bar, "|" between bars and a space between two chords in one bar:
"I | V | vi | IV" (one chord a bar) or "ii7 V7 | Imaj7" (two in the first bar). Progressions are
four bars (a phrase) unless noted; the planner (composer.plan.harmony) builds periods from them and closes
each period with the style's cadence. Weights say how often a style picks each one.
"""

from __future__ import annotations

from dataclasses import dataclass

from composer.core.harmony import parse_numeral


@dataclass(frozen=True)
class Progression:
    """One progression: its bars (each a tuple of numerals), mode, weight and a name for `explain`."""

    name: str
    bars: tuple[tuple[str, ...], ...]
    mode: str  # "major" or "minor"
    weight: float = 1.0


@dataclass(frozen=True)
class Cadence:
    """How a style closes a phrase: the half cadence (the antecedent's last bar) and the authentic
    cadence's last two bars, in major and in minor."""

    half: dict[str, str]
    close: dict[str, tuple[str, str]]  # mode -> (the bar before, the last bar)


def _bars(text: str) -> tuple[tuple[str, ...], ...]:
    """"ii7 V7 | Imaj7" -> (("ii7", "V7"), ("Imaj7",)): bars split at "|", chords at spaces."""
    return tuple(tuple(bar.split()) for bar in text.split("|"))


def _p(name: str, text: str, mode: str, weight: float = 1.0) -> Progression:
    return Progression(name, _bars(text), mode, weight)


M, m = "major", "minor"
PROGRESSIONS: dict[str, list[Progression]] = {
    "pop": [_p("axis", "I | V | vi | IV", M, 3), _p("axis from vi", "vi | IV | I | V", M, 2),
            _p("fifties", "I | vi | IV | V", M, 2), _p("plagal loop", "I | IV | vi | V", M),
            _p("rising", "IV | I | V | vi", M), _p("three-four", "I | iii | IV | V", M),
            _p("sad turn", "vi | V | IV | V", M), _p("lift", "ii | IV | I | V", M),
            _p("aeolian loop", "i | bVI | bIII | bVII", m, 3), _p("minor lift", "i | bVII | bVI | bVII", m),
            _p("minor pop", "i | iv | bVI | V", m), _p("royal road", "IV | V | iii | vi", M),
            _p("doo-wop turn", "I | vi | ii | V", M), _p("andalusian", "i | bVII | bVI | V", m),
            _p("minor climb", "bVI | bVII | i | i", m)],
    "rock": [_p("mixolydian", "I | bVII | IV | I", M, 3), _p("three chords", "I | IV | V | IV", M, 2),
             _p("anthem", "I | V | bVII | IV", M), _p("power", "I | bIII | IV | I", M),
             _p("aeolian", "i | bVII | bVI | bVII", m, 3), _p("minor riff", "i | bIII | bVII | iv", m),
             _p("dark", "i | iv | bVII | i", m), _p("open road", "I | IV | bVII | IV", M),
             _p("heroic", "I | bVI | bVII | I", M), _p("minor drive", "i | bVI | bVII | i", m)],
    "funk": [_p("one-chord", "I7 | I7 | IV7 | I7", M, 2), _p("two-chord", "I7 | IV7 | I7 | IV7", M),
             _p("funk turn", "I7 | I7 | bVII7 | IV7", M), _p("dorian vamp", "i7 | IV7 | i7 | IV7", m, 2),
             _p("minor funk", "i7 | i7 | iv7 | bVII7", m), _p("dominant sway", "I7 | bVII7 | I7 | V7", M),
             _p("minor sway", "i7 | bVII7 | i7 | bVI7", m)],
    "swing": [_p("I-vi-ii-V", "Imaj7 | vi7 | ii7 | V7", M, 3), _p("ii-V-I", "ii7 | V7 | Imaj7 | Imaj7", M, 2),
              _p("rhythm changes", "Imaj7 VI7 | ii7 V7 | Imaj7 VI7 | ii7 V7", M, 2),
              _p("iii-VI-ii-V", "iii7 | VI7 | ii7 | V7", M), _p("IV7 turn", "Imaj7 | IV7 | iii7 VI7 | ii7 V7", M),
              _p("minor ii-V", "i7 | iv7 | iiø7 | V7", m, 3), _p("minor line", "iiø7 | V7 | i7 | i7", m),
              _p("minor turnaround", "i7 | bVI7 | iiø7 | V7", m),
              _p("backdoor", "Imaj7 | IVmaj7 | iv7 | bVII7", M), _p("up a step", "ii7 | V7 | iii7 | VI7", M),
              _p("minor descent", "i7 | i7 | iv7 | bVII7", m)],
    "blues": [_p("twelve-bar", "I7 | IV7 | I7 | I7 | IV7 | IV7 | I7 | I7 | V7 | IV7 | I7 | V7", M, 3),
              _p("slow change", "I7 | I7 | I7 | I7 | IV7 | IV7 | I7 | I7 | V7 | IV7 | I7 | V7", M),
              _p("turnaround", "I7 | IV7 | I7 | I7 | IV7 | IV7 | I7 | VI7 | ii7 | V7 | I7 VI7 | ii7 V7", M),
              _p("walk-up", "I7 | IV7 | I7 | I7 | IV7 | IV7 | I7 | I7 | ii7 | V7 | I7 IV7 | I7 V7", M),
              _p("minor blues", "i7 | iv7 | i7 | i7 | iv7 | iv7 | i7 | i7 | bVI7 | V7 | i7 | V7", m, 3),
              _p("minor turnaround", "i7 | iv7 | i7 | i7 | iv7 | iv7 | i7 | i7 | iiø7 | V7 | i7 bVI7 | iiø7 V7", m)],
    "ballad": [_p("ballad", "I | vi | IV | V", M, 2), _p("descending", "I | iii | vi | IV", M),
               _p("canon", "I | V | vi | iii | IV | I | IV | V", M), _p("soft sevenths", "Imaj7 | IVmaj7 | vi7 | V", M),
               _p("yearning", "IV | V | iii | vi", M),
               _p("lament", "i | bVI | bIII | bVII", m, 2), _p("minor ballad", "i | iv | bVII | bIII", m),
               _p("minor turn", "i | bVI | iv | V", m), _p("climb", "I | ii | IV | V", M),
               _p("andalusian", "i | bVII | bVI | V", m), _p("minor mediant", "i | v | bVI | bIII", m)],
    "waltz": [_p("waltz", "I | IV | V7 | I", M, 2), _p("waltz ii", "I | vi | ii | V7", M),
              _p("long dominant", "I | I | V7 | V7", M), _p("minor waltz", "i | iv | V7 | i", m, 2),
              _p("minor drift", "i | bVI | iv | V", m), _p("turning", "I | ii | V7 | I", M),
              _p("minor swing", "i | V7 | V7 | i", m)],
    "march": [_p("march", "I | I | V | V", M), _p("march cadence", "I | IV | V | I", M, 2),
              _p("march sevenths", "I | V7 | V7 | I", M), _p("minor march", "i | iv | V | i", m, 2),
              _p("minor tread", "i | i | V | V", m), _p("march ii", "I | vi | ii | V", M),
              _p("minor stride", "i | bVI | V | i", m)],
    "folk": [_p("three chords", "I | IV | I | V", M, 2), _p("tonic first", "I | I | IV | V", M),
             _p("turn home", "I | V | IV | I", M), _p("cadence", "I | IV | V | I", M),
             _p("mixolydian", "I | bVII | I | V", M), _p("from four", "IV | I | V | I", M),
             _p("dorian", "i | IV | i | bVII", m, 2),
             _p("aeolian", "i | bIII | bVII | i", m), _p("minor folk", "i | iv | i | V", m),
             _p("modal swing", "i | bVII | i | bVII", m)],
    "baroque": [_p("circle of fifths", "I IV | viio iii | vi ii | V I", M, 2),
                _p("canon", "I | V | vi | iii | IV | I | IV | V", M), _p("cadential", "I | ii | V7 | I", M),
                _p("falling", "I | V | vi | iii", M), _p("minor circle", "i iv | bVII bIII | bVI iiø7 | V i", m, 2),
                _p("minor cadential", "i | iv | V | i", m), _p("descending bass", "i | V | bVII | IV", m)],
    "chorale": [_p("chorale", "I V | vi IV | I ii | V I", M, 2), _p("chorale plagal", "I IV | I V | vi ii | V I", M),
                _p("chorale circle", "I vi | ii V | iii vi | ii V", M),
                _p("minor chorale", "i iv | V i | bVI iv | V i", m),
                _p("minor chorale plagal", "i bIII | iv V | i bVI | iiø7 V", m)],
    "ambient": [_p("drift", "I | vi | IV | I", M, 2), _p("still", "I | iii | IV | I", M),
                _p("glow", "I | V | vi | I", M), _p("float", "Imaj7 | vi7 | IV | V", M),
                _p("minor drift", "i | bVI | i | bVI", m, 2), _p("minor tide", "i | iv | i | bVI", m),
                _p("dorian air", "i7 | IV | i7 | IV", m), _p("open", "IVmaj7 | I | IVmaj7 | I", M),
                _p("minor float", "i | bVII | bVI | bVII", m)],
    "chiptune": [_p("hero", "I | V | vi | IV", M), _p("victory", "I | bVI | bVII | I", M, 2),
                 _p("level", "vi | IV | I | V", M), _p("stage", "I | IV | V | IV", M),
                 _p("dungeon", "i | bVI | bVII | i", m, 2), _p("castle", "i | iv | bVII | bIII", m),
                 _p("quest", "I | bVII | IV | I", M), _p("boss", "i | bVII | bVI | V", m)],
    "orchestral": [_p("hymn", "I | IV | V | I", M, 2), _p("heroic", "I | bVI | bVII | I", M, 2),
                   _p("broad", "I | vi | IV | V", M), _p("rising", "I | V | vi | IV", M),
                   _p("dawn", "vi | IV | I | V", M),
                   _p("epic", "i | bVI | bIII | bVII", m, 2), _p("minor hymn", "i | iv | V | i", m),
                   _p("tragic", "i | bVI | iv | V", m)],
    "lofi": [_p("ii-V-I", "ii7 | V7 | Imaj7 | vi7", M, 2), _p("lazy", "Imaj7 | vi7 | ii7 | V7", M),
             _p("falling sevenths", "IVmaj7 | iii7 | ii7 | Imaj7", M),
             _p("minor rain", "i7 | iv7 | bVII7 | bIIImaj7", m, 2),
             _p("minor sway", "i7 | bVImaj7 | iv7 | V7", m), _p("royal road", "IVmaj7 | V7 | iii7 | vi7", M),
             _p("minor drift", "i7 | bVIImaj7 | bVImaj7 | V7", m)],
    "cinematic": [_p("rise", "I | bVI | IV | I", M), _p("wide", "I | V | vi | IV", M),
                  _p("bittersweet", "I | iii | IV | iv", M), _p("heroic", "I | bVI | bVII | I", M),
                  _p("tragic", "i | bVI | iv | V", m, 3), _p("epic", "i | bVI | bIII | bVII", m, 2),
                  _p("chromatic mediant", "i | bIII | i | bVI", m), _p("longing", "I | V | IV | iv", M),
                  _p("minor rise", "i | v | bVI | bVII", m)],
    # not textures: harmony styles that words ask for (composer.plan.harmony.harmony_style)
    "suspense": [_p("mediants", "i | bVI | i | bVI", m, 2), _p("neapolitan", "i | bII | i | V", m, 2),
                 _p("creep", "i | iv | bII | V", m), _p("chromatic mediant", "i | III | i | bVI", m),
                 _p("unease", "I | bVI | I | bII", M)],
    "modal": [_p("dorian vamp", "i7 | IV7 | i7 | IV7", m, 2), _p("aeolian vamp", "i | bVII | bVI | bVII", m),
              _p("phrygian", "i | bII | i | bII", m), _p("mixolydian", "I | bVII | IV | I", M, 2),
              _p("lydian", "I | II | I | II", M)],
}

# modes as keys (composer.core.theory.MODE_SCALES): their own chords, whatever the style, and their own cadences
MODE_PROGRESSIONS: dict[str, list[Progression]] = {mode: [_p(name, text, mode, weight) for name, text, weight in rows]
                                                   for mode, rows in {
    "dorian": [("dorian vamp", "i | IV | i | IV", 2), ("dorian sevenths", "i7 | IV7 | i7 | bVII", 1),
               ("dorian climb", "i | bIII | IV | i", 1), ("dorian steps", "i | ii | bIII | IV", 1)],
    "phrygian": [("phrygian", "i | bII | i | bII", 2), ("phrygian rise", "i | bII | bIII | bII", 1),
                 ("phrygian fall", "i | bvii | bVI | bII", 1)],
    "lydian": [("lydian", "I | II | I | II", 2), ("lydian lift", "I | II | V | I", 1),
               ("lydian glow", "Imaj7 | II | iii | II", 1)],
    "mixolydian": [("mixolydian", "I | bVII | IV | I", 2), ("mixolydian sway", "I | bVII | I | bVII", 1),
                   ("mixolydian minor v", "I | v | bVII | IV", 1), ("mixolydian turn", "I | IV | bVII | I", 1)],
    "aeolian": [("aeolian", "i | bVII | bVI | bVII", 2), ("aeolian fall", "i | bVI | bIII | bVII", 1),
                ("aeolian v", "i | iv | v | i", 1)],
    "harmonic minor": [("harmonic minor", "i | iv | V | i", 2), ("harmonic descent", "i | bVI | V | i", 1),
                       ("harmonic ii-V", "i | iiø7 | V7 | i", 1)],
}.items()}
MODE_CADENCES: dict[str, Cadence] = {
    mode: Cadence({mode: half}, {mode: (before, last)})
    for mode, half, before, last in (("dorian", "IV", "IV", "i"), ("phrygian", "bII", "bII", "i"),
                                     ("lydian", "II", "II", "I"), ("mixolydian", "IV", "bVII", "I"),
                                     ("aeolian", "v", "bVII", "i"), ("harmonic minor", "V", "iv V", "i"))
}

DEFAULT_CADENCE = Cadence({"major": "V", "minor": "V"}, {"major": ("V", "I"), "minor": ("V", "i")})
CADENCES: dict[str, Cadence] = {
    "swing": Cadence({"major": "ii7 V7", "minor": "iiø7 V7"}, {"major": ("V7", "I"), "minor": ("V7", "i")}),
    "lofi": Cadence({"major": "V7", "minor": "V7"}, {"major": ("V7", "I"), "minor": ("V7", "i")}),
    "blues": Cadence({"major": "V7", "minor": "V7"}, {"major": ("V7", "I"), "minor": ("V7", "i")}),
    "rock": Cadence({"major": "V", "minor": "V"}, {"major": ("IV", "I"), "minor": ("iv", "i")}),
    "baroque": Cadence({"major": "ii V", "minor": "iv V"}, {"major": ("V7", "I"), "minor": ("V", "i")}),
    "chorale": Cadence({"major": "ii V", "minor": "iv V"}, {"major": ("V", "I"), "minor": ("V", "i")}),
    "waltz": Cadence({"major": "V7", "minor": "V7"}, {"major": ("V7", "I"), "minor": ("V7", "i")}),
    "ambient": Cadence({"major": "IV", "minor": "iv"}, {"major": ("IV", "I"), "minor": ("iv", "i")}),
    "cinematic": Cadence({"major": "V", "minor": "V"}, {"major": ("V", "I"), "minor": ("V", "i")}),
}
# How a closing phrase approaches its cadence: the bars before the last, written as progressions are, "D"
# standing for the style's cadence chord (V, V7, rock's IV). The planner (composer.plan.harmony) takes one of
# these, by weight, for a share of its closing periods, and otherwise lets the phrase's own chords lead in.
APPROACH_FAMILIES: dict[str, str | None] = {
    "baroque": "classical", "chorale": "classical", "march": "classical", "waltz": "classical",
    "orchestral": "classical", "folk": "classical", "swing": "jazz", "lofi": "jazz", "rock": "rock",
    "suspense": "suspense", "funk": None, "blues": None, "modal": None}  # others "pop"; None: the own chords
APPROACHES: dict[tuple[str, str], list[tuple[str, float]]] = {
    ("classical", M): [("ii | D", 3), ("IV | D", 2), ("vi | ii D", 2), ("I | IV D", 1), ("IV | ii D", 1),
                       ("vi | IV D", 1)],
    ("classical", m): [("iv | D", 3), ("bVI | D", 2), ("i | iv D", 2), ("bVI | iv D", 1), ("iv | iiø7 D", 1),
                       ("bIII | iv D", 1)],
    ("pop", M): [("IV | D", 2), ("vi | IV D", 2), ("vi | D", 1), ("ii | D", 1), ("iii | IV D", 1), ("I | IV D", 1),
                 ("IV | ii D", 1)],
    ("pop", m): [("iv | D", 2), ("bVI | D", 2), ("bVII | bVI D", 1), ("i | iv D", 1), ("bVI | iv D", 1),
                 ("bIII | iv D", 1)],
    ("jazz", M): [("vi7 | ii7 D", 3), ("Imaj7 | ii7 D", 2), ("ii7 | D", 1), ("IVmaj7 | iv7 D", 1),
                  ("iii7 | ii7 D", 1)],
    ("jazz", m): [("iv7 | iiø7 D", 2), ("i7 | iiø7 D", 2), ("iiø7 | D", 2), ("bVImaj7 | iiø7 D", 1)],
    ("rock", M): [("bVII | D", 2), ("V | D", 2), ("bVI | bVII D", 1), ("I | bVII D", 1)],
    ("rock", m): [("bVII | D", 2), ("bVI | bVII D", 1), ("bVI | D", 1)],
    ("suspense", m): [("bVI | D", 2), ("iv | bII D", 1), ("bII | D", 1)],
    # a plagal close in any family (D: IV or iv, the amen)
    ("plagal", M): [("vi | D", 2), ("V | D", 1), ("iii | D", 1), ("I | vi D", 1), ("ii | V D", 1)],
    ("plagal", m): [("bVI | D", 2), ("bVII | D", 1), ("i | bVI D", 1), ("bIII | D", 1)],
}

# styles whose antecedent phrase ends on the dominant (a half cadence); the others keep their loop's fourth bar
HALF_CADENCE_STYLES = frozenset({"baroque", "chorale", "march", "waltz", "swing"})


def progressions_for(style: str, mode: str) -> list[Progression]:
    """A style's progressions in a mode (pop's when the style has none in it; a modal key its mode's own)."""
    if mode in MODE_PROGRESSIONS:
        return MODE_PROGRESSIONS[mode]
    found = [p for p in PROGRESSIONS.get(style, []) if p.mode == mode]
    return found or [p for p in PROGRESSIONS["pop"] if p.mode == mode]


def cadence_for(style: str, mode: str = "major") -> Cadence:
    """How a style closes its phrases (a modal key: its mode's cadence, whatever the style)."""
    return MODE_CADENCES.get(mode) or CADENCES.get(style, DEFAULT_CADENCE)


def approaches_for(style: str, mode: str, dominant: str) -> list[tuple[tuple[tuple[str, ...], ...], float]]:
    """A style's cadential approaches in a major or minor key, "D" spelled as `dominant`: (the bars before the
    last, each a tuple of numerals; weight). The plagal ones where `dominant` is IV or iv (an amen, ambient's
    close), rock's own excepted; none in a mode key or for a style with no family in that key."""
    family = APPROACH_FAMILIES.get(style, "pop")
    if family not in (None, "rock") and parse_numeral(dominant)[0] == 5:
        family = "plagal"
    rows = APPROACHES.get((family, mode), []) if family else []
    return [(_bars(text.replace("D", dominant)), weight) for text, weight in rows]
