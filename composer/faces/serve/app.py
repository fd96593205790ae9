"""The FastAPI application: submit a composition or an added part (202 + id), list, poll, cancel or delete jobs,
download files."""

from __future__ import annotations

import contextlib
import hmac
import mimetypes
import sys
from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter, Depends, FastAPI, HTTPException, Query, Request, Response, Security
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse
from fastapi.security import APIKeyHeader
from pydantic import ValidationError
from starlette.types import ASGIApp

from composer.core.version import __version__
from composer.faces.serve.bodies import (
    add_part_form,
    decode_base64,
    decode_base64_image,
    field_error,
    from_json,
    from_multipart,
    image_suffix,
    read_body,
    validation_errors,
)
from composer.faces.serve.guards import GuardMiddleware, docs_asset, docs_page, require_body_type
from composer.faces.serve.jobs import JobNotFound, JobStore
from composer.faces.serve.pool import QueueFull, WorkerPool
from composer.faces.serve.schema import (
    AddPartRequest,
    CompositionRequest,
    Deletion,
    Job,
    JobFile,
    JobList,
    add_part_errors,
    add_part_openapi_body,
    limit_errors,
    openapi_body,
)
from composer.faces.serve.settings import ServeSettings

MEDIA_TYPES = {".mid": "audio/midi", ".wav": "audio/wav", ".ogg": "audio/ogg", ".flac": "audio/flac",
               ".musicxml": "application/vnd.recordare.musicxml+xml", ".png": "image/png",
               ".json": "application/json"}
STATUS_KEYS = ("id", "status", "stage", "progress", "error", "created_at", "started_at", "finished_at",
               "attributes")
NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"description": "no such job"}}
KEY_ERRORS: dict[int | str, dict[str, Any]] = {401: {"description": "no or wrong API key"},
                                               400: {"description": "a Host this server does not serve"}}


class Service(FastAPI):
    """FastAPI with the guard outermost, so that even a 500 carries the security headers."""

    def build_middleware_stack(self) -> ASGIApp:
        return GuardMiddleware(super().build_middleware_stack(), self.state.settings.allowed_hosts)


