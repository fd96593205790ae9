"""Constraint compliance, effect and overhead, judged from the written MIDI files alone.

Compliance: N generations (default 200) with random valid settings (key, meter, bars, instruments,
seed) through composer.compose, each written to MIDI and read back with pretty_midi and mido:
decodable, pitched notes in the scale (strict: no chromatic budget), and in the key as the key mask promises it
(the scale, or a tone of a chord the plan borrows for that bar: bVII or bVI in major, V/V's raised fourth; the plan
read from the piece's own `chord plan`, which `composer explain` shows), within each instrument's range, exactly
the requested bars (file length and no note past the last barline), polyphony caps.
Effect: key accuracy by music21's own analysis (`analyze("key")`) of the MIDI files, for the same
settings and seeds with the key constraints on and off ("off" drops the scale mask, the cadence, the
key's harmony and tonal biases and the key check; the key control token is given either way).
Texture: in the pieces with two or more pitched parts, the share of bars in which each part sounds (the
coverage bias; the trained model alone keeps to one instrument), and the same settings and seeds again
with the coverage bias off.
Overhead: time spent in the filters as a share of sampling time.
Run: .venv/bin/python benchmarks/constraints.py [--count 200] [--key-pairs 60]
"""

from __future__ import annotations

import argparse
import itertools
import random
import sys
import tempfile
import time
from pathlib import Path

import mido
import pretty_midi

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import logged_progress, write_result

from composer.constraints import polyphony_cap, scale_pitch_classes
from composer.core.gm import playable_range
from composer.core.harmony import numeral_chord
from composer.core.theory import PITCH_CLASS_NAMES_SHARP
from composer.pipeline import compose

METERS = ["2/4", "3/4", "4/4", "6/8", "9/8", "12/8", "2/2", "3/2"]
PROGRAMS = [0, 6, 11, 19, 24, 26, 32, 33, 40, 41, 42, 46, 48, 52, 56, 57, 60, 65, 68, 71, 73, 80, 81, 88, -1]
TICKS = 480


def random_settings(rng: random.Random) -> dict:
    return {"key": f"{rng.choice(PITCH_CLASS_NAMES_SHARP)} {rng.choice(['major', 'minor'])}",
            "meter": rng.choice(METERS), "bars": rng.randint(2, 8),
            "instruments": rng.sample(PROGRAMS, rng.randint(1, 3)), "seed": rng.randrange(10**6)}


def planned_bars(plan: str) -> list[list[str]]:
    """Each bar's numerals from a piece's chord plan ("A bars 1-4 (...): I | bVII V | I; B bars 5-8 (...): ...")."""
    bars: list[list[str]] = []
    for section in plan.split("; "):
        bars += [bar.split() for bar in section.split("): ", 1)[-1].split(" | ")]
    return bars


