"""Constraint filters: exact masked ids on a small vocabulary, inputs unchanged, impossible requests refused,
and (hypothesis) a random model under random settings always meets every hard constraint."""

import functools
import itertools

import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from composer.constraints import (
    GRAMMAR,
    ConstraintSpec,
    GrammarMask,
    InstrumentMask,
    KeyMask,
    MeterMask,
    Tracker,
    UnsatisfiableError,
    build_constraints,
    polyphony_cap,
    scale_pitch_classes,
)
from composer.core.gm import playable_range
from composer.decode.model import ModelConfig, MusicTransformer
from composer.decode.sampling import SamplingConfig, sample
from composer.decode.tokens import MusicTokenizer, TokenizerSettings

from .conftest import corpus_score


@functools.cache
def small_tokenizer() -> MusicTokenizer:
    """Pitches 48-84, 4 positions a beat, two meters: a vocabulary small enough to read the masks."""
    return MusicTokenizer(TokenizerSettings(pitch_range=(48, 84), beat_resolution=4, long_note_resolution=2,
                                            max_note_beats=4, num_velocities=4, num_tempos=2,
                                            time_signatures=("3/4", "4/4")))


def ids_of(tokenizer: MusicTokenizer, *tokens: str) -> list[int]:
    return [tokenizer.token_id(t) for t in tokens]


def run(filter_, tokenizer: MusicTokenizer, tokens: list[str]) -> tuple[set[int], torch.Tensor]:
    """Feed BOS + tokens, apply the filter to zero scores; the ids left allowed, and the input after."""
    ids = torch.tensor(ids_of(tokenizer, "BOS", *tokens))
    scores = torch.zeros(len(tokenizer))
    out = filter_(ids, scores)
    return set(torch.nonzero(torch.isfinite(out)).flatten().tolist()), scores


def named(tokenizer: MusicTokenizer, prefix: str, values) -> set[int]:  # type: ignore[no-untyped-def]
    return {tokenizer.token_id(f"{prefix}_{v}") for v in values}


NOTE = ["Program_0", "Pitch_60", "Velocity_63", "Duration_1.0.4"]  # a crotchet on middle C


def test_grammar_table_holds_for_real_pieces():
    tokenizer = MusicTokenizer()
    for path, number in (("bach/bwv66.6", None), ("essenFolksong/altdeu10", 1)):
        ids = tokenizer.encode(corpus_score(path, number))
        kinds = ["BOS"] + [tokenizer.token_type(i) for i in ids] + ["EOS"]
        assert all(b in GRAMMAR[a] for a, b in itertools.pairwise(kinds)), path


def test_grammar_mask_exact_ids_and_input_unchanged():
    tok = small_tokenizer()
    mask = GrammarMask(Tracker(tok))
    allowed, scores = run(mask, tok, [])
    assert allowed == {tok.token_id("Bar")} and torch.equal(scores, torch.zeros(len(tok)))
    mask = GrammarMask(Tracker(tok))
    allowed, _ = run(mask, tok, ["Bar", "TimeSig_4/4", "Position_5", *NOTE])
    # 4/4 at 4 positions a beat: 16 positions; after position 5 come 6..15, another note, a bar, or the end
    assert allowed == named(tok, "Position", range(6, 16)) | named(tok, "Program", range(-1, 128)) \
        | set(ids_of(tok, "Bar", "EOS"))
    mask = GrammarMask(Tracker(tok))
    allowed, _ = run(mask, tok, ["Bar", "TimeSig_3/4", "Position_0", "Program_-1"])
    assert allowed == {i for i in range(len(tok)) if tok.token_type(i) == "PitchDrum"}


