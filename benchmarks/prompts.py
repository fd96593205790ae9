"""Text control on the shared public prompts: every prompt through compose() with three seeds, each MIDI
file judged independently (composer.evaluate). Floors: key, tempo and meter >= 95%, instruments >= 90%
(explicit prompts), implicit expectations >= 85%. Writes results/prompts.json.
Run: .venv/bin/python benchmarks/prompts.py [--prompts ../shared/eval/prompts_public.jsonl]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from rich.progress import Progress

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import write_result

from composer.evaluate import evaluate, load_prompts

ROOT = Path(__file__).resolve().parents[1]
FLOORS = {"key": 95.0, "tempo_in_range": 95.0, "meter": 95.0, "instruments": 90.0}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--prompts", type=Path, default=ROOT.parent / "shared" / "eval" / "prompts_public.jsonl")
    parser.add_argument("--seeds", type=int, default=3)
    args = parser.parse_args()
    prompts = load_prompts(args.prompts)
    with tempfile.TemporaryDirectory() as folder, Progress() as progress:
        task = progress.add_task("prompts", total=len(prompts) * args.seeds)
        report = evaluate(prompts, Path(folder), tuple(range(args.seeds)),
                          on_progress=lambda done, total: progress.update(task, completed=done))
    explicit = report["rates"].get("explicit", {})
    met = all(explicit.get(name, 0) >= floor for name, floor in FLOORS.items()) and \
        (report["implicit_expectations_met"] or 0) >= 85.0
    report |= {"prompt_file": args.prompts.name, "floors": FLOORS | {"implicit_expectations_met": 85.0},
               "meets_floors": met}
    path = write_result("prompts", report, packages=("torch", "music21", "pretty_midi"))
    for kind, rates in report["rates"].items():
        print(kind + ": " + ", ".join(f"{name} {rate}%" for name, rate in sorted(rates.items())))
    print(f"implicit expectations met: {report['implicit_expectations_met']}%   floors "
          f"{'met' if met else 'NOT met'}   -> {path}")
    return 0 if met else 1


if __name__ == "__main__":
    raise SystemExit(main())
