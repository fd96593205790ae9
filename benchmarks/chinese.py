"""Chinese prompts: benchmarks/prompts/prompts_chinese.jsonl (20 explicit, 20 scene descriptions) through the
control eval of benchmarks/eval.py, every MIDI file judged on its own (composer.evaluate.control).
Floors: explicit attributes (key, tempo in range, meter, instruments, instruments_only) >= 95% of checks right,
scene expectations (mode, tempo bounds, density, velocity, instruments) >= 85% met.
Writes benchmarks/results/chinese.json. Run: .venv/bin/python benchmarks/chinese.py [--seeds 3]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import write_result
from eval import run_control

PROMPTS = Path(__file__).resolve().parent / "prompts" / "prompts_chinese.jsonl"
EXPLICIT_CHECKS = ("key", "tempo_in_range", "meter", "instruments", "instruments_only")
FLOORS = {"explicit_attributes_right": 95.0, "scene_expectations_met": 85.0}


def explicit_rate(report: dict, prompts: list[dict]) -> float:
    """The share (%) of explicit prompts' attribute checks that passed, over every file."""
    seeds = len(report["seeds"])
    checks = sum(seeds * sum(name in entry for name in EXPLICIT_CHECKS)
                 for entry in prompts if entry["kind"] == "explicit")
    explicit = {entry["id"] for entry in prompts if entry["kind"] == "explicit"}
    failed = sum(sum(name in EXPLICIT_CHECKS for name in failure["failed"])
                 for failure in report["failures"] if failure["id"] in explicit)
    return round(100 * (checks - failed) / checks, 1)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, default=3)
    args = parser.parse_args()
    from composer.evaluate.control import load_prompts

    started = time.perf_counter()
    report = run_control(PROMPTS, args.seeds)
    prompts = load_prompts(PROMPTS)
    figures = {"explicit_attributes_right": explicit_rate(report, prompts),
               "scene_expectations_met": report["implicit_expectations_met"]}
    met = all(figures[name] >= floor for name, floor in FLOORS.items())
    path = write_result("chinese", {**figures, "floors": FLOORS, "meets_floors": met, "control": report,
                                    "minutes": round((time.perf_counter() - started) / 60, 1)},
                        packages=("torch", "music21", "pretty_midi"))
    for kind, rates in report["rates"].items():
        print(kind + ": " + ", ".join(f"{name} {rate}%" for name, rate in sorted(rates.items())))
    for failure in report["failures"]:
        print(f"  {failure['id']}: {', '.join(failure['failed'])}")
    print(f"explicit attributes right {figures['explicit_attributes_right']}%, "
          f"scene expectations met {figures['scene_expectations_met']}%   floors {'met' if met else 'NOT met'}"
          f"   -> {path}")
    return 0 if met else 1


if __name__ == "__main__":
    raise SystemExit(main())
