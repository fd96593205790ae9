"""examples/game/pick_layer.py: layer gains by intensity and the next bar line, on sidecars built from tiny scores."""

import importlib.util
import json
from pathlib import Path

import jsonschema
import pytest

from composer.core.score import TICKS_PER_BEAT, Score, TempoChange
from composer.output.sidecar import build_sidecar, load_schema, set_loop

from .conftest import add_track

GAME = Path(__file__).resolve().parent.parent / "examples" / "game"
BAR = 4 * TICKS_PER_BEAT
FRAMES_PER_BAR = 88200  # 4/4 at 120 bpm, 44.1 kHz: 2 s a bar


def load_pick_layer():
    spec = importlib.util.spec_from_file_location("pick_layer", GAME / "pick_layer.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


pick = load_pick_layer()


def layer_sidecars(tmp_path: Path, bars: tuple[int, ...] = (4, 4, 4)) -> list[Path]:
    """One looped layer per entry of `bars` (its length), the n-th with the first n+1 of three tracks."""
    parts = [("Strings", 48), ("Bass", 33), ("Horn", 60)]
    paths = []
    for index, count in enumerate(bars):
        score = Score(tempos=[TempoChange(0, 120.0)], title="layers")
        for name, program in parts[:index + 1]:
            add_track(score, name, program, [(48 + program % 12, 80, 4 * bar, 4 * bar + 4) for bar in range(count)])
        sidecar = build_sidecar(set_loop(score, 0, count * BAR), sample_rate=44100, audio=f"layer-{index}.ogg",
                                stems=[f"stems/{name}.ogg" for name, _ in parts[:index + 1]])
        paths.append(tmp_path / f"layer-{index}.json")
        paths[-1].write_text(json.dumps(sidecar), encoding="utf-8")
    return paths


@pytest.mark.parametrize(("intensity", "layer", "gains"), [
    (0.0, 0, [1.0, 0.0, 0.0]), (0.3, 1, [0.4, 0.6, 0.0]), (0.6, 1, [0.0, 0.8, 0.2]), (1.0, 2, [0.0, 0.0, 1.0]),
    (-1.0, 0, [1.0, 0.0, 0.0]), (7.0, 2, [0.0, 0.0, 1.0])], ids=["0", "0.3", "0.6", "1", "below", "above"])
def test_intensity_picks_a_layer_and_crossfades_the_two_nearest(intensity, layer, gains):
    assert pick.picked_layer(intensity, 3) == layer
    assert pick.layer_gains(intensity, 3) == pytest.approx(gains)


def test_stem_gains_sum_the_layers_that_hold_each_stem(tmp_path):
    layers = pick.load_layers(layer_sidecars(tmp_path))
    gains = pick.stem_gains(layers, pick.layer_gains(0.6, 3))
    assert gains == pytest.approx({"stems/Strings.ogg": 1.0, "stems/Bass.ogg": 1.0, "stems/Horn.ogg": 0.2})


@pytest.mark.parametrize(("playhead", "wait", "bar"), [
    (0, FRAMES_PER_BAR, 2),                                # on a bar line: the next one
    (100_000, 2 * FRAMES_PER_BAR - 100_000, 3),
    (3 * FRAMES_PER_BAR + 5, FRAMES_PER_BAR - 5, 1),       # the last bar: the loop's start comes next
    (4 * FRAMES_PER_BAR + 10, FRAMES_PER_BAR - 10, 2),     # second time round, wrapped
    (9 * FRAMES_PER_BAR + 1, FRAMES_PER_BAR - 1, 3)], ids=["bar-line", "bar-2", "last-bar", "wrapped", "third-loop"])
def test_next_bar_in_frames_from_the_sidecar(tmp_path, playhead, wait, bar):
    sidecar = pick.load_layers(layer_sidecars(tmp_path))[0]
    assert sidecar["loop"]["length"]["samples"] == 4 * FRAMES_PER_BAR
    assert pick.next_bar(sidecar, playhead) == (wait, bar)


def test_layers_of_different_lengths_are_refused(tmp_path):
    with pytest.raises(ValueError, match="not layers of one piece"):
        pick.load_layers(layer_sidecars(tmp_path, bars=(4, 2)))


def test_the_committed_example_sidecars_are_valid_and_the_demo_reads_them(capsys):
    validator = jsonschema.Draft202012Validator(load_schema())
    for path in sorted(GAME.glob("*.json")):
        sidecar = json.loads(path.read_text(encoding="utf-8"))
        validator.validate(sidecar)
        tail = [sidecar["tail"]["file"]] if sidecar.get("tail") else []
        for name in [sidecar["audio"], sidecar["midi"], *(stem["file"] for stem in sidecar["stems"]), *tail]:
            assert (GAME / name).is_file(), name
    assert sorted(p.name for p in GAME.glob("*.json")) == [f"{n}.ogg.json" for n in (
        "forest", "level", "stealth-high", "stealth-low", "stealth-mid", "victory-sting")]
    assert pick.main(["--demo"]) == 0
    table = capsys.readouterr().out
    assert "next bar line: bar 5, in 16064 frames" in table  # 1,000,000 wraps to 322,624; bar 5 is at 338,688
    assert "1.00  stealth-high" in table