def test_meter_mask_forces_the_meter_and_the_bar_count():
    tok = small_tokenizer()
    mask = MeterMask(Tracker(tok), bars=2, meter=(3, 4))
    assert run(mask, tok, ["Bar"])[0] == {tok.token_id("TimeSig_3/4")}
    allowed, _ = run(MeterMask(Tracker(tok), bars=2, meter=(3, 4)), tok, ["Bar", "TimeSig_3/4", "Position_0", *NOTE])
    assert tok.eos_id not in allowed and tok.token_id("Bar") in allowed  # bar 1 of 2: no end yet
    last = ["Bar", "TimeSig_3/4", "Bar", "TimeSig_3/4", "Position_8", *NOTE]
    allowed, _ = run(MeterMask(Tracker(tok), bars=2, meter=(3, 4)), tok, last)
    assert tok.eos_id in allowed and tok.token_id("Bar") not in allowed
    # in the last bar a note at position 8 of 12 may last 4 positions (one beat), not longer
    allowed, _ = run(MeterMask(Tracker(tok), bars=2, meter=(3, 4)), tok, last[:-1])
    durations = {i for i in allowed if tok.token_type(i) == "Duration"}
    assert durations == set(ids_of(tok, "Duration_0.1.4", "Duration_0.2.4", "Duration_0.3.4", "Duration_1.0.4"))
    with pytest.raises(UnsatisfiableError):
        MeterMask(Tracker(tok), bars=0)
    with pytest.raises(UnsatisfiableError):
        MeterMask(Tracker(tok), bars=2, meter=(7, 8))


def test_key_mask_opens_on_the_tonic_triad_keeps_the_scale_and_cadences():
    tok = small_tokenizer()
    pitches = range(48, 85)
    key = KeyMask(Tracker(tok), tonic=2, mode="minor", bars=2)
    allowed, _ = run(key, tok, ["Bar", "TimeSig_4/4", "Position_0", "Program_0"])
    triad = named(tok, "Pitch", [p for p in pitches if p % 12 in (2, 5, 9)])
    assert {i for i in allowed if tok.token_type(i) == "Pitch"} == triad
    key = KeyMask(Tracker(tok), tonic=2, mode="minor", bars=2)
    allowed, _ = run(key, tok, ["Bar", "TimeSig_4/4", "Position_0", *NOTE[:1], "Pitch_62", *NOTE[2:],
                                "Position_4", "Program_0"])
    scale = named(tok, "Pitch", [p for p in pitches if p % 12 in scale_pitch_classes(2, "minor")])
    assert {i for i in allowed if tok.token_type(i) == "Pitch"} == scale
    assert tok.token_id("Pitch_61") in allowed and tok.token_id("Pitch_71") in allowed  # raised 7th and 6th
    assert tok.token_id("Pitch_63") not in allowed
    key = KeyMask(Tracker(tok), tonic=2, mode="minor", bars=2)
    allowed, _ = run(key, tok, ["Bar", "TimeSig_4/4", "Position_0", *NOTE[:1], "Pitch_62", *NOTE[2:],
                                "Bar", "TimeSig_4/4", "Position_0", "Program_0"])
    assert {i for i in allowed if tok.token_type(i) == "Pitch"} == named(tok, "Pitch", [50, 62, 74])
    chromatic = KeyMask(Tracker(tok), tonic=2, mode="minor", bars=4, chromatic_budget=1)
    prefix = ["Bar", "TimeSig_4/4", "Position_0", *NOTE[:1], "Pitch_62", *NOTE[2:]]
    assert tok.token_id("Pitch_63") in run(chromatic, tok, [*prefix, "Position_2", "Program_0"])[0]  # off the beat
    chromatic = KeyMask(Tracker(tok), tonic=2, mode="minor", bars=4, chromatic_budget=1)
    assert tok.token_id("Pitch_63") not in run(chromatic, tok, [*prefix, "Position_4", "Program_0"])[0]  # on it


