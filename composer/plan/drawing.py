"""Pictures you can hear: an image -> a time x pitch target grid (DrawGrid), and how alike a piece is to it.

The picture is stretched over the piece: its width over the bars (a column per sixteenth note), its
height over the rows of a four-octave pitch window, one row per pitch of the key's pentatonic scale
(major: degrees 1 2 3 5 6; minor: 1 b3 4 5 and the leading tone, which tells minor from the relative
major). Those are scale pitches, so every lit cell survives the key mask, and two of them sound in
every chord of the default plan (I IV V7 / i iv V7), so a drawing stays consonant and keeps the key's
pitch-class balance (with all seven degrees a picture spreads its notes evenly over the scale and
pitch-class entropy rises by ~19%; see benchmarks/draw.py). Three modes:

- silhouette: the foreground (pixels unlike the border's colour) as a filled shape;
- edges: the outline of that shape (cells of the shape with a neighbour outside it);
- tone: brightness -> presence, by a line screen: each row is lit for a share of every half bar (8
  sixteenths) that grows with the brightness, rows staggered, so bright regions hold long notes and
  dark ones short notes or none.

No column lights more cells than the instruments can play at once (polyphony_cap): a fuller column
keeps its top and bottom cells and evenly spaced ones between.

Likeness is measured in the grid's own coordinates: `roll_grid` binarises a piece's piano roll onto
the grid, then `iou` and `ssim` compare the two.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from composer.constraints.draw import DrawGrid
from composer.constraints.masks import polyphony_cap
from composer.core.errors import ComposerError
from composer.core.gm import playable_range
from composer.core.limits import MAX_IMAGE_PIXELS
from composer.core.score import TICKS_PER_BEAT, Score

MODES = ("edges", "silhouette", "tone")
DRAW_SPAN = 48  # semitones of the pitch window: four octaves, 20-21 pentatonic rows
DRAW_CENTRE = 67  # G4: the window's centre when the request names no register
MAJOR_ROWS = (0, 2, 4, 7, 9)  # the major pentatonic
MINOR_ROWS = (0, 3, 5, 7, 11)  # the minor pentatonic with its 7th raised: the leading tone of V7
SCREEN_PERIOD, SCREEN_STAGGER = 8, 3  # tone's line screen: cells per period, phase step from row to row


def scale_rows(tonic: int, mode: str, low: int, high: int) -> tuple[int, ...]:
    """The pitches low..high of the key's pentatonic scale, ascending: the rows a picture is drawn on."""
    steps = MAJOR_ROWS if mode == "major" else MINOR_ROWS
    classes = {(tonic + s) % 12 for s in steps}
    return tuple(p for p in range(low, high + 1) if p % 12 in classes)


