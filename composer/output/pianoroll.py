"""Piano-roll pictures of a Score: one colour per track, bar lines, and a legend."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from composer.core.atomic import atomic_output
from composer.core.errors import EmptyScoreError
from composer.core.score import TICKS_PER_BEAT, Score

# Tableau-10, a palette that stays distinguishable for most colour-vision deficiencies.
TRACK_COLOURS = [
    (31, 119, 180), (255, 127, 14), (44, 160, 44), (214, 39, 40), (148, 103, 189),
    (140, 86, 75), (227, 119, 194), (127, 127, 127), (188, 189, 34), (23, 190, 207),
]
BACKGROUND = (252, 252, 250)
BAR_LINE = (200, 200, 200)
OCTAVE_LINE = (232, 232, 228)
LEGEND_ROW = 14
LEGEND_TRACKS = 32  # tracks named in the legend; a file of thousands of parts gets one more row, "+N more"


def piano_roll_image(score: Score, pixels_per_beat: int = 24, pixels_per_semitone: int = 5,
                     max_width: int = 4000) -> Image.Image:
    """Draw the score: time runs right, pitch runs up; drums are drawn in the same frame."""
    if score.note_count == 0:
        raise EmptyScoreError("the score has no notes to draw")
    pitches = [n.pitch for t in score.tracks for n in t.notes]
    low, high = min(pitches) - 2, max(pitches) + 2
    end = score.end_tick
    scale = min(pixels_per_beat / TICKS_PER_BEAT, (max_width - 1) / end)
    legend = LEGEND_ROW * min(len(score.tracks), LEGEND_TRACKS + 1) + 6
    width = int(end * scale) + 1
    height = (high - low + 1) * pixels_per_semitone + legend
    canvas = np.empty((height, width, 3), dtype=np.uint8)
    canvas[:] = BACKGROUND
    for pitch in range(low, high + 1):
        if pitch % 12 == 0:  # every C
            canvas[legend + (high - pitch) * pixels_per_semitone + pixels_per_semitone - 1, :] = OCTAVE_LINE
    for bar in score.bar_starts():
        canvas[legend:, min(width - 1, int(bar * scale))] = BAR_LINE
    for index, track in enumerate(score.tracks):
        colour = TRACK_COLOURS[index % len(TRACK_COLOURS)]
        for note in track.notes:
            x0, x1 = int(note.start * scale), max(int(note.start * scale) + 1, int(note.end * scale) - 1)
            y0 = legend + (high - note.pitch) * pixels_per_semitone
            canvas[y0:y0 + pixels_per_semitone - 1, x0:x1] = colour
    image = Image.fromarray(canvas)
    draw = ImageDraw.Draw(image)
    for index, track in enumerate(score.tracks[:LEGEND_TRACKS]):
        colour = TRACK_COLOURS[index % len(TRACK_COLOURS)]
        y = 3 + index * LEGEND_ROW
        draw.rectangle((4, y + 2, 14, y + 10), fill=colour)
        draw.text((20, y), f"{track.name} ({'drums' if track.is_drum else f'program {track.program}'})",
                  fill=(40, 40, 40))
    if len(score.tracks) > LEGEND_TRACKS:
        draw.text((20, 3 + LEGEND_TRACKS * LEGEND_ROW), f"+{len(score.tracks) - LEGEND_TRACKS} more tracks",
                  fill=(40, 40, 40))
    return image


def save_piano_roll(score: Score, path: str | os.PathLike[str], **options: int) -> Path:
    """Write the score's piano roll as a PNG, atomically."""
    image = piano_roll_image(score, **options)
    with atomic_output(path) as tmp:
        image.save(tmp, format="PNG")
    return Path(path)
