"""Cue sheets for film and game scoring: scenes with start times (or bar counts) scored as one continuous
piece. Each scene's tempo is nudged (within TEMPO_LIMIT) so its hit point lands on a bar line; its last
bar turns to the next scene's key; a marker names each scene."""

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

TEMPO_LIMIT = 0.15  # a scene's tempo moves at most this fraction to land its hit on a bar line
MAX_SCENES = 32
MAX_SECONDS = 1800.0
DEFAULT_LAST_BARS = 8
SCENE_FIELDS = {"name", "description", "start", "bars", "key", "tempo", "meter", "instruments"}


@dataclass(frozen=True)
class Scene:
    name: str
    description: str | None
    start: float | None  # seconds, as asked
    bars: int | None
    options: dict[str, Any]  # key, tempo, meter, instruments


@dataclass
class Fitted:
    """A scene as scored: its bars, its tempo (nudged to land the hit) and where it begins."""

    scene: Scene
    plan: Any  # composer.plan.spec.Plan
    bars: int
    tempo: float
    start_tick: int = 0
    start_seconds: float = 0.0
    start_bar: int = 0


def load_cue_sheet(source: str | Path | dict[str, Any]) -> tuple[str, list[Scene], float | None]:
    """A cue sheet (YAML path or dict): `title`, optional `end` (seconds), and `scenes`, each with a
    `name`, a `description` and/or attributes, and a `start` in seconds or a `bars` count."""
    import yaml

    if isinstance(source, dict):
        data = source
    else:
        path = Path(source)
        if not path.is_file():
            raise ComposerError(f"{path}: no such file")
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (yaml.YAMLError, UnicodeDecodeError) as exc:
            raise ComposerError(f"{path} is not valid YAML ({str(exc).splitlines()[0]})") from None
    if not isinstance(data, dict) or not isinstance(data.get("scenes"), list) or not data["scenes"]:
        raise ComposerError("a cue sheet needs a list of scenes: scenes: [{name: ..., description: ..., start: 0}]")
    if len(data["scenes"]) > MAX_SCENES:
        raise ComposerError(f"a cue sheet holds at most {MAX_SCENES} scenes")
    scenes = []
    for index, raw in enumerate(data["scenes"]):
        if not isinstance(raw, dict):
            raise ComposerError(f"scene {index + 1} is not a mapping of name, description, start...")
        unknown = sorted(set(raw) - SCENE_FIELDS)
        if unknown:
            raise ComposerError(f"scene {index + 1} has unknown fields {', '.join(unknown)}; "
                                f"known: {', '.join(sorted(SCENE_FIELDS))}")
        if raw.get("start") is None and raw.get("bars") is None and index < len(data["scenes"]) - 1:
            raise ComposerError(f"scene {index + 1} needs a start (seconds) or a bars count")
        start, bars = raw.get("start"), raw.get("bars")
        if start is not None and (not isinstance(start, int | float) or not 0 <= start <= MAX_SECONDS):
            raise ComposerError(f"scene {index + 1}: start must be 0-{MAX_SECONDS:g} seconds, not {start!r}")
        if bars is not None and (not isinstance(bars, int) or not 1 <= bars <= 256):
            raise ComposerError(f"scene {index + 1}: bars must be 1-256, not {bars!r}")
        options = {k: raw[k] for k in ("key", "tempo", "meter", "instruments") if raw.get(k) is not None}
        if isinstance(options.get("instruments"), str):
            from composer.core.instruments import parse_instruments

            options["instruments"] = parse_instruments(options["instruments"])
        scenes.append(Scene(str(raw.get("name") or f"Scene {index + 1}"), raw.get("description"), start, bars, options))
    if scenes[0].start not in (None, 0, 0.0):
        raise ComposerError("the first scene starts at 0 seconds")
    starts = [s.start for s in scenes if s.start is not None]
    if starts != sorted(starts) or len(set(starts)) != len(starts):
        raise ComposerError("scene starts must increase")
    end = data.get("end")
    if end is not None and (not isinstance(end, int | float) or end <= (starts[-1] if starts else 0)):
        raise ComposerError("end must come after the last scene's start")
    return str(data.get("title") or "cue sheet"), scenes, end


def fit_bars(seconds: float, tempo: float, meter: tuple[int, int]) -> tuple[int, float]:
    """Whole bars for `seconds` at about `tempo`: the count whose exact tempo is nearest the asked one,
    within TEMPO_LIMIT; raises when no whole number of bars fits (a hit too close to the last)."""
    quarters_per_bar = meter[0] * 4 / meter[1]
    ideal = seconds * tempo / 60 / quarters_per_bar
    best: tuple[float, int, float] | None = None
    for bars in {max(1, math.floor(ideal)), max(1, math.ceil(ideal))}:
        exact = bars * quarters_per_bar * 60 / seconds
        change = abs(exact / tempo - 1)
        if change <= TEMPO_LIMIT + 1e-9 and (best is None or change < best[0]):
            best = (change, bars, exact)
    if best is None:
        raise ComposerError(f"{seconds:.2f} s cannot hold whole bars of {meter[0]}/{meter[1]} near {tempo:g} bpm "
                            f"(tempo may move {TEMPO_LIMIT:.0%}); move the hit point or set the scene's tempo")
    return best[1], round(best[2], 3)