def test_instrument_mask_programs_ranges_polyphony_and_drum_keys():
    tok = small_tokenizer()
    mask = InstrumentMask(Tracker(tok), [73, -1])  # flute and drums
    allowed, _ = run(mask, tok, ["Bar", "TimeSig_4/4", "Position_0"])
    assert {i for i in allowed if tok.token_type(i) == "Program"} == set(ids_of(tok, "Program_73", "Program_-1"))
    mask = InstrumentMask(Tracker(tok), [73, -1])
    allowed, _ = run(mask, tok, ["Bar", "TimeSig_4/4", "Position_0", "Program_73"])
    low, high = playable_range(73)
    assert {i for i in allowed if tok.token_type(i) == "Pitch"} == named(tok, "Pitch", range(low, min(high, 84) + 1))
    mask = InstrumentMask(Tracker(tok), [73, -1])
    allowed, _ = run(mask, tok, ["Bar", "TimeSig_4/4", "Position_0", "Program_73", "Pitch_72", "Velocity_63",
                                 "Duration_2.0.4"])
    assert polyphony_cap(73) == 1 and tok.token_id("Program_73") not in allowed  # the flute is still sounding
    assert tok.token_id("Program_-1") in allowed
    mask = InstrumentMask(Tracker(tok), [73, -1])
    allowed, _ = run(mask, tok, ["Bar", "TimeSig_4/4", "Position_0", "Program_-1"])
    drums = {i for i in allowed if tok.token_type(i) == "PitchDrum"}
    assert drums and all(35 <= int(tok.tokens[i].split("_")[1]) <= 81 for i in drums)
    with pytest.raises(UnsatisfiableError):
        InstrumentMask(Tracker(tok), [73], scale=set())
    with pytest.raises(UnsatisfiableError):
        InstrumentMask(Tracker(tok), [])


@functools.cache
def random_model() -> tuple[MusicTransformer, MusicTokenizer]:
    tokenizer = MusicTokenizer()
    torch.manual_seed(0)
    model = MusicTransformer(ModelConfig(vocab_size=len(tokenizer), n_layer=1, n_head=2, d_model=32, d_ff=64,
                                         max_relative=64, block_size=64, dropout=0.0)).eval()
    return model, tokenizer


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tonic=st.integers(0, 11), mode=st.sampled_from(["major", "minor"]),
       meter=st.sampled_from([(2, 4), (3, 4), (4, 4), (6, 8)]), bars=st.integers(1, 3),
       programs=st.lists(st.sampled_from([0, 24, 33, 40, 56, 73, 48, -1]), min_size=1, max_size=3, unique=True),
       seed=st.integers(0, 10**6))
def test_random_model_meets_every_hard_constraint(tonic, mode, meter, bars, programs, seed):
    model, tok = random_model()
    spec = ConstraintSpec(bars=bars, meter=meter, key=(tonic, mode), programs=programs)
    ids = sample(model, [tok.bos_id], None, SamplingConfig(seed=seed, max_tokens=bars * 400),
                 processors=build_constraints(tok, spec), stop_ids=[tok.eos_id])
    assert ids[-1] == tok.eos_id
    kinds = ["BOS"] + [tok.token_type(i) for i in ids]
    assert all(b in GRAMMAR[a] for a, b in itertools.pairwise(kinds))
    assert kinds.count("Bar") == bars
    assert {tok.tokens[i] for i in ids if kinds[ids.index(i) + 1] == "TimeSig"} == {f"TimeSig_{meter[0]}/{meter[1]}"}
    score = tok.decode(ids)
    bar_ticks = 480 * 4 * meter[0] // meter[1]
    scale = scale_pitch_classes(tonic, mode)
    for track in score.tracks:
        program = -1 if track.is_drum else track.program
        assert program in programs
        for note in track.notes:
            assert note.start + note.duration <= bars * bar_ticks
            if not track.is_drum:
                low, high = playable_range(program)
                assert note.pitch % 12 in scale and low <= note.pitch <= high
        starts = sorted({n.start for n in track.notes})
        for t in starts:  # polyphony: notes of this track sounding at each onset
            assert sum(1 for n in track.notes if n.start <= t < n.start + n.duration) <= polyphony_cap(program)


def biased(bias, tok: MusicTokenizer, tokens: list[str]) -> dict[str, float]:
    """Feed BOS + tokens, apply the bias to zero scores; the tokens it moved and by how much."""
    ids = torch.tensor(ids_of(tok, "BOS", *tokens))
    scores = torch.zeros(len(tok))
    out = bias(ids, scores)
    assert torch.equal(scores, torch.zeros(len(tok)))  # input unchanged
    return {tok.tokens[i]: float(out[i]) for i in torch.nonzero(out).flatten().tolist()}


