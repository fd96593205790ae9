"""Rewrites the README's Results section from benchmarks/results/*.json, so no figure is typed by hand, and
draws its charts (benchmarks/results/*.png: evaluation metrics, control accuracy, speed, example piano rolls).

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
        "| model | nats/token | nats/note | nats/note given the chords |",
        "|---|---:|---:|---:|",
    ]
    for name, row in result["models"].items():
        given = row.get("nll_per_note_given_chords")
        lines.append(f"| {name} | {row['nll_per_token']:.4f} | {row['nll_per_note']:.3f} | "
                     f"{'–' if given is None else f'{given:.3f}'} |")
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
    previous = result.get("previous")
    if previous:
        lines += ["", f"The previous checkpoint (REMI without roles or chords, `{previous['file']}`) on the same test "
                  f"pieces: {previous['nll_per_note']:.3f} nats/note with its control tokens, "
                  f"{previous['nll_per_note_no_condition']:.3f} without."]
    return "\n".join(lines)


def training_section(result: dict) -> str:
    """The shipped model's training record (training.json, from benchmarks/training_record.py)."""
    args = result["model_args"]
    phases = "; ".join(f"steps {p['first_step']}-{p['last_step']}" for p in result["phases"])
    return (f"**Training record** (`benchmarks/training_record.py`, {result['date'][:10]}, "
            f"{result['machine']['cpu']}, {result['machine']['cores']} cores): {result['steps']} steps, "
            f"{result['tokens_seen']:,} tokens seen, {result['minutes']:.0f} minutes ({phases}); "
            f"{args['n_layer']} layers, width {args['d_model']}, {args['n_head']} heads, context "
            f"{args['block_size']}; last validation loss {result['last_valid_loss']}. {result.get('note', '')}\n\n"
            f"![loss curves]({result['picture']})")


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
             "in_key": "pitched notes in the scale or a planned borrowed chord",
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
    if "part_presence" in result:
        texture = result["part_presence"]
        off = texture.get("coverage_off", {})
        lines += ["", f"Texture: the {texture['parts']} parts of the pieces with two or more pitched parts sound in "
                      f"{texture['bars_sounding_percent']}% of their bars, and "
                      f"{texture['parts_in_80_percent_of_bars']}% of them in at least 80% of their bars. With the "
                      f"coverage bias off (same settings and seeds): {off.get('bars_sounding_percent', '-')}% and "
                      f"{off.get('parts_in_80_percent_of_bars', '-')}%; the trained model alone keeps to one "
                      "instrument."]
    return "\n".join(lines)


def control_section(result: dict) -> str:
    """Text control (eval.json's control part): the prompt file's checks, then the Text2midi-style table."""
    control = result["control"]
    rates, floors = control["rates"], control["floors"]
    lines = [
        f"**Text control** (`benchmarks/eval.py`, {result['date'][:10]}): the {control['prompts']} prompts of "
        f"`{control['prompt_file']}`, {len(control['seeds'])} seeds each, every MIDI file judged on its own "
        "(music21 key analysis and the key signature; tempo, meter, programs and velocities read by pretty_midi).",
        "",
        "| prompts | check | met | floor |",
        "|---|---|---:|---:|",
    ]
    for kind in ("explicit", "implicit"):
        for name, rate in sorted(rates.get(kind, {}).items()):
            floor = floors.get(name) if kind == "explicit" else None
            lines.append(f"| {kind} | {name} | {rate}% | {f'{floor:.0f}%' if floor else ''} |")
    lines += ["", f"Implicit expectations met overall: {control['implicit_expectations_met']}% (floor 85%). "
                  "`key` is music21's default analysis (Aarden-Essen), `key_krumhansl` Krumhansl-Schmuckler. "
                  f"Floors: {'met' if control['meets_floors'] else '**not met**'}.", ""]
    published = control["published"]
    names = {"CK": "CK: key tonic and mode (music21 default analysis)", "key_signature": "key signature in the file",
             "TB": "TB: tempo in the asked MidiCaps bin", "TBT": "TBT: that bin or a neighbour",
             "tempo_10pct": "tempo within 10% of the asked BPM (or bin)", "meter": "meter",
             "instrument_precision": "instrument precision", "instrument_recall": "instrument recall",
             "instrument_f1": "instrument F1"}
    lines += ["Control accuracy in the terms of Text2midi's paper. TB and TBT apply to prompts that name a BPM or "
              "a MidiCaps tempo word (Grave ... Prestissimo: bins at 40, 60, 70, 90, 110, 140, 160 and 210 BPM). "
              "The Text2midi and MuseCoco columns are **published figures, not re-measured**, on the MidiCaps test "
              "captions rather than these prompts. `composer eval control --prompts FILE` prints the same table.", "",
              "| measure | composer | files | " + " | ".join(f"{s} (published)" for s in published) + " |",
              "|---|---:|---:|" + "---:|" * len(published)]
    for name, label in names.items():
        if name in control["control"]:
            row = control["control"][name]
            theirs = " | ".join(f"{published[s][name]}%" if name in published[s] else "" for s in published)
            lines.append(f"| {label} | {row['percent']}% | {row['files']} | {theirs} |")
    lines += ["", "![Control accuracy](benchmarks/results/control.png)"]
    return "\n".join(lines)


