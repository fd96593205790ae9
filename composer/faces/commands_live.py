"""`composer play`: stream a MIDI file in real time to a MIDI port (a DAW records it); calls composer.output.live."""

from __future__ import annotations

import argparse
import sys

from composer.faces.numbers import bounded

DEFAULT_PORT = "composer"


def add_live_options(parser: argparse.ArgumentParser) -> None:
    """--tempo-scale and --count-in, shared by `play` (and read by `generate --live`)."""
    parser.add_argument("--tempo-scale", type=bounded(float, 0.01, 100), default=1.0, metavar="X",
                        help="play X times as fast (0.5: half speed; default 1)")
    parser.add_argument("--count-in", type=bounded(int, 0, 16), default=0, metavar="BARS",
                        help="click BARS bars (wood blocks, channel 10) in the first meter and tempo before the piece")


def stream(source, port: str, *, tempo_scale: float = 1.0, count_in: int = 0) -> float:  # type: ignore[no-untyped-def]
    """Play a Score or MIDI path to `port`, telling the user on stderr where it goes, with a progress bar."""
    from composer.faces.progress import progress_bar
    from composer.output.live import Timeline, play

    def opened(description: str, timeline: Timeline) -> None:
        minutes, seconds = divmod(timeline.duration / tempo_scale, 60)
        print(f"playing {int(minutes)}:{seconds:04.1f} to {description}; Ctrl+C stops", file=sys.stderr)

    sys.stdout.flush()  # the paths `generate --live` printed come before the stream
    with progress_bar("Playing") as update:
        return play(source, port, tempo_scale=tempo_scale, count_in=count_in, on_open=opened, on_progress=update)


def cmd_play(args: argparse.Namespace) -> int:
    from composer.core.errors import ComposerError
    from composer.output.live import output_names

    if args.list:
        names = output_names()
        print("\n".join(names) if names else "no MIDI output ports (`composer play FILE.mid --port NAME` "
                                               "makes a virtual one)")
        return 0
    if not args.input:
        raise ComposerError("give a MIDI file to play (or --list to see the ports)")
    stream(args.input, args.port, tempo_scale=args.tempo_scale, count_in=args.count_in)
    return 0


def register(sub) -> None:  # type: ignore[no-untyped-def]
    play = sub.add_parser("play", help="stream a MIDI file in real time to a MIDI port, for a DAW to record")
    play.add_argument("input", nargs="?", metavar="FILE.mid")
    play.add_argument("--port", default=DEFAULT_PORT, metavar="NAME",
                      help=f"an output port whose name contains NAME, else a new virtual port NAME "
                           f"(default {DEFAULT_PORT!r}; virtual ports need Linux or macOS)")
    play.add_argument("--list", action="store_true", help="list the MIDI output ports and exit")
    add_live_options(play)
    play.set_defaults(run=cmd_play)
