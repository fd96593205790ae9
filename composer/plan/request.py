"""The request checked: keys and chords read, the prompt (and picture) resolved into attributes with their sources."""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from composer.ask.resolve import Resolved
from composer.core.errors import ComposerError
from composer.core.instruments import instrument_names, instrument_programs
from composer.core.theory import MODES, mode_family, pitch_class, sharps_for_key, tonic_for_sharps
from composer.decode.controls import METERS

MAX_BARS = 256


MODE_WORDS = "|".join(sorted((m.replace(" ", r"\s+") for m in MODES if m not in ("major", "minor")), key=len,
                             reverse=True))


def parse_key(text: str) -> tuple[int, str, str]:
    """"Eb major", "F# minor", "F#m", "a minor", "D dorian", "A harmonic minor" -> (pitch class, mode, tonic
    as written). Modes (composer.core.theory.MODES) keep the tonic as written."""
    modal = re.fullmatch(rf"\s*([A-Ga-g])([#b♯♭]?)\s+({MODE_WORDS})\s*", text, re.I)
    if modal:
        tonic = modal.group(1).upper() + modal.group(2).replace("♯", "#").replace("♭", "b")
        return pitch_class(tonic), " ".join(modal.group(3).lower().split()), tonic
    match = re.fullmatch(r"\s*([A-Ga-g])([#b♯♭]?)\s*(m|min|minor|maj|major)?\s*", text)
    if not match:
        raise ComposerError(f"cannot read key {text!r}; write it like 'D minor', 'Eb major', 'F#m' or 'D dorian'")
    tonic = match.group(1).upper() + match.group(2).replace("♯", "#").replace("♭", "b")
    mode = "minor" if (match.group(3) or "").startswith("m") and match.group(3) not in ("maj", "major") else "major"
    # a tonic without a key signature of its own (G# major, Db minor) takes its enharmonic (Ab major, C# minor)
    tonic = tonic_for_sharps(sharps_for_key(tonic, mode), mode)  # type: ignore[arg-type]
    return pitch_class(tonic), mode, tonic


def meter_tuple(meter: str | None) -> tuple[int, int] | None:
    if meter is None:
        return None
    numerator, denominator = (int(x) for x in meter.split("/"))
    return numerator, denominator


ROMAN_NUMERAL = re.compile(r"[b#]?(iii|ii|iv|vii|vi|v|i|III|II|IV|VII|VI|V|I)(o|ø|\+)?\d*")


def parse_chords(text: str, key: str | None = None) -> list[set[int]]:
    """"Am F C G7" (chord symbols) or "i iv V7 i" (Roman numerals in `key`, e.g. "D minor") -> the
    pitch classes of each bar's chord."""
    from music21 import harmony, roman

    chords = []
    for symbol in text.replace(",", " ").replace("|", " ").split():
        if ROMAN_NUMERAL.fullmatch(symbol) and key is None:
            raise ComposerError(f"Roman numeral chords like {symbol!r} need a key (--key)")
        try:
            if ROMAN_NUMERAL.fullmatch(symbol):
                assert key is not None
                tonic, mode = key.split(maxsplit=1)
                mode = mode_family(mode)
                tonic = tonic.replace("b", "-")
                numeral = roman.RomanNumeral(symbol, tonic if mode == "major" else tonic.lower())
                pitch_classes = {p.pitchClass for p in numeral.pitches}
            else:  # music21 writes flats as "-": Bb -> B-, Ebm7 -> E-m7
                chord = harmony.ChordSymbol(symbol[0] + symbol[1:].replace("b", "-", 1)
                                            if symbol[1:2] == "b" else symbol)
                pitch_classes = {p.pitchClass for p in chord.pitches}
        except Exception:
            pitch_classes = set()
        if not pitch_classes:
            raise ComposerError(f"cannot read chord {symbol!r}; write chord symbols like 'Am F C G7' or "
                                "Roman numerals like 'i iv V7 i'")
        chords.append(pitch_classes)
    if not chords:
        raise ComposerError("no chords given")
    return chords


