"""compose(): options -> control prefix -> constrained sampling -> tokens -> Score -> Piece."""

from __future__ import annotations

import dataclasses
import functools
import random
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from composer.condition.resolve import Resolved
from composer.controls import (
    DENSITY_BINS,
    DENSITY_EDGES,
    DYNAMIC_BINS,
    DYNAMIC_EDGES,
    METERS,
    REGISTER_BINS,
    REGISTER_EDGES,
    TEMPO_BINS,
    TEMPO_EDGES,
    bin_of,
    key_token,
)
from composer.errors import ComposerError
from composer.gm import default_track_name
from composer.instruments import DRUMS, instrument_programs
from composer.score import TICKS_PER_BEAT, KeySignature, Marker, Score, TempoChange, TimeSignature, untangle_unisons
from composer.theory import pitch_class, sharps_for_key, tonic_for_sharps

MAX_BARS = 256
LOOP_START, LOOP_END = "loopStart", "loopEnd"  # marker names for loop points (what game engines and the renderer read)
PHRASE_BARS = 8  # without a form, the drums mark a phrase every this many bars (crash, fill before it)


@dataclass
class Piece:
    """A generated piece: the score, what was asked and resolved, and how long each stage took."""

    score: Score
    attributes: dict[str, Any]
    token_count: int = 0
    seconds: dict[str, float] = field(default_factory=dict)
    attempts: int = 1  # samples drawn: more than one when key analysis of the first disagreed with the key

    def save_midi(self, path: str | Path) -> Path:
        from composer.midi_io import write_midi

        return write_midi(self.score, path)

    def save_musicxml(self, path: str | Path) -> Path:
        from composer.musicxml_io import write_musicxml

        return write_musicxml(self.score, path)

    def render(self, path: str | Path, **options: Any) -> list[Path]:
        from composer.render import render_to_files

        return render_to_files(self.score, path, **options)

    def stems(self, folder: str | Path, audio: str | Path | None = None, **options: Any) -> list[Path]:
        """One audio file per track in `folder` (sample-aligned, same gain as the mix), and the mix too
        when `audio` is given."""
        from composer.render import render_to_files

        return render_to_files(self.score, audio, stems_dir=folder, **options)

    def piano_roll_png(self, path: str | Path) -> Path:
        from composer.pianoroll import save_piano_roll

        return save_piano_roll(self.score, path)


def parse_key(text: str) -> tuple[int, str, str]:
    """"Eb major", "F# minor", "F#m", "a minor" -> (pitch class, mode, tonic as written)."""
    match = re.fullmatch(r"\s*([A-Ga-g])([#b♯♭]?)\s*(m|min|minor|maj|major)?\s*", text)
    if not match:
        raise ComposerError(f"cannot read key {text!r}; write it like 'D minor', 'Eb major' or 'F#m'")
    tonic = match.group(1).upper() + match.group(2).replace("♯", "#").replace("♭", "b")
    mode = "minor" if (match.group(3) or "").startswith("m") and match.group(3) not in ("maj", "major") else "major"
    # a tonic without a key signature of its own (G# major, Db minor) takes its enharmonic (Ab major, C# minor)
    tonic = tonic_for_sharps(sharps_for_key(tonic, mode), mode)  # type: ignore[arg-type]
    return pitch_class(tonic), mode, tonic


@functools.cache
def _load(checkpoint: str | None) -> tuple[Any, Any]:
    from composer.checkpoint import load_shipped

    model, tokenizer, _ = load_shipped(checkpoint)
    return model, tokenizer


def _meter_tuple(meter: str | None) -> tuple[int, int] | None:
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
                tonic, mode = key.split()
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


