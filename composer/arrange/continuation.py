"""Continue a user's MIDI: keep every track, program, key, tempo and meter, and append bars that follow on,
primed by the tokens of the file's last bars."""

from __future__ import annotations

import collections
import time
from pathlib import Path
from typing import Any

from composer.core.errors import ComposerError, EmptyScoreError
from composer.core.score import TICKS_PER_BEAT, Note, Score, TempoChange, TimeSignature, Track
from composer.decode.controls import METERS, TEMPO_BINS, TEMPO_EDGES, bin_of, key_token, part_controls
from composer.decode.parts import score_roles

CONTEXT_TOKENS = 240  # the priming window: whole bars from the end, within the model's 256-token block
MAX_NEW_BARS = 256


def _key_of(score: Score) -> tuple[int, str]:
    """The key music21's analysis finds in the file's notes (what a listener's analysis will compare the
    continuation with); its key signature only when it has no pitched notes to analyse."""
    from composer.core.analysis import estimate_key
    from composer.core.theory import pitch_class

    found = estimate_key(score)
    if found is not None:
        return found.tonic_pc, found.mode
    if score.key_signatures:
        first = score.key_signatures[0]
        return pitch_class(first.tonic), first.mode
    raise EmptyScoreError("the file has no pitched notes to continue")


def _context(ids: list[int], bar_id: int) -> tuple[list[int], int]:
    """The last whole bars of `ids` that fit CONTEXT_TOKENS, and how many bars were dropped before them."""
    bars = [i for i, token in enumerate(ids) if token == bar_id]
    if not bars:
        raise EmptyScoreError("the file has no bars to continue")
    for dropped, start in enumerate(bars):
        if len(ids) - start <= CONTEXT_TOKENS:
            return ids[start:], dropped
    return ids[bars[-1]:][-CONTEXT_TOKENS:], len(bars) - 1


def context_before(tokenizer: Any, score: Score, start: int, bar_ticks: int, window_start: int = 0,
                   ) -> list[int]:
    """The priming tokens for music that begins at tick `start` (a barline): the last whole bars before
    it that fit CONTEXT_TOKENS, from `score`'s notes in [window_start, start) cut at `start`, with a Bar
    token for every bar up to `start`, rests included. The new music's first bar then follows the
    context's last Bar, at `start`, so it begins at start - (Bar tokens in the context) * bar_ticks."""
    window = window_of(score, window_start, start)
    ids = tokenizer.encode(window) if window.note_count else []
    bar_id = tokenizer.token_id("Bar")
    if bar_id not in ids:
        return []
    context, dropped = _context(ids, bar_id)
    bars_before = (start - window_start) // bar_ticks
    return context + [bar_id] * (bars_before - dropped - context.count(bar_id))


def window_of(score: Score, start: int, end: int, shift: bool = True) -> Score:
    """The notes that start in [start, end), cut at `end`, moved to start at tick 0 (when `shift`)."""
    move = start if shift else 0
    tracks = []
    for track in score.tracks:
        notes = [Note(n.pitch, n.start - move, min(n.end, end) - move, n.velocity)
                 for n in track.notes if start <= n.start < end]
        if notes:
            tracks.append(Track(track.name, track.program, is_drum=track.is_drum, notes=notes))
    tempos = [TempoChange(max(t.tick - move, 0), t.bpm) for t in score.tempos if t.tick < end]
    tempos = tempos or [TempoChange(0, 120.0)]
    meters = [TimeSignature(max(t.tick - move, 0), t.numerator, t.denominator)
              for t in score.time_signatures if t.tick < end]
    return Score(tracks=tracks, tempos=tempos[-1:] if shift else tempos,
                 time_signatures=meters[-1:] if shift else meters)


