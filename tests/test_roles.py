"""Roles: who plays what (option, prompt words, the ensemble table), each part's register window, and the
role filters on a small vocabulary; then a generated trio judged from its MIDI file."""

from __future__ import annotations

import pretty_midi
import pytest
import torch

from composer.constraints import Tracker
from composer.constraints.roles import OrderBias, RegisterMask
from composer.constraints.texture import TextureBias
from composer.core.errors import ComposerError
from composer.core.harmony import chord_root
from composer.core.roles import register_for
from composer.plan.roles import assign_roles, parse_roles, registers_for

from .test_constraints import ids_of, run, small_tokenizer


def _roles(programs: list[int], prompt: str | None = None, option: dict[int, str] | None = None) -> dict[int, str]:
    return {p: r for p, (r, _, _) in assign_roles(programs, prompt, option).items()}


@pytest.mark.parametrize("programs,expected", [
    ([40, 41, 42], {40: "melody", 41: "counter", 42: "bass"}),  # a string quartet (two violins share 40)
    ([66, 0, 32], {66: "melody", 0: "comp", 32: "bass"}),  # sax, piano, upright bass
    ([0, 33, -1], {0: "melody", 33: "bass"}),  # pop: the piano carries the tune over the bass
    ([89, 4], {89: "pad", 4: "melody"}),  # a pad and an electric piano
    ([73, 24], {73: "melody", 24: "comp"}),  # flute and guitar
    ([73, 46, 48], {73: "melody", 46: "arp", 48: "pad"}),  # no bass instrument: no bass role forced on a harp
    ([21, 40, 43], {21: "comp", 40: "melody", 43: "bass"}),  # a shanty band: the accordion plays the chords
], ids=["quartet", "jazz-trio", "pop", "pad", "folk-duo", "no-bass", "shanty"])
def test_the_ensemble_table(programs: list[int], expected: dict[int, str]) -> None:
    assert _roles(programs) == expected


def test_prompt_words_and_the_option_come_first() -> None:
    found = assign_roles([42, 0, 73], "a bass line on cello with piano comping and a flute melody")
    assert {p: (r, s) for p, (r, s, _) in found.items()} == {42: ("bass", "text"), 0: ("comp", "text"),
                                                             73: ("melody", "text")}
    assert _roles([0, 42], option=parse_roles("piano=pad,cello=melody")) == {0: "pad", 42: "melody"}
    with pytest.raises(ComposerError, match="the role is one of"):
        parse_roles("piano=rhythm-guitar")
    with pytest.raises(ComposerError, match="does not have"):
        assign_roles([0], None, {42: "bass"})


def test_register_windows_follow_role_and_instrument() -> None:
    bass = register_for(33, "bass")
    assert (bass.low, bass.high) == (28, 55) and bass.low <= bass.centre <= bass.high
    flute = register_for(73, "melody")
    assert flute.low >= 60 and flute.high <= 96
    lone_piano = registers_for({0: "melody"})[0]
    assert lone_piano.high - lone_piano.low >= 48  # two hands: the whole keyboard


def test_chord_root() -> None:
    assert chord_root({0, 4, 7}) == 0 and chord_root({7, 11, 2, 5}) == 7 and chord_root({9, 0, 4}) == 9


def test_register_mask_keeps_each_part_in_its_window() -> None:
    tok = small_tokenizer()
    mask = RegisterMask(Tracker(tok), {0: (55, 60, 67)})
    allowed, before = run(mask, tok, ["Bar", "TimeSig_4/4", "Position_0", "Program_0"])
    pitches = {int(tok.tokens[i].split("_")[1]) for i in allowed if tok.tokens[i].startswith("Pitch_")}
    assert pitches == set(range(55, 68)) and bool((before == 0).all())


def test_order_bias_keeps_the_bass_under_a_sounding_melody() -> None:
    tok = small_tokenizer()
    bias = OrderBias(Tracker(tok), {0: "melody", 33: "bass"})
    tokens = ["Bar", "TimeSig_4/4", "Position_0", "Program_0", "Pitch_60", "Velocity_63", "Duration_2.0.4",
              "Program_33"]
    out = bias(torch.tensor(ids_of(tok, "BOS", *tokens)), torch.zeros(len(tok)))
    assert float(out[tok.token_id("Pitch_62")]) < 0 and float(out[tok.token_id("Pitch_55")]) == 0


def test_a_pad_builds_its_chord_and_holds_it() -> None:
    tok = small_tokenizer()
    texture = TextureBias(Tracker(tok), {89: "pad"}, [{0, 4, 7}])
    start = ["Bar", "TimeSig_4/4", "Position_0", "Program_89", "Pitch_60", "Velocity_63"]
    out = texture(torch.tensor(ids_of(tok, "BOS", *start)), torch.zeros(len(tok)))
    assert float(out[tok.token_id("Duration_4.0.2")]) > float(out[tok.token_id("Duration_1.0.4")])
    after = texture(torch.tensor(ids_of(tok, "BOS", *start, "Duration_4.0.2")), torch.zeros(len(tok)))
    assert float(after[tok.token_id("Program_89")]) > 0  # a second note of the chord, at the same onset


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_a_generated_trio_has_a_bass_in_the_bass_register(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from composer.decode.checkpoint import CHECKPOINT_ROOT, DEFAULT_CHECKPOINT

    if not (CHECKPOINT_ROOT / DEFAULT_CHECKPOINT / "model.safetensors").exists():
        pytest.skip("no shipped checkpoint")
    from composer import compose

    piece = compose("bright pop song for piano, electric bass and flute", bars=8, seed=3)
    assert piece.attributes["roles"]["value"] == {"Piano": "comp", "Electric Bass": "bass",
                                                  "Flute": "melody"}
    midi = pretty_midi.PrettyMIDI(str(piece.save_midi(tmp_path / "trio.mid")))
    bass = next(i for i in midi.instruments if i.program == 33).notes
    flute = next(i for i in midi.instruments if i.program == 73).notes
    assert bass and all(28 <= n.pitch <= 55 for n in bass)
    assert sorted(n.pitch for n in flute)[len(flute) // 2] >= 60
    off = compose("bright pop song for piano, electric bass and flute", bars=8, seed=3,
                  constraints_off=["roles"])
    assert "Electric Bass" in off.attributes["roles"]["value"]  # shown, but not applied
    assert any(n.pitch > 55 for t in off.score.tracks if t.program == 33 for n in t.notes)


def test_an_ensembles_single_lines_get_no_second_note_at_one_onset() -> None:
    tok = small_tokenizer()
    tokens = ["Bar", "TimeSig_4/4", "Position_0", "Program_42", "Pitch_50", "Velocity_63", "Duration_1.0.4"]
    ensemble = TextureBias(Tracker(tok), {42: "bass", 40: "melody"}, [{0, 4, 7}])
    out = ensemble(torch.tensor(ids_of(tok, "BOS", *tokens)), torch.zeros(len(tok)))
    assert float(out[tok.token_id("Program_42")]) < -10 and float(out[tok.token_id("Program_40")]) >= 0
    alone = TextureBias(Tracker(tok), {42: "melody"}, [{0, 4, 7}])
    out = alone(torch.tensor(ids_of(tok, "BOS", *tokens)), torch.zeros(len(tok)))
    assert float(out[tok.token_id("Program_42")]) == 0  # a lone part keeps its chords (a piano's two hands)
