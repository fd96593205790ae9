"""Piano-roll PNGs put each note where its pitch and time say, in its track's colour."""

import numpy as np
from PIL import Image

from composer.core.score import Score
from composer.output.pianoroll import LEGEND_ROW, TRACK_COLOURS, save_piano_roll

from .conftest import add_track


def test_notes_are_drawn_at_their_pitch_and_time(tmp_path):
    score = Score()
    add_track(score, "Lead", 80, [(72, 90, 0, 1), (60, 90, 2, 3)])
    path = save_piano_roll(score, tmp_path / "roll.png", pixels_per_beat=20, pixels_per_semitone=4)
    image = np.asarray(Image.open(path).convert("RGB"))
    legend = LEGEND_ROW + 6
    low, high = 58, 74
    assert image.shape == ((high - low + 1) * 4 + legend, 3 * 20 + 1, 3)
    colour = np.array(TRACK_COLOURS[0])

    def painted(pitch, beat):
        y = legend + (high - pitch) * 4 + 1
        return bool((image[y, beat * 20 + 10] == colour).all())

    assert painted(72, 0) and painted(60, 2)
    assert not painted(72, 2) and not painted(60, 0)
