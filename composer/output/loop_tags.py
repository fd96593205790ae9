"""Loop points inside audio files: a RIFF `smpl` chunk in WAV, LOOPSTART/LOOPLENGTH Vorbis comments in FLAC.

libsndfile writes neither, so they are added to the finished file's bytes (before its atomic rename).
OGG Vorbis keeps its comments inside Ogg pages with checksums; rewriting those needs mutagen, which
composer does not depend on, so OGG files carry their loop only in the sidecar.
"""

from __future__ import annotations

import struct
from pathlib import Path

SMPL_LOOP_FORWARD = 0  # smpl loop type: play forward, jump back to the start
MIDDLE_C = 60  # smpl "MIDI unity note": the pitch the sample plays at unchanged
FLAC_STREAMINFO, FLAC_VORBIS_COMMENT = 0, 4  # FLAC metadata block types
LOOP_COMMENT_KEYS = ("LOOPSTART", "LOOPLENGTH")  # the RPG Maker / Ren'Py convention, in sample frames


def tag_loop(path: str | Path, container: str, sample_rate: int, start: int, end: int) -> bool:
    """Mark frames start..end (end exclusive) of the WAV or FLAC file at `path` as its loop, in place.

    Returns False for a container that cannot carry loop points here (OGG).
    """
    if not 0 <= start < end:
        raise ValueError(f"a loop needs 0 <= start < end, not {start}..{end}")
    target = Path(path)
    if container == "WAV":
        target.write_bytes(with_smpl_chunk(target.read_bytes(), sample_rate, start, end))
        return True
    if container == "FLAC":
        comments = {"LOOPSTART": str(start), "LOOPLENGTH": str(end - start)}
        target.write_bytes(with_vorbis_comments(target.read_bytes(), comments))
        return True
    return False


def smpl_chunk(sample_rate: int, start: int, end: int) -> bytes:
    """A RIFF `smpl` chunk with one forward loop over frames start..end (end exclusive), looping forever."""
    header = struct.pack("<9I", 0, 0, round(1e9 / sample_rate), MIDDLE_C, 0, 0, 0, 1, 0)
    # the chunk's loop end is the last frame played (inclusive), hence end - 1; play count 0 = forever
    loop = struct.pack("<6I", 0, SMPL_LOOP_FORWARD, start, end - 1, 0, 0)
    body = header + loop
    return b"smpl" + struct.pack("<I", len(body)) + body


def with_smpl_chunk(wav: bytes, sample_rate: int, start: int, end: int) -> bytes:
    """The WAV file's bytes with its `smpl` chunk (if any) replaced by one holding this loop."""
    if wav[:4] != b"RIFF" or wav[8:12] != b"WAVE":
        raise ValueError("not a RIFF WAVE file")
    chunks = [chunk for chunk in riff_chunks(wav) if chunk[0] != b"smpl"]
    body = b"WAVE" + b"".join(_riff_chunk(cid, data) for cid, data in chunks) + smpl_chunk(sample_rate, start, end)
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
