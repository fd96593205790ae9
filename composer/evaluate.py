"""Text-control evaluation: generate from a prompt file and judge each MIDI file independently.

The prompt file is JSON lines in the format of the shared eval folder (id, kind, prompt and expected
key, meter, tempo_range / tempo_min / tempo_max, mode, instruments / instruments_any / instruments_only,
density, velocity). Every judgement reads the written file: music21's key analysis of its notes
(both music21's default `analyze("key")` and Krumhansl-Schmuckler), pretty_midi's tempo, time
signature, programs and velocities. Nothing is taken from what the prompt parser intended.
"""

from __future__ import annotations

import json
import statistics
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from composer.errors import ComposerError

# Instrument families of the eval format -> GM programs (drums: a drum track)
FAMILIES: dict[str, set[int]] = {
    "piano": set(range(0, 6)), "electric_piano": {4, 5}, "celesta": {8}, "vibraphone": {11},
    "organ": set(range(16, 24)), "acoustic_guitar": {24, 25}, "electric_guitar": set(range(26, 32)),
    "bass": set(range(32, 40)), "electric_bass": set(range(33, 40)), "violin": {40, 48, 49}, "viola": {41},
    "cello": {42}, "strings": set(range(40, 52)), "harp": {46}, "timpani": {47}, "choir": {52, 53, 54},
    "synth_voice": {54, 85}, "trumpet": {56}, "trombone": {57}, "tuba": {58}, "french_horn": {60},
    "brass": set(range(56, 64)), "alto_sax": set(range(64, 68)), "clarinet": {71}, "flute": set(range(72, 76)),
    "synth_lead": set(range(80, 88)), "synth_pad": set(range(88, 96)),
}


@dataclass
class Judged:
    id: str
    kind: str
    checks: dict[str, bool] = field(default_factory=dict)
    found: dict[str, Any] = field(default_factory=dict)


def load_prompts(path: str | Path) -> list[dict[str, Any]]:
    path = Path(path)
    if not path.is_file():
        raise ComposerError(f"{path}: no such prompt file")
    prompts = []
    for number, line in enumerate(path.read_text().splitlines(), 1):
        if line.strip():
            try:
                entry = json.loads(line)
            except json.JSONDecodeError as exc:
                raise ComposerError(f"{path}:{number} is not JSON ({exc.msg})") from None
            if "prompt" not in entry:
                raise ComposerError(f"{path}:{number} has no 'prompt'")
            prompts.append(entry)
    if not prompts:
        raise ComposerError(f"{path} holds no prompts")
    return prompts


def analyse(path: Path) -> dict[str, Any]:
    """What the MIDI file itself says."""
    import pretty_midi
    from music21 import converter

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pm = pretty_midi.PrettyMIDI(str(path))
    stream = converter.parse(str(path))
    keys = {}
    for method in ("key", "krumhansl"):
        found = stream.analyze(method)
        keys[method] = (found.tonic.pitchClass, found.mode)
    notes = [n for i in pm.instruments for n in i.notes]
    duration = max((n.end for n in notes), default=0.0)
    signatures = pm.time_signature_changes
    return {
        "keys": keys,
        "tempo": float(pm.get_tempo_changes()[1][0]) if len(pm.get_tempo_changes()[1]) else None,
        "meter": f"{signatures[0].numerator}/{signatures[0].denominator}" if signatures else None,
        "programs": {-1 if i.is_drum else i.program for i in pm.instruments if i.notes},
        "notes_per_second": len(notes) / duration if duration else 0.0,
        "mean_velocity": statistics.fmean(n.velocity for n in notes) if notes else 0.0,
    }


def _has(programs: set[int], family: str) -> bool:
    if family == "drums":
        return -1 in programs
    return bool(programs & FAMILIES.get(family, set()))


