"""The ensemble: voices kept apart (two violins, SATB), two hands and a section's own bass, the order of
parts as a mask, the style's texture figures; then generated pieces judged from their MIDI files."""

from __future__ import annotations

import itertools

import pretty_midi
import pytest
import torch

from composer.ask.style_words import named_style, suggested_style
from composer.constraints import Tracker
from composer.constraints.roles import OrderMask
from composer.constraints.texture import TextureBias
from composer.constraints.voicing import GuideToneMask, VoicingMask
from composer.core.harmony import numeral_chord
from composer.core.textures import figure_for
from composer.core.voices import label, stand_in, voices_for
from composer.plan.request import describe

from .test_constraints import ids_of, run, small_tokenizer


def test_same_program_parts_get_their_own_voices_and_names() -> None:
    quartet = voices_for([40, 40, 41, 42])
    assert [v.name for v in quartet] == ["Violin I", "Violin II", "Viola", "Cello"]
    assert [v.program for v in quartet] == [40, 40, 41, 42]
    assert len({v.decode for v in quartet}) == 4 and quartet[0].decode == 40  # the second violin: a stand-in
    assert [v.name for v in voices_for([52, 52, 52, 52])] == ["Soprano", "Alto", "Tenor", "Bass"]
    assert stand_in(40, {40, 110}) not in {40, 110}


@pytest.mark.parametrize("prompt,expected", [
    ("a string quartet in G", {"Violin I": "melody", "Violin II": "counter", "Viola": "counter", "Cello": "bass"}),
    ("four-part choir hymn, SATB", {"Soprano": "melody", "Alto": "counter", "Tenor": "counter", "Bass": "bass"}),
    ("a gentle solo piano piece", {"Piano (right hand)": "melody",
                                   "Piano (left hand)": "bass"}),
    ("a pop song for piano, electric bass and drums", {"Piano (right hand)": "melody",
                                                       "Piano (left hand)": "comp",
                                                       "Electric Bass": "bass"}),
    ("a sad duet for cello and piano", {"Cello": "melody", "Piano (right hand)": "comp",
                                        "Piano (left hand)": "bass"}),
    ("a synth pad and electric piano", {"Synth Pad": "pad", "Electric Piano": "melody"}),
    ("a quiet hymn for church organ and choir", {"Church Organ (upper voices)": "pad",
                                                 "Church Organ (pedals)": "bass", "Choir": "melody"}),
    ("a stately baroque minuet for harpsichord and cello", {"Harpsichord (right hand)": "melody",
                                                             "Harpsichord (left hand)": "comp",
                                                             "Cello": "bass"}),  # the continuo bass
], ids=["quartet", "satb", "solo-piano", "piano-over-bass", "cello-duet", "pad-duo", "organ-pedals", "continuo"])
def test_roles_by_voice(prompt: str, expected: dict[str, str]) -> None:
    request = describe(prompt)
    assert request["roles"] == expected
    assert [label(v) for v in request.voices] == list(expected)


def test_style_figures_follow_the_meter() -> None:
    pop = figure_for("pop", "bass", 4, 4)
    assert pop is not None and pop.onsets == (0, 1.5, 2, 3)
    waltz = figure_for("pop", "comp", 3, 4)  # triple meter: the waltz's oom-pah-pah
    assert waltz is not None and waltz.onsets == (1, 2)
    jig = figure_for("folk", "bass", 6, 8)  # compound: one onset a dotted beat
    assert jig is not None and jig.onsets == (0.0, 3.0) and jig.length == 6.0
    five = figure_for("rock", "bass", 5, 4)
    assert five is not None and max(five.onsets) < 5 and 4.0 in five.onsets
    assert figure_for("pop", "melody", 4, 4) is None  # the model keeps the melody's rhythm


