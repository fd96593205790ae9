"""The `composer` command: parse arguments, call one library function, print the result."""

from __future__ import annotations

import argparse
import importlib
import signal
import sys
import threading
import warnings
from collections.abc import Sequence
from typing import NoReturn

from composer.core.atomic import INTERRUPTED, all_or_nothing
from composer.core.errors import ComposerError, EmptyScoreError
from composer.core.version import __version__
from composer.faces import commands_files
from composer.faces.numbers import SEED_MAX, bounded
from composer.faces.outputs import audio_options, check_piece_outputs, output_options, write_piece
from composer.faces.paths import check_outputs, stems_folders
from composer.faces.progress import progress_bar
from composer.plan.request import MAX_BARS

EXIT_USER_ERROR = 2


def cmd_demo(args: argparse.Namespace) -> int:
    from composer.faces.demo import make_demo

    with progress_bar("Rendering the demo") as update:
        written = make_demo(args.out_dir, soundfont=args.soundfont, on_progress=update)
    for path in written:
        print(path)
    return 0


def cmd_generate(args: argparse.Namespace) -> int:
    import time

    from composer.core.instruments import parse_instruments
    from composer.pipeline import compose

    started = time.perf_counter()
    instruments = args.instruments or None
    if instruments:
        parse_instruments(instruments)  # an unknown name fails before the model loads
    options = dict(image=args.image, image_encoder=args.image_encoder, key=args.key, tempo=args.tempo,
                   meter=args.meter, bars=args.bars, instruments=instruments, chords=args.chords, seed=args.seed,
                   roles=args.roles,
                   temperature=args.temperature, top_k=args.top_k, top_p=args.top_p, guidance=args.guidance,
                   constraints=not args.no_constraints,
                   constraints_off=args.constraints_off.split(",") if args.constraints_off else None,
                   chromatic=args.chromatic, loop=args.loop, checkpoint=args.checkpoint)
    if args.draw_strength is not None and not args.draw:
        raise ComposerError("--draw-strength needs --draw")
    if args.draw or args.spectrogram:
        if args.layers or args.form:
            raise ComposerError("--draw and --spectrogram work on one piece; leave out --layers and --form")
        if args.draw:
            options.update(draw=True, draw_strength=args.draw_strength, draw_mode=args.draw_mode)
    if args.layers:
        return _generate_layers(args, options, started)
    check_piece_outputs(args, [args.image])
    piece = compose(args.prompt, form=args.form, **options)  # type: ignore[arg-type]
    if piece.score.note_count == 0:
        raise EmptyScoreError("the model produced no notes; try another --seed")
    return write_piece(piece, args, started)


def _generate_layers(args: argparse.Namespace, options: dict, started: float) -> int:  # type: ignore[type-arg]
    """generate --layers: one MIDI file (and mix, with --audio) per layer, the stems shared."""
    import json
    import time

    from composer.arrange.layers import compose_layers, parse_layers, write_layers
    from composer.faces.paths import layer_outputs

    if args.form or args.musicxml or args.piano_roll:
        raise ComposerError("--layers writes MIDI, --audio and --stems; leave out --form, --musicxml and --piano-roll")
    if args.live:
        raise ComposerError("--live plays one piece; stream a layer's file with `composer play FILE.mid --port NAME`")
    if args.tail or args.loudness is not None or args.true_peak is not None:
        raise ComposerError("--tail and --loudness work on one piece; render a layer with `composer render` for them")
    names = parse_layers(args.layers)
    check_outputs(layer_outputs(names, args.output, args.audio), [args.image],
                  folders=stems_folders(args))
    pieces = compose_layers(args.layers, args.prompt, **options)
    with progress_bar("Rendering layers") as update, all_or_nothing():
        written = write_layers(pieces, args.output, args.audio, args.stems, on_progress=update)
    if args.json:
        first = next(iter(pieces.values()))
        layers = {name: piece.attributes["layer"] for name, piece in pieces.items()}
        print(json.dumps({"attributes": first.attributes, "layers": layers,
                          "outputs": written, "tokens": first.token_count, "attempts": first.attempts,
                          "seconds": {**{k: round(v, 3) for k, v in first.seconds.items()},
                                      "total": round(time.perf_counter() - started, 3)}}))
        return 0
    for kind in ("midi", "audio", "sidecar"):
        for path in written.get(kind, {}).values():
            print(path)
    for path in written.get("stems", []):
        print(path)
    return 0


