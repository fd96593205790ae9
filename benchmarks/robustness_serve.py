"""`composer serve` under abuse, over loopback against a real server with a stand-in engine that composes at once.

Section "serve" (this file's only section so far): a `composer serve` subprocess on 127.0.0.1 (2 workers,
a queue of 64, the default read deadlines) whose workers compose with `fast_engine` below.
  load:      50 concurrent clients x 200 requests each (POST, then poll the job to the end): 5xx must be 0,
             every accepted job must finish; p50/p95 of the POST and of submit -> done.
  slow:      150 slow clients (75 trickle their headers, 75 their body, a byte a second) must each be closed
             within the header / body deadline, while GET /healthz (polled every 50 ms) stays under 100 ms.
  malformed: NaN, Infinity, a 5,000-digit number, JSON nested 5,000 deep, an image bomb, wrong types, the
             wrong content types and a foreign Host: each a 4xx JSON error naming the field.
  restart:   SIGKILL the server with jobs running and queued, start it again: seconds until every job is
             finished or failed (<= 5 s).
Writes results/robustness_serve.json. Run: .venv/bin/python benchmarks/robustness_serve.py   (~3-5 min on 2 cores)
"""

from __future__ import annotations

import base64
import contextlib
import io
import json
import os
import selectors
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
import zlib
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
CLIENTS, PER_CLIENT, WORKERS, QUEUE = 50, 200, 2, 64
LOAD_DEADLINE = 240.0  # no new request after this many seconds of load
SLOW_CLIENTS, TRICKLE_SECONDS = 150, 1.0
HEADER_TIMEOUT, BODY_TIMEOUT = 10.0, 30.0  # the server's defaults (ServeSettings.header_seconds, body_seconds)
RESTART_JOBS, RESTART_BUDGET = 20, 5.0
POLL = 0.05


# The stand-in engine, imported by the server's worker processes (PYTHONPATH=benchmarks): no model, no torch.
class FastScore:
    note_count = 1


MIDI = (b"MThd" + struct.pack(">IHHH", 6, 0, 1, 480) + b"MTrk" + struct.pack(">I", 12)
        + b"\x00\x90\x3c\x64\x83\x60\x80\x3c\x00\x00\xff\x2f\x00")  # one middle C, a beat long


class FastPiece:
    """What the job runner needs of a Piece: a score with notes, attributes and a MIDI writer."""

    score, attributes = FastScore(), {"bars": 1, "tempo": 120.0}

    def save_midi(self, path: Path) -> Path:
        Path(path).write_bytes(MIDI)
        return Path(path)


def fast_compose(prompt: str | None = None, **_: Any) -> FastPiece:
    if prompt and prompt.startswith("sleep:"):  # a job that takes a while, to have some running and queued
        time.sleep(min(10.0, float(prompt[6:])))
    return FastPiece()


def fast_engine() -> Any:
    from composer.faces.serve.engine import Engine

    return Engine(compose=fast_compose, compose_layers=None, describe=None, warm_up=lambda: None,
                  supports_loop=False)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def percentile(values: list[float], q: float) -> float | None:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))], 4) if ordered else None