def continue_score(score: Score, bars: int, prompt: str | None = None, *, seed: int | None = None,
                   temperature: float = 1.0, top_p: float = 0.95, guidance: float = 1.0,
                   checkpoint: str | None = None) -> Any:
    """`score` with `bars` new bars appended; its own tracks and notes are kept untouched."""
    from composer.arrange.piece import Piece
    from composer.arrange.span import decoded_copy, embed_caption, load_model, restore_programs, sample_checked
    from composer.constraints import ConstraintSpec, Tracker
    from composer.constraints.given import ClosedContext
    from composer.decode.sampling import SamplingConfig

    if not 1 <= bars <= MAX_NEW_BARS:
        raise ComposerError(f"bars must be 1-{MAX_NEW_BARS}, not {bars}")
    if score.note_count == 0:
        raise EmptyScoreError("the file has no notes to continue")
    meter = score.time_signatures[-1] if score.time_signatures else None
    meter_text = f"{meter.numerator}/{meter.denominator}" if meter else "4/4"
    if meter_text not in METERS:
        raise ComposerError(f"cannot continue in {meter_text}; composer writes {', '.join(METERS)}")
    numerator, denominator = (int(x) for x in meter_text.split("/"))
    tonic, mode = _key_of(score)
    tempo = score.tempos[-1].bpm if score.tempos else 120.0
    user_programs = sorted({-1 if t.is_drum else t.program for t in score.tracks if t.notes})
    score, back = decoded_copy(score, checkpoint)  # instruments the model lacks are played as ones it knows
    programs = sorted({-1 if t.is_drum else t.program for t in score.tracks if t.notes})
    started = time.perf_counter()
    model, tokenizer = load_model(checkpoint)
    condition = embed_caption(prompt) if prompt else None
    loaded = time.perf_counter()
    ids = tokenizer.encode(score)
    context, dropped = _context(ids, tokenizer.token_id("Bar"))
    context_bars = context.count(tokenizer.token_id("Bar"))
    controls = [key_token(tonic, mode), f"Meter_{meter_text}", f"BPM_{bin_of(tempo, TEMPO_EDGES, TEMPO_BINS)}"]
    controls += part_controls(programs, score_roles(score))
    prompt_ids = tokenizer.prefix(controls) + context
    spec = ConstraintSpec(bars=context_bars + bars, meter=(numerator, denominator), key=(tonic, mode),
                          programs=programs, real=back)
    config = SamplingConfig(temperature=temperature, top_p=top_p, guidance=guidance, seed=seed,
                            max_tokens=bars * 512)
    before = collections.Counter(_note_keys(tokenizer.decode(context)))

    def new_music(generated: list[int]) -> Score:
        return _new_notes(tokenizer.decode(context + generated), before)

    closed = [ClosedContext(Tracker(tokenizer), context_bars)]  # the new music starts at a new bar
    generated, new, processors, attempts = sample_checked(model, tokenizer, prompt_ids, condition, config, spec,
                                                          (tonic, mode), new_music, extra=closed)
    sampled = time.perf_counter()
    bar_ticks = TICKS_PER_BEAT * 4 * numerator // denominator
    offset = _bar_start(score, dropped, bar_ticks)
    out = score.copy()
    centres = {id(t): sum(n.pitch for n in t.notes) / len(t.notes) for t in out.tracks if t.notes}
    added: dict[int, list] = collections.defaultdict(list)
    for track in new.tracks:
        for note in track.notes:
            target = _track_for(out, -1 if track.is_drum else track.program, note.pitch, centres)
            added[id(target)].append(note.shifted(offset))
    for target in out.tracks:
        if added[id(target)]:
            target.notes = sorted([*target.notes, *added[id(target)]], key=lambda n: (n.start, n.pitch))
    out.length = offset + (context_bars + bars) * bar_ticks
    restore_programs(out, back)
    attributes = {"bars": {"value": bars, "source": "option"},
                  "key": {"value": f"{_spell(tonic, mode)} {mode}", "source": "file", "from": "key analysis"},
                  "meter": {"value": meter_text, "source": "file"}, "tempo": {"value": tempo, "source": "file"},
                  "instruments": {"value": user_programs, "source": "file"},
                  "context": {"value": f"the last {context_bars} bars ({len(context)} tokens)", "source": "file"}}
    return Piece(out, attributes, len(generated), {"load": loaded - started, "sample": sampled - loaded,
                                                   "constraints": sum(f.seconds for f in processors),
                                                   "decode": time.perf_counter() - sampled}, attempts)


def continue_midi(path: str | Path, bars: int, prompt: str | None = None, **options: Any) -> Any:
    """`bars` new bars after the MIDI file at `path`, its tracks kept note for note (continue_score's options:
    seed, temperature, top_p, guidance, checkpoint); returns a Piece."""
    from composer.output.midi_io import read_midi

    return continue_score(read_midi(path), bars, prompt, **options)


def _note_keys(score: Score) -> list[tuple[int, int, int, int, bool]]:
    return [(t.program, n.pitch, n.start, n.end, t.is_drum) for t in score.tracks for n in t.notes]


def _new_notes(decoded: Score, before: collections.Counter) -> Score:
    """The notes of `decoded` that the context alone did not have, as a Score of the same tracks."""
    left = before.copy()
    tracks = []
    for track in decoded.tracks:
        kept = []
        for note in track.notes:
            key = (track.program, note.pitch, note.start, note.end, track.is_drum)
            if left[key] > 0:
                left[key] -= 1
            else:
                kept.append(note)
        if kept:
            tracks.append(Track(track.name, track.program, is_drum=track.is_drum, notes=kept))
    return Score(tracks=tracks, tempos=decoded.tempos, time_signatures=decoded.time_signatures)


def _bar_start(score: Score, bar_index: int, bar_ticks: int) -> int:
    starts = score.bar_starts(until_tick=score.length_ticks + bar_ticks * (bar_index + 1))
    return starts[bar_index] if bar_index < len(starts) else bar_index * bar_ticks


def _track_for(score: Score, program: int, pitch: int, centres: dict[int, float]) -> Track:
    """The user's track for a new note: one with its program, the nearest in register when several
    share it (the four voices of a chorale on one piano program)."""
    matching = [t for t in score.tracks
                if (t.is_drum and program < 0) or (not t.is_drum and t.program == program)]
    if matching:
        return min(matching, key=lambda t: abs(centres.get(id(t), pitch) - pitch))
    from composer.core.gm import default_track_name

    track = Track(default_track_name(max(program, 0), program < 0), max(program, 0), is_drum=program < 0)
    score.tracks.append(track)
    return track


def _spell(tonic: int, mode: str) -> str:
    from composer.core.theory import PITCH_CLASS_NAMES_SHARP, sharps_for_key, tonic_for_sharps

    return tonic_for_sharps(sharps_for_key(PITCH_CLASS_NAMES_SHARP[tonic], mode), mode)  # type: ignore[arg-type]
