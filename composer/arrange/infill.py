"""Infill: regenerate a span of bars in a user's MIDI (all tracks or some), primed by the bars before it,
over the span's own harmony, leaving everything else as it was."""

from __future__ import annotations

import collections
import dataclasses
import re
import time
from pathlib import Path
from typing import Any

from composer.arrange.continuation import _key_of, _new_notes, _note_keys, _spell, context_before, window_of
from composer.constraints.given import ClosedContext, GivenParts, given_bars
from composer.constraints.state import Tracker
from composer.core.analysis import bar_chord, estimate_key
from composer.core.errors import ComposerError, EmptyScoreError
from composer.core.score import Note, Score, TimeSignature, Track
from composer.decode.controls import METERS, TEMPO_BINS, TEMPO_EDGES, bin_of, key_token, part_controls
from composer.decode.parts import score_roles

MAX_SPAN_BARS = 64
KEY_WINDOW_BARS = 2  # the span's key is analysed over the span and this many bars either side
MIN_KEY_NOTES = 12  # fewer notes than this around the span: the whole file's key is used


def parse_span(text: str) -> tuple[int, int]:
    """"5-8" -> (5, 8), "5" -> (5, 5): bars counted from 1, both ends included."""
    match = re.fullmatch(r"\s*(\d+)\s*(?:[-–:]\s*(\d+))?\s*", text)
    if not match:
        raise ComposerError(f"cannot read bars {text!r}; write a span like 5-8 (bars count from 1)")
    first = int(match.group(1))
    last = int(match.group(2) or first)
    if first < 1 or last < first:
        raise ComposerError(f"bars {text!r}: the span must run forwards from bar 1 or later, like 5-8")
    if last - first + 1 > MAX_SPAN_BARS:
        raise ComposerError(f"bars {text!r}: at most {MAX_SPAN_BARS} bars can be infilled at once")
    return first, last


def pick_tracks(score: Score, names: str | None) -> list[Track]:
    """The tracks named in `names` ("Piano, Strings"), or every track with notes. A name finds, case-insensitively
    and in this order: the tracks it names exactly, the tracks whose name holds it as a word ("piano" in
    "Acoustic Grand Piano"), the tracks whose GM program it names ("Lead 2 (sawtooth)" finds a track named
    "Lead Synth"), then the tracks of its GM family ("bass" finds "Electric Bass (finger)", "drums" the drum
    track)."""
    if not names:
        return [t for t in score.tracks if t.notes]
    chosen: list[Track] = []
    for name in (n.strip() for n in names.split(",") if n.strip()):
        found = _tracks_named(score, name)
        if not found:
            known = ", ".join(repr(t.name) for t in score.tracks) or "none"
            raise ComposerError(f"no track named {name!r}; the file's tracks are {known}")
        chosen += [t for t in found if all(t is not c for c in chosen)]
    return chosen


