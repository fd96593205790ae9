"""The part-wise vocabulary (composer.decode.parts): chord tokens per bar, roles in the prefix, notes in role
order, transposition of chord tokens, and the chord plan forced as tokens while sampling."""

import functools

import numpy as np
import torch

from composer.constraints import ConstraintSpec, build_constraints
from composer.constraints.chords import ChordTokens
from composer.constraints.state import Tracker
from composer.core.harmony import numeral_chord
from composer.core.score import TICKS_PER_BEAT, Note, Score, TimeSignature, Track
from composer.decode.controls import controls_from_attributes, family_of, part_controls
from composer.decode.model import ModelConfig, MusicTransformer
from composer.decode.parts import (
    NO_CHORD,
    bar_chord_tokens,
    chord_slots,
    score_roles,
    token_of_chord,
    transposed_chord,
)
from composer.decode.sampling import SamplingConfig, sample
from composer.decode.tokens import MusicTokenizer, TokenizerSettings
from composer.train.data.shards import composer_tokenizer, separate_voices

BEAT = TICKS_PER_BEAT


@functools.cache
def tokenizer() -> MusicTokenizer:
    return composer_tokenizer()


def trio() -> Score:
    """Two bars of 4/4: a melody (flute), a bass (cello) and block chords (piano); C major, then G7."""
    melody = [Note(72 + step, i * BEAT, (i + 1) * BEAT, 80) for i, step in enumerate((0, 2, 4, 2, -1, 2, 5, 7))]
    bass = [Note(48, 0, 4 * BEAT, 80), Note(43, 4 * BEAT, 8 * BEAT, 80)]
    chords = [Note(p, 0, 4 * BEAT, 70) for p in (60, 64, 67)] + [Note(p, 4 * BEAT, 8 * BEAT, 70) for p in (59, 62, 65)]
    return Score(tracks=[Track("Piano", 0, False, chords), Track("Cello", 42, False, bass),
                         Track("Flute", 73, False, melody)], time_signatures=[TimeSignature(0, 4, 4)])


def test_roles_are_read_from_the_music() -> None:
    assert score_roles(trio()) == {73: "melody", 42: "bass", 0: "pad"}  # whole-bar chords


def test_each_bar_carries_its_chords_and_notes_come_in_role_order() -> None:
    tok = tokenizer()
    assert bar_chord_tokens(trio(), 2) == [["Chord_0-maj", "Chord_0-maj"], ["Chord_7-dom7", "Chord_7-dom7"]]
    tokens = [tok.tokens[i] for i in tok.encode(trio())]
    assert tokens[:4] == ["Bar_None", "TimeSig_4/4", "Chord_0-maj", "Chord_0-maj"]
    first = tokens.index("Position_0")
    programs = [t for t in tokens[first:tokens.index("Bar_None", 1)] if t.startswith("Program_")][:5]
    assert programs == ["Program_73", "Program_42", "Program_0", "Program_0", "Program_0"]  # melody, bass, rest


def test_the_part_wise_stream_decodes_to_the_same_notes() -> None:
    tok = tokenizer()
    back = tok.decode(tok.encode(trio()))
    original = sorted((t.program, n.pitch, n.start, n.end) for t in trio().tracks for n in t.notes)
    assert sorted((t.program, n.pitch, n.start, n.end) for t in back.tracks for n in t.notes) == original


def test_odd_meters_carry_one_chord_a_bar() -> None:
    assert (chord_slots(4), chord_slots(3), chord_slots(6), chord_slots(9)) == (2, 1, 2, 1)
    waltz = Score(tracks=[Track("Piano", 0, False, [Note(p, 0, 3 * BEAT, 80) for p in (57, 60, 64)])],
                  time_signatures=[TimeSignature(0, 3, 4)])
    assert bar_chord_tokens(waltz, 2) == [["Chord_9-min"], [NO_CHORD]]


def test_planned_chords_keep_their_root() -> None:
    assert token_of_chord(numeral_chord("vi7", 0)) == "Chord_9-min7"  # Am7, not C6
    assert token_of_chord(numeral_chord("V7", 2)) == "Chord_9-dom7"
    assert token_of_chord(set()) == NO_CHORD
    assert transposed_chord("Chord_11-min", 3) == "Chord_2-min" and transposed_chord(NO_CHORD, 5) == NO_CHORD


def test_roles_follow_their_instrument_in_the_prefix_and_in_dropout() -> None:
    assert part_controls([40, 42], {40: "melody"}) == ["Inst_40", "Role_melody", "Inst_42"]
    assert part_controls([46], {46: "arp"}) == ["Inst_46", "Role_comp"]  # no arpeggio parts in the corpus
    attributes = {"style": "chorale", "key": "G major", "meter": "4/4", "tempo_bpm": 90, "programs": [42, 40],
                  "roles": {"40": "melody", "42": "bass"}, "notes_per_bar": 10, "mean_pitch": 60,
                  "mean_velocity": 80, "polyphony": 2, "bars": 8}
    controls = controls_from_attributes(attributes)
    assert controls[4:8] == ["Inst_40", "Role_melody", "Inst_42", "Role_bass"]
    assert family_of("Role_bass") == family_of("Inst_40") == "Inst"


def test_a_vocabulary_without_roles_leaves_them_out_of_the_prefix() -> None:
    old = MusicTokenizer(TokenizerSettings())
    assert not old.part_wise and old.prefix(["Role_bass"]) == [old.bos_id]
    assert tokenizer().prefix(["Role_bass"]) == [tokenizer().bos_id, tokenizer().vocab["Role_bass"]]