def music_section(result: dict) -> str:
    """Generated vs held-out music (eval.json's music part)."""
    music = result["music"]
    generated, heldout = music["metrics"]["generated"], music["metrics"]["heldout"]
    ours = music["distributions"]["generated_vs_heldout"]
    reference = music["distributions"].get("heldout_half_vs_half")  # absent below 10 pieces a side
    nll = music["nll"]
    lines = [
        f"**Generated vs held-out music** (`benchmarks/eval.py`, {result['date'][:10]}): {music['n']} pieces "
        f"generated with each of {music['n']} held-out test-split pieces' key, meter, tempo and instruments "
        f"({music['bars']} bars, no prompt, constraints on), against those pieces' first {music['bars']} bars "
        f"(from `{music['heldout_source']}`; `composer eval music --n {music['n']}` runs the same). Per-piece "
        "metrics by MusPy (mean ± standard deviation):",
        "",
        "| metric | generated | held-out corpus (reference) |",
        "|---|---:|---:|",
    ]
    for name in generated:
        g, h = generated[name], heldout[name]
        lines.append(f"| {name.replace('_', ' ')} | {g['mean']:.3f} ± {g['std']:.3f} "
                     f"| {h['mean']:.3f} ± {h['std']:.3f} |")
    lines += ["", "Yang & Lerch (2020): overlapping area (OA, higher is closer) and KL divergence (KLD, lower is "
                  "closer) between the generated-to-held-out distances and the held-out set's own distances, per "
                  "feature; the reference row compares one half of the held-out set with the other.", "",
              "| feature | OA | KLD | held-out halves OA | held-out halves KLD |", "|---|---:|---:|---:|---:|"]
    for name in ours:
        theirs = (f"{reference[name]['overlap_area']:.3f} | {reference[name]['kl_divergence']:.3f}" if reference
                  else "n/a | n/a")
        lines.append(f"| {name.replace('_', ' ')} | {ours[name]['overlap_area']:.3f} "
                     f"| {ours[name]['kl_divergence']:.3f} | {theirs} |")
    lines += ["", f"Held-out NLL of the same {nll['pieces']} pieces ({nll['tokens']} tokens): "
                  f"{nll['nll_per_token']:.4f} nats/token, {nll['nll_per_token_with_controls']:.4f} with their "
                  "control tokens. Floors (generated "
                  f"scale consistency >= {music['floors']['generated_scale_consistency']}, NLL <= "
                  f"{music['floors']['heldout_nll_per_token']}): {'met' if music['meets_floors'] else '**not met**'}.",
              "", "![Generated vs held-out metrics](benchmarks/results/eval_metrics.png)"]
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
            f"{result['cold_8_bars_seconds']} s (median of {len(result.get('cold_runs', [0]))}, slowest "
            f"{result.get('cold_8_bars_slowest_seconds', result['cold_8_bars_seconds'])} s; floor 8 s) with a "
            f"peak of {result['cold_peak_memory_mb']} MB (floor 1.5 GB). "
            f"Floors: {'met' if result['meets_floors'] else '**not met**'}."
            + (f" Inside `compose` (masks, key check and MIDI included) it samples "
               f"{result['warm_tokens_per_second']:.0f} tokens a second (floor 1,000: "
               f"{'met' if result['meets_token_rate'] else '**not met**'})."
               if "warm_tokens_per_second" in result else ""))


