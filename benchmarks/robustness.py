"""Robustness of reading MIDI: mutants of real files through read_midi in-process and `composer convert` in
subprocesses, the crafted events one by one, and the large files that once hung or filled memory.

Seeds: our examples, the golden chorale, the MIDI files shipped in installed packages (music21,
miditoolkit...) and music21 corpus pieces written by music21's own MIDI writer (another byte layout).
Mutants (composer.evaluate.midi_fuzz): byte and bit flips, truncation, inserted, deleted and duplicated
bytes, interesting chunk lengths and header words, and crafted events (keys of 12 sharps, tempos of 0 and
0xFFFFFF us per beat, meters of 0 beats, notes at tick 2^31, sysex and meta events longer than their
track, undefined status bytes...) at the start of a track, one to three mutations each.
A crash is any exception but a ComposerError in-process (reading, or writing what was read and reading it
back), or a traceback or an exit code other than 0 or 2 from the CLI (whose MIDI, on exit 0, must read).
Floor: no crash, no run over 10 s, peak memory under 1 GB. Writes results/robustness.json.
Run: .venv/bin/python benchmarks/robustness.py [--mutants 10000] [--cli 200]
"""

from __future__ import annotations

import argparse
import collections
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import write_result

from composer.evaluate.midi_fuzz import CRAFTED, NOTE, REPO, insert_event, mutants, seed_files, smf, try_read, vlq

SECONDS_LIMIT, MEMORY_LIMIT_MB = 10.0, 1024
CORPUS = ["bach/bwv66.6", "bach/bwv7.7", "bach/bwv269", "bach/bwv347", "bach/bwv153.1", "bach/bwv86.6",
          "bach/bwv267", "bach/bwv281", "bach/bwv17.7", "bach/bwv41.6", "beethoven/opus18no1",
          "mozart/k80/movement1", "haydn/opus1no1/movement1", "schoenberg/opus19/movement2",
          "monteverdi/madrigal.3.1", "josquin/laDeplorationDeLaMorteDeJohannesOckeghem", "palestrina/agnus_0",
          "corelli/opus3no1/1grave", "handel/rinaldo/Lascia_chio_pianga", "schumann_clara/opus17/movement3",
          "joplin/maple_leaf_rag", "chopin/mazurka06-2", "verdi/laDonnaEMobile", "luca/gloria", "ciconia/quod_jactatur"]
LARGE = {  # name -> the file's bytes
    "1,000,000 notes (6 MB)": smf(b"\x00\x90\x3c\x40" + b"\x01\x3c\x00\x00\x3c\x40" * 999_999 + b"\x01\x3c\x00"),
    "500,000 notes (3 MB)": smf(b"\x00\x90\x3c\x40" + b"\x01\x3c\x00\x00\x3c\x40" * 499_999 + b"\x01\x3c\x00"),
    "1 tick a beat, an event at beat 2^28 (37 bytes)": smf(b"\x00\x90\x3c\x40" + vlq(0x0FFFFFFF) + b"\x80\x3c\x00",
                                                           division=1),
    "a note at tick 2^31": smf(vlq(2**31) + b"\x90\x3c\x40"),
    "10,001 tempo changes": smf(b"".join(b"\x00\xff\x51\x03\x07\xa1\x20" for _ in range(10_001)) + NOTE),
}
PROBE = ("import resource, sys, time\nfrom composer.output.midi_io import read_midi\nstarted = time.perf_counter()\n"
         "try:\n    score = read_midi(sys.argv[1]); verdict = f'read {score.note_count:,} notes'\n"
         "except Exception as exc:\n    verdict = f'{type(exc).__name__}: {exc}'\n"
         "print(time.perf_counter() - started, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024, verdict)\n")


def corpus_midi() -> list[bytes]:
    """Corpus pieces as music21's own MIDI writer lays them out."""
    from music21 import corpus, midi

    out = []
    for name in CORPUS:
        try:
            out.append(midi.translate.music21ObjectToMidiFile(corpus.parse(name)).writestr())
        except Exception as exc:  # a piece music21 cannot write is one seed fewer
            print(f"  (corpus {name} skipped: {type(exc).__name__})")
    return out


def in_process(seeds: list[bytes], count: int) -> dict[str, Any]:
    started = time.perf_counter()
    verdicts: collections.Counter[str] = collections.Counter()
    kinds: collections.Counter[str] = collections.Counter()
    crashes, timings, slowest = [], [], []
    for name, data in mutants(seeds, count, seed=0):
        outcome = try_read(data)
        verdicts[outcome.verdict] += 1
        for kind in name.split("+"):
            kinds[kind.split(":")[0]] += 1
        timings.append(outcome.seconds)
        slowest.append((outcome.seconds, data))
        slowest = sorted(slowest, key=lambda x: -x[0])[:5]
        if outcome.verdict == "crash":
            crashes.append(f"{name}: {outcome.message}")
    peaks = []
    for _, data in slowest:  # the slowest mutants again, with their allocations traced
        tracemalloc.start()
        try_read(data)
        peaks.append(tracemalloc.get_traced_memory()[1] / 2**20)
        tracemalloc.stop()
    timings.sort()
    return {"mutants": count, "verdicts": dict(verdicts), "mutations": dict(kinds), "crashes": len(crashes),
            "crash_examples": crashes[:20], "over_10_s": sum(t > SECONDS_LIMIT for t in timings),
            "max_seconds": round(timings[-1], 3), "p99_seconds": round(timings[int(0.99 * (len(timings) - 1))], 4),
            "mean_seconds": round(sum(timings) / len(timings), 4),
            "slowest_traced_peak_mb": round(max(peaks), 1),
            "process_peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024,
            "wall_seconds": round(time.perf_counter() - started, 1)}


