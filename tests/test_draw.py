"""Drawing in the piano roll: exact grids from tiny pictures, DrawBias's exact favoured ids on a small
vocabulary (input unchanged, masked ids still masked), likeness measures, and a real 2-bar drawing that
is far likelier to the picture than undrawn output while every note stays in key and in range."""

import functools

import numpy as np
import pytest
import torch
from PIL import Image, ImageDraw

from composer.constraints import ConstraintSpec, DrawBias, DrawGrid, Tracker, build_constraints, scale_pitch_classes
from composer.core.errors import ComposerError
from composer.core.gm import playable_range
from composer.core.score import TICKS_PER_BEAT, Score, TimeSignature
from composer.decode.checkpoint import CHECKPOINT_ROOT, DEFAULT_CHECKPOINT
from composer.decode.tokens import MusicTokenizer, TokenizerSettings
from composer.plan.drawing import cap_columns, draw_window, image_grid, iou, picture_cells, roll_grid, scale_rows, ssim

from .conftest import add_track, fluidsynth_available, run_cli

shipped = pytest.mark.skipif(not (CHECKPOINT_ROOT / DEFAULT_CHECKPOINT / "model.safetensors").exists(),
                             reason="no shipped checkpoint yet")


def picture(width: int, height: int, black: list[tuple[int, int, int, int]]) -> np.ndarray:
    """A white RGB picture (0..1) with black rectangles (x0, y0, x1, y1), end exclusive."""
    rgb = np.ones((height, width, 3))
    for x0, y0, x1, y1 in black:
        rgb[y0:y1, x0:x1] = 0.0
    return rgb


def test_rows_are_the_keys_pentatonic_pitches():
    assert scale_rows(0, "major", 60, 72) == (60, 62, 64, 67, 69, 72)
    assert scale_rows(9, "minor", 57, 69) == (57, 60, 62, 64, 68, 69)  # A C D E G#: the leading tone
    assert all(p % 12 in scale_pitch_classes(9, "minor") for p in scale_rows(9, "minor", 21, 108))
    assert draw_window([0]) == (43, 91)  # four octaves around G4 inside the piano's 21-108
    assert draw_window([11]) == (53, 89)  # the vibraphone's whole range is narrower than the window
    assert draw_window([0], centre=30) == (21, 69)  # clipped into the range


def test_silhouette_edges_and_tone_of_a_tiny_picture_are_exact_cells():
    # 50 x 50 pixels onto 5 x 5 cells: a black 3 x 3-cell square in the middle (cells 1-3 both ways)
    rgb = picture(50, 50, [(10, 10, 40, 40)])
    filled = picture_cells(rgb, 5, 5, "silhouette", voices=8)
    expected = np.zeros((5, 5), dtype=bool)
    expected[1:4, 1:4] = True
    assert np.array_equal(filled, expected)
    outline = picture_cells(rgb, 5, 5, "edges", voices=8)
    ring = expected.copy()
    ring[2, 2] = False  # the centre has all four neighbours inside
    assert np.array_equal(outline, ring)
    # row 0 is the bottom of the picture: a black block at the top left lights the last row, first column
    corner = picture_cells(picture(50, 50, [(0, 0, 10, 10), (45, 45, 50, 50)]), 5, 5, "silhouette", voices=8)
    assert corner[0, 4] and corner.sum() == 1  # the bottom right quarter-cell stays dark
    # tone: brightness -> presence; a black left half and a white right half light only the right
    tone = picture_cells(picture(40, 40, [(0, 0, 20, 40)]), 4, 4, "tone", voices=8)
    assert not tone[:2].any() and tone[2:].any()
    with pytest.raises(ComposerError, match="draw mode"):
        picture_cells(rgb, 5, 5, "cubist", voices=8)


