"""Tests of the musicality metrics on hand-built MIDI with known answers, and a smoke test of the references."""

from __future__ import annotations

import dataclasses
import zlib
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pretty_midi
import pytest

from composer.evaluate.musicality import (
    PieceMetrics,
    measure_midi,
    measure_pretty_midi,
    set_metrics,
    summarise,
    truncate,
)
from composer.evaluate.musicality_metrics import (
    Meter,
    Note,
    Part,
    chord_onsets,
    compression_gain,
    note_bytes,
    prevailing_chord,
    read_parts,
)
from composer.evaluate.musicality_roles import idiomatic_range, infer_roles, roles_from_families
from composer.evaluate.references import build_references

NoteSpec = tuple[int, float, float]  # pitch, start beat, end beat
PartSpec = tuple[str, int, Sequence[NoteSpec]]  # track name, GM program, notes
SECONDS_PER_BEAT = 0.5  # 120 bpm


def make_pm(parts: Sequence[PartSpec], meter: tuple[int, int] = (4, 4)) -> pretty_midi.PrettyMIDI:
    """A PrettyMIDI at 120 bpm with one instrument per (name, program, notes)."""
    pm = pretty_midi.PrettyMIDI(resolution=480, initial_tempo=120.0)
    pm.time_signature_changes.append(pretty_midi.TimeSignature(meter[0], meter[1], 0.0))
    for name, program, notes in parts:
        inst = pretty_midi.Instrument(program=program, name=name)
        inst.notes = [
            pretty_midi.Note(velocity=80, pitch=p, start=s * SECONDS_PER_BEAT, end=e * SECONDS_PER_BEAT)
            for p, s, e in notes
        ]
        pm.instruments.append(inst)
    return pm


def quarters(pitches: list[int], start: float = 0.0) -> list[NoteSpec]:
    return [(p, start + i, start + i + 1) for i, p in enumerate(pitches)]


def test_crossing_bass_over_melody() -> None:
    melody = [(72, 0, 4), (72, 4, 8), (72, 8, 12)]
    bass = [(48, 0, 4), (76, 4, 8), (72, 8, 12)]  # below, above (crossed), unison (not crossed, still lowest)
    m = measure_pretty_midi(make_pm([("Melody", 73, melody), ("Bass", 33, bass)]))
    assert m.roles == ["melody", "bass"]
    assert m.voice_crossing == 1 / 3
    assert m.bass_lowest == 2 / 3
    assert m.co_sounding == 1.0


def test_doubling_is_left_out_of_crossing() -> None:
    pm = make_pm([("Melody", 73, [(72, 0, 4)]), ("Bass", 33, [(48, 0, 4)]), ("x", 0, [(80, 0, 4)])])
    assert measure_pretty_midi(pm, roles=["melody", "bass", "doubling"]).voice_crossing == 0.0
    assert measure_pretty_midi(pm, roles=["melody", "bass", "inner"]).voice_crossing == 1.0


def test_bar_repeats_exact_fractions() -> None:
    notes = quarters([60, 62, 64, 65]) + quarters([60, 62, 64, 65], 4) + quarters([67, 65, 64, 62], 8)
    notes += [(60, 16, 18), (67, 18, 20)]  # bar 3 empty, bar 4 half notes
    m = measure_pretty_midi(make_pm([("Melody", 0, notes)]))
    assert m.n_bars == 5
    assert m.parts[0].onset_repeat == 0.5
    assert m.parts[0].pitch_repeat == 0.25
    assert m.texture_repeat == 0.25
    assert m.parts[0].notes_per_bar == 14 / 5
    assert m.chord_roots[3] is None


def test_clash_rate_minor_second_and_major_seventh() -> None:
    pm = make_pm([("a", 0, [(60, 0, 6)]), ("b", 0, [(61, 0, 2), (64, 2, 4)])])
    assert measure_pretty_midi(pm).clash_rate == 0.5  # beats 4-6 hold one pc and are left out
    pm = make_pm([("a", 0, [(60, 0, 4)]), ("b", 0, [(71, 0, 4)])])
    assert measure_pretty_midi(pm).clash_rate == 1.0
    pm = make_pm([("a", 0, [(60, 0, 4)]), ("b", 0, [(67, 0, 4)])])
    assert measure_pretty_midi(pm).clash_rate == 0.0


