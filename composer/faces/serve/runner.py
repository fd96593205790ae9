"""One job, run inside a worker process: compose, write each requested file, publish them whole, report progress."""

from __future__ import annotations

import os
import shutil
import sys
import threading
import traceback
from pathlib import Path
from typing import Any

from composer.core.errors import ComposerError, EmptyScoreError
from composer.faces.serve.engine import Engine
from composer.faces.serve.jobs import HOST, TERMINAL, JobStore, now
from composer.faces.serve.schema import programs
from composer.faces.serve.settings import AUDIO_FORMATS, ServeSettings

# Progress at the start of each stage; composing and writing advance within their span.
STAGES = {"queued": 0.0, "loading": 0.05, "composing": 0.1, "writing": 0.6, "done": 1.0}
BASE_NAME = "piece"


class Reporter:
    """Writes a running job's stage and progress, and touches its heartbeat from a thread meanwhile."""

    def __init__(self, store: JobStore, job_id: str, heartbeat_seconds: float) -> None:
        self.store, self.job_id = store, job_id
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._beat, args=(heartbeat_seconds,), daemon=True)

    def __enter__(self) -> Reporter:
        self.update(status="running", stage="loading", progress=STAGES["loading"], started_at=now(),
                    worker={"host": HOST, "pid": os.getpid()})
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def update(self, **changes: Any) -> None:
        """Write the changes, unless someone has meanwhile marked the job failed (a server that took this worker
        for dead): then Abandoned, and the job stops without publishing."""
        with self._lock:
            if self.store.read(self.job_id)["status"] in TERMINAL:
                raise Abandoned(self.job_id)
            self.store.update(self.job_id, heartbeat_at=now(), **changes)

    def stage(self, stage: str, progress: float | None = None) -> None:
        self.update(stage=stage, progress=round(STAGES[stage] if progress is None else progress, 3))

    def _beat(self, seconds: float) -> None:
        while not self._stop.wait(seconds):
            try:
                self.update()
            except Abandoned:
                return


class Abandoned(Exception):
    """The job was marked failed by someone else while this worker was still running it."""


def run_job(store: JobStore, job_id: str, engine: Engine, settings: ServeSettings) -> dict[str, Any]:
    """Run the job to the end; its status ends done (with files) or failed (with a message), never half-written."""
    try:
        with Reporter(store, job_id, settings.heartbeat_seconds) as reporter:
            request = store.request(job_id)
            if request.get("task") == "add-part":
                pieces = _add_part(store, job_id, request, engine, reporter)
            else:
                pieces = _compose(store, job_id, request, engine, settings, reporter)
            outputs = _write(store.folder(job_id) / ".staging", request, pieces, reporter)
            reporter.update()  # Abandoned here, before publishing, if the job was declared dead meanwhile
            _publish(store.folder(job_id), outputs)
            first = next(iter(pieces.values()))
            reporter.update(status="done", stage="done", progress=1.0, finished_at=now(),
                            files=list(outputs), attributes=getattr(first, "attributes", None))
    except Abandoned:
        store.remove_partial(job_id)
        return store.read(job_id)
    except ComposerError as exc:
        return store.fail(job_id, str(exc))
    except Exception as exc:
        traceback.print_exc(file=sys.stderr)
        return store.fail(job_id, f"internal error: {type(exc).__name__}: {exc}")
    return store.read(job_id)


def compose_options(request: dict[str, Any], folder: Path) -> dict[str, Any]:
    """The stored request as keyword arguments of composer.compose."""
    attributes = request.get("attributes") or {}
    options: dict[str, Any] = {
        "image": str(folder / request["image"]) if request.get("image") else None,
        "key": attributes.get("key"), "tempo": attributes.get("tempo"), "meter": attributes.get("meter"),
        "bars": attributes.get("bars"), "chords": attributes.get("chords"), "seed": request.get("seed"),
        "instruments": programs(attributes["instruments"]) if attributes.get("instruments") is not None else None,
    }
    return options


def _compose(store: JobStore, job_id: str, request: dict[str, Any], engine: Engine, settings: ServeSettings,
             reporter: Reporter) -> dict[str, Any]:
    """{layer prefix: Piece}; the prefix is "" without layers."""
    options = compose_options(request, store.folder(job_id))
    prompt = request.get("prompt")
    if engine.describe is not None and options["bars"] is None:  # the prompt may ask for bars ("60 seconds")
        resolved = engine.describe(prompt, **{k: v for k, v in options.items() if k != "seed"})
        if int(resolved["bars"]) > settings.max_bars:
            raise ComposerError(f"the request comes to {resolved['bars']} bars; this server's limit is "
                                f"{settings.max_bars} (give attributes.bars)")
    if request.get("loop"):
        if not engine.supports_loop:
            raise ComposerError("this version of composer cannot compose loops yet")
        options["loop"] = True
    reporter.stage("composing")
    layers = request.get("layers")
    if layers:
        if engine.compose_layers is None:
            raise ComposerError("this version of composer cannot compose layers yet")
        made = engine.compose_layers(list(layers), prompt=prompt, **options)
        missing = [name for name in layers if name not in made]
        if missing:
            raise ComposerError(f"the layers {', '.join(missing)} were not composed")
        pieces = {f"{name}-": made[name] for name in layers}
    else:
        pieces = {"": engine.compose(prompt, **options)}
    for prefix, piece in pieces.items():
        if piece.score.note_count == 0:
            raise EmptyScoreError(f"the model produced no notes{f' for layer {prefix[:-1]}' if prefix else ''}; "
                                  "try another seed")
    return pieces


