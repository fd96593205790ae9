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

from pydantic import BaseModel, ConfigDict, Field, StrictFloat, StrictInt, StrictStr, ValidationError

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


FIELD_TYPES = {  # what each field must be, for the one-line error that names it
    "title": "text", "end": "a number of seconds", "scenes": "a list of scenes", "name": "text",
    "description": "text (a prompt)", "start": f"a number of seconds, 0-{MAX_SECONDS:g}",
    "bars": "a whole number, 1-256", "key": "text such as 'D minor'",
    "tempo": "a number of bpm, 20-400", "meter": "text such as '6/8'",
    "instruments": "text such as 'piano, strings' or a list of names and GM programs",
}
Number = StrictInt | StrictFloat  # bool is neither: `bars: true` is refused, not read as 1


class SceneFields(BaseModel):
    """One scene as written in a cue sheet."""

    model_config = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False)
    name: StrictStr | Number | None = None
    description: StrictStr | None = None
    start: Number | None = Field(default=None, ge=0, le=MAX_SECONDS)
    bars: StrictInt | None = Field(default=None, ge=1, le=256)
    key: StrictStr | None = None
    tempo: Number | None = Field(default=None, ge=20, le=400)
    meter: StrictStr | None = None
    instruments: StrictStr | list[StrictStr | StrictInt] | None = None


class CueSheet(BaseModel):
    """A cue sheet as written: a title, an optional end in seconds, and 1-MAX_SCENES scenes."""

    model_config = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False)
    title: StrictStr | Number | None = None
    end: Number | None = None
    scenes: list[Any] = Field(min_length=1)  # each checked on its own, so an error names its scene


def _one_line(error: ValidationError, where: str, data: dict[str, Any]) -> ComposerError:
    """The first problem of a validation as one line naming the field: "scene 2: bars must be ..."."""
    extra = [str(e["loc"][0]) for e in error.errors() if e["type"] == "extra_forbidden"]
    if extra:
        known = SCENE_FIELDS if where else {"title", "end", "scenes"}
        return ComposerError(f"{where or 'the cue sheet'} has unknown fields {', '.join(sorted(extra))}; "
                             f"known: {', '.join(sorted(known))}")
    field = str(error.errors()[0]["loc"][0])
    if field == "scenes":
        return ComposerError("a cue sheet needs a list of scenes: scenes: [{name: ..., description: ..., start: 0}]")
    prefix = f"{where}: " if where else ""
    return ComposerError(f"{prefix}{field} must be {FIELD_TYPES.get(field, 'set')}, not {data.get(field)!r}")


def load_cue_sheet(source: str | Path | dict[str, Any]) -> tuple[str, list[Scene], float | None]:
    """A cue sheet (YAML path or dict): `title`, optional `end` (seconds), and `scenes`, each with a
    `name`, a `description` and/or attributes, and a `start` in seconds or a `bars` count. Checked by
    CueSheet and SceneFields, strictly (no "7" for 7, no true for 1), each mistake in one line."""
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
    if not isinstance(data, dict):
        raise ComposerError("a cue sheet needs a list of scenes: scenes: [{name: ..., description: ..., start: 0}]")
    try:
        sheet = CueSheet.model_validate(data)
    except ValidationError as exc:
        raise _one_line(exc, "", data) from None
    if len(sheet.scenes) > MAX_SCENES:
        raise ComposerError(f"a cue sheet holds at most {MAX_SCENES} scenes")
    scenes = []
    for index, raw in enumerate(sheet.scenes):
        if not isinstance(raw, dict):
            raise ComposerError(f"scene {index + 1} is not a mapping of name, description, start...")
        try:
            fields = SceneFields.model_validate(raw)
        except ValidationError as exc:
            raise _one_line(exc, f"scene {index + 1}", raw) from None
        if fields.start is None and fields.bars is None and index < len(sheet.scenes) - 1:
            raise ComposerError(f"scene {index + 1} needs a start (seconds) or a bars count")
        options = {k: getattr(fields, k) for k in ("key", "tempo", "meter", "instruments")
                   if getattr(fields, k) is not None}
        if isinstance(options.get("instruments"), str):
            from composer.core.instruments import parse_instruments

            options["instruments"] = parse_instruments(options["instruments"])
        scenes.append(Scene(str(fields.name or f"Scene {index + 1}"), fields.description, fields.start, fields.bars,
                            options))
    if scenes[0].start not in (None, 0, 0.0):
        raise ComposerError("the first scene starts at 0 seconds")
    starts = [s.start for s in scenes if s.start is not None]
    if starts != sorted(starts) or len(set(starts)) != len(starts):
        raise ComposerError("scene starts must increase")
    end = sheet.end
    if end is not None and end <= (starts[-1] if starts else 0):
        raise ComposerError("end must come after the last scene's start")
    return str(sheet.title or "cue sheet"), scenes, end


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
        score.key_signatures.append(KeySignature.of_key(tick, plan.key[2], plan.key[1]))
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

