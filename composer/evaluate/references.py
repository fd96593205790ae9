"""Write reference MIDI files (the first bars of real music from music21's bundled corpus) with their part roles.

Groups and choice (deterministic: candidates in sorted order, the first N that parse and have the parts):
  chorales  20 Bach chorales: sorted `corpus.getComposer('bach')` bwv<number>.mxl paths (variants such as
            bwv112.5-sc.mxl aside) with Soprano, Alto, Tenor and Bass parts (others, e.g. a horn, are dropped).
            Soprano = melody, alto/tenor = inner, bass = bass.
  quartets  9 string-quartet movements: sorted .mxl movement files (path has "movement") of Haydn, Mozart and
            Beethoven, the composers taken in turn, with Violin I, Violin II, Viola and (Violon)cello parts.
            Violin I = melody, violin II/viola = inner, cello = bass.
  folk      10 Essen tunes (the first tune with a real meter in each sorted essenFolksong .abc file, test files
            aside) and 10 tunes from Ryan's Mammoth Collection (sorted files, first tune of each). Melody only.
  piano     5 two-staff keyboard pieces from PIANO_CANDIDATES. Right hand = melody, left hand = bass.
Parts are renamed to their canonical names (REFERENCE_ROLES keys) so the MIDI's track names carry the roles.
Repeat signs are dropped before writing (music21 would expand them), so a file holds the bars as written.
Files already in `out_dir` are not written again.
"""

from __future__ import annotations

import contextlib
import io
import re
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path

import pretty_midi
from music21 import bar, base, converter, corpus, instrument, repeat, spanner, stream

# Canonical track name -> role.
REFERENCE_ROLES: dict[str, str] = {
    "Soprano": "melody",
    "Alto": "inner",
    "Tenor": "inner",
    "Bass": "bass",
    "Violin I": "melody",
    "Violin II": "inner",
    "Viola": "inner",
    "Cello": "bass",
    "Melody": "melody",
    "Right hand": "melody",
    "Left hand": "bass",
}
CHORALE_PARTS: tuple[str, ...] = ("Soprano", "Alto", "Tenor", "Bass")
QUARTET_PARTS: dict[str, str] = {"violin i": "Violin I", "violin ii": "Violin II", "viola": "Viola"}
QUARTET_COMPOSERS: tuple[str, ...] = ("haydn", "mozart", "beethoven")
PIANO_CANDIDATES: tuple[str, ...] = (
    "cpebach/h186.mxl",
    "joplin/maple_leaf_rag.mxl",
    "mozart/k545/movement1_exposition.mxl",
    "schumann_clara/polonaise_op1n1.mxl",
    "schumann_clara/polonaise_op1n2.mxl",
)
COUNTS: dict[str, int] = {"chorales": 20, "quartets": 9, "essen": 10, "ryan": 10, "piano": 5}
CORPUS_DIR = Path(corpus.__file__).parent

Reference = tuple[str, Path, list[str]]
Candidate = tuple[str, Callable[[], stream.Score | None]]  # (file stem, builder of the renamed score)


def keep_parts(score: stream.Score, names: list[tuple[stream.Part, str]]) -> stream.Score:
    """A new score holding only the given parts, renamed."""
    out = stream.Score()
    for part, name in names:
        inst = part.getInstrument(returnDefault=False)
        if inst is None:
            inst = instrument.Instrument()
            part.insert(0, inst)
        part.partName = inst.partName = name  # music21 names the MIDI track after the instrument's partName
        out.insert(0, part)
    return out


def chorale_score(path: str) -> stream.Score | None:
    score = corpus.parse(path)
    by_name = {(p.partName or "").strip().lower(): p for p in score.parts}
    if not all(name.lower() in by_name for name in CHORALE_PARTS):
        return None
    return keep_parts(score, [(by_name[name.lower()], name) for name in CHORALE_PARTS])


def quartet_score(path: str) -> stream.Score | None:
    score = corpus.parse(path)
    chosen: list[tuple[stream.Part, str]] = []
    for part in score.parts:
        name = (part.partName or "").strip().lower()
        canonical = "Cello" if "cello" in name else QUARTET_PARTS.get(name)
        if canonical and canonical not in [c for _, c in chosen]:
            chosen.append((part, canonical))
    return keep_parts(score, chosen) if len(chosen) == 4 else None


def piano_score(path: str) -> stream.Score | None:
    score = corpus.parse(path)
    parts = list(score.parts)
    return keep_parts(score, [(parts[0], "Right hand"), (parts[1], "Left hand")]) if len(parts) == 2 else None


def strip_repeats(score: stream.Score) -> None:
    """Drop repeat barlines, voltas and jumps, so the MIDI holds the bars as written (music21 would expand them)."""
    for measure in score.recurse().getElementsByClass(stream.Measure):
        if isinstance(measure.leftBarline, bar.Repeat):
            measure.leftBarline = None
        if isinstance(measure.rightBarline, bar.Repeat):
            measure.rightBarline = None
    marks: list[base.Music21Object] = [*score.recurse().getElementsByClass(repeat.RepeatExpression)]
    marks += [*score.recurse().getElementsByClass(spanner.RepeatBracket)]
    for mark in marks:
        for site in list(mark.sites.get()):
            if isinstance(site, stream.Stream) and mark in site:
                site.remove(mark)


