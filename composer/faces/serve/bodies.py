"""Reading a POST body safely: size and time limits, JSON that names the bad field, multipart forms, pictures."""

from __future__ import annotations

import base64
import binascii
import io
import json
import re
import warnings
from typing import Any

from fastapi import HTTPException, Request
from pydantic import ValidationError
from starlette.datastructures import UploadFile
from starlette.requests import ClientDisconnect

from composer.faces.serve.settings import ServeSettings

IMAGE_SUFFIXES = {"PNG": ".png", "JPEG": ".jpg", "WEBP": ".webp"}
MULTIPART_FIELDS = ("request", "prompt", "image")
ADD_PART_FIELDS = ("request", "midi")
MAX_INT_DIGITS = 40  # longer integers become infinity, which every field refuses by name (no 4300-digit ValueError)
WHITESPACE = re.compile(r"[ \t\n\r]*")


def field_error(loc: tuple[str | int, ...], message: str, kind: str = "value_error") -> dict[str, Any]:
    """One error in the shape of pydantic's (and FastAPI's) 422 details."""
    return {"type": kind, "loc": ["body", *loc], "msg": message}


async def read_body(request: Request, limit: int) -> bytes:
    """The whole body, or 413 past `limit` bytes (a moderately oversized body is drained first, so the
    client reads the answer rather than a reset connection)."""
    declared = request.headers.get("content-length", "")
    too_large = HTTPException(413, f"the request body is larger than this server's limit of {limit} bytes")
    if declared.isdigit() and int(declared) > 4 * limit:
        raise too_large
    chunks, size = [], 0
    try:
        async for chunk in request.stream():
            size += len(chunk)
            if size <= limit:
                chunks.append(chunk)
            elif size > 4 * limit:
                break
    except ClientDisconnect:  # the client left, or its body was too slow (the connection was closed on it)
        raise HTTPException(400, "the client disconnected before the body arrived") from None
    if size > limit:
        raise too_large
    return b"".join(chunks)


def _bounded_int(text: str) -> int | float:
    return int(text) if len(text.lstrip("-")) <= MAX_INT_DIGITS else float("inf")


DECODER = json.JSONDecoder(parse_int=_bounded_int, parse_constant=lambda name: float(name))  # NaN -> nan: refused


def from_json(body: bytes) -> dict[str, Any]:
    """The JSON body as a dict; 400 when it is not JSON or not an object. An empty body is an empty request.
    The object is read member by member, so a value nested too deeply is refused naming its field; NaN,
    Infinity and absurdly long numbers parse to non-finite floats, which the models refuse by field."""
    if not body.strip():
        return {}
    try:
        text = body.decode("utf-8")
        return _members(text) if text.lstrip(" \t\n\r").startswith("{") else _not_an_object(text)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise HTTPException(400, f"the body is not valid JSON: {exc}") from None


def _not_an_object(text: str) -> dict[str, Any]:
    try:
        kind = type(DECODER.decode(text)).__name__
    except RecursionError:
        kind = "a value nested too deeply"
    raise HTTPException(400, f"the body must be a JSON object, not {kind}")


def _members(text: str) -> dict[str, Any]:
    """Parse `{...}` one member at a time (JSONDecodeError with the position on bad syntax)."""
    data: dict[str, Any] = {}
    pos = _skip(text, text.index("{") + 1)
    if text.startswith("}", pos):
        return _end(text, pos + 1, data)
    while True:
        if not text.startswith('"', pos):
            raise json.JSONDecodeError("Expecting property name enclosed in double quotes", text, pos)
        key, pos = json.decoder.scanstring(text, pos + 1)  # type: ignore[attr-defined]
        pos = _skip(text, pos)
        if not text.startswith(":", pos):
            raise json.JSONDecodeError("Expecting ':' delimiter", text, pos)
        pos = _skip(text, pos + 1)
        try:
            data[key], pos = DECODER.raw_decode(text, pos)
        except RecursionError:
            raise HTTPException(422, [field_error((key,), "the value is nested too deeply", "json_depth")]) from None
        pos = _skip(text, pos)
        if text.startswith("}", pos):
            return _end(text, pos + 1, data)
        if not text.startswith(",", pos):
            raise json.JSONDecodeError("Expecting ',' delimiter", text, pos)
        pos = _skip(text, pos + 1)


def _skip(text: str, pos: int) -> int:
    match = WHITESPACE.match(text, pos)
    return match.end() if match else pos


def _end(text: str, pos: int, data: dict[str, Any]) -> dict[str, Any]:
    if _skip(text, pos) != len(text):
        raise json.JSONDecodeError("Extra data", text, _skip(text, pos))
    return data


async def from_multipart(request: Request, body: bytes, settings: ServeSettings) -> tuple[dict[str, Any], bytes | None]:
    """A multipart form: 'request' (the JSON body), 'prompt' (shorthand) and the file part 'image'."""
    form = await _read_form(request, body, settings, MULTIPART_FIELDS)
    data = from_json(str(form["request"]).encode()) if "request" in form else {}
    if "prompt" in form:
        if "prompt" in data:
            raise HTTPException(422, "give the prompt once: as a form field or in 'request', not both")
        data["prompt"] = str(form["prompt"])
    image = await _file_part(form, "image", data, settings.max_image_bytes, "the picture")
    return data, image