def score_cues(source: str | Path | dict[str, Any], *, seed: int | None = None, checkpoint: str | None = None) -> Any:
    """Score a cue sheet: one Piece, scene after scene, each primed by the music before it."""
    from composer.arrange.drums import drum_track
    from composer.arrange.forms import dominant_seventh, sample_section
    from composer.arrange.piece import Piece
    from composer.arrange.span import embed_caption, load_model
    from composer.constraints import default_harmony
    from composer.core.gm import default_track_name
    from composer.plan.request import describe
    from composer.plan.spec import plan_request

    title, scenes, end = load_cue_sheet(source)
    fitted: list[Fitted] = []
    for index, scene in enumerate(scenes):
        asked = describe(scene.description, **scene.options)
        meter = tuple(int(x) for x in str(asked["meter"]).split("/"))
        tempo, bars = float(asked["tempo"]), scene.bars
        following = scenes[index + 1].start if index + 1 < len(scenes) else end
        if scene.start is not None and following is not None and bars is None:
            bars, tempo = fit_bars(following - scene.start, tempo, meter)  # type: ignore[arg-type]
        plan = plan_request(scene.description, **{**scene.options, "tempo": tempo,
                                                  "bars": bars or DEFAULT_LAST_BARS, "seed": seed})
        fitted.append(Fitted(scene, plan, plan.bars, tempo))
    started = time.perf_counter()
    model, tokenizer = load_model(checkpoint)
    loaded = time.perf_counter()
    score = Score(tempos=[], time_signatures=[], title=title)
    tick, seconds, bar, tokens, attempts = 0, 0.0, 0, 0, 0
    for index, part in enumerate(fitted):
        plan = part.plan
        part.start_tick, part.start_seconds, part.start_bar = tick, seconds, bar
        score.tempos.append(TempoChange(tick, part.tempo))
        score.time_signatures.append(TimeSignature(tick, *plan.meter))
        score.key_signatures.append(KeySignature(tick, plan.key[2], "minor" if plan.key[1] == "minor" else "major"))
        score.markers.append(Marker(tick, part.scene.name))
        condition = embed_caption(plan.request.caption) if plan.request.caption else None
        nxt = fitted[index + 1].plan if index + 1 < len(fitted) else None
        body = part.bars - 1 if nxt is not None and part.bars >= 2 else part.bars
        same_meter = index > 0 and fitted[index - 1].plan.meter == plan.meter
        window = fitted[index - 1].start_tick if same_meter else tick
        pieces = [(plan, body)] + ([(nxt, 1)] if nxt is not None and body < part.bars else [])
        offset = tick
        for step, (harmony, count) in enumerate(pieces):
            chords = default_harmony(harmony.key[0], harmony.key[1], count) if step == 0 else \
                [dominant_seventh(harmony.key[0], harmony.key[1])]  # V7 of the next key
            spec = dataclasses.replace(plan.spec, key=(harmony.key[0], harmony.key[1]),
                                       off=set(plan.spec.off) | ({"cadence"} if nxt is not None else set()))
            if plan.pitched:
                used, tries, _ = sample_section(model, tokenizer, score, offset, count, spec, chords, plan.controls,
                                                condition, plan.config, plan.checked_key if step == 0 else None,
                                                window_start=window)
                tokens, attempts = tokens + used, attempts + tries
            offset += count * plan.bar_ticks
        if DRUMS in plan.request["instruments"]:
            drums = drum_track(part.bars, plan.meter, plan.request["drum_style"],
                               velocity=int(plan.request["velocity"] or 90), start_tick=tick)
            kit = next((t for t in score.tracks if t.is_drum), None)
            if kit is None:
                score.tracks.append(drums)
            else:
                kit.notes.extend(drums.notes)
        tick += part.bars * plan.bar_ticks
        bar += part.bars
        seconds += part.bars * plan.bar_ticks / TICKS_PER_BEAT * 60 / part.tempo
    sampled = time.perf_counter()
    score.length = tick
    for track in score.tracks:
        track.name = default_track_name(track.program, track.is_drum)
    attributes = {"title": {"value": title, "source": "cue sheet"},
                  "scenes": {"value": [{"name": p.scene.name, "asked_start": p.scene.start,
                                        "start": round(p.start_seconds, 4), "bar": p.start_bar + 1,
                                        "bars": p.bars, "tempo": p.tempo,
                                        "key": f"{p.plan.key[2]} {p.plan.key[1]}",
                                        "meter": f"{p.plan.meter[0]}/{p.plan.meter[1]}"} for p in fitted],
                             "source": "cue sheet"},
                  "seconds": {"value": round(seconds, 4), "source": "cue sheet"}}
    return Piece(score, attributes, tokens, {"load": loaded - started, "sample": sampled - loaded}, attempts)

