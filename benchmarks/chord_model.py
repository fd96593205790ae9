"""The chord model's held-out perplexity: the Kneser-Ney trigram per (style, mode) against a bigram and a unigram
of the same counts and smoothing, and against the trigram with the styles pooled, on the pieces the split holds
out (composer.train.chords). Reads music21's corpus (about 4 minutes on 2 cores; cached under
data/chord_cache/), prints the sources and the table, and writes results/chord_model.json. Floor: the trigram's
perplexity below the unigram's overall and in every style; whether it is below the bigram's is reported too.
Run: .venv/bin/python benchmarks/chord_model.py [--cache data/chord_cache] [--jobs N] [--model-out FILE.json]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import write_result

from composer.core.atomic import write_bytes_atomic
from composer.train.chords import build_chord_model, print_progress, summary_lines

ROOT = Path(__file__).resolve().parents[1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cache", type=Path, default=ROOT / "data" / "chord_cache",
                        help="where the read corpus is cached (default data/chord_cache/)")
    parser.add_argument("--no-cache", action="store_true", help="read the corpus again, and cache nothing")
    parser.add_argument("--jobs", type=int, default=None, help="worker processes (default: all cores)")
    parser.add_argument("--model-out", type=Path, default=None, metavar="FILE.json",
                        help="also write the trained model there (e.g. composer/checkpoints/chords.json)")
    args = parser.parse_args()
    started = time.perf_counter()
    report = build_chord_model(jobs=args.jobs, cache=None if args.no_cache else args.cache,
                               on_progress=print_progress())
    if args.model_out is not None:
        write_bytes_atomic(args.model_out, (json.dumps(report.model, separators=(",", ":")) + "\n").encode())
    table = report.results["perplexity"]
    styles = [group for group in table if "/" not in group]  # "all" and each style
    figures = {**report.results, "seconds": round(time.perf_counter() - started, 1),
               "table": summary_lines(report.results),
               "trigram_below_bigram": {group: table[group]["trigram"] < table[group]["bigram"] for group in styles},
               "meets_floor": all(table[group]["trigram"] < table[group]["unigram"] for group in styles)}
    path = write_result("chord_model", figures, packages=("music21",))
    print("\n".join(figures["table"]))
    below_bigram = ", ".join(group for group, below in figures["trigram_below_bigram"].items() if below) or "none"
    print(f"{figures['seconds']:.0f} s{' (corpus from the cache)' if figures['corpus_read_from_cache'] else ''}; "
          f"trigram below unigram in every style: {'yes' if figures['meets_floor'] else 'NO'}; "
          f"below bigram in: {below_bigram}; {path}")
    return 0 if figures["meets_floor"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
