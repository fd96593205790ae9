"""MusicXML bytes after music21 wrote them: a sound per drum, marks placed above the staff, no stand-in
credits; and the compressed .mxl container."""

from __future__ import annotations

from composer.core.gm import DRUM_CHANNEL
from composer.output.notation import DRUM_BY_LOOK


def tidy_xml(data: bytes, drum_parts: set[str], titled: bool) -> bytes:
    """music21's MusicXML with a sound per drum (a kit MuseScore plays and shows as a drum set), tempo and
    rehearsal marks placed above the staff (MuseScore puts a direction without a placement below it), and
    without music21's stand-in title and composer."""
    import xml.etree.ElementTree as ET

    import pretty_midi  # (composer.core.gm has already imported it with its stdout quieted)

    root = ET.fromstring(data)
    for direction in root.iter("direction"):
        if direction.find("direction-type/rehearsal") is not None or direction.find("direction-type/metronome") \
                is not None:
            direction.set("placement", "above")
    for identification in root.iter("identification"):
        for creator in identification.findall("creator"):
            if creator.text == "Music21":
                identification.remove(creator)
    if not titled:
        for element in [e for e in root if e.tag in ("movement-title", "work")]:
            root.remove(element)
    for score_part in root.iter("score-part"):
        part_id = score_part.get("id")
        part = root.find(f"part[@id='{part_id}']")
        if part_id not in drum_parts or part is None:
            continue
        used = set()
        for written in part.iter("note"):
            unpitched = written.find("unpitched")
            if unpitched is None:
                continue
            place = f"{unpitched.findtext('display-step')}{unpitched.findtext('display-octave')}"
            drum = DRUM_BY_LOOK[(place, written.findtext("notehead") or "normal")]
            used.add(drum)
            reference = written.find("instrument")
            if reference is None:
                after = [i for i, child in enumerate(written) if child.tag in ("chord", "unpitched", "duration", "tie")]
                reference = ET.Element("instrument")
                written.insert(after[-1] + 1, reference)
            reference.set("id", f"{part_id}-I{drum + 1}")
        for old in score_part.findall("score-instrument") + score_part.findall("midi-instrument"):
            score_part.remove(old)
        for drum in sorted(used):
            sound = ET.SubElement(score_part, "score-instrument", id=f"{part_id}-I{drum + 1}")
            ET.SubElement(sound, "instrument-name").text = pretty_midi.note_number_to_drum_name(drum) or f"Drum {drum}"
        for drum in sorted(used):
            midi = ET.SubElement(score_part, "midi-instrument", id=f"{part_id}-I{drum + 1}")
            ET.SubElement(midi, "midi-channel").text = str(DRUM_CHANNEL + 1)
            ET.SubElement(midi, "midi-unpitched").text = str(drum + 1)
    ET.indent(root, space="  ")
    return (b'<?xml version="1.0" encoding="utf-8"?>\n<!DOCTYPE score-partwise PUBLIC "-//Recordare//DTD MusicXML '
            b'4.0 Partwise//EN" "http://www.musicxml.org/dtds/partwise.dtd">\n' + ET.tostring(root, encoding="utf-8")
            .split(b"?>", 1)[-1].lstrip())


def compressed(xml: bytes, name: str) -> bytes:
    """A .mxl archive holding `xml` as `name`, with the container file that points to it."""
    import io
    import zipfile

    container = (f'<?xml version="1.0" encoding="UTF-8"?>\n<container><rootfiles><rootfile full-path="{name}" '
                 f'media-type="application/vnd.recordare.musicxml+xml"/></rootfiles></container>\n')
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("mimetype", "application/vnd.recordare.musicxml", compress_type=zipfile.ZIP_STORED)
        archive.writestr("META-INF/container.xml", container, compress_type=zipfile.ZIP_DEFLATED)
        archive.writestr(name, xml, compress_type=zipfile.ZIP_DEFLATED)
    return buffer.getvalue()
