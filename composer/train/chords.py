"""The chord model's corpus and training: Roman-numeral sequences from music21's analyses, chorales and folk tunes.

Three sources, each read to chord changes in one key, labelled (style, mode):
  rntxt     the 68 Roman-numeral analyses (48 Monteverdi madrigals: "renaissance", 20 Bach chorales: "chorale"),
            each numeral read in its own local key, a new sequence at every key change;
  chorales  the Bach chorales chordified, one chord per beat in the key music21 finds for the piece;
  folk      Essen folk songs (one in FOLK_ONE_IN), one diatonic triad a bar that covers most of the bar's notes.
A piece is held out by a stable hash of its name (an analysis and the chorale it analyses share one name),
the model is counted on the rest, and its held-out perplexity is set beside a bigram and a unigram.

    report = build_chord_model(cache=Path("data/chord_cache"))   # about 3 minutes on 2 cores, then cached
    report.model       # the JSON record of composer/checkpoints/chords.json
    report.results     # sources, skips and the perplexity table
"""

from __future__ import annotations

import hashlib
import json
import math
import multiprocessing
import os
import re
import sys
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from composer.core.atomic import write_bytes_atomic
from composer.core.harmony import QUALITIES, numeral_of
from composer.core.version import __version__
from composer.plan.chord_model import VOCABULARY, ChordModel

EXTRACT_VERSION = 2  # bump when the reading of a source changes: the cache is keyed by it
FOLK_ONE_IN = 16  # the Essen collection has about 8,500 tunes; every 16th (by hash) gives about 500
HELD_OUT_ONE_IN = 5  # a fifth of the pieces, by hash, are held out
# the pitch-class sets a chord may be read as, likeliest reading first (C E G A is Am7 before C6)
QUALITY_PREFERENCE = ("maj", "min", "dom7", "min7", "dim", "hdim7", "dim7", "maj7", "aug", "sus4", "dom9",
                      "min9", "maj9", "sus2", "maj6", "min6")
# a folk tune's bar chords: (semitones above the tonic, quality), the tie-break order first
FOLK_TRIADS = {
    "major": ((0, "maj"), (7, "maj"), (5, "maj"), (9, "min"), (2, "min")),  # I V IV vi ii
    "minor": ((0, "min"), (7, "maj"), (5, "min"), (8, "maj"), (3, "maj"), (10, "maj"), (7, "min")),  # i V iv bVI..v
}
Progress = Callable[[int, int], None]


@dataclass
class PieceChords:
    """What one piece gave: its chord sequences, or why it gave none, and the chords it could not read."""

    piece: str  # a stable name: the split hashes it ("bach/bwv269", "essenFolksong/kinder0#12")
    source: str  # "rntxt", "chorales" or "folk"
    style: str  # "chorale", "renaissance" or "folk"
    sequences: list[tuple[str, list[str]]] = field(default_factory=list)  # (mode, chord changes) per key region
    skipped: str = ""  # why the piece gave no sequence ("" when it gave some)
    chords_read: int = 0  # numerals, beats or bars looked at
    chords_unread: dict[str, int] = field(default_factory=dict)  # why a numeral, beat or bar gave no chord


def quality_of(pitch_classes: set[int], bass: int | None = None) -> tuple[int, str] | None:
    """(root, quality) of a pitch-class set that is exactly one of QUALITIES' chords, else None; the likeliest
    quality wins (QUALITY_PREFERENCE), then a root in the bass."""
    readings = []
    for root in pitch_classes:
        intervals = frozenset((pc - root) % 12 for pc in pitch_classes)
        for rank, quality in enumerate(QUALITY_PREFERENCE):
            if intervals == frozenset(QUALITIES[quality]):
                readings.append((rank, root != bass, root, quality))
    return min(readings)[2:] if readings else None


def _changes(chords: Iterable[str]) -> list[str]:
    collapsed: list[str] = []
    for chord in chords:
        if not collapsed or collapsed[-1] != chord:
            collapsed.append(chord)
    return collapsed


def _mode(key: Any) -> str | None:
    return key.mode if key is not None and key.mode in ("major", "minor") else None


