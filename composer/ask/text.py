"""Explicit values stated in a prompt: key, tempo, meter, instruments (and negations), dynamics, chords, length.

Each finder returns what the words say, or None; nothing here guesses from mood (see mood.py).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from composer.core.instruments import DRUMS, INSTRUMENT_FAMILIES, INSTRUMENT_PROGRAMS, track_name
from composer.core.theory import pitch_class, sharps_for_key, tonic_for_sharps

# Italian tempo words and the BPM each stands for: the middle of its conventional range, narrowed where
# MidiCaps' tempo bins (40/60/70/90/110/140/160/210; the Text2midi and MuseCoco benchmarks use them) are
# narrower, so that a word means a tempo both conventions agree on.
TEMPO_WORDS: dict[str, tuple[int, int]] = {
    "grave": (35, 45), "largo": (40, 60), "larghetto": (60, 66), "adagio": (66, 70), "adagietto": (70, 80),
    "andante": (76, 90), "andantino": (80, 108), "moderato": (108, 110), "allegretto": (112, 120),
    "allegro": (120, 140), "vivace": (156, 160), "presto": (168, 200), "prestissimo": (200, 240),
}
# Everyday pace words and the tempo each asks for (the multi-word ones first): "a fast folk tune", "a brisk
# march", "a leisurely stroll" name a tempo as surely as "allegro" does, and win over a genre's usual tempo.
PACE_WORDS: dict[str, tuple[int, int]] = {
    "very slow": (50, 60), "very fast": (170, 190), "laid-back": (76, 92), "laid back": (76, 92),
    "mid-tempo": (96, 112), "midtempo": (96, 112), "up-tempo": (120, 140), "uptempo": (120, 140),
    "downtempo": (70, 90), "slow": (60, 76), "slowly": (60, 76), "unhurried": (66, 80), "leisurely": (72, 84),
    "brisk": (120, 138), "briskly": (120, 138), "quick": (132, 150), "fast": (140, 168), "rapid": (150, 176),
}
# Dance and form names that fix the meter.
METER_WORDS: dict[str, str] = {
    "waltz": "3/4", "minuet": "3/4", "mazurka": "3/4", "polonaise": "3/4", "sarabande": "3/4", "jig": "6/8",
    "slip jig": "9/8", "tarantella": "6/8", "barcarolle": "6/8", "siciliana": "6/8", "march": "2/4",
    "polka": "2/4", "tango": "2/4", "reel": "4/4", "hornpipe": "4/4", "gavotte": "4/4", "bourree": "2/2",
    "bossa nova": "4/4",
}
VALID_METERS = ("1/4", "2/4", "3/4", "4/4", "5/4", "6/4", "1/2", "2/2", "3/2", "4/2", "3/8", "6/8", "9/8", "12/8")
# Dynamics words -> target mean velocity. "piano" the dynamic is left out: it is an instrument first.
DYNAMIC_WORDS: dict[str, int] = {
    "pianissimo": 40, "pp": 40, "very soft": 40, "very quiet": 40, "whisper": 40, "soft": 56, "quiet": 56,
    "gentle": 60, "gently": 60, "delicate": 56, "mezzo piano": 64, "mp": 64, "mezzo forte": 80, "mf": 80,
    "loud": 100, "forte": 100, "strong": 96, "powerful": 104, "fortissimo": 116, "ff": 116, "very loud": 116,
    "thunderous": 116,
}
COUNT_WORDS = {"two": 2, "2": 2, "twin": 2, "three": 3, "3": 3, "four": 4, "4": 4}  # "two violins": parts
STYLE_FAMILIES = ("synthwave",)  # a style's default band, not instruments a prompt names (see mood.py)
NEGATIONS = ("no", "without", "minus", "except", "not", "excluding", "sans")
_ACCIDENTAL = {"#": "#", "♯": "#", "sharp": "#", "b": "b", "♭": "b", "flat": "b", "-flat": "b", "-sharp": "#"}

_ACC = r"(\s?-?(?:sharp|flat)|[#♯b♭])?"
# "D dorian", "in e phrygian" (a lower-case letter only after "in": "a dorian tune" names no tonic)
_MODE_KEY = re.compile(rf"(?:\b([A-G])|\bin\s+([a-g])){_ACC}\s+"
                       r"((?i:dorian|phrygian|lydian|mixolydian|aeolian|harmonic\s+minor))\b")
_KEY_PATTERNS = (  # (regex, mode when the words give none); tried in this order
    re.compile(rf"\b([A-G]){_ACC}\s*(major|minor|maj|min)\b"),  # "Eb major", "C sharp minor"
    re.compile(rf"\bin\s+(?:the\s+key\s+of\s+)?([a-g]){_ACC}\s+(major|minor)\b", re.I),  # "in a minor"
    re.compile(r"\bin\s+([A-G])([#♯b♭])?(m)\b"),  # "in F#m"
    re.compile(rf"\bkey\s+of\s+([A-Ga-g]){_ACC}()(?!\w)"),  # "in the key of D": major
)
_TEMPO = re.compile(r"\b(\d{2,3}(?:\.\d+)?)\s*(?:bpm|beats per minute|beats a minute)\b", re.I)
_TEMPO_AT = re.compile(r"\btempo\s*(?:of\s*)?(\d{2,3})\b", re.I)
_METER = re.compile(r"\b(\d{1,2})\s*/\s*(\d{1,2})\b")
_BARS = re.compile(r"\b(\d{1,4})\s*(?:bars?|measures?)\b", re.I)
_SECONDS = re.compile(r"\b(\d{1,4}(?:\.\d+)?)\s*(seconds?|secs?|s|minutes?|mins?)\b", re.I)
_CHORD = r"(?:[A-G][#b]?(?:maj7|maj|m7b5|m7|m|dim7|dim|aug|sus2|sus4|7|9|6)?)"
_ROMAN = r"(?:[b#]?(?:VII|VI|IV|V|III|II|I|vii|vi|iv|v|iii|ii|i)(?:o|ø|\+)?7?)"
_PROGRESSION = re.compile(rf"(?<![\w#])((?:{_CHORD}|{_ROMAN})(?:\s*[-–,|\s]\s*(?:{_CHORD}|{_ROMAN})){{2,}})(?![\w#])")


@dataclass
class TextValues:
    """What a prompt states outright. None: not stated."""

    key: tuple[int, str, str] | None = None  # (pitch class, mode, tonic as spelled)
    tempo: float | None = None
    tempo_range: tuple[int, int] | None = None  # from a tempo word
    meter: str | None = None
    instruments: list[int] = field(default_factory=list)
    excluded: list[int] = field(default_factory=list)
    names: dict[int, str] = field(default_factory=dict)  # program -> the name the prompt gave it ("Lead Synth")
    velocity: int | None = None
    chords: str | None = None
    bars: int | None = None
    seconds: float | None = None
    matched: dict[str, str] = field(default_factory=dict)  # attribute -> the words that stated it


def parse_text(prompt: str) -> TextValues:
    """Read every explicit value in `prompt`."""
    found = TextValues()
    text = " ".join(prompt.split())
    lowered = text.lower()
    _find_key(text, found)
    _find_tempo(text, lowered, found)
    _find_meter(text, lowered, found)
    _find_instruments(lowered, found)
    _find_dynamics(lowered, found)
    _find_chords(text, found)
    _find_length(text, found)
    return found


def _find_key(text: str, found: TextValues) -> None:
    modal = _MODE_KEY.search(text)
    if modal:  # a mode keeps its tonic as written
        accidental = modal.group(3) or ""
        accidental = _ACCIDENTAL.get(accidental.strip().lower().lstrip("-"), _ACCIDENTAL.get(accidental.strip(), ""))
        tonic = (modal.group(1) or modal.group(2)).upper() + accidental
        found.key = (pitch_class(tonic), " ".join(modal.group(4).lower().split()), tonic)
        found.matched["key"] = modal.group(0).strip()
        return
    for pattern in _KEY_PATTERNS:
        match = pattern.search(text)
        if not match:
            continue
        letter, accidental, mode_word = match.group(1).upper(), (match.group(2) or ""), match.group(3).lower()
        accidental = _ACCIDENTAL.get(accidental.strip().lower().lstrip("-"), _ACCIDENTAL.get(accidental.strip(), ""))
        mode = "minor" if mode_word in ("minor", "min", "m") else "major"
        tonic = tonic_for_sharps(sharps_for_key(letter + accidental, mode), mode)  # type: ignore[arg-type]
        found.key = (pitch_class(tonic), mode, tonic)
        found.matched["key"] = match.group(0).strip()
        return


_NEGATED_PACE = re.compile(r"\b(?:not|never|no|isn't|nothing)(?:\s+(?:too|very|so|overly|that))?\s+$")


def _find_tempo(text: str, lowered: str, found: TextValues) -> None:
    match = _TEMPO.search(text) or _TEMPO_AT.search(text)
    if match:
        found.tempo = float(match.group(1))
        found.matched["tempo"] = match.group(0)
        return
    for word, (low, high) in (*TEMPO_WORDS.items(), *PACE_WORDS.items()):
        match = re.search(rf"\b{re.escape(word)}\b", lowered)
        if match and not _NEGATED_PACE.search(lowered[:match.start()]):  # "not too fast" asks for no tempo
            found.tempo_range = (low, high)
            found.tempo = round((low + high) / 2)
            found.matched["tempo"] = word
            return


def _find_meter(text: str, lowered: str, found: TextValues) -> None:
    for match in _METER.finditer(text):
        meter = f"{int(match.group(1))}/{int(match.group(2))}"
        if meter in VALID_METERS:
            found.meter = meter
            found.matched["meter"] = match.group(0)
            return
    word = _first_listed(METER_WORDS, lowered, plural=True)
    if word:
        found.meter = METER_WORDS[word]
        found.matched["meter"] = word


def _find_instruments(lowered: str, found: TextValues) -> None:
    """Longest names first, each span used once; a negation word just before a name excludes it."""
    text = re.sub(r"[^a-z0-9#,;.\- ]+", " ", lowered.replace("-", " "))
    taken = [False] * len(text)
    ensembles = {n: ps for n, ps in INSTRUMENT_FAMILIES.items() if n not in STYLE_FAMILIES}
    names = {**{n: [p] for n, p in INSTRUMENT_PROGRAMS.items()}, **ensembles}
    hits: list[tuple[int, str, list[int]]] = []
    for name in sorted(names, key=len, reverse=True):
        pattern = re.escape(name.replace("-", " "))
        for match in re.finditer(rf"(?<![a-z0-9]){pattern}(?:e?s)?(?![a-z0-9])", text):
            if any(taken[match.start():match.end()]):
                continue
            for i in range(match.start(), match.end()):
                taken[i] = True
            hits.append((match.start(), name, names[name]))
    for start, name, programs in sorted(hits):
        clause = re.split(r"[,;.]|\band\b|\bwith\b|\bbut\b|\bplus\b", text[:start])[-1].split()
        # "no drums", "without any drums", "not the strings": a negation opening the clause or just before
        negated = any(word in NEGATIONS for word in clause[:1] + clause[-2:])
        if negated:
            found.excluded.extend(programs)
        elif not set(programs) <= set(found.instruments):  # a name said twice is one part
            count = COUNT_WORDS.get(clause[-1], 1) if clause and len(programs) == 1 else 1
            found.instruments.extend(programs * count)  # "two violins": two parts; a quartet's two violins
            if len(programs) == 1 and programs[0] != DRUMS:  # an ensemble's parts keep their GM names
                found.names.setdefault(programs[0], track_name(name))
        found.matched.setdefault("instruments", "")
        found.matched["instruments"] += ("no " if negated else "") + name + "; "
    found.instruments = [p for p in found.instruments if p not in found.excluded]
    if "instruments" in found.matched:
        found.matched["instruments"] = found.matched["instruments"].rstrip("; ")


def _find_dynamics(lowered: str, found: TextValues) -> None:
    word = _first_listed(DYNAMIC_WORDS, lowered)
    if word:
        found.velocity = DYNAMIC_WORDS[word]
        found.matched["velocity"] = word


def _first_listed(words: Mapping[str, object], lowered: str, plural: bool = False) -> str | None:
    """The longest of `words` that stands as a whole word in `lowered` (plurals too, if asked)."""
    suffix = "(?:e?s)?" if plural else ""
    for word in sorted(words, key=len, reverse=True):
        if re.search(rf"(?<![a-z]){re.escape(word)}{suffix}(?![a-z])", lowered):
            return word
    return None


def _find_chords(text: str, found: TextValues) -> None:
    for match in _PROGRESSION.finditer(text):
        symbols = [s for s in re.split(r"[\s\-–,|]+", match.group(1)) if s]
        if all(re.fullmatch(_ROMAN, s) for s in symbols) and len({s.lower() for s in symbols}) < 2:
            continue
        if len(symbols) >= 3 or "chord" in text.lower() or "progression" in text.lower():
            found.chords = " ".join(symbols)
            found.matched["chords"] = match.group(1)
            return


def _find_length(text: str, found: TextValues) -> None:
    bars = _BARS.search(text)
    if bars:
        found.bars = int(bars.group(1))
        found.matched["bars"] = bars.group(0)
    seconds = _SECONDS.search(text)
    if seconds and not (seconds.group(2).lower() == "s" and not re.search(r"\d\s*s\b", seconds.group(0))):
        value = float(seconds.group(1)) * (60 if seconds.group(2).lower().startswith("min") else 1)
        found.seconds = value
        found.matched["seconds"] = seconds.group(0)


def describe_programs(programs: list[int]) -> list[str]:
    from composer.core.gm import program_name

    return ["drums" if p == DRUMS else program_name(p) for p in programs]