def test_bass_root_wrong_root_bar() -> None:
    comp = [(p, 0, 4) for p in (60, 64, 67)] + [(p, 4, 8) for p in (65, 69, 72, 77)]
    pm = make_pm([("Chords", 0, comp), ("Bass", 33, [(48, 0, 4), (52, 4, 8)])])
    m = measure_pretty_midi(pm)
    assert m.chord_roots == [0, 5]
    assert m.bass_root == 0.5
    assert m.bass_lowest == 1.0


def test_chord_tone_strong_and_strong_beats() -> None:
    comp = [(p, 0, 4) for p in (48, 52, 55)]
    pm = make_pm([("Melody", 73, quarters([72, 74, 77, 71])), ("Chords", 0, comp)])
    m = measure_pretty_midi(pm)
    assert m.chord_roots == [0]
    assert m.parts[0].chord_tone_strong == 0.5  # beat 0 C is a chord tone, beat 2 F is not
    assert m.parts[1].chord_tone_strong == 1.0
    assert Meter(4, 4).strong_ticks() == frozenset({0, 24})
    assert Meter(3, 4).strong_ticks() == frozenset({0})
    assert Meter(6, 8).strong_ticks() == frozenset({0, 18})  # eighths 0 and 3


def chord_of(weights: dict[int, float]) -> tuple[int, str] | None:
    hist = np.zeros(12)
    for pc, w in weights.items():
        hist[pc] = w
    chord = prevailing_chord(hist)
    return None if chord is None else (chord.root, chord.quality)


def test_prevailing_chord_scoring() -> None:
    assert chord_of({0: 1, 4: 1, 7: 1}) == (0, "major")
    assert chord_of({9: 1, 0: 1, 4: 1}) == (9, "minor")
    assert chord_of({0: 1, 4: 1, 7: 1, 10: 0.2}) == (0, "dominant7")
    assert chord_of({0: 1, 7: 1}) == (0, "major")  # open fifth: C, Cm, C7 tie -> fewer pcs, major first
    assert chord_of({0: 1, 4: 1}) == (0, "major")  # C or Am without a third tone: lower root
    assert chord_of({11: 1, 2: 1, 5: 1}) == (11, "diminished")
    assert chord_of({7: 1, 11: 1, 5: 1, 4: 0.95}) == (4, "minor")  # complete Em beats G7 missing its D
    assert chord_of({}) is None


def test_step_and_leap_shares() -> None:
    line = [60, 62, 62, 65, 72, 86, 85, 73]  # intervals 2 0 3 7 14 1 12
    notes = [*quarters(line), (48, 0, 1)]  # a lower note under the first onset is not the top line
    part = measure_pretty_midi(make_pm([("Melody", 73, notes)])).parts[0]
    assert (part.step_share, part.leap_3_7, part.leap_over_octave) == (2 / 6, 2 / 6, 1 / 6)
    assert part.unison_share == 1 / 7  # the repeated D, over all seven intervals


def test_polyphony_of_a_chord() -> None:
    chord = [(p, 0, 4) for p in (60, 64, 67)]
    assert measure_pretty_midi(make_pm([("p", 0, chord)])).parts[0].polyphony == 3.0
    rest = [(p, 0, 2) for p in (60, 64, 67)] + [(72, 4, 6)]  # the rest at beats 2-4 is not sampled
    assert measure_pretty_midi(make_pm([("p", 0, rest)])).parts[0].polyphony == 2.0