def test_chord_bias_favours_chord_tones_on_the_beat_only():
    from composer.constraints import ChordBias

    tok = small_tokenizer()
    start = ["Bar", "TimeSig_4/4", "Position_4", "Program_0"]
    moved = biased(ChordBias(Tracker(tok), [{0, 4, 7}], strength=2.0), tok, start)
    assert {t for t, v in moved.items() if v > 0} == {f"Pitch_{p}" for p in range(48, 85) if p % 12 in (0, 4, 7)}
    assert all(v == -1.0 for t, v in moved.items() if t not in {f"Pitch_{p}" for p in (48, 52, 55, 60, 64, 67,
                                                                                       72, 76, 79, 84)})
    assert biased(ChordBias(Tracker(tok), [{0, 4, 7}]), tok, ["Bar", "TimeSig_4/4", "Position_5", "Program_0"]) == {}


def test_leap_bias_penalises_wide_leaps_and_parallel_fifths():
    from composer.constraints import LeapBias

    tok = small_tokenizer()
    one = ["Bar", "TimeSig_4/4", "Position_0", "Program_0", "Pitch_60", "Velocity_63", "Duration_1.0.4",
           "Position_4", "Program_0"]
    moved = biased(LeapBias(Tracker(tok), 1.0), tok, one)
    assert set(moved) == {f"Pitch_{p}" for p in range(48, 85) if abs(p - 60) > 12}
    # cello C3 and violin G3 (a fifth), then the cello moves to D3: the violin's A3 (and its octaves) would
    # make parallel fifths; its own G3 (no motion) is fine
    two = ["Bar", "TimeSig_4/4", "Position_0", "Program_42", "Pitch_48", "Velocity_63", "Duration_1.0.4",
           "Program_40", "Pitch_55", "Velocity_63", "Duration_1.0.4",
           "Position_4", "Program_42", "Pitch_50", "Velocity_63", "Duration_1.0.4", "Program_40"]
    moved = biased(LeapBias(Tracker(tok), 1.0), tok, two)
    assert moved["Pitch_57"] == -1.0 and "Pitch_55" not in moved and "Pitch_58" not in moved
    assert moved["Pitch_69"] == -2.0  # a fifth again (compound), and a leap of more than an octave from G3


def test_motif_and_density_biases_point_at_the_right_positions_and_pitches():
    from composer.constraints import DensityBias, MotifBias

    tok = small_tokenizer()
    bar = ["Bar", "TimeSig_4/4", "Position_2", "Program_0", "Pitch_64", "Velocity_63", "Duration_0.2.4"]
    moved = biased(MotifBias(Tracker(tok), period=2), tok, [*bar, "Bar", "TimeSig_4/4", "Bar", "TimeSig_4/4"])
    assert moved == {"Position_2": 1.0}  # bar 3 repeats bar 1's rhythm...
    moved = biased(MotifBias(Tracker(tok), period=2), tok,
                   [*bar, "Bar", "TimeSig_4/4", "Bar", "TimeSig_4/4", "Position_2", "Program_0"])
    assert moved == {"Pitch_64": 1.0}  # ...and its pitch
    from composer.constraints import scale_pitch_classes
    from composer.core.harmony import numeral_chord

    plan = [numeral_chord(n, 0) for n in ("I", "vi", "IV", "V")]  # C major: bar 3 on F, bar 4 on G
    tokens = [*bar, "Bar", "TimeSig_4/4", "Bar", "TimeSig_4/4", "Position_2", "Program_0"]
    moved = biased(MotifBias(Tracker(tok), period=2, harmony=plan, scale=scale_pitch_classes(0, "major")), tok, tokens)
    assert moved == {"Pitch_69": 1.0}  # a sequence: E over C comes back as A over F, three scale steps up
    comping = biased(MotifBias(Tracker(tok), period=2, harmony=plan, scale=scale_pitch_classes(0, "major"),
                               keeps=frozenset({0})), tok, tokens)
    assert "Pitch_69" not in comping  # an accompanying part keeps its voicings, it does not sequence
    moved = biased(DensityBias(Tracker(tok), onsets_per_bar=8), tok, ["Bar", "TimeSig_4/4", "Position_0", *NOTE[:4]])
    assert "Position_2" not in moved  # eight onsets a bar in 4/4: the next one a quaver later is on schedule
    assert set(moved) == {f"Position_{p}" for p in range(16) if p != 2} and all(v < 0 for v in moved.values())
    sparse = biased(DensityBias(Tracker(tok), onsets_per_bar=2), tok, ["Bar", "TimeSig_4/4", "Position_0", *NOTE[:4]])
    assert "Position_8" not in sparse and sparse["Program_0"] < 0  # a sparse target also thins the chords


