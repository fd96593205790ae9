"""What a musicality run shows a person: the table, a metric plot, a piano-roll contact sheet, bar listings."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pretty_midi

PERCENT_KEYS = {"bass_in_range", "bass_lowest", "bass_root", "voice_crossing", "co_sounding", "melody_step",
                "melody_leap", "melody_octave", "melody_unison", "chord_tone_strong", "onset_repeat", "pitch_repeat",
                "texture_repeat", "clash_rate", "keyboard_chords", "ending_tonic", "ending_full", "seventh_share",
                "cadence_share"}
NOTE_NAMES = ("C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B")


def _cell(key: str, value: dict[str, Any]) -> str:
    mean = value["mean"]
    if mean is None:
        return "–"
    return f"{100 * mean:.0f}%" if key in PERCENT_KEYS else f"{mean:.2f}" if mean < 10 else f"{mean:.1f}"


def table_lines(result: dict[str, Any]) -> list[str]:
    """A Markdown table: each headline metric, generated conditions beside each reference group."""
    groups = list(result["groups"])
    lines = ["| measure | " + " | ".join(groups) + " |", "|---|" + "---:|" * len(groups)]
    for key, row in result["headlines"].items():
        mark = " ‡" if row["not_moved_beyond_random"] else ""
        cells = [_cell(key, row["values"][g]) for g in groups]
        lines.append(f"| {row['label']}{mark} | " + " | ".join(cells) + " |")
    sets, references = result["prompt_sets"], result.get("reference_sets", {})
    # (label, key, format, shown for the references): counts depend on how many pieces a group has, shares do not
    for label, key, fmt, real in (("distinct keys", "distinct_keys", "{:.0f}", False),
                                  ("distinct 4-bar chord-root progressions", "distinct_progressions", "{:.0f}", False),
                                  ("distinct opening 4-bar progressions", "distinct_openings", "{:.0f}", False),
                                  ("4-bar windows that are distinct", "distinct_window_share", "{:.0%}", True),
                                  ("bars on the default I-IV-I-V plan", "default_plan_share", "{:.0%}", False),
                                  ("pieces heard in C major or A minor", "c_major_or_a_minor", "{:.0%}", False),
                                  ("jazz prompts: bars on a seventh chord", "jazz_seventh_share", "{:.0%}", False)):
        found = {**(references if real else {}), **sets}
        cells = [fmt.format(found[g][key]) if g in found and found[g].get(key) is not None else "–" for g in groups]
        lines.append(f"| {label} (prompt set) | " + " | ".join(cells) + " |")
    return lines


def plot_metrics(result: dict[str, Any], path: Path) -> Path:
    """One small bar chart per headline metric: every generated condition beside every reference group."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    groups = list(result["groups"])
    colours = ["#d62728", "#ff9896", "#c49c94", "#1f77b4", "#2ca02c", "#9467bd", "#8c564b", "#17becf"]
    rows = list(result["headlines"].items())
    columns = 4
    fig, axes = plt.subplots(-(-len(rows) // columns), columns, figsize=(16, 2.6 * -(-len(rows) // columns)))
    for ax, (_, row) in zip(axes.flat, rows, strict=False):
        means = [row["values"][g]["mean"] for g in groups]
        errors = [row["values"][g]["se"] or 0.0 for g in groups]
        ax.bar(range(len(groups)), [m if m is not None else 0 for m in means], yerr=errors,
               color=colours[:len(groups)], capsize=2)
        ax.set_title(row["label"] + (" ‡" if row["not_moved_beyond_random"] else ""), fontsize=8)
        ax.set_xticks(range(len(groups)), groups, rotation=45, ha="right", fontsize=7)
        ax.tick_params(axis="y", labelsize=7)
    for ax in list(axes.flat)[len(rows):]:
        ax.axis("off")
    fig.suptitle("Musicality: generated (red) beside real music (blue, green, purple, brown); "
                 "‡ = the model does not move it beyond masked random", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=80)
    plt.close(fig)
    return path


def read_midi_quietly(file: str) -> pretty_midi.PrettyMIDI:
    with warnings.catch_warnings():  # key signatures outside track 0 are legal SMF; pretty_midi warns of them
        warnings.filterwarnings("ignore", "Tempo, Key or Time signature change events", RuntimeWarning)
        return pretty_midi.PrettyMIDI(file)


def contact_sheet(files: list[str], path: Path, columns: int = 8) -> Path:
    """Every file's piano roll in one picture (one colour a part, drums left out), named under each."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = -(-len(files) // columns)
    fig, axes = plt.subplots(rows, columns, figsize=(2.4 * columns, 1.9 * rows), squeeze=False)
    for ax, file in zip(axes.flat, files, strict=False):
        midi = read_midi_quietly(file)
        for index, instrument in enumerate(i for i in midi.instruments if not i.is_drum):
            for note in instrument.notes:
                ax.plot([note.start, note.end], [note.pitch, note.pitch], color=f"C{index % 10}", linewidth=1.2)
        ax.set_title(Path(file).stem, fontsize=7)
        ax.set_ylim(24, 100)
        ax.set_xticks([])
        ax.tick_params(axis="y", labelsize=6)
    for ax in list(axes.flat)[len(files):]:
        ax.axis("off")
    fig.tight_layout()
    fig.savefig(path, dpi=70)
    plt.close(fig)
    return path


def note_name(pitch: int) -> str:
    return f"{NOTE_NAMES[pitch % 12]}{pitch // 12 - 1}"


def bar_listing(file: str) -> list[str]:
    """A piece bar by bar: each pitched part's notes as name@beat-in-bar (duration in beats)."""
    midi = read_midi_quietly(file)
    resolution = midi.resolution
    signature = midi.time_signature_changes[0] if midi.time_signature_changes else None
    bar_beats = signature.numerator * 4 / signature.denominator if signature else 4.0
    parts = [i for i in midi.instruments if not i.is_drum and i.notes]
    last = max((midi.time_to_tick(n.end) for p in parts for n in p.notes), default=0) / resolution
    lines = [f"== {Path(file).name}"]
    for bar in range(int(np.ceil(last / bar_beats))):
        lines.append(f"bar {bar + 1}")
        for part in parts:
            notes = []
            for n in part.notes:
                start = midi.time_to_tick(n.start) / resolution
                if bar * bar_beats <= start < (bar + 1) * bar_beats:
                    length = midi.time_to_tick(n.end) / resolution - start
                    notes.append(f"{note_name(n.pitch)}@{start - bar * bar_beats:g}({length:g})")
            lines.append(f"  {part.name or pretty_midi.program_to_instrument_name(part.program)}: "
                         + (" ".join(notes) or "-"))
    return lines


def write_pictures(result: dict[str, Any], out_dir: Path) -> dict[str, str]:
    """The plot, a contact sheet per generated condition and one of the references, and the listings."""
    written = {"plot": str(plot_metrics(result, out_dir / "musicality.png"))}
    references = []
    for name, group in result["groups"].items():
        if group["kind"] == "reference":
            references += group["files"]
            continue
        slug = name.replace(" ", "-")
        written[f"sheet {name}"] = str(contact_sheet(group["files"], out_dir / f"sheet-{slug}.png"))
        listing = out_dir / f"bars-{slug}.txt"
        listing.write_text("\n".join(line for f in group["files"] for line in bar_listing(f)) + "\n")
        written[f"bars {name}"] = str(listing)
    if references:
        written["sheet references"] = str(contact_sheet(references, out_dir / "sheet-references.png"))
    return written
