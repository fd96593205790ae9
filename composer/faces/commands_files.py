"""`composer render`, `composer soundfonts` and `composer convert`: the commands on files the user already has."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from composer.core.atomic import all_or_nothing
from composer.core.errors import ComposerError, EmptyScoreError
from composer.faces.numbers import bounded
from composer.faces.outputs import audio_options, audio_outputs, render_level
from composer.faces.paths import Output, check_outputs, sidecar_of, stems_folders
from composer.faces.progress import progress_bar


def register(sub: Any) -> None:
    render = sub.add_parser("render", help="render a MIDI file to .wav, .flac or .ogg with FluidSynth")
    render.add_argument("input", metavar="IN.mid")
    render.add_argument("-o", "--output", metavar="OUT.wav", help="the mixed audio file (.wav, .flac or .ogg)")
    render.add_argument("--stems", metavar="DIR", help="also write one audio file per track into DIR")
    render.add_argument("--no-sidecar", action="store_true", help="skip the JSON sidecar (bars, beats, loop)")
    _render_options(render)
    audio_options(render)  # --tail, --loudness, --true-peak
    render.set_defaults(run=cmd_render)

    soundfonts = sub.add_parser("soundfonts", help="list the soundfonts found, in lookup order")
    soundfonts.add_argument("--soundfont", metavar="SF2", help="a soundfont to put first")
    soundfonts.set_defaults(run=cmd_soundfonts)

    convert = sub.add_parser("convert", help="rewrite a MIDI file cleanly, or export MusicXML or a piano roll")
    convert.add_argument("input", metavar="IN.mid")
    convert.add_argument("-o", "--output", metavar="OUT.mid", help="a clean type-1 MIDI file")
    convert.add_argument("--musicxml", metavar="OUT.musicxml", help="MusicXML for notation programs")
    convert.add_argument("--piano-roll", metavar="OUT.png", help="a piano-roll picture")
    convert.add_argument("--in-place", action="store_true", help="allow -o to be IN.mid itself (replaced atomically)")
    convert.set_defaults(run=cmd_convert)


def _render_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--soundfont", metavar="SF2", help="soundfont to use (default: see `composer soundfonts`)")
    parser.add_argument("--sample-rate", type=int, default=44100, choices=(44100, 48000))
    parser.add_argument("--peak-db", type=bounded(float, -40, 0), default=-1.0, metavar="DBFS",
                        help="normalise the loudest sample to this level (default -1 dBFS)")
    parser.add_argument("--no-reverb", action="store_true", help="switch FluidSynth's reverb off")
    parser.add_argument("--no-chorus", action="store_true", help="switch FluidSynth's chorus off")


def _render_config(args: argparse.Namespace):  # type: ignore[no-untyped-def]
    from composer.output.render import RenderConfig

    return render_level(args, RenderConfig(sample_rate=args.sample_rate, peak_dbfs=args.peak_db,
                                           reverb=not args.no_reverb, chorus=not args.no_chorus))


def cmd_render(args: argparse.Namespace) -> int:
    from composer.output.midi_io import read_midi
    from composer.output.render import render_to_files

    if not args.output and not args.stems:
        raise ComposerError("nothing to write: give -o OUT.wav|.flac|.ogg and/or --stems DIR")
    outputs = [Output(Path(args.output), "audio", "-o")] if args.output else []
    if args.output and not args.no_sidecar:
        outputs.append(Output(sidecar_of(args.output), "json", "-o's sidecar"))
    check_outputs(outputs + audio_outputs(args, renders=True), [args.input],
                  folders=stems_folders(args))
    score = read_midi(args.input)
    if score.note_count == 0:
        raise EmptyScoreError(f"{args.input} has no notes to render")
    with progress_bar(f"Rendering {Path(args.input).name}") as update, all_or_nothing():
        written = render_to_files(score, args.output, stems_dir=args.stems, config=_render_config(args),
                                  soundfont=args.soundfont, on_progress=update, sidecar=not args.no_sidecar,
                                  midi=args.input, tail=args.tail)
    for path in [*written, *([written.tail] if written.tail else []), *([written.sidecar] if written.sidecar else [])]:
        print(path)
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
    named = ((args.output, "midi", "-o"), (args.musicxml, "musicxml", "--musicxml"),
             (args.piano_roll, "png", "--piano-roll"))
    check_outputs([Output(Path(path), kind, option) for path, kind, option in named if path], [args.input],
                  in_place=args.in_place)
    score = read_midi(args.input)
    if score.note_count == 0:
        raise EmptyScoreError(f"{args.input} has no notes to convert")
    written = []
    with all_or_nothing():
        if args.output:
            written.append(write_midi(score, args.output))
        if args.musicxml:
            written.append(write_musicxml(score, args.musicxml))
        if args.piano_roll:
            written.append(save_piano_roll(score, args.piano_roll))
    for path in written:
        print(path)
    return 0
