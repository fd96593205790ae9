"""What a worker composes with: composer's own functions, or a stand-in named by `module:factory` (tests)."""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from composer.core.errors import ComposerError


@dataclass
class Engine:
    """The composing functions a job runner calls; loaded once per worker process."""

    compose: Callable[..., Any]  # composer.compose(prompt, image=..., key=..., ...) -> Piece
    compose_layers: Callable[..., dict[str, Any]] | None  # (names, **compose kwargs) -> {name: Piece}
    describe: Callable[..., Any] | None  # resolves a request without composing (to check the bar limit)
    warm_up: Callable[[], None]  # load the model (and text encoder) now rather than on the first job
    supports_loop: bool  # compose() takes loop=True
    add_part: Callable[..., Any] | None = None  # composer.arrange.add_part.add_part(score, instrument, ...) -> Piece


def real_engine() -> Engine:
    """composer.compose, composer.arrange.layers.compose_layers, composer.arrange.add_part.add_part and a
    one-bar warm-up."""
    from composer import pipeline
    from composer.arrange.add_part import add_part
    from composer.arrange.layers import compose_layers
    from composer.plan.request import describe

    def warm_up() -> None:
        pipeline.compose("warm-up", bars=1, instruments=[0], seed=0)

    return Engine(compose=pipeline.compose, compose_layers=compose_layers, describe=describe,
                  warm_up=warm_up, supports_loop="loop" in inspect.signature(pipeline.compose).parameters,
                  add_part=add_part)


def load_engine(spec: str) -> Engine:
    """Import `module:factory` and call the factory."""
    module_name, _, attribute = spec.partition(":")
    try:
        factory = getattr(importlib.import_module(module_name), attribute or "engine")
    except (ImportError, AttributeError) as exc:
        raise ComposerError(f"cannot load the composing engine {spec!r}: {exc}") from None
    engine = factory()
    if not isinstance(engine, Engine):
        raise ComposerError(f"{spec} returned {type(engine).__name__}, not an Engine")
    return engine