def create_app(settings: ServeSettings, pool: WorkerPool | None = None) -> FastAPI:
    """The service over `settings.out_dir`; its worker pool starts and stops with the application. On start,
    jobs that a stopped server left queued or running are marked failed at once (JobStore.recover)."""
    store = JobStore(settings.out_dir)
    pool = pool or WorkerPool(store, settings)

    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        failed = store.recover(settings.stale_seconds)
        if failed:
            print(f"composer serve: {failed} job(s) left queued or running by a stopped server marked failed",
                  file=sys.stderr)
        pool.start()
        try:
            yield
        finally:
            pool.close()

    app = Service(title="composer", version=__version__, lifespan=lifespan, docs_url=None, redoc_url=None,
                  description="Compose music from a prompt, a picture and options: submit a job, poll it, "
                              "download MIDI, audio, MusicXML and piano rolls.")
    app.state.settings, app.state.store, app.state.pool = settings, store, pool
    app.add_exception_handler(Exception, internal_error)

    def require_key(key: str | None = Security(APIKeyHeader(name="X-API-Key", auto_error=False))) -> None:
        if settings.api_key is not None and not (
                key and hmac.compare_digest(key.encode(), settings.api_key.encode())):
            raise HTTPException(401, "this server needs an API key in the X-API-Key header"
                                     if not key else "the API key in the X-API-Key header is not valid",
                                headers={"WWW-Authenticate": "X-API-Key"})

    router = APIRouter(prefix="/v1", dependencies=[Depends(require_key), Depends(require_body_type)],
                       responses=KEY_ERRORS)

    def job_view(request: Request, job_id: str) -> Job:
        """The job as the API shows it (first failing it if its process is gone); 404 for an unknown id."""
        try:
            state = store.check_alive(job_id, settings.stale_seconds)
            files = store.files(job_id)
        except JobNotFound:
            raise HTTPException(404, f"no composition with id {job_id!r}") from None
        return Job.model_validate({
            **{k: state.get(k) for k in STATUS_KEYS}, "url": path(request, "composition_status", job_id=job_id),
            "files": [JobFile(**entry, url=path(request, "composition_file", job_id=job_id, name=entry["name"]))
                      for entry in files]})

    @router.post("/compositions", status_code=202, openapi_extra=openapi_body(), summary="Queue a composition",
                 response_model=Job, responses={
                     400: {"description": "malformed JSON"}, 408: {"description": "the body came too slowly"},
                     413: {"description": "body or picture too large"},
                     415: {"description": "the body is not application/json or multipart/form-data"},
                     422: {"description": "invalid fields or over a limit"},
                     429: {"description": "the queue is full; see Retry-After"}})
    async def submit(request: Request, response: Response) -> Job | JSONResponse:
        parsed, image = await parsed_body(request, CompositionRequest, from_multipart)
        errors = limit_errors(parsed, settings)
        if errors:
            raise HTTPException(422, errors)
        if parsed.image is not None:
            image = decode_base64_image(parsed.image, settings.max_image_bytes)
        suffix = image_suffix(image, settings.max_image_pixels) if image is not None else ".png"
        return enqueue(request, response, parsed.model_dump(exclude={"image"}), image=image, image_suffix=suffix)

    @router.post("/add-part", status_code=202, openapi_extra=add_part_openapi_body(), response_model=Job,
                 summary="Queue a new part for your MIDI file (poll it under /v1/compositions/{id})", responses={
                     400: {"description": "malformed JSON"}, 408: {"description": "the body came too slowly"},
                     413: {"description": "body or MIDI file too large"},
                     415: {"description": "the body is not application/json or multipart/form-data"},
                     422: {"description": "an unreadable MIDI file, an unknown instrument or role, bad bars"},
                     429: {"description": "the queue is full; see Retry-After"}})
    async def add_part(request: Request, response: Response) -> Job | JSONResponse:
        parsed, midi = await parsed_body(request, AddPartRequest, add_part_form)
        if parsed.midi is not None:
            midi = decode_base64(parsed.midi, settings.max_midi_bytes, "midi", "the MIDI file")
        if midi is None:
            raise HTTPException(422, [field_error(("midi",), "send the MIDI file: base64 in 'midi', or as the file "
                                                             "part 'midi' of a multipart form", "missing")])
        errors = add_part_errors(midi, parsed, settings)
        if errors:
            raise HTTPException(422, errors)
        return enqueue(request, response, {"task": "add-part", **parsed.model_dump(exclude={"midi"})}, midi=midi)

    async def parsed_body(request: Request, model: Any, form_reader: Any) -> tuple[Any, bytes | None]:
        """The request body (JSON, or a multipart form read by `form_reader`) validated as `model` (422 with
        the fields' errors), with the file a form carried (None for JSON)."""
        body = await read_body(request, settings.max_body_bytes)
        if request.headers.get("content-type", "").lower().startswith("multipart/form-data"):
            data, upload = await form_reader(request, body, settings)
        else:
            data, upload = from_json(body), None
        try:
            return model.model_validate(data), upload
        except ValidationError as exc:
            raise HTTPException(422, validation_errors(exc)) from None

    def enqueue(request: Request, response: Response, stored: dict[str, Any], **inputs: Any) -> Job | JSONResponse:
        """Create the job and queue it (429 when the queue is full); the job as the API shows it."""
        if pool.queued() >= settings.queue:
            return queue_full(pool.queued())
        job_id = store.create(stored, **inputs)
        try:
            pool.submit(job_id)
        except QueueFull as exc:
            store.delete(job_id)
            return queue_full(exc.queued)
        job = job_view(request, job_id)
        response.headers["Location"] = job.url
        return job

    def queue_full(queued: int) -> JSONResponse:
        wait = pool.retry_after()
        return JSONResponse({"detail": f"the queue is full ({queued} jobs waiting, limit {settings.queue}); "
                                       f"retry after {wait} s", "queued": queued, "queue_limit": settings.queue},
                            status_code=429, headers={"Retry-After": str(wait)})

    @router.get("/compositions", summary="The newest jobs first", response_model=JobList)
    def jobs(request: Request, limit: int = Query(20, ge=1, le=settings.list_limit,
                                                  description=f"at most {settings.list_limit}")) -> JobList:
        ids, total = store.recent(limit)
        listed = []
        for job_id in ids:
            with contextlib.suppress(HTTPException):  # deleted since it was listed
                listed.append(job_view(request, job_id))
        return JobList(jobs=listed, limit=limit, total=total)

    @router.get("/compositions/{job_id}", name="composition_status", summary="A job's status, progress and files",
                response_model=Job, responses=NOT_FOUND)
    def status(job_id: str, request: Request) -> Job:
        return job_view(request, job_id)

    @router.delete("/compositions/{job_id}", summary="Cancel a queued job, or delete a finished one and its files",
                   response_model=Deletion, responses={**NOT_FOUND, 409: {"description": "the job is running"}})
    def delete(job_id: str, request: Request) -> Deletion:
        state = job_view(request, job_id)
        if state.status == "queued":
            mine = pool.cancel(job_id)  # out of this server's queue; else queued by another server sharing OUT
            if (mine or not pool.holds(job_id)) and store.cancel(job_id)["status"] == "cancelled":
                return Deletion(id=job_id, action="cancelled")
            state = job_view(request, job_id)
        if state.status in ("queued", "running"):
            raise HTTPException(409, f"composition {job_id} is {state.status} on a worker and cannot be cancelled; "
                                     "delete it once it has finished")
        try:
            store.delete(job_id)
        except JobNotFound:
            raise HTTPException(404, f"no composition with id {job_id!r}") from None
        return Deletion(id=job_id, action="deleted")

    # the same two under the names a job queue's clients look for first
    router.add_api_route("/jobs", jobs, methods=["GET"], response_model=JobList, summary="The newest jobs first")
    router.add_api_route("/jobs/{job_id}", delete, methods=["DELETE"], response_model=Deletion,
                         summary="Cancel a queued job, or delete a finished one", responses=NOT_FOUND)

    @router.get("/compositions/{job_id}/files/{name}", name="composition_file", summary="Download one file",
                response_class=FileResponse, responses=NOT_FOUND)
    def file(job_id: str, name: str) -> FileResponse:
        try:
            found = store.file(job_id, name)
        except JobNotFound:
            raise HTTPException(404, f"no composition with id {job_id!r}") from None
        except FileNotFoundError:
            raise HTTPException(404, f"composition {job_id} has no file named {name!r}") from None
        media = MEDIA_TYPES.get(found.suffix.lower()) or mimetypes.guess_type(name)[0] or "application/octet-stream"
        return FileResponse(found, media_type=media, filename=name)

    @app.get("/healthz", summary="Liveness, workers and queue")
    def healthz() -> dict[str, Any]:
        return {"status": "ok", "version": __version__, **pool.stats(),
                "limits": {"max_bars": settings.max_bars, "max_image_bytes": settings.max_image_bytes,
                           "max_image_pixels": settings.max_image_pixels,
                           "max_prompt_chars": settings.max_prompt_chars, "max_layers": settings.max_layers,
                           "max_midi_bytes": settings.max_midi_bytes},
                "api_key_required": settings.api_key is not None}

    @app.get("/docs", include_in_schema=False)
    def docs(request: Request) -> HTMLResponse:
        return docs_page(request, app.title)

    @app.get("/docs/static/{name}", include_in_schema=False)
    def docs_static(name: str) -> FileResponse:  # Swagger UI's own files: the docs work offline
        return docs_asset(name)

    app.include_router(router)
    return app


def path(request: Request, route: str, **params: str) -> str:
    """A route's URL as a path on this server: never built from the request's Host header."""
    return f"{request.scope.get('root_path', '')}{request.app.url_path_for(route, **params)}"


async def internal_error(request: Request, exc: Exception) -> JSONResponse:
    """A bug answers 500 in JSON like every other error (the traceback goes to the log, not the client)."""
    return JSONResponse({"detail": "internal server error"}, status_code=500)
