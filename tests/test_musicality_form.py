"""Seventh-chord bars, 8-bar cadences, the full tonic ending, the jazz prompts' share and the mode check, on
hand-built MIDI with known answers."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pretty_midi
import pytest

from composer.evaluate.modes import UnknownModeError, in_mode, mode_scale, scale_fit
from composer.evaluate.musicality import PieceMetrics, measure_pretty_midi
from composer.evaluate.musicality_form import cadence_share, ending_full, half_bar_chords, is_cadence, seventh_chord
from composer.evaluate.musicality_metrics import Chord, Meter, Note, Part, prevailing_chord, read_parts
from composer.evaluate.musicality_run import Group, is_jazz, prompt_set_metrics, reference_set_metrics

from .test_musicality import cadence_piece, make_pm, quarters


def weights(pcs: dict[int, float]) -> np.ndarray:
    hist = np.zeros(12)
    for pc, w in pcs.items():
        hist[pc] = w
    return hist


def named(chord: Chord | None) -> tuple[int, str] | None:
    return None if chord is None else (chord.root, chord.quality)


def test_seventh_templates_and_the_minimum_weight() -> None:
    assert named(seventh_chord(weights({2: 1, 5: 1, 9: 1, 0: 1}))) == (2, "minor7")
    assert named(seventh_chord(weights({0: 1, 4: 1, 7: 1, 11: 1}))) == (0, "major7")
    assert named(seventh_chord(weights({11: 1, 2: 1, 5: 1, 9: 1}))) == (11, "half_diminished7")
    assert named(seventh_chord(weights({7: 1, 11: 1, 2: 1, 5: 1}))) == (7, "dominant7")
    assert seventh_chord(weights({0: 1, 4: 1, 7: 1, 10: 0.2})) is None  # Bb holds 0.2 / 3.2 < 0.1: a passing note
    assert named(seventh_chord(weights({0: 1, 4: 1, 7: 1, 10: 0.4}))) == (0, "dominant7")  # 0.4 / 3.4 >= 0.1
    assert seventh_chord(weights({0: 1, 4: 1, 7: 1})) is None
    assert seventh_chord(weights({2: 1, 5: 1, 9: 1, 0: 1, 4: 0.6, 7: 0.6})) is None  # Dm7 holds 4 / 5.2 < 0.8
    assert seventh_chord(weights({})) is None
    # the prevailing chord keeps its four templates: Cmaj7 is still heard as C major there
    assert named(prevailing_chord(weights({0: 1, 4: 1, 7: 1, 11: 1}))) == (0, "major")


def test_a_bar_of_dm7_is_a_seventh_bar() -> None:
    comp = [(p, 0, 4) for p in (50, 53, 57, 60)] + [(p, 4, 8) for p in (48, 52, 55)]  # Dm7, then C
    m = measure_pretty_midi(make_pm([("Piano", 0, comp)]))
    assert m.seventh_share == 0.5
    assert m.chord_roots == [2, 0]  # the prevailing chord of the Dm7 bar is still D minor


def chord(root: int, quality: str = "major") -> Chord:
    return Chord(root, quality, frozenset())


def test_cadence_kinds_by_root() -> None:
    assert is_cadence(chord(7, "dominant7"), chord(0), 0)  # authentic V7-I
    assert is_cadence(chord(5), chord(0), 0)  # plagal IV-I
    assert is_cadence(chord(11, "diminished"), chord(0), 0)  # vii°-I
    assert not is_cadence(chord(11, "major"), chord(0), 0)  # B major is no leading-tone chord
    assert is_cadence(chord(0), chord(7), 0)  # half cadence on V
    assert is_cadence(chord(9, "minor"), chord(4), 9)  # A minor: E after Am is a half cadence
    assert not is_cadence(chord(2, "minor"), chord(0), 0)  # ii-I
    assert not is_cadence(None, chord(0), 0) and not is_cadence(chord(7), None, 0)
    assert not is_cadence(chord(5), chord(9, "minor"), 0)  # a deceptive ending


def test_cadence_share_over_whole_periods() -> None:
    period = [chord(0), chord(5), chord(0), chord(7), chord(0), chord(5), chord(7, "dominant7"), chord(0)]
    open_period = [*period[:7], chord(5)]
    assert cadence_share(period, 0) == 1.0
    assert cadence_share([*open_period, *period], 0) == 0.5
    assert cadence_share([*period, *open_period, *period], 0) == 2 / 3
    assert cadence_share([*period, *open_period[:6]], 0) == 1.0  # the unfinished second period is left out
    assert cadence_share(period[:7], 0) is None
    assert cadence_share(period, None) is None


def test_a_dominant_in_the_second_half_of_the_bar_before_is_a_cadence() -> None:
    """"ii V | I": the whole penultimate bar reads as ii (no cadence), its second half as V (authentic)."""
    period = [chord(0), chord(5), chord(0), chord(7), chord(0), chord(5), chord(2, "minor"), chord(0)]
    late = [*period[:6], chord(7, "dominant7"), chord(0)]
    assert cadence_share(period, 0) == 0.0
    assert cadence_share(period, 0, late) == 1.0
    assert cadence_share(period, 0, period) == 0.0  # a second half still on ii is no cadence

    # bar 1 of a 4/4 file: D F A on beats 1-2, G B D F on beats 3-4; the halves read as ii and V7
    notes = [Note(p, 4.0, 6.0) for p in (62, 65, 69)] + [Note(p, 6.0, 8.0) for p in (55, 59, 62, 65)]
    halves = half_bar_chords([Part("Piano", 0, tuple(notes))], Meter(4, 4), 2)
    assert halves[0] is None and (halves[2].root, halves[3].root) == (2, 7)


def eight_bar_piece(roots: list[int]) -> list[tuple[str, int, list[tuple[int, float, float]]]]:
    """Major triads on `roots`, one a bar, with the root in a bass part."""
    comp = [(60 + (r + i) % 12, 4 * b, 4 * b + 4) for b, r in enumerate(roots) for i in (0, 4, 7)]
    bass = [(36 + r, 4 * b, 4 * b + 4) for b, r in enumerate(roots)]
    return [("Chords", 0, comp), ("Bass", 33, bass)]


def test_a_v7_i_ending_from_the_midi_is_a_cadence() -> None:
    parts = eight_bar_piece([0, 5, 0, 7, 0, 5, 7, 0])
    parts[0][2].append((65, 24, 28))  # the F that makes bar 6 a G7
    m = measure_pretty_midi(make_pm(parts))
    assert m.key == "C major" and m.chord_roots == [0, 5, 0, 7, 0, 5, 7, 0]
    assert m.cadence_share == 1.0
    assert m.ending_full is True
    ii_i = measure_pretty_midi(make_pm(eight_bar_piece([0, 5, 0, 7, 0, 5, 2, 0])))
    assert ii_i.key == "C major" and ii_i.cadence_share == 0.0
    assert measure_pretty_midi(cadence_piece(48)).cadence_share is None  # four bars


def test_ending_full_needs_the_tonic_triad_over_the_tonic() -> None:
    assert ending_full([48, 60, 64, 67], 0)
    assert ending_full([48, 55, 60], 0)  # a bare fifth
    assert ending_full([45, 57, 60, 64], 9)  # A minor
    assert ending_full([45, 57, 61, 64], 9)  # a Picardy third
    assert not ending_full([48, 63, 64, 67], 0)  # both thirds
    assert not ending_full([48, 62, 67], 0)  # a suspended second
    assert not ending_full([52, 60, 67], 0)  # the third in the bass
    assert not ending_full(None, 0) and not ending_full([48], None)
    good, inverted = measure_pretty_midi(cadence_piece(48)), measure_pretty_midi(cadence_piece(52))
    assert (good.ending_tonic, good.ending_full) == (True, True)
    assert (inverted.ending_tonic, inverted.ending_full) == (False, False)
    seventh = cadence_piece(48)
    seventh.instruments[1].notes.append(pretty_midi.Note(80, 70, 6.0, 8.0))  # a Bb in the final C chord
    assert (measure_pretty_midi(seventh).ending_tonic, measure_pretty_midi(seventh).ending_full) == (True, False)


D_DORIAN = [62, 64, 65, 67, 69, 71, 72, 74, 72, 71, 69, 67, 65, 64, 62]


def test_a_d_dorian_scale_is_in_dorian_and_not_in_major(tmp_path: Path) -> None:
    pm = make_pm([("Melody", 73, [*quarters(D_DORIAN), (50, 15, 16)])])
    assert in_mode(pm, 2, "dorian")
    assert scale_fit(pm, 2, "major") == 12 / 16  # the two Fs and two Cs are off D major
    assert not in_mode(pm, 2, "major")
    assert scale_fit(pm, 0, "major") == 1.0 and not in_mode(pm, 0, "major")  # C major's notes, not its final
    path = tmp_path / "dorian.mid"
    pm.write(str(path))
    assert in_mode(path, 2, "dorian") and in_mode(str(path), 2, "Dorian")
    assert scale_fit(read_parts(pm), 2, "dorian") == 1.0


def test_minor_is_the_union_of_the_minors() -> None:
    a_melodic = make_pm([("Melody", 73, quarters([69, 71, 72, 74, 76, 78, 80, 81, 79, 77, 76, 74, 72, 71, 69]))])
    assert in_mode(a_melodic, 9, "minor")
    assert not in_mode(a_melodic, 9, "aeolian") and not in_mode(a_melodic, 9, "harmonic_minor")
    assert mode_scale("Harmonic-Minor") == frozenset({0, 2, 3, 5, 7, 8, 11})
    with pytest.raises(UnknownModeError, match="unknown mode 'blues'"):
        scale_fit(a_melodic, 9, "blues")
    assert scale_fit([], 0, "major") is None


def fake(seventh: float | None, cadence: float | None = None) -> PieceMetrics:
    return PieceMetrics(16, "4/4", "C major", 0, [], [], None, None, None, None, None, None, True, True,
                        seventh, cadence, [0, 5, 0, 7] * 4)


def test_jazz_prompts_share_of_seventh_bars() -> None:
    assert is_jazz("smoky jazz club") and is_jazz("Bossa nova by the sea") and is_jazz("a swinging big band")
    assert not is_jazz("calm folk song")
    group = Group("composer", "generated", ["a", "b", "c", "d"],
                  [fake(0.5, 1.0), fake(0.25, 0.5), fake(0.0, 0.0), fake(None)],
                  ["smoky jazz club", "smoky jazz club", "calm folk song", "slow blues"])
    found = prompt_set_metrics(group)
    assert found["seventh_share"] == 0.25
    assert found["jazz_pieces"] == 3 and found["jazz_seventh_share"] == 0.375
    assert found["by_prompt"]["smoky jazz club"] == {"seventh_share": 0.375, "cadence_share": 0.75,
                                                     "ending_full": 1.0}
    assert found["distinct_openings"] == 1 and found["distinct_window_share"] == 1 / 16
    references = reference_set_metrics(Group("chorales", "reference", ["x"], [fake(0.1)]))
    assert references == {"pieces": 1.0, "progression_windows": 4.0, "distinct_progressions": 1.0,
                          "distinct_openings": 1.0, "distinct_window_share": 0.25}
