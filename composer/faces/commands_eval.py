"""`composer eval control`, `eval music` and `eval musicality`: parse, call composer.evaluate, print."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from composer.core.errors import ComposerError
from composer.faces.numbers import SEED_MAX, bounded

CONTROL_ROWS = (("CK", "CK (key tonic and mode)"), ("CK_krumhansl", "CK, Krumhansl-Schmuckler"),
                ("key_signature", "key signature"), ("TB", "TB (tempo bin)"), ("TBT", "TBT (bin or neighbour)"),
                ("tempo_10pct", "tempo within 10%"), ("meter", "meter"),
                ("instrument_precision", "instrument precision"), ("instrument_recall", "instrument recall"),
                ("instrument_f1", "instrument F1"))


def _plain(value: Any) -> Any:
    return value.item() if hasattr(value, "item") else str(value)


def control_lines(report: dict[str, Any]) -> list[str]:
    """The control-accuracy table: ours beside the published Text2midi and MuseCoco figures."""
    published = report["published"]
    systems = list(published)
    lines = [f"{'control accuracy':26s} {'ours':>7s}  {'files':>5s}  " + "  ".join(f"{s + '*':>10s}" for s in systems)]
    for name, label in CONTROL_ROWS:
        row = report["control"].get(name)
        if row is None:
            continue
        theirs = "  ".join(f"{published[s][name]:9.1f}%" if name in published[s] else f"{'':10s}" for s in systems)
        lines.append(f"  {label:24s} {row['percent']:6.1f}%  {row['files']:5d}  {theirs}")
    lines.append("* published, not re-measured (the MidiCaps test captions, not this prompt file)")
    return lines


def cmd_eval_control(args: argparse.Namespace) -> int:
    from composer.core.errors import ComposerError
    from composer.evaluate.control import evaluate, load_prompts
    from composer.faces.progress import progress_bar

    if args.seeds < 1:
        raise ComposerError("--seeds must be at least 1")
    prompts = load_prompts(args.prompts)
    with progress_bar("Generating and judging") as update:
        report = evaluate(prompts, Path(args.out), tuple(range(args.seeds)), on_progress=update)
    if args.json:
        print(json.dumps(report, default=_plain))
        return 0
    for kind, rates in report["rates"].items():
        print(f"{kind} prompts ({len([p for p in prompts if p.get('kind', 'explicit') == kind])}, "
              f"{args.seeds} seeds each)")
        for name, rate in sorted(rates.items()):
            print(f"  {name:18s} {rate:5.1f}%")
    if report["implicit_expectations_met"] is not None:
        print(f"implicit expectations met: {report['implicit_expectations_met']}%")
    print("\n".join(control_lines(report)))
    print(f"MIDI files in {args.out}")
    return 0


def music_lines(report: dict[str, Any]) -> list[str]:
    """Per-piece metrics side by side, then the distribution comparison, then the held-out NLL."""
    generated, heldout = report["metrics"]["generated"], report["metrics"]["heldout"]
    lines = [f"{report['n']} generated vs {report['n']} held-out pieces ({report['bars']} bars each; held-out from "
             f"{report['heldout_source']})", f"{'metric':22s} {'generated':>16s} {'held-out':>16s}"]
    for name in generated:
        g, h = generated[name], heldout[name]
        lines.append(f"  {name:20s} {g['mean']:8.3f} ± {g['std']:5.3f} {h['mean']:8.3f} ± {h['std']:5.3f}")
    ours = report["distributions"]["generated_vs_heldout"]
    reference = report["distributions"].get("heldout_half_vs_half")
    lines.append(f"{'feature (Yang & Lerch)':32s} {'OA':>6s} {'KLD':>6s}   {'held-out halves: OA':>19s} {'KLD':>6s}")
    for name in ours:
        theirs = (f"{reference[name]['overlap_area']:19.3f} {reference[name]['kl_divergence']:6.3f}" if reference
                  else f"{'(n < 10)':>19s}")
        lines.append(f"  {name:30s} {ours[name]['overlap_area']:6.3f} {ours[name]['kl_divergence']:6.3f}   {theirs}")
    if "nll" in report:
        nll = report["nll"]
        lines.append(f"held-out NLL: {nll['nll_per_token']:.4f} nats/token ({nll['nll_per_token_with_controls']:.4f} "
                     f"with control tokens) over {nll['tokens']} tokens of {nll['pieces']} pieces")
    return lines


def cmd_eval_music(args: argparse.Namespace) -> int:
    from composer.core.atomic import write_bytes_atomic
    from composer.evaluate.music import evaluate_music
    from composer.faces.progress import progress_bar

    collections = [c.strip() for c in args.collections.split(",") if c.strip()] if args.collections else None
    with progress_bar("Generating and measuring") as update:
        report = evaluate_music(args.n, seed=args.seed, out_dir=Path(args.out) if args.out else None,
                                pieces=Path(args.pieces) if args.pieces else None, collections=collections,
                                with_nll=not args.no_nll, on_progress=lambda _, done, total: update(done, total))
    text = json.dumps(report, default=_plain)
    if args.out:
        write_bytes_atomic(Path(args.out) / "report.json", (text + "\n").encode())
    print(text if args.json else "\n".join(music_lines(report)))
    return 0


SHARED_PROMPTS = Path(__file__).resolve().parents[3] / "shared" / "eval" / "prompts_musicality.jsonl"


def cmd_eval_musicality(args: argparse.Namespace) -> int:
    from composer.core.atomic import write_bytes_atomic
    from composer.evaluate.musicality_report import table_lines, write_pictures
    from composer.evaluate.musicality_run import load_musicality_prompts, run_musicality
    from composer.faces.progress import progress_bar

    prompts = load_musicality_prompts(args.prompts)
    out = Path(args.out)
    if not out.parent.is_dir():
        raise ComposerError(f"folder {out.parent} does not exist (for --out {out}); create it first")
    with progress_bar(f"Generating {len(prompts)} prompts x {args.seeds} seeds x 3 conditions") as update:
        result = run_musicality(prompts, out, seeds=tuple(range(1, args.seeds + 1)), bars=args.bars,
                                on_progress=update)
    result["pictures"] = write_pictures(result, out)
    write_bytes_atomic(out / "musicality.json", (json.dumps(result, default=_plain) + "\n").encode())
    if args.json:
        print(json.dumps({k: v for k, v in result.items() if k != "pieces"}, default=_plain))
        return 0
    print("\n".join(table_lines(result)))
    print("‡ composer is within two standard errors of masked random: the masks, not the model, decide it")
    print(f"{result['seconds']:.0f} s; files, pictures and musicality.json in {out}")
    return 0


def register(sub: Any) -> None:
    evaluation = sub.add_parser("eval", help="measure composer").add_subparsers(dest="what", required=True)
    control = evaluation.add_parser("control", help="text control on a prompt file, judged from the MIDI files")
    control.add_argument("--prompts", required=True, metavar="FILE", help="JSON lines: prompt + expected attributes")
    control.add_argument("--seeds", type=bounded(int, 1, 100), default=3)
    control.add_argument("--out", default="out/eval", metavar="DIR", help="where the generated MIDI files go")
    control.add_argument("--json", action="store_true")
    control.set_defaults(run=cmd_eval_control)
    music = evaluation.add_parser("music", help="generated vs held-out corpus pieces: MusPy metrics, Yang & Lerch "
                                                "distributions, held-out NLL")
    music.add_argument("--n", type=bounded(int, 1, 10_000), default=100, metavar="N",
                       help="pieces on each side (default 100)")
    music.add_argument("--seed", type=bounded(int, 0, SEED_MAX), default=0,
                       help="picks the held-out pieces and the generation seeds")
    music.add_argument("--out", metavar="DIR", help="write the generated MIDI files and report.json here")
    music.add_argument("--pieces", metavar="FILE", help="a built pieces.jsonl (default data/pieces.jsonl if "
                                                        "present, else music21's corpus converted on the fly)")
    music.add_argument("--collections", metavar="LIST", help="held-out pieces only from these corpus collections")
    music.add_argument("--no-nll", action="store_true", help="skip the model's held-out NLL")
    music.add_argument("--json", action="store_true")
    music.set_defaults(run=cmd_eval_music)
    musicality = evaluation.add_parser("musicality", help="does each part play its role? generated pieces beside "
                                                          "real music and two ablations, judged from the MIDI files")
    musicality.add_argument("--prompts", default=str(SHARED_PROMPTS), metavar="FILE",
                            help="JSON lines: id, prompt and the families of its roles (default: shared/eval's)")
    musicality.add_argument("--seeds", type=bounded(int, 1, 20), default=2, help="seeds per prompt (default 2)")
    musicality.add_argument("--bars", type=bounded(int, 4, 64), default=16, help="bars per piece (default 16)")
    musicality.add_argument("--out", default="out/musicality", metavar="DIR")
    musicality.add_argument("--json", action="store_true")
    musicality.set_defaults(run=cmd_eval_musicality)
