"""Byte identity: a fixed set of runs (generate with a prompt, an image, --draw, --form, --loop, --layers,
continue, infill, stinger, transition, a cue sheet) at fixed seeds writes the MIDI bytes recorded in
tests/fixtures/golden/hashes.json. A change that should not alter the music (a move, a refactor) keeps
this green; one that alters it on purpose re-records with `python tests/test_golden.py --record`.

The runs decode through the fp32 model (COMPOSER_DECODE=float): the int8 path's bf16 activations round
differently on CPUs with and without AMX or AVX-512 BF16, which gave CI other bytes than the recording
machine. The fp32 path writes the same bytes with its kernels held to AVX2, SSE4.1 or the generic ones."""

from __future__ import annotations

import hashlib
import json
import os
import sys
from importlib.metadata import entry_points
from pathlib import Path
from unittest import mock

import pytest

from composer.decode.sampling import EXACT_DECODE_ENV

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "golden"
HASHES = FIXTURES / "hashes.json"
CHORALE, CUES, IMAGE = FIXTURES / "chorale.mid", FIXTURES / "cues.yaml", FIXTURES.parents[2] / "examples/sunset.png"

# name -> the command's arguments after `composer`; every run writes {out}/NAME.mid (layers: one a layer).
RUNS: dict[str, list[str]] = {
    "prompt": ["generate", "A calm folk tune for flute and guitar in D major", "--bars", "4", "--seed", "1"],
    "image": ["generate", "--image", str(IMAGE), "--bars", "4", "--seed", "2"],
    "draw": ["generate", "--image", str(IMAGE), "--draw", "--bars", "4", "--seed", "3"],
    "form": ["generate", "folk song for flute and guitar", "--form", "A B A", "--bars", "6", "--seed", "4"],
    "loop": ["generate", "rock loop for guitar, bass and drums", "--loop", "--bars", "4", "--seed", "5"],
    "layers": ["generate", "stealth mission, strings and piano", "--layers", "low,high", "--bars", "4",
               "--seed", "6"],
    "continue": ["continue", str(CHORALE), "--bars", "2", "--seed", "7"],
    "infill": ["infill", str(CHORALE), "--bars", "2-3", "--seed", "8"],
    "stinger": ["stinger", "--to", str(CHORALE), "victory", "--seed", "9"],
    "transition": ["transition", str(CHORALE), str(CHORALE), "--bars", "2", "--seed", "10"],
    "cues": ["score", str(CUES), "--seed", "11"],
}


def _main():  # type: ignore[no-untyped-def]
    """The installed `composer` command's function, wherever the package keeps it."""
    (entry,) = [e for e in entry_points(group="console_scripts") if e.name == "composer"]
    return entry.load()


def run_hashes(name: str, out: Path) -> dict[str, str]:
    """Run one of RUNS into `out` with the exact decoder; the sha256 of each MIDI file it wrote, by name."""
    folder = out / name
    folder.mkdir(parents=True)
    with mock.patch.dict(os.environ, {EXACT_DECODE_ENV: "float"}):
        assert _main()([*RUNS[name], "-o", str(folder / f"{name}.mid")]) == 0
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.glob("*.mid"))}


@pytest.mark.parametrize("name", list(RUNS))
def test_same_bytes_as_recorded(name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    recorded = json.loads(HASHES.read_text())[name]
    assert run_hashes(name, tmp_path) == recorded


if __name__ == "__main__" and sys.argv[1:] == ["--record"]:
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        hashes = {name: run_hashes(name, Path(tmp)) for name in RUNS}
    HASHES.write_text(json.dumps(hashes, indent=1) + "\n")
    print(f"recorded {sum(len(h) for h in hashes.values())} files from {len(hashes)} runs in {HASHES}")
