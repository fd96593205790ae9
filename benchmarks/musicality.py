"""The musicality yardstick on this machine: ../shared/eval/prompts_musicality.jsonl x 2 seeds x 16 bars, in
four conditions (composer, masked random, model alone, no soft biases) beside the music21 corpus references, every piece
judged from its written MIDI file (composer.evaluate.musicality). Writes benchmarks/results/musicality.json
(without the per-piece records), musicality.png, the contact sheets and bar listings under
benchmarks/results/musicality/, and prints the table. Floor: the whole run within 10 minutes.
Run: .venv/bin/python benchmarks/musicality.py [--seeds 2] [--bars 16] [--prompts FILE]
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import RESULTS, logged_progress, write_result

from composer.evaluate.musicality_report import table_lines, write_pictures
from composer.evaluate.musicality_run import load_musicality_prompts, run_musicality
from composer.faces.commands_eval import SHARED_PROMPTS

FLOOR_SECONDS = 600


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--prompts", default=str(SHARED_PROMPTS))
    parser.add_argument("--seeds", type=int, default=2)
    parser.add_argument("--bars", type=int, default=16)
    parser.add_argument("--keep", metavar="DIR", help="copy the generated MIDI files here, to look at and listen to")
    args = parser.parse_args()
    prompts = load_musicality_prompts(args.prompts)
    pictures = RESULTS / "musicality"
    with tempfile.TemporaryDirectory() as tmp, logged_progress() as progress:
        task = progress.add_task("musicality", total=1)
        result = run_musicality(prompts, Path(tmp), seeds=tuple(range(1, args.seeds + 1)), bars=args.bars,
                                on_progress=lambda done, total: progress.update(task, completed=done, total=total))
        if args.keep:
            shutil.copytree(Path(tmp) / "generated", args.keep, dirs_exist_ok=True)
        shutil.rmtree(pictures, ignore_errors=True)
        pictures.mkdir(parents=True)
        written = write_pictures(result, pictures)
        shutil.move(written.pop("plot"), RESULTS / "musicality.png")
    result.pop("pieces")
    for group in result["groups"].values():  # the files lived in the temporary folder; keep their names
        group["files"] = [Path(f).name for f in group["files"]]
    result["pictures"] = {name: str(Path(p).relative_to(RESULTS.parent.parent)) for name, p in written.items()}
    result["pictures"]["plot"] = "benchmarks/results/musicality.png"
    result["table"] = table_lines(result)
    result["floor_seconds"], result["within_floor"] = FLOOR_SECONDS, result["seconds"] <= FLOOR_SECONDS
    path = write_result("musicality", result, ("torch", "music21", "pretty_midi"))
    print("\n".join(result["table"]))
    print(f"{result['seconds']:.0f} s (floor {FLOOR_SECONDS} s); {path}")
    return 0 if result["within_floor"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
