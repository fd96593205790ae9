"""The request and response bodies of /v1/compositions and /v1/add-part: strict pydantic models and limits."""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from composer.core.errors import ComposerError
from composer.core.instruments import DRUMS, parse_instruments
from composer.core.roles import ROLES
from composer.decode.controls import METERS
from composer.faces.serve.settings import ServeSettings

Format = Literal["mid", "wav", "ogg", "flac", "musicxml", "png"]
LAYER_NAME = re.compile(r"[a-z][a-z0-9_]{0,23}")  # becomes a file-name prefix, so letters, digits and _ only


class Attributes(BaseModel):
    """Musical options; each one given wins over what the prompt or the picture suggests."""

    model_config = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False)  # 4 is not "4", 4.0 or true

    key: str | None = Field(None, max_length=32, examples=["D minor"])
    tempo: float | None = Field(None, ge=20, le=400, description="beats per minute")
    meter: str | None = Field(None, examples=["3/4"], description=f"one of {', '.join(METERS)}")
    bars: int | None = Field(None, ge=1, le=100_000, description="at most the server's --max-bars")
    instruments: str | list[str | int] | None = Field(
        None, examples=["piano,strings", ["flute", "cello"]],
        description="names (or General MIDI program numbers, -1 for drums), as a list or comma-separated")
    chords: str | None = Field(None, max_length=512, examples=["Am F C G"], description="one chord a bar")

    @field_validator("meter")
    @classmethod
    def _known_meter(cls, meter: str | None) -> str | None:
        if meter is not None and meter not in METERS:
            raise ValueError(f"meter must be one of {', '.join(METERS)}")
        return meter

    @field_validator("instruments")
    @classmethod
    def _known_instruments(cls, value: str | list[str | int] | None) -> str | list[str | int] | None:
        if value is not None:
            programs(value)  # raises ValueError naming an unknown instrument
        return value


class CompositionRequest(BaseModel):
    """What to compose and which files to write. Everything is optional; an empty body composes 8 bars of piano."""

    model_config = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False)

    prompt: str | None = Field(None, examples=["boss battle, brass and drums, 150 bpm"])
    attributes: Attributes = Field(default_factory=lambda: Attributes.model_validate({}))
    image: str | None = Field(None, description="a PNG, JPEG or WebP picture, base64 (a data: URL is accepted); "
                                                "with multipart/form-data send it as the file part 'image'")
    formats: list[Format] = Field(["mid"], min_length=1, max_length=6, description="files to write for each piece")
    loop: bool = Field(False, description="a seamless loop with loop markers; the audio wraps its tail")
    layers: list[str] | None = Field(None, min_length=1, examples=[["low", "mid", "high"]],
                                     description="intensity variants sharing tempo, meter, length and harmony; "
                                                 "each layer's files are prefixed with its name")
    stems: bool = Field(False, description="also one audio file per track (in the first audio format, else WAV)")
    seed: int | None = Field(None, ge=0, lt=2**31)

    @field_validator("formats")
    @classmethod
    def _unique_formats(cls, formats: list[str]) -> list[str]:
        return list(dict.fromkeys(formats))

    @field_validator("layers")
    @classmethod
    def _layer_names(cls, layers: list[str] | None) -> list[str] | None:
        if layers is None:
            return None
        for name in layers:
            if not LAYER_NAME.fullmatch(name):
                raise ValueError(f"layer name {name!r} must be lower-case letters, digits or _ (at most 24)")
        if len(set(layers)) != len(layers):
            raise ValueError("layer names must be different")
        return layers