def _save(fig, name: str) -> Path:  # type: ignore[no-untyped-def]
    from composer.core.atomic import atomic_output

    path = RESULTS / name
    with atomic_output(path) as tmp:
        fig.savefig(tmp, format="png", dpi=110, bbox_inches="tight")
    return path


PUBLISHED_STYLE = {"hatch": "//", "alpha": 0.55, "edgecolor": "black"}  # published figures look different


def plot_eval_metrics(result: dict):  # type: ignore[no-untyped-def]
    import matplotlib.pyplot as plt

    music = result["music"]
    generated, heldout = music["metrics"]["generated"], music["metrics"]["heldout"]
    fig = plt.figure(figsize=(13, 6.5))
    grid = fig.add_gridspec(2, len(generated), height_ratios=[1, 1.1], hspace=0.45, wspace=0.55)
    for column, name in enumerate(generated):
        ax = fig.add_subplot(grid[0, column])
        for x, (label, row, colour) in enumerate((("generated", generated[name], "tab:blue"),
                                                  ("held-out", heldout[name], "tab:gray"))):
            low = min(row["std"], row["mean"])  # a spread below zero means nothing for these measures
            ax.bar(x, row["mean"], yerr=[[low], [row["std"]]], color=colour, capsize=4, label=label)
        ax.set_xticks([0, 1], ["gen.", "held-out"], fontsize=9)
        ax.set_title(name.replace("_", " "), fontsize=10)
        ax.set_ylim(bottom=0)
        ax.tick_params(axis="y", labelsize=8)
    ax = fig.add_subplot(grid[1, :])
    features = list(music["distributions"]["generated_vs_heldout"])
    for offset, (key, label, colour) in enumerate((("generated_vs_heldout", "generated vs held-out", "tab:blue"),
                                                   ("heldout_half_vs_half", "held-out half vs half (reference)",
                                                    "tab:gray"))):
        if key not in music["distributions"]:
            continue
        values = [music["distributions"][key][f]["overlap_area"] for f in features]
        bars = ax.bar([i + 0.38 * offset for i in range(len(features))], values, width=0.36, color=colour, label=label)
        ax.bar_label(bars, fmt="%.2f", fontsize=8)
    ax.set_xticks([i + 0.19 for i in range(len(features))], [f.replace("_", " ") for f in features], fontsize=9)
    ax.set_ylim(0, 1.3)
    ax.set_yticks([0, 0.2, 0.4, 0.6, 0.8, 1.0])
    ax.set_ylabel("overlapping area (1 = same)")
    ax.set_title("Yang & Lerch distance distributions: overlap with the held-out set's own variety", fontsize=10)
    ax.legend(fontsize=9, loc="upper center", ncol=2, frameon=False)
    fig.suptitle(f"MusPy metrics, {music['n']} generated vs {music['n']} held-out pieces ({music['bars']} bars): "
                 "mean ± sd", fontsize=11)
    return _save(fig, "eval_metrics.png")


