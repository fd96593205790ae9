"""Output paths checked before any work: formats, folders, names and permissions, and never a user's input
replaced by accident (an output that is an input needs --in-place).

Every command that writes calls check_outputs() before it loads a model or reads much; what it writes then
goes through composer.core.atomic.all_or_nothing, so a failed or interrupted run leaves none of its outputs.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from composer.core.atomic import sweep_stale_parts
from composer.core.errors import ComposerError

SUFFIXES: dict[str, tuple[str, ...]] = {
    "midi": (".mid", ".midi"),
    "audio": (".wav", ".flac", ".ogg"),
    "musicxml": (".musicxml", ".xml", ".mxl"),
    "png": (".png",),
    "json": (".json",),
}
KIND_NAMES = {"midi": "MIDI", "audio": "audio", "musicxml": "MusicXML", "png": "a PNG picture", "json": "JSON"}
NAME_MAX = 255  # bytes in one file name on the usual file systems (ext4, APFS, NTFS)


@dataclass(frozen=True)
class Output:
    """One file a command will write: its path, its kind (a key of SUFFIXES) and the option that named it."""

    path: Path
    kind: str
    option: str


def sidecar_of(audio: str | os.PathLike[str]) -> Path:
    """The JSON sidecar beside an audio file: song.wav -> song.wav.json (one per audio file)."""
    target = Path(audio)
    return target.with_name(target.name + ".json")


def _same_file(a: Path, b: Path) -> bool:
    try:
        if a.exists() and b.exists():
            return os.path.samefile(a, b)
    except OSError:
        pass
    return a.resolve() == b.resolve()


def _check_folder(folder: Path, shown: str) -> None:
    if not folder.exists():
        raise ComposerError(f"folder {folder} does not exist (for {shown}); create it first")
    if not folder.is_dir():
        raise ComposerError(f"{folder} is not a folder (for {shown})")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise ComposerError(f"cannot write into {folder} (permission denied)")


def _check_one(output: Output) -> None:
    path, shown = output.path, f"{output.option} {output.path}"
    suffixes = SUFFIXES[output.kind]
    if path.suffix.lower() not in suffixes:
        listed = ", ".join(suffixes[:-1]) + " or " + suffixes[-1] if len(suffixes) > 1 else suffixes[0]
        raise ComposerError(f"{shown}: cannot write {KIND_NAMES[output.kind]} as '{path.suffix or path.name}'; "
                            f"use {listed}")
    if len(path.name.encode("utf-8")) > NAME_MAX:
        raise ComposerError(f"{output.option}: the file name is {len(path.name.encode('utf-8'))} bytes long; "
                            f"at most {NAME_MAX}")
    if path.is_dir():
        raise ComposerError(f"{shown} is a folder; give a file name")
    if path.exists() and not os.access(path, os.W_OK):
        raise ComposerError(f"cannot replace {path} (permission denied)")
    _check_folder(path.parent, shown)


def check_outputs(outputs: Iterable[Output], inputs: Sequence[str | os.PathLike[str] | None] = (), *,
                  folders: Sequence[tuple[str | os.PathLike[str], str]] = (), in_place: bool | None = None) -> None:
    """Refuse, in one line, an output with the wrong suffix, an overlong name, a missing or unwritable
    folder, a folder given as a file, an output named twice, or an output that is one of the `inputs`
    (allowed for the main output -o with `in_place`; None: the command has no --in-place). `folders` are
    output folders (stems) that may be made: their parent must exist. Then remove stale temporary files of
    killed runs from every output folder."""
    outputs = list(outputs)
    for output in outputs:
        _check_one(output)
    for folder, option in folders:
        target = Path(folder)
        if target.exists() and not target.is_dir():
            raise ComposerError(f"{option} {target} is a file, not a folder")
        _check_folder(target if target.exists() else target.parent, f"{option} {target}")
    for index, output in enumerate(outputs):
        for other in outputs[index + 1:]:
            if _same_file(output.path, other.path):
                raise ComposerError(f"{output.option} and {other.option} both name {output.path}; give each its own")
    given = [Path(p) for p in inputs if p is not None]
    for output in outputs:
        for source in given:
            if _same_file(output.path, source) and not (in_place and output.option == "-o"):
                hint = " (or --in-place to replace it)" if output.option == "-o" and in_place is False else ""
                raise ComposerError(f"{output.option} {output.path} is also an input; write to a new name{hint}")
    for folder in {o.path.parent.resolve() for o in outputs} | {Path(f).resolve() for f, _ in folders}:
        sweep_stale_parts(folder)


def piece_outputs(args: object) -> list[Output]:
    """The files a one-piece command's options name (-o, --audio and its sidecar, --musicxml, --piano-roll,
    --spectrogram)."""
    found = []
    for option, attribute, kind in (("-o", "output", "midi"), ("--audio", "audio", "audio"),
                                    ("--musicxml", "musicxml", "musicxml"), ("--piano-roll", "piano_roll", "png"),
                                    ("--spectrogram", "spectrogram", "png")):
        value = getattr(args, attribute, None)
        if value:
            found.append(Output(Path(value), kind, option))
    if getattr(args, "audio", None):
        found.append(Output(sidecar_of(args.audio), "json", "--audio's sidecar"))  # type: ignore[attr-defined]
    return found


def layer_outputs(names: list[str], midi: str | Path,
                  audio: str | Path | None = None) -> list[Output]:
    """The files `generate --layers` writes: each layer's MIDI and, with --audio, its mix and sidecar."""
    from composer.arrange.layers import layer_path

    found = []
    for name in names:
        found.append(Output(layer_path(midi, name), "midi", "-o"))
        if audio is not None:
            mix = layer_path(audio, name)
            found += [Output(mix, "audio", "--audio"), Output(sidecar_of(mix), "json", "--audio's sidecar")]
    return found


def stems_folders(args: object) -> list[tuple[str, str]]:
    stems = getattr(args, "stems", None)
    return [(stems, "--stems")] if stems else []