def test_coverage_brings_silent_parts_in_on_the_beat_and_keeps_their_entries_from_blipping():
    from composer.constraints import CoverageBias

    tok = small_tokenizer()

    def cover(tokens: list[str]) -> dict[str, float]:
        return biased(CoverageBias(Tracker(tok), [0, 33], strength=2.0, gap=2.0), tok, tokens)

    start = ["Bar", "TimeSig_4/4", "Position_0"]
    moved = cover(start)
    assert set(moved) == {"Program_0", "Program_33"} and min(moved.values()) > 100  # never heard: both due
    bass = ["Program_33", "Pitch_48", "Velocity_63", "Duration_1.0.4"]  # a crotchet, ends on beat 2
    long_tune = ["Program_0", "Pitch_60", "Velocity_63", "Duration_3.0.4"]  # ends on beat 4
    moved = cover([*start, *long_tune, *bass, "Position_6"])
    assert moved == {"Program_33": 1.0}  # silent half a beat, off the beat: nudged, not forced
    moved = cover([*start, *long_tune, *bass, "Position_12"])
    assert moved["Program_33"] > 100 and "Program_0" not in moved  # two beats silent on a beat; the tune sounds
    # the entry's Duration: a beat or more; shorter ones pushed down (the tune leads, with more notes)
    tune = ["Program_0", "Pitch_60", "Velocity_63", "Duration_0.2.4"]
    entry = [*start, *tune, "Position_2", *tune, "Position_8", "Program_33", "Pitch_48", "Velocity_63"]
    moved = cover(entry)
    assert moved and all(t.startswith("Duration_") and v < 0 for t, v in moved.items())
    assert "Duration_1.0.4" not in moved and moved["Duration_0.2.4"] == -4.0
    # the leading part's own entries keep the model's rhythm
    assert cover([*start, *tune, "Position_2", *tune, "Position_8", *bass, "Position_12", "Program_0", "Pitch_60",
                  "Velocity_63"]) == {}


def test_default_harmony_plan_ends_on_dominant_then_tonic():
    from composer.constraints import default_harmony

    plan = default_harmony(9, "minor", 6)  # A minor: i iv i V7, then V7 i
    assert plan == [{9, 0, 4}, {2, 5, 9}, {9, 0, 4}, {4, 8, 11, 2}, {4, 8, 11, 2}, {9, 0, 4}]
    assert default_harmony(0, "major", 1) == [{0, 4, 7}]
    spec = ConstraintSpec(bars=4, key=(0, "major"))
    names = [type(f).__name__ for f in build_constraints(MusicTokenizer(), spec)]
    assert "ChordBias" in names
    spec = ConstraintSpec(bars=4, key=(0, "major"), off={"harmony"})
    assert "ChordBias" not in [type(f).__name__ for f in build_constraints(MusicTokenizer(), spec)]


def test_copied_key_profiles_match_music21():
    import numpy as np

    from composer.core.analysis import PROFILES, music21_profiles

    for method in ("key", "Krumhansl"):
        assert np.allclose(PROFILES[method.lower()], music21_profiles(method))