def test_parts_that_share_a_program_are_kept_apart() -> None:
    duet = Score(tracks=[Track("Violin I", 40, False, [Note(76, 0, BEAT, 80)]),
                         Track("Violin II", 40, False, [Note(69, 0, BEAT, 80)])])
    assert [t.program for t in separate_voices(duet).tracks] == [40, 110]  # the second plays as a fiddle


def test_the_chord_plan_is_written_as_tokens_and_any_chord_without_one() -> None:
    tok = tokenizer()
    plan = [numeral_chord(n, 2) for n in ("I", "IV", "V7", "I")]  # D major, two chords a bar
    spec = ConstraintSpec(bars=2, meter=(4, 4), key=(2, "major"), programs=[73], harmony=plan, harmony_slots=2)
    processors = build_constraints(tok, spec)
    model = MusicTransformer(ModelConfig(vocab_size=len(tok), n_layer=1, n_head=2, d_model=32, d_ff=64,
                                         block_size=256, max_relative=64))
    torch.manual_seed(0)
    ids = sample(model.eval(), [tok.bos_id], None, SamplingConfig(seed=1, max_tokens=600), processors,
                 [tok.eos_id])
    chords = [tok.tokens[i] for i in ids if tok.tokens[i].startswith("Chord_")]
    assert chords == ["Chord_2-maj", "Chord_7-maj", "Chord_9-dom7", "Chord_2-maj"]
    free = ChordTokens(Tracker(tok), None)
    after_timesig = torch.tensor([tok.bos_id, tok.vocab["Bar_None"], tok.vocab["TimeSig_3/4"]])
    allowed = free.structure(after_timesig)
    assert allowed is not None and {tok.tokens[i].split("_")[0] for i in np.flatnonzero(allowed.numpy())} == {"Chord"}
    assert free.structure(torch.cat([after_timesig, torch.tensor([tok.vocab["Chord_0-maj"]])])) is None


def test_soft_off_keeps_only_the_hard_masks() -> None:
    from composer.constraints import TEMPLATE_MASKS
    from composer.constraints.biases import Bias
    from composer.constraints.masks import Mask
    from composer.constraints.voicing import VoicingMask

    spec = dict(bars=4, meter=(4, 4), key=(0, "major"), programs=[73, 33], roles={73: "melody", 33: "bass"},
                registers={73: (60, 72, 91), 33: (28, 43, 55)}, velocity=80, onsets_per_bar=4.0)
    full = build_constraints(tokenizer(), ConstraintSpec(**spec))
    alone = build_constraints(tokenizer(), ConstraintSpec(**spec, off={"soft"}))
    assert any(isinstance(f, Bias) for f in full) and any(isinstance(f, VoicingMask) for f in full)
    assert not any(isinstance(f, (Bias, *TEMPLATE_MASKS)) for f in alone)
    hard = [f for f in full if isinstance(f, (Mask, ChordTokens)) and not isinstance(f, TEMPLATE_MASKS)]
    assert [type(f).__name__ for f in alone] == [type(f).__name__ for f in hard]


def test_timed_filters_keep_claiming_the_chord_steps() -> None:
    from composer.arrange.span import TimedProcessor

    chords = ChordTokens(Tracker(tokenizer()), None)
    timed = TimedProcessor(chords)
    assert timed.structure == chords.structure  # the pipeline wraps every filter to time it


def test_given_parts_are_written_note_for_note_while_the_new_part_is_sampled() -> None:
    from composer.constraints.given import GivenParts, given_bars

    tok = tokenizer()
    melody = Score(tracks=[trio().tracks[2]], time_signatures=[TimeSignature(0, 4, 4)])
    given_ids = tok.encode(melody)
    bars = given_bars([tok.tokens[i] for i in given_ids], given_ids)
    assert [len(b.groups) for b in bars] == [4, 4]  # a note a beat in each bar
    spec = ConstraintSpec(bars=2, meter=(4, 4), key=(0, "major"), programs=[42], off={"cadence"})
    processors = [*build_constraints(tok, spec), GivenParts(Tracker(tok), bars, first_bar=1)]
    model = MusicTransformer(ModelConfig(vocab_size=len(tok), n_layer=1, n_head=2, d_model=32, d_ff=64,
                                         block_size=256, max_relative=64))
    torch.manual_seed(0)
    for seed in (1, 2, 3):
        ids = sample(model.eval(), [tok.bos_id], None, SamplingConfig(seed=seed, max_tokens=800), processors,
                     [tok.eos_id])
        out = tok.decode(ids)
        flute = [(n.pitch, n.start, n.end) for t in out.tracks if t.program == 73 for n in t.notes]
        assert flute == [(n.pitch, n.start, n.end) for n in melody.tracks[0].notes]  # every given note, as given
        assert {t.program for t in out.tracks} <= {73, 42}
        assert ids[-1] == tok.eos_id and sum(1 for i in ids if i == tok.vocab["Bar_None"]) == 2


def test_an_ensembles_density_token_counts_every_parts_notes() -> None:
    from composer.plan.spec import NOTES_PER_ONSET, plan_request

    plan = plan_request("calm folk song for acoustic guitar and flute", seed=1)
    onsets = plan.request["onsets_per_bar"]
    assert onsets is not None and NOTES_PER_ONSET["comp"] > NOTES_PER_ONSET["melody"]
    density = next(c for c in plan.controls if c.startswith("Density_"))
    assert density != "Density_sparse"  # a melody and a strummed guitar: more notes than the melody's own
    assert [c for c in plan.controls if c.startswith(("Inst_", "Role_"))] == [
        "Inst_25", "Role_comp", "Inst_73", "Role_melody"]
