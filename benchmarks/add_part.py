"""Add-part on held-out music: 20 Bach chorales and string-quartet movements from music21's corpus that the model
never trained on (the test split of composer.train.data.splits, filled up from the valid split, musicality
references left out), each cut to its first 16 bars (counted as the music counts them: an upbeat is left out,
so composer's bar lines fall on the music's) with one part removed: the bass in most, the melody in
every fifth piece, an inner voice in every fifth. `composer.add_part` writes a part of the same family and role
back (choir aahs for a chorale voice; violin, viola or cello in a quartet; an inner voice is asked for as a
counter) and the written MIDI is judged:

  register   share of the new part's notes inside register_for(program, role)      floor 95%
  kept       pieces whose other notes are unchanged, note for note                  floor 100%
  chord      chord tones on strong beats (composer.evaluate.musicality_metrics, over the remaining parts'
             harmony), the new part's mean against the removed part's               floor: at most 10 points below

Writes benchmarks/results/add_part.json (per-piece rows and the summary) and prints a table. Needs no data build.
Run: .venv/bin/python benchmarks/add_part.py [--pieces 20] [--bars 16]
"""

from __future__ import annotations

import argparse
import dataclasses
import re
import sys
import tempfile
import time
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pretty_midi

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import logged_progress, write_result

import composer
from composer.core.roles import register_for
from composer.core.score import TICKS_PER_BEAT, Score, Track
from composer.evaluate import references
from composer.evaluate.musicality_metrics import Part, bar_chords, bar_count, chord_tone_strong, read_meter, read_parts
from composer.output.midi_io import read_midi, write_midi
from composer.train.data.convert import convert_source
from composer.train.data.sources import SourceFile
from composer.train.data.splits import melody_fingerprint, split_of

PARTS = {"chorales": ("Soprano", "Alto", "Tenor", "Bass"), "quartets": ("Violin I", "Violin II", "Viola", "Cello")}
ALIASES = {"1st violin": "Violin I", "2nd violin": "Violin II", "violin 1": "Violin I", "violin 2": "Violin II"}
ROLE = references.REFERENCE_ROLES  # part name -> melody, inner or bass
# The instrument asked for in place of a removed part: the voices' own family (choir) or the same string.
INSTRUMENT = {"Soprano": "choir aahs", "Alto": "choir aahs", "Tenor": "choir aahs", "Bass": "choir aahs",
              "Violin I": "violin", "Violin II": "violin", "Viola": "viola", "Cello": "cello"}
ASKED_ROLE = {"bass": "bass", "melody": "melody", "inner": "counter"}
FLOORS = {"register_percent": 95.0, "kept_percent": 100.0, "chord_points_below": 10.0}
FLOOR_SECONDS = 300


@dataclasses.dataclass
class Candidate:
    """A corpus piece with the split the training build gives it, and its parts by role."""

    piece_id: str  # the corpus path, as composer.evaluate.references names it ("bach-bwv300")
    path: Path
    group: str  # chorales or quartets
    split: str
    fingerprint: str
    score: Score  # only the four parts, in score order


def corpus_files() -> Iterator[tuple[str, str, Path]]:
    """(group, collection, path): the Bach chorales and the Haydn, Mozart and Beethoven quartet movements that
    composer.evaluate.references draws its references from, in sorted order."""
    root = references.CORPUS_DIR
    for path in sorted((root / "bach").glob("bwv*.mxl")):
        if re.fullmatch(r"bwv[\d.]+\.mxl", path.name):
            yield "chorales", "bach", path
    for composer_name in references.QUARTET_COMPOSERS:
        for path in sorted((root / composer_name).rglob("*.mxl")):
            if "movement" in path.relative_to(root).as_posix():
                yield "quartets", composer_name, path


def reference_stems() -> set[str]:
    """The file stems of the musicality benchmark's chorale and quartet references (chosen as it chooses them)."""
    stems: set[str] = set()
    for candidates, count in ((references.chorale_candidates(), references.COUNTS["chorales"]),
                              (references.quartet_candidates(), references.COUNTS["quartets"])):
        taken = 0
        for stem, build in candidates:
            if taken == count:
                break
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                try:
                    usable = build() is not None
                except Exception:  # the references skip a piece that does not parse; so must we
                    usable = False
            if usable:
                stems.add(stem)
                taken += 1
    return stems