async def add_part_form(request: Request, body: bytes, settings: ServeSettings) -> tuple[dict[str, Any], bytes | None]:
    """An add-part multipart form: 'request' (the JSON body) and the file part 'midi'."""
    form = await _read_form(request, body, settings, ADD_PART_FIELDS)
    data = from_json(str(form["request"]).encode()) if "request" in form else {}
    return data, await _file_part(form, "midi", data, settings.max_midi_bytes, "the MIDI file")


async def _read_form(request: Request, body: bytes, settings: ServeSettings, fields: tuple[str, ...]) -> Any:
    """The form in `body`; 400 when it cannot be parsed, 422 naming any field outside `fields`."""

    async def replay() -> dict[str, Any]:
        return {"type": "http.request", "body": body, "more_body": False}

    try:
        form = await Request(request.scope, replay).form(max_files=1, max_fields=len(fields),
                                                         max_part_size=settings.max_body_bytes)
    except HTTPException:
        raise
    except Exception as exc:
        raise HTTPException(400, f"the multipart form cannot be read: {exc}") from None
    unknown = sorted(set(form.keys()) - set(fields))
    if unknown:
        known = ", ".join(fields)
        raise HTTPException(422, [field_error((name,), f"unknown form field; use {known}", "extra_forbidden")
                                  for name in unknown])
    return form


async def _file_part(form: Any, name: str, data: dict[str, Any], limit: int, what: str) -> bytes | None:
    """The bytes of the form's file part `name` (None without one); 413 past `limit`, 422 when the request
    also carries it."""
    if name not in form:
        return None
    part = form[name]
    if not isinstance(part, UploadFile):
        raise HTTPException(422, [field_error((name,), f"the {name!r} form field must be a file")])
    if name in data:
        raise HTTPException(422, f"give {what} once: as the file part or in 'request', not both")
    content = await part.read(limit + 1)
    if len(content) > limit:
        raise HTTPException(413, f"{what} is larger than this server's limit of {limit} bytes")
    return content


def validation_errors(exc: ValidationError) -> list[dict[str, Any]]:
    """pydantic's errors as FastAPI shows them, with the offending input when it is short (never a picture)."""
    errors = []
    for error in exc.errors(include_url=False, include_context=False):
        shown: dict[str, Any] = {"type": error["type"], "loc": ["body", *error["loc"]], "msg": error["msg"]}
        value = error.get("input")
        finite = not isinstance(value, float) or abs(value) < float("inf")  # NaN and inf are not JSON
        if isinstance(value, str | int | float | bool) and finite and len(str(value)) <= 100:
            shown["input"] = value
        elif not finite:
            shown["msg"] += " (got NaN, Infinity or a number with too many digits)"
        errors.append(shown)
    return errors


def decode_base64_image(text: str, limit: int) -> bytes:
    """Decode a base64 picture (or a data: URL), refusing one over `limit` bytes with 413 before decoding."""
    return decode_base64(text, limit, "image", "the picture")


def decode_base64(text: str, limit: int, field: str, what: str) -> bytes:
    """Decode the base64 (or data: URL) field `field` holding `what`, refusing over `limit` bytes with 413
    before decoding."""
    if text.startswith("data:") and "," in text[:100]:
        text = text.split(",", 1)[1]
    text = "".join(text.split())
    if len(text) * 3 // 4 - text[-2:].count("=") > limit:
        raise HTTPException(413, f"{what} is larger than this server's limit of {limit} bytes")
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise HTTPException(422, [field_error((field,), f"{what} is not valid base64")]) from None


def image_suffix(data: bytes, max_pixels: int) -> str:
    """The file suffix of a PNG, JPEG or WebP picture; 422 for anything else or for one over `max_pixels`,
    judged by the size its header declares (Image.open reads only the header; nothing is decoded here)."""
    from PIL import Image, UnidentifiedImageError

    too_many = f"this server's limit is {max_pixels} pixels"
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)  # refused below, by our own limit
            with Image.open(io.BytesIO(data)) as image:
                kind, (width, height) = image.format or "", image.size
    except Image.DecompressionBombError:  # PIL's own refusal, past twice its MAX_IMAGE_PIXELS
        raise HTTPException(422, [field_error(("image",), f"the picture declares far too many pixels; {too_many}",
                                              "limit")]) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        kind, width, height = "", 0, 0
    if kind not in IMAGE_SUFFIXES:
        raise HTTPException(422, [field_error(("image",), "the picture must be a PNG, JPEG or WebP image")])
    if width * height > max_pixels:
        raise HTTPException(422, [field_error(("image",), f"the picture declares {width}x{height} pixels; "
                                                          f"{too_many}", "limit")])
    return IMAGE_SUFFIXES[kind]