def draw_window(programs: list[int], centre: int | None = None, span: int = DRAW_SPAN) -> tuple[int, int]:
    """A `span`-semitone window inside the instruments' ranges (their union), centred on `centre`."""
    pitched = [p for p in programs if p >= 0]
    if not pitched:
        raise ComposerError("drawing needs a pitched instrument")
    low = min(playable_range(p)[0] for p in pitched)
    high = max(playable_range(p)[1] for p in pitched)
    if high - low <= span:
        return low, high
    middle = centre if centre is not None else DRAW_CENTRE
    start = int(np.clip(middle - span // 2, low, high - span))
    return start, start + span


def max_voices(programs: list[int]) -> int:
    """Notes the instruments can hold at once, together."""
    return sum(polyphony_cap(p) for p in programs if p >= 0)


def foreground(rgb: np.ndarray) -> np.ndarray:
    """(H, W) 0..1: how unlike the background (the median colour of the border) each pixel is."""
    border = np.concatenate([rgb[0], rgb[-1], rgb[:, 0], rgb[:, -1]])
    distance = np.linalg.norm(rgb - np.median(border, axis=0), axis=-1) / np.sqrt(3)
    threshold = max(otsu(distance), 0.08)
    return (distance > threshold).astype(np.float64)


def otsu(values: np.ndarray, bins: int = 64) -> float:
    """Otsu's (1979) threshold: the cut that maximises the between-class variance."""
    histogram, edges = np.histogram(values, bins=bins)
    centres = (edges[:-1] + edges[1:]) / 2
    weight = np.cumsum(histogram)
    total = weight[-1]
    mean = np.cumsum(histogram * centres)
    between = (mean[-1] * weight / total - mean) ** 2 / np.maximum(weight * (total - weight), 1)
    return float(centres[int(np.argmax(between[:-1]))]) if len(between) > 1 else float(centres[0])


def _cell_means(values: np.ndarray, columns: int, rows: int) -> np.ndarray:
    """(columns, rows): the mean of `values` (H, W) over each cell, row 0 at the bottom of the picture."""
    from PIL import Image

    small = Image.fromarray(values.astype(np.float32)).resize((columns, rows), Image.Resampling.BOX)
    return np.asarray(small, dtype=np.float64)[::-1].T


def picture_cells(rgb: np.ndarray, columns: int, rows: int, mode: str, voices: int) -> np.ndarray:
    """(columns, rows) bool: the picture (H, W, 3 in 0..1) on the grid in `mode`, at most `voices` a column."""
    from scipy.ndimage import binary_erosion

    if mode not in MODES:
        raise ComposerError(f"draw mode must be one of {', '.join(MODES)}, not {mode!r}")
    if mode == "tone":
        brightness = _cell_means(rgb @ np.array([0.299, 0.587, 0.114]), columns, rows)
        low, high = np.percentile(brightness, (2, 98))
        level = np.clip((brightness - low) / max(high - low, 1e-6), 0, 1) * min(1.0, voices / rows)
        phase = (np.arange(columns)[:, None] + SCREEN_STAGGER * np.arange(rows)[None, :]) % SCREEN_PERIOD
        cells = level > (phase + 0.5) / SCREEN_PERIOD
    else:
        share = _cell_means(foreground(rgb), columns, rows)
        # a thin stroke covers little of any cell: the cut follows the boldest cell, at most half a cell
        cells = share >= max(min(0.5, 0.5 * share.max()), 1e-6)
        if mode == "edges":
            inside = binary_erosion(cells, structure=np.array([[0, 1, 0], [1, 1, 1], [0, 1, 0]]), border_value=0)
            cells = cells & ~inside
    return cap_columns(cells, voices)


def cap_columns(cells: np.ndarray, voices: int) -> np.ndarray:
    """At most `voices` lit cells a column. A fuller column keeps its lowest and highest cells and, between
    them, the rows of one hatching shared by all columns (every `stride`-th row), so a filled shape reads
    as evenly striped; evenly spaced ones among those if that is still too many. One voice: the top."""
    out = cells.copy()
    counts = cells.sum(axis=1)
    stride = int(np.ceil(counts.max() / max(voices - 1, 1))) if counts.max() > voices else 1
    for column in np.nonzero(counts > voices)[0]:
        lit = np.nonzero(cells[column])[0]
        if voices == 1:
            keep = lit[-1:]
        else:
            keep = np.union1d(lit[lit % stride == 0], lit[[0, -1]])
            if len(keep) > voices:
                keep = keep[np.unique(np.linspace(0, len(keep) - 1, voices).round().astype(int))]
        out[column] = False
        out[column, keep] = True
    return out


def image_grid(image: str | Path | Any, *, bars: int, meter: tuple[int, int], key: tuple[int, str],
               programs: list[int], mode: str = "edges", centre: int | None = None) -> DrawGrid:
    """The target grid of a picture (a path or a PIL image) for a piece of `bars` bars in `meter` and
    `key` ((tonic pitch class, mode)), played by `programs`."""
    from composer.ask.image import load_image

    if not isinstance(image, str | Path) and image.width * image.height > MAX_IMAGE_PIXELS:
        raise ComposerError(f"the picture is {image.width}x{image.height} pixels, more than "
                            f"{MAX_IMAGE_PIXELS // 10**6} million; scale it down")
    picture = load_image(image) if isinstance(image, str | Path) else image.convert("RGB")
    rgb = np.asarray(picture, dtype=np.float64) / 255.0
    per_beat = max(1, 16 // meter[1])  # sixteenth notes
    columns = bars * meter[0] * per_beat
    pitches = scale_rows(*key, *draw_window(programs, centre))
    cells = picture_cells(rgb, columns, len(pitches), mode, max_voices(programs))
    if not cells.any():
        raise ComposerError(f"the picture is blank in {mode} mode: nothing to draw (try another --draw-mode)")
    return DrawGrid(cells, pitches, per_beat)


def draw_instruments(request: Any, image: str | Path | None) -> None:
    """--draw on a resolved request (composer.ask.resolve.Resolved): a picture is needed, and the piano
    plays it unless the options or the prompt name instruments (not the picture's mood band)."""
    from composer.ask.resolve import Value

    if image is None:
        raise ComposerError("--draw needs a picture: give --image PATH")
    if request.values["instruments"].source not in ("option", "text"):
        request.values["instruments"] = Value([0], "default", "--draw: the piano's range and 8 voices")


def add_drawing(spec: Any, image: str | Path | None, pitched: list[int], centre: int | None, strength: float | None,
                mode: str) -> None:
    """--draw on a ConstraintSpec: the picture's target grid (and strength, None: the default). The picture
    sets register and rhythm, so the register, density and repeated-figure targets, which would pull
    against it, are left out."""
    if image is None:
        raise ComposerError("--draw needs a picture: give --image PATH")
    if strength is not None and strength < 0:
        raise ComposerError(f"--draw-strength must be >= 0, not {strength}")
    if not spec.enabled:
        raise ComposerError("--draw works through the constraint filters; leave out --no-constraints")
    if not pitched:
        raise ComposerError("--draw needs a pitched instrument")
    spec.draw_grid = image_grid(image, bars=spec.bars, meter=spec.meter, key=spec.key, programs=pitched,
                                mode=mode, centre=centre)
    if strength is not None:
        spec.draw_strength = strength
    spec.centre_pitch = spec.onsets_per_bar = None
    spec.motif_strength = 0.0


def roll_grid(score: Score, grid: DrawGrid) -> np.ndarray:
    """The score's pitched notes on the grid: a cell is on where a note of its row sounds at the cell's
    start. Pitches between rows go to the nearest row (the lower on a tie); those more than 2 semitones
    outside the window are left out."""
    if not score.time_signatures:
        raise ValueError("the score has no meter")
    denominator = score.time_signatures[0].denominator
    cell_ticks = TICKS_PER_BEAT * 4 / denominator / grid.cells_per_beat
    rows = np.array(grid.pitches)
    out = np.zeros_like(grid.cells, dtype=bool)
    for track in score.tracks:
        if track.is_drum:
            continue
        for note in track.notes:
            if not rows[0] - 2 <= note.pitch <= rows[-1] + 2:
                continue
            row = int(np.argmin(np.abs(rows - note.pitch)))
            first = int(np.ceil(note.start / cell_ticks - 1e-9))
            last = int(np.ceil(note.end / cell_ticks - 1e-9))  # cells starting before the note ends
            out[max(first, 0):min(last, grid.columns), row] = True
    return out


def iou(a: np.ndarray, b: np.ndarray) -> float:
    """Intersection over union of two boolean grids (1 when both are empty)."""
    union = np.logical_or(a, b).sum()
    return float(np.logical_and(a, b).sum() / union) if union else 1.0


def ssim(a: np.ndarray, b: np.ndarray, sigma: float = 1.5, k1: float = 0.01, k2: float = 0.03) -> float:
    """Mean structural similarity of two images in 0..1 (Wang, Bovik, Sheikh & Simoncelli 2004, "Image
    quality assessment: from error visibility to structural similarity", IEEE TIP 13(4), eq. 13), with
    their Gaussian window (sigma 1.5) and constants K1 = 0.01, K2 = 0.03, dynamic range L = 1."""
    from scipy.ndimage import gaussian_filter

    x, y = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    c1, c2 = k1 ** 2, k2 ** 2

    def blur(v: np.ndarray) -> np.ndarray:
        return gaussian_filter(v, sigma, mode="reflect", truncate=3.5)

    mx, my = blur(x), blur(y)
    vx, vy, cxy = blur(x * x) - mx * mx, blur(y * y) - my * my, blur(x * y) - mx * my
    index = ((2 * mx * my + c1) * (2 * cxy + c2)) / ((mx * mx + my * my + c1) * (vx + vy + c2))
    return float(index.mean())


def grid_image(cells: np.ndarray, scale: int = 6) -> Any:
    """A boolean grid as a black-on-white PIL picture (time right, pitch up), `scale` pixels a cell."""
    from PIL import Image

    pixels = np.where(cells.T[::-1], 0, 255).astype(np.uint8)
    return Image.fromarray(pixels).resize((cells.shape[0] * scale, cells.shape[1] * scale),
                                                    Image.Resampling.NEAREST)