def describe(prompt: str | None = None, *, image: str | Path | None = None,
             image_encoder: str | Path | None = None, key: str | None = None,
             tempo: float | None = None, meter: str | None = None, bars: int | None = None,
             instruments: str | Sequence[str | int] | None = None, chords: str | None = None,
             roles: str | dict[int, str] | None = None, seed: int | None = None, loop: bool = False) -> Resolved:
    """What a request resolves to, each value with its source, checked; loads no model. `roles`: "piano=comp,
    cello=bass" or {program: role} (composer.plan.roles); the rest from the prompt and the ensemble. Without
    chords, the harmony planner writes the chord plan (the same for the same prompt and seed)."""
    from composer.ask.resolve import resolve

    if key is not None:
        _, key_mode, key_tonic = parse_key(key)
        key = f"{key_tonic} {key_mode}"
    image_affect = image_band = None
    image_caption = ""
    if image is not None:
        from composer.ask.image import describe_image

        seen = describe_image(image, image_encoder)
        image_affect, image_band, image_caption = seen.affect, seen.band, seen.caption
    programs = instrument_programs(instruments)
    request = resolve(prompt, {"key": key, "tempo": tempo, "meter": meter, "bars": bars, "instruments": programs,
                               "chords": chords}, image_affect, image_band, image_caption, predict=predict_mood)
    if instruments is not None:
        request.names = instrument_names(instruments)
    if not 1 <= int(request["bars"]) <= MAX_BARS:
        raise ComposerError(f"bars must be 1-{MAX_BARS}, not {request['bars']}")
    if request["meter"] not in METERS:
        raise ComposerError(f"meter {request['meter']} is not one of {', '.join(METERS)}")
    if not 20 <= float(request["tempo"]) <= 400:
        raise ComposerError(f"tempo must be 20-400 bpm, not {request['tempo']}")
    parse_key(request["key"])
    if request["chords"]:
        parse_chords(request["chords"], request["key"])
    add_roles(request, prompt, roles)
    if not request["chords"]:
        add_harmony(request, prompt, seed, loop)
    return request


def add_harmony(request: Resolved, prompt: str | None, seed: int | None, loop: bool, draw: int = 0) -> None:
    """The chord plan (composer.plan.harmony) of a request without chords, shown as request["chord plan"].
    `draw` > 0: another plan for the same request (the sampler's, when the first is heard in another key)."""
    import random

    from composer.ask.resolve import Value
    from composer.plan.harmony import plan_harmony

    pc, mode, _ = parse_key(request["key"])
    meter = meter_tuple(request["meter"])
    assert meter is not None
    # str seeds hash stably (SHA-512), unlike hash()
    rng = random.Random(f"{prompt or ''}|{seed or 0}" + (f"|{draw}" if draw else ""))
    plan = plan_harmony(request["harmony"], pc, mode, int(request["bars"]), meter, rng=rng, loop=loop)
    request.harmony = plan
    again = "; drawn again: the first plan's notes were heard in another key" if draw else ""
    request.values["chord plan"] = Value(plan.describe(), "inferred", f"{request['harmony']} style, "
                                         f"{plan.slots} chord{'s' if plan.slots > 1 else ''} a bar at most{again}")


def predict_mood(prompt: str) -> Any:
    """The mood head's reading of a prompt the lexicon does not know (None without a shipped head)."""
    from composer.ask.head import load_head
    from composer.ask.text_encoder import prompt_embedding

    head = load_head()
    return head.predict(prompt_embedding(prompt)) if head is not None else None


def add_roles(request: Resolved, prompt: str | None, roles: str | dict[int, str] | None) -> None:
    """Set the request's voices (composer.core.voices: same-program parts kept apart, a melody keyboard's two
    hands) and each one's role, with where each came from; request["roles"] names them by track."""
    from composer.ask.resolve import Value
    from composer.core.gm import program_name
    from composer.core.instruments import DRUMS
    from composer.core.voices import label, voices_for
    from composer.decode.known import known_programs
    from composer.plan.roles import assign_roles, hands_for, parse_roles

    option = parse_roles(roles) if isinstance(roles, str) else roles
    known = known_programs()  # an instrument the model does not know is played as one it does
    voices = voices_for([p for p in request["instruments"] if p != DRUMS], request.names, known)
    real = {v.decode: v.program for v in voices}
    assigned = assign_roles([v.decode for v in voices], prompt, option, real, request["style"])
    voices, chosen = hands_for(voices, {p: role for p, (role, _, _) in assigned.items()}, known)
    for voice in voices:
        if voice.decode not in assigned:
            why = "its own bass line" if chosen[voice.decode] == "bass" else "the keyboard's left hand"
            assigned[voice.decode] = (chosen[voice.decode], "inferred", why)
    sources = {source for _, source, _ in assigned.values()}
    source = next(s for s in ("option", "text", "inferred") if s in sources) if sources else "inferred"
    value = {label(v): assigned[v.decode][0] for v in voices}
    detail = "; ".join(f"{label(v)}: {assigned[v.decode][1]}" + (f" ({assigned[v.decode][2]})"
                                                                  if assigned[v.decode][2] else "") for v in voices)
    played_as = [f"{label(v)} as {program_name(v.decode)}" for v in voices if v.decode != v.program]
    if played_as:  # the decode programs: stand-ins for a second voice or a hand, and instruments the model lacks
        detail += "; the model plays " + ", ".join(played_as)
    request.values["roles"] = Value(value, source, detail)
    request.voices = voices
    request.roles = {v.decode: assigned[v.decode][0] for v in voices}