def compose(prompt: str | None = None, *, image: str | Path | None = None,
            image_encoder: str | Path | None = None, key: str | None = None,
            tempo: float | None = None, meter: str | None = None, bars: int | None = None,
            instruments: str | Sequence[str | int] | None = None, chords: str | None = None,
            seed: int | None = None,
            temperature: float = 1.0, top_k: int = 0, top_p: float = 0.95, guidance: float = 1.0,
            constraints: bool = True, constraints_off: list[str] | None = None, chromatic: int = 0,
            loop: bool = False, form: str | None = None, checkpoint: str | None = None,
            draw: bool = False, draw_strength: float | None = None, draw_mode: str = "edges") -> Piece:
    """Generate a piece from a prompt, an image, options, or any mix (options win over the prompt).

    The resolved attributes become control tokens and constraint masks, and the prompt (with the
    image's description) conditions the decoder. Impossible requests raise ComposerError before the
    model loads. With `loop`, the last bar leads back into the first (IV V7 then the opening tonic,
    each part stepping back toward its first note) and loopStart/loopEnd markers frame the piece, which
    the renderer wraps into seamless audio. With `form` ("intro A B A outro"), sections are composed
    in turn (composer.arrange), repeats share their material, and a marker names each section.
    With `draw`, the image is also drawn in the piano roll (composer.draw: `draw_mode` edges, silhouette
    or tone; `draw_strength` trades likeness for musicality, None: the default).
    """
    options = dict(image=image, image_encoder=image_encoder, key=key, tempo=tempo, meter=meter, bars=bars,
                   instruments=instruments, chords=chords, seed=seed, temperature=temperature, top_k=top_k,
                   top_p=top_p, guidance=guidance, constraints=constraints, constraints_off=constraints_off,
                   chromatic=chromatic, loop=loop)
    if form is not None and draw:
        raise ComposerError("--draw draws one picture over one piece; leave out --form")
    if form is not None:
        from composer.arrange import compose_form

        return compose_form(prompt, form, checkpoint=checkpoint, **options)  # type: ignore[arg-type]
    plan = plan_request(prompt, **options, draw=draw, draw_strength=draw_strength,  # type: ignore[arg-type]
                        draw_mode=draw_mode)
    started = time.perf_counter()
    model, tokenizer = _load(checkpoint)
    condition = _embed(plan.request.caption) if plan.request.caption else None
    loaded = time.perf_counter()
    ids: list[int] = []
    processors: list[_Timed] = []
    score, attempts = Score(), 0
    if plan.pitched:
        prompt_ids = [tokenizer.bos_id] + [tokenizer.vocab[c] for c in plan.controls]
        ids, score, processors, attempts = sample_checked(model, tokenizer, prompt_ids, condition, plan.config,
                                                          plan.spec, plan.checked_key, tokenizer.decode)
    sampled = time.perf_counter()
    finish_score(score, plan, tuple(range(0, plan.bars, PHRASE_BARS)))
    return Piece(score, plan.request.as_json(), len(ids), {"load": loaded - started, "sample": sampled - loaded,
                                                           "constraints": sum(f.seconds for f in processors),
                                                           "decode": time.perf_counter() - sampled}, attempts)


@dataclass
class Plan:
    """A checked request, ready to sample: its control tokens, constraints and sampling settings."""

    prompt: str | None
    request: Resolved
    key: tuple[int, str, str]  # (tonic pitch class, mode, tonic as written)
    tempo: float
    meter: tuple[int, int]
    bars: int
    pitched: list[int]  # the programs the model plays (drums are arranged, composer.drums)
    controls: list[str]
    spec: Any  # composer.constraints.ConstraintSpec
    config: Any  # composer.generate.SamplingConfig
    verify: bool  # check the key of each sample (sample_checked)
    loop: bool

    @property
    def bar_ticks(self) -> int:
        return TICKS_PER_BEAT * 4 * self.meter[0] // self.meter[1]

    @property
    def checked_key(self) -> tuple[int, str] | None:
        return (self.key[0], self.key[1]) if self.verify else None


