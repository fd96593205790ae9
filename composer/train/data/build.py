"""`composer data build`: convert the corpus in parallel with a cache, label every piece, split, and report."""

from __future__ import annotations

import json
import multiprocessing
import os
import signal
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from composer.core.atomic import write_bytes_atomic
from composer.train.data.attributes import extract_attributes
from composer.train.data.convert import CONVERTER_VERSION, PIPELINE_VERSION, convert_source
from composer.train.data.sources import SourceFile, corpus_sources, midi_sources
from composer.train.data.splits import melody_fingerprint, split_of

Progress = Callable[[int, int], None]


@dataclass
class BuildReport:
    """Counts of what the build saw, converted and skipped, per collection, with every skip's reason."""

    files: Counter[str] = field(default_factory=Counter)
    pieces: Counter[str] = field(default_factory=Counter)
    skipped: Counter[str] = field(default_factory=Counter)
    skip_reasons: Counter[str] = field(default_factory=Counter)
    splits: Counter[str] = field(default_factory=Counter)
    cached_files: int = 0
    skipped_list: list[tuple[str, str]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "pipeline_version": PIPELINE_VERSION,
            "files_seen": sum(self.files.values()),
            "pieces_converted": sum(self.pieces.values()),
            "pieces_skipped": sum(self.skipped.values()),
            "files_from_cache": self.cached_files,
            "by_collection": {c: {"files": self.files[c], "pieces": self.pieces[c], "skipped": self.skipped[c]}
                              for c in sorted(self.files)},
            "skip_reasons": dict(self.skip_reasons.most_common()),
            "splits": dict(self.splits),
        }


def _reason_class(reason: str) -> str:
    return reason.split(":")[0][:60]


FILE_TIMEOUT_SECONDS = 180  # music21 needs minutes for a few huge scores; past this a file is skipped


class _FileTimeout(BaseException):  # not an Exception, so no per-tune handler swallows it
    pass


def _on_alarm(signum: int, frame: Any) -> None:
    raise _FileTimeout


def convert_and_label(source: SourceFile) -> dict[str, Any]:
    """Worker: convert one file and label its pieces; the result is what the cache stores."""
    signal.signal(signal.SIGALRM, _on_alarm)
    signal.alarm(FILE_TIMEOUT_SECONDS)
    try:
        return _convert_and_label(source)
    except _FileTimeout:
        return {"source": str(source.path), "collection": source.collection, "rows": [],
                "skipped": [(source.path.name, f"timed out after {FILE_TIMEOUT_SECONDS} s")]}
    finally:
        signal.alarm(0)


def _convert_and_label(source: SourceFile) -> dict[str, Any]:
    result = convert_source(source)
    rows = []
    for record in result.pieces:
        score = record.score()
        attributes = extract_attributes(score, record.collection, record.rhythm, record.has_tempo)
        fingerprint = melody_fingerprint(score)
        rows.append({
            "piece_id": record.piece_id, "collection": record.collection, "title": record.title,
            "fingerprint": fingerprint, "split": split_of(fingerprint),
            "attributes": attributes.to_json(), "midi_b64": record.midi_b64,
        })
    return {"source": result.source, "collection": result.collection, "rows": rows, "skipped": result.skipped}


def _quiet_worker() -> None:
    """Workers' C libraries (abc2midi) print to stdout; keep the parent's progress bar clean."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)


def build_corpus(out_dir: Path, midi_dir: Path | None = None, jobs: int | None = None,
                 limit_per_collection: int | None = None, on_progress: Progress | None = None) -> BuildReport:
    """Build `out_dir/pieces.jsonl` (one labelled piece a line), `report.json` and `skipped.tsv`."""
    out_dir.mkdir(parents=True, exist_ok=True)
    cache_dir = out_dir / "cache"
    cache_dir.mkdir(exist_ok=True)
    sources, skipped_files = corpus_sources(limit_per_collection)
    if midi_dir is not None:
        sources += midi_sources(midi_dir)
    report = BuildReport()
    for path, reason in skipped_files:
        report.skipped_list.append((path, reason))
        report.skip_reasons[_reason_class(reason)] += 1
    results: list[dict[str, Any]] = []
    todo: list[SourceFile] = []
    for source in sources:
        cached = cache_dir / f"{source.cache_key(CONVERTER_VERSION[source.kind])}.json"
        if cached.exists():
            results.append(json.loads(cached.read_text()))
            report.cached_files += 1
        else:
            todo.append(source)
    todo.sort(key=lambda s: -s.path.stat().st_size)  # big files first, so the pool ends together
    done = len(results)
    if on_progress:
        on_progress(done, len(sources))
    if todo:
        with multiprocessing.get_context("spawn").Pool(jobs or os.cpu_count() or 1, initializer=_quiet_worker) as pool:
            by_path = {str(s.path): s for s in todo}
            for result in pool.imap_unordered(convert_and_label, todo, chunksize=1):
                source = by_path[result["source"]]
                key = source.cache_key(CONVERTER_VERSION[source.kind])
                write_bytes_atomic(cache_dir / f"{key}.json", json.dumps(result).encode())
                results.append(result)
                done += 1
                if on_progress:
                    on_progress(done, len(sources))
    seen_fingerprints: dict[str, str] = {}
    lines = []
    for result in sorted(results, key=lambda r: r["source"]):
        collection = result["collection"]
        report.files[collection] += 1
        for piece_id, reason in result["skipped"]:
            report.skipped[collection] += 1
            report.skip_reasons[_reason_class(reason)] += 1
            report.skipped_list.append((piece_id, reason))
        for row in result["rows"]:
            report.pieces[collection] += 1
            report.splits[row["split"]] += 1
            row["duplicate_of"] = seen_fingerprints.setdefault(row["fingerprint"], row["piece_id"])
            lines.append(json.dumps(row))
    write_bytes_atomic(out_dir / "pieces.jsonl", ("\n".join(lines) + "\n").encode())
    write_bytes_atomic(out_dir / "report.json", (json.dumps(report.to_json(), indent=2) + "\n").encode())
    write_bytes_atomic(out_dir / "skipped.tsv",
                       "".join(f"{p}\t{r}\n" for p, r in report.skipped_list).encode())
    return report


def load_pieces(out_dir: Path, split: str | None = None) -> list[dict[str, Any]]:
    """The labelled pieces of a build, optionally of one split."""
    rows = [json.loads(line) for line in (out_dir / "pieces.jsonl").read_text().splitlines() if line]
    return [r for r in rows if split is None or r["split"] == split]


def summary_lines(report: BuildReport) -> list[str]:
    data = report.to_json()
    lines = [f"{data['files_seen']} files, {data['pieces_converted']} pieces converted, "
             f"{data['pieces_skipped']} skipped ({data['files_from_cache']} files from cache)"]
    by_collection: dict[str, Any] = defaultdict(dict, data["by_collection"])
    for collection, counts in sorted(by_collection.items(), key=lambda kv: -kv[1]["pieces"]):
        lines.append(f"  {collection:<20} {counts['files']:>5} files {counts['pieces']:>6} pieces "
                     f"{counts['skipped']:>4} skipped")
    lines.append("skip reasons: " + ", ".join(f"{k} ({v})" for k, v in data["skip_reasons"].items()))
    lines.append("splits: " + ", ".join(f"{k} {v}" for k, v in sorted(data["splits"].items())))
    return lines
