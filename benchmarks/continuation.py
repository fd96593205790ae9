"""Continuation on held-out music: 40 test-split pieces of the corpus (every collection in turn), each cut
to its first 8 bars and continued by 8 bars with `composer.arrange.continuation.continue_score`. The written file is
read back and the continued part judged on its own: its key by music21's default analysis against the
same analysis of the original (Krumhansl-Schmuckler reported beside it), its meter and its programs
against the original's.
Floor: at least 95% of the runs keep all three. Needs `composer data build` (data/pieces.jsonl).
Run: .venv/bin/python benchmarks/continuation.py [--runs 40]
"""

from __future__ import annotations

import argparse
import base64
import itertools
import json
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import logged_progress, write_result

from composer.arrange.continuation import continue_score
from composer.core.analysis import estimate_key
from composer.core.score import Score, Track
from composer.output.midi_io import read_midi

ROOT = Path(__file__).resolve().parents[1]


def test_pieces(pieces: Path, runs: int) -> list[dict]:
    by_collection: dict[str, list[dict]] = defaultdict(list)
    with pieces.open() as lines:
        for line in lines:
            piece = json.loads(line)
            unique = piece["duplicate_of"] == piece["piece_id"]  # a tune printed twice counts once
            if piece["split"] == "test" and unique and piece["attributes"]["bars"] >= 9:
                by_collection[piece["collection"]].append(piece)
    chosen = [p for group in itertools.zip_longest(*by_collection.values()) for p in group if p]
    return chosen[:runs]


def first_bars(score: Score, bars: int) -> Score:
    end = score.bar_starts(until_tick=score.end_tick + 1)[:bars + 1][-1]
    cut = score.copy()
    cut.tracks = [Track(t.name, t.program, t.is_drum, [n for n in t.notes if n.end <= end]) for t in cut.tracks]
    cut.tracks = [t for t in cut.tracks if t.notes]
    return cut


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pieces", type=Path, default=ROOT / "data" / "pieces.jsonl")
    parser.add_argument("--runs", type=int, default=40)
    args = parser.parse_args()
    if not args.pieces.exists():
        print(f"{args.pieces} is missing: run `composer data build` first", file=sys.stderr)
        return 2
    results = []
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as folder, logged_progress() as progress:
        chosen = test_pieces(args.pieces, args.runs)
        task = progress.add_task("continuing", total=len(chosen))
        for index, piece in enumerate(chosen):
            source = first_bars(read_midi(base64.b64decode(piece["midi_b64"])), 8)
            original_key = estimate_key(source)
            path = continue_score(source, 8, seed=index).save_midi(Path(folder) / f"{index}.mid")
            written = read_midi(path)
            end = max(n.end for t in source.tracks for n in t.notes)
            new = Score(tracks=[Track(t.name, t.program, t.is_drum, [n for n in t.notes if n.start >= end])
                                for t in written.tracks], tempos=written.tempos)
            keys = {m: estimate_key(new, m) for m in ("key", "Krumhansl")}
            wanted = (original_key.tonic_pc, original_key.mode) if original_key else None
            same_key, same_krumhansl = (k is not None and (k.tonic_pc, k.mode) == wanted for k in keys.values())
            same_meter = [(t.numerator, t.denominator) for t in written.time_signatures[:1]] == \
                [(t.numerator, t.denominator) for t in source.time_signatures[:1]]
            programs = {(t.program, t.is_drum) for t in new.tracks if t.notes}
            same_programs = bool(programs) and programs <= {(t.program, t.is_drum) for t in source.tracks}
            results.append({"piece": piece["piece_id"], "key": same_key, "key_krumhansl": same_krumhansl,
                            "meter": same_meter,
                            "programs": same_programs})
            progress.advance(task)
    kept = sum(r["key"] and r["meter"] and r["programs"] for r in results)
    figures = {
        "runs": len(results),
        "kept_all_percent": round(100 * kept / len(results), 1),
        "kept": {name: round(100 * sum(r[name] for r in results) / len(results), 1)
                 for name in ("key", "key_krumhansl", "meter", "programs")},
        "failures": [r for r in results if not (r["key"] and r["meter"] and r["programs"])],
        "floor_percent": 95.0,
        "minutes": round((time.perf_counter() - started) / 60, 1),
    }
    path = write_result("continuation", figures, packages=("torch", "music21"))
    print(f"{len(results)} continuations of held-out pieces: key {figures['kept']['key']}%, meter "
          f"{figures['kept']['meter']}%, programs {figures['kept']['programs']}%; all three "
          f"{figures['kept_all_percent']}% (floor 95%)  -> {path}")
    return 0 if figures["kept_all_percent"] >= 95 else 1


if __name__ == "__main__":
    raise SystemExit(main())