def plan_request(prompt: str | None = None, *, image: str | Path | None = None,
                 image_encoder: str | Path | None = None, key: str | None = None,
                 tempo: float | None = None, meter: str | None = None, bars: int | None = None,
                 instruments: str | Sequence[str | int] | None = None, chords: str | None = None,
                 seed: int | None = None,
                 temperature: float = 1.0, top_k: int = 0, top_p: float = 0.95, guidance: float = 1.0,
                 constraints: bool = True, constraints_off: list[str] | None = None, chromatic: int = 0,
                 loop: bool = False, draw: bool = False, draw_strength: float | None = None,
                 draw_mode: str = "edges") -> Plan:
    """Resolve and check a request (compose's arguments) into a Plan; loads no model."""
    from composer.constraints import SWITCHES, ConstraintSpec
    from composer.generate import SamplingConfig

    request = describe(prompt, image=image, image_encoder=image_encoder, key=key, tempo=tempo, meter=meter,
                       bars=bars, instruments=instruments, chords=chords)
    if draw:
        from composer.draw import draw_instruments

        draw_instruments(request, image)
    key, tempo, meter, bars = request["key"], float(request["tempo"]), request["meter"], int(request["bars"])
    programs: list[int] = request["instruments"]
    chords = request["chords"]
    try:
        config = SamplingConfig(temperature=temperature, top_k=top_k, top_p=top_p, guidance=guidance, seed=seed,
                                max_tokens=bars * 512)
    except ValueError as exc:
        raise ComposerError(str(exc)) from None
    unknown = sorted({name.strip() for name in constraints_off or ()} - set(SWITCHES))
    if unknown:
        raise ComposerError(f"unknown constraint switch {', '.join(unknown)}; known: {', '.join(SWITCHES)}")
    pc, mode, tonic = parse_key(key)
    chord_sets = parse_chords(chords, key) if chords else None
    pitched = sorted({p for p in programs if p != DRUMS})  # the model plays these; drums are arranged
    controls = [key_token(pc, mode), f"Meter_{meter}", f"BPM_{bin_of(tempo, TEMPO_EDGES, TEMPO_BINS)}"]
    controls += [f"Inst_{program}" for program in pitched]
    if request["velocity"] is not None:
        controls.append(f"Dynamic_{bin_of(request['velocity'], DYNAMIC_EDGES, DYNAMIC_BINS)}")
    if request["onsets_per_bar"] is not None:  # the model's density control counts notes a bar, all parts
        notes_per_bar = request["onsets_per_bar"] * min(max(len(pitched), 1), 3)
        controls.append(f"Density_{bin_of(notes_per_bar, DENSITY_EDGES, DENSITY_BINS)}")
    if request["centre_pitch"] is not None:
        controls.append(f"Register_{bin_of(request['centre_pitch'], REGISTER_EDGES, REGISTER_BINS)}")
    meter_tuple = _meter_tuple(meter)
    assert meter_tuple is not None
    spec = ConstraintSpec(bars=bars, meter=meter_tuple, key=(pc, mode),
                          programs=pitched, chords=chord_sets, chromatic_budget=chromatic,
                          centre_pitch=request["centre_pitch"], velocity=request["velocity"],
                          onsets_per_bar=request["onsets_per_bar"],
                          off={c.strip() for c in constraints_off or ()}, enabled=constraints, loop=loop)
    if draw:
        from composer.draw import add_drawing

        add_drawing(spec, image, pitched, request["centre_pitch"], draw_strength, draw_mode)
    verify = constraints and "key" not in spec.off and "verify" not in spec.off
    return Plan(prompt, request, (pc, mode, tonic), tempo, meter_tuple, bars, pitched, controls, spec, config,
                verify, loop)


def finish_score(score: Score, plan: Plan, sections: tuple[int, ...]) -> Score:
    """Give a sampled score the plan's tempo, meter, key, whole-bar length, track names and title, its drum
    part (crashes at the `sections`' first bars) and, for a loop, its loop markers."""
    if DRUMS in plan.request["instruments"]:
        from composer.drums import drum_track

        score.tracks.append(drum_track(plan.bars, plan.meter, plan.request["drum_style"],
                                       velocity=int(plan.request["velocity"] or 90), section_starts=sections))
    score.tempos = [TempoChange(0, plan.tempo)]
    score.time_signatures = [TimeSignature(0, *plan.meter)]
    score.length = plan.bars * plan.bar_ticks  # whole bars, even if the last ends in rests
    score.key_signatures = [KeySignature(0, plan.key[2], "minor" if plan.key[1] == "minor" else "major")]
    for track in score.tracks:
        track.name = default_track_name(track.program, track.is_drum)
    score.title = plan.prompt or "composer"
    if plan.loop:
        score.markers += [Marker(0, LOOP_START), Marker(score.length, LOOP_END)]
    return score


