"""music21 at the edge: corpus streams into Scores, and Scores out as MusicXML for notation programs."""

from __future__ import annotations

import copy
import os
from pathlib import Path
from typing import Any

from composer.atomic import atomic_output
from composer.errors import ComposerError, EmptyScoreError
from composer.midi_io import midi_bytes, read_midi
from composer.score import Score


def score_from_music21(stream: Any, title: str = "") -> Score:
    """Convert a music21 Score or Part (e.g. from music21.corpus) into a Score through MIDI.

    music21's own MIDI translation handles ties, voices, repeats and grace notes; part names become
    track names.
    """
    from music21 import midi as m21midi
    from music21.exceptions21 import StreamException

    try:
        midi_file = m21midi.translate.music21ObjectToMidiFile(stream)
    except StreamException:
        # The known abc trap: one TimeSignature object sits in two measures, and music21's conductor
        # track refuses it the second time ("... is already found in this Stream").
        repaired = copy.deepcopy(stream)
        _unshare_meta_events(repaired)
        midi_file = m21midi.translate.music21ObjectToMidiFile(repaired)
    score = read_midi(midi_file.writestr())
    parts = list(getattr(stream, "parts", []))
    names = [(p.partName or "").strip() for p in parts]
    if len(names) == len(score.tracks):
        for track, name in zip(score.tracks, names, strict=True):
            if name:
                track.name = name
    score.title = title or str(getattr(getattr(stream, "metadata", None), "title", "") or "")
    return score


def _unshare_meta_events(stream: Any) -> None:
    """Give every repeated tempo, meter or key object its own copy, in place."""
    seen: set[int] = set()
    for container in stream.recurse(streamsOnly=True, includeSelf=True):
        for element in list(container.getElementsByClass(("MetronomeMark", "TimeSignature", "KeySignature"))):
            if id(element) in seen:
                container.replace(element, copy.deepcopy(element))
            seen.add(id(element))


def to_music21(score: Score) -> Any:
    """The Score as a music21 stream, parsed from its MIDI with track names kept as part names."""
    if score.note_count == 0:
        raise EmptyScoreError("the score has no notes to notate")
    from music21 import converter

    stream: Any = converter.parse(midi_bytes(score), format="midi", quantizePost=True)
    for part, track in zip(stream.parts, [t for t in score.tracks if t.notes], strict=False):
        part.partName = track.name
        part.partAbbreviation = track.name[:5]
    if score.title:
        from music21 import metadata

        stream.metadata = stream.metadata or metadata.Metadata()
        stream.metadata.title = score.title
    return stream


def write_musicxml(score: Score, path: str | os.PathLike[str]) -> Path:
    """Write the Score as MusicXML (uncompressed .musicxml/.xml or compressed .mxl), atomically."""
    target = Path(path)
    suffix = target.suffix.lower()
    if suffix not in (".musicxml", ".xml", ".mxl"):
        raise ComposerError(f"cannot write MusicXML as '{suffix}': use .musicxml, .xml or .mxl")
    stream = to_music21(score)
    with atomic_output(target) as tmp:
        written = Path(stream.write("mxl" if suffix == ".mxl" else "musicxml", fp=tmp.with_suffix(suffix)))
        os.replace(written, tmp)
    return target