def test_style_words_and_suggestions() -> None:
    assert named_style("an irish jig for fiddle") == ("folk", "irish")
    assert named_style("a walking jazz bass") == ("swing", "jazz")
    assert named_style("a quiet piece") is None
    assert suggested_style("3/4", 100, [0], None)[0] == "waltz"
    assert suggested_style("6/8", 100, [40], None)[0] == "folk"
    assert suggested_style("4/4", 70, [40, 41, 42], None)[0] == "chorale"
    assert suggested_style("4/4", 120, [0, 33, -1], "rock")[0] == "rock"


def test_order_mask_keeps_the_bass_lowest_and_the_accompaniment_under_the_melody() -> None:
    tok = small_tokenizer()
    roles = {0: "melody", 33: "bass", 48: "pad"}
    melody = ["Bar", "TimeSig_4/4", "Position_0", "Program_0", "Pitch_67", "Velocity_63", "Duration_2.0.4"]
    allowed, _ = run(OrderMask(Tracker(tok), roles), tok, [*melody, "Program_48"])
    pitches = {int(tok.tokens[i].split("_")[1]) for i in allowed if tok.tokens[i].startswith("Pitch_")}
    assert max(pitches) == 67 and min(pitches) == 48  # the pad under the melody's top, ties allowed
    pad = [*melody, "Program_48", "Pitch_55", "Velocity_63", "Duration_2.0.4"]
    allowed, _ = run(OrderMask(Tracker(tok), roles), tok, [*pad, "Program_33"])
    pitches = {int(tok.tokens[i].split("_")[1]) for i in allowed if tok.tokens[i].startswith("Pitch_")}
    assert max(pitches) == 55  # the bass under everything sounding
    counter = {0: "melody", 41: "counter"}  # a counter-line may cross the melody (the bias asks it not to)
    allowed, _ = run(OrderMask(Tracker(tok), counter), tok, [*melody, "Program_41"])
    assert tok.token_id("Pitch_72") in allowed


def test_a_figured_bass_is_due_at_its_onsets_and_held_back_off_them() -> None:
    tok = small_tokenizer()
    texture = TextureBias(Tracker(tok), {33: "bass", 0: "melody"}, [{0, 4, 7}], style="ballad")
    start = ["Bar", "TimeSig_4/4", "Position_0", "Program_0", "Pitch_72", "Velocity_63", "Duration_1.0.4"]
    out = texture(torch.tensor(ids_of(tok, "BOS", *start)), torch.zeros(len(tok)))
    assert float(out[tok.token_id("Program_33")]) > 0  # the ballad bass is due on the downbeat
    later = [*start, "Position_4", "Program_0", "Pitch_74", "Velocity_63", "Duration_1.0.4"]
    out = texture(torch.tensor(ids_of(tok, "BOS", *later)), torch.zeros(len(tok)))
    assert float(out[tok.token_id("Program_33")]) < 0  # beat 2 is off its figure (beats 1 and 3)


def test_a_tune_pays_more_for_each_repeat_of_a_note_and_leaves_it_by_step() -> None:
    """The tunes repeated their note at 32% of their intervals (the corpus's 7-16%), in runs like A A A A."""
    from composer.constraints.roles import REPEAT_COST, RUN_COST

    tok = small_tokenizer()
    texture = TextureBias(Tracker(tok), {0: "melody"}, [{0, 4, 7}], style="folk")
    tokens = ["Bar", "TimeSig_4/4"]
    costs, steps = [], []
    for beat in range(3):  # C, C, C: the next C costs more each time; a step away gains once it repeats
        tokens += [f"Position_{4 * beat}", "Program_0", "Pitch_60", "Velocity_63", "Duration_1.0.4"]
        out = texture(torch.tensor(ids_of(tok, "BOS", *tokens, f"Position_{4 * beat + 4}", "Program_0")),
                      torch.zeros(len(tok)))
        costs.append(float(out[tok.token_id("Pitch_60")]))
        steps.append(float(out[tok.token_id("Pitch_62")]))
    assert costs == pytest.approx([-REPEAT_COST, -REPEAT_COST - RUN_COST, -REPEAT_COST - 2 * RUN_COST])
    assert steps == pytest.approx([0.0, RUN_COST, RUN_COST])


