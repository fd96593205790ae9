"""Killed runs leave nothing half-written: 10 `composer generate` and 10 `composer render` runs are sent SIGKILL
at a random moment (seeded), each into a folder that already holds a good copy of its target. After each
kill the target must still read back whole (the old file or the new one, never a partial one), and the next run in that
folder must finish and leave no temporary file behind. Writes benchmarks/results/robustness_kill.json.
Run: .venv/bin/python benchmarks/robustness_kill.py [--runs 10]
"""

from __future__ import annotations

import argparse
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import write_result

ROOT = Path(__file__).resolve().parents[1]
COMMAND = [sys.executable, "-m", "composer"]


def _hidden(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


def one(kind: str, folder: Path, delay: float, source: Path) -> dict[str, object]:
    target = folder / ("out.mid" if kind == "generate" else "out.wav")
    args = (["generate", "a piece for piano, strings and bass", "--bars", "32", "--seed", "1", "-o", str(target),
             "--audio", str(folder / "out.ogg")] if kind == "generate" else
            ["render", str(source), "-o", str(target)])
    subprocess.run([*COMMAND, *args], cwd=ROOT, capture_output=True, check=True)  # a good file to protect
    process = subprocess.Popen([*COMMAND, *args, *(["--seed", "2"] if kind == "generate" else [])], cwd=ROOT,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(delay)
    process.kill()
    process.wait()
    left_after_kill = _hidden(folder)
    rerun = subprocess.run([*COMMAND, *args], cwd=ROOT, capture_output=True)
    return {"kind": kind, "delay": round(delay, 2), "target_complete": target.exists() and _complete(target, kind),
            "temporary_after_kill": len(left_after_kill), "next_run_ok": rerun.returncode == 0,
            "temporary_after_next_run": len(_hidden(folder))}


def _complete(target: Path, kind: str) -> bool:
    """The file reads back whole: MIDI through mido, audio through soundfile."""
    try:
        if kind == "generate":
            import mido

            mido.MidiFile(target)
        else:
            import soundfile

            soundfile.read(target)
        return True
    except Exception:
        return False


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=10, help="runs of each kind")
    args = parser.parse_args()
    rng = random.Random(7)
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "source.mid"
        subprocess.run([*COMMAND, "generate", "a piece for piano and strings", "--bars", "32", "--seed", "3", "-o",
                        str(source)], cwd=ROOT, capture_output=True, check=True)
        for index in range(args.runs * 2):
            kind = "generate" if index % 2 == 0 else "render"
            folder = Path(tmp) / f"run{index}"
            folder.mkdir()
            results.append(one(kind, folder, rng.uniform(0.5, 6.0), source))
            print(results[-1])
    summary = {"runs": len(results), "target_never_partial": all(r["target_complete"] for r in results),
               "next_run_ok": all(r["next_run_ok"] for r in results),
               "no_temporary_after_next_run": all(r["temporary_after_next_run"] == 0 for r in results),
               "killed_runs_that_left_temporary_files": sum(1 for r in results if r["temporary_after_kill"])}
    write_result("robustness_kill", {**summary, "results": results})
    print(summary)
    return 0 if summary["target_never_partial"] and summary["no_temporary_after_next_run"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
