"""music21 at the edge: corpus streams into Scores, and Scores out as MusicXML for notation programs."""

from __future__ import annotations

import copy
import os
from pathlib import Path
from typing import Any

from composer.core.atomic import atomic_output
from composer.core.errors import ComposerError, EmptyScoreError
from composer.core.gm import default_track_name
from composer.core.limits import clamp_bpm
from composer.core.score import (
    TICKS_PER_BEAT,
    KeySignature,
    Note,
    Score,
    TempoChange,
    TimeSignature,
    Track,
    one_per_tick,
)
from composer.core.theory import Mode
from composer.output.midi_io import midi_bytes


def score_from_music21(stream: Any, title: str = "") -> Score:
    """Convert a music21 Score or Part (e.g. from music21.corpus) into a Score.

    Each part becomes a track named after it, with its instrument's GM program. Tied notes become one
    note; grace notes and chord symbols are left out; repeats are not expanded. This reads the flat
    note lists directly, about 30 times faster than music21's own MIDI writer on a Palestrina mass.
    """
    from music21 import harmony, meter, tempo
    from music21 import key as m21key

    if _has_shared_meta_events(stream):
        stream = copy.deepcopy(stream)
        _unshare_meta_events(stream)
    parts = list(stream.parts) if hasattr(stream, "parts") and len(stream.parts) else [stream]
    tracks: list[Track] = []
    tempos: list[TempoChange] = []
    meters: list[TimeSignature] = []
    keys: list[KeySignature] = []
    for index, part in enumerate(parts):
        flat = part.flatten()
        notes: list[Note] = []
        open_ties: dict[int, tuple[int, int]] = {}  # pitch -> (start, end) of a tie chain in progress
        for element in flat.notes:
            if element.duration.isGrace or isinstance(element, harmony.ChordSymbol):
                continue
            start = round(float(element.offset) * TICKS_PER_BEAT)
            end = round(float(element.offset + element.quarterLength) * TICKS_PER_BEAT)
            tie = element.tie.type if element.tie is not None else None
            for pitch in getattr(element, "pitches", ()):
                midi = pitch.midi
                if midi in open_ties and open_ties[midi][1] != start:  # a chain that never reached this note
                    first, last = open_ties.pop(midi)
                    notes.append(Note(midi, first, max(last, first + 1), 90))
                if tie in ("stop", "continue") and midi in open_ties:
                    first, _ = open_ties[midi]
                    if tie == "continue":
                        open_ties[midi] = (first, end)
                    else:
                        del open_ties[midi]
                        notes.append(Note(midi, first, max(end, first + 1), 90))
                elif tie == "start":  # (an open chain here is contiguous: the check above closed others)
                    open_ties[midi] = (open_ties[midi][0] if midi in open_ties else start, end)
                elif end > start and 0 <= midi <= 127:
                    notes.append(Note(midi, start, end, 90))
        notes += [Note(midi, first, max(end, first + 1), 90) for midi, (first, end) in open_ties.items()]
        instrument = part.getInstrument(returnDefault=True)
        program = instrument.midiProgram if instrument is not None and instrument.midiProgram is not None else 0
        name = (part.partName or "").strip() or default_track_name(program, False)
        tracks.append(Track(name, int(program), False, sorted(notes, key=lambda n: (n.start, n.pitch))))
        if index == 0:
            for mark in flat.getElementsByClass(tempo.MetronomeMark):
                bpm = mark.getQuarterBPM()
                if bpm:
                    tempos.append(TempoChange(round(float(mark.offset) * TICKS_PER_BEAT),
                                              round(clamp_bpm(float(bpm)), 3)))
            for signature in flat.getElementsByClass(meter.TimeSignature):
                if signature.denominator in (1, 2, 4, 8, 16, 32, 64):
                    meters.append(TimeSignature(round(float(signature.offset) * TICKS_PER_BEAT),
                                                signature.numerator, signature.denominator))
            for signature in flat.getElementsByClass(m21key.KeySignature):
                mode: Mode = "minor" if getattr(signature, "mode", "major") == "minor" else "major"
                if -7 <= signature.sharps <= 7:
                    keys.append(KeySignature.from_sharps(round(float(signature.offset) * TICKS_PER_BEAT),
                                                         signature.sharps, mode))
    metadata_title = str(getattr(getattr(stream, "metadata", None), "title", "") or "")
    return Score(tracks=[t for t in tracks if t.notes],
                 tempos=one_per_tick(tempos, keep="first") or [TempoChange(0, 120.0)],
                 time_signatures=one_per_tick(meters, keep="first") or [TimeSignature(0, 4, 4)],
                 key_signatures=one_per_tick(keys, keep="first"), title=title or metadata_title)


def _has_shared_meta_events(stream: Any) -> bool:
    """music21's abc reader can put one TimeSignature object in two measures; flattening then keeps
    only its last position (and its MIDI writer fails: "... is already found in this Stream")."""
    seen: set[int] = set()
    for element in stream.recurse().getElementsByClass(("MetronomeMark", "TimeSignature", "KeySignature")):
        if id(element) in seen:
            return True
        seen.add(id(element))
    return False


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
        for measure in part.getElementsByClass("Measure"):
            if not measure.hasVoices() and _overlaps(measure.notesAndRests):
                measure.makeVoices(inPlace=True, fillGaps=True)
    if score.title:
        from music21 import metadata

        stream.metadata = stream.metadata or metadata.Metadata()
        stream.metadata.title = score.title
    return stream


def _overlaps(elements: Any) -> bool:
    """Whether a note or rest starts before an earlier one ends. music21's MIDI reader can leave such
    notes in one voice (a part that plays a held note under moving ones), and its MusicXML writer then
    lays them end to end: an overfull bar (4.5 beats in 4/4), which MuseScore reads as a 9/8 bar."""
    end = 0.0
    for element in sorted(elements, key=lambda e: e.offset):
        if element.offset < end:
            return True
        end = max(end, element.offset + element.quarterLength)
    return False


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