def test_no_onset_where_no_part_may_strike() -> None:
    """A figured bass and a held melody: the next Position is one where some part is free to play (the bass's
    next onset, or the melody's release), never one where only a part off its figure could sound."""
    tok = small_tokenizer()
    mask = VoicingMask(Tracker(tok), {33: "bass", 0: "melody"}, [{0, 4, 7}], style="ballad")
    start = ["Bar", "TimeSig_4/4", "Position_0", "Program_0", "Pitch_72", "Velocity_63", "Duration_2.0.4",
             "Program_33", "Pitch_48", "Velocity_63", "Duration_1.0.4"]  # melody held to beat 3, the bass's onset
    allowed, _ = run(mask, tok, start)
    assert tok.token_id("Position_4") not in allowed and tok.token_id("Position_6") not in allowed
    assert tok.token_id("Position_8") in allowed and tok.token_id("Bar_None") not in allowed  # the bass is due
    short = [*start[:6], "Duration_0.2.4", *start[7:]]  # the melody free from the second eighth
    allowed, _ = run(VoicingMask(Tracker(tok), {33: "bass", 0: "melody"}, [{0, 4, 7}], style="ballad"), tok, short)
    assert tok.token_id("Position_2") in allowed and tok.token_id("Position_1") not in allowed
    assert tok.token_id("Position_4") in allowed  # the melody may enter anywhere once free


def test_a_block_chord_on_a_seventh_chord_holds_its_third_and_seventh() -> None:
    """Comp chords of three notes on G7 (ballad figure): once the chord has only as many notes left as it lacks
    of B and F, those are its next notes; a triad, a broken chord or a chord with room left is not limited."""
    tok = small_tokenizer()

    def left(chord: str, *pitches: int) -> set[int]:
        voicing = VoicingMask(Tracker(tok), {0: "comp", 33: "bass"}, [numeral_chord(chord, 0)], style="ballad")
        struck = [t for p in pitches for t in ("Program_0", f"Pitch_{p}", "Velocity_63", "Duration_1.0.4")]
        allowed, _ = run(GuideToneMask(Tracker(tok), voicing), tok, ["Bar", "TimeSig_4/4", "Position_0", *struck,
                                                                     "Program_0"])
        return {int(tok.tokens[i].split("_")[1]) % 12 for i in allowed if tok.tokens[i].startswith("Pitch_")}

    assert left("V7", 55) == {11, 5}  # G struck: two notes left, B and F missing
    assert left("V7", 55, 59) == {5}  # G and B: the seventh
    assert left("V7", 53, 59) == set(range(12))  # both guide tones in: any (the voicing mask keeps chord tones)
    assert left("V7") == set(range(12))  # three notes to go, two missing: free
    assert left("V", 55) == set(range(12))  # a triad
    broken = VoicingMask(Tracker(tok), {0: "arp"}, [numeral_chord("V7", 0)], style="ballad")
    assert GuideToneMask(Tracker(tok), broken).blocks == {}