class AddPartRequest(BaseModel):
    """One new part written into the given MIDI file over its harmony (composer.add_part); its notes are kept."""

    model_config = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False)

    midi: str | None = Field(None, description="the MIDI file, base64; with multipart/form-data send it as the "
                                               "file part 'midi'")
    instrument: str | int = Field(examples=["cello", "fretless bass", 33],
                                  description="one pitched instrument: a name or a General MIDI program number")
    role: str | None = Field(None, examples=["bass"], description=f"one of {', '.join(ROLES)} "
                                                                  "(default: the ensemble's choice)")
    bars: str | None = Field(None, max_length=16, examples=["5-12"],
                             description="only these bars, counted from 1 (default: the whole file)")
    prompt: str | None = Field(None, examples=["walking bass"], description="steers the new part's style")
    formats: list[Format] = Field(["mid"], min_length=1, max_length=6, description="files to write")
    seed: int | None = Field(None, ge=0, lt=2**31)

    @field_validator("instrument")
    @classmethod
    def _one_pitched_instrument(cls, value: str | int) -> str | int:
        added_program(value)
        return value

    @field_validator("role")
    @classmethod
    def _known_role(cls, role: str | None) -> str | None:
        if role is not None and role not in ROLES:
            raise ValueError(f"role must be one of {', '.join(ROLES)}")
        return role

    @field_validator("bars")
    @classmethod
    def _bar_span(cls, bars: str | None) -> str | None:
        if bars is not None:
            span(bars)
        return bars

    @field_validator("formats")
    @classmethod
    def _unique_formats(cls, formats: list[str]) -> list[str]:
        return list(dict.fromkeys(formats))


JobState = Literal["queued", "running", "done", "failed", "cancelled"]


class JobFile(BaseModel):
    """One finished file of a job."""

    name: str = Field(examples=["piece.mid"])
    bytes: int
    url: str = Field(description="relative to this server", examples=["/v1/compositions/<id>/files/piece.mid"])


class Job(BaseModel):
    """A job's state as every job endpoint returns it; `files` fill in when it is done."""

    id: str
    status: JobState
    stage: str = Field(examples=["composing"])
    progress: float = Field(ge=0, le=1)
    error: str | None = None
    created_at: float = Field(description="Unix time, seconds")
    started_at: float | None = None
    finished_at: float | None = None
    attributes: dict[str, Any] | None = Field(None, description="what was composed: key, tempo, meter, bars, ...")
    files: list[JobFile] = []
    url: str = Field(description="this job's status, relative to this server")


class JobList(BaseModel):
    """The newest jobs first, at most `limit` of them."""

    jobs: list[Job]
    limit: int
    total: int = Field(description="jobs in the folder, listed or not")


class Deletion(BaseModel):
    """What DELETE did: cancelled a queued job (its status stays readable) or deleted a finished one."""

    id: str
    action: Literal["cancelled", "deleted"]


def programs(instruments: str | list[str | int]) -> list[int]:
    """Instrument names or program numbers -> General MIDI programs (drums -1); ValueError for unknown ones."""
    if isinstance(instruments, str):
        text = instruments
    else:
        for item in instruments:
            if isinstance(item, int) and not -1 <= item <= 127:
                raise ValueError(f"program {item} is not a General MIDI program (0-127, or -1 for drums)")
        text = ",".join("drums" if item == -1 else str(item) for item in instruments)
    try:
        return parse_instruments(text)
    except ComposerError as exc:
        raise ValueError(str(exc)) from None


def added_program(instrument: str | int) -> int:
    """The one pitched General MIDI program an add-part request names; ValueError otherwise."""
    found = [p for p in programs([instrument] if isinstance(instrument, int) else instrument) if p != DRUMS]
    if len(found) != 1:
        raise ValueError("name one pitched instrument (drums are arranged, not added as a part)")
    return found[0]


def span(bars: str) -> tuple[int, int]:
    """An add-part request's bars ("5-12") as (first, last); ValueError with infill's message when unreadable."""
    from composer.arrange.infill import parse_span

    try:
        return parse_span(bars)
    except ComposerError as exc:
        raise ValueError(str(exc)) from None