def read_rntxt(path: str, name: str, style: str) -> PieceChords:
    """An analysis: each numeral's own pitches (the whole chord where it omits a tone) and local key, a new
    sequence at each change of key."""
    from music21 import converter, roman

    piece = PieceChords(name, "rntxt", style)
    regions: list[tuple[tuple[int, str], list[str]]] = []
    unread: Counter[str] = Counter()
    for numeral in converter.parse(path, format="romanText").recurse().getElementsByClass(roman.RomanNumeral):
        piece.chords_read += 1
        mode = _mode(numeral.key)
        if mode is None:
            unread["no major or minor local key"] += 1
            continue
        reading = quality_of({p.pitchClass for p in numeral.pitches}, numeral.root().pitchClass)
        if reading is None and "[no" in numeral.figure:  # "V[no3]": the analyst names the chord, read it whole
            whole = roman.RomanNumeral(re.sub(r"\[no\d+\]", "", numeral.figure), numeral.key)
            reading = quality_of({p.pitchClass for p in whole.pitches}, whole.root().pitchClass)
        if reading is None:
            unread[f"no chord quality fits {numeral.figure}"] += 1
            continue
        key = (numeral.key.tonic.pitchClass, mode)
        if not regions or regions[-1][0] != key:
            regions.append((key, []))
        regions[-1][1].append(numeral_of((reading[0] - key[0]) % 12, reading[1]))
    for (_, mode), chords in regions:
        changes = _changes(chords)
        if len(changes) >= 2:
            piece.sequences.append((mode, changes))
        else:
            unread["key region of a single chord"] += len(chords)
    piece.chords_unread = dict(unread)
    if not piece.sequences:
        piece.skipped = "no key region of two chords or more"
    return piece


def read_chorale(name: str) -> PieceChords:
    """A chorale chordified: the chord sounding at each beat, in the piece's key (music21's key finder)."""
    import bisect

    from music21 import corpus

    piece = PieceChords(name, "chorales", "chorale")
    score = corpus.parse(name)
    key = score.analyze("key")
    mode = _mode(key)
    if mode is None:
        piece.skipped = f"key {key} is neither major nor minor"
        return piece
    verticals = score.chordify().flatten().notesAndRests
    starts = [float(v.offset) for v in verticals]
    unread: Counter[str] = Counter()
    chords = []
    for measure in score.parts[0].getElementsByClass("Measure"):
        meter = measure.getContextByClass("TimeSignature")
        beat = float(meter.beatDuration.quarterLength) if meter is not None else 1.0
        time, stop = float(measure.offset), float(measure.offset + measure.duration.quarterLength)
        while time < stop - 1e-9:
            piece.chords_read += 1
            vertical = verticals[max(bisect.bisect_right(starts, time + 1e-9) - 1, 0)]
            time += beat
            pitch_classes = {p.pitchClass for p in getattr(vertical, "pitches", ())}
            if len(pitch_classes) < 3:
                unread["fewer than 3 pitch classes (a rest, unison or open fifth)"] += 1
                continue
            reading = quality_of(pitch_classes, min(vertical.pitches).pitchClass)
            if reading is None:
                unread["pitch classes match no chord quality"] += 1
                continue
            chords.append(numeral_of((reading[0] - key.tonic.pitchClass) % 12, reading[1]))
    return _finished(piece, mode, chords, unread)


def read_folk(tune: str, name: str) -> PieceChords:
    """A folk tune: per bar, the diatonic triad whose tones cover the most of the bar's notes by duration
    (ties go to the earlier of FOLK_TRIADS), in the key music21 finds for the tune."""
    from music21 import converter

    piece = PieceChords(name, "folk", "folk")
    score: Any = converter.parse(tune, format="abc")
    key = score.analyze("key")
    mode = _mode(key)
    if mode is None:
        piece.skipped = f"key {key} is neither major nor minor"
        return piece
    tonic = key.tonic.pitchClass
    unread: Counter[str] = Counter()
    chords = []
    for measure in score.parts[0].getElementsByClass("Measure"):
        piece.chords_read += 1
        weights: dict[int, float] = {}  # semitones above the tonic -> quarter notes sounding in the bar
        for note in measure.recurse().notes:
            for pitch in note.pitches:
                degree = (pitch.pitchClass - tonic) % 12
                weights[degree] = weights.get(degree, 0.0) + float(note.quarterLength)
        if not weights:
            unread["bar without notes"] += 1
            continue
        best = max(FOLK_TRIADS[mode], key=lambda triad: (
            round(sum(weights.get((triad[0] + step) % 12, 0.0) for step in QUALITIES[triad[1]]), 6),
            -FOLK_TRIADS[mode].index(triad)))
        chords.append(numeral_of(*best))
    return _finished(piece, mode, chords, unread)


def _finished(piece: PieceChords, mode: str, chords: list[str], unread: Counter[str]) -> PieceChords:
    """A read piece with its chords as one sequence of changes, or skipped when they hold under two."""
    piece.chords_unread = dict(unread)
    changes = _changes(chords)
    if len(changes) >= 2:
        piece.sequences.append((mode, changes))
    else:
        piece.skipped = "fewer than two chord changes"
    return piece