def cmd_continue(args: argparse.Namespace) -> int:
    import time

    from composer.arrange.continuation import continue_midi

    started = time.perf_counter()
    check_piece_outputs(args, [args.input])
    piece = continue_midi(args.input, args.bars, args.prompt, seed=args.seed, temperature=args.temperature,
                          top_p=args.top_p, guidance=args.guidance, checkpoint=args.checkpoint)
    return write_piece(piece, args, started)


def cmd_infill(args: argparse.Namespace) -> int:
    import time

    from composer.arrange.infill import infill_midi

    started = time.perf_counter()
    check_piece_outputs(args, [args.input])
    piece = infill_midi(args.input, args.bars, args.tracks, args.prompt, seed=args.seed,
                        temperature=args.temperature, top_p=args.top_p, guidance=args.guidance,
                        checkpoint=args.checkpoint)
    return write_piece(piece, args, started)


def cmd_add_part(args: argparse.Namespace) -> int:
    import time

    from composer.arrange.add_part import add_part_midi

    started = time.perf_counter()
    check_piece_outputs(args, [args.input])
    piece = add_part_midi(args.input, args.instrument, role=args.role, bars=args.bars, prompt=args.prompt,
                          seed=args.seed, temperature=args.temperature, top_p=args.top_p, guidance=args.guidance,
                          checkpoint=args.checkpoint)
    return write_piece(piece, args, started)


def cmd_explain(args: argparse.Namespace) -> int:
    import json

    from composer.ask.text import describe_programs
    from composer.core.instruments import parse_instruments
    from composer.plan.request import describe

    instruments = args.instruments or None
    if instruments:
        parse_instruments(instruments)  # an unknown name fails before the model loads
    request = describe(args.prompt, image=args.image, image_encoder=args.image_encoder, key=args.key,
                       tempo=args.tempo, meter=args.meter,
                       bars=args.bars, instruments=instruments, chords=args.chords, roles=args.roles,
                       seed=args.seed, loop=args.loop)
    if args.json:
        print(json.dumps(request.as_json()))
        return 0
    for name, value in request.values.items():
        shown = value.value
        if name in ("instruments", "excluded"):
            shown = ", ".join(describe_programs(value.value))
        elif name == "roles":
            shown = ", ".join(f"{part}={role}" for part, role in value.value.items())
        detail = f"  ({value.detail})" if value.detail else ""
        print(f"{name:15s} {shown!s:32s} {value.source}{detail}")
    if request.caption:
        print(f"{'condition':15s} embedding of {request.caption!r}")
    return 0


def _extension_options(parser: argparse.ArgumentParser) -> None:
    """Outputs and sampling options of the commands that work on the user's MIDI (continue, infill)."""
    output_options(parser)
    parser.add_argument("--in-place", action="store_true", help="allow -o to be IN.mid itself (replaced atomically)")
    parser.add_argument("--temperature", type=bounded(float, 0.01, 10), default=1.0)
    parser.add_argument("--top-p", type=bounded(float, 0.01, 1), default=0.95, metavar="P")
    parser.add_argument("--guidance", type=bounded(float, 0, 20), default=1.0)


class UsageError(Exception):
    """A command line argparse could not read (a missing value, a number out of range)."""


