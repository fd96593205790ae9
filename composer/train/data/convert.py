"""Turns one source file into pieces (Scores as MIDI bytes plus what the source says about them), in a worker."""

from __future__ import annotations

import base64
import contextlib
import os
import warnings
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from composer.core.errors import ComposerError
from composer.core.score import Score
from composer.output.midi_io import from_symusic, midi_bytes, read_midi
from composer.train.data.sources import SourceFile, abc_headers, split_abc_tunes

PIPELINE_VERSION = "1"  # recorded in report.json
# Bump a kind's version when its conversion changes: the cache then redoes only files of that kind.
CONVERTER_VERSION = {"abc": "1", "music21": "2", "midi": "1"}


@dataclass
class PieceRecord:
    """One piece of music as converted: identity, hints from the source, and the score as MIDI bytes."""

    piece_id: str
    collection: str
    title: str
    rhythm: str  # the abc R: field ("reel", "jig", ...) or ""
    has_tempo: bool  # the source gave a tempo; otherwise attributes use a documented default
    midi_b64: str

    def score(self) -> Score:
        return read_midi(base64.b64decode(self.midi_b64))


@dataclass
class ConvertResult:
    """What one source file gave: its pieces, and every piece it could not give with the reason."""

    source: str
    collection: str
    pieces: list[PieceRecord] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {"source": self.source, "collection": self.collection,
                "pieces": [asdict(p) for p in self.pieces], "skipped": self.skipped}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ConvertResult:
        return cls(data["source"], data["collection"], [PieceRecord(**p) for p in data["pieces"]],
                   [tuple(s) for s in data["skipped"]])  # type: ignore[misc]


@contextlib.contextmanager
def silenced_c_output() -> Any:
    """abc2midi (inside symusic) prints warnings from C straight to file descriptors 1 and 2."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    saved = os.dup(1), os.dup(2)
    try:
        os.dup2(devnull, 1)
        os.dup2(devnull, 2)
        yield
    finally:
        os.dup2(saved[0], 1)
        os.dup2(saved[1], 2)
        os.close(devnull)
        os.close(saved[0])
        os.close(saved[1])


def _record(piece_id: str, collection: str, title: str, rhythm: str, has_tempo: bool, score: Score) -> PieceRecord:
    score.tracks = [t for t in score.tracks if t.notes]
    return PieceRecord(piece_id, collection, title.strip(), rhythm.strip().lower(), has_tempo,
                       base64.b64encode(midi_bytes(score)).decode())


def _accept(result: ConvertResult, piece_id: str, score: Score, title: str, rhythm: str, has_tempo: bool) -> None:
    """Keep a converted piece, or report it as skipped when it has no notes."""
    if score.note_count == 0:
        result.skipped.append((piece_id, "no notes"))
    else:
        result.pieces.append(_record(piece_id, result.collection, title, rhythm, has_tempo, score))


def convert_abc(source: SourceFile, result: ConvertResult) -> None:
    """Each tune through abc2midi (symusic's embedded copy), which music21's MIDI writer cannot always do."""
    import symusic

    text = source.path.read_text(encoding="latin-1")
    for tune, number in split_abc_tunes(text):
        piece_id = f"{source.collection}/{source.path.stem}#{number}"
        headers = abc_headers(tune)
        try:
            with silenced_c_output():
                parsed = symusic.Score.from_abc(tune)
            score = from_symusic(parsed)
        except Exception as exc:
            result.skipped.append((piece_id, f"abc2midi failed: {str(exc)[:120]}"))
            continue
        _accept(result, piece_id, score, headers.get("T", ""), headers.get("R", ""), "Q" in headers)


def convert_music21(source: SourceFile, result: ConvertResult) -> None:
    """A Humdrum or MusicXML file (or an Opus of several) through music21."""
    from music21 import converter, stream, tempo

    from composer.output.musicxml_io import score_from_music21

    base_id = f"{source.collection}/{source.path.name}"
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            parsed = converter.parse(source.path, storePickle=False)  # no cache pickles: each file is read once
    except Exception as exc:
        result.skipped.append((base_id, f"music21 could not parse: {type(exc).__name__}: {str(exc)[:100]}"))
        return
    scores = list(parsed.scores) if isinstance(parsed, stream.Opus) else [parsed]
    for index, item in enumerate(scores):
        piece_id = base_id if len(scores) == 1 else f"{base_id}#{index + 1}"
        try:
            score = score_from_music21(item)
        except Exception as exc:
            result.skipped.append((piece_id, f"conversion failed: {type(exc).__name__}: {str(exc)[:100]}"))
            continue
        has_tempo = bool(item.recurse().getElementsByClass(tempo.MetronomeMark))
        title = str(getattr(item.metadata, "title", "") or "") if item.metadata else ""
        _accept(result, piece_id, score, title or source.path.stem, "", has_tempo)


def convert_midi(source: SourceFile, result: ConvertResult) -> None:
    try:
        score = read_midi(source.path)
    except ComposerError as exc:
        result.skipped.append((str(source.path), str(exc)))
        return
    if score.note_count == 0:
        result.skipped.append((str(source.path), "no notes"))
        return
    result.pieces.append(_record(f"user/{source.path.name}", "user", source.path.stem, "",
                                 len(score.tempos) > 0, score))


def convert_source(source: SourceFile) -> ConvertResult:
    """Convert one file; never raises, so one bad file cannot stop a build."""
    result = ConvertResult(str(source.path), source.collection)
    try:
        {"abc": convert_abc, "music21": convert_music21, "midi": convert_midi}[source.kind](source, result)
    except Exception as exc:
        result.skipped.append((str(Path(source.path).name), f"unexpected {type(exc).__name__}: {str(exc)[:100]}"))
    return result
