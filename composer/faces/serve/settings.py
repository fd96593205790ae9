"""The service's settings and limits, checked once when the server starts."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from composer.core.errors import ComposerError

FORMATS = ("mid", "wav", "ogg", "flac", "musicxml", "png")  # what a job may ask to have written
AUDIO_FORMATS = ("wav", "ogg", "flac")
LOOPBACK_HOSTS = ("localhost", "127.0.0.1", "[::1]")  # Host header names always accepted (any port)


@dataclass(frozen=True)
class ServeSettings:
    """How `composer serve` runs: where jobs live, how many run at once, and what a request may ask for."""

    out_dir: Path = Path("out/serve")  # jobs live in OUT/jobs/<id>/; several servers may share one folder
    workers: int = 1  # worker processes, each with the model loaded once
    queue: int = 16  # jobs waiting for a worker, at most; past this the service answers 429
    api_key: str | None = None  # when set, every /v1 request needs the header X-API-Key
    max_bars: int = 64  # per piece (and per layer)
    max_image_bytes: int = 10 * 2**20  # the decoded picture
    max_prompt_chars: int = 2000
    max_layers: int = 6
    engine: str = "composer.faces.serve.engine:real_engine"  # module:factory returning an Engine (tests inject fakes)
    warm_up: bool = True  # compose one bar in each new worker so the first job does not pay the model load
    heartbeat_seconds: float = 2.0  # a running job's status is touched this often
    stale_seconds: float = 60.0  # a running job silent this long (its worker gone) is reported failed
    max_image_pixels: int = 40_000_000  # width x height from the picture's header, checked before decoding it
    allowed_hosts: tuple[str, ...] = LOOPBACK_HOSTS  # Host header names served (any port); others get 400
    header_seconds: float = 10.0  # a request's headers must arrive within this, else 408 and the connection closes
    body_seconds: float = 30.0  # then its body within this (13 MiB at the default picture limit: ~0.5 MB/s)
    keep_alive_seconds: int = 5  # an idle keep-alive connection is closed after this
    list_limit: int = 100  # GET /v1/compositions lists at most this many jobs
    max_midi_bytes: int = 2 * 2**20  # the decoded MIDI file of an add-part request

    def __post_init__(self) -> None:
        for name in ("workers", "queue", "max_bars", "max_image_bytes", "max_prompt_chars", "max_layers",
                     "max_image_pixels", "list_limit", "keep_alive_seconds", "max_midi_bytes"):
            if getattr(self, name) < 1:
                raise ComposerError(f"--{name.replace('_', '-')} must be at least 1, not {getattr(self, name)}")
        for name in ("header_seconds", "body_seconds"):
            if not 0 < getattr(self, name) <= 3600:
                raise ComposerError(f"--{name.replace('_seconds', '-timeout')} must be between 0 and 3600 seconds, "
                                    f"not {getattr(self, name)}")
        bad = [name for name in self.allowed_hosts if not host_name_ok(name)]
        if bad:
            raise ComposerError(f"--allowed-host {bad[0]!r} is not a host name (give a name or address, no port)")
        if self.api_key is not None and not self.api_key.strip():
            raise ComposerError("the API key is empty; give a non-empty --api-key or unset COMPOSER_API_KEY")
        if self.stale_seconds <= self.heartbeat_seconds:
            raise ComposerError("stale_seconds must be longer than heartbeat_seconds")

    @property
    def max_body_bytes(self) -> int:
        """The largest request body: a base64 picture at the limit plus room for the other fields (an add-part
        MIDI file must fit in it too, and in max_midi_bytes)."""
        return self.max_image_bytes * 4 // 3 + 64 * 1024


def host_name_ok(name: str) -> bool:
    """A Host header name without a port: letters, digits, '.', '-', or a bracketed IPv6 address."""
    return bool(re.fullmatch(r"[A-Za-z0-9.-]{1,253}|\[[0-9A-Fa-f:.]{2,45}\]", name))
