"""Ten unconditioned samples from the shipped model: MIDI and piano-roll PNGs in examples/unconditioned/.

No control tokens and the null condition, so this shows what the model learned on its own.
Run: .venv/bin/python benchmarks/samples.py [--checkpoint base] [--bars 8]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from composer.pipeline import compose

OUT = Path(__file__).resolve().parent.parent / "examples" / "unconditioned"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--checkpoint", default=None)
    parser.add_argument("--bars", type=int, default=8)
    parser.add_argument("--count", type=int, default=10)
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    index = []
    for seed in range(args.count):
        piece = compose(bars=args.bars, seed=seed, checkpoint=args.checkpoint)
        stem = OUT / f"sample-{seed:02d}"
        piece.save_midi(stem.with_suffix(".mid"))
        if piece.score.note_count:
            piece.piano_roll_png(stem.with_suffix(".png"))
        index.append({"seed": seed, "notes": piece.score.note_count, "tracks": [t.name for t in piece.score.tracks],
                      "tokens": piece.token_count, "seconds": round(piece.score.duration_seconds, 1)})
        print(index[-1])
    (OUT / "index.json").write_text(json.dumps(index, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