class Server:
    """A `composer serve` subprocess over `out_dir`, its log appended to `log`."""

    def __init__(self, out_dir: Path, log: Path) -> None:
        self.out_dir, self.log, self.port = out_dir, log, free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        command = [sys.executable, "-m", "composer", "serve", "--port", str(self.port), "--out-dir", str(out_dir),
                   "--workers", str(WORKERS), "--queue", str(QUEUE), "--engine", "robustness_serve:fast_engine",
                   "--log-level", "warning"]
        env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(HERE), os.environ.get("PYTHONPATH", "")])}
        self.launched = time.monotonic()
        self.process = subprocess.Popen(command, stdout=log.open("ab"), stderr=subprocess.STDOUT, env=env,
                                        cwd=HERE.parent)
        self.ready_at = self._wait_ready()

    def _wait_ready(self) -> float:
        import httpx

        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            with contextlib.suppress(httpx.HTTPError, KeyError, ValueError):
                if httpx.get(f"{self.base}/healthz", timeout=2).json()["ready"] == WORKERS:
                    return time.monotonic()
            if self.process.poll() is not None:
                raise SystemExit(f"the server exited: {self.log.read_text()[-2000:]}")
            time.sleep(0.05)
        self.process.kill()
        raise SystemExit("the server was not ready within 120 s")

    def stop(self) -> None:
        self.process.send_signal(signal.SIGINT)
        try:
            self.process.wait(30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def run_load(base: str) -> dict[str, Any]:
    import httpx

    records: list[dict[str, Any]] = []
    lock, started = threading.Lock(), time.monotonic()

    def client(index: int) -> None:
        with httpx.Client(base_url=base, timeout=30) as http:
            for n in range(PER_CLIENT):
                if time.monotonic() - started > LOAD_DEADLINE:
                    return
                record = one(http, {"prompt": "fast", "seed": index * PER_CLIENT + n, "attributes": {"bars": 2}})
                with lock:
                    records.append(record)

    def one(http: httpx.Client, body: dict[str, Any]) -> dict[str, Any]:
        sent = time.monotonic()
        try:
            response = http.post("/v1/compositions", json=body)
        except httpx.HTTPError as exc:
            return {"status": None, "error": repr(exc)}
        record: dict[str, Any] = {"status": response.status_code, "post": time.monotonic() - sent}
        if response.status_code == 429:
            time.sleep(min(5, int(response.headers.get("retry-after", "1"))))
        if response.status_code != 202:
            return record
        url, deadline, state = response.json()["url"], time.monotonic() + 60, "queued"
        while state not in ("done", "failed") and time.monotonic() < deadline:
            time.sleep(POLL)
            polled = http.get(url)
            record["poll_5xx"] = record.get("poll_5xx", 0) + (polled.status_code >= 500)
            state = polled.json().get("status", "?")
        return record | {"job": state, "done": time.monotonic() - sent}

    threads = [threading.Thread(target=client, args=(i,)) for i in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.monotonic() - started
    accepted = [r for r in records if r["status"] == 202]
    return {"clients": CLIENTS, "requests_planned": CLIENTS * PER_CLIENT, "requests": len(records),
            "accepted": len(accepted), "rejected_429": sum(r["status"] == 429 for r in records),
            "server_errors_5xx": sum(1 for r in records if (r["status"] or 0) >= 500 or r.get("poll_5xx")),
            "transport_errors": sum(r["status"] is None for r in records),
            "accepted_done": sum(r.get("job") == "done" for r in accepted),
            "post_seconds": {"p50": percentile([r["post"] for r in records if "post" in r], .5),
                             "p95": percentile([r["post"] for r in records if "post" in r], .95)},
            "submit_to_done_seconds": {"p50": percentile([r["done"] for r in accepted if "done" in r], .5),
                                       "p95": percentile([r["done"] for r in accepted if "done" in r], .95)},
            "wall_seconds": round(wall, 1), "jobs_per_second": round(len(accepted) / wall, 1)}


def run_slow(port: int, base: str) -> dict[str, Any]:
    """Open the slow connections, trickle a byte a second into each, and time when the server closes them."""
    import httpx

    selector = selectors.DefaultSelector()
    opened: dict[socket.socket, dict[str, Any]] = {}
    body_head = (b"POST /v1/compositions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                 b"Content-Length: 100000\r\n\r\n{")
    for index in range(SLOW_CLIENTS):
        sock = socket.create_connection(("127.0.0.1", port))
        kind = "headers" if index % 2 == 0 else "body"
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n" if kind == "headers" else body_head)
        sock.setblocking(False)
        opened[sock] = {"kind": kind, "opened": time.monotonic(), "closed": None, "answer": b""}
        selector.register(sock, selectors.EVENT_READ)
    health: list[float] = []
    stop = threading.Event()

    def poll_health() -> None:
        with httpx.Client(base_url=base, timeout=5) as http:
            while not stop.is_set() and len(health) < 10_000:
                sent = time.monotonic()
                ok = http.get("/healthz").status_code == 200
                health.append(time.monotonic() - sent if ok else float("inf"))
                stop.wait(POLL)

    poller = threading.Thread(target=poll_health)
    poller.start()
    deadline, next_trickle = time.monotonic() + BODY_TIMEOUT + 10, time.monotonic() + TRICKLE_SECONDS
    while any(v["closed"] is None for v in opened.values()) and time.monotonic() < deadline:
        for key, _ in selector.select(timeout=0.05):
            sock, state = key.fileobj, opened[key.fileobj]  # type: ignore[index]
            try:
                chunk = sock.recv(4096)  # type: ignore[union-attr]
            except (BlockingIOError, InterruptedError):
                continue
            except OSError:
                chunk = b""
            state["answer"] += chunk
            if not chunk:
                state["closed"] = time.monotonic()
                selector.unregister(sock)
        if time.monotonic() >= next_trickle:
            next_trickle += TRICKLE_SECONDS
            for sock, state in opened.items():
                if state["closed"] is None:
                    with contextlib.suppress(OSError):
                        sock.send(b"X" if state["kind"] == "headers" else b" ")
    stop.set()
    poller.join()
    for sock in opened:
        sock.close()
    figures: dict[str, Any] = {"slow_clients": SLOW_CLIENTS, "trickle_seconds": TRICKLE_SECONDS}
    for kind, limit in (("headers", HEADER_TIMEOUT), ("body", BODY_TIMEOUT)):
        states = [s for s in opened.values() if s["kind"] == kind]
        held = [s["closed"] - s["opened"] for s in states if s["closed"] is not None]
        figures[kind] = {"clients": len(states), "closed": len(held), "timeout_seconds": limit,
                         "answered_408": sum(s["answer"].startswith(b"HTTP/1.1 408 ") for s in states),
                         "held_seconds_min": round(min(held), 2) if held else None,
                         "held_seconds_max": round(max(held), 2) if held else None,
                         "all_closed_within_timeout": len(held) == len(states) and max(held) <= limit + 1.0}
    figures["healthz"] = {"requests": len(health), "max_ms": round(max(health) * 1000, 1),
                          "p50_ms": round((percentile(health, .5) or 0) * 1000, 1),
                          "p99_ms": round((percentile(health, .99) or 0) * 1000, 1)}
    return figures


def bomb_png(width: int, height: int) -> bytes:
    """An 8x8 PNG whose header claims width x height (the CRC fixed: only decoding would find out)."""
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (8, 8)).save(buffer, format="PNG")
    data = bytearray(buffer.getvalue())
    data[16:29] = ihdr = struct.pack(">II", width, height) + bytes(data[24:29])
    data[29:33] = struct.pack(">I", zlib.crc32(b"IHDR" + ihdr))
    return bytes(data)


def run_malformed(base: str) -> list[dict[str, Any]]:
    import httpx

    bomb = base64.b64encode(bomb_png(20000, 20000)).decode()
    json_type = {"content-type": "application/json"}
    cases: list[tuple[str, str, dict[str, Any]]] = [
        ("NaN", "tempo", {"content": b'{"attributes": {"tempo": NaN}}', "headers": json_type}),
        ("Infinity", "seed", {"content": b'{"seed": Infinity}', "headers": json_type}),
        ("5,000-digit number", "bars", {"content": b'{"attributes": {"bars": ' + b"9" * 5000 + b"}}",
                                        "headers": json_type}),
        ("nested 5,000 deep", "prompt", {"content": b'{"prompt": ' + b"[" * 5000 + b"]" * 5000 + b"}",
                                         "headers": json_type}),
        ("array nested 5,000 deep", "JSON object", {"content": b"[" * 5000 + b"]" * 5000, "headers": json_type}),
        ("image bomb 20000x20000 (base64)", "image", {"json": {"image": bomb}}),
        ("image bomb 20000x20000 (multipart)", "image", {"files": {"image": ("b.png", bomb_png(20000, 20000))}}),
        ("image 7000x7000 (49 Mpx)", "7000x7000", {"json": {"image": base64.b64encode(bomb_png(7000, 7000)).decode()}}),
        ("bars as a string", "bars", {"json": {"attributes": {"bars": "4"}}}),
        ("loop as a string", "loop", {"json": {"loop": "yes"}}),
        ("prompt as a number", "prompt", {"json": {"prompt": 5}}),
        ("formats as a string", "formats", {"json": {"formats": "mid"}}),
        ("text/plain body", "application/json", {"content": b'{"prompt": "x"}',
                                                  "headers": {"content-type": "text/plain"}}),
        ("urlencoded form", "application/json", {"data": {"prompt": "x"}}),
        ("foreign Host header", "Host", {"json": {"prompt": "x"}, "headers": {"host": "rebind.example"}}),
    ]
    results = []
    with httpx.Client(base_url=base, timeout=30) as http:
        for name, field, options in cases:
            response = http.post("/v1/compositions", **options)
            is_json = response.headers.get("content-type") == "application/json"
            detail = json.dumps(response.json().get("detail")) if is_json else response.text
            results.append({"case": name, "status": response.status_code, "json": is_json, "names": field,
                            "ok": 400 <= response.status_code < 500 and is_json and field in detail,
                            "message": detail[:140]})
    return results


def run_restart(out_dir: Path, server: Server, log: Path) -> tuple[dict[str, Any], Server]:
    import httpx

    with httpx.Client(base_url=server.base, timeout=30) as http:
        ids = [http.post("/v1/compositions", json={"prompt": "sleep:3"}).json()["id"] for _ in range(RESTART_JOBS)]
        deadline = time.monotonic() + 30
        while http.get("/healthz").json()["running"] < WORKERS and time.monotonic() < deadline:
            time.sleep(POLL)
        before = http.get("/healthz").json()
    server.process.send_signal(signal.SIGKILL)
    server.process.wait()
    killed_at = time.monotonic()
    time.sleep(0.5)
    orphans = [pid for pid in before["worker_pids"] if _alive(pid)]

    def on_disk() -> list[str]:
        return [json.loads((out_dir / "jobs" / i / "status.json").read_text())["status"] for i in ids]

    settled: list[float] = []  # when every job's status.json first read finished or failed

    def watch_disk(launched: float) -> None:
        while time.monotonic() - launched < 60 and not settled:
            if all(s in ("done", "failed") for s in on_disk()):
                settled.append(time.monotonic() - launched)
            time.sleep(0.01)

    watcher = threading.Thread(target=watch_disk, args=(time.monotonic(),))
    watcher.start()
    restarted = Server(out_dir, log)
    watcher.join()
    terminal_at_ready = sum(s in ("done", "failed") for s in on_disk())
    finished = None
    with httpx.Client(base_url=restarted.base, timeout=30) as http:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            states = [http.get(f"/v1/compositions/{i}").json()["status"] for i in ids]
            if all(s in ("done", "failed") for s in states):
                finished = time.monotonic()
                break
            time.sleep(POLL)
    after_ready = round(finished - restarted.ready_at, 3) if finished else None
    figures = {"jobs": RESTART_JOBS, "running_at_kill": before["running"], "queued_at_kill": before["queued"],
               "orphan_workers_after_kill": len(orphans), "terminal_on_disk_when_ready": terminal_at_ready,
               "statuses": {s: states.count(s) for s in sorted(set(states))},
               "seconds_launch_to_ready": round(restarted.ready_at - restarted.launched, 2),
               "seconds_launch_to_all_finished_on_disk": round(settled[0], 2) if settled else None,
               "seconds_ready_to_all_finished": after_ready,
               "seconds_launch_to_all_finished": round(finished - restarted.launched, 2) if finished else None,
               "seconds_kill_to_all_finished": round(finished - killed_at, 2) if finished else None}
    figures["within_budget"] = bool(settled) and settled[0] <= RESTART_BUDGET
    return figures, restarted


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with contextlib.suppress(OSError, IndexError):
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] not in ("Z", "X")
    return True


def serve_section() -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as folder:
        out_dir, log = Path(folder) / "out", Path(folder) / "server.log"
        server = Server(out_dir, log)
        try:
            load = run_load(server.base)
            slow = run_slow(server.port, server.base)
            malformed = run_malformed(server.base)
            restart, server = run_restart(out_dir, server, log)
        finally:
            server.stop()
        tracebacks = log.read_text(errors="replace").count("Traceback")
    figures = {"workers": WORKERS, "queue_limit": QUEUE, "load": load, "slow": slow, "malformed": malformed,
               "restart": restart, "server_tracebacks": tracebacks}
    figures["meets_floors"] = bool(
        load["server_errors_5xx"] == 0 and load["transport_errors"] == 0 and load["accepted_done"] == load["accepted"]
        and slow["headers"]["all_closed_within_timeout"] and slow["body"]["all_closed_within_timeout"]
        and slow["healthz"]["max_ms"] < 100 and all(c["ok"] for c in malformed) and restart["within_budget"]
        and tracebacks == 0)
    return figures


def print_table(serve: dict[str, Any], path: Path) -> None:
    load, slow, restart = serve["load"], serve["slow"], serve["restart"]
    rows = [
        ("load: requests sent / planned", f"{load['requests']} / {load['requests_planned']} ({CLIENTS} clients)"),
        ("load: accepted / 429 / 5xx", f"{load['accepted']} / {load['rejected_429']} / {load['server_errors_5xx']}"),
        ("load: accepted jobs done", f"{load['accepted_done']} / {load['accepted']}"),
        ("load: POST p50 / p95 s", f"{load['post_seconds']['p50']} / {load['post_seconds']['p95']}"),
        ("load: submit->done p50 / p95 s",
         f"{load['submit_to_done_seconds']['p50']} / {load['submit_to_done_seconds']['p95']}"),
        ("load: wall s / jobs per s", f"{load['wall_seconds']} / {load['jobs_per_second']}")]
    for kind in ("headers", "body"):
        s = slow[kind]
        rows.append((f"slow {kind}: closed / clients (408)", f"{s['closed']} / {s['clients']} ({s['answered_408']}); "
                     f"held {s['held_seconds_min']}-{s['held_seconds_max']} s, timeout {s['timeout_seconds']} s"))
    health = slow["healthz"]
    rows += [("slow: /healthz max / p99 / p50 ms",
              f"{health['max_ms']} / {health['p99_ms']} / {health['p50_ms']} ({health['requests']} polls)"),
             ("restart: running / queued at SIGKILL", f"{restart['running_at_kill']} / {restart['queued_at_kill']}"),
             ("restart: statuses after", json.dumps(restart["statuses"])),
             ("restart: launch -> all finished s", f"{restart['seconds_launch_to_all_finished_on_disk']} on disk; "
                                                   f"ready -> all finished via API "
                                                   f"{restart['seconds_ready_to_all_finished']} (launch -> workers "
                                                   f"ready {restart['seconds_launch_to_ready']})"),
             ("server tracebacks", serve["server_tracebacks"])]
    width = max(len(r[0]) for r in rows)
    for name, value in rows:
        print(f"{name:<{width}}  {value}")
    for case in serve["malformed"]:
        print(f"{'ok ' if case['ok'] else 'BAD'} {case['case']:<36} {case['status']}  {case['message'][:90]}")
    print(f"floors {'met' if serve['meets_floors'] else 'NOT met'} -> {path}")


def main() -> int:
    sys.path.insert(0, str(HERE))
    from common import write_result

    started = time.monotonic()
    serve = serve_section()
    serve["total_seconds"] = round(time.monotonic() - started, 1)
    path = write_result("robustness_serve", {"serve": serve, "note": "2-core VM shared with other work"},
                        packages=("fastapi", "uvicorn", "h11", "httpx", "pydantic"))
    print_table(serve, path)
    return 0 if serve["meets_floors"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