def _add_part(store: JobStore, job_id: str, request: dict[str, Any], engine: Engine,
              reporter: Reporter) -> dict[str, Any]:
    """{"": the uploaded file with its new part}; the request was checked when it was queued."""
    from composer.output.midi_io import read_midi

    if engine.add_part is None:
        raise ComposerError("this version of composer cannot add parts yet")
    score = read_midi(store.folder(job_id) / request["midi"])
    reporter.stage("composing")
    piece = engine.add_part(score, str(request["instrument"]), role=request.get("role"), bars=request.get("bars"),
                            prompt=request.get("prompt"), seed=request.get("seed"))
    return {"": piece}


def _write(staging: Path, request: dict[str, Any], pieces: dict[str, Any], reporter: Reporter) -> dict[str, Path]:
    """Write every requested file of every piece into the staging folder; return them by published name."""
    from composer.output.render import render_to_files

    staging.mkdir(exist_ok=True)
    formats = sorted(request.get("formats") or ["mid"], key=lambda f: f != "mid")  # the MIDI first: sidecars name it
    audio = [f for f in formats if f in AUDIO_FORMATS]
    stems_format = audio[0] if audio else "wav"
    steps = len(pieces) * (len(formats) + (1 if request.get("stems") and not audio else 0))
    done = 0
    for prefix, piece in pieces.items():
        stem = f"{prefix}{BASE_NAME}"
        midi = staging / f"{stem}.mid" if "mid" in formats else None
        for fmt in formats:
            reporter.stage("writing", STAGES["writing"] + (STAGES["done"] - STAGES["writing"]) * done / steps)
            target = staging / f"{stem}.{fmt}"
            if fmt == "mid":
                piece.save_midi(target)
            elif fmt == "musicxml":
                piece.save_musicxml(target)
            elif fmt == "png":
                piece.piano_roll_png(target)
            else:
                stems_dir = staging / f"{prefix}stems" if request.get("stems") and fmt == stems_format else None
                written = render_to_files(piece.score, target, stems_dir=stems_dir, midi=midi)
                _published_links(written.sidecar, prefix)
            done += 1
        if request.get("stems") and not audio:
            written = render_to_files(piece.score, None, stems_dir=staging / f"{prefix}stems", midi=midi)
            _published_links(written.sidecar, prefix)
            done += 1
    return _outputs(staging, pieces)


def _published_links(sidecar: Path | None, prefix: str) -> None:
    """Name the stems in a sidecar as they are published ("<prefix>stems/01-piano.wav" is served as
    "<prefix>stem-01-piano.wav"), so every file it names can be downloaded beside it."""
    if sidecar is None:
        return
    import json

    from composer.core.atomic import write_bytes_atomic

    folder = f"{prefix}stems/"

    def rename(value: Any) -> Any:
        if isinstance(value, str) and value.startswith(folder):
            return f"{prefix}stem-{value[len(folder):]}"
        if isinstance(value, list):
            return [rename(v) for v in value]
        if isinstance(value, dict):
            return {k: rename(v) for k, v in value.items()}
        return value

    facts = rename(json.loads(sidecar.read_text(encoding="utf-8")))
    write_bytes_atomic(sidecar, (json.dumps(facts, indent=2, ensure_ascii=False) + "\n").encode())


def _outputs(staging: Path, pieces: dict[str, Any]) -> dict[str, Path]:
    """Every finished file in staging (sidecars too) by its published name; stems flattened to
    "<prefix>stem-01-piano.wav"."""
    found = {p.name: p for p in staging.iterdir() if p.is_file() and not p.name.startswith(".")}
    for prefix in pieces:
        stems = staging / f"{prefix}stems"
        if stems.is_dir():
            found |= {f"{prefix}stem-{p.name}": p for p in stems.iterdir()
                      if p.is_file() and not p.name.startswith(".")}
    return dict(sorted(found.items()))


def _publish(folder: Path, outputs: dict[str, Path]) -> None:
    """Move the finished files from .staging into files/, each by one rename, then drop .staging."""
    for name, source in outputs.items():
        os.replace(source, folder / "files" / name)
    shutil.rmtree(folder / ".staging")