class OneLineParser(argparse.ArgumentParser):
    """argparse, with a mistake reported as one line (`composer X: error: ...; see composer X --help`), exit 2."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{self.prog}: error: {message} (see {self.prog} --help)")


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(
        prog="composer", description="Symbolic music composition: MIDI in, MIDI and audio out.")
    parser.add_argument("--version", action="version", version=f"composer {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    commands_files.register(sub)  # render, soundfonts, convert

    generate = sub.add_parser("generate", help="compose a piece: MIDI, plus audio, MusicXML or a piano roll")
    generate.add_argument("prompt", nargs="?", default=None, metavar="PROMPT")
    generate.add_argument("--key", help='e.g. "D minor", "Eb major", "F#m"')
    generate.add_argument("--tempo", type=bounded(float, 20, 400), metavar="BPM")
    generate.add_argument("--meter", metavar="N/D", help="e.g. 3/4, 6/8")
    generate.add_argument("--bars", type=bounded(int, 1, MAX_BARS), default=None, metavar="N",
                          help="default: from the prompt, else 8")
    generate.add_argument("--image", metavar="PATH", help="a PNG, JPEG or WebP picture to score")
    generate.add_argument("--image-encoder", metavar="DIR", help="a local CLIP or SigLIP model folder (optional)")
    generate.add_argument("--instruments", metavar="LIST", help="e.g. piano,strings,bass")
    generate.add_argument("--roles", metavar="LIST", help="each part's role, e.g. piano=comp,cello=bass (melody, "
                                                          "counter, bass, comp, pad, arp, doubling)")
    generate.add_argument("--chords", metavar="CHORDS", help='one chord a bar: "Am F C G" or "i iv V7 i"')
    generate.add_argument("--seed", type=bounded(int, 0, SEED_MAX), default=None)
    generate.add_argument("--temperature", type=bounded(float, 0.01, 10), default=1.0)
    generate.add_argument("--top-k", type=bounded(int, 0, 10_000), default=0, metavar="K",
                          help="keep the K likeliest tokens (0: all)")
    generate.add_argument("--top-p", type=bounded(float, 0.01, 1), default=0.95, metavar="P",
                          help="nucleus sampling mass")
    generate.add_argument("--no-constraints", action="store_true",
                          help="only the grammar and bar count; options are conditioning alone")
    generate.add_argument("--constraints-off", metavar="LIST",
                          help="switch off some: meter,key,instruments,polyphony,cadence,chords,leaps,targets,"
                               "coverage,...; soft: every bias and texture template (the model alone under the "
                               "hard masks)")
    generate.add_argument("--chromatic", type=bounded(int, 0, 64), default=0, metavar="N",
                          help="off-beat notes allowed outside the key (default 0: strictly in the scale)")
    generate.add_argument("--guidance", type=bounded(float, 0, 20), default=1.0,
                          help="classifier-free guidance scale (1: off)")
    generate.add_argument("--form", metavar="SECTIONS",
                          help='sections in order, e.g. "intro A B A outro" or "A:8 B:4 A"; a marker each')
    generate.add_argument("--layers", metavar="NAMES",
                          help="intensity layers, quietest first (low,mid,high): a MIDI file and a mix each")
    generate.add_argument("--loop", action="store_true",
                          help="a seamless loop: the end leads back to the start; loop markers; wrapped audio")
    generate.add_argument("--draw", action="store_true",
                          help="draw the --image in the piano roll: its notes trace the picture (default: piano)")
    generate.add_argument("--draw-strength", type=bounded(float, 0, 50), default=None, metavar="S",
                          help="how hard the picture pulls (default 6): higher, likelier picture, less model")
    generate.add_argument("--draw-mode", choices=("edges", "silhouette", "tone"), default="edges",
                          help="edges: the outline; silhouette: the filled shape; tone: brightness as note density")
    generate.add_argument("--checkpoint", default=None, help="a name under composer/checkpoints/ or a folder")
    generate.add_argument("-o", "--output", required=True, metavar="OUT.mid")
    generate.add_argument("--audio", metavar="OUT.wav|.flac|.ogg")
    generate.add_argument("--musicxml", metavar="OUT.musicxml")
    generate.add_argument("--stems", metavar="DIR", help="one audio file per track, sample-aligned with --audio")
    generate.add_argument("--piano-roll", metavar="OUT.png")
    generate.add_argument("--spectrogram", metavar="OUT.png",
                          help="a log-frequency spectrogram of the FluidSynth render (vibraphone: nearly pure tones)")
    audio_options(generate)  # --tail, --loudness, --true-peak
    generate.add_argument("--json", action="store_true", help="print one JSON object with what was done")
    generate.add_argument("--live", metavar="PORT",
                          help="then stream it in real time to a MIDI port (see `composer play`), for a DAW to record")
    generate.set_defaults(run=cmd_generate)

    extend = sub.add_parser("continue", help="append bars to your MIDI file, keeping its tracks, key, tempo and meter")
    extend.add_argument("input", metavar="IN.mid")
    extend.add_argument("prompt", nargs="?", default=None, metavar="PROMPT")
    extend.add_argument("--bars", type=bounded(int, 1, MAX_BARS), default=8, metavar="N")
    _extension_options(extend)
    extend.set_defaults(run=cmd_continue)

    infill = sub.add_parser("infill", help="regenerate bars of your MIDI file (all tracks or some), keeping the rest")
    infill.add_argument("input", metavar="IN.mid")
    infill.add_argument("prompt", nargs="?", default=None, metavar="PROMPT")
    infill.add_argument("--bars", required=True, metavar="A-B", help="the bars to regenerate, e.g. 5-8 (from 1)")
    infill.add_argument("--tracks", metavar="NAMES", help='only these tracks, by name: "Piano,Strings"')
    _extension_options(infill)
    infill.set_defaults(run=cmd_infill)

    adding = sub.add_parser("add-part", help="write one new part into your MIDI file (a bass for your piano and "
                                             "drums), in its role, over the file's harmony; your notes kept")
    adding.add_argument("input", metavar="IN.mid")
    adding.add_argument("prompt", nargs="?", default=None, metavar="PROMPT")
    adding.add_argument("--instrument", required=True, metavar="NAME", help='e.g. "fretless bass", cello, 33')
    adding.add_argument("--role", default=None, help="melody, counter, bass, comp, pad, arp or doubling "
                                                     "(default: the ensemble's choice)")
    adding.add_argument("--bars", default=None, metavar="A-B", help="only these bars (default: all)")
    _extension_options(adding)
    adding.set_defaults(run=cmd_add_part)

    explain = sub.add_parser("explain", help="what a prompt (and options) resolve to, and where each value comes from")
    explain.add_argument("prompt", nargs="?", default=None, metavar="PROMPT")
    explain.add_argument("--image", metavar="PATH")
    explain.add_argument("--image-encoder", metavar="DIR")
    explain.add_argument("--key")
    explain.add_argument("--tempo", type=bounded(float, 20, 400), metavar="BPM")
    explain.add_argument("--meter", metavar="N/D")
    explain.add_argument("--bars", type=bounded(int, 1, MAX_BARS), metavar="N")
    explain.add_argument("--instruments", metavar="LIST")
    explain.add_argument("--roles", metavar="LIST", help="e.g. piano=comp,cello=bass")
    explain.add_argument("--chords", metavar="CHORDS")
    explain.add_argument("--seed", type=bounded(int, 0, SEED_MAX), default=None,
                         help="the seed whose chord plan to show (generate's --seed)")
    explain.add_argument("--loop", action="store_true", help="the chord plan of a seamless loop")
    explain.add_argument("--json", action="store_true")
    explain.set_defaults(run=cmd_explain)

    demo = sub.add_parser("demo", help="write and render a demo piece into a folder")
    demo.add_argument("--out-dir", default="out", metavar="DIR")
    demo.add_argument("--soundfont", metavar="SF2")
    demo.set_defaults(run=cmd_demo)

    sub.add_parser("train", help="train the model (`composer train --help`), or ship it (`composer train export`)")
    for module in COMMAND_MODULES:  # each adds its subcommands through register(sub)
        importlib.import_module(module).register(sub)
    return parser


# Subcommands that live in their own modules; each module imports nothing heavy at the top.
COMMAND_MODULES: tuple[str, ...] = ("composer.faces.commands_data", "composer.faces.serve.command",
                                     "composer.faces.commands_eval", "composer.faces.commands_live",
                                     "composer.faces.commands_game")


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["train"]:  # the training script owns its options (it also runs under torchrun)
        from composer.train.trainer import main as train_main

        return train_main(argv[1:])
    try:
        args = build_parser().parse_args(argv)
    except UsageError as exc:
        print(exc, file=sys.stderr)
        return EXIT_USER_ERROR
    warnings.showwarning = _one_line_warning
    INTERRUPTED.clear()
    previous_int = signal.signal(signal.SIGINT, _interrupted) if threading.current_thread() is threading.main_thread() \
        else None
    previous = signal.signal(signal.SIGTERM, _terminated) if threading.current_thread() is threading.main_thread() \
        else None
    try:
        return int(args.run(args))
    except ComposerError as exc:
        print(f"composer: error: {exc}", file=sys.stderr)
        return EXIT_USER_ERROR
    except KeyboardInterrupt:
        print("composer: interrupted", file=sys.stderr)
        return 130
    except Terminated:
        print("composer: terminated; nothing was written", file=sys.stderr)
        return 143
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
        if previous_int is not None:
            signal.signal(signal.SIGINT, previous_int)


def _one_line_warning(message: Warning | str, category: type[Warning], filename: str, lineno: int,
                      file: object = None, line: str | None = None) -> None:
    """A warning (a repaired MIDI event, say) as one line: `composer: warning: ...`."""
    print(f"composer: warning: {message}", file=sys.stderr)


class Terminated(BaseException):
    """SIGTERM, raised where the process is so that every temporary file is cleaned up on the way out."""


def _terminated(signum: int, frame: object) -> None:
    INTERRUPTED.set()
    raise Terminated


def _interrupted(signum: int, frame: object) -> None:
    INTERRUPTED.set()  # remembered even if a library swallows the KeyboardInterrupt
    raise KeyboardInterrupt


if __name__ == "__main__":
    raise SystemExit(main())
