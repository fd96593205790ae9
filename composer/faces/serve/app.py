"""The FastAPI application: submit a composition (202 + id), poll its status, download its files, /healthz."""

from __future__ import annotations

import base64
import binascii
import contextlib
import hmac
import io
import json
import mimetypes
from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter, Depends, FastAPI, HTTPException, Request, Security
from fastapi.responses import FileResponse, JSONResponse
from fastapi.security import APIKeyHeader
from pydantic import ValidationError
from starlette.datastructures import UploadFile

from composer.core.version import __version__
from composer.faces.serve.jobs import JobNotFound, JobStore
from composer.faces.serve.pool import QueueFull, WorkerPool
from composer.faces.serve.schema import CompositionRequest, limit_errors, openapi_body
from composer.faces.serve.settings import ServeSettings

IMAGE_SUFFIXES = {"PNG": ".png", "JPEG": ".jpg", "WEBP": ".webp"}
MEDIA_TYPES = {".mid": "audio/midi", ".wav": "audio/wav", ".ogg": "audio/ogg", ".flac": "audio/flac",
               ".musicxml": "application/vnd.recordare.musicxml+xml", ".png": "image/png",
               ".json": "application/json"}
MULTIPART_FIELDS = ("request", "prompt", "image")


def create_app(settings: ServeSettings, pool: WorkerPool | None = None) -> FastAPI:
    """The service over `settings.out_dir`; its worker pool starts and stops with the application."""
    store = JobStore(settings.out_dir)
    pool = pool or WorkerPool(store, settings)

    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        pool.start()
        try:
            yield
        finally:
            pool.close()

    app = FastAPI(title="composer", version=__version__, lifespan=lifespan,
                  description="Compose music from a prompt, a picture and options: submit a job, poll it, "
                              "download MIDI, audio, MusicXML and piano rolls.")
    app.state.settings, app.state.store, app.state.pool = settings, store, pool

    def require_key(key: str | None = Security(APIKeyHeader(name="X-API-Key", auto_error=False))) -> None:
        if settings.api_key is not None and not (
                key and hmac.compare_digest(key.encode(), settings.api_key.encode())):
            raise HTTPException(401, "this server needs an API key in the X-API-Key header"
                                     if not key else "the API key in the X-API-Key header is not valid",
                                headers={"WWW-Authenticate": "X-API-Key"})

    router = APIRouter(prefix="/v1", dependencies=[Depends(require_key)])

    @router.post("/compositions", status_code=202, openapi_extra=openapi_body(), summary="Queue a composition",
                 responses={400: {"description": "malformed JSON"}, 401: {"description": "no or wrong API key"},
                            413: {"description": "body or picture too large"},
                            422: {"description": "invalid fields or over a limit"},
                            429: {"description": "the queue is full; see Retry-After"}})
    async def submit(request: Request) -> JSONResponse:
        body = await read_body(request, settings.max_body_bytes)
        if request.headers.get("content-type", "").startswith("multipart/form-data"):
            data, image = await from_multipart(request, body, settings)
        else:
            data, image = from_json(body), None
        try:
            parsed = CompositionRequest.model_validate(data)
        except ValidationError as exc:
            raise HTTPException(422, validation_errors(exc)) from None
        errors = limit_errors(parsed, settings)
        if errors:
            raise HTTPException(422, errors)
        if parsed.image is not None:
            image = decode_base64_image(parsed.image, settings.max_image_bytes)
        suffix = image_suffix(image) if image is not None else ".png"
        if pool.queued() >= settings.queue:
            return queue_full(pool.queued())
        job_id = store.create(parsed.model_dump(exclude={"image"}), image, suffix)
        try:
            pool.submit(job_id)
        except QueueFull as exc:
            store.delete(job_id)
            return queue_full(exc.queued)
        url = str(request.url_for("composition_status", job_id=job_id))
        return JSONResponse({"id": job_id, "status": "queued", "url": url}, status_code=202,
                            headers={"Location": url})

    def queue_full(queued: int) -> JSONResponse:
        wait = pool.retry_after()
        return JSONResponse({"detail": f"the queue is full ({queued} jobs waiting, limit {settings.queue}); "
                                       f"retry after {wait} s", "queued": queued, "queue_limit": settings.queue},
                            status_code=429, headers={"Retry-After": str(wait)})

    @router.get("/compositions/{job_id}", name="composition_status", summary="A job's status, progress and files")
    def status(job_id: str, request: Request) -> dict[str, Any]:
        try:
            state = store.check_alive(job_id, settings.stale_seconds)
            files = store.files(job_id)
        except JobNotFound:
            raise HTTPException(404, f"no composition with id {job_id!r}") from None
        for entry in files:
            entry["url"] = str(request.url_for("composition_file", job_id=job_id, name=entry["name"]))
        keys = ("id", "status", "stage", "progress", "error", "created_at", "started_at", "finished_at",
                "attributes")
        return {**{k: state.get(k) for k in keys}, "files": files}

    @router.get("/compositions/{job_id}/files/{name}", name="composition_file", summary="Download one file",
                response_class=FileResponse)
    def file(job_id: str, name: str) -> FileResponse:
        try:
            path = store.file(job_id, name)
        except JobNotFound:
            raise HTTPException(404, f"no composition with id {job_id!r}") from None
        except FileNotFoundError:
            raise HTTPException(404, f"composition {job_id} has no file named {name!r}") from None
        media = MEDIA_TYPES.get(path.suffix.lower()) or mimetypes.guess_type(name)[0] or "application/octet-stream"
        return FileResponse(path, media_type=media, filename=name)

    @app.get("/healthz", summary="Liveness, workers and queue")
    def healthz() -> dict[str, Any]:
        return {"status": "ok", "version": __version__, **pool.stats(),
                "limits": {"max_bars": settings.max_bars, "max_image_bytes": settings.max_image_bytes,
                           "max_prompt_chars": settings.max_prompt_chars, "max_layers": settings.max_layers},
                "api_key_required": settings.api_key is not None}

    app.include_router(router)
    return app


