"""`composer data build`, `composer data shards` and `composer data chords`: the training corpus, its token shards
and the chord model."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from composer.core.errors import ComposerError
from composer.faces.numbers import bounded
from composer.faces.progress import progress_bar

DEFAULT_CHORDS_OUT = "chords.json"


def register(sub: Any) -> None:
    data = sub.add_parser("data", help="build the training corpus")
    data_sub = data.add_subparsers(dest="data_command", required=True, metavar="STEP")
    build = data_sub.add_parser("build", help="convert, label and split music21's corpus (and --midi-dir)")
    build.add_argument("--out", default="data", metavar="DIR", help="output folder (default: data/)")
    build.add_argument("--midi-dir", metavar="DIR", help="also add every MIDI file under DIR")
    build.add_argument("--jobs", type=bounded(int, 1, 256), default=None, help="worker processes (default: all cores)")
    build.add_argument("--limit", type=bounded(int, 1, 10**9), default=None, metavar="N",
                       help="at most N files per collection")
    build.set_defaults(run=cmd_data_build)
    shards = data_sub.add_parser("shards", help="tokenize the built corpus into training shards")
    shards.add_argument("--data", default="data", metavar="DIR", help="a `data build` folder")
    shards.add_argument("--out", default="data/shards", metavar="DIR")
    shards.add_argument("--jobs", type=bounded(int, 1, 256), default=None)
    shards.add_argument("--no-embeddings", action="store_true", help="skip the caption embeddings")
    shards.set_defaults(run=cmd_data_shards)
    chords = data_sub.add_parser("chords", help="read chord sequences from music21's corpus and count the chord model")
    chords.add_argument("--out", default=None, metavar="FILE.json",
                        help=f"the model to write (default: {DEFAULT_CHORDS_OUT}, never replaced unless named)")
    chords.add_argument("--cache", default="data/chord_cache", metavar="DIR",
                        help="the read corpus is cached here (default: data/chord_cache/)")
    chords.add_argument("--no-cache", action="store_true", help="read the corpus again and cache nothing")
    chords.add_argument("--jobs", type=bounded(int, 1, 256), default=None, help="worker processes (default: all cores)")
    chords.set_defaults(run=cmd_data_chords)


def cmd_data_build(args: argparse.Namespace) -> int:
    from composer.train.data.build import build_corpus, summary_lines

    midi_dir = Path(args.midi_dir) if args.midi_dir else None
    if midi_dir is not None and not midi_dir.is_dir():
        raise ComposerError(f"--midi-dir {midi_dir} is not a folder")
    with progress_bar("Converting the corpus") as update:
        report = build_corpus(Path(args.out), midi_dir=midi_dir, jobs=args.jobs,
                              limit_per_collection=args.limit, on_progress=update)
    print("\n".join(summary_lines(report)))
    print(f"wrote {Path(args.out) / 'pieces.jsonl'}, report.json and skipped.tsv")
    return 0


def cmd_data_shards(args: argparse.Namespace) -> int:
    from composer.ask.text_encoder import embed_texts
    from composer.train.data.shards import build_shards, embed_shards

    with progress_bar("Tokenizing versions") as update:
        meta = build_shards(Path(args.data), Path(args.out), jobs=args.jobs, on_progress=update)
    if not args.no_embeddings:
        with progress_bar("Embedding captions") as update:
            embed_shards(Path(args.out), lambda captions: embed_texts(captions, on_progress=update))
    print(f"{meta['pieces']:,} pieces -> {meta['versions']:,} versions, {meta['tokens']:,} tokens "
          f"(train {meta['tokens_by_split']['train']:,}, valid {meta['tokens_by_split']['valid']:,}, "
          f"test {meta['tokens_by_split']['test']:,})")
    print(f"{'collection':<20}{'pieces':>8}{'versions':>10}{'tokens':>12}{'skipped':>9}  parts by role")
    for name, row in meta["by_collection"].items():
        roles = ", ".join(f"{role} {count:,}" for role, count in sorted(row["roles"].items(), key=lambda r: -r[1]))
        print(f"{name:<20}{row['pieces']:>8,}{row['versions']:>10,}{row['tokens']:>12,}{row['skipped']:>9,}  {roles}")
    return 0


def cmd_data_chords(args: argparse.Namespace) -> int:
    import json

    from composer.core.atomic import all_or_nothing, atomic_output
    from composer.faces.paths import Output, check_outputs
    from composer.train.chords import build_chord_model, print_progress, summary_lines

    out = Path(args.out or DEFAULT_CHORDS_OUT)
    if args.out is None and out.exists():
        raise ComposerError(f"{out} already exists; name it with --out {out} to replace it, or give another --out")
    check_outputs([Output(out, "json", "--out")])
    counter = None if sys.stderr.isatty() else print_progress()  # a log gets a counter line, not a bar

    with progress_bar("Reading chords from the corpus") as update:
        def show(done: int, total: int) -> None:
            update(done, total)
            if counter is not None:
                counter(done, total)

        report = build_chord_model(jobs=args.jobs, cache=None if args.no_cache else Path(args.cache),
                                   on_progress=show)
    with all_or_nothing(), atomic_output(out) as tmp:
        tmp.write_text(json.dumps(report.model, separators=(",", ":")) + "\n", encoding="utf-8")
    print("\n".join(summary_lines(report.results)))
    print(f"wrote {out}")
    return 0
