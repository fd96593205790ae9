"""Mutants of real MIDI files (byte flips, cuts, inserted and crafted events) and how read_midi takes each."""

from __future__ import annotations

import contextlib
import random
import sys
import sysconfig
import time
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from composer.core.errors import ComposerError

REPO = Path(__file__).resolve().parents[2]
INTERESTING_LENGTHS = (0, 1, 5, 0x7F, 0x80, 0xFFFF, 0x7FFFFFFF, 0xFFFFFFFF)
INTERESTING_WORDS = (0, 1, 2, 3, 96, 0x7FFF, 0x8000, 0xE250, 0xFFFF)  # header format, tracks, division


def vlq(value: int) -> bytes:
    """A MIDI variable-length number (any size: five bytes and more for values past 2^28)."""
    out = [value & 0x7F]
    value >>= 7
    while value:
        out.append(0x80 | value & 0x7F)
        value >>= 7
    return bytes(reversed(out))


def smf(*tracks: bytes, division: int = 480, fmt: int = 1) -> bytes:
    """A Standard MIDI File of raw track data (delta-timed events); each gets an end-of-track event."""
    header = b"MThd" + (6).to_bytes(4, "big") + fmt.to_bytes(2, "big") + len(tracks).to_bytes(2, "big") \
        + (division & 0xFFFF).to_bytes(2, "big")
    chunks = [body + b"\x00\xff\x2f\x00" for body in tracks]
    return header + b"".join(b"MTrk" + len(c).to_bytes(4, "big") + c for c in chunks)


NOTE = b"\x00\x90\x3c\x50" + b"\x83\x60\x80\x3c\x00"  # middle C for a beat at 480 ticks per beat

# Events that a damaged or hostile file may hold, each inserted whole at the start of a track.
CRAFTED: dict[str, bytes] = {
    "key-12-sharps": b"\x00\xff\x59\x02\x0c\x00",
    "key-9-flats": b"\x00\xff\x59\x02\xf7\x00",
    "key-mode-5": b"\x00\xff\x59\x02\x02\x05",
    "key-short": b"\x00\xff\x59\x01\x02",
    "tempo-zero": b"\x00\xff\x51\x03\x00\x00\x00",
    "tempo-ffffff": b"\x00\xff\x51\x03\xff\xff\xff",
    "tempo-fastest": b"\x00\xff\x51\x03\x00\x00\x01",
    "tempo-short": b"\x00\xff\x51\x01\x07",
    "meter-zero-beats": b"\x00\xff\x58\x04\x00\x02\x18\x08",
    "meter-huge-note-value": b"\x00\xff\x58\x04\x04\xff\x18\x08",
    "meter-empty": b"\x00\xff\x58\x00",
    "text-nul-latin1": b"\x00\xff\x03\x08Pi\xe9no\x00\x01\x02",
    "marker-bad-utf8": b"\x00\xff\x06\x04\xc3\x28\xff\xfe",
    "note-at-2^31": vlq(2**31) + b"\x90\x3c\x40",
    "note-at-2^28": vlq(2**28 - 1) + b"\x90\x3c\x40",
    "delta-six-bytes": b"\x81\x80\x80\x80\x80\x00\x90\x3c\x40",
    "sysex-past-end": b"\x00\xf0\x8f\xff\xff\x7f\x01",
    "meta-past-end": b"\x00\xff\x01\x8f\xff\xff\x7f",
    "data-without-status": b"\x00\x3c\x40",
    "undefined-status": b"\x00\xf4\x00",
    "data-over-127": b"\x00\x90\xbc\xc0",
    "pitch-bend-extremes": b"\x00\xe0\x00\x00\x00\xe0\x7f\x7f",
    "realtime-in-file": b"\x00\xf8\x00\xfa\x00\xf2\x10\x20",
}


def chunks(data: bytes) -> list[tuple[int, bytes, int]]:
    """(offset, name, declared length) of each chunk header found by walking the file from the start."""
    found, pos = [], 0
    while pos + 8 <= len(data):
        length = int.from_bytes(data[pos + 4:pos + 8], "big")
        found.append((pos, data[pos:pos + 4], length))
        pos += 8 + length
    return found


def insert_event(data: bytes, event: bytes, rng: random.Random) -> bytes:
    """`data` with `event` at the start of one of its tracks, the chunk's length grown to match."""
    tracks = [c for c in chunks(data) if c[1] == b"MTrk"]
    if not tracks:
        return data + b"MTrk" + len(event).to_bytes(4, "big") + event
    pos, _, length = rng.choice(tracks)
    grown = ((length + len(event)) & 0xFFFFFFFF).to_bytes(4, "big")
    return data[:pos + 4] + grown + event + data[pos + 8:]