def plot_control(result: dict):  # type: ignore[no-untyped-def]
    import matplotlib.pyplot as plt

    control = result["control"]
    ours, published = control["control"], control["published"]
    measures = [m for m in ("CK", "TB", "TBT") if m in ours]
    extra = [m for m in ("key_signature", "tempo_10pct", "meter", "instrument_precision", "instrument_recall",
                         "instrument_f1") if m in ours]
    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4.2), gridspec_kw={"width_ratios": [3, 3]})
    systems = [("composer (measured)", {m: ours[m]["percent"] for m in measures}, {"color": "tab:blue"})]
    systems += [(f"{name} (published, not re-measured)", figures, dict(PUBLISHED_STYLE, color=colour))
                for (name, figures), colour in zip(published.items(), ("tab:orange", "tab:green"), strict=False)]
    width = 0.8 / len(systems)
    for index, (label, figures, style) in enumerate(systems):
        bars = left.bar([i + width * index for i in range(len(measures))], [figures.get(m, 0) for m in measures],
                        width=width, label=label, **style)
        left.bar_label(bars, fmt="%.1f", fontsize=8)
    left.set_xticks([i + width * (len(systems) - 1) / 2 for i in range(len(measures))], measures)
    left.set_ylim(0, 115)
    left.set_ylabel("% of files")
    left.set_title("Text2midi's control measures", fontsize=10)
    left.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.09), ncol=2, frameon=False)
    labels = {"tempo_10pct": "tempo within 10%", "instrument_f1": "instrument F1"}
    bars = right.barh([labels.get(m, m.replace("_", " ")) for m in extra], [ours[m]["percent"] for m in extra],
                      color="tab:blue")
    right.bar_label(bars, fmt="%.1f%%", fontsize=8)
    right.set_xlim(0, 115)
    right.invert_yaxis()
    right.set_title("composer's other control checks (measured)", fontsize=10)
    fig.suptitle(f"Text control: {control['prompts']} prompts x {len(control['seeds'])} seeds "
                 "(published figures are on MidiCaps captions)", fontsize=11)
    fig.tight_layout()
    return _save(fig, "control.png")


def _bar_panel(ax, labels: list[str], values: list[float], fmt: str, title: str,  # type: ignore[no-untyped-def]
               floor: float | None = None) -> None:
    """One speed panel: composer's bars (blue, cyan) beside the peer's (gray), labelled, with a floor line."""
    bars = ax.bar(labels, values, color=["tab:blue", "tab:cyan", "tab:gray"][:len(values)])
    ax.bar_label(bars, fmt=fmt, fontsize=8)
    ax.set_title(title, fontsize=10)
    if floor is not None:
        ax.axhline(floor, color="red", linestyle="--", linewidth=1, label="floor")
        ax.legend(fontsize=8)


def plot_speed(decode: dict | None, render: dict | None, generate: dict | None):  # type: ignore[no-untyped-def]
    import matplotlib.pyplot as plt

    panels = [p for p in (decode, render, generate) if p]
    fig, axes = plt.subplots(1, len(panels), figsize=(4.6 * len(panels), 3.6), squeeze=False)
    axes = list(axes[0])
    if decode:
        speeds = decode["tokens_per_second"]
        _bar_panel(axes.pop(0), ["composer\nint8", "composer\nfloat", "GPT-2 generate\n(peer)"],
                   [speeds[k]["median"] for k in ("composer", "composer_float", "gpt2")], "%.0f",
                   "decode, batch 1 (median tokens/s)", decode["floor_tokens_per_second"])
    if render:
        _bar_panel(axes.pop(0), ["composer\nwarm", "composer\ncold", "pretty_midi\n(peer)"],
                   [render[k] for k in ("composer_realtime_factor", "composer_cold_realtime_factor",
                                        "pretty_midi_realtime_factor")], "%.0fx",
                   "audio rendering (x real time)", render["floor_realtime_factor"])
    if generate:
        ax = axes.pop(0)
        _bar_panel(ax, ["16 bars, 4 parts\n(model loaded)", "8 bars, cold\n`composer generate`"],
                   [generate["warm_16_bars_4_instruments_seconds"], generate["cold_8_bars_seconds"]], "%.2f s",
                   "generation (seconds)")
        for x, floor in enumerate((generate["floors"]["warm_seconds"], generate["floors"]["cold_seconds"])):
            ax.plot([x - 0.4, x + 0.4], [floor, floor], color="red", linestyle="--", linewidth=1,
                    label="floor" if x == 0 else None)
        ax.legend(fontsize=8)
    fig.tight_layout()
    return _save(fig, "speed.png")