def _hash(name: str) -> int:
    return int(hashlib.sha1(name.encode()).hexdigest()[:12], 16)


def is_held_out(piece: str) -> bool:
    return _hash(piece) % HELD_OUT_ONE_IN == 0


def corpus_jobs() -> list[tuple[str, tuple[str, ...]]]:
    """Every piece to read, as (source, arguments of its reader)."""
    from music21 import corpus

    from composer.train.data.sources import music21_corpus_root, split_abc_tunes

    chorales = list(corpus.chorales.Iterator(numberingSystem="riemenschneider", returnType="filename"))
    jobs: list[tuple[str, tuple[str, ...]]] = []
    for path in sorted(corpus.getPaths(fileExtensions=("rntxt",))):
        stem = Path(path).stem
        if stem.startswith("riemenschneider"):  # named as the chorale it analyses, so both share a split
            jobs.append(("rntxt", (str(path), chorales[int(stem.removeprefix("riemenschneider")) - 1], "chorale")))
        else:
            jobs.append(("rntxt", (str(path), f"{Path(path).parent.name}/{stem}", "renaissance")))
    jobs += [("chorales", (name,)) for name in chorales]
    for path in sorted((music21_corpus_root() / "essenFolksong").glob("*.abc")):
        for tune, number in split_abc_tunes(path.read_text(encoding="latin-1")):
            name = f"essenFolksong/{path.stem}#{number}"
            if _hash(name) % FOLK_ONE_IN == 0:
                jobs.append(("folk", (tune, name)))
    return jobs


def read_piece(job: tuple[str, tuple[str, ...]]) -> dict[str, Any]:
    """Worker: one piece read by its source's reader; a reader's failure is the piece's skip reason."""
    source, arguments = job
    name = arguments[1] if source in ("rntxt", "folk") else arguments[0]
    style = {"rntxt": arguments[-1], "chorales": "chorale", "folk": "folk"}[source]
    try:
        if source == "rntxt":
            piece = read_rntxt(*arguments)
        elif source == "chorales":
            piece = read_chorale(*arguments)
        else:
            piece = read_folk(*arguments)
    except Exception as exc:  # music21 raises many kinds on odd files; each is reported as the skip reason
        piece = PieceChords(name, source, style, skipped=f"{type(exc).__name__}: {str(exc)[:100]}")
    return asdict(piece)


def read_corpus(jobs: int | None = None, cache: Path | None = None,
                on_progress: Progress | None = None) -> tuple[list[PieceChords], bool]:
    """(every piece, read in parallel, or from the cache of an earlier read by the same EXTRACT_VERSION and
    music21; whether it came from the cache)."""
    import music21

    cached = cache / f"pieces-v{EXTRACT_VERSION}-music21-{music21.__version__}.json" if cache else None
    if cached is not None and cached.exists():
        return [PieceChords(**{**r, "sequences": [tuple(s) for s in r["sequences"]]})
                for r in json.loads(cached.read_text())], True
    todo = corpus_jobs()
    rows: list[dict[str, Any]] = []
    with multiprocessing.get_context("spawn").Pool(jobs or os.cpu_count() or 1) as pool:
        for row in pool.imap_unordered(read_piece, todo, chunksize=4):
            rows.append(row)
            if on_progress:
                on_progress(len(rows), len(todo))
    rows.sort(key=lambda r: (r["source"], r["piece"]))
    if cached is not None:
        write_bytes_atomic(cached, json.dumps(rows).encode())
    return [PieceChords(**{**r, "sequences": [tuple(s) for s in r["sequences"]]}) for r in rows], False


def source_counts(pieces: list[PieceChords]) -> dict[str, Any]:
    """Per source: pieces used and skipped (with reasons), sequences, chords, and the chords left unread."""
    counts: dict[str, Any] = {}
    for piece in pieces:
        entry = counts.setdefault(piece.source, {"pieces": 0, "used": 0, "skipped": 0, "skip_reasons": Counter(),
                                                 "sequences": 0, "chords": 0, "chords_read": 0,
                                                 "chords_unread": Counter()})
        entry["pieces"] += 1
        entry["used" if piece.sequences else "skipped"] += 1
        if piece.skipped:
            entry["skip_reasons"][piece.skipped] += 1
        entry["sequences"] += len(piece.sequences)
        entry["chords"] += sum(len(chords) for _, chords in piece.sequences)
        entry["chords_read"] += piece.chords_read
        entry["chords_unread"].update(piece.chords_unread)
    for entry in counts.values():
        entry["skip_reasons"] = dict(entry["skip_reasons"].most_common())
        entry["chords_unread"] = dict(entry["chords_unread"].most_common(12))
    return counts


