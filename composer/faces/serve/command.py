"""`composer serve`: parse the options and run the HTTP service with uvicorn."""

from __future__ import annotations

import argparse
import os
import socket
from pathlib import Path

from composer.core.errors import ComposerError
from composer.faces.numbers import bounded
from composer.faces.serve.settings import LOOPBACK_HOSTS, ServeSettings

LOOPBACK = ("127.0.0.1", "::1", "localhost")  # --host values that need no API key
WILDCARDS = ("0.0.0.0", "::", "")  # every interface: no one name to add to the Host allowlist


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    defaults = ServeSettings()
    serve = sub.add_parser("serve", help="an HTTP service: queue compositions, poll them, download the files",
                           description="Serve composer over HTTP (OpenAPI docs at /docs). Jobs live in "
                                       "OUT/jobs/<id>/; several servers may share one --out-dir.")
    serve.add_argument("--host", default="127.0.0.1",
                       help="address to listen on (default: 127.0.0.1, this machine only)")
    serve.add_argument("--port", type=bounded(int, 1, 65535), default=8000)
    serve.add_argument("--out-dir", default=str(defaults.out_dir), metavar="DIR", help="where jobs and files go")
    serve.add_argument("--workers", type=bounded(int, 1, 64), default=defaults.workers, metavar="N",
                       help="worker processes, each loading the model once (default: %(default)s)")
    serve.add_argument("--queue", type=bounded(int, 1, 100_000), default=defaults.queue, metavar="N",
                       help="jobs allowed to wait; past this the service answers 429 (default: %(default)s)")
    serve.add_argument("--api-key", default=None, metavar="KEY",
                       help="require this key in the X-API-Key header (default: $COMPOSER_API_KEY, else none); "
                            "needed to listen on anything but 127.0.0.1, ::1 or localhost")
    serve.add_argument("--allowed-host", action="append", default=[], metavar="NAME",
                       help="also answer requests whose Host header is NAME, any port (repeatable; localhost, "
                            "127.0.0.1, [::1] and a specific --host address are always answered)")
    serve.add_argument("--header-timeout", type=bounded(float, 0.1, 600), default=defaults.header_seconds, metavar="S",
                       help="close a connection whose request headers take longer (default: %(default)s)")
    serve.add_argument("--body-timeout", type=bounded(float, 0.1, 3600), default=defaults.body_seconds, metavar="S",
                       help="close a connection whose request body takes longer (default: %(default)s)")
    serve.add_argument("--max-bars", type=bounded(int, 1, 10_000), default=defaults.max_bars, metavar="N")
    serve.add_argument("--max-image-bytes", type=bounded(int, 1, 1 << 30), default=defaults.max_image_bytes,
                       metavar="N")
    serve.add_argument("--max-midi-bytes", type=bounded(int, 1, 32 * 2**20), default=defaults.max_midi_bytes,
                       metavar="N", help="the largest MIDI file /v1/add-part takes (default: %(default)s)")
    serve.add_argument("--max-prompt-chars", type=bounded(int, 1, 1_000_000), default=defaults.max_prompt_chars,
                       metavar="N")
    serve.add_argument("--engine", default=defaults.engine, metavar="MODULE:FACTORY",
                       help="what the workers compose with (tests and benchmarks give a stand-in)")
    serve.add_argument("--log-level", default="info", choices=("critical", "error", "warning", "info", "debug"))
    serve.set_defaults(run=cmd_serve)


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from composer.faces.serve.app import create_app
    from composer.faces.serve.protocol import server_config

    api_key = args.api_key or os.environ.get("COMPOSER_API_KEY") or None
    if args.host not in LOOPBACK and api_key is None:
        raise ComposerError(f"refusing to listen on {args.host} without an API key: anyone who can reach the port "
                            "could use it (give --api-key KEY or set COMPOSER_API_KEY, or use --host 127.0.0.1)")
    settings = ServeSettings(out_dir=Path(args.out_dir), workers=args.workers, queue=args.queue, api_key=api_key,
                             max_bars=args.max_bars, max_image_bytes=args.max_image_bytes,
                             max_prompt_chars=args.max_prompt_chars, max_midi_bytes=args.max_midi_bytes,
                             engine=args.engine,
                             allowed_hosts=allowed_hosts(args.host, args.allowed_host),
                             header_seconds=args.header_timeout, body_seconds=args.body_timeout)
    check_port(args.host, args.port)
    uvicorn.Server(server_config(create_app(settings), settings, args.host, args.port, args.log_level)).run()
    return 0


def allowed_hosts(host: str, extra: list[str]) -> tuple[str, ...]:
    """The Host header names to answer: loopback, the address listened on (unless a wildcard), and `extra`."""
    bound = [] if host in WILDCARDS else [f"[{host}]" if ":" in host else host]
    return tuple(dict.fromkeys([*LOOPBACK_HOSTS, *bound, *(name.strip().lower() for name in extra)]))


def check_port(host: str, port: int) -> None:
    """Refuse, with one line, a port that is out of range or already taken."""
    if not 0 < port < 65536:
        raise ComposerError(f"--port must be 1-65535, not {port}")
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise ComposerError(f"cannot listen on {host}: {exc.strerror}") from None
    family, kind, proto, _, address = infos[0]
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as exc:
            raise ComposerError(f"cannot listen on {host}:{port}: {exc.strerror}") from None
