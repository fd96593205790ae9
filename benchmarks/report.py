"""Rewrites the README's Results section from benchmarks/results/*.json, so no figure is typed by hand.

Run: .venv/bin/python benchmarks/report.py   (make bench runs it last)
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"
BEGIN, END = "<!-- results:begin -->", "<!-- results:end -->"


def render_section(result: dict) -> str:
    m = result["machine"]
    return "\n".join([
        f"**Rendering** (`benchmarks/render.py`, {result['date'][:10]}, {m['cpu']}, {m['cores']} cores): "
        f"a {result['music_seconds']:.0f}-second piece, {result['instruments']} instruments, "
        f"{result['notes']} notes, soundfont `{Path(result['soundfont']).name}`; {result['settings']}.",
        "",
        "| renderer | seconds | real-time factor |",
        "|---|---:|---:|",
        f"| composer, synth warm | {result['composer_warm_seconds']:.3f} | {result['composer_realtime_factor']}x |",
        f"| composer, including soundfont load | {result['composer_cold_seconds']:.3f} "
        f"| {result['composer_cold_realtime_factor']}x |",
        f"| pretty_midi `fluidsynth()` (peer, same run) | {result['pretty_midi_seconds']:.3f} "
        f"| {result['pretty_midi_realtime_factor']}x |",
        "",
        f"Floor: {result['floor_realtime_factor']:.0f}x real time, "
        f"{'met' if result['meets_floor'] else '**not met**'}.",
    ])


def model_section(result: dict) -> str:
    ckpt = result["checkpoint"]
    lines = [
        f"**Held-out NLL** (`benchmarks/model.py`, {result['date'][:10]}): test split, "
        f"{result['test_versions']} pieces, "
        f"{result['test_tokens']} tokens, {result['test_notes']} notes; checkpoint after {ckpt.get('trained_steps')} "
        f"steps ({ckpt.get('tokens_seen')} training tokens). The n-gram's order and discount were chosen on the "
        "validation split.",
        "",
        "| model | nats/token | nats/note |",
        "|---|---:|---:|",
    ]
    for name, row in result["models"].items():
        lines.append(f"| {name} | {row['nll_per_token']:.4f} | {row['nll_per_note']:.3f} |")
    sources = sorted(next(iter(result["models"].values()))["per_source"])
    lines += ["", "Per source, nats/token:", "",
              "| source | tokens | " + " | ".join(result["models"]) + " |",
              "|---|---:|" + "---:|" * len(result["models"])]
    for source in sources:
        cells = [f"{result['models'][m]['per_source'][source]['nll_per_token']:.3f}" for m in result["models"]]
        tokens = next(iter(result["models"].values()))["per_source"][source]["tokens"]
        lines.append(f"| {source} | {tokens} | " + " | ".join(cells) + " |")
    lines += ["", f"The model {'beats' if result['model_beats_best_ngram'] else '**does not yet beat**'} "
              "the best n-gram without any conditioning."]
    return "\n".join(lines)


def decode_section(result: dict) -> str:
    speeds = result["tokens_per_second"]
    nll = result.get("stepwise_test_nll")
    lines = [
        f"**Decode speed** (`benchmarks/decode.py`, {result['date'][:10]}, {result['machine']['cpu']}, "
        f"{result['machine']['cores']} cores): batch 1, sampling {result['tokens_per_run']} tokens, "
        f"{result['parameters'] / 1e6:.1f} M parameters ({result['model']}); {result['repeats']} runs of each, "
        "interleaved so that all meet the same machine (this VM's speed drifts by 2-3x over minutes).",
        "",
        "| decoder | median tokens/s | best |",
        "|---|---:|---:|",
        f"| composer, int8 weights (default) | {speeds['composer']['median']} | {speeds['composer']['best']} |",
        f"| composer, float weights | {speeds['composer_float']['median']} | {speeds['composer_float']['best']} |",
        f"| HF `GPT2LMHeadModel.generate`, same size, random weights (peer) "
        f"| {speeds['gpt2']['median']} | {speeds['gpt2']['best']} |",
        "",
        f"Ratio (medians) {result['ratio']}x. Floor: {result['floor_tokens_per_second']:.0f} tokens/s and "
        f"{result['floor_ratio']:.0f}x the peer: {'met' if result['meets_floor'] else '**not met**'}.",
    ]
    if nll:
        lines += ["", f"Held-out NLL of the same {nll['tokens']} test tokens decoded step by step: float "
                      f"{nll['float']:.4f}, int8 {nll['int8']:.4f} nats/token."]
    return "\n".join(lines)


def constraints_section(result: dict) -> str:
    compliance = result["compliance"]
    accuracy = result["key_accuracy_music21"]
    names = {"decodable": "decodable MIDI with notes", "in_scale": "pitched notes in the scale (strict)",
             "in_range": "notes within the instrument's range", "instruments": "only the requested instruments",
             "exact_bars": "exactly the requested bars", "polyphony": "polyphony caps held"}
    lines = [
        f"**Constraints** (`benchmarks/constraints.py`, {result['date'][:10]}): {result['generations']} generations "
        "with random keys, meters, bar counts (2-8), 1-3 instruments and seeds, judged from the written MIDI "
        "files alone (pretty_midi, mido).",
        "",
        "| hard constraint | held in |",
        "|---|---:|",
        *[f"| {names.get(k, k)} | {v}% |" for k, v in compliance.items()],
        "",
        f"Key accuracy by music21's own `analyze('key')` of the MIDI files ({accuracy['pairs']} pieces, same settings "
        f"and seeds, the key control token given both times): {accuracy['key_constraint_on']}% with the key "
        f"constraints, {accuracy['key_constraint_off']}% without. The filters took "
        f"{result['constraint_share_of_sampling']}% of sampling time (limit 25%).",
    ]
    return "\n".join(lines)


def prompts_section(result: dict) -> str:
    rates = result["rates"]
    floors = result["floors"]
    lines = [
        f"**Text control** (`benchmarks/prompts.py`, {result['date'][:10]}): the {result['prompts']} prompts of "
        f"`{result['prompt_file']}`, {len(result['seeds'])} seeds each, every MIDI file judged on its own "
        "(music21 key analysis; tempo, meter, programs and velocities read by pretty_midi).",
        "",
        "| prompts | check | met | floor |",
        "|---|---|---:|---:|",
    ]
    for kind in ("explicit", "implicit"):
        for name, rate in sorted(rates.get(kind, {}).items()):
            floor = floors.get(name) if kind == "explicit" else None
            lines.append(f"| {kind} | {name} | {rate}% | {f'{floor:.0f}%' if floor else ''} |")
    lines += ["", f"Implicit expectations met overall: {result['implicit_expectations_met']}% (floor 85%). "
                  f"`key` is music21's default analysis (Aarden-Essen), `key_krumhansl` Krumhansl-Schmuckler. "
                  f"Floors: {'met' if result['meets_floors'] else '**not met**'}."]
    return "\n".join(lines)


def continuation_section(result: dict) -> str:
    kept = result["kept"]
    return (f"**Continuation** (`benchmarks/continuation.py`, {result['date'][:10]}): {result['runs']} held-out "
            "(test-split) corpus pieces cut to 8 bars and continued by 8, the continued part judged on its own "
            f"from the written file: key kept (music21's default analysis) {kept['key']}% "
            f"(Krumhansl-Schmuckler {kept.get('key_krumhansl', '-')}%), meter {kept['meter']}%, programs "
            f"{kept['programs']}%; all three {result['kept_all_percent']}% (floor 95%).")


def generate_section(result: dict) -> str:
    return (f"**Generation speed** (`benchmarks/generate.py`, {result['date'][:10]}): with the model and text "
            f"encoder loaded, 16 bars for 4 instruments take {result['warm_16_bars_4_instruments_seconds']} s "
            f"(median of 5, key-check samples included; floor 3 s). A cold `composer generate` of 8 bars takes "
            f"{result['cold_8_bars_seconds']} s (floor 8 s) with a peak of {result['cold_peak_memory_mb']} MB "
            f"(floor 1.5 GB). Floors: {'met' if result['meets_floors'] else '**not met** (the cold start)'}.")


SECTIONS = {"render": render_section, "model": model_section, "decode": decode_section,
            "constraints": constraints_section, "prompts": prompts_section, "continuation": continuation_section,
            "generate": generate_section}


def main() -> int:
    parts = []
    for name, section in SECTIONS.items():
        path = RESULTS / f"{name}.json"
        if path.exists():
            parts.append(section(json.loads(path.read_text())))
    readme = ROOT / "README.md"
    text = readme.read_text()
    if BEGIN not in text or END not in text:
        print(f"README.md has no {BEGIN} ... {END} block", file=sys.stderr)
        return 1
    body = "\n\n".join(parts) if parts else "_No benchmark results yet: run `make bench`._"
    text = re.sub(re.escape(BEGIN) + ".*?" + re.escape(END), f"{BEGIN}\n{body}\n{END}", text, flags=re.S)
    readme.write_text(text)
    print(f"README.md results updated from {len(parts)} result file(s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
