"""Harmony, key and form by style: the numerals, the progression library, the planner, keys by style, modes and
the ending, checked on the plan and then on written MIDI files."""

from __future__ import annotations

import random

import pytest

from composer.core.harmony import QUALITIES, Chord, chord_root, numeral_chord, numeral_of, parse_numeral
from composer.core.keys import choose_key, key_weights
from composer.core.progressions import CADENCES, MODE_PROGRESSIONS, PROGRESSIONS, progressions_for
from composer.core.textures import TEXTURES
from composer.core.theory import MODE_SCALES, signature_key
from composer.plan.harmony import plan_harmony
from composer.plan.request import describe, parse_key

from .test_arrange import shipped


@pytest.mark.parametrize("quality", sorted(QUALITIES))
def test_every_quality_round_trips_through_its_numeral(quality):
    for offset in range(12):
        assert parse_numeral(numeral_of(offset, quality)) == (offset, quality)


def test_numerals_name_their_chords_in_any_key():
    assert numeral_chord("ii7", 0) == {2, 5, 9, 0} and numeral_chord("ii7", 0).root == 2
    assert numeral_chord("bVII", 2) == {0, 4, 7}  # C major in D
    assert numeral_chord("bVI", 0) == {8, 0, 3}  # Ab in C minor
    assert numeral_chord("viiø7", 0) == {11, 2, 5, 9}
    am7 = Chord({9, 0, 4, 7}, 9, "vi7")
    assert chord_root(am7) == 9 and chord_root({9, 0, 4, 7}) == 0  # a set alone guesses C6; the Chord knows
    with pytest.raises(ValueError):
        parse_numeral("iiø")  # half-diminished needs its seventh


def test_the_library_reads_and_covers_every_style_in_both_modes():
    for style, progressions in {**PROGRESSIONS, **MODE_PROGRESSIONS}.items():
        for progression in progressions:
            for bar in progression.bars:
                assert 1 <= len(bar) <= 2, (style, progression.name)
                for numeral in bar:
                    parse_numeral(numeral)
    for style in TEXTURES:
        for mode in ("major", "minor"):
            assert progressions_for(style, mode), (style, mode)
    for cadence in CADENCES.values():
        for _before, last in cadence.close.values():
            assert numeral_chord(last, 0).root == 0  # every close lands on the tonic