def mutate(data: bytes, rng: random.Random) -> tuple[str, bytes]:
    """One random mutation of `data`: its kind and the mutant."""
    if len(data) < 16:  # a mutant cut to a few bytes: grow it back
        return "insert", data + bytes(rng.randrange(256) for _ in range(rng.randint(1, 16)))
    kind = rng.choice(("flip", "bits", "truncate", "insert", "delete", "duplicate", "chunk-length", "header",
                       "crafted", "crafted"))
    out = bytearray(data)
    size = len(out)
    if kind == "flip":
        for _ in range(rng.randint(1, 8)):
            out[rng.randrange(size)] = rng.randrange(256)
    elif kind == "bits":
        for _ in range(rng.randint(1, 16)):
            out[rng.randrange(size)] ^= 1 << rng.randrange(8)
    elif kind == "truncate":
        del out[rng.randrange(1, size):]
    elif kind == "insert":
        at = rng.randrange(size)
        out[at:at] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 16)))
    elif kind == "delete":
        at = rng.randrange(size)
        del out[at:at + rng.randint(1, 64)]
    elif kind == "duplicate":
        at, to = rng.randrange(size), rng.randrange(size)
        out[to:to] = out[at:at + rng.randint(1, 256)]
    elif kind == "chunk-length":
        pos = rng.choice(chunks(data) or [(0, b"", 0)])[0]
        value = rng.choice((*INTERESTING_LENGTHS, len(data), len(data) - pos))
        out[pos + 4:pos + 8] = (value & 0xFFFFFFFF).to_bytes(4, "big")
    elif kind == "header":
        field = rng.choice((8, 10, 12))
        out[field:field + 2] = rng.choice(INTERESTING_WORDS).to_bytes(2, "big")
    else:
        name = rng.choice(sorted(CRAFTED))
        return f"crafted:{name}", insert_event(data, CRAFTED[name], rng)
    return kind, bytes(out)


def mutants(seeds: list[bytes], count: int, seed: int = 0) -> Iterator[tuple[str, bytes]]:
    """`count` mutants of the seed files, one to three mutations each, the same for the same `seed`."""
    rng = random.Random(seed)
    for _ in range(count):
        data = rng.choice(seeds)
        kinds = []
        for _ in range(rng.choice((1, 1, 1, 2, 3))):
            kind, data = mutate(data, rng)
            kinds.append(kind)
        yield "+".join(kinds), data


def seed_files() -> list[Path]:
    """Real MIDI files here: our examples, the golden chorale, and those shipped inside installed packages."""
    site = Path(sysconfig.get_paths()["purelib"])
    shipped = [p for p in sorted(site.rglob("*")) if p.suffix.lower() in (".mid", ".midi", ".kar") and p.is_file()]
    ours = sorted(REPO.glob("examples/**/*.mid")) + sorted(REPO.glob("tests/fixtures/**/*.mid"))
    return ours + shipped


@dataclass
class Outcome:
    """How read_midi took one file: read (cleanly or repaired), refused with a ComposerError, or crashed."""

    verdict: str  # "read", "repaired", "refused" or "crash"
    seconds: float
    message: str = ""


def try_read(data: bytes) -> Outcome:
    """Read `data` with read_midi, and write and re-read what it read: anything but a ComposerError is a crash."""
    from composer.output.midi_io import midi_bytes, read_midi

    started = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            score = read_midi(data)
            verdict = "repaired" if caught else "read"
            message = str(caught[0].message) if caught else ""
            with contextlib.suppress(ComposerError):  # e.g. more instruments than MIDI has channels
                read_midi(midi_bytes(score))
        except ComposerError as exc:
            verdict, message = "refused", str(exc)
        except Exception as exc:
            verdict, message = "crash", f"{type(exc).__name__}: {exc}"
    if verdict != "crash" and "\n" in message:
        verdict, message = "crash", f"a message of more than one line: {message!r}"
    return Outcome(verdict, time.perf_counter() - started, message)


if __name__ == "__main__":  # a quick look: python -m composer.evaluate.midi_fuzz [COUNT]
    seeds = [p.read_bytes() for p in seed_files()]
    counts: dict[str, int] = {}
    for name, mutant in mutants(seeds, int(sys.argv[1]) if sys.argv[1:] else 200):
        outcome = try_read(mutant)
        counts[outcome.verdict] = counts.get(outcome.verdict, 0) + 1
        if outcome.verdict == "crash":
            print(name, outcome.message)
    print(len(seeds), "seeds:", counts)