def test_in_range_for_a_bass_part() -> None:
    notes = [(p, i, i + 1) for i, p in enumerate([28, 40, 55, 56, 60])]
    part = measure_pretty_midi(make_pm([("Bass", 33, notes), ("Melody", 73, [(80, 0, 5)])])).parts[0]
    assert (part.range_low, part.range_high) == (28, 55)
    assert part.in_range == 0.6
    assert part.median_pitch == 55.0
    assert part.p5_pitch == pytest.approx(30.4)
    assert idiomatic_range("Bass", 0, "bass") == (40, 64)  # a bass voice
    assert idiomatic_range("Cello", 42, "bass") == (36, 60)
    assert idiomatic_range("Cello", 42, "inner") == (36, 76)
    assert idiomatic_range("", 0, "bass") == (21, 108)  # program before role
    assert idiomatic_range("", 110, "bass") == (28, 55)


def test_co_sounding_exact() -> None:
    a, b = ("a", 0, [(60, 0, 4)]), ("b", 0, [(64, 2, 6)])
    assert measure_pretty_midi(make_pm([a, b])).co_sounding == pytest.approx(1 / 3)
    c = ("c", 0, [(67, 0, 4)])
    assert measure_pretty_midi(make_pm([a, b, c])).co_sounding == pytest.approx(5 / 9)


def cadence_piece(final_bass: int) -> pretty_midi.PrettyMIDI:
    melody = [*quarters([64, 65, 67, 72, 69, 65, 67, 71, 74, 72, 71, 74]), (72, 12, 16)]
    chords = [(p, 0, 4) for p in (60, 64, 67)] + [(p, 4, 8) for p in (65, 69, 72)] + [(p, 8, 12) for p in (67, 71, 74)]
    chords += [(p, 12, 16) for p in (60, 64, 67)]
    bass = [(48, 0, 4), (53, 4, 8), (43, 8, 12), (final_bass, 12, 16)]
    return make_pm([("Melody", 73, melody), ("Chords", 0, chords), ("Bass", 33, bass)])


def test_ending_tonic() -> None:
    good = measure_pretty_midi(cadence_piece(48))
    assert good.key == "C major" and good.tonic == 0
    assert good.ending_tonic is True
    assert good.chord_roots == [0, 5, 7, 0]
    assert good.bass_root == 1.0
    bad = measure_pretty_midi(cadence_piece(52))  # C/E: the final bass is E
    assert bad.key == "C major"
    assert bad.ending_tonic is False
    assert measure_pretty_midi(cadence_piece(48), bars=5).ending_tonic is False  # last bar silent


def test_compression_gain_repeated_motif_vs_random() -> None:
    motif = [(60, 0, 0.5), (64, 0.5, 1), (67, 1, 1.5), (72, 1.5, 3)]
    notes = [(p, s + 4 * k, e + 4 * k) for k in range(16) for p, s, e in motif]
    part = read_parts(make_pm([("m", 0, notes)]))[0]
    repeated = compression_gain(part)
    assert repeated is not None and repeated > 1.5
    units = note_bytes(part.notes)
    ratio = [len(b) / len(zlib.compress(b, 9)) for b in [b"".join(units)]]
    shuffled = [b"".join(units[i] for i in np.random.default_rng(seed).permutation(64)) for seed in range(8)]
    baseline = np.mean([len(b) / len(zlib.compress(b, 9)) for b in shuffled])
    assert repeated == ratio[0] / baseline
    rng = np.random.default_rng(1)
    starts = np.cumsum(rng.integers(1, 12, 64)) / 4
    random_notes = [(int(rng.integers(40, 90)), s, s + int(rng.integers(1, 12)) / 4) for s in starts]
    noise = measure_pretty_midi(make_pm([("m", 0, random_notes)])).parts[0].compression_gain
    assert noise is not None and abs(noise - 1) < 0.1
    again = measure_pretty_midi(make_pm([("m", 0, random_notes)])).parts[0].compression_gain
    assert again == noise
    assert compression_gain(Part("one", 0, ())) is None


def test_note_bytes() -> None:
    from composer.evaluate.musicality_metrics import Note

    assert note_bytes([Note(60, 0, 1), Note(64, 0.5, 0.75), Note(67, 100, 101)]) == [
        bytes((60, 0, 12)),
        bytes((64, 6, 3)),
        bytes((67, 255, 12)),
    ]


