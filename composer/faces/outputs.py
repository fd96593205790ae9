"""What a command that composes one piece writes: its output options, then the files, paths or --json it prints."""

from __future__ import annotations

import argparse
import os
from collections.abc import Sequence
from pathlib import Path

from composer.core.atomic import all_or_nothing
from composer.core.errors import ComposerError
from composer.faces.numbers import SEED_MAX, bounded
from composer.faces.paths import Output, check_outputs, piece_outputs, stems_folders
from composer.faces.progress import progress_bar


def output_options(parser: argparse.ArgumentParser) -> None:
    """What write_piece writes (MIDI, audio with its sidecar, MusicXML, stems, piano roll, --json), with
    --seed and --checkpoint: the options of every command that composes one piece from a file or sheet."""
    parser.add_argument("-o", "--output", required=True, metavar="OUT.mid")
    parser.add_argument("--audio", metavar="OUT.wav|.flac|.ogg", help="the render, with a JSON sidecar beside it")
    parser.add_argument("--musicxml", metavar="OUT.musicxml")
    parser.add_argument("--stems", metavar="DIR", help="one audio file per track, sample-aligned with --audio")
    parser.add_argument("--piano-roll", metavar="OUT.png")
    parser.add_argument("--seed", type=bounded(int, 0, SEED_MAX), default=None)
    parser.add_argument("--checkpoint", default=None)
    parser.add_argument("--json", action="store_true")
    audio_options(parser)


def audio_options(parser: argparse.ArgumentParser) -> None:
    """--tail, --loudness and --true-peak: what a render writes for a game engine beyond the mix."""
    parser.add_argument("--tail", metavar="TAIL.wav|.flac|.ogg",
                        help="for a loop: what rings on after its end, as its own file (named in the sidecar)")
    parser.add_argument("--loudness", type=bounded(float, -40, -5), default=None, metavar="LUFS",
                        help="normalise to this integrated loudness (e.g. -16) instead of the peak level")
    parser.add_argument("--true-peak", type=bounded(float, -20, 0), default=None, metavar="DBTP",
                        help="with --loudness: the 4x-oversampled peak ceiling, limited to (default -1 dBTP)")


def audio_outputs(args: argparse.Namespace, renders: bool) -> list[Output]:
    """--tail's file, checked like every output; --tail and --loudness need a render (`renders`)."""
    tail, loudness = getattr(args, "tail", None), getattr(args, "loudness", None)
    if getattr(args, "true_peak", None) is not None and loudness is None:
        raise ComposerError("--true-peak is the ceiling of --loudness; give --loudness LUFS too")
    if (tail or loudness is not None) and not renders:
        raise ComposerError(f"{'--tail' if tail else '--loudness'} works on the render; give --audio (or --stems)")
    if tail and getattr(args, "loop", None) is False:
        raise ComposerError("--tail is what rings on after a loop's end; add --loop")
    return [Output(Path(tail), "audio", "--tail")] if tail else []


def render_level(args: argparse.Namespace, config):  # type: ignore[no-untyped-def]
    """The RenderConfig with --loudness and --true-peak applied (a RenderConfig is frozen: a new one)."""
    import dataclasses

    ceiling = getattr(args, "true_peak", None)
    return dataclasses.replace(config, loudness_lufs=getattr(args, "loudness", None),
                               true_peak_dbtp=-1.0 if ceiling is None else ceiling)


def check_piece_outputs(args: argparse.Namespace, inputs: Sequence[str | os.PathLike[str] | None] = ()) -> None:
    """Check every file write_piece will write before any work (composer.faces.paths.check_outputs)."""
    renders = bool(getattr(args, "audio", None) or getattr(args, "stems", None))
    check_outputs(piece_outputs(args) + audio_outputs(args, renders), inputs, folders=stems_folders(args),
                  in_place=getattr(args, "in_place", None))


def write_piece(piece, args: argparse.Namespace, started: float) -> int:  # type: ignore[no-untyped-def]
    """Write what the command's options ask for (MIDI, MusicXML, piano roll, audio, stems) and print the
    paths, or with --json one object: attributes and their sources, outputs, tokens, attempts, seconds."""
    import json
    import time

    with all_or_nothing():  # every file lands, or none does (a failure or Ctrl+C midway)
        midi = str(piece.save_midi(args.output))
        outputs: dict[str, str | list[str]] = {"midi": midi}
        if args.musicxml:
            outputs["musicxml"] = str(piece.save_musicxml(args.musicxml))
        if args.piano_roll:
            outputs["piano_roll"] = str(piece.piano_roll_png(args.piano_roll))
        if getattr(args, "spectrogram", None):  # generate only
            from composer.output.spectrogram import save_spectrogram

            outputs["spectrogram"] = str(save_spectrogram(piece.score, args.spectrogram))
        if args.audio or args.stems:
            with progress_bar("Rendering") as update:
                from composer.output.render import RenderConfig, render_to_files

                config = render_level(args, RenderConfig())
                written = render_to_files(piece.score, args.audio, stems_dir=args.stems, on_progress=update,
                                          midi=midi, config=config, tail=getattr(args, "tail", None))
            if args.audio:
                outputs["audio"] = str(written[0])
            if args.stems:
                outputs["stems"] = [str(p) for p in written[1 if args.audio else 0:]]
            if written.tail:
                outputs["tail"] = str(written.tail)  # what rings on after the loop's end
            if written.sidecar:
                outputs["sidecar"] = str(written.sidecar)  # bars, beats, loop and sections in seconds and samples
    if args.json:
        print(json.dumps({"attributes": piece.attributes, "outputs": outputs, "tokens": piece.token_count,
                          "attempts": piece.attempts,
                          "seconds": {**{k: round(v, 3) for k, v in piece.seconds.items()},
                                      "total": round(time.perf_counter() - started, 3)}}))
    else:
        for path in outputs.values():
            print("\n".join(path) if isinstance(path, list) else path)
    if getattr(args, "live", None):  # generate --live PORT: stream the piece now the files are written
        from composer.faces.commands_live import stream

        stream(piece.score, args.live)
    return 0
