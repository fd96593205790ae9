"""Loop points and markers inside audio files: WAV `cue `/`labl`/`smpl` chunks, FLAC and OGG LOOPSTART/LOOPLENGTH.

libsndfile writes none of them, so they are added to the finished file (before its atomic rename): WAV and
FLAC by rewriting their bytes here, OGG Vorbis with mutagen (its comments sit in checksummed Ogg pages).
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from pathlib import Path

from composer.core.errors import ComposerError

SMPL_LOOP_FORWARD = 0  # smpl loop type: play forward, jump back to the start
MIDDLE_C = 60  # smpl "MIDI unity note": the pitch the sample plays at unchanged
FLAC_STREAMINFO, FLAC_VORBIS_COMMENT = 0, 4  # FLAC metadata block types
LOOP_COMMENT_KEYS = ("LOOPSTART", "LOOPLENGTH")  # the RPG Maker / Ren'Py convention, in frames
LOOP_START_NAME = "loopstart"  # the marker the smpl loop points at (matched without regard to case)
REPLACED_CHUNKS = (b"smpl", b"cue ")  # rewritten on every tag; a LIST of type adtl is too

Marker = tuple[int, str]  # (sample frame, name)


def tag_audio(path: str | Path, container: str, sample_rate: int, loop: tuple[int, int] | None,
              markers: Sequence[Marker] = ()) -> None:
    """Write the loop (frames start..end, end exclusive) and the markers into the finished file at `path`.

    WAV gets a `cue ` point and a `labl` name for every marker and a `smpl` loop pointing at the loopStart
    cue; FLAC and OGG get LOOPSTART and LOOPLENGTH comments in frames (their markers are in the sidecar only).
    """
    if loop is not None and not 0 <= loop[0] < loop[1]:
        raise ValueError(f"a loop needs 0 <= start < end, not {loop[0]}..{loop[1]}")
    target = Path(path)
    if container == "WAV":
        if loop is not None or markers:
            target.write_bytes(with_wav_markers(target.read_bytes(), sample_rate, loop, markers))
        return
    if loop is None:
        return
    comments = {"LOOPSTART": str(loop[0]), "LOOPLENGTH": str(loop[1] - loop[0])}
    if container == "FLAC":
        target.write_bytes(with_vorbis_comments(target.read_bytes(), comments))
    elif container == "OGG":
        _tag_ogg(target, comments)


def _tag_ogg(path: Path, comments: dict[str, str]) -> None:
    try:
        from mutagen.oggvorbis import OggVorbis
    except ImportError:
        raise ComposerError("writing loop points into OGG files needs mutagen: pip install mutagen") from None
    tags = OggVorbis(path)
    for key, value in comments.items():
        tags[key] = [value]
    tags.save()


# ---------------------------------------------------------------- WAV


def smpl_chunk(sample_rate: int, start: int, end: int, cue_id: int = 0) -> bytes:
    """A RIFF `smpl` chunk with one forward loop over frames start..end (end exclusive), looping forever;
    `cue_id` is the `cue ` point at its start (0: none)."""
    header = struct.pack("<9I", 0, 0, round(1e9 / sample_rate), MIDDLE_C, 0, 0, 0, 1, 0)
    # the chunk's loop end is the last frame played (inclusive), hence end - 1; play count 0 = forever
    loop = struct.pack("<6I", cue_id, SMPL_LOOP_FORWARD, start, end - 1, 0, 0)
    return _riff_chunk(b"smpl", header + loop)


def cue_chunks(markers: Sequence[Marker]) -> bytes:
    """A `cue ` chunk with one point per marker (ids 1, 2, ... in order) and a LIST/adtl of their `labl` names."""
    points = b"".join(struct.pack("<II4sIII", index + 1, sample, b"data", 0, 0, sample)
                      for index, (sample, _) in enumerate(markers))
    labels = b"".join(_riff_chunk(b"labl", struct.pack("<I", index + 1) + name.encode("utf-8") + b"\0")
                      for index, (_, name) in enumerate(markers))
    return _riff_chunk(b"cue ", struct.pack("<I", len(markers)) + points) + _riff_chunk(b"LIST", b"adtl" + labels)


def with_wav_markers(wav: bytes, sample_rate: int, loop: tuple[int, int] | None, markers: Sequence[Marker]) -> bytes:
    """The WAV file's bytes with its cue points, labels and loop (if any) replaced by these."""
    if wav[:4] != b"RIFF" or wav[8:12] != b"WAVE":
        raise ValueError("not a RIFF WAVE file")
    kept = [(cid, data) for cid, data in riff_chunks(wav)
            if cid not in REPLACED_CHUNKS and not (cid == b"LIST" and data[:4] == b"adtl")]
    ordered = sorted(markers, key=lambda m: m[0])
    added = cue_chunks(ordered) if ordered else b""
    if loop is not None:
        start_ids = [index + 1 for index, (sample, name) in enumerate(ordered)
                     if sample == loop[0] and name.strip().lower() == LOOP_START_NAME]
        added += smpl_chunk(sample_rate, *loop, cue_id=start_ids[0] if start_ids else 0)
    body = b"WAVE" + b"".join(_riff_chunk(cid, data) for cid, data in kept) + added
    return b"RIFF" + struct.pack("<I", len(body)) + body


