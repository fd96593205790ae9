"""The game-audio subcommands: `composer stinger`, `composer transition` and `composer score` (cue sheets)."""

from __future__ import annotations

import argparse
import time
from typing import Any


def register(sub: Any) -> None:
    from composer.faces.numbers import bounded
    from composer.faces.outputs import output_options

    sting = sub.add_parser("stinger", help="a 1-2 bar cue that resolves to a piece's tonic, or (--transition) a bridge")
    sting.add_argument("prompt", nargs="?", default=None, metavar="PROMPT")
    target = sting.add_mutually_exclusive_group(required=True)
    target.add_argument("--to", metavar="PIECE.mid", help="the piece whose key, tempo and instruments it takes")
    target.add_argument("--transition", nargs=2, metavar=("A.mid", "B.mid"), help="a bridge from A's end into B")
    sting.add_argument("--bars", type=bounded(int, 1, 8), default=2, metavar="N",
                       help="1-2 for a stinger, 2-8 for a transition")
    sting.add_argument("--sync", default="bar", choices=("beat", "bar"), help="where the game may start it")
    output_options(sting)
    sting.set_defaults(run=cmd_stinger)

    bridge = sub.add_parser("transition", help="a bridge segment from the end of A.mid into the start of B.mid")
    bridge.add_argument("a", metavar="A.mid")
    bridge.add_argument("b", metavar="B.mid")
    bridge.add_argument("prompt", nargs="?", default=None, metavar="PROMPT")
    bridge.add_argument("--bars", type=bounded(int, 1, 8), default=2, metavar="N")
    output_options(bridge)
    bridge.set_defaults(run=cmd_transition)

    cues = sub.add_parser("score", help="score a cue sheet (YAML scenes with start times) as one continuous piece")
    cues.add_argument("cues", metavar="CUES.yaml")
    output_options(cues)
    cues.set_defaults(run=cmd_score)


def cmd_stinger(args: argparse.Namespace) -> int:
    from composer.arrange.game import stinger, transition
    from composer.faces.outputs import check_piece_outputs, write_piece

    started = time.perf_counter()
    check_piece_outputs(args, [args.to, *(args.transition or [])])
    if args.transition:
        start, end = args.transition
        piece = transition(start, end, args.prompt, bars=args.bars, seed=args.seed, checkpoint=args.checkpoint)
    else:
        piece = stinger(args.to, args.prompt, bars=args.bars, seed=args.seed, sync=args.sync,
                        checkpoint=args.checkpoint)
    return write_piece(piece, args, started)


def cmd_transition(args: argparse.Namespace) -> int:
    from composer.arrange.game import transition
    from composer.faces.outputs import check_piece_outputs, write_piece

    started = time.perf_counter()
    check_piece_outputs(args, [args.a, args.b])
    piece = transition(args.a, args.b, args.prompt, bars=args.bars, seed=args.seed, checkpoint=args.checkpoint)
    return write_piece(piece, args, started)


def cmd_score(args: argparse.Namespace) -> int:
    from composer.arrange.cues import score_cues
    from composer.faces.outputs import check_piece_outputs, write_piece

    started = time.perf_counter()
    check_piece_outputs(args, [args.cues])
    piece = score_cues(args.cues, seed=args.seed, checkpoint=args.checkpoint)
    return write_piece(piece, args, started)
