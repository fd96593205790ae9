"""composer: text- and image-conditioned symbolic music, written as editable MIDI.

    import composer
    piece = composer.compose("calm folk tune for flute and guitar in D major", bars=8, seed=1)
    piece.save_midi("tune.mid")
    samples, rate = piece.audio()

The public names below import on first use, so `import composer` stays light and loads no model (the
model and the text encoder load lazily, once, on the first compose).

compose, describe, Piece: a piece from a prompt, an image and options; what a request resolves to.
continue_midi, infill_midi: bars added to a MIDI file, or some of its bars regenerated.
add_part: one new part (a bass, a pad, a counter-line) written into a MIDI file, its notes kept.
compose_layers: intensity layers of one piece. stinger, transition, score_cues: game cues.
read_midi, Score: a MIDI file as composer's music type. ComposerError: a user's mistake, in one line.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from composer.core.version import __version__

if TYPE_CHECKING:  # what type checkers and editors see; at run time each name imports on first use
    from composer.arrange.add_part import add_part_midi as add_part
    from composer.arrange.continuation import continue_midi
    from composer.arrange.cues import score_cues
    from composer.arrange.game import stinger, transition
    from composer.arrange.infill import infill_midi
    from composer.arrange.layers import compose_layers
    from composer.arrange.piece import Piece
    from composer.core.errors import ComposerError
    from composer.core.score import Score
    from composer.output.midi_io import read_midi
    from composer.pipeline import compose
    from composer.plan.request import describe

# public name -> the module that defines it
_PUBLIC: dict[str, str] = {
    "add_part": "composer.arrange.add_part:add_part_midi", "compose": "composer.pipeline",
    "describe": "composer.plan.request", "Piece": "composer.arrange.piece",
    "continue_midi": "composer.arrange.continuation", "infill_midi": "composer.arrange.infill",
    "compose_layers": "composer.arrange.layers", "stinger": "composer.arrange.game",
    "transition": "composer.arrange.game", "score_cues": "composer.arrange.cues",
    "read_midi": "composer.output.midi_io", "Score": "composer.core.score", "ComposerError": "composer.core.errors",
}

__all__ = ["ComposerError", "Piece", "Score", "__version__", "add_part", "compose", "compose_layers", "continue_midi",
           "describe", "infill_midi", "read_midi", "score_cues", "stinger", "transition"]


def __getattr__(name: str) -> object:
    """Import a public name on first use."""
    if name in _PUBLIC:
        import importlib

        module, _, attribute = _PUBLIC[name].partition(":")
        value = getattr(importlib.import_module(module), attribute or name)
        globals()[name] = value  # later look-ups skip this function
        return value
    raise AttributeError(f"module 'composer' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