def instrument(program: int, pitches: list[int], name: str = "", drum: bool = False) -> pretty_midi.Instrument:
    inst = pretty_midi.Instrument(program=program, name=name, is_drum=drum)
    inst.notes = [pretty_midi.Note(80, p, i * 0.5, i * 0.5 + 0.5) for i, p in enumerate(pitches)]
    return inst


def test_infer_roles_piano_bass_flute_trio() -> None:
    trio = [instrument(0, [60, 64, 67]), instrument(33, [36, 43]), instrument(73, [79, 84])]
    assert infer_roles(trio) == ["comp", "bass", "melody"]
    strings = [instrument(40, [76]), instrument(41, [60]), instrument(42, [40])]
    assert infer_roles(strings) == ["melody", "inner", "bass"]
    named = [instrument(0, [50], "Cello"), instrument(0, [40], "Tuba"), instrument(0, [70], "Soprano")]
    assert infer_roles(named) == ["inner", "bass", "melody"]
    quartet = [instrument(40, [62], "Violin I"), instrument(40, [48], "Viola"), instrument(42, [55], "Cello")]
    assert infer_roles(quartet) == ["melody", "inner", "bass"]  # the only cello is the bass, though not lowest
    assert infer_roles([instrument(0, [60])]) == ["melody"]


def test_roles_from_families() -> None:
    band = [instrument(89, [60]), instrument(0, [62]), instrument(33, [40]), instrument(73, [80])]
    expected = {"bass": "electric_bass", "melody": "flute", "pad": "synth_pad"}
    assert roles_from_families(band, expected) == ["pad", "comp", "bass", "melody"]
    hands = [instrument(0, [72]), instrument(0, [48])]
    assert roles_from_families(hands, {"two_hands": "piano"}) == ["melody", "bass"]
    assert roles_from_families(hands[:1], {"two_hands": "piano"}) == ["melody"]
    with_flute = [instrument(73, [84]), *hands]
    assert roles_from_families(with_flute, {"melody": "flute", "two_hands": "piano"}) == ["melody", "comp", "bass"]
    basses = [instrument(34, [45]), instrument(33, [36])]
    assert roles_from_families(basses, {"bass": "bass"}) == ["bass", "bass"]  # the rest falls back to programs
    with pytest.raises(ValueError):
        roles_from_families(band, {"bass": "kazoo"})
    reel = [instrument(40, [79]), instrument(78, [74]), instrument(25, [55, 60, 64])]
    # the comping guitar sits lowest: the whistle above it is an inner line, and the trio has no bass
    assert roles_from_families(reel, {"comp": "acoustic_guitar"}) == ["melody", "inner", "comp"]


def test_drums_are_left_out_and_roles_checked() -> None:
    pm = make_pm([("Melody", 73, [(72, 0, 4)])])
    pm.instruments.append(instrument(0, [36, 38], "Drums", drum=True))
    m = measure_pretty_midi(pm)
    assert len(m.parts) == 1 and m.bass_lowest is None and m.bass_root is None
    with pytest.raises(ValueError):
        measure_pretty_midi(pm, roles=["melody", "bass"])


def test_truncate_keeps_first_bars() -> None:
    pm = make_pm([("m", 0, [(60, 0, 4), (62, 6, 10), (64, 8, 12), (65, 12, 16)])])
    cut = truncate(pm, 2)
    assert [(n.pitch, n.end) for n in cut.instruments[0].notes] == [(60, 2.0), (62, 4.0)]
    assert measure_pretty_midi(cut).n_bars == 2
    assert len(pm.instruments[0].notes) == 4  # the original is untouched


def piece(key: str, tonic: int, roots: list[int | None]) -> PieceMetrics:
    return PieceMetrics(len(roots), "4/4", key, tonic, [], [], None, None, None, None, None, None, False, False,
                        None, None, roots)