def abc_tunes(path: Path) -> list[str]:
    """The tunes ("X:" blocks) of an ABC file."""
    text = path.read_text(encoding="latin-1")
    return [block for block in re.split(r"(?m)^(?=X:)", text) if block.startswith("X:")]


def has_meter(tune: str) -> bool:
    meter = re.search(r"(?m)^M:\s*(\S+)", tune)
    return meter is not None and meter.group(1).lower() != "none"


def folk_score(tune: str) -> stream.Score | None:
    parsed = converter.parse(tune, format="abc")
    parts = list(parsed.parts) if isinstance(parsed, stream.Score) else []
    return keep_parts(parsed, [(parts[0], "Melody")]) if len(parts) == 1 else None  # type: ignore[arg-type]


def chorale_candidates() -> Iterator[Candidate]:
    for path in sorted(str(p) for p in corpus.getComposer("bach") if re.fullmatch(r"bwv[\d.]+\.mxl", Path(p).name)):
        rel = Path(path).relative_to(CORPUS_DIR).as_posix()
        yield rel.replace("/", "-").removesuffix(".mxl"), lambda rel=rel: chorale_score(rel)  # type: ignore[misc]


def quartet_candidates() -> Iterator[Candidate]:
    lists = [
        sorted(Path(str(p)).relative_to(CORPUS_DIR).as_posix() for p in corpus.getComposer(c))
        for c in QUARTET_COMPOSERS
    ]
    lists = [[p for p in paths if "movement" in p and p.endswith(".mxl")] for paths in lists]
    for round_ in range(max(len(p) for p in lists)):
        for paths in lists:
            if round_ < len(paths):
                rel = paths[round_]
                yield rel.replace("/", "-").removesuffix(".mxl"), lambda rel=rel: quartet_score(rel)  # type: ignore[misc]


def essen_candidates() -> Iterator[Candidate]:
    for path in sorted((CORPUS_DIR / "essenFolksong").glob("*.abc")):
        if path.stem.startswith("test"):
            continue
        tune = next((t for t in abc_tunes(path) if has_meter(t)), None)
        if tune is not None:
            yield f"essen-{path.stem}", lambda tune=tune: folk_score(tune)  # type: ignore[misc]


def ryan_candidates() -> Iterator[Candidate]:
    for path in sorted((CORPUS_DIR / "ryansMammoth").glob("*.abc")):
        tunes = abc_tunes(path)
        if tunes and has_meter(tunes[0]):
            yield f"ryan-{path.stem}", lambda tune=tunes[0]: folk_score(tune)  # type: ignore[misc]


def piano_candidates() -> Iterator[Candidate]:
    for rel in PIANO_CANDIDATES:
        yield rel.replace("/", "-").removesuffix(".mxl"), lambda rel=rel: piano_score(rel)  # type: ignore[misc]


def roles_of(path: Path) -> list[str]:
    """Roles of a written reference, aligned with its pitched instruments that have notes."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pm = pretty_midi.PrettyMIDI(str(path))
    return [REFERENCE_ROLES.get(i.name.strip(), "inner") for i in pm.instruments if not i.is_drum and i.notes]


def write_first_bars(build: Callable[[], stream.Score | None], out: Path, bars: int) -> bool:
    """Parse, cut to measures 1..bars and write; False when the piece fails or lacks the parts."""
    try:
        with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
            warnings.simplefilter("ignore")
            score = build()
            if score is None:
                return False
            excerpt = score.measures(1, bars)
            strip_repeats(excerpt)
            if not excerpt.flatten().notes:
                return False
            excerpt.write("midi", fp=str(out))
    except Exception:
        out.unlink(missing_ok=True)
        return False
    return True


def take(group: str, candidates: Iterator[Candidate], count: int, out_dir: Path, bars: int) -> list[Reference]:
    """The first `count` candidates that are cached or can be written."""
    refs: list[Reference] = []
    for stem, build in candidates:
        if len(refs) == count:
            break
        out = out_dir / f"{group}-{stem}-{bars}bars.mid"
        if out.exists() or write_first_bars(build, out, bars):
            refs.append((group, out, roles_of(out)))
    return refs


def build_references(out_dir: str | Path, bars: int = 16, counts: dict[str, int] | None = None) -> list[Reference]:
    """Write (or reuse) the reference MIDI files; returns (group, path, roles) for each."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    n = {**COUNTS, **(counts or {})}
    return [
        *take("chorales", chorale_candidates(), n["chorales"], out, bars),
        *take("quartets", quartet_candidates(), n["quartets"], out, bars),
        *take("folk", essen_candidates(), n["essen"], out, bars),
        *take("folk", ryan_candidates(), n["ryan"], out, bars),
        *take("piano", piano_candidates(), n["piano"], out, bars),
    ]