def add_part_errors(midi: bytes, request: AddPartRequest, settings: ServeSettings) -> list[dict[str, Any]]:
    """What is wrong with the file for this request (unreadable, no notes, bars outside it or over the server's
    limit), in the shape of pydantic's 422 errors; the file is read here, so a bad one never makes a job."""
    import warnings

    from composer.arrange.infill import MAX_SPAN_BARS
    from composer.output.midi_io import read_midi

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # a repaired meta event: the worker reads the file again
            score = read_midi(midi)
    except ComposerError as exc:
        return [_error(("midi",), f"the MIDI file cannot be read: {exc}", "midi")]
    if score.note_count == 0:
        return [_error(("midi",), "the MIDI file has no notes to add a part to", "midi")]
    count = len(score.bar_starts(until_tick=max(score.length_ticks, score.end_tick)))
    first, last = span(request.bars) if request.bars else (1, min(count, MAX_SPAN_BARS))
    if last > count:
        return [_error(("bars",), f"the file has {count} bars, so bars {first}-{last} are not all in it", "bars")]
    if last - first + 1 > settings.max_bars:
        return [_error(("bars",), f"{last - first + 1} bars is more than this server's limit of "
                                  f"{settings.max_bars}; give bars, like 1-{settings.max_bars}")]
    return []


def limit_errors(request: CompositionRequest, settings: ServeSettings) -> list[dict[str, Any]]:
    """The server's limits that the request breaks, in the shape of pydantic's 422 errors."""
    errors = []
    bars = request.attributes.bars
    if bars is not None and bars > settings.max_bars:
        errors.append(_error(("attributes", "bars"), f"{bars} bars is more than this server's limit of "
                                                     f"{settings.max_bars}"))
    if request.prompt is not None and len(request.prompt) > settings.max_prompt_chars:
        errors.append(_error(("prompt",), f"the prompt has {len(request.prompt)} characters; the limit is "
                                          f"{settings.max_prompt_chars}"))
    if request.layers is not None and len(request.layers) > settings.max_layers:
        errors.append(_error(("layers",), f"{len(request.layers)} layers; the limit is {settings.max_layers}"))
    return errors


def _error(loc: tuple[str, ...], message: str, kind: str = "limit") -> dict[str, Any]:
    return {"type": kind, "loc": ["body", *loc], "msg": message}


def openapi_body() -> dict[str, Any]:
    """The request body for the OpenAPI document (JSON, or multipart with the picture as a file)."""
    schema = _inline(CompositionRequest.model_json_schema())
    multipart = {"type": "object", "properties": {
        "request": {"type": "string", "description": "the JSON body above, without 'image'"},
        "prompt": {"type": "string", "description": "shorthand for a request with only a prompt"},
        "image": {"type": "string", "format": "binary"}}}
    return {"requestBody": {"required": False, "content": {"application/json": {"schema": schema},
                                                           "multipart/form-data": {"schema": multipart}}}}


def add_part_openapi_body() -> dict[str, Any]:
    """The add-part request body for the OpenAPI document (JSON with a base64 file, or multipart with the file)."""
    schema = _inline(AddPartRequest.model_json_schema())
    multipart = {"type": "object", "required": ["request", "midi"], "properties": {
        "request": {"type": "string", "description": "the JSON body above, without 'midi'"},
        "midi": {"type": "string", "format": "binary"}}}
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": schema},
                                                          "multipart/form-data": {"schema": multipart}}}}


def _inline(schema: dict[str, Any]) -> dict[str, Any]:
    """Replace pydantic's local $defs references by the definitions themselves (the models do not recurse)."""
    definitions = schema.pop("$defs", {})

    def resolve(node: Any) -> Any:
        if isinstance(node, dict):
            if "$ref" in node:
                return resolve(definitions[node["$ref"].rsplit("/", 1)[1]])
            return {k: resolve(v) for k, v in node.items()}
        if isinstance(node, list):
            return [resolve(v) for v in node]
        return node

    return resolve(schema)  # type: ignore[no-any-return]