def plot_examples():  # type: ignore[no-untyped-def]
    """The examples' piano rolls stacked at their own pixel size (no resampling), each under its name."""
    import matplotlib.image as mpimg
    import matplotlib.pyplot as plt

    rolls = [sorted(folder.glob("*.png"))[0] for folder in sorted((ROOT / "examples").iterdir())
             if folder.is_dir() and any(folder.glob("*.png"))]
    if not rolls:
        return None
    images = [mpimg.imread(p) for p in rolls]
    title, dpi = 26, 110  # pixels above each roll for its name; pixels per inch
    width = max(i.shape[1] for i in images)
    height = sum(i.shape[0] + title for i in images)
    fig = plt.figure(figsize=(width / dpi, height / dpi), dpi=dpi)
    top = height
    for image, path in zip(images, rolls, strict=True):
        fig.text(4 / width, (top - title / 2) / height, f"{path.parent.name}  ({path.relative_to(ROOT)})",
                 fontsize=10, va="center")
        top -= title + image.shape[0]
        ax = fig.add_axes((0, top / height, image.shape[1] / width, image.shape[0] / height))
        ax.imshow(image, interpolation="nearest")
        ax.set_axis_off()
    path = RESULTS / "examples.png"
    from composer.core.atomic import atomic_output

    with atomic_output(path) as tmp:
        fig.savefig(tmp, format="png", dpi=dpi)
    return path


def charts_section(results: dict[str, dict]) -> str:
    """Draw the charts whose inputs exist; return the README lines showing them."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    lines = []
    if "eval" in results:
        plot_eval_metrics(results["eval"])
        plot_control(results["eval"])
    if any(k in results for k in ("decode", "render", "generate")):
        plot_speed(results.get("decode"), results.get("render"), results.get("generate"))
        lines += ["**Speed** (from decode.json, render.json and generate.json; red dashes are the floors):", "",
                  "![Speed](benchmarks/results/speed.png)"]
    if plot_examples() is not None:
        lines += ["", "**Example piano rolls** (examples/*/, one per example):", "",
                  "![Example piano rolls](benchmarks/results/examples.png)"]
    plt.close("all")
    return "\n".join(lines)


# (result file, section), in README order
def validity_section(result: dict) -> str:
    tools = ", ".join(f"{name} {v['passed']}/{v['passed'] + v['failed']}" for name, v in result["per_tool"].items())
    return (f"**Validity** (`benchmarks/validity.py`, {result['date'][:10]}): {result['requests']} requests (every "
            f"meter, keys to 7 sharps or flats, drums, --loop, --form, --layers, continue, infill), {result['files']} "
            f"files opened by each tool: {tools}; failures: {len(result['failures'])}.")


def serve_section(result: dict) -> str:
    load, killed = result["load"], result["fault_killed_worker"]
    faults = result["fault_requests"]
    return (f"**HTTP service** (`benchmarks/serve.py`, {result['date'][:10]}, loopback, {result['workers']} workers, "
            f"queue {result['queue_limit']}): {load['clients']} clients sent {load['requests']} requests; "
            f"{load['accepted']} accepted and all {load['accepted_done']} completed, {load['rejected_429']} answered "
            f"429 (all with the queue full), {load['server_errors_5xx']} 5xx, {load['files_checked']} files valid "
            f"({load['invalid_files']} invalid). POST latency p50 {load['post_latency_seconds']['p50']} s, p95 "
            f"{load['post_latency_seconds']['p95']} s; submit to done p50 {load['submit_to_done_seconds']['p50']} s, "
            f"p95 {load['submit_to_done_seconds']['p95']} s. A worker killed mid-job: status "
            f"{killed['status']}, {killed['files_left']} files left, worker replaced. Bad requests: "
            f"{sum(f['ok'] for f in faults)}/{len(faults)} got the right 4xx with a message.")


def draw_section(result: dict) -> str:
    overall = result["overall"]
    default = str(result["default_strength"])
    rows = ["| strength | IoU | SSIM | scale consistency | pitch-class entropy | groove consistency |",
            "|---|---:|---:|---:|---:|---:|"]
    musical = ("scale_consistency", "pitch_class_entropy", "groove_consistency")
    for name in ["undrawn", *[str(s) for s in result["strengths"]]]:
        m, change = overall[name], result["musical_change_vs_undrawn"].get(name, {})
        label = f"**{name} (default)**" if name == default else name
        cells = [f"{m[k]:.3f}" + (f" ({change[k]:+.1%})" if k in change else "") for k in musical]
        rows.append(f"| {label} | {m['iou']:.3f} | {m['ssim']:.3f} | " + " | ".join(cells) + " |")
    return (f"**Pictures you can hear** (`benchmarks/draw.py`, {result['date'][:10]}): {len(result['pictures'])} "
            f"pictures x {len(result['seeds'])} seeds, {result['bars']} bars; likeness of the binarised piano roll "
            "to the target grid, and MusPy metrics against undrawn pieces with the same seeds.\n\n" + "\n".join(rows))


def musicality_section(result: dict) -> str:
    sets = f"{result['prompts']} prompts x {len(result['seeds'])} seeds x {result['bars']} bars"
    return (f"**Musicality** (`benchmarks/musicality.py`, {result['date'][:10]}, {result['seconds']:.0f} s on this "
            f"machine; {sets}; references from music21's corpus, first {result['bars']} bars): every piece judged "
            "from its MIDI file. ‡: composer is within two standard errors of masked random (the model's logits "
            "replaced by zeros under the same masks and biases), so the masks, not the model, decide that measure.\n\n"
            + "\n".join(result["table"])
            + "\n\n![Musicality metrics](benchmarks/results/musicality.png)\n\nContact sheets: "
            + ", ".join(f"[{name.removeprefix('sheet ')}]({path})" for name, path in result["pictures"].items()
                        if name.startswith("sheet"))
            + "; bar-by-bar listings: "
            + ", ".join(f"[{name.removeprefix('bars ')}]({path})" for name, path in result["pictures"].items()
                        if name.startswith("bars")) + ".")


def chord_model_section(result: dict) -> str:
    """The chord model's held-out perplexity beside a bigram and a unigram (chord_model.json)."""
    rows = ["| held out | chords | trigram | bigram | unigram |", "|---|---:|---:|---:|---:|"]
    for name, row in result["perplexity"].items():
        if "/" not in name:
            rows.append(f"| {name} | {row['tokens']} | {row['trigram']:.2f} | {row['bigram']:.2f} "
                        f"| {row['unigram']:.2f} |")
    return (f"**Chord model** (`benchmarks/chord_model.py`, {result['date'][:10]}, {result['seconds']:.0f} s): "
            f"{result['model']}; held out by piece ({result['split']['rule']}). Perplexity per chord change:\n\n"
            + "\n".join(rows))