def four_parts(score: Score, group: str) -> Score | None:
    """The score with only its four voices, renamed as in PARTS; None when one is missing."""
    kept: dict[str, Track] = {}
    for track in score.tracks:
        name = track.name.strip().lower()
        name = ALIASES.get(name, name).lower()
        for canonical in PARTS[group]:
            if canonical not in kept and (name == canonical.lower() or (canonical == "Cello" and "cello" in name)):
                kept[canonical] = dataclasses.replace(track, name=canonical)
                break
    if len(kept) != len(PARTS[group]):
        return None
    out = score.copy()
    out.tracks = [kept[name] for name in PARTS[group]]
    return out


def held_out(count: int, on_step: Any) -> tuple[list[Candidate], dict[str, int]]:
    """`count` pieces: every test-split one (chorales and quartets interleaved), then valid-split quartets,
    then valid-split chorales; one piece per fingerprint, references and pieces without the four parts aside."""
    excluded = reference_stems()
    found: dict[tuple[str, str], list[Candidate]] = {}
    seen: set[str] = set()
    skipped = {"reference": 0, "not four parts": 0, "duplicate": 0, "train": 0}
    files = list(corpus_files())
    for group, collection, path in files:
        on_step(len(files))
        stem = path.relative_to(references.CORPUS_DIR).as_posix().replace("/", "-").removesuffix(".mxl")
        for record in convert_source(SourceFile(path, collection, "music21")).pieces:
            full = record.score()
            fingerprint = melody_fingerprint(full)
            split = split_of(fingerprint)
            if split == "train":
                skipped["train"] += 1
                continue
            if stem in excluded:
                skipped["reference"] += 1
                continue
            if fingerprint in seen:
                skipped["duplicate"] += 1
                continue
            parts = four_parts(full, group)
            if parts is None:
                skipped["not four parts"] += 1
                continue
            seen.add(fingerprint)
            found.setdefault((split, group), []).append(Candidate(stem, path, group, split, fingerprint, parts))
    test = [c for pair in zip_all(found.get(("test", "chorales"), []), found.get(("test", "quartets"), []))
            for c in pair]
    chosen = [*test, *found.get(("valid", "quartets"), []), *found.get(("valid", "chorales"), [])]
    return chosen[:count], skipped


def zip_all(*lists: list[Candidate]) -> Iterator[list[Candidate]]:
    """Round-robin over lists of unequal length."""
    for index in range(max((len(x) for x in lists), default=0)):
        yield [x[index] for x in lists if index < len(x)]


def pickup_ticks(path: Path) -> int:
    """The length of the piece's upbeat bar (0 without one): the corpus conversion starts the upbeat at tick 0,
    so composer's bar lines would fall that far before the music's own."""
    from music21 import converter, stream

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        parsed = converter.parse(path)
    first = parsed.recurse().getElementsByClass(stream.Measure).first()  # the first part's first bar
    if first is None:
        return 0
    length, bar = float(first.highestTime), float(first.barDuration.quarterLength)
    return round(length * TICKS_PER_BEAT) if first.paddingLeft or 0 < length < bar else 0


def first_bars(score: Score, bars: int, pickup: int) -> Score:
    """Bars 1 to `bars` as the music counts them (the upbeat left out, as the musicality references leave it),
    moved to start at tick 0: a note held over the cut is shortened to it, meters, tempos and keys after it go."""
    moved = score.copy()
    moved.tracks = [dataclasses.replace(t, notes=[dataclasses.replace(n, start=n.start - pickup, end=n.end - pickup)
                                                  for n in t.notes if n.start >= pickup]) for t in score.tracks]
    for name in ("time_signatures", "tempos", "key_signatures", "markers"):
        setattr(moved, name, shifted(getattr(score, name), pickup))
    starts = moved.bar_starts(until_tick=moved.end_tick + 1)
    end = starts[bars] if len(starts) > bars else moved.end_tick
    moved.tracks = [dataclasses.replace(t, notes=[dataclasses.replace(n, end=min(n.end, end))
                                                  for n in t.notes if n.start < end]) for t in moved.tracks]
    for name in ("time_signatures", "tempos", "key_signatures", "markers"):
        setattr(moved, name, [e for e in getattr(moved, name) if e.tick < end])
    moved.length = end
    return moved


