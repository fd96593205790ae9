"""Chinese prompts: the gloss of keys, tempi, meters, lengths, instruments, negations and moods, and resolve()."""

from __future__ import annotations

import re

import pytest

from composer.ask.chinese import gloss, glossary
from composer.ask.chinese_words import INSTRUMENTS, WORDS
from composer.ask.drum_words import GENRE_STYLES, SCENE_STYLES
from composer.ask.mood import AFFECT, SCENE_BANDS
from composer.ask.resolve import resolve
from composer.ask.style_words import HARMONY_WORDS, STYLE_WORDS
from composer.ask.text import parse_text
from composer.core.instruments import DRUMS, INSTRUMENT_FAMILIES, INSTRUMENT_PROGRAMS


@pytest.mark.parametrize(("prompt", "key"), [
    ("D小调", "D minor"), ("D 小调", "D minor"), ("d小调", "D minor"), ("降E大调", "Eb major"),
    ("升F小调", "F# minor"), ("C调", "C major"), ("C大调", "C major"), ("A小调", "A minor"), ("降b小调", "Bb minor"),
    ("Bb大调", "Bb major"), ("F#小调", "F# minor"),
], ids=lambda v: str(v))
def test_keys(prompt: str, key: str) -> None:
    assert gloss(f"一首曲子，{prompt}") == f"in {key}"
    assert resolve(f"一首曲子，{prompt}").values["key"].value == key


def test_a_mode_alone_sets_the_mode() -> None:
    assert resolve("一首小调的曲子")["key"].endswith("minor")
    assert resolve("一首大调的曲子")["key"].endswith("major")


def test_church_modes() -> None:
    assert gloss("D多利亚调式") == "D dorian"
    assert resolve("D多利亚调式的民谣")["key"] == "D dorian"


@pytest.mark.parametrize("prompt", ["每分钟120拍", "120拍每分钟", "120 BPM", "速度120", "速度：120", "120bpm",
                                    "每分钟一百二十拍", "♩=120"])
def test_tempo_forms(prompt: str) -> None:
    assert gloss(f"钢琴，{prompt}") == "piano, 120 bpm"
    tempo = resolve(f"钢琴，{prompt}").values["tempo"]
    assert (tempo.value, tempo.source) == (120, "text")


@pytest.mark.parametrize(("words", "bpm"), [("慢板", 68), ("快板", 130), ("中速", 109), ("广板", 50)])
def test_tempo_words(words: str, bpm: int) -> None:
    assert resolve(f"钢琴曲，{words}")["tempo"] == bpm


@pytest.mark.parametrize(("prompt", "meter"), [
    ("3/4拍", "3/4"), ("四四拍", "4/4"), ("6/8拍", "6/8"), ("三拍子", "3/4"), ("四三拍", "3/4"), ("四分之三拍", "3/4"),
    ("八六拍", "6/8"), ("2/4拍", "2/4"),
])
def test_meters(prompt: str, meter: str) -> None:
    meter_value = resolve(f"钢琴，{prompt}").values["meter"]
    assert (meter_value.value, meter_value.source) == (meter, "text")


def test_length() -> None:
    assert resolve("钢琴曲，16小节")["bars"] == 16
    assert resolve("钢琴曲，八小节")["bars"] == 8
    seconds = parse_text(gloss("钢琴曲，30秒") or "")
    assert seconds.seconds == 30
    assert parse_text(gloss("钢琴曲，两分钟") or "").seconds == 120


@pytest.mark.parametrize(("prompt", "programs"), [
    ("钢琴", [0]), ("电钢琴", [4]), ("小提琴", [40]), ("中提琴", [41]), ("大提琴", [42]), ("低音提琴", [32]),
    ("电贝斯", [33]), ("木吉他", [25]), ("电吉他", [27]), ("长笛", [73]), ("单簧管", [71]), ("双簧管", [68]),
    ("萨克斯", [65]), ("小号", [56]), ("长号", [57]), ("圆号", [60]), ("大号", [58]), ("竖琴", [46]),
    ("架子鼓", [DRUMS]), ("定音鼓", [47]), ("弦乐四重奏", [40, 40, 41, 42]), ("合唱", [52]), ("管风琴", [19]),
    ("手风琴", [21]), ("钢片琴", [8]), ("马林巴", [12]), ("古筝", [107]), ("二胡", [40]), ("琵琶", [106]),
    ("两把小提琴", [40, 40]),
], ids=lambda v: str(v))
def test_instruments(prompt: str, programs: list[int]) -> None:
    instruments = resolve(f"一首曲子，{prompt}").values["instruments"]
    assert (instruments.value, instruments.source) == (programs, "text")


