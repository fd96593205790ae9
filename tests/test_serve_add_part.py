"""POST /v1/add-part: a real part added to an uploaded MIDI file through the service, its notes kept; bad input
refused with a 4xx naming the field, before any job exists."""

from __future__ import annotations

import base64
import dataclasses
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from composer.core.roles import register_for
from composer.core.score import Score
from composer.faces.serve.app import create_app
from composer.faces.serve.engine import Engine
from composer.faces.serve.jobs import JobStore
from composer.faces.serve.runner import run_job
from composer.output.midi_io import midi_bytes, read_midi

from .conftest import small_band_score
from .test_serve import BASE, FakePiece, settings, wait_for

REAL = "composer.faces.serve.engine:real_engine"
Notes = dict[str, list[tuple[int, int, int, int]]]


def band_without_bass() -> Score:
    """Two bars of 3/4: piano, strings and drums, no bass."""
    score = small_band_score()
    score.tracks = [t for t in score.tracks if t.name != "Bass"]
    return score


def notes_by_track(score: Score) -> Notes:
    return {t.name: [(n.pitch, n.velocity, n.start, n.end) for n in t.notes] for t in score.tracks}


@pytest.fixture(scope="module")
def upload() -> bytes:
    return midi_bytes(band_without_bass())


@pytest.fixture(scope="module")
def jobs_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("add-part")


@pytest.fixture(scope="module")
def client(jobs_dir: Path) -> Iterator[TestClient]:
    """The real add_part (the shipped model) in one worker; no warm-up, the first job loads the model."""
    config = settings(jobs_dir, engine=REAL, warm_up=False, max_midi_bytes=20_000)
    with TestClient(create_app(config), base_url=BASE) as test_client:
        yield test_client


def finished_midi(client: TestClient, response: Any) -> tuple[dict[str, Any], Score]:
    assert response.status_code == 202, response.text
    assert response.headers["location"] == f"/v1/compositions/{response.json()['id']}"
    status = wait_for(client, response.json()["id"], timeout=180)
    assert status["status"] == "done", status["error"]
    assert [f["name"] for f in status["files"]] == ["piece.mid"]
    download = client.get(status["files"][0]["url"])
    assert download.status_code == 200 and download.headers["content-type"] == "audio/midi"
    return status, read_midi(download.content)


def test_a_bass_is_added_and_every_original_note_is_kept(client: TestClient, upload: bytes) -> None:
    response = client.post("/v1/add-part", json={"midi": base64.b64encode(upload).decode(), "instrument": "cello",
                                                  "role": "bass", "seed": 1})
    status, result = finished_midi(client, response)
    before, after = notes_by_track(read_midi(upload)), notes_by_track(result)
    assert {name: after.get(name) for name in before} == before  # note for note, drums included
    new = [name for name in after if name not in before]
    assert new == ["Cello"] and len(result.tracks) == len(before) + 1
    window = register_for(42, "bass")
    assert after["Cello"] and all(window.low <= pitch <= window.high for pitch, *_ in after["Cello"])
    added = status["attributes"]["added"]["value"]
    assert (added["track"], added["program"], added["role"]) == ("Cello", 42, "bass")


def test_a_multipart_upload_with_bars_fills_only_those_bars(client: TestClient, upload: bytes) -> None:
    response = client.post("/v1/add-part", data={"request": json.dumps({"instrument": 33, "bars": "2-2", "seed": 4})},
                           files={"midi": ("band.mid", upload, "audio/midi")})
    status, result = finished_midi(client, response)
    before, after = notes_by_track(read_midi(upload)), notes_by_track(result)
    assert {name: after.get(name) for name in before} == before
    (new,) = [name for name in after if name not in before]
    bar_two = result.bar_starts(until_tick=result.end_tick)[1]
    assert after[new] and all(start >= bar_two for _, _, start, _ in after[new])
    assert status["attributes"]["added"]["value"]["program"] == 33


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


GOOD = _b64(midi_bytes(band_without_bass()))
EMPTY = Score(title="silence")


@pytest.mark.parametrize(("body", "status", "words"), [
    ({"midi": _b64(b"MThd garbage that is not a MIDI file"), "instrument": "cello"}, 422, "cannot be read"),
    ({"midi": _b64(b"RIFF....WAVE"), "instrument": "cello"}, 422, "not a MIDI file"),
    ({"midi": "", "instrument": "cello"}, 422, "empty"),
    ({"midi": "not base64!", "instrument": "cello"}, 422, "not valid base64"),
    ({"instrument": "cello"}, 422, "send the MIDI file"),
    ({"midi": GOOD}, 422, "instrument"),
    ({"midi": GOOD, "instrument": "kazoo-violin"}, 422, "kazoo-violin"),
    ({"midi": GOOD, "instrument": "drums"}, 422, "one pitched instrument"),
    ({"midi": GOOD, "instrument": "cello,flute"}, 422, "one pitched instrument"),
    ({"midi": GOOD, "instrument": 300}, 422, "300"),
    ({"midi": GOOD, "instrument": "cello", "role": "rhythm"}, 422, "role must be one of melody"),
    ({"midi": GOOD, "instrument": "cello", "bars": "five"}, 422, "cannot read bars"),
    ({"midi": GOOD, "instrument": "cello", "bars": "8-5"}, 422, "run forwards"),
    ({"midi": GOOD, "instrument": "cello", "bars": "2-9"}, 422, "the file has 2 bars"),
    ({"midi": GOOD, "instrument": "cello", "colour": "red"}, 422, "colour"),
    ({"midi": GOOD, "instrument": "cello", "formats": ["mp3"]}, 422, "mp3"),
    ({"midi": _b64(b"MThd" + bytes(30_000)), "instrument": "cello"}, 413, "20000 bytes"),
], ids=["corrupt", "not-midi", "zero-bytes", "bad-base64", "no-midi", "no-instrument", "unknown-instrument",
        "drums", "two-instruments", "bad-program", "unknown-role", "unreadable-bars", "backward-bars",
        "bars-outside-file", "unknown-field", "unknown-format", "oversized"])