def test_full_columns_keep_their_ends_and_a_shared_hatching():
    cells = np.ones((2, 10), dtype=bool)
    capped = cap_columns(cells, 4)
    assert capped.sum(axis=1).tolist() == [4, 4]
    assert capped[:, 0].all() and capped[:, 9].all()  # the lowest and highest cells stay
    assert np.array_equal(capped[0], capped[1])  # one hatching for every column
    assert cap_columns(cells, 1)[:, 9].all() and cap_columns(cells, 1).sum() == 2  # one voice: the top


def test_image_grid_from_a_png_spans_the_bars_in_sixteenths(tmp_path):
    path = tmp_path / "bar.png"
    image = Image.new("RGB", (64, 40), "white")
    ImageDraw.Draw(image).rectangle((0, 0, 15, 39), fill="black")  # the first quarter of the width
    image.save(path)
    grid = image_grid(path, bars=1, meter=(4, 4), key=(0, "major"), programs=[0], mode="silhouette")
    assert grid.cells_per_beat == 4 and grid.columns == 16
    assert grid.pitches == scale_rows(0, "major", 43, 91)
    assert grid.cells[:4].any(axis=1).all() and not grid.cells[4:].any()  # the first beat only
    assert grid.cells.sum(axis=1).max() <= 8  # the piano's polyphony cap
    blank = tmp_path / "blank.png"
    Image.new("RGB", (64, 40), "white").save(blank)
    with pytest.raises(ComposerError, match="blank"):
        image_grid(blank, bars=1, meter=(4, 4), key=(0, "major"), programs=[0], mode="edges")


def test_roll_grid_iou_and_ssim():
    grid = DrawGrid(np.zeros((8, 3), dtype=bool), (60, 64, 67), 4)
    score = Score(time_signatures=[TimeSignature(0, 4, 4)])
    sixteenth = 1 / 4
    add_track(score, "Piano", 0, [(60, 80, 0, 2 * sixteenth), (65, 80, 4 * sixteenth, 5 * sixteenth),
                                  (90, 80, 0, 1)])  # 65 goes to the nearer row 64; 90 is outside the window
    roll = roll_grid(score, grid)
    assert roll[:, 0].tolist() == [True, True, False, False, False, False, False, False]
    assert roll[:, 1].tolist() == [False, False, False, False, True, False, False, False]
    assert not roll[:, 2].any() and TICKS_PER_BEAT == 480
    target = roll.copy()
    target[7, 2] = True
    assert iou(roll, target) == pytest.approx(3 / 4)
    assert iou(roll, np.zeros_like(roll)) == 0.0
    assert ssim(target, target) == pytest.approx(1.0)
    assert ssim(roll, ~roll) < 0.1 < ssim(roll, target) < 1.0


@functools.cache
def small_tokenizer() -> MusicTokenizer:
    """Pitches 48-84, 4 positions a beat: a column of the grid is one position."""
    return MusicTokenizer(TokenizerSettings(pitch_range=(48, 84), beat_resolution=4, long_note_resolution=2,
                                            max_note_beats=4, num_velocities=4, num_tempos=2,
                                            time_signatures=("3/4", "4/4")))


def small_grid() -> DrawGrid:
    """16 sixteenths of 4/4: 60 over the first beat and 67 over its first half; 64 over the third beat."""
    cells = np.zeros((16, 3), dtype=bool)
    cells[0:4, 0] = True
    cells[0:2, 2] = True
    cells[8:12, 1] = True
    return DrawGrid(cells, (60, 64, 67), 4)


def bias_after(tokens: list[str], strength: float = 2.0, scores: torch.Tensor | None = None):  # type: ignore[no-untyped-def]
    tok = small_tokenizer()
    bias = DrawBias(Tracker(tok), small_grid(), strength)
    ids = torch.tensor([tok.token_id(t) for t in ["BOS", *tokens]])
    scores = torch.zeros(len(tok)) if scores is None else scores
    before = scores.clone()
    out = bias(ids, scores)
    assert torch.equal(scores, before)  # the input is untouched
    return tok, out / strength, scores