def shifted(events: list[Any], pickup: int) -> list[Any]:
    """Events moved `pickup` ticks earlier; of those that land at or before 0, the last one stays, at 0."""
    before = [e for e in events if e.tick <= pickup]
    after = [dataclasses.replace(e, tick=e.tick - pickup) for e in events if e.tick > pickup]
    return [dataclasses.replace(before[-1], tick=0), *after] if before else after


def removed_part(index: int, candidate: Candidate) -> str:
    """The track taken out: the melody in every fifth piece (index 2, 7, ...), an inner voice in every fifth
    (index 4, 9, ...; the upper and the lower one in turn), the bass otherwise."""
    names = [t.name for t in candidate.score.tracks]  # melody, inner, inner, bass
    if index % 5 == 2:
        return names[0]
    if index % 5 == 4:
        return names[1 + (index // 5) % 2]
    return names[3]


def notes_of(score: Score) -> dict[str, list[tuple[int, int, int, int]]]:
    return {t.name: [(n.pitch, n.velocity, n.start, n.end) for n in t.notes] for t in score.tracks}


def midi_parts(path: Path) -> tuple[dict[str, Part], Any]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pm = pretty_midi.PrettyMIDI(str(path))
    return {p.name: p for p in read_parts(pm)}, read_meter(pm)


def run_piece(index: int, candidate: Candidate, bars: int, folder: Path) -> dict[str, Any]:
    pickup = pickup_ticks(candidate.path)
    full = first_bars(candidate.score, bars, pickup)
    removed = removed_part(index, candidate)
    instrument, asked = INSTRUMENT[removed], ASKED_ROLE[ROLE[removed]]
    rest = full.copy()
    rest.tracks = [t for t in full.tracks if t.name != removed]
    full_path, in_path = write_midi(full, folder / f"{index}-full.mid"), write_midi(rest, folder / f"{index}-in.mid")
    out_path = folder / f"{index}-out.mid"
    started = time.perf_counter()
    piece = composer.add_part(in_path, instrument, role=asked, seed=index)
    seconds = time.perf_counter() - started
    piece.save_midi(out_path)
    added = piece.attributes["added"]["value"]
    before, after = notes_of(read_midi(in_path)), notes_of(read_midi(out_path))
    new_tracks = [name for name in after if name not in before]
    window = register_for(added["program"], asked)
    new_notes = after.get(added["track"], [])
    inside = sum(window.low <= pitch <= window.high for pitch, *_ in new_notes)
    remaining, meter = midi_parts(in_path)
    chords = bar_chords(list(remaining.values()), meter, bar_count(list(remaining.values()), meter))
    original, _ = midi_parts(full_path)
    written, _ = midi_parts(out_path)
    chord_new = chord_tone_strong(written[added["track"]], chords, meter) if added["track"] in written else None
    chord_removed = chord_tone_strong(original[removed], chords, meter)
    return {"piece": candidate.piece_id, "group": candidate.group, "split": candidate.split,
            "pickup_beats": pickup / TICKS_PER_BEAT, "removed": removed,
            "role": asked, "instrument": instrument, "program": added["program"], "track": added["track"],
            "window": [window.low, window.high], "notes": len(new_notes), "inside": inside,
            "removed_notes": len(original[removed].notes),
            "kept": {k: after.get(k) for k in before} == before and new_tracks == [added["track"]],
            "chord_new": pct(chord_new), "chord_removed": pct(chord_removed), "seconds": round(seconds, 2)}


def pct(share: float | None) -> float | None:
    return None if share is None else round(100 * share, 1)


def mean(values: list[float | None]) -> float | None:
    known = [v for v in values if v is not None]
    return round(sum(known) / len(known), 1) if known else None


def summarise(rows: list[dict[str, Any]]) -> dict[str, Any]:
    notes = sum(r["notes"] for r in rows)
    register = round(100 * sum(r["inside"] for r in rows) / notes, 1) if notes else 0.0
    kept = round(100 * sum(r["kept"] for r in rows) / len(rows), 1)
    chord_new, chord_removed = mean([r["chord_new"] for r in rows]), mean([r["chord_removed"] for r in rows])
    gap = round(chord_removed - chord_new, 1) if chord_new is not None and chord_removed is not None else None
    by_role = {role: {"pieces": len(group), "chord_new": mean([r["chord_new"] for r in group]),
                      "chord_removed": mean([r["chord_removed"] for r in group]),
                      "register_percent": round(100 * sum(r["inside"] for r in group)
                                                / max(1, sum(r["notes"] for r in group)), 1)}
               for role in ("bass", "melody", "counter")
               if (group := [r for r in rows if r["role"] == role])}
    passed = {"register": register >= FLOORS["register_percent"], "kept": kept >= FLOORS["kept_percent"],
              "chord": gap is not None and gap <= FLOORS["chord_points_below"]}
    return {"pieces": len(rows), "new_notes": notes, "register_percent": register, "kept_percent": kept,
            "chord_new_percent": chord_new, "chord_removed_percent": chord_removed, "chord_points_below": gap,
            "pieces_within_10_points": sum(r["chord_new"] is not None and r["chord_removed"] is not None
                                           and r["chord_removed"] - r["chord_new"] <= 10 for r in rows),
            "by_role": by_role, "floors": FLOORS, "passed": passed}


def table(rows: list[dict[str, Any]], summary: dict[str, Any]) -> list[str]:
    lines = [f"{'piece':38} {'removed':9} {'as':7} {'notes':>5} {'in reg':>6} {'kept':>4} "
             f"{'chord new':>9} {'removed':>7}"]
    for r in rows:
        share = f"{100 * r['inside'] / r['notes']:.0f}%" if r["notes"] else "-"
        lines.append(f"{r['piece'][:38]:38} {r['removed']:9} {r['role']:7} {r['notes']:5} {share:>6} "
                     f"{'yes' if r['kept'] else 'NO':>4} {fmt(r['chord_new']):>9} {fmt(r['chord_removed']):>7}")
    ok = summary["passed"]
    lines.append(f"register {summary['register_percent']}% (floor 95%: {'ok' if ok['register'] else 'MISSED'}); "
                 f"other notes kept {summary['kept_percent']}% (floor 100%: {'ok' if ok['kept'] else 'MISSED'}); "
                 f"chord tones on strong beats {fmt(summary['chord_new_percent'])} vs removed "
                 f"{fmt(summary['chord_removed_percent'])} ({'ok' if ok['chord'] else 'MISSED'}: at most 10 below)")
    return lines


def fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}%"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pieces", type=int, default=20)
    parser.add_argument("--bars", type=int, default=16)
    args = parser.parse_args()
    started = time.perf_counter()
    rows = []
    with tempfile.TemporaryDirectory() as tmp, logged_progress() as progress:
        scan = progress.add_task("finding held-out pieces", total=None)
        chosen, skipped = held_out(args.pieces, lambda total: progress.update(scan, total=total, advance=1))
        task = progress.add_task("adding parts", total=len(chosen))
        for index, candidate in enumerate(chosen):
            rows.append(run_piece(index, candidate, args.bars, Path(tmp)))
            progress.advance(task)
    summary = summarise(rows)
    seconds = round(time.perf_counter() - started, 1)
    lines = table(rows, summary)
    figures = {"summary": summary, "seconds": seconds, "floor_seconds": FLOOR_SECONDS,
               "within_floor_seconds": seconds <= FLOOR_SECONDS, "bars": args.bars,
               "selection": {"splits": {s: sum(r["split"] == s for r in rows) for s in ("test", "valid")},
                             "skipped": skipped}, "rows": rows, "table": lines}
    path = write_result("add_part", figures, ("torch", "music21", "pretty_midi"))
    print("\n".join(lines))
    print(f"{seconds:.0f} s; {path}")
    return 0 if all(summary["passed"].values()) else 1


if __name__ == "__main__":
    raise SystemExit(main())
