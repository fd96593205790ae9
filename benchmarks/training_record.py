"""The training record of a run: loss curves as a PNG, and tokens seen, steps, minutes and hardware as JSON.

Reads RUN/log.jsonl (one line per step, `valid_loss` every eval) and RUN/config.json; a run resumed at a
longer context (a second phase) is one log. Writes results/training.png and results/training.json.
Run: .venv/bin/python benchmarks/training_record.py [--run-dir runs/partwise] [--name training]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import RESULTS, write_result


def phases(log: list[dict]) -> list[dict]:
    """Stretches of the log between restarts (a gap of over 5 minutes, or the step going back)."""
    out: list[dict] = []
    for record in log:
        if out and record["step"] > out[-1]["last_step"] and record["time"] - out[-1]["last_time"] < 300:
            out[-1].update(last_step=record["step"], last_time=record["time"], last_tokens=record["tokens_seen"])
        else:
            out.append({"first_step": record["step"], "last_step": record["step"], "first_time": record["time"],
                        "last_time": record["time"], "last_tokens": record["tokens_seen"]})
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--run-dir", default="runs/partwise")
    parser.add_argument("--name", default="training")
    parser.add_argument("--note", default="", help="what the run was (phases, warm start), for the record")
    args = parser.parse_args()
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    run = Path(args.run_dir)
    log = [json.loads(line) for line in (run / "log.jsonl").read_text().splitlines() if line.strip()]
    config = json.loads((run / "config.json").read_text())
    valid = [(r["step"], r["valid_loss"]) for r in log if "valid_loss" in r]
    spans = phases(log)
    minutes = sum(p["last_time"] - p["first_time"] for p in spans) / 60
    figure, axis = plt.subplots(figsize=(8, 4.5), dpi=120)
    steps = [r["step"] for r in log]
    losses = [r["loss"] for r in log]
    width = 50
    smooth = [sum(losses[max(0, i - width):i + 1]) / len(losses[max(0, i - width):i + 1]) for i in range(len(losses))]
    axis.plot(steps, losses, color="#c8d4e3", linewidth=0.6, label="training loss (each step)")
    axis.plot(steps, smooth, color="#2b6cb0", linewidth=1.5, label=f"training loss ({width}-step mean)")
    if valid:
        axis.plot(*zip(*valid, strict=True), "o-", color="#c05621", markersize=3, label="validation loss")
    for span in spans[1:]:
        axis.axvline(span["first_step"], color="#999", linestyle=":", linewidth=1)
    axis.set_xlabel("optimizer step")
    axis.set_ylabel("cross-entropy (nats per token)")
    axis.set_title(f"{run.name}: {log[-1]['tokens_seen'] / 1e6:.1f} M tokens, {minutes:.0f} min, "
                   f"{len(spans)} phase(s)")
    axis.legend()
    axis.grid(alpha=0.3)
    figure.tight_layout()
    picture = RESULTS / f"{args.name}.png"
    figure.savefig(picture)
    figures = {"run": str(run), "steps": log[-1]["step"], "tokens_seen": log[-1]["tokens_seen"],
               "minutes": round(minutes, 1), "phases": spans, "last_valid_loss": valid[-1][1] if valid else None,
               "valid_losses": valid, "model_args": config["model_args"], "train_args": config["train"],
               "note": args.note, "picture": str(picture.relative_to(RESULTS.parent.parent))}
    path = write_result(args.name, figures, packages=("torch",))
    print(f"{run}: {figures['steps']} steps, {figures['tokens_seen']:,} tokens, {minutes:.0f} min; "
          f"last validation loss {figures['last_valid_loss']}; {picture}, {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
