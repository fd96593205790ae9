"""music21 at the edge: corpus streams into Scores, and Scores out as MusicXML that notation programs read cleanly."""

from __future__ import annotations

import bisect
import copy
import os
from fractions import Fraction
from pathlib import Path
from typing import Any

from composer.core.atomic import write_bytes_atomic
from composer.core.errors import ComposerError, EmptyScoreError
from composer.core.gm import DRUM_CHANNEL, default_track_name
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
from composer.output.musicxml_tidy import compressed, tidy_xml
from composer.output.notation import (
    DRUM_NOTATION,
    FEET,
    Chord,
    PartPlan,
    bar_grid,
    bar_pieces,
    beat_ticks,
    pitch_name,
    plan_parts,
    rest_pieces,
    staff_voices,
)


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
    """The Score as a music21 score laid out for notation programs (composer.output.notation): a part per
    track, named once; clefs by range; a grand staff for a wide keyboard; a kit on a percussion staff;
    pitches spelled in the key; the tempo marked once and the sections as rehearsal marks, on the top staff."""
    if score.note_count == 0:
        raise EmptyScoreError("the score has no notes to notate")
    from music21 import layout, metadata, stream
    from music21.stream import makeNotation

    bars, meters, keys = bar_grid(score)
    out = stream.Score()
    for index, plan in enumerate(plan_parts(score)):
        sound = _instrument(plan, index)
        staves = []
        for number, staff in enumerate(plan.staves):
            container = stream.PartStaff() if len(plan.staves) > 1 else stream.Part()
            container.partName, container.partAbbreviation = plan.name, plan.abbreviation
            container.atSoundingPitch = True  # so a transposing instrument (clarinet, horn) is written transposed
            container.insert(0, sound if number == 0 else copy.deepcopy(sound))
            drums = plan.track.is_drum
            voices = staff_voices(staff, drums, bars, meters)
            first_voice = 4 * number + 1 if len(plan.staves) > 1 else 0  # staff 2 of a grand staff: voices 5-8
            for measure in _measures(voices, staff.clef, drums, bars, meters, keys, first_voice):
                container.append(measure)
            container.makeAccidentals(inPlace=True)  # what music21's own makeNotation would add, without
            container.makeBeams(inPlace=True)  # its merging of voices (a grand staff's would be renumbered)
            for measure in container.getElementsByClass("Measure"):
                for line in [measure, *measure.voices]:
                    makeNotation.makeTupletBrackets(line, inPlace=True)
            staves.append(container)
        if index == 0:
            _mark_tempos(staves[0], score, bars)
            _mark_sections(staves[0], score, bars)
        for container in staves:
            out.insert(0, container)
        if len(staves) > 1:
            out.insert(0, layout.StaffGroup(staves, name=plan.name, abbreviation=plan.abbreviation,
                                            symbol="brace", barTogether=True))
    out.metadata = metadata.Metadata()
    out.metadata.title = score.title
    return out


def _instrument(plan: PartPlan, index: int) -> Any:
    from music21 import instrument

    sound: Any
    if plan.track.is_drum:
        sound = instrument.UnpitchedPercussion()
        sound.midiChannel = DRUM_CHANNEL
    else:
        sound = instrument.instrumentFromMidiProgram(plan.track.program)
        sound.midiProgram = plan.track.program
    sound.partId, sound.instrumentId = f"P{index + 1}", f"P{index + 1}-I1"  # fixed ids: drum_sounds finds them
    sound.partName = sound.instrumentName = plan.name  # MuseScore then shows the name once
    sound.partAbbreviation = sound.instrumentAbbreviation = plan.abbreviation
    return sound


def _measures(voices: list[list[Chord]], clef_name: str, drums: bool, bars: list[int],
              meters: list[TimeSignature], keys: list[KeySignature | None], first_voice: int) -> list[Any]:
    """The staff's bars: clef, key and meter at the start and where they change; then each voice's
    chords, tied across beats and bar lines, with rests between (hidden in the lower voices). With a
    `first_voice` every bar numbers its voices from it (a grand staff's, which music21 would renumber)."""
    from music21 import bar as barlines
    from music21 import clef, meter, stream

    pieces = bar_pieces(voices, bars, meters)
    measures = []
    for bar, found in enumerate(pieces):
        measure = stream.Measure(number=bar + 1)
        if bar == 0:
            measure.insert(0, {"treble": clef.TrebleClef, "bass": clef.BassClef, "alto": clef.AltoClef,
                               "treble8vb": clef.Treble8vbClef, "percussion": clef.PercussionClef}[clef_name]())
        if not drums and (bar == 0 or _same_key(keys[bar]) != _same_key(keys[bar - 1])):
            measure.insert(0, _key(keys[bar]))
        if bar == 0 or str(meters[bar]) != str(meters[bar - 1]):
            measure.insert(0, meter.TimeSignature(str(meters[bar])))
        lines = {1: [], **found}  # voice 1 always, so a lower voice keeps its number (and its ties)
        for number in sorted(lines):
            single = len(lines) == 1 and not first_voice
            target = measure if single else stream.Voice(id=number - 1 + (first_voice or 1))
            placed = [(tick, length, _written(pitches, length, drums, keys[bar], tie, number))
                      for tick, length, pitches, tie in lines[number]]
            _fill(target, placed, bars[bar], bars[bar + 1], meters[bar], hide_rests=number > 1 and not drums)
            if target is not measure:
                measure.insert(0, target)
        if not found:
            rest: Any = measure.recurse().notesAndRests.first()
            rest.fullMeasure = True  # a whole-bar rest, whatever the meter
        measures.append(measure)
    measures[-1].rightBarline = barlines.Barline("final")  # MuseScore draws one only where a file asks
    return measures


