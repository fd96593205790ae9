"""The request and response bodies of /v1/compositions: strict pydantic models (unknown fields refused) and limits."""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from composer.core.errors import ComposerError
from composer.core.instruments import parse_instruments
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


def _error(loc: tuple[str, ...], message: str) -> dict[str, Any]:
    return {"type": "limit", "loc": ["body", *loc], "msg": message}


def openapi_body() -> dict[str, Any]:
    """The request body for the OpenAPI document (JSON, or multipart with the picture as a file)."""
    schema = _inline(CompositionRequest.model_json_schema())
    multipart = {"type": "object", "properties": {
        "request": {"type": "string", "description": "the JSON body above, without 'image'"},
        "prompt": {"type": "string", "description": "shorthand for a request with only a prompt"},
        "image": {"type": "string", "format": "binary"}}}
    return {"requestBody": {"required": False, "content": {"application/json": {"schema": schema},
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