def test_tonal_balance_holds_back_an_overused_degree():
    from composer.constraints import TonalBias

    tok = small_tokenizer()
    pedal = ["Bar", "TimeSig_4/4", "Position_0", "Program_0", "Pitch_69", "Velocity_63", "Duration_4.0.2",
             "Bar", "TimeSig_4/4", "Position_0", "Program_0"]  # a whole bar of A in D major
    held = biased(TonalBias(Tracker(tok), tonic=2, mode="major"), tok, pedal)
    fresh = biased(TonalBias(Tracker(tok), tonic=2, mode="major"), tok, ["Bar", "TimeSig_4/4", "Position_0",
                                                                         "Program_0"])
    assert held["Pitch_69"] < fresh["Pitch_69"] - 1.0  # A was held: now it is held back
    assert held["Pitch_66"] == fresh["Pitch_66"] < 0  # F# is not (and ranks below the tonic, which is 0)


def test_a_resample_pulls_in_the_scale_degrees_left_short():
    from composer.constraints import TonalBias

    tok = small_tokenizer()
    drone = ["Bar", "TimeSig_4/4", "Position_0", "Program_0", "Pitch_62", "Velocity_63", "Duration_4.0.2",
             "Bar", "TimeSig_4/4", "Position_0", "Program_0"]  # a whole bar of D in D major, no C# yet
    plain = biased(TonalBias(Tracker(tok), tonic=2, mode="major"), tok, drone)
    pulled = biased(TonalBias(Tracker(tok), tonic=2, mode="major", deficit=1.0), tok, drone)
    assert pulled["Pitch_61"] > plain["Pitch_61"] + 1.0 and pulled["Pitch_66"] > plain["Pitch_66"] + 1.0  # C#, F#
    assert pulled["Pitch_62"] == plain["Pitch_62"]  # the tonic has its share and more
    assert pulled["Pitch_60"] == plain["Pitch_60"]  # C natural is no degree of D major: never pulled in
    held = ["Bar", "TimeSig_4/4", "Position_0", "Program_0", "Pitch_62", "Velocity_63", "Duration_4.0.2",
            "Bar", "TimeSig_4/4", "Position_0", "Program_0", "Pitch_60", "Velocity_63", "Duration_4.0.2",
            "Program_0"]  # D a bar, then a C held: C# is short but would clash with it
    plain = biased(TonalBias(Tracker(tok), tonic=2, mode="major"), tok, held)
    pulled = biased(TonalBias(Tracker(tok), tonic=2, mode="major", deficit=1.0), tok, held)
    assert pulled["Pitch_61"] == plain["Pitch_61"] and pulled["Pitch_64"] > plain["Pitch_64"]  # E is pulled in


def test_the_ending_bass_holds_its_tonic_and_does_not_strike_it_again():
    from composer.constraints.ending import EndingMask

    tok = small_tokenizer()  # 3/4 at 4 positions a beat: a bar is 12 positions, 3 beats
    last_bar = ["Bar", "TimeSig_3/4", "Position_0", "Program_32", "Pitch_50", "Velocity_127", "Duration_3.0.4",
                "Position_4", "Program_32"]
    allowed, _ = run(EndingMask(Tracker(tok), bars=1, tonic=2, program=32), tok, last_bar)
    pitches = {int(tok.tokens[i].split("_")[1]) for i in allowed if tok.token_type(i) == "Pitch"}
    assert pitches and min(pitches) > 50  # above the held D, and not the D itself (it would cut the held note)
    allowed, _ = run(EndingMask(Tracker(tok), bars=1, tonic=2, program=32), tok, [*last_bar[:-1], "Program_0"])
    assert 50 in {int(tok.tokens[i].split("_")[1]) for i in allowed if tok.token_type(i) == "Pitch"}  # a unison


def test_the_ender_strikes_the_lowest_tonic_the_other_masks_leave() -> None:
    """A comp guitar that took B4 as its final tonic had no chord tone left above it in its register, and the
    ending let its D#4 in below: now the first strike is the lowest tonic still allowed."""
    from composer.constraints.ending import EndingMask

    tok = small_tokenizer()
    start = ["Bar", "TimeSig_3/4", "Position_0", "Program_24"]
    scores = torch.zeros(len(tok))
    scores[[tok.token_id(f"Pitch_{p}") for p in (48, 49, 50, 51)]] = float("-inf")  # an earlier mask's window
    ids = torch.tensor(ids_of(tok, "BOS", *start))
    out = EndingMask(Tracker(tok), bars=1, tonic=2, program=24, lowest=True)(ids, scores)
    left = [tok.tokens[i] for i in torch.nonzero(torch.isfinite(out)).flatten()]
    assert left == ["Pitch_62"]  # D4: D3 (50) is out of the window, D5 (74) lies higher
    line = EndingMask(Tracker(tok), bars=1, tonic=2, program=24)(ids, scores)  # a single line: its own choice
    pitches = {tok.tokens[i] for i in torch.nonzero(torch.isfinite(line)).flatten() if tok.token_type(i) == "Pitch"}
    assert pitches == {"Pitch_62", "Pitch_74"}


