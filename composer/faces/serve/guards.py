"""What every request passes before the routes: the Host allowlist, the body's media type, the security headers."""

from __future__ import annotations

import base64
import hashlib
import re
from pathlib import Path

from fastapi import HTTPException, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

BODY_TYPES = ("application/json", "multipart/form-data")  # neither can a web page send cross-origin unasked
SECURITY_HEADERS = {"x-content-type-options": "nosniff", "cache-control": "no-store", "x-frame-options": "DENY",
                    "referrer-policy": "no-referrer", "cross-origin-resource-policy": "same-origin"}
CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
DOCS_ASSETS = {"swagger-ui-bundle.js": "text/javascript; charset=utf-8", "swagger-ui.css": "text/css; charset=utf-8",
               "favicon.png": "image/png"}  # Swagger UI's files, served from /docs/static (never a CDN)
INLINE_SCRIPT = re.compile(rb"<script>(.*?)</script>", re.DOTALL)
HOST = re.compile(r"(\[[0-9a-f:.]+\]|[a-z0-9.-]+)(?::[0-9]{1,5})?")


def host_name(header: str) -> str | None:
    """The name in a Host header, lower-case, without its port or a trailing dot; None when malformed."""
    match = HOST.fullmatch(header.strip().lower())
    return match.group(1).rstrip(".") if match else None


class GuardMiddleware:
    """Answer 400 (JSON) to a Host this server does not serve, which stops DNS rebinding; add the security
    headers to every response (a route that sets its own Content-Security-Policy keeps it)."""

    def __init__(self, app: ASGIApp, allowed_hosts: tuple[str, ...]) -> None:
        self.app = app
        self.allowed = {name.lower().rstrip(".") for name in allowed_hosts}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_secured(message: Message) -> None:
            if message["type"] == "http.response.start":
                names = {name.lower() for name, _ in message.get("headers", [])}
                headers = [(n, v) for n, v in message.get("headers", []) if n.lower() not in SECURITY_HEADERS]
                headers += [(n.encode(), v.encode()) for n, v in SECURITY_HEADERS.items()]
                if b"content-security-policy" not in names:
                    headers.append((b"content-security-policy", CSP.encode()))
                message = {**message, "headers": headers}
            await send(message)

        hosts = [value.decode("latin-1") for name, value in scope["headers"] if name == b"host"]
        if len(hosts) != 1 or host_name(hosts[0]) not in self.allowed:
            refusal = JSONResponse({"detail": "this server does not answer for the host in the Host header "
                                              "(start it with --allowed-host NAME to serve another name)"},
                                   status_code=400)
            await refusal(scope, receive, send_secured)
            return
        await self.app(scope, receive, send_secured)


def require_body_type(request: Request) -> None:
    """415 for a POST, PUT or PATCH whose body is not JSON or a multipart form (text/plain and
    urlencoded forms are what a web page may send to a local server without a CORS preflight)."""
    if request.method not in ("POST", "PUT", "PATCH"):
        return
    kind = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if kind not in BODY_TYPES:
        shown = kind[:60] if re.fullmatch(r"[a-z0-9!#$&^_.+/-]*", kind) else "that content type"
        raise HTTPException(415, f"send the body as application/json or multipart/form-data, "
                                 f"not {shown or 'without a Content-Type'}")


def docs_assets_folder() -> Path:
    """Swagger UI's script, stylesheet and icon as the fastapi-offline package ships them."""
    try:
        import fastapi_offline
    except ImportError:
        raise HTTPException(503, "the docs need the fastapi-offline package: pip install fastapi-offline") from None
    return Path(fastapi_offline.__file__).parent / "static"


def docs_asset(name: str) -> FileResponse:
    """One of Swagger UI's files, from this machine; 404 for any other name."""
    if name not in DOCS_ASSETS:
        raise HTTPException(404, f"no docs file named {name!r}")
    return FileResponse(docs_assets_folder() / name, media_type=DOCS_ASSETS[name])


def docs_page(request: Request, title: str) -> HTMLResponse:
    """FastAPI's Swagger UI page on local files (/docs/static), with a Content-Security-Policy allowing exactly
    what it needs: scripts, styles and images from this server, its inline start-up script by hash, and the
    OpenAPI document from this server. Nothing is fetched from anywhere else."""
    root = request.scope.get("root_path", "")
    page = get_swagger_ui_html(openapi_url=f"{root}/openapi.json", title=f"{title} - docs",
                               swagger_js_url=f"{root}/docs/static/swagger-ui-bundle.js",
                               swagger_css_url=f"{root}/docs/static/swagger-ui.css",
                               swagger_favicon_url=f"{root}/docs/static/favicon.png")
    hashes = " ".join(f"'sha256-{base64.b64encode(hashlib.sha256(script).digest()).decode()}'"
                      for script in INLINE_SCRIPT.findall(bytes(page.body)))
    policy = (f"default-src 'none'; script-src 'self' {hashes}; style-src 'self'; img-src 'self' data:; "
              "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'")
    return HTMLResponse(bytes(page.body), headers={"content-security-policy": policy})