def _roots(plan, tonic: int) -> list[int]:
    return [(plan.chords[i * plan.slots].root - tonic) % 12 for i in range(len(plan.chords) // plan.slots)]


@pytest.mark.parametrize("style", sorted(TEXTURES))
def test_a_planned_piece_has_periods_that_close_and_ends_on_the_tonic(style):
    for seed in range(3):
        plan = plan_harmony(style, 2, "major", 16, (4, 4), rng=random.Random(seed))
        assert len(plan.chords) == 16 * plan.slots
        last = plan.chords[-1]
        assert last.root == 2 and last == numeral_chord("I", 2)  # the tonic triad
        assert [s[0] for s in plan.sections] == ["A", "B"]
        for end in (8, 16):  # each period closes: the bar before its last holds a dominant or subdominant
            before = {(c.root - 2) % 12 for c in plan.chords[(end - 2) * plan.slots:(end - 1) * plan.slots]}
            assert before & {5, 7, 2}, (style, seed, plan.describe())


def test_plans_vary_with_the_seed_and_repeat_with_it():
    plans = {tuple(plan_harmony("pop", 0, "major", 8, (4, 4), rng=random.Random(s)).bars) for s in range(12)}
    assert len(plans) >= 4
    again = plan_harmony("pop", 0, "major", 8, (4, 4), rng=random.Random(5)).bars
    assert again == plan_harmony("pop", 0, "major", 8, (4, 4), rng=random.Random(5)).bars


def test_a_loop_ends_on_the_dominant_seventh_and_a_blues_runs_in_twelve_bars():
    loop = plan_harmony("pop", 0, "major", 8, (4, 4), rng=random.Random(0), loop=True)
    assert loop.chords[-1] == numeral_chord("V7", 0)
    blues = plan_harmony("blues", 7, "major", 24, (4, 4), rng=random.Random(0))
    assert [(first, last) for _, first, last, _ in blues.sections] == [(1, 12), (13, 24)]
    assert sum(len(c) == 4 for c in blues.chords) >= len(blues.chords) // 2  # dominant sevenths throughout
    library = {tuple(" ".join(bar) for bar in p.bars[:10]) for p in progressions_for("blues", "major")}
    for seed in range(20):  # a blues keeps its changes (the chord model varied bar 2 to V7): the library's
        plan = plan_harmony("blues", 7, "major", 24, (4, 4), rng=random.Random(seed))
        assert tuple(plan.bars[:10]) in library and tuple(plan.bars[12:22]) in library


def test_three_four_takes_the_chord_that_leads_on():
    plan = plan_harmony("chorale", 0, "major", 8, (3, 4), rng=random.Random(1))
    assert plan.slots == 1 and _roots(plan, 0)[-2] == 7  # "IV V | I": the V before the last bar


@pytest.mark.parametrize("mode", sorted(MODE_PROGRESSIONS))
def test_a_modal_plan_keeps_to_its_mode(mode):
    scale = {(4 + step) % 12 for step in MODE_SCALES[mode]}
    for seed in range(4):
        plan = plan_harmony("folk", 4, mode, 16, (4, 4), rng=random.Random(seed))
        for chord in plan.chords:
            assert set(chord) <= scale, (mode, chord, plan.describe())
        assert plan.chords[-1].root == 4


def test_keys_follow_the_style_and_the_instruments():
    fiddle = key_weights("folk", "major", [40])
    assert max(fiddle, key=fiddle.get) in {"D", "G", "A"}
    brass = key_weights("march", "major", [56, 57, 58])
    assert max(brass, key=brass.get) in {"Bb", "Eb", "F"}
    tunes = {choose_key("folk", "major", [40], f"a tune number {i} for fiddle") for i in range(40)}
    assert tunes <= {"D", "G", "A", "C", "F"} and len(tunes) >= 3
    assert choose_key("pop", "major", [0], "same words") == choose_key("pop", "major", [0], "same words")
    spread = {choose_key("pop", "major", [0], f"song {i}") for i in range(40)}
    assert len(spread) >= 6


def test_modes_parse_and_write_their_family_signature():
    assert parse_key("D dorian") == (2, "dorian", "D")
    assert parse_key("a harmonic minor") == (9, "harmonic minor", "A")
    assert parse_key("F#m") == (6, "minor", "F#")
    assert signature_key("D", "dorian") == ("A", "minor") and signature_key("G", "mixolydian") == ("C", "major")
    assert signature_key("Bb", "mixolydian") == ("Eb", "major")


def test_requests_choose_keys_and_harmony_from_their_words():
    jig = describe("a lively jig for fiddle")
    assert jig["key"].split()[0] in {"D", "G", "A", "E", "B", "C"} and jig.values["key"].source == "inferred"
    assert describe("a jazz ballad for sax and piano")["harmony"] == "swing"
    assert describe("spooky music for a haunted house")["harmony"] == "suspense"
    assert describe("a song for piano", key="Eb major")["key"] == "Eb major"  # an option wins
    assert describe("a dorian melody for flute")["key"].endswith("dorian")  # "a" names no tonic here
    assert describe("a reel in G mixolydian")["key"] == "G mixolydian"
    plan = describe("a song for piano", bars=8, seed=3)
    assert plan.harmony is not None and "bars 1-8" in plan["chord plan"]
    assert describe("a song for piano", chords="Am F C G").harmony is None  # chords given: no plan


@shipped
@pytest.mark.parametrize(("prompt", "key"), [("a jazz waltz for piano and bass", "Bb major"),
                                             ("a calm tune for flute and guitar", "D dorian"),
                                             ("a march for brass and snare", None),
                                             ("a tune for solo flute", "D dorian")])
def test_written_pieces_end_on_the_tonic_in_the_bass_and_keep_the_mode(tmp_path, prompt, key):
    from composer import compose
    from composer.core.theory import pitch_class
    from composer.evaluate.modes import in_mode, scale_fit
    from composer.evaluate.musicality_form import final_sonority
    from composer.evaluate.musicality_metrics import bar_count, read_meter, read_parts

    piece = compose(prompt, key=key, bars=8, seed=2)
    path = piece.save_midi(tmp_path / "piece.mid")
    tonic_name, mode = piece.attributes["key"]["value"].split(maxsplit=1)
    tonic = pitch_class(tonic_name)
    import pretty_midi

    midi = pretty_midi.PrettyMIDI(str(path))
    parts, meter = read_parts(midi), read_meter(midi)
    sonority = final_sonority(parts, meter, bar_count(parts, meter))
    assert sonority is not None and sonority[0] % 12 == tonic
    if mode not in ("major", "minor"):
        assert in_mode(path, tonic, mode) and scale_fit(path, tonic, mode) == pytest.approx(1.0)


def test_a_bar_the_form_repeats_pulls_toward_the_bar_it_echoes():
    from composer.constraints import MotifBias, Tracker
    from composer.constraints.motif import ECHO_WEIGHT

    from .test_constraints import biased, small_tokenizer

    tok = small_tokenizer()
    bar = ["Bar", "TimeSig_4/4", "Position_2", "Program_0", "Pitch_64", "Velocity_63", "Duration_0.2.4"]
    empty = ["Bar", "TimeSig_4/4"]
    tokens = [*bar, *empty, *empty, *empty, "Position_2", "Program_0"]  # bar 4 echoes bar 1 (3 bars back)
    assert biased(MotifBias(Tracker(tok), period=2, echoes=[None, None, None, 1]), tok, tokens) == \
        {"Pitch_64": ECHO_WEIGHT}
    assert biased(MotifBias(Tracker(tok), period=2), tok, tokens) == {}  # bar 2 had nothing
    plan = plan_harmony("pop", 0, "major", 16, (4, 4), rng=random.Random(1))
    assert plan.echoes[4] == 1  # the consequent's opening repeats the antecedent's


def test_an_echoed_line_comes_in_where_it_played_and_lets_go_in_time():
    """In a bar the form names as an echo, the line comes in at the onsets where it played in the bar it echoes
    and not at others; in the bar before, its last note ends by the echo's first onset (a phrase end held
    over the barline swallowed the consequent's first note)."""
    from composer.constraints import MotifBias, Tracker
    from composer.constraints.motif import ECHO_WEIGHT

    from .test_constraints import biased, small_tokenizer

    tok = small_tokenizer()
    note = ["Velocity_63", "Duration_1.0.4"]
    first = ["Bar", "TimeSig_4/4", "Position_0", "Program_0", "Pitch_64", *note, "Position_8", "Program_0",
             "Pitch_67", *note]
    def echo() -> MotifBias:  # a fresh tracker for each sequence
        return MotifBias(Tracker(tok), period=2, echoes=[None, 1])

    held = biased(echo(), tok, [*first, "Position_12", "Program_0", "Pitch_60", "Velocity_63"])
    assert held and all(v == -ECHO_WEIGHT for v in held.values())
    assert "Duration_1.0.4" not in held and "Duration_2.0.4" in held  # to the barline, not over it
    assert biased(MotifBias(Tracker(tok), period=2), tok, [*first, "Position_12", "Program_0", "Pitch_60",
                                                             "Velocity_63"]) == {}  # no echo named
    second = [*first, "Bar", "TimeSig_4/4"]
    assert biased(echo(), tok, [*second, "Position_0"]) == {"Program_0": ECHO_WEIGHT}
    assert biased(echo(), tok, [*second, "Position_4"]) == {"Program_0": -ECHO_WEIGHT}  # bar 1 had no note here
    inside = biased(echo(), tok, [*second, "Position_0", "Program_0", "Pitch_64", "Velocity_63"])
    assert "Duration_2.1.4" in inside and "Duration_2.0.4" not in inside  # ends by its next onset, beat 3


def test_an_accompanying_part_keeps_its_voicing_for_a_chord_heard_before():
    from composer.constraints import MotifBias, Tracker
    from composer.constraints.motif import ECHO_WEIGHT
    from composer.core.harmony import numeral_chord

    from .test_constraints import biased, small_tokenizer

    tok = small_tokenizer()
    bar = ["Bar", "TimeSig_4/4", "Position_2", "Program_0", "Pitch_64", "Velocity_63", "Duration_0.2.4"]
    empty = ["Bar", "TimeSig_4/4"]
    harmony = [numeral_chord(n, 0) for n in ("I", "IV", "V", "I")]
    tokens = [*bar, *empty, *empty, *empty, "Position_2", "Program_0"]  # bar 4: on bar 1's chord, I
    kept = MotifBias(Tracker(tok), period=2, harmony=harmony, keeps=frozenset({0}))
    assert biased(kept, tok, tokens) == {"Pitch_64": ECHO_WEIGHT}
    assert biased(MotifBias(Tracker(tok), period=2, harmony=harmony), tok, tokens) == {}  # a line: bar 2's
    two_slots = [numeral_chord(n, 0) for n in ("I", "V", "IV", "V", "I", "V")]
    assert MotifBias(Tracker(tok), harmony=two_slots, slots=2, keeps=frozenset({0})).same_chords == {3: 1}


def test_a_closing_cadence_keeps_the_phrases_own_predominant_before_the_dominant(monkeypatch) -> None:
    import random

    from composer.plan import harmony
    from composer.plan.harmony import _period

    monkeypatch.setattr(harmony, "APPROACH_SHARE", 0.0)  # the phrase's own chords lead in, not a formula
    phrase = [("I",), ("V",), ("IV",), ("I",)]
    bars = _period(phrase, 8, "pop", "major", "close", random.Random(0))  # 0.84: no plagal close this time
    assert bars[:4] == phrase and bars[6:] == [("IV", "V"), ("I",)]  # IV V | I, not the phrase's IV lost to V
    tonic_first = _period([("I",), ("IV",), ("I",), ("V",)], 8, "pop", "major", "close", random.Random(0))
    assert tonic_first[6] == ("V",)  # a tonic there gives way to the dominant whole


@pytest.mark.parametrize("style", sorted(TEXTURES))
def test_a_contrasting_section_is_new_and_does_not_open_on_the_tonic_or_dominant(style: str) -> None:
    for seed in range(6):
        plan = plan_harmony(style, 0, "major", 16, (4, 4), rng=random.Random(seed))
        assert plan.bars[8:] != plan.bars[:8], (style, seed, plan.describe())
        if "from its" in plan.sections[1][3]:  # a four-bar loop turned to start away from home
            assert plan.chords[8 * plan.slots].root not in (0, 7), plan.describe()


def test_inner_periods_sometimes_end_open_on_the_dominant_and_the_last_always_closes() -> None:
    open_ends = 0
    for seed in range(40):
        plan = plan_harmony("pop", 0, "major", 24, (4, 4), rng=random.Random(seed))
        assert plan.bars[-1] == "I"
        for end in (8, 16):
            if "ending open" in next(s[3] for s in plan.sections if s[2] == end):
                open_ends += 1
                assert plan.bars[end - 1] == "V" and plan.bars[end - 2] != "V", plan.describe()
                assert plan.bars[end - 2] != plan.bars[end - 3], plan.describe()  # not ii | ii | V
    assert 10 <= open_ends <= 50  # of 80 inner periods: about OPEN_SHARE of them


def test_a_sentence_goes_on_from_its_phrases_second_half_and_a_period_starts_again(monkeypatch) -> None:
    from composer.plan import harmony
    from composer.plan.harmony import _period

    monkeypatch.setattr(harmony, "APPROACH_SHARE", 0.0)

    phrase = [("I",), ("V",), ("vi",), ("IV",)]
    period = _period(phrase, 8, "pop", "major", "close", random.Random(0))
    sentence = _period(phrase, 8, "pop", "major", "close", random.Random(0), "sentence")
    assert period[4:6] == phrase[:2] and sentence[4:6] == phrase[2:]
    assert period[-1] == sentence[-1] == ("I",)
    shapes = [s[3] for seed in range(30)
              for s in plan_harmony("folk", 0, "major", 16, (4, 4), rng=random.Random(seed)).sections]
    assert 5 <= sum("as a sentence" in s for s in shapes) <= 40  # of 60 sections: about SENTENCE_SHARE


def test_the_key_check_hears_a_mode_by_its_tonic_and_family():
    """music21's analyses say major or minor: a D mixolydian piece heard as D major agrees with D mixolydian,
    one heard as G major (the key of its notes) does not, so the sampler draws again only then."""
    from composer.arrange.span import _key_agreement
    from composer.core.score import Note, Score, Track

    def piece(pitches):
        notes = [Note(p, i * 480, (i + 1) * 480) for i, p in enumerate(pitches)]
        return Score(tracks=[Track("Fiddle", 40, notes=notes)])

    d_centred = piece([50, 62, 66, 69, 62, 66, 69, 74, 60, 62, 66, 69, 62, 57, 62, 50])  # D F# A, a C natural
    g_centred = piece([55, 67, 71, 74, 67, 71, 74, 79, 60, 64, 67, 71, 67, 62, 67, 55])  # G B D, a C and an E
    assert _key_agreement(d_centred, 2, "mixolydian")[0]
    assert not _key_agreement(g_centred, 2, "mixolydian")[0]
    assert _key_agreement(g_centred, 7, "major")[0]


@pytest.mark.parametrize("style", ["rock", "pop", "funk"])
def test_a_style_the_corpus_lacks_is_varied_with_its_own_chords(style):
    """The chord model's variations of a rock, pop or funk loop take another chord of that style's library
    (or the cadence's): the pooled classical model once put a iii diminished into a punk song."""
    own = {n for mode in ("major", "minor") for p in progressions_for(style, mode) for bar in p.bars for n in bar}
    cadential = {"ii", "V", "V7", "I", "i", "IV", "iv", "bVI", "iiø7", "ii7"}
    for seed in range(60):
        for mode in ("major", "minor"):
            plan = plan_harmony(style, 2, mode, 16, (4, 4), rng=random.Random(seed))
            assert {n for bar in plan.bars for n in bar.split()} <= own | cadential, (seed, mode, plan.bars)


def test_another_chord_plan_for_a_piece_heard_in_another_key():
    """replanned: the harmony planner's plan drawn again (the one of REPLANS draws whose chords sound most in
    key), its explanation saying so; none where the person gave the chords."""
    import dataclasses

    from composer.plan.harmony import key_margin
    from composer.plan.request import add_harmony
    from composer.plan.spec import REPLANS, plan_request, replanned

    plan = plan_request("punk rock with distorted guitar, bass and drums", bars=16, seed=2)
    other = replanned(plan)
    assert other is not None and other.spec.harmony != plan.spec.harmony
    assert other.request.harmony.chords == other.spec.harmony and other.spec.echoes == other.request.harmony.echoes
    assert "drawn again" in other.request.values["chord plan"].detail
    assert "drawn again" not in plan.request.values["chord plan"].detail  # the first plan is left as it was
    margins = []
    for draw in range(1, REPLANS + 1):
        request = dataclasses.replace(plan.request, values=dict(plan.request.values))
        add_harmony(request, plan.prompt, 2, False, draw=draw)
        margins.append(key_margin(request.harmony, 2, "major"))
    assert REPLANS >= 2 and key_margin(other.request.harmony, 2, "major") == max(margins)
    assert replanned(plan_request("punk rock", bars=8, seed=2, chords="D G A D")) is None


def test_a_consequent_opens_as_its_antecedent_and_sometimes_answers_with_another_chord():
    from composer.core.progressions import progressions_for

    own = {n for p in progressions_for("pop", "major") for bar in p.bars for n in bar}
    answered = 0
    for seed in range(40):
        plan = plan_harmony("pop", 0, "major", 16, (4, 4), rng=random.Random(seed))
        for first, _last in ((1, 8), (9, 16)):
            question, answer = plan.bars[first - 1:first + 1], plan.bars[first + 3:first + 5]
            assert answer[0] == question[0] or "sentence" in plan.describe(), plan.describe()
            if answer[0] == question[0] and answer[1] != question[1] and " " not in answer[1]:
                answered += 1
                assert answer[1] in own, plan.describe()
    assert 10 <= answered <= 70, answered  # of 80 periods: about ANSWER_SHARE of them, and a phrase that differs


def test_an_accompanying_part_echoes_a_named_bar_only_on_its_chords():
    from composer.constraints import MotifBias, Tracker
    from composer.constraints.motif import ECHO_WEIGHT
    from composer.core.harmony import numeral_chord

    from .test_constraints import biased, small_tokenizer

    tok = small_tokenizer()
    bar = ["Bar", "TimeSig_4/4", "Position_2", "Program_0", "Pitch_64", "Velocity_63", "Duration_0.2.4"]
    tokens = [*bar, "Bar", "TimeSig_4/4", "Position_2", "Program_0"]  # bar 2 names bar 1
    answer = [numeral_chord(n, 0) for n in ("I", "vi")]
    line = MotifBias(Tracker(tok), period=2, echoes=[None, 1], harmony=answer)
    assert biased(line, tok, tokens) == {"Pitch_64": ECHO_WEIGHT}  # the tune's figure comes back over vi
    comp = MotifBias(Tracker(tok), period=2, echoes=[None, 1], harmony=answer, keeps=frozenset({0}))
    assert biased(comp, tok, tokens) == {}  # the chords' part finds its own shape for vi
    same = [numeral_chord(n, 0) for n in ("I", "I")]
    kept = MotifBias(Tracker(tok), period=2, echoes=[None, 1], harmony=same, keeps=frozenset({0}))
    assert biased(kept, tok, tokens) == {"Pitch_64": ECHO_WEIGHT}


def test_every_cadential_approach_parses_and_ends_on_its_styles_cadence_chord() -> None:
    from composer.core.progressions import APPROACHES, approaches_for

    for (family, mode), rows in APPROACHES.items():
        assert rows, (family, mode)
        for text, weight in rows:
            bars = text.split("|")
            assert weight > 0 and len(bars) == 2 and bars[-1].split()[-1] == "D", (family, mode, text)
            for numeral in text.replace("D", "V").replace("|", " ").split():
                parse_numeral(numeral)
    assert approaches_for("pop", "dorian", "IV") == []  # a mode key keeps its own cadence
    assert approaches_for("funk", "major", "V") == []  # a vamp keeps its own chords
    assert all(bars[-1][-1] == "IV" for bars, _ in approaches_for("rock", "major", "IV"))
    assert approaches_for("ambient", "major", "IV") == approaches_for("pop", "major", "IV")  # both plagal
    assert (("vi",), ("IV",)) in [bars for bars, _ in approaches_for("ambient", "major", "IV")]


def test_a_share_of_closing_periods_approach_their_cadence_by_a_formula() -> None:
    from composer.core.progressions import approaches_for
    from composer.plan.harmony import _period

    formulas = {bars for bars, _ in approaches_for("pop", "major", "V")}
    phrase = [("I",), ("V",), ("vi",), ("IV",)]
    found = []
    for seed in range(80):
        bars = _period(phrase, 8, "pop", "major", "close", random.Random(seed))
        assert bars[-1] == ("I",) and bars[:4] == phrase
        if (bars[5], bars[6]) in formulas:
            found.append(bars[5])
            assert numeral_chord(bars[5][0], 0).root != numeral_chord(bars[4][-1], 0).root  # not I | I | ...
    assert 20 <= len(found) <= 60  # about APPROACH_SHARE of the closes
    assert len(set(found)) >= 4  # ii | V, vi | IV V, iii | IV V, ...


def test_a_piece_heard_in_another_key_keeps_its_plan_when_no_other_sounds_more_in_key(monkeypatch) -> None:
    """compose_span: after REPLAN_AFTER samples heard in another key it draws other plans, but takes one only
    if its chords alone sound more in key than the first plan's; else it goes on sampling the first plan with
    the next seeds (once a worse plan was taken: an E major rock piece then ended on E heard as A major)."""
    import dataclasses

    from composer.arrange import span
    from composer.core.score import Score
    from composer.plan.spec import plan_request

    plan = plan_request("upbeat indie rock with electric guitar, bass guitar and drums", bars=8, seed=21)
    worse = dataclasses.replace(plan, spec=dataclasses.replace(plan.spec))
    calls = []

    def fake_sample(*args, tries=None, first_attempt=0, **kwargs):
        calls.append((args[5], tries, first_attempt))
        return [], Score(), [], tries or 0

    monkeypatch.setattr(span, "sample_checked", fake_sample)
    monkeypatch.setattr(span, "_key_agreement", lambda score, tonic, mode: (False, False))
    monkeypatch.setattr(span, "replanned", lambda p: worse)
    monkeypatch.setattr(span, "_margin", lambda p: -1.0 if p is worse else 0.5)
    monkeypatch.setattr(span, "finish_score", lambda score, p, sections: score)
    span.compose_span(plan)
    assert [(first, tries) for _, tries, first in calls] == [(0, span.REPLAN_AFTER),
                                                           (span.REPLAN_AFTER, span.KEY_ATTEMPTS - span.REPLAN_AFTER)]
    assert calls[1][0] is plan.spec  # the first plan again, not the worse one
    calls.clear()
    monkeypatch.setattr(span, "_margin", lambda p: 1.0 if p is worse else 0.5)
    span.compose_span(plan)
    assert calls[1][0] is worse.spec and calls[1][2] == 0  # a plan that sounds more in key takes the rest
