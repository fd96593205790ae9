"""Engine-side logic for composer's intensity layers, using nothing but the sidecar JSON files (stdlib only).

Port these few functions to your engine's language: pick the layer(s) and gains for an intensity, and
find the next bar line (in sample frames) so a layer change or a stinger starts on the beat.

    python examples/game/pick_layer.py --demo                     # the table for stealth-low/mid/high
    python examples/game/pick_layer.py 0.45 1000000 a.json b.json  # intensity, playhead (frames), sidecars
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
DEMO_SIDECARS = [HERE / f"stealth-{name}.ogg.json" for name in ("low", "mid", "high")]


def load_layers(paths: list[str | Path]) -> list[dict[str, Any]]:
    """The layers' sidecars, quietest first, checked to share one timeline (same length and loop)."""
    layers = [json.loads(Path(path).read_text(encoding="utf-8")) for path in paths]
    if not layers:
        raise ValueError("give at least one layer sidecar")
    first = layers[0]
    for layer in layers[1:]:
        if layer["duration"]["samples"] != first["duration"]["samples"] or layer["loop"] != first["loop"]:
            raise ValueError(f"{layer['audio']} and {first['audio']} are not layers of one piece")
    return layers


def layer_gains(intensity: float, count: int) -> list[float]:
    """A gain 0..1 per layer for an intensity 0..1: the two nearest layers crossfade linearly.

    Linear (not equal-power) because the layers share their stems sample for sample: the parts two
    neighbouring mixes have in common then stay at exactly full level through the crossfade.
    """
    position = min(max(intensity, 0.0), 1.0) * (count - 1)  # 0 .. count-1, a fractional layer index
    lower = int(position)
    upper = min(lower + 1, count - 1)
    gains = [0.0] * count
    gains[lower] = 1.0 - (position - lower)
    gains[upper] += position - lower
    return gains


def picked_layer(intensity: float, count: int) -> int:
    """The layer to play alone when you do not crossfade: the one with the largest gain."""
    gains = layer_gains(intensity, count)
    return gains.index(max(gains))


def stem_gains(layers: list[dict[str, Any]], gains: list[float]) -> dict[str, float]:
    """With the shared stems instead of the mixes: each stem's gain is the sum of the gains of the
    layers that contain it (a layer's mix is the sum of its stems)."""
    result: dict[str, float] = {}
    for layer, gain in zip(layers, gains, strict=True):
        for stem in layer["stems"]:
            result[stem["file"]] = result.get(stem["file"], 0.0) + gain
    return result


def wrap(sidecar: dict[str, Any], playhead: int) -> int:
    """Where in the file a playhead (frames since the music started) is, the loop taken into account."""
    loop = sidecar["loop"]
    if loop is None or playhead < loop["end"]["sample"]:
        return playhead
    start, length = loop["start"]["sample"], loop["length"]["samples"]
    return start + (playhead - start) % length


def next_bar(sidecar: dict[str, Any], playhead: int) -> tuple[int, int]:
    """(frames to wait, bar number) to the first bar line after `playhead` (frames since the music
    started); at the loop's end the next bar line is the loop's start."""
    position = wrap(sidecar, playhead)
    for bar in sidecar["bars"]:
        if bar["sample"] > position:
            return bar["sample"] - position, bar["bar"]
    loop = sidecar["loop"]
    if loop is None:  # past the last bar of a one-shot piece: its end is the last bar line
        return max(sidecar["end"]["sample"] - position, 0), sidecar["end"]["bar"]
    return loop["end"]["sample"] - position, loop["start"]["bar"]


def demo(paths: list[str | Path], playhead: int, intensities: list[float]) -> str:
    """A table of what to play for a few intensities, and when a switch made now would land."""
    layers = load_layers(paths)
    names = [Path(layer["audio"]).stem for layer in layers]
    rate = layers[0]["sample_rate"]
    wait, bar = next_bar(layers[0], playhead)
    lines = [f"playhead {playhead} frames = {wrap(layers[0], playhead)} in the loop "
             f"(loop {layers[0]['loop']['length']['samples']} frames); next bar line: bar {bar}, "
             f"in {wait} frames ({wait / rate:.3f} s)",
             f"{'intensity':>9}  {'play alone':<14}  " + "  ".join(f"{n:>13}" for n in names)]
    for intensity in intensities:
        gains = layer_gains(intensity, len(layers))
        lines.append(f"{intensity:>9.2f}  {names[picked_layer(intensity, len(layers))]:<14}  "
                     + "  ".join(f"{g:>13.2f}" for g in gains))
    stems = stem_gains(layers, layer_gains(intensities[len(intensities) // 2], len(layers)))
    lines.append(f"stem gains at intensity {intensities[len(intensities) // 2]:.2f}: "
                 + ", ".join(f"{Path(f).name} {g:.2f}" for f, g in stems.items()))
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    if not argv or argv[0] == "--demo":
        print(demo(DEMO_SIDECARS, playhead=1_000_000, intensities=[0.0, 0.3, 0.6, 1.0]))
        return 0
    if len(argv) < 3:
        print(__doc__)
        return 2
    print(demo(argv[2:], playhead=int(argv[1]), intensities=[float(argv[0])]))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
