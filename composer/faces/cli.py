"""The `composer` command: parse arguments, call one library function, print the result."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from pathlib import Path

from composer.core.errors import ComposerError, EmptyScoreError
from composer.core.version import __version__
from composer.faces.outputs import output_options, write_piece
from composer.faces.progress import progress_bar

EXIT_USER_ERROR = 2


def _render_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--soundfont", metavar="SF2", help="soundfont to use (default: see `composer soundfonts`)")
    parser.add_argument("--sample-rate", type=int, default=44100, choices=(44100, 48000))
    parser.add_argument("--peak-db", type=float, default=-1.0, metavar="DBFS",
                        help="normalise the loudest sample to this level (default -1 dBFS)")
    parser.add_argument("--no-reverb", action="store_true", help="switch FluidSynth's reverb off")
    parser.add_argument("--no-chorus", action="store_true", help="switch FluidSynth's chorus off")


def _render_config(args: argparse.Namespace):  # type: ignore[no-untyped-def]
    from composer.output.render import RenderConfig

    return RenderConfig(sample_rate=args.sample_rate, peak_dbfs=args.peak_db, reverb=not args.no_reverb,
                        chorus=not args.no_chorus)


def cmd_render(args: argparse.Namespace) -> int:
    from composer.output.midi_io import read_midi
    from composer.output.render import render_to_files

    if not args.output and not args.stems:
        raise ComposerError("nothing to write: give -o OUT.wav|.flac|.ogg and/or --stems DIR")
    score = read_midi(args.input)
    if score.note_count == 0:
        raise EmptyScoreError(f"{args.input} has no notes to render")
    with progress_bar(f"Rendering {Path(args.input).name}") as update:
        written = render_to_files(score, args.output, stems_dir=args.stems, config=_render_config(args),
                                  soundfont=args.soundfont, on_progress=update, sidecar=not args.no_sidecar,
                                  midi=args.input)
    for path in written:
        print(path)
    if written.sidecar:
        print(written.sidecar)
    return 0


def cmd_soundfonts(args: argparse.Namespace) -> int:
    from composer.output.soundfonts import find_soundfonts

    candidates = find_soundfonts(args.soundfont)
    if not candidates:
        print("no soundfont found; see soundfonts/README.md")
        return 1
    for index, candidate in enumerate(candidates):
        mark = "*" if index == 0 else " "
        print(f"{mark} {candidate.path}  ({candidate.source}, {candidate.size_mb:.1f} MB)")
    print("* = used by default")
    return 0


def cmd_convert(args: argparse.Namespace) -> int:
    from composer.output.midi_io import read_midi, write_midi
    from composer.output.musicxml_io import write_musicxml
    from composer.output.pianoroll import save_piano_roll

    if not (args.output or args.musicxml or args.piano_roll):
        raise ComposerError("nothing to write: give -o OUT.mid, --musicxml OUT.musicxml or --piano-roll OUT.png")
    score = read_midi(args.input)
    if score.note_count == 0:
        raise EmptyScoreError(f"{args.input} has no notes to convert")
    written = []
    if args.output:
        written.append(write_midi(score, args.output))
    if args.musicxml:
        written.append(write_musicxml(score, args.musicxml))
    if args.piano_roll:
        written.append(save_piano_roll(score, args.piano_roll))
    for path in written:
        print(path)
    return 0


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
    instruments = parse_instruments(args.instruments) if args.instruments else None
    options = dict(image=args.image, image_encoder=args.image_encoder, key=args.key, tempo=args.tempo,
                   meter=args.meter, bars=args.bars, instruments=instruments, chords=args.chords, seed=args.seed,
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
    piece = compose(args.prompt, form=args.form, **options)  # type: ignore[arg-type]
    if piece.score.note_count == 0:
        raise EmptyScoreError("the model produced no notes; try another --seed")
    return write_piece(piece, args, started)


def _generate_layers(args: argparse.Namespace, options: dict, started: float) -> int:  # type: ignore[type-arg]
    """generate --layers: one MIDI file (and mix, with --audio) per layer, the stems shared."""
    import json
    import time

    from composer.arrange.layers import compose_layers, parse_layers, write_layers

    if args.form or args.musicxml or args.piano_roll:
        raise ComposerError("--layers writes MIDI, --audio and --stems; leave out --form, --musicxml and --piano-roll")
    if args.live:
        raise ComposerError("--live plays one piece; stream a layer's file with `composer play FILE.mid --port NAME`")
    parse_layers(args.layers)
    pieces = compose_layers(args.layers, args.prompt, **options)
    with progress_bar("Rendering layers") as update:
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
    piece = continue_midi(args.input, args.bars, args.prompt, seed=args.seed, temperature=args.temperature,
                          top_p=args.top_p, guidance=args.guidance, checkpoint=args.checkpoint)
    return write_piece(piece, args, started)


def cmd_infill(args: argparse.Namespace) -> int:
    import time

    from composer.arrange.infill import infill_midi

    started = time.perf_counter()
    piece = infill_midi(args.input, args.bars, args.tracks, args.prompt, seed=args.seed,
                        temperature=args.temperature, top_p=args.top_p, guidance=args.guidance,
                        checkpoint=args.checkpoint)
    return write_piece(piece, args, started)


def cmd_explain(args: argparse.Namespace) -> int:
    import json

    from composer.ask.text import describe_programs
    from composer.core.instruments import parse_instruments
    from composer.plan.request import describe

    instruments = parse_instruments(args.instruments) if args.instruments else None
    request = describe(args.prompt, image=args.image, image_encoder=args.image_encoder, key=args.key,
                       tempo=args.tempo, meter=args.meter,
                       bars=args.bars, instruments=instruments, chords=args.chords)
    if args.json:
        print(json.dumps(request.as_json()))
        return 0
    for name, value in request.values.items():
        shown = value.value
        if name in ("instruments", "excluded"):
            shown = ", ".join(describe_programs(value.value))
        detail = f"  ({value.detail})" if value.detail else ""
        print(f"{name:15s} {shown!s:32s} {value.source}{detail}")
    if request.caption:
        print(f"{'condition':15s} embedding of {request.caption!r}")
    return 0


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
    from composer.train.data.shards import build_shards

    with progress_bar("Tokenizing versions") as update:
        meta = build_shards(Path(args.data), Path(args.out), jobs=args.jobs, on_progress=update,
                            embed=None if args.no_embeddings else embed_texts)
    print(meta)
    return 0


def _extension_options(parser: argparse.ArgumentParser) -> None:
    """Outputs and sampling options of the commands that work on the user's MIDI (continue, infill)."""
    output_options(parser)
    parser.add_argument("--temperature", type=float, default=1.0)
    parser.add_argument("--top-p", type=float, default=0.95, metavar="P")
    parser.add_argument("--guidance", type=float, default=1.0)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="composer", description="Symbolic music composition: MIDI in, MIDI and audio out.")
    parser.add_argument("--version", action="version", version=f"composer {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    render = sub.add_parser("render", help="render a MIDI file to .wav, .flac or .ogg with FluidSynth")
    render.add_argument("input", metavar="IN.mid")
    render.add_argument("-o", "--output", metavar="OUT.wav", help="the mixed audio file (.wav, .flac or .ogg)")
    render.add_argument("--stems", metavar="DIR", help="also write one audio file per track into DIR")
    render.add_argument("--no-sidecar", action="store_true", help="skip the JSON sidecar (bars, beats, loop)")
    _render_options(render)
    render.set_defaults(run=cmd_render)

    soundfonts = sub.add_parser("soundfonts", help="list the soundfonts found, in lookup order")
    soundfonts.add_argument("--soundfont", metavar="SF2", help="a soundfont to put first")
    soundfonts.set_defaults(run=cmd_soundfonts)

    convert = sub.add_parser("convert", help="rewrite a MIDI file cleanly, or export MusicXML or a piano roll")
    convert.add_argument("input", metavar="IN.mid")
    convert.add_argument("-o", "--output", metavar="OUT.mid", help="a clean type-1 MIDI file")
    convert.add_argument("--musicxml", metavar="OUT.musicxml", help="MusicXML for notation programs")
    convert.add_argument("--piano-roll", metavar="OUT.png", help="a piano-roll picture")
    convert.set_defaults(run=cmd_convert)

    generate = sub.add_parser("generate", help="compose a piece: MIDI, plus audio, MusicXML or a piano roll")
    generate.add_argument("prompt", nargs="?", default=None, metavar="PROMPT")
    generate.add_argument("--key", help='e.g. "D minor", "Eb major", "F#m"')
    generate.add_argument("--tempo", type=float, metavar="BPM")
    generate.add_argument("--meter", metavar="N/D", help="e.g. 3/4, 6/8")
    generate.add_argument("--bars", type=int, default=None, metavar="N", help="default: from the prompt, else 8")
    generate.add_argument("--image", metavar="PATH", help="a PNG, JPEG or WebP picture to score")
    generate.add_argument("--image-encoder", metavar="DIR", help="a local CLIP or SigLIP model folder (optional)")
    generate.add_argument("--instruments", metavar="LIST", help="e.g. piano,strings,bass")
    generate.add_argument("--chords", metavar="CHORDS", help='one chord a bar: "Am F C G" or "i iv V7 i"')
    generate.add_argument("--seed", type=int, default=None)
    generate.add_argument("--temperature", type=float, default=1.0)
    generate.add_argument("--top-k", type=int, default=0, metavar="K", help="keep the K likeliest tokens (0: all)")
    generate.add_argument("--top-p", type=float, default=0.95, metavar="P", help="nucleus sampling mass")
    generate.add_argument("--no-constraints", action="store_true",
                          help="only the grammar and bar count; options are conditioning alone")
    generate.add_argument("--constraints-off", metavar="LIST",
                          help="switch off some: meter,key,instruments,polyphony,cadence,chords,leaps,targets,coverage")
    generate.add_argument("--chromatic", type=int, default=0, metavar="N",
                          help="off-beat notes allowed outside the key (default 0: strictly in the scale)")
    generate.add_argument("--guidance", type=float, default=1.0, help="classifier-free guidance scale (1: off)")
    generate.add_argument("--form", metavar="SECTIONS",
                          help='sections in order, e.g. "intro A B A outro" or "A:8 B:4 A"; a marker each')
    generate.add_argument("--layers", metavar="NAMES",
                          help="intensity layers, quietest first (low,mid,high): a MIDI file and a mix each")
    generate.add_argument("--loop", action="store_true",
                          help="a seamless loop: the end leads back to the start; loop markers; wrapped audio")
    generate.add_argument("--draw", action="store_true",
                          help="draw the --image in the piano roll: its notes trace the picture (default: piano)")
    generate.add_argument("--draw-strength", type=float, default=None, metavar="S",
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
    generate.add_argument("--json", action="store_true", help="print one JSON object with what was done")
    generate.add_argument("--live", metavar="PORT",
                          help="then stream it in real time to a MIDI port (see `composer play`), for a DAW to record")
    generate.set_defaults(run=cmd_generate)

    extend = sub.add_parser("continue", help="append bars to your MIDI file, keeping its tracks, key, tempo and meter")
    extend.add_argument("input", metavar="IN.mid")
    extend.add_argument("prompt", nargs="?", default=None, metavar="PROMPT")
    extend.add_argument("--bars", type=int, default=8, metavar="N")
    _extension_options(extend)
    extend.set_defaults(run=cmd_continue)

    infill = sub.add_parser("infill", help="regenerate bars of your MIDI file (all tracks or some), keeping the rest")
    infill.add_argument("input", metavar="IN.mid")
    infill.add_argument("prompt", nargs="?", default=None, metavar="PROMPT")
    infill.add_argument("--bars", required=True, metavar="A-B", help="the bars to regenerate, e.g. 5-8 (from 1)")
    infill.add_argument("--tracks", metavar="NAMES", help='only these tracks, by name: "Piano,Strings"')
    _extension_options(infill)
    infill.set_defaults(run=cmd_infill)

    explain = sub.add_parser("explain", help="what a prompt (and options) resolve to, and where each value comes from")
    explain.add_argument("prompt", nargs="?", default=None, metavar="PROMPT")
    explain.add_argument("--image", metavar="PATH")
    explain.add_argument("--image-encoder", metavar="DIR")
    explain.add_argument("--key")
    explain.add_argument("--tempo", type=float, metavar="BPM")
    explain.add_argument("--meter", metavar="N/D")
    explain.add_argument("--bars", type=int, metavar="N")
    explain.add_argument("--instruments", metavar="LIST")
    explain.add_argument("--chords", metavar="CHORDS")
    explain.add_argument("--json", action="store_true")
    explain.set_defaults(run=cmd_explain)

    demo = sub.add_parser("demo", help="write and render a demo piece into a folder")
    demo.add_argument("--out-dir", default="out", metavar="DIR")
    demo.add_argument("--soundfont", metavar="SF2")
    demo.set_defaults(run=cmd_demo)

    data = sub.add_parser("data", help="build the training corpus")
    data_sub = data.add_subparsers(dest="data_command", required=True, metavar="STEP")
    build = data_sub.add_parser("build", help="convert, label and split music21's corpus (and --midi-dir)")
    build.add_argument("--out", default="data", metavar="DIR", help="output folder (default: data/)")
    build.add_argument("--midi-dir", metavar="DIR", help="also add every MIDI file under DIR")
    build.add_argument("--jobs", type=int, default=None, help="worker processes (default: all cores)")
    build.add_argument("--limit", type=int, default=None, metavar="N", help="at most N files per collection")
    build.set_defaults(run=cmd_data_build)
    shards = data_sub.add_parser("shards", help="tokenize the built corpus into training shards")
    shards.add_argument("--data", default="data", metavar="DIR", help="a `data build` folder")
    shards.add_argument("--out", default="data/shards", metavar="DIR")
    shards.add_argument("--jobs", type=int, default=None)
    shards.add_argument("--no-embeddings", action="store_true", help="skip the caption embeddings")
    shards.set_defaults(run=cmd_data_shards)

    sub.add_parser("train", help="train the model (`composer train --help`), or ship it (`composer train export`)")
    for module in COMMAND_MODULES:  # each adds its subcommands through register(sub)
        importlib.import_module(module).register(sub)
    return parser


# Subcommands that live in their own modules; each module imports nothing heavy at the top.
COMMAND_MODULES: tuple[str, ...] = ("composer.faces.serve.command", "composer.faces.commands_eval",
                                     "composer.faces.commands_live", "composer.faces.commands_game")


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["train"]:  # the training script owns its options (it also runs under torchrun)
        from composer.train.trainer import main as train_main

        return train_main(argv[1:])
    args = build_parser().parse_args(argv)
    try:
        return int(args.run(args))
    except ComposerError as exc:
        print(f"composer: error: {exc}", file=sys.stderr)
        return EXIT_USER_ERROR
    except KeyboardInterrupt:
        print("composer: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