async def read_body(request: Request, limit: int) -> bytes:
    """The whole body, or 413 past `limit` bytes (a moderately oversized body is drained first, so the
    client reads the answer rather than a reset connection)."""
    declared = request.headers.get("content-length", "")
    too_large = HTTPException(413, f"the request body is larger than this server's limit of {limit} bytes")
    if declared.isdigit() and int(declared) > 4 * limit:
        raise too_large
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size <= limit:
            chunks.append(chunk)
        elif size > 4 * limit:
            break
    if size > limit:
        raise too_large
    return b"".join(chunks)


def from_json(body: bytes) -> dict[str, Any]:
    """The JSON body as a dict; 400 when it is not JSON or not an object. An empty body is an empty request."""
    if not body.strip():
        return {}
    try:
        data = json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise HTTPException(400, f"the body is not valid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise HTTPException(400, f"the body must be a JSON object, not {type(data).__name__}")
    return data


async def from_multipart(request: Request, body: bytes, settings: ServeSettings) -> tuple[dict[str, Any], bytes | None]:
    """A multipart form: 'request' (the JSON body), 'prompt' (shorthand) and the file part 'image'."""

    async def replay() -> dict[str, Any]:
        return {"type": "http.request", "body": body, "more_body": False}

    try:
        form = await Request(request.scope, replay).form(max_files=1, max_fields=len(MULTIPART_FIELDS),
                                                         max_part_size=settings.max_body_bytes)
    except HTTPException:
        raise
    except Exception as exc:
        raise HTTPException(400, f"the multipart form cannot be read: {exc}") from None
    unknown = sorted(set(form.keys()) - set(MULTIPART_FIELDS))
    if unknown:
        known = ", ".join(MULTIPART_FIELDS)
        raise HTTPException(422, [{"type": "extra_forbidden", "loc": ["body", name],
                                   "msg": f"unknown form field; use {known}"} for name in unknown])
    data = from_json(str(form["request"]).encode()) if "request" in form else {}
    if "prompt" in form:
        if "prompt" in data:
            raise HTTPException(422, "give the prompt once: as a form field or in 'request', not both")
        data["prompt"] = str(form["prompt"])
    image = None
    if "image" in form:
        part = form["image"]
        if not isinstance(part, UploadFile):
            raise HTTPException(422, "the 'image' form field must be a file")
        if "image" in data:
            raise HTTPException(422, "give the picture once: as the file part or in 'request', not both")
        image = await part.read(settings.max_image_bytes + 1)
        if len(image) > settings.max_image_bytes:
            raise HTTPException(413, f"the picture is larger than this server's limit of "
                                     f"{settings.max_image_bytes} bytes")
    return data, image


def validation_errors(exc: ValidationError) -> list[dict[str, Any]]:
    """pydantic's errors as FastAPI shows them, with the offending input when it is short (never a picture)."""
    errors = []
    for error in exc.errors(include_url=False, include_context=False):
        shown = {"type": error["type"], "loc": ["body", *error["loc"]], "msg": error["msg"]}
        if isinstance(error.get("input"), str | int | float | bool) and len(str(error["input"])) <= 100:
            shown["input"] = error["input"]
        errors.append(shown)
    return errors


def decode_base64_image(text: str, limit: int) -> bytes:
    """Decode a base64 picture (or a data: URL), refusing one over `limit` bytes with 413 before decoding."""
    if text.startswith("data:") and "," in text[:100]:
        text = text.split(",", 1)[1]
    text = "".join(text.split())
    if len(text) * 3 // 4 - text[-2:].count("=") > limit:
        raise HTTPException(413, f"the picture is larger than this server's limit of {limit} bytes")
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise HTTPException(422, [{"type": "value_error", "loc": ["body", "image"],
                                   "msg": "the picture is not valid base64"}]) from None


def image_suffix(data: bytes) -> str:
    """The file suffix of a PNG, JPEG or WebP picture; 422 for anything else."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as image:
            kind = image.format or ""
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        kind = ""
    if kind not in IMAGE_SUFFIXES:
        raise HTTPException(422, [{"type": "value_error", "loc": ["body", "image"],
                                   "msg": "the picture must be a PNG, JPEG or WebP image"}])
    return IMAGE_SUFFIXES[kind]
