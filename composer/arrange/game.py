"""Game cues: stingers that resolve to a piece's tonic, bridges from one piece into another, and cue
sheets scored as one continuous piece whose scenes land on bar lines."""

from __future__ import annotations

import dataclasses
import math
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from composer.core.errors import ComposerError
from composer.core.instruments import DRUMS
from composer.core.score import TICKS_PER_BEAT, KeySignature, Marker, Score, TempoChange, TimeSignature

MAX_PARTS = 4  # a cue borrows at most this many of a piece's instruments


@dataclass(frozen=True)
class PieceFacts:
    """What a cue needs from an existing piece: its key (analysed), tempo, meter and instruments."""

    key: str  # "D minor"
    tempo: float
    meter: tuple[int, int]
    programs: list[int]

    @classmethod
    def of(cls, score: Score, at_end: bool = False) -> PieceFacts:
        from composer.arrange.continuation import _key_of, _spell

        if score.note_count == 0:
            raise ComposerError("the piece has no notes to take a key from")
        tonic, mode = _key_of(score)
        tempos = sorted(score.tempos, key=lambda t: t.tick) or [TempoChange(0, 120.0)]
        meters = sorted(score.time_signatures, key=lambda m: m.tick) or [TimeSignature(0, 4, 4)]
        meter = meters[-1] if at_end else meters[0]
        counts: dict[int, int] = {}
        for track in score.tracks:
            program = DRUMS if track.is_drum else track.program
            counts[program] = counts.get(program, 0) + len(track.notes)
        pitched = sorted((p for p in counts if p != DRUMS and counts[p]), key=lambda p: -counts[p])[:MAX_PARTS]
        return cls(f"{_spell(tonic, mode)} {mode}", (tempos[-1] if at_end else tempos[0]).bpm,
                   (meter.numerator, meter.denominator), pitched or [0])

    @property
    def meter_text(self) -> str:
        return f"{self.meter[0]}/{self.meter[1]}"


def _read(source: str | Path | Score) -> Score:
    from composer.output.midi_io import read_midi

    return source if isinstance(source, Score) else read_midi(source)


def stinger(to: str | Path | Score, prompt: str | None = None, *, bars: int = 2, seed: int | None = None,
            sync: str = "bar", checkpoint: str | None = None) -> Any:
    """A 1-2 bar cue in the piece's key, tempo, meter and instruments that resolves to its tonic (V7 I, or
    a tonic bar when one bar), for playing over the piece on its next beat or bar line, or at one of its
    markers (`sync`: "beat", "bar" or "marker:NAME"). The sync is a marker at the stinger's start, which
    the rendered sidecar gives as a structured `sync` object."""
    from composer.arrange.span import compose_span
    from composer.output.sidecar import parse_sync, stinger_marker
    from composer.plan.spec import plan_request

    if bars not in (1, 2):
        raise ComposerError(f"a stinger is 1 or 2 bars, not {bars}")
    _, marker = parse_sync(sync)  # refuses anything but beat, bar or marker:NAME
    source = _read(to)
    if marker is not None and marker not in {m.text for m in source.markers}:
        names = ", ".join(sorted({m.text for m in source.markers})) or "none"
        raise ComposerError(f"the piece has no marker {marker!r} to sync to (its markers: {names})")
    facts = PieceFacts.of(source)
    minor = facts.key.endswith("minor")
    chords = ("i" if minor else "I") if bars == 1 else ("V7 i" if minor else "V7 I")
    plan = plan_request(prompt or "a short stinger", key=facts.key, tempo=facts.tempo, meter=facts.meter_text,
                        bars=bars, instruments=facts.programs, chords=chords, seed=seed)
    piece = compose_span(plan, checkpoint)
    piece.score.markers.append(Marker(0, stinger_marker(sync)))
    piece.attributes["cue"] = {"value": {"kind": "stinger", "sync": sync, "resolves_to": facts.key},
                               "source": "file", "from": str(to) if not isinstance(to, Score) else "score"}
    return piece


