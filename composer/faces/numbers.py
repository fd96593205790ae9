"""Numbers on the command line, each with its range: `type=bounded(int, 1, 256)` refuses the rest in one line."""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable

SEED_MAX = 2**62  # seeds derive further seeds by adding to them; this keeps every one inside 64 bits


def bounded(kind: type[int] | type[float], low: float, high: float) -> Callable[[str], float]:
    """An argparse type: `kind` read from the text, and refused unless low <= value <= high (finite)."""

    def read(text: str) -> float:
        try:
            value = kind(text)
        except ValueError:
            wanted = "a whole number" if kind is int else "a number"
            raise argparse.ArgumentTypeError(f"{text!r} is not {wanted}") from None
        if (isinstance(value, float) and not math.isfinite(value)) or not low <= value <= high:
            raise argparse.ArgumentTypeError(f"{text} is outside {low:g}-{high:g}")
        return value

    read.__name__ = kind.__name__  # argparse names the type in its messages
    return read
