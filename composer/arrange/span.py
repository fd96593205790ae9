"""One span sampled under a plan: the model loaded once, constrained sampling with the key check, the score finished."""

from __future__ import annotations

import dataclasses
import functools
import random
import time
from collections.abc import Callable, Sequence
from typing import Any

from composer.arrange.piece import Piece
from composer.core.gm import default_track_name
from composer.core.instruments import DRUMS
from composer.core.score import KeySignature, Marker, Score, TempoChange, TimeSignature, Track, untangle_unisons
from composer.core.theory import mode_family
from composer.core.voices import Voice
from composer.plan.spec import Plan, can_replan, replanned

LOOP_START, LOOP_END = "loopStart", "loopEnd"  # marker names for loop points (what game engines and the renderer read)
PHRASE_BARS = 8  # without a form, the drums mark a phrase every this many bars (crash, fill before it)


@functools.cache
def load_model(checkpoint: str | None) -> tuple[Any, Any]:
    """The shipped (or named) model and tokenizer, loaded once per process."""
    from composer.decode.checkpoint import load_shipped

    model, tokenizer, _ = load_shipped(checkpoint)
    return model, tokenizer


def embed_caption(caption: str) -> Any:
    """The text condition for the decoder: the caption's embedding as a float tensor."""
    import torch

    from composer.ask.text_encoder import prompt_embedding

    return torch.from_numpy(prompt_embedding(caption)).float()


def compose_span(plan: Plan, checkpoint: str | None = None) -> Piece:
    """Sample the plan's bars (its pitched parts under its constraints), finish the score and time each stage."""
    started = time.perf_counter()
    model, tokenizer = load_model(checkpoint)
    condition = embed_caption(plan.request.caption) if plan.request.caption else None
    loaded = time.perf_counter()
    ids: list[int] = []
    processors: list[TimedProcessor] = []
    score, attempts = Score(), 0
    if plan.pitched:
        prompt_ids = tokenizer.prefix(plan.controls)
        key = plan.checked_key
        replannable = key is not None and can_replan(plan)
        ids, score, processors, attempts = sample_checked(model, tokenizer, prompt_ids, condition, plan.config,
                                                          plan.spec, key, tokenizer.decode,
                                                          tries=REPLAN_AFTER if replannable else KEY_ATTEMPTS)
        heard = _key_agreement(score, *key) if key is not None and replannable else None
        other = replanned(plan) if heard is not None and not heard[0] else None  # the plan, not the notes
        if other is not None and key is not None and heard is not None:  # it takes the other samples
            first = 0
            if _margin(other) <= _margin(plan):  # no other plan sounds more in key: this one's next samples
                other, first = plan, REPLAN_AFTER
            ids2, score2, more, tries = sample_checked(model, tokenizer, prompt_ids, condition, other.config,
                                                       other.spec, key, tokenizer.decode,
                                                       tries=KEY_ATTEMPTS - REPLAN_AFTER, first_attempt=first)
            processors, attempts = processors + more, attempts + tries
            if _key_agreement(score2, *key) > heard:
                plan, ids, score = other, ids2, score2
    sampled = time.perf_counter()
    finish_score(score, plan, tuple(range(0, plan.bars, PHRASE_BARS)))
    return Piece(score, plan.request.as_json(), len(ids), {"load": loaded - started, "sample": sampled - loaded,
                                                           "constraints": sum(f.seconds for f in processors),
                                                           "decode": time.perf_counter() - sampled}, attempts)


def finish_score(score: Score, plan: Plan, sections: tuple[int, ...]) -> Score:
    """Give a sampled score the plan's tempo, meter, key, whole-bar length, track names and title, its drum
    part (crashes at the `sections`' first bars) and, for a loop, its loop markers."""
    write_voices(score, plan.request.voices)
    if DRUMS in plan.request["instruments"]:
        from composer.arrange.drums import drum_track

        score.tracks.append(drum_track(plan.bars, plan.meter, plan.request["drum_style"],
                                       velocity=int(plan.request["velocity"] or 90), section_starts=sections))
    score.tempos = [TempoChange(0, plan.tempo)]
    score.time_signatures = [TimeSignature(0, *plan.meter)]
    score.length = plan.bars * plan.bar_ticks  # whole bars, even if the last ends in rests
    score.key_signatures = [KeySignature.of_key(0, plan.key[2], plan.key[1])]
    score.title = plan.prompt or "composer"
    if plan.loop:
        score.markers += [Marker(0, LOOP_START), Marker(score.length, LOOP_END)]
    return score


def write_voices(score: Score, voices: list[Voice]) -> None:
    """Sampled tracks (one per decode program) as the voices they are, in the order asked for (score order):
    their real programs and names ("Violin II"), a keyboard's left hand joined to its right hand's track."""
    by_decode = {v.decode: v for v in voices}
    order = [v.decode for v in voices]
    score.tracks.sort(key=lambda t: order.index(t.program) if t.program in order else len(order))
    kept: list[Track] = []
    for track in score.tracks:
        voice = by_decode.get(-1 if track.is_drum else track.program)
        if voice is None:
            track.name = default_track_name(track.program, track.is_drum)
            kept.append(track)
            continue
        track.name, track.program = voice.name, voice.program
        hand = next((t for t in kept if voice.hand == "left" and t.name == voice.name and not t.is_drum), None)
        if hand is None:
            kept.append(track)
        else:
            hand.notes = sorted([*hand.notes, *track.notes], key=lambda n: (n.start, n.pitch))
    score.tracks[:] = kept