def transition(a: str | Path | Score, b: str | Path | Score, prompt: str | None = None, *, bars: int = 2,
               seed: int | None = None, checkpoint: str | None = None) -> Any:
    """A bridge from the end of `a` into the start of `b`: its first half in a's key and instruments,
    following on from a's last bars; its second half in b's instruments on b's ii-V7, so that b's first
    bar resolves it; the tempo glides beat by beat from a's to b's."""
    from composer.arrange.forms import _triad, dominant_seventh, sample_section
    from composer.arrange.piece import Piece
    from composer.arrange.span import embed_caption, load_model
    from composer.plan.spec import plan_request

    if not 2 <= bars <= 8:
        raise ComposerError(f"a transition is 2-8 bars, not {bars}")
    score_a, score_b = _read(a), _read(b)
    start_facts, end_facts = PieceFacts.of(score_a, at_end=True), PieceFacts.of(score_b)
    meter = start_facts.meter
    first, second = (bars + 1) // 2, bars // 2
    plans = [plan_request(prompt, key=facts.key, tempo=facts.tempo, meter=start_facts.meter_text, bars=count,
                          instruments=facts.programs, seed=seed)
             for facts, count in ((start_facts, first), (end_facts, second))]
    started = time.perf_counter()
    model, tokenizer = load_model(checkpoint)
    condition = embed_caption(plans[0].request.caption) if plans[0].request.caption else None
    loaded = time.perf_counter()
    bar_ticks = TICKS_PER_BEAT * 4 * meter[0] // meter[1]
    work = score_a.copy()
    start = math.ceil(work.length_ticks / bar_ticks) * bar_ticks
    window = max((m.tick for m in work.time_signatures), default=0)
    tokens = attempts = 0
    for half, (plan, count) in enumerate(zip(plans, (first, second), strict=True)):
        tonic, mode = plan.key[0], plan.key[1]
        if half == 0:  # I (IV): still at home in A
            chords = [_triad(tonic, mode, 0), _triad(tonic, mode, 5)][:count]
        else:  # (ii) V7 of B
            chords = [_triad(tonic, mode, 2), dominant_seventh(tonic, mode)][-count:]
        spec = dataclasses.replace(plan.spec, off=set(plan.spec.off) | {"cadence"})
        used, tries, _ = sample_section(model, tokenizer, work, start + half * first * bar_ticks, count, spec, chords,
                                        plan.controls, condition, plan.config, None, window_start=window)
        tokens, attempts = tokens + used, attempts + tries
    sampled = time.perf_counter()
    bridge = _cut(work, start, start + bars * bar_ticks)
    beats = bars * meter[0]
    ramp = [TempoChange(beat * bar_ticks // meter[0], round(start_facts.tempo + (end_facts.tempo - start_facts.tempo)
                                                            * beat / max(beats - 1, 1), 2)) for beat in range(beats)]
    bridge.tempos = [t for i, t in enumerate(ramp) if i == 0 or t.bpm != ramp[i - 1].bpm]
    bridge.time_signatures = [TimeSignature(0, *meter)]
    bridge.key_signatures = [_signature(0, start_facts.key), _signature(first * bar_ticks, end_facts.key)]
    bridge.markers = [Marker(0, "transition"), Marker(first * bar_ticks, f"to {end_facts.key}")]
    bridge.length = bars * bar_ticks
    bridge.title = prompt or "transition"
    attributes = {"bars": {"value": bars, "source": "option"},
                  "from": {"value": dataclasses.asdict(start_facts), "source": "file"},
                  "to": {"value": dataclasses.asdict(end_facts), "source": "file"},
                  "cue": {"value": {"kind": "transition"}, "source": "option"}}
    return Piece(bridge, attributes, tokens, {"load": loaded - started, "sample": sampled - loaded}, attempts)


def _signature(tick: int, key: str) -> KeySignature:
    tonic, mode = key.split(maxsplit=1)
    return KeySignature.of_key(tick, tonic, mode)


def _cut(score: Score, start: int, end: int) -> Score:
    """The notes that start in [start, end), moved to begin at 0, cut at `end`, in named tracks."""
    from composer.arrange.continuation import window_of
    from composer.core.gm import default_track_name

    cut = window_of(score, start, end)
    for track in cut.tracks:
        track.name = default_track_name(track.program, track.is_drum)
    return cut