def test_a_pitch_still_sounding_on_its_instrument_is_not_struck_again_unless_nothing_else_is_left() -> None:
    from composer.constraints.masks import RestrikeMask

    tok = small_tokenizer()
    held = ["Bar", "TimeSig_4/4", "Position_0", "Program_24", "Pitch_64", "Velocity_63", "Duration_4.0.2",
            "Position_8", "Program_24"]
    allowed, _ = run(RestrikeMask(Tracker(tok)), tok, held)
    assert tok.token_id("Pitch_64") not in allowed and tok.token_id("Pitch_65") in allowed
    other = ["Bar", "TimeSig_4/4", "Position_0", "Program_24", "Pitch_64", "Velocity_63", "Duration_4.0.2",
             "Position_8", "Program_0"]
    allowed, _ = run(RestrikeMask(Tracker(tok)), tok, other)
    assert tok.token_id("Pitch_64") in allowed  # another instrument may double it
    mask = RestrikeMask(Tracker(tok))
    only_held = torch.full((len(tok),), float("-inf"))
    only_held[tok.token_id("Pitch_64")] = 0.0
    out = mask(torch.tensor(ids_of(tok, "BOS", *held)), only_held)
    assert float(out[tok.token_id("Pitch_64")]) == 0.0  # steps aside rather than leave nothing


def test_every_requested_part_enters_on_the_first_onset() -> None:
    from composer.constraints.masks import EntryMask

    tok = small_tokenizer()
    first = ["Bar", "TimeSig_4/4", "Position_0", *NOTE]
    allowed, scores = run(EntryMask(Tracker(tok), [0, 24, -1]), tok, first)
    assert allowed == {i for i in range(len(tok)) if tok.token_type(i) == "Program"}  # no Position, Bar or end
    assert torch.equal(scores, torch.zeros(len(tok)))
    both = [*first, "Program_24", "Pitch_64", "Velocity_63", "Duration_1.0.4"]
    allowed, _ = run(EntryMask(Tracker(tok), [0, 24, -1]), tok, both)  # the kit is arranged, not sampled
    assert allowed == set(range(len(tok)))
    later = [*first, "Program_24", "Pitch_64", "Velocity_63", "Duration_1.0.4", "Position_4", *NOTE]
    allowed, _ = run(EntryMask(Tracker(tok), [0, 24, 33]), tok, later)  # only the first onset
    assert tok.token_id("Position_8") in allowed


def test_a_random_model_starts_with_every_part_only_with_the_entry_mask() -> None:
    tok = small_tokenizer()
    model = MusicTransformer(ModelConfig(vocab_size=len(tok), n_layer=1, n_head=1, d_model=16, d_ff=32,
                                         block_size=256, max_relative=64, cond_dim=8, n_soft_tokens=0))
    starts = {}
    for entry in (True, False):
        together = 0
        for seed in range(8):
            spec = ConstraintSpec(bars=2, meter=(4, 4), key=(0, "major"), programs=[0, 24, 40], entry=entry)
            ids = sample(model, [tok.bos_id], None, SamplingConfig(seed=seed, max_tokens=400),
                         processors=build_constraints(tok, spec), stop_ids=[tok.eos_id])
            score = tok.decode(ids)
            first = min(n.start for t in score.tracks for n in t.notes)
            together += all(any(n.start == first for n in t.notes) for t in score.tracks) and len(score.tracks) == 3
        starts[entry] = together
    assert starts[True] == 8 and starts[False] < 8
