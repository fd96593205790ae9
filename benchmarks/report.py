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


SECTIONS = {"render": render_section}


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
