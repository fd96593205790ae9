"""The service's /docs page works offline: Swagger UI from this server's own files, a CSP of 'self', and
(slow, when Chromium is installed) a real browser with no network drawing it."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from composer.faces.serve.app import create_app

from .test_serve import BASE, settings
from .test_serve_hardening import serving

CHROMIUM = next((shutil.which(name) for name in ("chromium", "chromium-browser", "google-chrome")
                 if shutil.which(name)), None)


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    with TestClient(create_app(settings(tmp_path_factory.mktemp("docs"))), base_url=BASE) as test_client:
        yield test_client


def test_docs_load_nothing_from_another_origin(client: TestClient) -> None:
    page = client.get("/docs")
    assert page.status_code == 200
    links = re.findall(r'(?:src|href)="([^"]+)"', page.text) + re.findall(r"url: '([^']+)'", page.text)
    assert sorted(links) == ["/docs/static/favicon.png", "/docs/static/swagger-ui-bundle.js",
                             "/docs/static/swagger-ui.css", "/openapi.json"]
    assert "http" not in page.text.replace("http-equiv", "")  # no absolute URL at all
    policy = page.headers["content-security-policy"]
    assert re.search(r"script-src 'self'( 'sha256-[A-Za-z0-9+/=]+')+;", policy), policy
    assert "style-src 'self';" in policy and "cdn" not in policy and "https:" not in policy
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy


@pytest.mark.parametrize(("name", "kind", "starts"), [
    ("swagger-ui-bundle.js", "text/javascript", b"/*!"), ("swagger-ui.css", "text/css", b".swagger-ui"),
    ("favicon.png", "image/png", b"\x89PNG")], ids=["script", "stylesheet", "icon"])
def test_swagger_ui_files_are_served_from_the_package(client: TestClient, name: str, kind: str,
                                                      starts: bytes) -> None:
    answer = client.get(f"/docs/static/{name}")
    assert answer.status_code == 200 and answer.headers["content-type"].startswith(kind)
    assert answer.content.startswith(starts) and len(answer.content) > 1000
    assert answer.headers["x-content-type-options"] == "nosniff"


@pytest.mark.parametrize("name", ["redoc.standalone.js", "..%2F__init__.py", "%2e%2e%2fcore.py", "nothing.js"])
def test_only_the_docs_files_are_served(client: TestClient, name: str) -> None:
    assert client.get(f"/docs/static/{name}").status_code == 404


@pytest.fixture
def live_server(tmp_path: Path) -> Iterator[int]:
    for port, _ in serving(settings(tmp_path)):
        yield port


@pytest.mark.slow
@pytest.mark.skipif(CHROMIUM is None, reason="no Chromium (apt-get install chromium)")
def test_headless_chromium_without_a_network_draws_the_docs(live_server: int, tmp_path: Path) -> None:
    from PIL import Image

    offline = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-dev-shm-usage",
               f"--user-data-dir={tmp_path / 'profile'}", "--proxy-server=127.0.0.1:9",  # nowhere to go
               "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1", "--virtual-time-budget=15000",
               "--window-size=1280,1400"]
    url = f"http://127.0.0.1:{live_server}/docs"
    shot = tmp_path / "docs.png"
    subprocess.run([CHROMIUM, *offline, f"--screenshot={shot}", url], capture_output=True, timeout=120, check=False)
    dom = subprocess.run([CHROMIUM, *offline, "--dump-dom", url], capture_output=True, text=True, timeout=120)
    assert "Queue a composition" in dom.stdout and "/v1/compositions/{job_id}" in dom.stdout  # drawn by the script
    if os.environ.get("COMPOSER_ARTIFACTS"):  # keep the picture (CI artifacts; examples/docs_offline.png)
        shutil.copy(shot, Path(os.environ["COMPOSER_ARTIFACTS"]) / "docs_offline.png")
    picture = Image.open(shot).convert("RGB")
    assert picture.size == (1280, 1400)
    colours = picture.getcolors(maxcolors=1 << 16)
    assert colours is None or len(colours) > 50  # styled text and coloured method badges, not a blank page
