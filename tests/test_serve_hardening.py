"""`composer serve` hardening: binding needs a key, body types, the Host allowlist, malformed bodies, read
deadlines, security headers, recovery after a killed server, and listing / cancelling / deleting jobs."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import socket
import struct
import subprocess
import sys
import threading
import time
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from fastapi.testclient import TestClient

from composer.faces.serve.app import create_app
from composer.faces.serve.command import allowed_hosts
from composer.faces.serve.jobs import JobStore
from composer.faces.serve.protocol import server_config

from .conftest import REPO
from .test_serve import BASE, png_bytes, settings, submit, wait_for


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    """One worker and a queue of 16."""
    app = create_app(settings(tmp_path_factory.mktemp("hardening"), queue=16))
    with TestClient(app, base_url=BASE) as test_client:
        yield test_client


def job_count(client: TestClient) -> int:
    return len(list(JobStore(client.app.state.settings.out_dir).root.iterdir()))  # type: ignore[attr-defined]


def test_binding_beyond_loopback_without_an_api_key_is_refused() -> None:
    env = {k: v for k, v in os.environ.items() if k != "COMPOSER_API_KEY"}
    result = subprocess.run([sys.executable, "-m", "composer", "serve", "--host", "0.0.0.0", "--port", "1"],
                            capture_output=True, text=True, cwd=REPO, timeout=60, env=env)
    assert result.returncode == 2, result.stderr
    assert result.stderr.strip().count("\n") == 0 and "without an API key" in result.stderr
    assert allowed_hosts("0.0.0.0", ["Music.Example"]) == ("localhost", "127.0.0.1", "[::1]", "music.example")
    assert allowed_hosts("::1", []) == ("localhost", "127.0.0.1", "[::1]")
    assert "192.168.1.5" in allowed_hosts("192.168.1.5", [])


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", "application/xml",
                                          None, "application/json-patch+json"])
def test_only_json_and_multipart_bodies_are_accepted(client: TestClient, content_type: str | None) -> None:
    before = job_count(client)
    headers = {"content-type": content_type} if content_type else {}
    response = client.post("/v1/compositions", content=b'{"prompt": "x"}', headers=headers)
    assert response.status_code == 415, response.text
    assert response.headers["content-type"] == "application/json"
    assert "application/json or multipart/form-data" in response.json()["detail"]
    assert job_count(client) == before
    accepted = client.post("/v1/compositions", content=b'{"prompt": "x"}',
                           headers={"content-type": "Application/JSON; charset=utf-8"})
    assert accepted.status_code == 202


def test_host_allowlist_and_urls_never_carry_the_host(tmp_path: Path) -> None:
    app = create_app(settings(tmp_path, allowed_hosts=("localhost", "127.0.0.1", "[::1]", "music.example")))
    with TestClient(app, base_url=BASE) as client:
        for host in ("evil.example", "localhost.evil.example", "127.0.0.1.nip.io", "", "a b", "localhost:x"):
            response = client.get("/healthz", headers={"host": host})
            assert response.status_code == 400 and "Host" in response.json()["detail"], host
            assert host not in response.text or not host
        for host in ("localhost", "LOCALHOST:8000", "127.0.0.1:9", "[::1]:80", "music.example:443", "localhost."):
            assert client.get("/healthz", headers={"host": host}).status_code == 200, host
        response = client.post("/v1/compositions", json={"prompt": "x"}, headers={"host": "music.example:8443"})
        assert response.status_code == 202
        body = response.json()
        assert body["url"] == response.headers["location"] == f"/v1/compositions/{body['id']}"
        done = wait_for(client, body["id"])
        listed = client.get("/v1/compositions", headers={"host": "music.example"}).text
        for text in (json.dumps(done), listed):
            assert "music.example" not in text and "localhost" not in text and "http" not in text


def bomb_png(width: int, height: int) -> bytes:
    """A real 8x8 PNG whose header claims width x height pixels (the CRC fixed, so only decoding would fail)."""
    data = bytearray(png_bytes(8))
    ihdr = struct.pack(">II", width, height) + bytes(data[24:29])
    data[16:29] = ihdr
    data[29:33] = struct.pack(">I", zlib.crc32(b"IHDR" + ihdr))
    return bytes(data)


MALFORMED = [
    ("nan", b'{"attributes": {"tempo": NaN}}', 422, "tempo"),
    ("infinity", b'{"seed": Infinity}', 422, "seed"),
    ("minus-infinity", b'{"attributes": {"tempo": -Infinity}}', 422, "tempo"),
    ("5000-digit-int", b'{"attributes": {"bars": ' + b"9" * 5000 + b"}}", 422, "bars"),
    ("5000-digit-float", b'{"attributes": {"tempo": 1' + b"0" * 5000 + b'.5}}', 422, "tempo"),
    ("5000-deep-value", b'{"prompt": ' + b"[" * 5000 + b"]" * 5000 + b"}", 422, "prompt"),
    ("5000-deep-object", b'{"layers": ' + b'{"a": ' * 5000 + b"1" + b"}" * 5001, 422, "layers"),
    ("5000-deep-array", b"[" * 5000 + b"]" * 5000, 400, "JSON object"),
    ("bars-as-string", b'{"attributes": {"bars": "4"}}', 422, "bars"),
    ("bars-as-float", b'{"attributes": {"bars": 4.0}}', 422, "bars"),
    ("bars-as-bool", b'{"attributes": {"bars": true}}', 422, "bars"),
    ("loop-as-string", b'{"loop": "yes"}', 422, "loop"),
    ("prompt-as-number", b'{"prompt": 5}', 422, "prompt"),
    ("formats-as-string", b'{"formats": "mid"}', 422, "formats"),
    ("attributes-as-list", b'{"attributes": [1]}', 422, "attributes"),
    ("tempo-out-of-range", b'{"attributes": {"tempo": 1e9}}', 422, "tempo"),
    ("seed-negative", b'{"seed": -1}', 422, "seed"),
    ("trailing-garbage", b'{"prompt": "x"} x', 400, "not valid JSON"),
    ("bomb-png-20000", json.dumps({"image": base64.b64encode(bomb_png(20000, 20000)).decode()}).encode(), 422,
     "image"),
    ("bomb-png-7000", json.dumps({"image": base64.b64encode(bomb_png(7000, 7000)).decode()}).encode(), 422,
     "7000x7000"),
]


@pytest.mark.parametrize(("body", "status", "field"), [case[1:] for case in MALFORMED],
                         ids=[case[0] for case in MALFORMED])
def test_malformed_bodies_get_a_4xx_json_error_naming_the_field(client: TestClient, body: bytes, status: int,
                                                                field: str) -> None:
    before = job_count(client)
    response = client.post("/v1/compositions", content=body, headers={"content-type": "application/json"})
    assert response.status_code == status, response.text[:300]
    assert response.headers["content-type"] == "application/json"
    assert field in json.dumps(response.json()["detail"])
    assert job_count(client) == before


def test_an_image_bomb_in_a_multipart_upload_is_refused_by_its_header(client: TestClient) -> None:
    response = client.post("/v1/compositions", files={"image": ("bomb.png", bomb_png(20000, 20000), "image/png")})
    assert response.status_code == 422 and response.json()["detail"][0]["loc"] == ["body", "image"]
    fine = client.post("/v1/compositions", files={"image": ("ok.png", bomb_png(8, 8), "image/png")})
    assert fine.status_code == 202, fine.text


@pytest.fixture
def live_server(tmp_path: Path) -> Iterator[tuple[int, uvicorn.Server]]:
    """A real uvicorn on 127.0.0.1 with half-second read deadlines."""
    yield from serving(settings(tmp_path, header_seconds=0.5, body_seconds=0.5))


def serving(config: Any) -> Iterator[tuple[int, uvicorn.Server]]:
    """Run the app of `config` in a real uvicorn on a free loopback port until the generator is closed."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(server_config(create_app(config), config, "127.0.0.1", port, "warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started
    yield port, server
    server.should_exit = True
    thread.join(30)


