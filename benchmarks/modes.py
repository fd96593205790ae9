"""Modes as keys: 20 generations in each mode (dorian, phrygian, lydian, mixolydian, aeolian, harmonic minor),
judged from the written MIDI by composer.evaluate.modes: in mode when at least 95% of the note time lies on the
mode's scale and the final sonority's lowest note is the tonic. Each generation asks `--key "<tonic> <mode>"`
with one of five ensembles and a tonic that moves round the circle, 8 bars. Major and minor keys ride along
as the reference (the same judge).

Writes benchmarks/results/modes.json and prints a table; floor: 100% in mode.
Run: .venv/bin/python benchmarks/modes.py [--per-mode 20]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import logged_progress, write_result

import composer
from composer.core.theory import pitch_class
from composer.evaluate.modes import in_mode, scale_fit

MODES = ("dorian", "phrygian", "lydian", "mixolydian", "aeolian", "harmonic minor", "major", "minor")
TONICS = ("D", "E", "F", "G", "A", "Bb", "C", "B", "Eb", "F#")
ENSEMBLES = ("a tune for solo flute", "a piece for piano", "a duet for violin and guitar",
             "a trio for clarinet, harp and cello", "a song for whistle, guitar and bass")
FLOOR = 100.0


def run(per_mode: int, bars: int) -> dict[str, object]:
    rows = []
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as folder, logged_progress() as progress:
        task = progress.add_task("modes", total=per_mode * len(MODES))
        for mode in MODES:
            for index in range(per_mode):
                tonic, prompt = TONICS[index % len(TONICS)], ENSEMBLES[index % len(ENSEMBLES)]
                piece = composer.compose(prompt, key=f"{tonic} {mode}", bars=bars, seed=index)
                path = piece.save_midi(Path(folder) / f"{mode}-{index}.mid")
                pc = pitch_class(tonic)
                rows.append({"mode": mode, "tonic": tonic, "prompt": prompt, "seed": index,
                             "scale_fit": scale_fit(path, pc, mode), "in_mode": in_mode(path, pc, mode)})
                progress.advance(task)
    summary = {mode: 100.0 * sum(r["in_mode"] for r in rows if r["mode"] == mode) / per_mode for mode in MODES}
    return {"per_mode": per_mode, "bars": bars, "seconds": round(time.perf_counter() - started, 1),
            "in_mode_percent": summary, "floor_percent": FLOOR, "rows": rows}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-mode", type=int, default=20)
    parser.add_argument("--bars", type=int, default=8)
    args = parser.parse_args()
    figures = run(args.per_mode, args.bars)
    print(f"{'mode':16s} in mode   mean scale fit")
    for mode in MODES:
        fits = [r["scale_fit"] for r in figures["rows"] if r["mode"] == mode]  # type: ignore[index]
        print(f"{mode:16s} {figures['in_mode_percent'][mode]:6.0f}%   {sum(fits) / len(fits):.3f}")  # type: ignore[index]
    print(f"written to {write_result('modes', figures, ('music21', 'pretty_midi'))}")
    modal = [figures["in_mode_percent"][m] for m in MODES[:6]]  # type: ignore[index]
    return 0 if min(modal) >= FLOOR else 1


if __name__ == "__main__":
    raise SystemExit(main())