def test_set_metrics() -> None:
    a = piece("C major", 0, [0, 5, 0, 7, 0, 5, 0, 7])
    b = piece("G major", 7, [7, 0, 7, 2, 9, 2, 7, None])
    out = set_metrics([a, b], default_plan=[0, 5, 0, 7])
    assert out["distinct_keys"] == 2
    assert out["progression_windows"] == 4
    assert out["distinct_progressions"] == 2
    assert out["default_plan_share"] == 13 / 15
    assert out["distinct_openings"] == 1  # both open (0, 5, 0, 7) relative to their tonic
    assert out["distinct_window_share"] == 2 / 4
    c = piece("D minor", 2, [2, 7, 9, 2, None])  # opens (0, 5, 7, 0); its second window is not whole
    three = set_metrics([a, b, c])
    assert (three["distinct_openings"], three["progression_windows"], three["distinct_window_share"]) == (2, 5, 3 / 5)
    assert set_metrics([a])["default_plan_share"] is None


def test_summarise_by_role() -> None:
    one = measure_pretty_midi(cadence_piece(48))
    two = measure_pretty_midi(cadence_piece(52))
    out = summarise([one, two])
    assert out["pieces"] == 2 and out["parts"] == 6
    assert out["ending_tonic"] == 0.5
    assert out["bass.median_pitch"] == (one.parts[2].median_pitch + two.parts[2].median_pitch) / 2
    assert out["melody.step_share"] == one.parts[0].step_share
    assert "bass.step_share" in out and "comp.polyphony" in out
    assert dataclasses.asdict(one)["parts"][0]["role"] == "melody"


def test_build_references_one_chorale(tmp_path: Path) -> None:
    counts = {"chorales": 1, "quartets": 0, "essen": 0, "ryan": 0, "piano": 0}
    refs = build_references(tmp_path, counts=counts)
    assert [(g, p.name, r) for g, p, r in refs] == [
        ("chorales", "chorales-bach-bwv1.6-16bars.mid", ["melody", "inner", "inner", "bass"])
    ]
    written = refs[0][1].stat().st_mtime_ns
    assert build_references(tmp_path, counts=counts) == refs
    assert refs[0][1].stat().st_mtime_ns == written  # cached, not rewritten
    m = measure_midi(refs[0][1], roles=refs[0][2])
    assert m.n_bars == 16 and m.meter == "4/4" and m.key == "F major"
    assert [p.name for p in m.parts] == ["Soprano", "Alto", "Tenor", "Bass"]
    assert m.voice_crossing is not None and m.voice_crossing < 0.1
    assert m.bass_lowest is not None and m.bass_lowest > 0.9


def test_chord_onsets_counts_onsets_of_three_or_more_notes() -> None:
    part = Part("Piano", 0, tuple(Note(p, s, s + 1) for s, ps in ((0, (60, 64, 67)), (1, (62,)), (2, (60, 64)),
                                                                    (3, (55, 60, 64, 67))) for p in ps))
    assert chord_onsets(part) == 0.5


def test_a_part_that_stops_playing_is_counted_by_its_silent_bars() -> None:
    from composer.evaluate.musicality import bars_sounding, parts_present
    from composer.evaluate.musicality_metrics import Meter, Note, Part

    held = Part("Cello", 42, (Note(48, 0.0, 8.0),))  # sounds through bars 1-2 of four
    assert bars_sounding(held, Meter(4, 4), 4) == 0.5
    assert parts_present([1.0, 0.95, 0.5]) == 2 / 3 and parts_present([]) is None


def test_a_bar_that_fits_several_chords_equally_is_read_from_its_lowest_note() -> None:
    from composer.evaluate.musicality_metrics import prevailing_chord

    only_a = np.zeros(12)
    only_a[9] = 4.0  # a guitar and a bass playing A the whole bar: A, D major, F major, F# minor all fit it
    assert prevailing_chord(only_a).root == 2  # without the bass: the earlier template
    assert prevailing_chord(only_a, lowest=9).root == 9
    c_major = np.zeros(12)
    c_major[[0, 4, 7]] = 1.0
    assert prevailing_chord(c_major, lowest=4).root == 0  # no tie: the lowest note does not override the fit