def closed_after(sock: socket.socket, trickle: bytes, limit: float = 4.0) -> tuple[float, bytes]:
    """Send `trickle` a byte every 0.1 s until the server closes the connection; seconds taken and the answer."""
    started, answer = time.monotonic(), b""
    sock.settimeout(0.1)
    for byte in [trickle[i:i + 1] for i in range(len(trickle))] or [b""] * 100:
        if time.monotonic() - started > limit:
            break
        try:
            if byte:
                sock.sendall(byte)
            chunk = sock.recv(4096)
            answer += chunk
            if not chunk:
                return time.monotonic() - started, answer
        except TimeoutError:
            continue
        except (BrokenPipeError, ConnectionResetError):
            return time.monotonic() - started, answer
    raise AssertionError(f"the connection was still open after {time.monotonic() - started:.1f} s")


def test_slow_headers_and_slow_bodies_are_answered_408_and_closed(live_server: tuple[int, uvicorn.Server]) -> None:
    port, _ = live_server
    opening = {"silent": b"", "slow-headers": b"",
               "slow-body": b"POST /v1/compositions HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json"
                            b"\r\nContent-Length: 1000\r\n\r\n{"}
    slow = {"silent": b"", "slow-headers": b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nX-Slow: " + b"a" * 200,
            "slow-body": b" " * 200}
    sockets = {name: socket.create_connection(("127.0.0.1", port)) for name in slow}
    for name, data in opening.items():
        sockets[name].sendall(data)
    results: dict[str, tuple[float, bytes]] = {}
    threads = [threading.Thread(target=lambda n=name: results.__setitem__(n, closed_after(sockets[n], slow[n])))
               for name in slow]
    for thread in threads:
        thread.start()
    health = []
    while any(t.is_alive() for t in threads):
        started = time.monotonic()
        with socket.create_connection(("127.0.0.1", port)) as fast:
            fast.sendall(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
            assert b" 200 " in fast.recv(65536).split(b"\r\n")[0]
        health.append(time.monotonic() - started)
        time.sleep(0.05)
    for thread in threads:
        thread.join()
    assert set(results) == set(slow), f"still open after 4 s: {sorted(set(slow) - set(results))}"
    for name, (seconds, answer) in results.items():
        assert 0.4 < seconds < 2.0, (name, seconds)
        assert answer.startswith(b"HTTP/1.1 408 "), (name, answer[:80])
        assert b"application/json" in answer and b"did not arrive within 0.5 s" in answer
        sockets[name].close()
    assert health and max(health) < 0.5


def test_security_headers_on_every_response(client: TestClient) -> None:
    job = wait_for(client, submit(client, {"prompt": "x"}))
    responses = [client.get("/healthz"), client.get("/openapi.json"), client.get("/nowhere"),
                 client.get(job["url"]), client.get(job["files"][0]["url"]), client.get("/v1/compositions/x"),
                 client.post("/v1/compositions", content=b"x", headers={"content-type": "text/plain"}),
                 client.get("/healthz", headers={"host": "evil.example"}), client.get("/docs")]
    for response in responses:
        assert response.headers["x-content-type-options"] == "nosniff", response.url
        assert response.headers["cache-control"] == "no-store"
        assert response.headers["x-frame-options"] == "DENY"
        assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    assert responses[0].headers["content-security-policy"].startswith("default-src 'none';")
    docs = responses[-1]
    policy = docs.headers["content-security-policy"]
    scripts = re.findall(rb"<script>(.*?)</script>", docs.content, re.DOTALL)
    assert scripts and all(f"'sha256-{base64.b64encode(hashlib.sha256(s).digest()).decode()}'" in policy
                           for s in scripts)
    assert "connect-src 'self'" in policy and "unsafe-eval" not in policy and "script-src 'unsafe-inline'" not in policy


def test_jobs_left_by_a_killed_server_are_failed_at_start_up(tmp_path: Path) -> None:
    store = JobStore(tmp_path)
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    host = store.read(store.create({}))["server"]["host"]
    queued = store.create({})
    store.update(queued, server={"host": host, "pid": gone.pid})
    running = store.create({})
    store.update(running, status="running", stage="composing", worker={"host": host, "pid": gone.pid},
                 heartbeat_at=time.time())
    (store.folder(running) / ".staging").mkdir()
    (store.folder(running) / ".staging" / "piece.mid.part").write_bytes(b"half")
    elsewhere = store.create({})
    store.update(elsewhere, status="running", worker={"host": "elsewhere", "pid": 1}, heartbeat_at=time.time())
    started = time.monotonic()
    with TestClient(create_app(settings(tmp_path)), base_url=BASE) as client:
        assert time.monotonic() - started < 5
        on_disk = {job_id: store.read(job_id) for job_id in (queued, running, elsewhere)}  # not via the API
        assert on_disk[queued]["status"] == "failed" and "stopped before it ran" in on_disk[queued]["error"]
        assert on_disk[running]["status"] == "failed" and "died during the job" in on_disk[running]["error"]
        assert not (store.folder(running) / ".staging").exists()
        assert on_disk[elsewhere]["status"] == "running"  # another host's live worker: left alone
        assert client.get(f"/v1/compositions/{queued}").json()["status"] == "failed"


def test_list_cancel_and_delete_jobs(client: TestClient, tmp_path: Path) -> None:
    gate = tmp_path / "gate"
    first = submit(client, {"prompt": "list-1"})
    wait_for(client, first)
    running = submit(client, {"prompt": f"block:{gate}"})
    wait_for(client, running, until=("running",))
    queued = submit(client, {"prompt": "waits"})
    listed = client.get("/v1/compositions", params={"limit": 3}).json()
    assert [job["id"] for job in listed["jobs"]] == [queued, running, first] and listed["limit"] == 3
    assert listed["total"] >= 3 and [j["status"] for j in listed["jobs"]] == ["queued", "running", "done"]
    assert client.get("/v1/jobs", params={"limit": 3}).json()["jobs"] == listed["jobs"]  # the alias
    for limit in (0, 101, "x"):
        assert client.get("/v1/compositions", params={"limit": limit}).status_code == 422
    assert client.delete("/v1/jobs/00000000-0000-4000-8000-000000000000").status_code == 404
    assert client.delete("/v1/compositions/00000000-0000-4000-8000-000000000000").status_code == 404
    refused = client.delete(f"/v1/compositions/{running}")
    assert refused.status_code == 409 and "running" in refused.json()["detail"]
    assert client.delete(f"/v1/compositions/{queued}").json() == {"id": queued, "action": "cancelled"}
    assert client.get(f"/v1/compositions/{queued}").json()["status"] == "cancelled"
    gate.touch()
    assert wait_for(client, running)["status"] == "done"
    time.sleep(0.3)  # the cancelled job is never run: the worker is idle and it stays cancelled
    assert client.get(f"/v1/compositions/{queued}").json()["status"] == "cancelled"
    assert client.get("/healthz").json()["queued"] == 0
    assert client.delete(f"/v1/compositions/{first}").json() == {"id": first, "action": "deleted"}
    assert client.get(f"/v1/compositions/{first}").status_code == 404
    assert client.delete(f"/v1/compositions/{first}").status_code == 404
    assert client.delete(f"/v1/compositions/{queued}").json()["action"] == "deleted"


def test_every_job_endpoint_has_a_typed_response_in_openapi(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    paths = spec["paths"]

    def schema(path: str, method: str, status: str) -> Any:
        return paths[path][method]["responses"][status]["content"]["application/json"]["schema"]

    assert schema("/v1/compositions", "post", "202") == {"$ref": "#/components/schemas/Job"}
    assert schema("/v1/compositions", "get", "200") == {"$ref": "#/components/schemas/JobList"}
    assert schema("/v1/compositions/{job_id}", "get", "200") == {"$ref": "#/components/schemas/Job"}
    assert schema("/v1/compositions/{job_id}", "delete", "200") == {"$ref": "#/components/schemas/Deletion"}
    job = spec["components"]["schemas"]["Job"]
    assert set(job["required"]) >= {"id", "status", "created_at", "url"}
    assert job["properties"]["status"]["enum"] == ["queued", "running", "done", "failed", "cancelled"]