def _tracks_named(score: Score, name: str) -> list[Track]:
    from composer.core.gm import default_track_name
    from composer.core.instruments import DRUMS, instrument_programs

    wanted = name.lower()
    exact = [t for t in score.tracks if t.name.strip().lower() == wanted]
    if exact:
        return exact
    words = [t for t in score.tracks if re.search(rf"(?<![a-z0-9]){re.escape(wanted)}(?![a-z0-9])", t.name.lower())]
    if words:
        return words
    general = [t for t in score.tracks if default_track_name(t.program, t.is_drum).lower() == wanted]
    if general:
        return general
    try:
        programs = instrument_programs(name) or []
    except ComposerError:
        return []
    families = {p // 8 for p in programs if p != DRUMS}
    return [t for t in score.tracks if (t.is_drum and DRUMS in programs)
            or (not t.is_drum and t.program // 8 in families)]


def infill_score(score: Score, span: tuple[int, int], tracks: str | None = None, prompt: str | None = None, *,
                 seed: int | None = None, temperature: float = 1.0, top_p: float = 0.95, guidance: float = 1.0,
                 checkpoint: str | None = None,
                 registers: dict[int, tuple[str, tuple[int, int, int]]] | None = None) -> Any:
    """`score` with bars span[0]..span[1] of the chosen tracks regenerated.

    `registers` ({program: (role, (low, centre, high))}) gives a chosen part its role's register and
    texture (composer.add_part does, for the part it adds).

    Outside the span, and in tracks not chosen, every note and event is kept as it was. In the chosen
    tracks, notes that start inside the span are replaced; a note that starts before the span and sounds
    into it is cut at the span's start. New notes end by the span's end. The new bars follow the
    span's original harmony (one chord a bar, analysed from all tracks), so they lead into what follows.
    """
    from composer.arrange.piece import Piece
    from composer.arrange.span import decoded_copy, embed_caption, load_model, restore_programs, sample_checked
    from composer.constraints import ConstraintSpec
    from composer.decode.sampling import SamplingConfig

    if score.note_count == 0:
        raise EmptyScoreError("the file has no notes to infill")
    chosen = pick_tracks(score, tracks)
    if not chosen:
        raise EmptyScoreError("no track has notes to infill")
    picked = [i for i, t in enumerate(score.tracks) if any(t is c for c in chosen)]
    score, back = decoded_copy(score, checkpoint)  # instruments the model lacks are played as ones it knows
    chosen = [score.tracks[i] for i in picked]
    played = {real: decode for decode, real in back.items()}
    registers = {played.get(p, p): v for p, v in registers.items()} if registers else registers
    first, last = span
    starts = score.bar_starts(until_tick=max(score.length_ticks, score.end_tick))
    if last > len(starts):
        raise ComposerError(f"the file has {len(starts)} bars, so bars {first}-{last} are not all in it; "
                            "use `composer continue` to add bars")
    meter = _meter_at(score, starts[first - 1])
    meter_text = f"{meter.numerator}/{meter.denominator}"
    if meter_text not in METERS:
        raise ComposerError(f"cannot infill in {meter_text}; composer writes {', '.join(METERS)}")
    bar_ticks = meter.bar_ticks
    span_start = starts[first - 1]
    span_end = span_start + (last - first + 1) * bar_ticks
    if any(span_start < ts.tick < span_end for ts in score.time_signatures):
        raise ComposerError(f"bars {first}-{last} cross a change of meter; infill one meter at a time")
    tonic, mode = _span_key(score, span_start, span_end, bar_ticks)
    tempo = _tempo_at(score, span_start)
    programs = sorted({-1 if t.is_drum else t.program for t in chosen})
    started = time.perf_counter()
    model, tokenizer = load_model(checkpoint)
    condition = embed_caption(prompt) if prompt else None
    loaded = time.perf_counter()

    context = context_before(tokenizer, score, span_start, bar_ticks, window_start=max(meter.tick, 0))
    context_bars = context.count(tokenizer.token_id("Bar"))
    offset = span_start - context_bars * bar_ticks
    span_bars = last - first + 1
    chords = [bar_chord(score, span_start + i * bar_ticks, span_start + (i + 1) * bar_ticks) for i in range(span_bars)]
    known = [c for c in chords if c]
    off = {"cadence"} if span_end < score.end_tick else set()
    plan: list[set[int]] | None = None
    if known:  # a silent bar takes its neighbour's chord
        filled = [c or _nearest(chords, i) for i, c in enumerate(chords)]
        plan = [set() for _ in range(context_bars)] + filled
    else:
        off.add("harmony")
    given = given_parts(tokenizer, score, chosen, span_start, span_end)
    if given is not None:
        off.add("cadence")  # the given parts already carry the span's ending
    controls = [key_token(tonic, mode), f"Meter_{meter_text}", f"BPM_{bin_of(tempo, TEMPO_EDGES, TEMPO_BINS)}"]
    controls += part_controls(programs, {**score_roles(score), **{p: r for p, (r, _) in (registers or {}).items()}})
    prompt_ids = tokenizer.prefix(controls) + context
    spec = ConstraintSpec(bars=context_bars + span_bars, meter=(meter.numerator, meter.denominator),
                          key=(tonic, mode), programs=programs, real=back, chords=plan, off=off,
                          accompanied=given is not None,
                          roles={p: role for p, (role, _) in registers.items()} if registers else None,
                          registers={p: window for p, (_, window) in registers.items()} if registers else None)
    config = SamplingConfig(temperature=temperature, top_p=top_p, guidance=guidance, seed=seed,
                            max_tokens=span_bars * 512 + (given[1] if given else 0))
    before = collections.Counter(_note_keys(tokenizer.decode(context))) if context else collections.Counter()

    def new_music(generated: list[int]) -> Score:
        return _new_notes(tokenizer.decode(context + generated), before)

    extra: list[Any] = [ClosedContext(Tracker(tokenizer), context_bars)]  # the span starts at a new bar
    extra += [GivenParts(Tracker(tokenizer), given[0], context_bars + 1)] if given else []
    generated, new, processors, attempts = sample_checked(model, tokenizer, prompt_ids, condition, config, spec,
                                                          (tonic, mode), new_music, extra)
    sampled = time.perf_counter()
    out = restore_programs(_splice(score, chosen, new, offset, span_start, span_end), back)
    attributes = {"bars": {"value": f"{first}-{last}", "source": "option"},
                  "tracks": {"value": [t.name for t in chosen], "source": "option" if tracks else "file"},
                  "key": {"value": f"{_spell(tonic, mode)} {mode}", "source": "file",
                          "from": "key analysis around the span"},
                  "meter": {"value": meter_text, "source": "file"}, "tempo": {"value": tempo, "source": "file"},
                  "chords": {"value": [sorted(c) if c else None for c in chords], "source": "file",
                             "from": "the span's own harmony"},
                  "context": {"value": f"{context_bars} bars before the span ({len(context)} tokens)",
                              "source": "file"}}
    return Piece(out, attributes, len(generated), {"load": loaded - started, "sample": sampled - loaded,
                                                   "constraints": sum(f.seconds for f in processors),
                                                   "decode": time.perf_counter() - sampled}, attempts)


def infill_midi(path: str | Path, span: str | tuple[int, int], tracks: str | None = None,
                prompt: str | None = None, **options: Any) -> Any:
    """Bars `span` ("5-8" or (5, 8), from 1) of the MIDI file at `path` regenerated in `tracks` (names, default
    all), everything else kept note for note (infill_score's options); returns a Piece."""
    from composer.output.midi_io import read_midi

    return infill_score(read_midi(path), parse_span(span) if isinstance(span, str) else span, tracks, prompt,
                        **options)


def given_parts(tokenizer: Any, score: Score, chosen: list[Track], start: int, end: int) -> tuple[list, int] | None:
    """The span's notes of the pitched tracks not chosen (and not sharing a chosen program), as the bars
    composer.constraints.given forces into the new stream, and their token count; None when there are none.
    Drums are left out: the model never learned them."""
    chosen_ids, programs = {id(t) for t in chosen}, {t.program for t in chosen if not t.is_drum}
    others = [t for t in score.tracks if id(t) not in chosen_ids and not t.is_drum and t.program not in programs]
    window = window_of(Score(tracks=others, tempos=list(score.tempos), time_signatures=list(score.time_signatures)),
                       start, end)
    if window.note_count == 0:
        return None
    ids = tokenizer.encode(window)
    return given_bars([tokenizer.tokens[i] for i in ids], ids), len(ids)


def _meter_at(score: Score, tick: int) -> TimeSignature:
    meters = [ts for ts in sorted(score.time_signatures, key=lambda ts: ts.tick) if ts.tick <= tick]
    return meters[-1] if meters else TimeSignature(0, 4, 4)


def _tempo_at(score: Score, tick: int) -> float:
    tempos = [t for t in sorted(score.tempos, key=lambda t: t.tick) if t.tick <= tick]
    return tempos[-1].bpm if tempos else 120.0


def _span_key(score: Score, start: int, end: int, bar_ticks: int) -> tuple[int, str]:
    """The key around the span (music21's analysis of the notes near it), else the whole file's."""
    low, high = start - KEY_WINDOW_BARS * bar_ticks, end + KEY_WINDOW_BARS * bar_ticks
    near = window_of(score, max(low, 0), high, shift=False)
    if sum(len(t.notes) for t in near.tracks if not t.is_drum) >= MIN_KEY_NOTES:
        found = estimate_key(near)
        if found is not None:
            return found.tonic_pc, found.mode
    return _key_of(score)


def _nearest(chords: list[set[int] | None], index: int) -> set[int]:
    for distance in range(1, len(chords)):
        for j in (index - distance, index + distance):
            if 0 <= j < len(chords) and chords[j]:
                return chords[j]  # type: ignore[return-value]
    return set()


def _splice(score: Score, chosen: list[Track], new: Score, offset: int, span_start: int, span_end: int) -> Score:
    """A copy of `score` whose chosen tracks have their span replaced by `new`'s notes (moved by
    `offset`, each to the chosen track of its program nearest in register); the rest is untouched."""
    out = score.copy()
    chosen_ids = {id(t) for t in chosen}
    targets = [copy for original, copy in zip(score.tracks, out.tracks, strict=True) if id(original) in chosen_ids]
    centres = {id(t): sum(n.pitch for n in t.notes) / len(t.notes) for t in targets if t.notes}
    for track in targets:
        kept = []
        for note in track.notes:
            if span_start <= note.start < span_end:
                continue  # replaced
            if note.start < span_start < note.end:
                note = dataclasses.replace(note, end=span_start)  # sounded into the span
            kept.append(note)
        track.notes = kept
    for track in new.tracks:
        program = -1 if track.is_drum else track.program
        matching = [t for t in targets if (t.is_drum and program < 0) or (not t.is_drum and t.program == program)]
        if not matching:  # the instrument mask keeps to the chosen tracks' programs; never guess a track
            continue
        for note in track.notes:
            start, end = note.start + offset, min(note.end + offset, span_end)
            if not span_start <= start < span_end or end <= start:
                continue
            target = min(matching, key=lambda t: abs(centres.get(id(t), note.pitch) - note.pitch))
            target.notes.append(Note(note.pitch, start, end, note.velocity))
    for track in targets:
        track.notes.sort(key=lambda n: (n.start, n.pitch))
    return out