def test_bad_input_gets_a_4xx_with_one_clear_line_and_no_job(client: TestClient, jobs_dir: Path,
                                                             body: dict[str, Any], status: int, words: str) -> None:
    before = sorted((jobs_dir / "jobs").iterdir())
    response = client.post("/v1/add-part", json=body)
    assert response.status_code == status, response.text
    detail = response.json()["detail"]
    lines = [detail] if isinstance(detail, str) else [error["msg"] for error in detail]
    assert len(lines) == 1 and "\n" not in lines[0] and words in json.dumps(detail), detail
    assert sorted((jobs_dir / "jobs").iterdir()) == before


def test_a_file_without_notes_and_a_span_over_the_server_limit_are_refused(client: TestClient) -> None:
    silent = client.post("/v1/add-part", json={"midi": _b64(midi_bytes(EMPTY)), "instrument": "cello"})
    assert silent.status_code == 422 and "no notes" in silent.json()["detail"][0]["msg"]
    long = band_without_bass()
    last = long.tracks[0].notes[-1]
    long.tracks[0].notes[-1] = dataclasses.replace(last, end=last.end + 20 * 3 * 480)  # 22 bars; the limit is 16
    refused = client.post("/v1/add-part", json={"midi": _b64(midi_bytes(long)), "instrument": "cello"})
    assert refused.status_code == 422 and "limit of 16" in refused.json()["detail"][0]["msg"]
    accepted = client.post("/v1/add-part", json={"midi": _b64(midi_bytes(long)), "instrument": "cello",
                                                  "bars": "1-4"})
    assert accepted.status_code == 202, accepted.text
    assert wait_for(client, accepted.json()["id"], timeout=180)["status"] == "done"


def test_multipart_form_mistakes(client: TestClient, upload: bytes) -> None:
    request = json.dumps({"instrument": "cello"})
    twice = client.post("/v1/add-part", data={"request": json.dumps({"instrument": "cello", "midi": GOOD})},
                        files={"midi": ("a.mid", upload)})
    assert twice.status_code == 422 and "once" in twice.json()["detail"]
    unknown = client.post("/v1/add-part", data={"request": request, "image": "x"}, files={"midi": ("a.mid", upload)})
    assert unknown.status_code == 422 and "image" in unknown.text
    as_text = client.post("/v1/add-part", files={"request": (None, request), "midi": (None, "not a file")})
    assert as_text.status_code == 422 and "must be a file" in as_text.text


def test_the_endpoint_is_in_the_openapi_document(client: TestClient) -> None:
    body = client.get("/openapi.json").json()["paths"]["/v1/add-part"]["post"]["requestBody"]["content"]
    schema = body["application/json"]["schema"]
    assert schema["additionalProperties"] is False and schema["required"] == ["instrument"]
    assert {"midi", "role", "bars", "seed"} <= set(schema["properties"])
    assert set(body["multipart/form-data"]["schema"]["properties"]) == {"request", "midi"}


def test_the_runner_passes_the_request_to_add_part(tmp_path: Path, upload: bytes) -> None:
    """In-process: what the job runner hands add_part, and an engine without add_part fails the job."""
    calls: list[tuple[Score, str, dict[str, Any]]] = []

    def add_part(score: Score, instrument: str, **options: Any) -> FakePiece:
        calls.append((score, instrument, options))
        return FakePiece({"added": True})

    def compose(prompt: str | None = None, **options: Any) -> FakePiece:
        raise AssertionError("an add-part job must not compose")

    store, config = JobStore(tmp_path), settings(tmp_path)
    request = {"task": "add-part", "instrument": 42, "role": "bass", "bars": "1-2", "prompt": "walking",
               "formats": ["mid"], "seed": 9}
    job = store.create(request, midi=upload)
    engine = Engine(compose, None, None, lambda: None, False, add_part=add_part)
    assert run_job(store, job, engine, config)["status"] == "done"
    ((score, instrument, options),) = calls
    assert notes_by_track(score) == notes_by_track(read_midi(upload)) and instrument == "42"
    assert options == {"role": "bass", "bars": "1-2", "prompt": "walking", "seed": 9}
    assert [f["name"] for f in store.files(job)] == ["piece.mid"]
    refused = run_job(store, store.create(request, midi=upload), Engine(compose, None, None, lambda: None, False),
                      config)
    assert (refused["status"], refused["error"]) == ("failed", "this version of composer cannot add parts yet")