def best(tok: MusicTokenizer, values: torch.Tensor, kind: str) -> set[str]:
    ids = [i for i in range(len(tok)) if tok.token_type(i) == kind]
    top = max(float(values[i]) for i in ids)
    return {tok.tokens[i] for i in ids if float(values[i]) == top}


def test_draw_bias_favours_the_pictures_onsets_pitches_and_durations():
    start = ["Bar", "TimeSig_4/4"]
    tok, onset, _ = bias_after(start)
    assert best(tok, onset, "Position") == {"Position_0"}
    assert float(onset[tok.token_id("Position_8")]) == -0.5  # a later lit cell: skipping to it loses beat 1
    assert float(onset[tok.token_id("Position_5")]) == -1.0 and float(onset[tok.token_id("Bar")]) == -1.0
    tok, pitch, _ = bias_after([*start, "Position_0", "Program_0"])
    assert best(tok, pitch, "Pitch") == {"Pitch_60", "Pitch_67"}
    assert float(pitch[tok.token_id("Pitch_60")]) == 1.0 and float(pitch[tok.token_id("Pitch_62")]) < 0
    assert float(pitch[tok.token_id("Pitch_62")]) > float(pitch[tok.token_id("Pitch_84")])  # nearer is better
    tok, duration, _ = bias_after([*start, "Position_0", "Program_0", "Pitch_60", "Velocity_63"])
    assert best(tok, duration, "Duration") == {"Duration_1.0.4"}  # the run of 60: one beat
    note_60 = [*start, "Position_0", "Program_0", "Pitch_60", "Velocity_63", "Duration_1.0.4"]
    tok, more, _ = bias_after(note_60)
    assert float(more[tok.token_id("Program_0")]) == 1.0  # 67 is still to play at this onset
    assert max(float(more[tok.token_id(f"Position_{p}")]) for p in range(1, 16)) < 0
    tok, pitch, _ = bias_after([*note_60, "Program_0"])
    assert best(tok, pitch, "Pitch") == {"Pitch_67"}  # 60 sounds already
    assert float(pitch[tok.token_id("Pitch_60")]) == -1.0  # never twice at one onset
    missed = [*start, "Position_0", "Program_0", "Pitch_62", "Velocity_63", "Duration_1.0.4"]
    tok, after_miss, _ = bias_after(missed)  # a miss: a mask kept the note off the lit rows, so stop asking
    assert float(after_miss[tok.token_id("Program_0")]) == -1.0
    assert best(tok, after_miss, "Position") == {"Position_1"}  # 60 and 67 are still wanted at the next cell
    both = [*note_60, "Program_0", "Pitch_67", "Velocity_63", "Duration_0.2.4"]
    tok, onset, _ = bias_after(both)
    assert best(tok, onset, "Position") == {"Position_8"} and float(onset[tok.token_id("Program_0")]) == -1.0
    tok, end, _ = bias_after([*both, "Position_8", "Program_0", "Pitch_64", "Velocity_63", "Duration_1.0.4"])
    assert float(end[tok.token_id("Bar")]) == 1.0  # the bar's picture is played: on to the next bar
    assert all(float(end[tok.token_id(f"Position_{p}")]) == -1.0 for p in range(9, 16))


