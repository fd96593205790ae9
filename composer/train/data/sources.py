"""The corpus sources: music21's bundled corpus (abc tunes, Humdrum, MusicXML) and users' MIDI folders."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

# Style by corpus folder; abc tunes refine it with their R: (rhythm) header, see attributes.style_of.
COLLECTION_STYLE = {
    "bach": "chorale", "palestrina": "renaissance", "josquin": "renaissance", "luca": "renaissance",
    "monteverdi": "madrigal", "trecento": "medieval", "ciconia": "medieval",
    "essenFolksong": "folksong", "miscFolk": "folksong", "nottingham-dataset": "folksong",
    "oneills1850": "irish", "ryansMammoth": "irish", "airdsAirs": "scottish",
    "beethoven": "classical", "mozart": "classical", "haydn": "classical", "handel": "baroque",
    "corelli": "baroque", "cpebach": "baroque", "chopin": "romantic", "schubert": "romantic",
    "schumann_robert": "romantic", "schumann_clara": "romantic", "verdi": "romantic", "weber": "romantic",
    "beach": "romantic", "joplin": "ragtime", "liliuokalani": "song", "johnson_j_r": "song",
    "schoenberg": "modern", "webern": "modern", "leadSheet": "song", "lusitano": "renaissance",
}
MUSIC21_SUFFIXES = {".krn", ".mxl", ".xml", ".musicxml", ".abc", ".mei", ".capx"}
SKIPPED_SUFFIXES = {".rntxt": "Roman-numeral analysis, not a score", ".py": "code", ".pyc": "code",
                    ".png": "image", ".txt": "text", ".mus": "Finale .mus is not readable by music21"}


@dataclass(frozen=True)
class SourceFile:
    """One file to convert, and what it holds."""

    path: Path
    collection: str  # corpus folder ("bach", "oneills1850") or "user"
    kind: str  # "abc" (many tunes), "music21" (one score) or "midi"

    def cache_key(self, pipeline_version: str) -> str:
        """Changes whenever the file or the conversion code changes, so a rebuild redoes only those."""
        stat = self.path.stat()
        raw = f"{pipeline_version}|{self.path.resolve()}|{stat.st_size}|{stat.st_mtime_ns}"
        return hashlib.sha1(raw.encode()).hexdigest()[:16]


def music21_corpus_root() -> Path:
    import music21

    return Path(music21.__file__).parent / "corpus"


def corpus_sources(limit_per_collection: int | None = None) -> tuple[list[SourceFile], list[tuple[str, str]]]:
    """(files to convert, [(path, reason skipped)]) for music21's bundled corpus."""
    root = music21_corpus_root()
    sources: list[SourceFile] = []
    skipped: list[tuple[str, str]] = []
    counts: dict[str, int] = {}
    for path in sorted(root.rglob("*")):
        if not path.is_file() or "_metadataCache" in path.parts or "__pycache__" in path.parts:
            continue
        relative = path.relative_to(root)
        collection = relative.parts[0] if len(relative.parts) > 1 else "misc"
        suffix = path.suffix.lower()
        if suffix in SKIPPED_SUFFIXES or collection in ("demos", "theoryExercises", "misc"):
            if suffix not in (".py", ".pyc"):
                skipped.append((str(relative), SKIPPED_SUFFIXES.get(suffix, "demo or exercise file, not repertoire")))
            continue
        if suffix not in MUSIC21_SUFFIXES:
            skipped.append((str(relative), f"unknown format {suffix}"))
            continue
        if limit_per_collection is not None and counts.get(collection, 0) >= limit_per_collection:
            continue
        counts[collection] = counts.get(collection, 0) + 1
        sources.append(SourceFile(path, collection, "abc" if suffix == ".abc" else "music21"))
    return sources, skipped


def midi_sources(folder: Path) -> list[SourceFile]:
    """Every .mid/.midi file under a user's folder."""
    return [SourceFile(p, "user", "midi") for p in sorted(folder.rglob("*"))
            if p.is_file() and p.suffix.lower() in (".mid", ".midi")]


def split_abc_tunes(text: str) -> list[tuple[str, str]]:
    """The tunes of a multi-tune abc file as (header block + tune, X: number), file header prepended."""
    chunks = re.split(r"(?m)^(?=X:)", text)
    file_header = chunks[0] if chunks and not chunks[0].startswith("X:") else ""
    tunes = []
    for chunk in chunks:
        if chunk.startswith("X:"):
            number = chunk[2:chunk.find("\n")].strip() if "\n" in chunk else chunk[2:].strip()
            tunes.append((file_header + chunk, number))
    return tunes


def abc_headers(tune: str) -> dict[str, str]:
    """The first value of each one-letter header field (T, M, K, R, Q, ...) of an abc tune."""
    headers: dict[str, str] = {}
    for match in re.finditer(r"(?m)^([A-Za-z]):\s*(.*?)\s*$", tune):
        headers.setdefault(match.group(1), match.group(2))
    return headers