def _shipped() -> None:
    from composer.decode.checkpoint import CHECKPOINT_ROOT, DEFAULT_CHECKPOINT

    if not (CHECKPOINT_ROOT / DEFAULT_CHECKPOINT / "model.safetensors").exists():
        pytest.skip("no shipped checkpoint")


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_a_generated_quartet_has_four_parts_on_four_channels(tmp_path) -> None:  # type: ignore[no-untyped-def]
    _shipped()
    from composer import compose

    piece = compose("a string quartet", bars=4, seed=2)
    midi = pretty_midi.PrettyMIDI(str(piece.save_midi(tmp_path / "quartet.mid")))
    assert [i.name for i in midi.instruments] == ["Violin I", "Violin II", "Viola", "Cello"]
    assert [i.program for i in midi.instruments] == [40, 40, 41, 42]
    import mido

    channels = {m.channel for t in mido.MidiFile(tmp_path / "quartet.mid").tracks for m in t if m.type == "note_on"}
    assert len(channels) == 4
    cello = sorted(n.pitch for n in midi.instruments[3].notes)
    assert cello and cello[len(cello) // 2] <= 55


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_a_generated_solo_piano_plays_with_two_hands(tmp_path) -> None:  # type: ignore[no-untyped-def]
    _shipped()
    from composer import compose

    piece = compose("a gentle solo piano piece", bars=8, seed=1)
    midi = pretty_midi.PrettyMIDI(str(piece.save_midi(tmp_path / "piano.mid")))
    assert len(midi.instruments) == 1  # both hands on one piano track
    pitches = sorted(n.pitch for n in midi.instruments[0].notes)
    assert sum(p < 60 for p in pitches) >= 0.3 * len(pitches)  # a left hand below middle C
    assert pitches[-1] - pitches[0] >= 24


def test_a_sparse_request_thins_the_accompaniments_figures_to_whole_beats() -> None:
    from composer.core.textures import figure_for
    from composer.plan.spec import SPARSE_ONSETS

    busy = figure_for("ballad", "arp", 4, 4)
    sparse = figure_for("ballad", "arp", 4, 4, sparse=True)
    assert busy is not None and sparse is not None
    assert 0.5 in busy.onsets and sparse.onsets == (0.0, 1.0, 2.0, 3.0) and sparse.length >= 1.0
    assert figure_for("funk", "comp", 4, 4, sparse=True).onsets == (0.5,)  # all off the beat: its first stays
    assert describe("a peaceful, gentle forest at dawn")["onsets_per_bar"] <= SPARSE_ONSETS


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_a_choir_sings_in_its_voices_ranges_one_note_each_in_satb_order(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A bright prompt shifted every window up to 8 semitones, choirs too: a soprano centred at G#5 sat on G5-A5;
    a voice played as a string section could sing two notes; nothing kept the alto over the tenor."""
    _shipped()
    from composer import compose
    from composer.core.roles import VOICE_REGISTERS
    from composer.plan.spec import plan_request

    plan = plan_request("a bright, joyful four-part choir hymn, SATB", seed=4)
    names = {v.decode: v.name for v in plan.request.voices}
    assert plan.spec.registers is not None
    assert {names[p]: w for p, w in plan.spec.registers.items()} == VOICE_REGISTERS  # not moved by "bright"
    assert plan.spec.monophonic == frozenset(names)
    for seed in (1, 2):
        piece = compose("four-part choir hymn, SATB", bars=8, seed=seed)
        midi = pretty_midi.PrettyMIDI(str(piece.save_midi(tmp_path / f"hymn{seed}.mid")))
        voices = {i.name: i for i in midi.instruments}
        rolls = {}
        for name, (low, _, high) in VOICE_REGISTERS.items():
            notes = voices[name].notes
            assert all(low <= n.pitch <= high for n in notes), name
            ends = sorted((n.start, n.end) for n in notes)
            assert all(a[1] <= b[0] + 1e-6 for a, b in itertools.pairwise(ends)), f"{name} sang two notes at once"
            rolls[name] = {round(t * 8): n.pitch for n in notes for t in _ticks(n.start, n.end)}
        shared = rolls["Alto"].keys() & rolls["Tenor"].keys()
        assert shared and all(rolls["Alto"][t] >= rolls["Tenor"][t] for t in shared)


def _ticks(start: float, end: float, step: float = 0.125) -> list[float]:
    """The eighth-of-a-second instants a note sounds at."""
    return [start + i * step for i in range(max(1, int((end - start) / step)))]