def _fill(target: Any, placed: list[tuple[int, int, Any]], bar_start: int, bar_end: int, meter: TimeSignature,
          hide_rests: bool) -> None:
    """Put the pieces into a bar or voice at their offsets, with rests in the gaps."""
    from music21 import note

    position = bar_start
    beat = beat_ticks(meter)
    for tick, length, written in [*sorted(placed, key=lambda p: p[0]), (bar_end, 0, None)]:
        if position < tick:
            gap = position
            for rest_length in rest_pieces(position, tick, bar_start, beat):
                rest = note.Rest(duration=_duration(rest_length))
                rest.style.hideObjectOnPrint = hide_rests
                target.insert(Fraction(gap - bar_start, TICKS_PER_BEAT), rest)
                gap += rest_length
        if written is not None:
            target.insert(Fraction(tick - bar_start, TICKS_PER_BEAT), written)
        position = max(position, tick + length)


def _written(pitches: tuple[tuple[int, int], ...], length: int, drums: bool, key: KeySignature | None,
             tie: str | None, voice: int) -> Any:
    """One note, chord or drum hit of `length` ticks, spelled in `key` (a kit's feet with stems down)."""
    from music21 import chord, note, percussion
    from music21 import tie as ties

    members: list[Any] = []
    for pitch, velocity in pitches:
        member: Any
        if drums:
            place, head = DRUM_NOTATION[pitch]
            member = note.Unpitched(displayName=place)
            member.notehead = head
        else:
            member = note.Note(pitch_name(pitch, key))
        member.volume.velocity = velocity
        members.append(member)
    written = members[0] if len(members) == 1 else (percussion.PercussionChord if drums else chord.Chord)(members)
    written.duration = _duration(length)
    if tie is not None:
        written.tie = ties.Tie(tie)
    if drums:
        written.stemDirection = "down" if voice > 1 or pitches[0][0] in FEET else "up"
    return written


def _duration(length: int) -> Any:
    """The music21 duration of `length` ticks; a triplet inside a beat counts in eighth triplets, so that
    each beat's triplets (quarter and eighth, or three eighths) close one bracket."""
    from music21 import duration

    found = duration.Duration(Fraction(length, TICKS_PER_BEAT))
    if found.tuplets and length < TICKS_PER_BEAT:
        found = duration.Duration(found.type)
        found.appendTuplet(duration.Tuplet(3, 2, "eighth"))
    return found


def _same_key(signature: KeySignature | None) -> tuple[int, str]:
    return (signature.sharps, signature.mode) if signature else (0, "major")


def _key(signature: KeySignature | None) -> Any:
    from music21 import key

    if signature is None:
        return key.KeySignature(0)
    return key.KeySignature(signature.sharps).asKey(signature.mode)


def _mark_tempos(staff: Any, score: Score, bars: list[int]) -> None:
    """Metronome marks on the top staff: the tempo at the start, then each change."""
    from music21 import tempo

    measures = list(staff.getElementsByClass("Measure"))
    for change in one_per_tick(sorted(score.tempos, key=lambda t: t.tick), keep="last") or [TempoChange(0, 120.0)]:
        bar = bisect.bisect_right(bars, change.tick) - 1
        if bar >= len(measures):
            continue
        bpm = round(change.bpm, 2)
        mark = tempo.MetronomeMark(number=int(bpm) if bpm == int(bpm) else bpm)
        measures[bar].insert(Fraction(change.tick - bars[bar], TICKS_PER_BEAT), mark)


def _mark_sections(staff: Any, score: Score, bars: list[int]) -> None:
    """A rehearsal mark on the top staff at each of the score's markers (sections, loop points): MuseScore 3
    shows none of a MIDI file's marker events (its MIDI import drops them, and reads text events as lyrics),
    so notation gets them from here and DAWs from the MIDI file's markers."""
    from music21 import expressions

    measures = list(staff.getElementsByClass("Measure"))
    for marker in sorted(score.markers, key=lambda m: m.tick):
        bar = bisect.bisect_right(bars, marker.tick) - 1
        if 0 <= bar < len(measures) and marker.text.strip():
            measures[bar].insert(Fraction(marker.tick - bars[bar], TICKS_PER_BEAT),
                                 expressions.RehearsalMark(marker.text.strip()))


def write_musicxml(score: Score, path: str | os.PathLike[str]) -> Path:
    """Write the Score as MusicXML (uncompressed .musicxml/.xml or compressed .mxl), atomically."""
    target = Path(path)
    suffix = target.suffix.lower()
    if suffix not in (".musicxml", ".xml", ".mxl"):
        raise ComposerError(f"cannot write MusicXML as '{suffix}': use .musicxml, .xml or .mxl")
    from music21.musicxml.m21ToXml import GeneralObjectExporter

    stream = to_music21(score)
    drum_parts = {f"P{index + 1}" for index, plan in enumerate(plan_parts(score)) if plan.track.is_drum}
    exporter = GeneralObjectExporter(stream)
    exporter.makeNotation = False  # to_music21 has made it: bars, voices, ties, beams, accidentals
    data = tidy_xml(exporter.parse(), drum_parts, bool(score.title))
    if suffix == ".mxl":
        data = compressed(data, f"{target.stem or 'score'}.musicxml")
    return write_bytes_atomic(target, data)