def check(path: Path, settings: dict, plan: list[list[str]] | None = None) -> dict[str, bool]:
    """What the MIDI file itself shows about each hard constraint (`plan`: each bar's planned numerals)."""
    try:
        pm = pretty_midi.PrettyMIDI(str(path))
        midi = mido.MidiFile(str(path))
    except Exception:
        return {"decodable": False}
    tonic, mode = settings["key"].split()
    scale = scale_pitch_classes(PITCH_CLASS_NAMES_SHARP.index(tonic), mode)
    numerator, denominator = (int(x) for x in settings["meter"].split("/"))
    bar_ticks = TICKS * 4 * numerator // denominator
    length = max(sum(message.time for message in track) for track in midi.tracks)
    notes = [(inst, note) for inst in pm.instruments for note in inst.notes]
    last_release = max((pm.time_to_tick(note.end) for _, note in notes), default=0)
    tonic_pc = PITCH_CLASS_NAMES_SHARP.index(tonic)
    borrowed = {bar: set().union(*(numeral_chord(n, tonic_pc) for n in numerals)) - set(scale)
                for bar, numerals in enumerate(plan or [])}
    polyphony = True
    for inst in pm.instruments:
        cap = polyphony_cap(-1 if inst.is_drum else inst.program)
        for note in inst.notes:
            sounding = sum(1 for other in inst.notes if other.start <= note.start < other.end)
            polyphony &= sounding <= cap
    return {
        "decodable": bool(notes),
        "in_scale": all(note.pitch % 12 in scale for inst, note in notes if not inst.is_drum),
        "in_key": all(note.pitch % 12 in scale | borrowed.get(pm.time_to_tick(note.start) // bar_ticks, set())
                      for inst, note in notes if not inst.is_drum),
        "in_range": all(playable_range(inst.program)[0] <= note.pitch <= playable_range(inst.program)[1]
                        for inst, note in notes if not inst.is_drum),
        "instruments": {(-1 if i.is_drum else i.program) for i in pm.instruments} <= set(settings["instruments"]),
        "exact_bars": length == settings["bars"] * bar_ticks and last_release <= length,
        "polyphony": polyphony,
    }


def presence(path: Path) -> list[float]:
    """For each pitched part of a piece with two or more: the share of its bars in which it sounds."""
    pm = pretty_midi.PrettyMIDI(str(path))
    parts = [inst for inst in pm.instruments if not inst.is_drum]
    if len(parts) < 2:
        return []
    starts = [float(t) for t in pm.get_downbeats()] + [pm.get_end_time()]
    bars = list(itertools.pairwise(starts))
    return [sum(any(n.start < end and n.end > start for n in part.notes) for start, end in bars) / len(bars)
            for part in parts]


def texture_figures(shares: list[float]) -> dict[str, float]:
    return {"bars_sounding_percent": round(100 * sum(shares) / max(len(shares), 1), 1),
            "parts_in_80_percent_of_bars": round(100 * sum(s >= 0.8 for s in shares) / max(len(shares), 1), 1)}


def music21_key(path: Path) -> tuple[str, str]:
    from music21 import converter

    found = converter.parse(str(path)).analyze("key")
    return found.tonic.pitchClass, found.mode


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=200)
    parser.add_argument("--key-pairs", type=int, default=60)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    totals: dict[str, int] = {}
    failures: list[dict] = []
    sampling = constraint_time = 0.0
    key_hits = {"on": 0, "off": 0}
    shares: list[float] = []
    shares_off: list[float] = []
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as folder, logged_progress() as progress:
        task = progress.add_task("generating", total=args.count + args.key_pairs)
        for index in range(args.count):
            settings = random_settings(rng)
            piece = compose(**settings)
            path = piece.save_midi(Path(folder) / f"{index}.mid")
            sampling += piece.seconds["sample"]
            constraint_time += piece.seconds["constraints"]
            result = check(path, settings, planned_bars(str(piece.attributes["chord plan"]["value"])))
            if result.get("decodable") and (texture := presence(path)):
                shares += texture
                alone = compose(**settings, constraints_off=["coverage"]).save_midi(Path(folder) / f"{index}off.mid")
                shares_off += presence(alone)
            for name, ok in result.items():
                totals[name] = totals.get(name, 0) + int(ok)
            if not all(result.values()):
                failures.append({"settings": settings, "failed": [k for k, ok in result.items() if not ok]})
            progress.advance(task)
        for index in range(args.key_pairs):
            settings = random_settings(rng) | {"instruments": [0]}
            tonic, mode = settings["key"].split()
            for switch, off in (("on", None), ("off", ["key", "cadence"])):
                path = compose(**settings, constraints_off=off).save_midi(Path(folder) / f"key{index}{switch}.mid")
                key_hits[switch] += int(music21_key(path) == (PITCH_CLASS_NAMES_SHARP.index(tonic), mode))
            progress.advance(task)
    figures = {
        "generations": args.count,
        "compliance": {name: round(100 * ok / args.count, 2) for name, ok in totals.items()},
        "failures": failures[:20],
        "key_accuracy_music21": {"pairs": args.key_pairs,
                                 "key_constraint_on": round(100 * key_hits["on"] / max(args.key_pairs, 1), 1),
                                 "key_constraint_off": round(100 * key_hits["off"] / max(args.key_pairs, 1), 1)},
        "part_presence": {"parts": len(shares), **texture_figures(shares),
                          "coverage_off": texture_figures(shares_off)},
        "constraint_share_of_sampling": round(100 * constraint_time / sampling, 1),
        "overhead_floor_percent": 25.0,
        "minutes": round((time.perf_counter() - started) / 60, 1),
    }
    path = write_result("constraints", figures, packages=("torch", "music21", "pretty_midi"))
    print(f"{args.count} generations with random settings, judged from the MIDI files:")
    for name, percent in figures["compliance"].items():
        print(f"  {name:12s} {percent:6.2f}%")
    accuracy = figures["key_accuracy_music21"]
    print(f"key accuracy (music21 analyze('key'), {args.key_pairs} pairs): constraint on "
          f"{accuracy['key_constraint_on']}%, off {accuracy['key_constraint_off']}%")
    texture = figures["part_presence"]
    bare = texture["coverage_off"]
    print(f"texture: {texture['parts']} parts of multi-part pieces sound in {texture['bars_sounding_percent']}% "
          f"of their bars ({bare['bars_sounding_percent']}% with coverage off); "
          f"{texture['parts_in_80_percent_of_bars']}% of them in at least 80% ({bare['parts_in_80_percent_of_bars']}%)")
    print(f"constraints took {figures['constraint_share_of_sampling']}% of sampling time (at most 25%)  -> {path}")
    return 0 if all(p == 100 for p in figures["compliance"].values()) else 1


if __name__ == "__main__":
    raise SystemExit(main())
