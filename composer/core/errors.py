"""Domain exceptions: each is a user's mistake or a missing part, reported on one line with exit code 2."""


class ComposerError(Exception):
    """A problem the user can fix. The CLI prints the message on one line and exits with status 2."""


class MidiReadError(ComposerError):
    """A file is not a readable Standard MIDI File (corrupt, truncated, empty or not MIDI at all)."""


class EmptyScoreError(ComposerError):
    """A score has no notes where notes are needed (rendering, export)."""


class SoundfontError(ComposerError):
    """No usable soundfont: the one asked for is missing, or none was found anywhere."""


class FluidSynthMissing(ComposerError):
    """The FluidSynth shared library is not installed, so audio cannot be rendered."""


class ChannelOverflowError(ComposerError):
    """More distinct instruments than MIDI's 15 melodic channels can hold."""


class UnsatisfiableError(ComposerError):
    """Constraints that no token sequence can meet (refused before generation, or when a mask empties)."""
