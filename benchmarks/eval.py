"""Evaluation: text control on the shared public prompts and generated music against held-out corpus music.

Control: every prompt of prompts_public.jsonl through compose() with three seeds, each MIDI file judged on
its own (composer.evaluate.control): the prompt file's checks, plus CK, key signature, TB and TBT (MidiCaps tempo
bins), tempo within 10%, meter and instrument precision/recall/F1, printed beside the published Text2midi
and MuseCoco figures (not re-measured). Floors: key, tempo and meter >= 95%, instruments >= 90% (explicit
prompts), implicit expectations >= 85%.
Music: 100 generated pieces against 100 held-out test-split pieces (composer.evaluate.music): MusPy metrics,
Yang & Lerch OA/KLD, held-out NLL. Floors: generated scale consistency >= 0.9, held-out NLL <= 0.8 nats/token.
Writes results/eval.json. Uses data/pieces.jsonl when built (else converts music21's corpus on the fly, slowly).
Run: .venv/bin/python benchmarks/eval.py [--prompts ../shared/eval/prompts_public.jsonl] [--n 100]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import logged_progress, write_result

from composer.evaluate.control import evaluate, load_prompts
from composer.evaluate.music import evaluate_music
from composer.faces.commands_eval import control_lines, music_lines

ROOT = Path(__file__).resolve().parents[1]
CONTROL_FLOORS = {"key": 95.0, "tempo_in_range": 95.0, "meter": 95.0, "instruments": 90.0,
                  "implicit_expectations_met": 85.0}
MUSIC_FLOORS = {"generated_scale_consistency": 0.9, "heldout_nll_per_token": 0.8}


def run_control(prompt_file: Path, seeds: int) -> dict:
    prompts = load_prompts(prompt_file)
    with tempfile.TemporaryDirectory() as folder, logged_progress() as progress:
        task = progress.add_task("prompts", total=len(prompts) * seeds)
        report = evaluate(prompts, Path(folder), tuple(range(seeds)),
                          on_progress=lambda done, total: progress.update(task, completed=done))
    explicit = report["rates"].get("explicit", {})
    met = all(explicit.get(name, 0) >= CONTROL_FLOORS[name] for name in ("key", "tempo_in_range", "meter",
                                                                         "instruments"))
    met = met and (report["implicit_expectations_met"] or 0) >= CONTROL_FLOORS["implicit_expectations_met"]
    return report | {"prompt_file": prompt_file.name, "floors": CONTROL_FLOORS, "meets_floors": met}


def run_music(n: int, seed: int) -> dict:
    pieces = ROOT / "data" / "pieces.jsonl"
    with logged_progress() as progress:
        tasks: dict[str, object] = {}

        def update(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = progress.add_task(stage, total=total)
            progress.update(tasks[stage], completed=done)  # type: ignore[arg-type]

        report = evaluate_music(n, seed=seed, pieces=pieces if pieces.exists() else None, on_progress=update)
    report["heldout_source"] = report["heldout_source"].replace(str(ROOT) + "/", "")
    generated = report["metrics"]["generated"]["scale_consistency"]["mean"]
    met = generated >= MUSIC_FLOORS["generated_scale_consistency"] and \
        report["nll"]["nll_per_token"] <= MUSIC_FLOORS["heldout_nll_per_token"]
    return report | {"floors": MUSIC_FLOORS, "meets_floors": met}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--prompts", type=Path, default=ROOT.parent / "shared" / "eval" / "prompts_public.jsonl")
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--n", type=int, default=100)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    started = time.perf_counter()
    control = run_control(args.prompts, args.seeds)
    music = run_music(args.n, args.seed)
    figures = {"control": control, "music": music, "meets_floors": control["meets_floors"] and music["meets_floors"],
               "minutes": round((time.perf_counter() - started) / 60, 1)}
    path = write_result("eval", figures, packages=("torch", "music21", "pretty_midi", "muspy", "scipy"))
    for kind, rates in control["rates"].items():
        print(kind + ": " + ", ".join(f"{name} {rate}%" for name, rate in sorted(rates.items())))
    print(f"implicit expectations met: {control['implicit_expectations_met']}%")
    print("\n".join(control_lines(control)))
    print("\n".join(music_lines(music)))
    print(f"floors {'met' if figures['meets_floors'] else 'NOT met'}   -> {path}")
    return 0 if figures["meets_floors"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