def riff_chunks(wav: bytes) -> list[tuple[bytes, bytes]]:
    """(id, data) of each chunk of a RIFF WAVE file, in order."""
    chunks, offset = [], 12
    while offset + 8 <= len(wav):
        cid = wav[offset:offset + 4]
        (size,) = struct.unpack("<I", wav[offset + 4:offset + 8])
        chunks.append((cid, wav[offset + 8:offset + 8 + size]))
        offset += 8 + size + (size & 1)  # chunks are padded to an even length
    return chunks


def _riff_chunk(cid: bytes, data: bytes) -> bytes:
    return cid + struct.pack("<I", len(data)) + data + (b"\0" if len(data) & 1 else b"")


# ---------------------------------------------------------------- FLAC


def with_vorbis_comments(flac: bytes, comments: dict[str, str]) -> bytes:
    """The FLAC file's bytes with `comments` set in its VORBIS_COMMENT block (added after STREAMINFO if absent)."""
    if flac[:4] != b"fLaC":
        raise ValueError("not a FLAC file")
    blocks, audio = flac_blocks(flac)
    vendor, existing = b"composer", list[bytes]()
    for kind, data in blocks:
        if kind == FLAC_VORBIS_COMMENT:
            vendor, existing = parse_vorbis_comment(data)
    keys = {key.upper() for key in comments}
    kept = [c for c in existing if c.split(b"=", 1)[0].decode("utf-8", "replace").upper() not in keys]
    entries = kept + [f"{key}={value}".encode() for key, value in comments.items()]
    comment = (struct.pack("<I", len(vendor)) + vendor + struct.pack("<I", len(entries))
               + b"".join(struct.pack("<I", len(e)) + e for e in entries))
    others = [(kind, data) for kind, data in blocks if kind != FLAC_VORBIS_COMMENT]
    ordered = [others[0], (FLAC_VORBIS_COMMENT, comment), *others[1:]]  # STREAMINFO must stay first
    out = bytearray(b"fLaC")
    for index, (kind, data) in enumerate(ordered):
        last = 0x80 if index == len(ordered) - 1 else 0
        out += bytes([last | kind]) + len(data).to_bytes(3, "big") + data
    return bytes(out) + audio


def flac_blocks(flac: bytes) -> tuple[list[tuple[int, bytes]], bytes]:
    """The metadata blocks of a FLAC file as (type, data), and the audio frames after them."""
    blocks, offset = [], 4
    while True:
        header = flac[offset]
        size = int.from_bytes(flac[offset + 1:offset + 4], "big")
        blocks.append((header & 0x7F, flac[offset + 4:offset + 4 + size]))
        offset += 4 + size
        if header & 0x80:
            break
    if not blocks or blocks[0][0] != FLAC_STREAMINFO:
        raise ValueError("a FLAC file starts with its STREAMINFO block")
    return blocks, flac[offset:]


def parse_vorbis_comment(data: bytes) -> tuple[bytes, list[bytes]]:
    """(vendor, ["KEY=value", ...]) of a VORBIS_COMMENT block (little-endian lengths, as in FLAC)."""
    (length,) = struct.unpack("<I", data[:4])
    vendor, offset = data[4:4 + length], 4 + length
    (count,) = struct.unpack("<I", data[offset:offset + 4])
    offset += 4
    entries = []
    for _ in range(count):
        (size,) = struct.unpack("<I", data[offset:offset + 4])
        entries.append(data[offset + 4:offset + 4 + size])
        offset += 4 + size
    return vendor, entries