def _sequences(pieces: Iterable[PieceChords]) -> list[tuple[str, str, list[str]]]:
    return [(piece.style, mode, chords) for piece in pieces for mode, chords in piece.sequences]


def perplexity_table(models: dict[str, ChordModel], held_out: list[tuple[str, str, list[str]]]) -> dict[str, Any]:
    """Each model's held-out perplexity per style and mode, per style, and overall (per predicted token)."""
    groups: dict[str, list[tuple[str, str, list[str]]]] = {"all": held_out}
    for style, mode, chords in held_out:
        groups.setdefault(style, []).append((style, mode, chords))
        groups.setdefault(f"{style}/{mode}", []).append((style, mode, chords))
    table = {}
    for group, items in sorted(groups.items()):
        row: dict[str, Any] = {"sequences": len(items), "tokens": sum(len(c) + 1 for _, _, c in items)}
        for label, model in models.items():
            total = sum(-model.logprob(chords, style, mode) for style, mode, chords in items)
            row[label] = round(math.exp(total / row["tokens"]), 3)
        table[group] = row
    return table


@dataclass
class ChordModelReport:
    model: dict[str, Any]  # the JSON record to ship
    results: dict[str, Any]  # the figures of benchmarks/results/chord_model.json


def build_chord_model(jobs: int | None = None, cache: Path | None = None,
                      on_progress: Progress | None = None) -> ChordModelReport:
    """Read the corpus, count the trigram model on the training pieces, and measure it on the held-out ones."""
    pieces, from_cache = read_corpus(jobs, cache, on_progress)
    train = [p for p in pieces if p.sequences and not is_held_out(p.piece)]
    held = [p for p in pieces if p.sequences and is_held_out(p.piece)]
    model = ChordModel.from_sequences(_sequences(train))
    sources = source_counts(pieces)
    split = {"rule": f"sha1(piece name) % {HELD_OUT_ONE_IN} == 0 is held out; the model counts the rest",
             "train_pieces": len(train), "held_out_pieces": len(held),
             "train_chords": sum(len(c) for _, _, c in _sequences(train)),
             "held_out_chords": sum(len(c) for _, _, c in _sequences(held))}
    models = {"trigram": model, "bigram": model.truncated(2), "unigram": model.truncated(1),
              "trigram_styles_pooled": model.pooled()}
    results = {
        "model": "interpolated Kneser-Ney trigram per (style, mode) (discount 0.75) whose chain ends in the mode's "
                 "pooled Kneser-Ney trigram; bigram and unigram: the same counts and smoothing at order 2 and 1; "
                 "styles pooled: the trigram without the style tables",
        "corpus_read_from_cache": from_cache, "sources": sources, "split": split,
        "vocabulary_size": len(VOCABULARY) + 1,  # the chords and </s>
        "perplexity": perplexity_table(models, _sequences(held)),
    }
    shipped_sources = {source: {k: v for k, v in c.items() if k != "chords_unread"} for source, c in sources.items()}
    record = model.to_json(composer_version=__version__, extract_version=EXTRACT_VERSION, split=split,
                           sources=shipped_sources)
    return ChordModelReport(record, results)


def summary_lines(results: dict[str, Any]) -> list[str]:
    """The sources and the perplexity table as printable lines."""
    lines = []
    for source, c in results["sources"].items():
        reasons = "; ".join(f"{n} {why}" for why, n in c["skip_reasons"].items()) or "none"
        unread = c["chords_read"] - c["chords"]
        lines.append(f"{source:9s} {c['used']:4d} pieces used, {c['skipped']:3d} skipped ({reasons}); "
                     f"{c['sequences']} sequences, {c['chords']} chord changes from {c['chords_read']} "
                     f"numerals/beats/bars ({unread} repeats or unread)")
    lines.append(f"held-out perplexity per predicted chord or </s> ({results['split']['held_out_pieces']} pieces):")
    labels = ("trigram", "bigram", "unigram", "trigram_styles_pooled")
    lines.append(f"  {'':22s} {'tokens':>7s} " + " ".join(f"{label:>10s}" for label in labels[:3])
                 + "  styles pooled")
    for group, row in results["perplexity"].items():
        lines.append(f"  {group:22s} {row['tokens']:7d} " + " ".join(f"{row[label]:10.2f}" for label in labels[:3])
                     + f"  {row[labels[3]]:13.2f}")
    return lines


def print_progress(every: int = 50) -> Progress:
    """A plain counter line on stderr every `every` pieces (for logs, where no progress bar shows)."""
    def show(done: int, total: int) -> None:
        if done % every == 0 or done == total:
            print(f"read {done}/{total} pieces", file=sys.stderr, flush=True)
    return show
