"""composer: text- and image-conditioned symbolic music, written as editable MIDI."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("composer")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+source"

__all__ = ["__version__"]
