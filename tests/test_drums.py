"""Drum parts: grooves on the meter's grid, crashes and fills at sections, and when a prompt implies a kit."""

import pytest

from composer.arrange.drums import CRASH, GROOVES_4_4, TOMS, bar_pattern, drum_track
from composer.ask.drum_words import style_for
from composer.ask.resolve import resolve
from composer.core.score import TICKS_PER_BEAT

METERS = [(4, 4), (3, 4), (6, 8), (2, 4), (5, 4), (7, 8), (12, 8), (2, 2)]


@pytest.mark.parametrize("style", sorted(GROOVES_4_4))
@pytest.mark.parametrize("meter", METERS, ids=lambda m: f"{m[0]}-{m[1]}")
def test_every_groove_fills_each_bar_on_the_grid_with_gm_drums(style, meter):
    bars, bar_ticks = 8, TICKS_PER_BEAT * 4 * meter[0] // meter[1]
    track = drum_track(bars, meter, style, velocity=100, section_starts=(0, 4))
    assert track.is_drum and track.name == "Drums"
    grid, pattern = bar_pattern(style, *meter)
    assert all(len(row) == grid.steps for row in pattern.values())
    step = bar_ticks // grid.steps
    assert all(n.start % step == 0 and 0 <= n.start < bars * bar_ticks for n in track.notes)
    assert all(35 <= n.pitch <= 81 for n in track.notes)  # GM percussion keys
    for bar in range(bars):
        in_bar = [n for n in track.notes if bar * bar_ticks <= n.start < (bar + 1) * bar_ticks]
        assert in_bar, f"bar {bar + 1} is silent"
        assert any(n.start == bar * bar_ticks for n in in_bar), "nothing on the downbeat"
    crashes = sorted(n.start // bar_ticks for n in track.notes if n.pitch == CRASH)
    assert crashes == [0, 4]
    if style != "soft":  # a fill of toms in the last beat before the second section
        fill = [n for n in track.notes if n.pitch in TOMS and 4 * bar_ticks - bar_ticks // grid.beats <= n.start
                < 4 * bar_ticks]
        assert fill


def test_genres_imply_a_kit_but_scenes_named_instruments_and_negations_do_not():
    assert -1 in resolve("a rock song")["instruments"]  # no instruments listed: the genre's kit
    assert resolve("a rock song")["drum_style"] == "rock"
    assert resolve("a rock song for piano and bass")["instruments"] == [0, 33]  # listed: what was asked for
    assert resolve("a rock song for piano, bass and drums")["drum_style"] == "rock"
    assert -1 not in resolve("boss battle in E minor for piano")["instruments"]
    assert -1 not in resolve("a jazz trio without drums")["instruments"]
    assert resolve("techno for synth lead", {"instruments": [81]})["instruments"] == [81]
    assert resolve("calm ambient pad with drums")["drum_style"] == "soft"
    assert style_for("boss battle") == ("battle", "battle") and style_for("a quiet song") is None
    # adjectives of the genres: a funky groove with drums gets the funk groove, not the default rock beat
    assert resolve("funky groove for clavinet, slap bass, trumpet and drums")["drum_style"] == "funk"
    assert resolve("a jazzy tune for piano, bass and drums")["drum_style"] == "swing"
    assert -1 not in resolve("a funky tune for clavinet and bass")["instruments"]


def test_generated_drums_are_a_channel_ten_part_in_every_bar(tmp_path):
    pytest.importorskip("torch")
    import pretty_midi

    from composer import compose

    piece = compose("a rock song for piano, bass and drums", bars=4, seed=2, tempo=120)
    path = piece.save_midi(tmp_path / "rock.mid")
    midi = pretty_midi.PrettyMIDI(str(path))
    drums = [i for i in midi.instruments if i.is_drum]
    assert len(drums) == 1 and drums[0].name == "Drums"
    seconds_per_bar = 2.0  # 4/4 at 120 bpm
    assert {int(n.start // seconds_per_bar) for n in drums[0].notes} == set(range(4))
    assert {i.program for i in midi.instruments if not i.is_drum} <= {0, 33}