def modes_section(result: dict) -> str:
    """Generations in each mode judged from their files (modes.json)."""
    rows = ["| mode | in mode |", "|---|---:|"]
    rows += [f"| {mode} | {share:.0f}% |" for mode, share in result["in_mode_percent"].items()]
    return (f"**Modes** (`benchmarks/modes.py`, {result['date'][:10]}, {result['seconds']:.0f} s): "
            f"{result['per_mode']} generations a mode, {result['bars']} bars, judged from the MIDI (at least 95% "
            "of the note time on the mode's scale and the tonic lowest in the final sonority); floor "
            f"{result['floor_percent']:.0f}%.\n\n" + "\n".join(rows))


SECTIONS = [("musicality", musicality_section), ("chord_model", chord_model_section), ("modes", modes_section),
            ("render", render_section), ("model", model_section), ("training", training_section),
            ("decode", decode_section),
            ("constraints", constraints_section), ("eval", control_section), ("eval", music_section),
            ("continuation", continuation_section), ("generate", generate_section), ("validity", validity_section),
            ("serve", serve_section), ("draw", draw_section)]


def main() -> int:
    results = {path.stem: json.loads(path.read_text()) for path in sorted(RESULTS.glob("*.json"))}
    parts = [section(results[name]) for name, section in SECTIONS if name in results]
    charts = charts_section(results)
    if charts:
        parts.append(charts)
    readme = ROOT / "README.md"
    text = readme.read_text()
    if BEGIN not in text or END not in text:
        print(f"README.md has no {BEGIN} ... {END} block", file=sys.stderr)
        return 1
    body = "\n\n".join(parts) if parts else "_No benchmark results yet: run `make bench`._"
    text = re.sub(re.escape(BEGIN) + ".*?" + re.escape(END), lambda _: f"{BEGIN}\n{body}\n{END}", text, flags=re.S)
    readme.write_text(text)
    print(f"README.md results updated from {len(results)} result file(s), charts in {RESULTS}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
