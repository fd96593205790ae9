"""Pictures you can hear: how alike the piano roll is to the picture, and what drawing costs the music.

The four example pictures (examples/draw: shapes in edges mode, a cat's silhouette, the lettering HI in
silhouette mode, the sunset photo in tone mode), 4 bars each, the default instrument (piano), seeds
1-3, at draw strengths 0-12 and undrawn (compose without --draw, same settings and seeds).
Likeness: the piano roll binarised onto the target grid (composer.plan.drawing.roll_grid), then IoU and SSIM
(composer.plan.drawing.ssim: Wang et al. 2004, Gaussian window) against the grid. Musicality: MusPy's scale
consistency, pitch-class entropy and groove consistency (composer.evaluate.metrics), as relative changes of
their means against the undrawn pieces. Among the strengths whose three musical measures all stay within
10% of undrawn output, the recommended one is the weakest whose mean IoU comes within 0.05 of the best of
them: the knee, past which more strength buys little likeness and takes the music from the model.
Floors: at the default strength (composer.constraints.draw.DRAW_STRENGTH) the IoU is at least 0.25
above undrawn output and every musical measure within 10% of it. Writes results/draw.json.
Run: .venv/bin/python benchmarks/draw.py [--seeds 3]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import write_result

from composer.constraints.draw import DRAW_STRENGTH
from composer.evaluate.metrics import piece_metrics
from composer.pipeline import compose
from composer.plan.drawing import iou, roll_grid, ssim
from composer.plan.spec import plan_request

ROOT = Path(__file__).resolve().parent.parent
PICTURES = {  # name -> (picture, draw mode)
    "shapes": (ROOT / "examples/draw/shapes/shapes-source.png", "edges"),
    "cat": (ROOT / "examples/draw/cat/cat-source.png", "silhouette"),
    "lettering": (ROOT / "examples/draw/lettering/lettering-source.png", "silhouette"),
    "photo": (ROOT / "examples/sunset.png", "tone"),
}
STRENGTHS = (0.0, 1.0, 2.0, 4.0, 6.0, 8.0, 12.0)
MUSICAL = ("scale_consistency", "pitch_class_entropy", "groove_consistency")
BARS = 4
TOLERANCE = 0.10  # musical measures within 10% of undrawn output
IOU_GAIN_FLOOR = 0.25
KNEE = 0.05  # IoU within this of the best counts as saturated


def measure(picture: Path, mode: str, seed: int, strength: float | None) -> dict[str, float]:
    """One piece (strength None: undrawn) against the picture's grid."""
    grid = plan_request(image=picture, bars=BARS, seed=seed, draw=True, draw_mode=mode).spec.draw_grid
    started = time.perf_counter()
    if strength is None:
        piece = compose(image=picture, bars=BARS, seed=seed, instruments=[0])
    else:
        piece = compose(image=picture, bars=BARS, seed=seed, draw=True, draw_strength=strength, draw_mode=mode)
    seconds = time.perf_counter() - started
    roll = roll_grid(piece.score, grid)
    metrics = piece_metrics(piece.score)
    return {"iou": iou(roll, grid.cells), "ssim": ssim(roll, grid.cells), "seconds": seconds,
            "attempts": piece.attempts, "notes": piece.score.note_count, **{m: metrics[m] for m in MUSICAL}}


def summary(rows: list[dict[str, float]]) -> dict[str, float]:
    return {name: round(statistics.fmean(r[name] for r in rows), 4) for name in rows[0]}


def relative(drawn: dict[str, float], undrawn: dict[str, float]) -> dict[str, float]:
    return {m: round((drawn[m] - undrawn[m]) / undrawn[m], 4) for m in MUSICAL}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3)
    args = parser.parse_args()
    seeds = list(range(1, args.seeds + 1))
    compose("warm up", bars=1, seed=0)  # load the model and the text encoder
    runs: dict[str, dict[str, list[dict[str, float]]]] = {}
    for name, (picture, mode) in PICTURES.items():
        runs[name] = {"undrawn": [measure(picture, mode, s, None) for s in seeds]}
        for strength in STRENGTHS:
            runs[name][str(strength)] = [measure(picture, mode, s, strength) for s in seeds]
        print(f"{name}: " + ", ".join(f"{k} IoU {summary(v)['iou']:.2f}" for k, v in runs[name].items()), flush=True)
    settings = ["undrawn", *map(str, STRENGTHS)]
    overall = {k: summary([r for name in runs for r in runs[name][k]]) for k in settings}
    per_picture = {name: {k: summary(v) for k, v in by.items()} for name, by in runs.items()}
    changes = {k: relative(overall[k], overall["undrawn"]) for k in settings[1:]}
    musical_ok = {k: all(abs(v) <= TOLERANCE for v in changes[k].values()) for k in settings[1:]}
    candidates = [k for k in settings[1:] if musical_ok[k]]
    best_iou = max((overall[k]["iou"] for k in candidates), default=0.0)
    recommended = next((k for k in candidates if overall[k]["iou"] >= best_iou - KNEE), None)
    default = str(DRAW_STRENGTH)
    figures: dict[str, Any] = {
        "pictures": {name: {"picture": str(p.relative_to(ROOT)), "mode": m} for name, (p, m) in PICTURES.items()},
        "bars": BARS, "seeds": seeds, "instrument": "piano (program 0, the --draw default)",
        "strengths": list(STRENGTHS), "overall": overall, "per_picture": per_picture,
        "musical_change_vs_undrawn": changes, "musical_within_tolerance": musical_ok,
        "recommended_strength": float(recommended) if recommended else None, "default_strength": DRAW_STRENGTH,
        "floors": {"iou_gain_over_undrawn": IOU_GAIN_FLOOR, "musical_change": TOLERANCE},
    }
    if default in overall:
        gain = overall[default]["iou"] - overall["undrawn"]["iou"]
        figures["default_iou_gain"] = round(gain, 4)
        figures["meets_floors"] = gain >= IOU_GAIN_FLOOR and musical_ok[default]
    else:
        figures["meets_floors"] = False
    path = write_result("draw", figures, packages=("torch", "muspy"))
    print(f"{'setting':>9} {'IoU':>6} {'SSIM':>6} " + " ".join(f"{m:>19}" for m in MUSICAL) + "  s/piece")
    for k in settings:
        row = overall[k]
        change = changes.get(k, dict.fromkeys(MUSICAL, 0.0))
        print(f"{k:>9} {row['iou']:6.3f} {row['ssim']:6.3f} "
              + " ".join(f"{row[m]:8.3f} ({change[m]:+6.1%})" for m in MUSICAL) + f"  {row['seconds']:.2f}")
    print(f"recommended strength {recommended}, default {DRAW_STRENGTH}; floors "
          f"{'met' if figures['meets_floors'] else 'NOT met'} -> {path}")
    return 0 if figures["meets_floors"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
