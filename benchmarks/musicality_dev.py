"""The musicality yardstick's composer condition on the development prompts, for tuning without the public set.

Composes benchmarks/prompts/musicality_dev.jsonl x seeds 21, 22 x 16 bars with the shipped system, measures every
file as `composer eval musicality` does, prints the headline metrics and the prompt-set measures, and where the
set's 4-bar chord-root windows repeat: inside one piece (a section coming back), between the two seeds of one
prompt, or between prompts. Tune on these numbers; the public prompt set is for reporting only.
Run: .venv/bin/python benchmarks/musicality_dev.py [--seeds 21 22] [--keep DIR] [--condition "model alone"]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import logged_progress

from composer.evaluate.musicality import relative_roots
from composer.evaluate.musicality_run import (
    CONDITIONS,
    HEADLINES,
    generate_condition,
    load_musicality_prompts,
    prompt_set_metrics,
)

DEV_PROMPTS = Path(__file__).resolve().parent / "prompts" / "musicality_dev.jsonl"


def window_repeats(pieces: list, ids: list[str]) -> Counter:
    """Each repeated window (after its first sighting) by where its earlier copy was: piece, prompt, set."""
    seen: dict[tuple, list[tuple[int, str]]] = {}
    where: Counter = Counter()
    for number, (piece, prompt) in enumerate(zip(pieces, ids, strict=True)):
        if piece.tonic is None:
            continue
        rel = relative_roots(piece)
        for i in range(0, len(rel) - 3, 4):
            window = tuple(rel[i:i + 4])
            earlier = seen.setdefault(window, [])
            if earlier:
                where["same piece" if any(n == number for n, _ in earlier) else
                      "same prompt" if any(p == prompt for _, p in earlier) else "other prompt"] += 1
            earlier.append((number, prompt))
    return where


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--prompts", default=str(DEV_PROMPTS))
    parser.add_argument("--seeds", type=int, nargs="+", default=[21, 22])
    parser.add_argument("--bars", type=int, default=16)
    parser.add_argument("--keep", metavar="DIR", help="write the MIDI files here instead of a temporary folder")
    parser.add_argument("--condition", default=CONDITIONS[0].name, choices=[c.name for c in CONDITIONS],
                        help="how to generate (default: the shipped system)")
    args = parser.parse_args()
    prompts = load_musicality_prompts(args.prompts)
    with tempfile.TemporaryDirectory() as tmp, logged_progress() as progress:
        task = progress.add_task("dev musicality", total=len(prompts) * len(args.seeds))
        condition = next(c for c in CONDITIONS if c.name == args.condition)
        group = generate_condition(condition, prompts, args.seeds, args.bars, Path(args.keep or tmp),
                                   lambda: progress.advance(task))
    for key, label, _ in HEADLINES:
        found = group.headline(key)
        if found["mean"] is not None:
            print(f"{label:50s} {found['mean']:.3f} (se {found['se'] or 0:.3f}, n {found['n']})")
    found = prompt_set_metrics(group)
    for key in ("distinct_keys", "distinct_openings", "distinct_window_share", "default_plan_share",
                "jazz_seventh_share"):
        print(f"{key:50s} {found[key]}")
    ids = [entry["id"] for entry in prompts for _ in args.seeds]
    print("repeated windows:", dict(window_repeats(group.pieces, ids)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