def sample_checked(model: Any, tokenizer: Any, prompt_ids: list[int], condition: Any, config: Any, spec: Any,
                   key: tuple[int, str] | None, music: Callable[[list[int]], Score],
                   ) -> tuple[list[int], Score, list[_Timed], int]:
    """Sample under `spec`'s constraints; with a `key`, sample again (derived seeds, up to KEY_ATTEMPTS)
    while music21's default key analysis of `music(ids)` disagrees with it (in the first
    BOTH_ANALYSES_ATTEMPTS samples, while either analysis does), keeping the best. Returns the ids,
    their music, the timed filters of every attempt and the number of attempts."""
    from composer.constraints import build_constraints
    from composer.generate import sample

    base_seed = config.seed if config.seed is not None else random.randrange(2**31)
    best: tuple[tuple[bool, ...], list[int], Score] | None = None
    processors: list[_Timed] = []
    attempts = 0
    for attempt in range(KEY_ATTEMPTS if key else 1):
        attempts += 1
        attempt_processors = [_Timed(f) for f in build_constraints(tokenizer, spec)]
        processors += attempt_processors
        ids = sample(model, prompt_ids, condition, dataclasses.replace(config, seed=base_seed + 1_000_003 * attempt),
                     processors=attempt_processors, stop_ids=[tokenizer.eos_id], null_prompt=[tokenizer.bos_id])
        candidate = untangle_unisons(music(ids))
        agreeing = _key_agreement(candidate, *key) if key else (False, False)
        if best is None or agreeing > best[0]:
            best = (agreeing, ids, candidate)
        default_agrees, both_agree = agreeing[0], all(agreeing)
        if not key or both_agree or (default_agrees and attempt + 1 >= BOTH_ANALYSES_ATTEMPTS):
            break
    assert best is not None
    return best[1], best[2], processors, attempts


KEY_ANALYSES = ("key", "Krumhansl")  # music21's default (Aarden-Essen) first, then Krumhansl-Schmuckler
KEY_ATTEMPTS = 6  # samples at most, until music21's default analysis finds the key
BOTH_ANALYSES_ATTEMPTS = 1  # within these, both analyses must agree; after them the default one is enough


def _key_agreement(score: Score, tonic: int, mode: str) -> tuple[bool, ...]:
    """Whether each of music21's key analyses (run on the score itself) finds the key asked for."""
    from composer.analysis import estimate_key

    found = [estimate_key(score, method) for method in KEY_ANALYSES]
    return tuple(k is not None and (k.tonic_pc, k.mode) == (tonic, mode) for k in found)


def describe(prompt: str | None = None, *, image: str | Path | None = None,
             image_encoder: str | Path | None = None, key: str | None = None,
             tempo: float | None = None, meter: str | None = None, bars: int | None = None,
             instruments: str | Sequence[str | int] | None = None, chords: str | None = None) -> Resolved:
    """What a request resolves to, each value with its source, checked; loads no model."""
    from composer.condition.resolve import resolve

    if key is not None:
        _, key_mode, key_tonic = parse_key(key)
        key = f"{key_tonic} {key_mode}"
    image_affect = image_band = None
    image_caption = ""
    if image is not None:
        from composer.condition.image import describe_image

        seen = describe_image(image, image_encoder)
        image_affect, image_band, image_caption = seen.affect, seen.band, seen.caption
    programs = instrument_programs(instruments)
    request = resolve(prompt, {"key": key, "tempo": tempo, "meter": meter, "bars": bars, "instruments": programs,
                               "chords": chords}, image_affect, image_band, image_caption, predict=_predict_mood)
    if not 1 <= int(request["bars"]) <= MAX_BARS:
        raise ComposerError(f"bars must be 1-{MAX_BARS}, not {request['bars']}")
    if request["meter"] not in METERS:
        raise ComposerError(f"meter {request['meter']} is not one of {', '.join(METERS)}")
    if not 20 <= float(request["tempo"]) <= 400:
        raise ComposerError(f"tempo must be 20-400 bpm, not {request['tempo']}")
    parse_key(request["key"])
    if request["chords"]:
        parse_chords(request["chords"], request["key"])
    return request


@functools.lru_cache(maxsize=32)
def _embedding(text: str) -> Any:
    from composer.condition.text_encoder import embed_texts

    return embed_texts([text])[0]


def _embed(caption: str) -> Any:
    import torch

    return torch.from_numpy(_embedding(caption)).float()


def _predict_mood(prompt: str) -> Any:
    """The mood head's reading of a prompt the lexicon does not know (None without a shipped head)."""
    from composer.condition.head import load_head

    head = load_head()
    return head.predict(_embedding(prompt)) if head is not None else None


class _Timed:
    """A logits processor that adds up the time it spends (the constraints' share of sampling)."""

    def __init__(self, inner: Callable[[Any, Any], Any]) -> None:
        self.inner, self.seconds = inner, 0.0

    def __call__(self, input_ids: Any, scores: Any) -> Any:
        started = time.perf_counter()
        try:
            return self.inner(input_ids, scores)
        finally:
            self.seconds += time.perf_counter() - started