@pytest.mark.parametrize("negation", ["不要", "没有", "无", "不用"])
def test_negation(negation: str) -> None:
    assert gloss(f"钢琴和贝斯，{negation}鼓") == "piano, bass, no drums"
    request = resolve(f"摇滚乐，电吉他，{negation}鼓")
    assert DRUMS not in request["instruments"] and request["excluded"] == [DRUMS]


def test_words_holding_a_shorter_word_are_not_misread() -> None:
    assert "drums" not in (gloss("鼓舞人心的旋律") or "")
    assert gloss("电子游戏配乐") == ""
    assert gloss("无品贝斯") == "fretless bass"


@pytest.mark.parametrize(("prompt", "mode", "low", "high"), [
    ("悲伤的曲子", "minor", 0, 90), ("欢快的曲子", "major", 110, 200), ("紧张的追逐", "minor", 120, 200),
    ("宁静的湖边", "major", 0, 90), ("恐怖的鬼屋", "minor", 0, 200), ("激烈的战斗", "minor", 130, 200),
    ("浪漫的婚礼", "major", 0, 200), ("孤独的雨夜", "minor", 0, 90),
])
def test_moods(prompt: str, mode: str, low: int, high: int) -> None:
    request = resolve(prompt)
    assert request["key"].split()[1] == mode and request.values["key"].source == "inferred"
    assert low <= request["tempo"] <= high and request.values["tempo"].source == "inferred"


def test_scene_bands_and_genres() -> None:
    assert 47 in resolve("激烈的Boss战")["instruments"]
    assert DRUMS in resolve("摇滚乐，E小调")["instruments"]
    assert resolve("爵士乐")["style"] == "swing"
    assert resolve("华尔兹")["meter"] == "3/4"


def test_explicit_chinese_prompt_resolves_from_text() -> None:
    request = resolve("一首悲伤的钢琴曲，D小调，每分钟70拍")
    assert [request[name] for name in ("key", "tempo", "meter", "instruments")] == ["D minor", 70, "4/4", [0]]
    assert all(request.values[name].source == "text" for name in ("key", "tempo", "instruments", "gloss"))
    assert request["gloss"] == "sad, piano, in D minor, 70 bpm"
    assert "D小调 in D minor" in request.values["gloss"].detail
    assert request.caption.startswith("一首悲伤的钢琴曲") and request.caption.endswith("70 bpm")
    quartet = resolve("降E大调的弦乐四重奏，3/4拍，速度90")
    assert [quartet[name] for name in ("key", "tempo", "meter", "instruments")] == \
        ["Eb major", 90, "3/4", [40, 40, 41, 42]]


@pytest.mark.parametrize("prompt", ["Calm solo piano piece in C major at 72 bpm.", "Frantic escape from a tower.",
                                    "A rock song in E minor, 3/4, no drums", "Café jazz, 16 bars"])
def test_english_prompts_are_untouched(prompt: str, monkeypatch: pytest.MonkeyPatch) -> None:
    assert gloss(prompt) is None
    request = resolve(prompt)
    assert "gloss" not in request.values and request.caption == prompt
    monkeypatch.setattr("composer.ask.resolve.gloss", lambda _: None)  # resolve() as it was without the hook
    assert request.as_json() == resolve(prompt).as_json()


def test_every_instrument_is_known() -> None:
    unknown = [zh for zh, en in INSTRUMENTS.items() if en not in INSTRUMENT_PROGRAMS and en not in INSTRUMENT_FAMILIES]
    assert unknown == []


def _understood(phrase: str) -> set[str]:
    """The English words of `phrase` that some reader of composer.ask knows."""
    known: list[str] = []
    text = parse_text(phrase)
    known += [w for words in text.matched.values() for w in re.split(r"[; ]+", words)]
    for table in (AFFECT, SCENE_BANDS, STYLE_WORDS, HARMONY_WORDS, GENRE_STYLES, SCENE_STYLES):
        known += [word for word in table if re.search(rf"(?<![a-z0-9]){re.escape(word)}(?![a-z0-9])", phrase)]
    return {token for word in known for token in word.split()}


def test_every_mapped_word_is_understood() -> None:
    misread = {zh: en for zh, en in WORDS.items() if en and not set(en.split()) <= _understood(en)}
    assert misread == {}
    assert len(WORDS) + len(INSTRUMENTS) >= 400


def test_glossary_names_the_chinese_words() -> None:
    assert glossary("不要鼓的雨夜钢琴") == [("不要鼓", "no drums"), ("雨夜", "rainy night"), ("钢琴", "piano")]
