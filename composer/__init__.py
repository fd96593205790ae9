"""composer: text- and image-conditioned symbolic music, written as editable MIDI."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("composer")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+source"

__all__ = ["Piece", "__version__", "compose", "describe"]


def __getattr__(name: str) -> object:
    """`composer.compose`, `composer.Piece` and `composer.describe`, imported on first use: importing
    composer stays light and loads no model (the model and text encoder load lazily, once, on the
    first compose)."""
    if name in ("compose", "Piece", "describe"):
        from composer import pipeline

        return getattr(pipeline, name)
    raise AttributeError(f"module 'composer' has no attribute {name!r}")