def test_draw_bias_keeps_masked_ids_masked_and_builds_from_the_spec():
    tok = small_tokenizer()
    scores = torch.zeros(len(tok))
    masked = [tok.token_id("Pitch_60"), tok.token_id("Pitch_61")]
    scores[masked] = float("-inf")
    _, out, _ = bias_after(["Bar", "TimeSig_4/4", "Position_0", "Program_0"], scores=scores)
    assert torch.isinf(out[masked]).all() and (out[masked] < 0).all()
    assert torch.isfinite(out[[i for i in range(len(tok)) if i not in masked]]).all()
    assert scores[masked].isinf().all() and float(scores[tok.token_id("Pitch_67")]) == 0.0
    filters = build_constraints(tok, ConstraintSpec(bars=1, meter=(4, 4), key=(0, "major"), programs=[0],
                                                    draw_grid=small_grid(), draw_strength=3.0))
    drawn = [f for f in filters if isinstance(f, DrawBias)]  # the last bias (only the grid mask comes after)
    assert len(drawn) == 1 and drawn[0].strength == 3.0 and filters.index(drawn[0]) >= len(filters) - 2
    off = build_constraints(tok, ConstraintSpec(bars=1, key=(0, "major"), draw_grid=small_grid(), draw_strength=0))
    assert not any(isinstance(f, DrawBias) for f in off)
    with pytest.raises(ValueError, match="pitch rows"):
        DrawGrid(np.zeros((4, 2), dtype=bool), (64, 60), 4)


def shapes_picture(path) -> None:  # type: ignore[no-untyped-def]
    image = Image.new("RGB", (160, 80), "white")
    draw = ImageDraw.Draw(image)
    draw.ellipse((8, 8, 72, 72), fill="black")
    draw.polygon([(88, 72), (152, 72), (120, 8)], fill="black")
    image.save(path)


@shipped
def test_a_two_bar_drawing_looks_like_its_picture_and_stays_in_key_and_range(tmp_path):
    from composer.pipeline import compose
    from composer.plan.spec import plan_request

    path = tmp_path / "shapes.png"
    shapes_picture(path)
    plan = plan_request(image=path, bars=2, seed=3, draw=True)
    grid = plan.spec.draw_grid
    drawn = compose(image=path, bars=2, seed=3, draw=True)
    undrawn = compose(image=path, bars=2, seed=3, instruments=[0])
    likeness, baseline = iou(roll_grid(drawn.score, grid), grid.cells), iou(roll_grid(undrawn.score, grid), grid.cells)
    assert likeness > baseline + 0.25, (likeness, baseline)
    scale = scale_pitch_classes(plan.key[0], plan.key[1])
    notes = [(t.program, n.pitch) for t in drawn.score.tracks for n in t.notes]
    assert notes and {p for p, _ in notes} == {0}  # the piano by default
    assert all(pitch % 12 in scale for _, pitch in notes)
    low, high = playable_range(0)
    assert all(low <= pitch <= high for _, pitch in notes)
    assert drawn.score.length == 2 * 4 * TICKS_PER_BEAT


@shipped
def test_cli_draws_with_a_piano_roll_and_spectrogram_and_refuses_misuse(tmp_path, capsys):
    from composer.faces.cli import main

    path = tmp_path / "shapes.png"
    shapes_picture(path)
    out = tmp_path / "d.mid"
    args = ["generate", "--image", str(path), "--draw", "--bars", "2", "--seed", "1", "-o", str(out),
            "--piano-roll", str(tmp_path / "roll.png")]
    if fluidsynth_available():
        args += ["--spectrogram", str(tmp_path / "spec.png")]
    result = run_cli(*args)
    assert result.returncode == 0, result.stderr
    assert out.exists() and Image.open(tmp_path / "roll.png").size[0] > 100
    if fluidsynth_available():
        assert Image.open(tmp_path / "spec.png").format == "PNG"
    picture_args = ["--image", str(path)]
    for bad, message in ((["--draw"], "needs a picture"), ([*picture_args, "--draw-strength", "2"], "needs --draw"),
                         ([*picture_args, "--draw", "--layers", "low,high"], "leave out --layers"),
                         ([*picture_args, "--draw", "--draw-strength", "-1"], "-1 is outside 0-50"),
                         ([*picture_args, "--draw", "--no-constraints"], "leave out --no-constraints")):
        assert main(["generate", *bad, "-o", str(tmp_path / "x.mid")]) == 2
        error = capsys.readouterr().err
        assert message in error and len(error.strip().splitlines()) == 1
        assert not (tmp_path / "x.mid").exists()