def decoded_copy(score: Score, checkpoint: str | None) -> tuple[Score, dict[int, int]]:
    """A copy of a user's score whose instruments the model does not know are played as known ones like them
    (composer.core.voices.played_as), and the map back: decode program -> the file's program."""
    from composer.core.voices import played_as
    from composer.decode.known import known_programs

    played = played_as({t.program for t in score.tracks if not t.is_drum}, known_programs(checkpoint))
    copy = score.copy()
    for track in copy.tracks:
        if not track.is_drum:
            track.program = played.get(track.program, track.program)
    return copy, {decode: real for real, decode in played.items()}


def restore_programs(score: Score, back: dict[int, int]) -> Score:
    """`score` (in place) with each decode program back to the file's own (decoded_copy's map)."""
    for track in score.tracks:
        if not track.is_drum:
            track.program = back.get(track.program, track.program)
    return score


def sample_checked(model: Any, tokenizer: Any, prompt_ids: list[int], condition: Any, config: Any, spec: Any,
                   key: tuple[int, str] | None, music: Callable[[list[int]], Score], extra: Sequence[Any] = (),
                   tries: int | None = None,
                   first_attempt: int = 0) -> tuple[list[int], Score, list[TimedProcessor], int]:
    """Sample under `spec`'s constraints; with a `key`, sample again (derived seeds, up to KEY_ATTEMPTS)
    while music21's default key analysis of `music(ids)` disagrees with it (in the first
    BOTH_ANALYSES_ATTEMPTS samples, while either analysis does), keeping the best. `extra` filters run
    after the constraints' (composer.constraints.given's forced parts); `first_attempt` goes on from the samples
    drawn before (their seeds and leaning are not drawn again). Returns the ids,
    their music, the timed filters of every attempt and the number of attempts."""
    from composer.constraints import build_constraints
    from composer.decode.sampling import sample

    base_seed = config.seed if config.seed is not None else random.randrange(2**31)
    best: tuple[tuple[bool, ...], list[int], Score] | None = None
    processors: list[TimedProcessor] = []
    attempts = 0
    for attempt in range(first_attempt, first_attempt + ((tries or KEY_ATTEMPTS) if key else 1)):
        attempts += 1
        # each sample after one heard in another key leans harder on the key's tonal hierarchy and pulls in
        # the scale degrees left short
        leaning = dataclasses.replace(spec, tonal_strength=spec.tonal_strength * (1 + KEY_LEAN * attempt),
                                      tonal_deficit=KEY_DEFICIT * attempt)
        attempt_processors = [TimedProcessor(f) for f in [*build_constraints(tokenizer, leaning), *extra]]
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
REPLAN_AFTER = 3  # samples of the first chord plan before another plan takes the rest (compose_span)
BOTH_ANALYSES_ATTEMPTS = 1  # within these, both analyses must agree; after them the default one is enough
KEY_LEAN = 1.0  # attempt k (from 0) samples with the tonal bias at (1 + KEY_LEAN * k) times its strength
KEY_DEFICIT = 1.0  # and with KEY_DEFICIT * k pulling in its short scale degrees


def _margin(plan: Plan) -> float:
    """How much more the plan's chords alone sound in its key than in any other (composer.plan.harmony)."""
    from composer.plan.harmony import key_margin

    return key_margin(plan.request.harmony, plan.key[0], plan.key[1])


def _key_agreement(score: Score, tonic: int, mode: str) -> tuple[bool, ...]:
    """Whether each of music21's key analyses (run on the score itself) finds the key asked for. The analyses
    know major and minor only, so a mode is found when they hear its tonic in its family (D mixolydian as D
    major, not as G major, the key of its notes); before, no sample of a mode could agree and all six were
    drawn, the first kept whatever it was heard in."""
    from composer.core.analysis import estimate_key

    found = [estimate_key(score, method) for method in KEY_ANALYSES]
    return tuple(k is not None and (k.tonic_pc, k.mode) == (tonic, mode_family(mode)) for k in found)


class TimedProcessor:
    """A logits processor that adds up the time it spends (the constraints' share of sampling)."""

    def __init__(self, inner: Callable[[Any, Any], Any]) -> None:
        self.inner, self.seconds = inner, 0.0
        if hasattr(inner, "structure"):  # a filter that claims structural steps (chord tokens) keeps doing so
            self.structure = inner.structure

    def __call__(self, input_ids: Any, scores: Any) -> Any:
        started = time.perf_counter()
        try:
            return self.inner(input_ids, scores)
        finally:
            self.seconds += time.perf_counter() - started