def judge(entry: dict[str, Any], found: dict[str, Any], median_density: float) -> dict[str, bool]:
    """One check per expectation in `entry`; the key checks pass when music21's default analysis agrees."""
    from composer.pipeline import parse_key

    checks: dict[str, bool] = {}
    default_key = found["keys"]["key"]
    if "key" in entry:
        pc, mode, _ = parse_key(entry["key"])
        checks["key"] = default_key == (pc, mode)
        checks["key_krumhansl"] = found["keys"]["krumhansl"] == (pc, mode)
    if "mode" in entry:
        checks["mode"] = default_key[1] == entry["mode"]
    tempo = found["tempo"] or 0.0
    if "tempo_range" in entry:
        low, high = entry["tempo_range"]
        checks["tempo_in_range"] = low <= tempo <= high
    if "tempo_min" in entry:
        checks["tempo_min"] = tempo >= entry["tempo_min"]
    if "tempo_max" in entry:
        checks["tempo_max"] = tempo <= entry["tempo_max"]
    if "meter" in entry:
        checks["meter"] = found["meter"] == entry["meter"]
    programs = found["programs"]
    if "instruments" in entry:
        checks["instruments"] = all(_has(programs, f) for f in entry["instruments"])
    if "instruments_any" in entry:
        checks["instruments_any"] = any(_has(programs, f) for f in entry["instruments_any"])
    if "instruments_only" in entry:
        allowed = entry["instruments_only"]
        checks["instruments_only"] = all(any(_has({p}, f) for f in allowed) for p in programs)
    if "density" in entry:
        checks["density"] = (found["notes_per_second"] <= median_density if entry["density"] == "low"
                             else found["notes_per_second"] >= median_density)
    if "velocity" in entry:
        checks["velocity"] = (found["mean_velocity"] <= 72 if entry["velocity"] == "soft"
                              else found["mean_velocity"] >= 85)
    return checks


EXPLICIT_CHECKS = ("key", "tempo_in_range", "meter", "instruments")
IMPLICIT_CHECKS = ("mode", "tempo_min", "tempo_max", "density", "velocity", "instruments_any", "instruments_only")


def evaluate(prompts: list[dict[str, Any]], out_dir: Path, seeds: tuple[int, ...] = (0, 1, 2),
             on_progress: Callable[[int, int], None] | None = None,
             generate: Callable[..., Any] | None = None) -> dict[str, Any]:
    """Generate every prompt with every seed into `out_dir`, analyse the files, and report rates (%)."""
    from composer.pipeline import compose

    generate = generate or compose
    out_dir.mkdir(parents=True, exist_ok=True)
    runs = []
    total = len(prompts) * len(seeds)
    for entry in prompts:
        for seed in seeds:
            path = out_dir / f"{entry.get('id', 'prompt')}-{seed}.mid"
            generate(entry["prompt"], seed=seed).save_midi(path)
            runs.append((entry, seed, analyse(path)))
            if on_progress:
                on_progress(len(runs), total)
    median_density = statistics.median(found["notes_per_second"] for _, _, found in runs)
    judged = [Judged(str(entry.get("id")), entry.get("kind", "explicit"), judge(entry, found, median_density),
                     {k: (sorted(v) if isinstance(v, set) else v) for k, v in found.items()})
              for entry, _, found in runs]
    rates: dict[str, dict[str, float]] = {}
    for kind in ("explicit", "implicit"):
        for check in {c for j in judged if j.kind == kind for c in j.checks}:
            results = [j.checks[check] for j in judged if j.kind == kind and check in j.checks]
            rates.setdefault(kind, {})[check] = round(100 * sum(results) / len(results), 1)
    implicit = [ok for j in judged if j.kind == "implicit" for c, ok in j.checks.items() if c in IMPLICIT_CHECKS]
    return {
        "prompts": len(prompts), "seeds": list(seeds), "median_notes_per_second": round(median_density, 3),
        "rates": rates,
        "implicit_expectations_met": round(100 * sum(implicit) / len(implicit), 1) if implicit else None,
        "failures": [{"id": j.id, "failed": [c for c, ok in j.checks.items() if not ok], "found": j.found}
                     for j in judged if not all(j.checks.values())],
    }