def crafted(seed: bytes) -> dict[str, str]:
    import random

    return {name: f"{o.verdict}: {o.message}"[:160]
            for name, event in sorted(CRAFTED.items()) for o in [try_read(insert_event(seed, event, random.Random(0)))]}


def large(work: Path) -> dict[str, dict[str, Any]]:
    out = {}
    for name, data in LARGE.items():
        path = work / "large.mid"
        path.write_bytes(data)
        line = subprocess.run([sys.executable, "-c", PROBE, str(path)], capture_output=True, text=True,
                              timeout=120).stdout.strip()
        seconds, peak, verdict = line.split(" ", 2)
        out[name] = {"seconds": round(float(seconds), 2), "peak_rss_mb": int(peak),
                     "verdict": verdict.replace(str(path), "FILE")}
    return out


def through_cli(seeds: list[bytes], count: int, work: Path) -> dict[str, Any]:
    import random

    from composer.output.midi_io import read_midi

    rng = random.Random(1)
    cases = [(f"crafted:{n}", insert_event(rng.choice(seeds), e, rng)) for n, e in sorted(CRAFTED.items())]
    cases += list(mutants(seeds, count - len(cases), seed=1))
    codes: collections.Counter[int] = collections.Counter()
    crashes, walls = [], []
    for index, (name, data) in enumerate(cases):
        source, target = work / f"in{index}.mid", work / f"out{index}.mid"
        source.write_bytes(data)
        started = time.perf_counter()
        try:
            result = subprocess.run([sys.executable, "-m", "composer", "convert", str(source), "-o", str(target)],
                                    capture_output=True, text=True, timeout=60, cwd=REPO)
        except subprocess.TimeoutExpired:
            crashes.append(f"{name}: over 60 s")
            continue
        walls.append(time.perf_counter() - started)
        codes[result.returncode] += 1
        if result.returncode not in (0, 2) or "Traceback" in result.stderr:
            crashes.append(f"{name}: exit {result.returncode}: {result.stderr.strip().splitlines()[-1:]}")
        elif result.returncode == 0:
            try:
                read_midi(target)
            except Exception as exc:  # what convert wrote must read back
                crashes.append(f"{name}: wrote a file that does not read back: {exc}")
        source.unlink()
        target.unlink(missing_ok=True)
    return {"runs": len(cases), "exit_codes": {str(k): v for k, v in sorted(codes.items())}, "crashes": len(crashes),
            "crash_examples": crashes[:20], "over_10_s": sum(w > SECONDS_LIMIT for w in walls),
            "max_seconds": round(max(walls), 2), "mean_seconds": round(sum(walls) / len(walls), 2),
            "peak_child_rss_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mutants", type=int, default=10_000)
    parser.add_argument("--cli", type=int, default=200)
    args = parser.parse_args()
    files = seed_files()
    seeds = [p.read_bytes() for p in files] + corpus_midi()
    print(f"{len(seeds)} seed files ({len(files)} real files, {len(seeds) - len(files)} corpus pieces), "
          f"{sum(map(len, seeds)) / 1e6:.1f} MB")
    figures: dict[str, Any] = {"seeds": len(seeds), "seed_bytes": sum(map(len, seeds))}
    figures["in_process"] = in_process(seeds, args.mutants)
    figures["crafted"] = crafted((REPO / "tests/fixtures/golden/chorale.mid").read_bytes())
    with tempfile.TemporaryDirectory() as tmp:
        figures["large"] = large(Path(tmp))
        figures["cli"] = through_cli(seeds, args.cli, Path(tmp))
    path = write_result("robustness", figures, ("mido", "music21"))
    ip, cli = figures["in_process"], figures["cli"]
    print(f"\n{'':24}{'in-process read_midi':>24}{'composer convert':>20}")
    rows = [("runs", ip["mutants"], cli["runs"]), ("crashes", ip["crashes"], cli["crashes"]),
            ("over 10 s", ip["over_10_s"], cli["over_10_s"]), ("slowest (s)", ip["max_seconds"], cli["max_seconds"]),
            ("peak memory (MB)", ip["process_peak_rss_mb"], cli["peak_child_rss_mb"])]
    for label, a, b in rows:
        print(f"{label:24}{a:>24}{b:>20}")
    print(f"\nin-process verdicts: {ip['verdicts']}; CLI exit codes: {cli['exit_codes']}")
    print(f"slowest 5 mutants' traced peak: {ip['slowest_traced_peak_mb']} MB")
    print("\nlarge files (each in a fresh process):")
    for name, row in figures["large"].items():
        print(f"  {name:48} {row['seconds']:>6} s {row['peak_rss_mb']:>5} MB  {row['verdict'][:90]}")
    print("\ncrafted events at the start of a track of the golden chorale:")
    for name, verdict in figures["crafted"].items():
        print(f"  {name:24} {verdict[:110]}")
    for example in ip["crash_examples"] + cli["crash_examples"]:
        print("CRASH", example)
    print(f"\nwrote {path}")
    failed = ip["crashes"] or cli["crashes"] or ip["over_10_s"] or cli["over_10_s"] or \
        max(ip["process_peak_rss_mb"], cli["peak_child_rss_mb"]) >= MEMORY_LIMIT_MB
    raise SystemExit(1 if failed else 0)


if __name__ == "__main__":
    main()
