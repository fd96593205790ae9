"""Chinese prompts in English: the keys, tempi, meters, lengths, instruments and moods a prompt's Chinese states.

`gloss` renders what it understands as the English words composer.ask's parsers read ("一首悲伤的钢琴曲，
D小调，每分钟70拍" -> "sad, piano, in D minor, 70 bpm"), so that a Chinese prompt resolves as its English
rendering would. Patterns with numbers and letters (keys, tempi, meters, lengths) are read first; the rest
is matched against the lexicon of composer.ask.chinese_words, longest phrase first, since Chinese has no
spaces. Words it does not know are left out.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from composer.ask.chinese_words import CLASSIFIERS, COUNTS, INSTRUMENTS, NEGATIONS, WORDS

_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_DIGITS = "零一二两三四五六七八九"
_NUMBER = rf"(\d+|[{_DIGITS}十百]+)"
_MODES = {"大调": "major", "大調": "major", "小调": "minor", "小調": "minor", "调": "major", "調": "major"}
# church modes by their Chinese names (多利亚调式 dorian ...)
_CHURCH_MODES = {"多利亚": "dorian", "多里亚": "dorian", "弗里几亚": "phrygian", "弗里吉亚": "phrygian",
                 "利底亚": "lydian", "混合利底亚": "mixolydian", "爱奥尼亚": "ionian", "爱奥利亚": "aeolian"}
# A mode named without a tonic: no English phrase states it, so the mood words nearest in arousal to neutral
# that carry the mode (mood.py: major when valence >= 0) stand in.
_MODE_ALONE = {"major": "hopeful", "minor": "dark"}
_KEY = re.compile(r"(降|升)?\s*(?<![a-z])([a-g])\s*([#♯b♭]?)\s*(大调|大調|小调|小調|调|調)", re.I)
_CHURCH_NAMES = "|".join(sorted(_CHURCH_MODES, key=len, reverse=True))
_CHURCH_KEY = re.compile(rf"(降|升)?\s*(?<![a-z])([a-g])\s*([#♯b♭]?)\s*({_CHURCH_NAMES})(?:调式|調式|调|調)?", re.I)
_MODE_WORD = re.compile(r"(大调|大調|小调|小調)")
_TEMPO = (
    re.compile(rf"每分钟\s*{_NUMBER}\s*(?:拍|下|bpm)", re.I),  # 每分钟120拍
    re.compile(r"(\d{2,3})\s*(?:拍\s*每分钟|拍\s*/\s*分(?:钟)?|拍每分|bpm)", re.I),  # 120拍每分钟, 120BPM
    re.compile(r"(?:bpm|速度|节拍|节奏|♩|四分音符)\s*(?:[:：=为是约大概在]\s*)*(\d{2,3})", re.I),  # 速度120
)
_METER = re.compile(r"(?<![\d.])(\d{1,2})\s*/\s*(\d{1,2})(?![\d.])")
_METER_FRACTION = re.compile(rf"([二四八])分之([{_DIGITS}十]+)\s*拍")  # 四分之三拍: 3/4
_BARS = re.compile(rf"{_NUMBER}\s*个?\s*小节")
_SECONDS = re.compile(rf"{_NUMBER}\s*秒")
_MINUTES = re.compile(rf"(?<!每){_NUMBER}\s*分钟(?:半)?")
_HALF_MINUTE = re.compile(r"半分钟")


def gloss(prompt: str) -> str | None:
    """The English rendering of what a prompt with Chinese in it says; None without Chinese characters."""
    if not _CJK.search(prompt):
        return None
    return ", ".join(dict.fromkeys(english for _, english in glossary(prompt)))  # each rendering once


def glossary(prompt: str) -> list[tuple[str, str]]:
    """(Chinese words, English rendering) for each part of `prompt` understood, in the order written."""
    text = prompt.lower() if len(prompt.lower()) == len(prompt) else prompt
    found: list[tuple[int, str, str]] = []  # (position, words, English)
    taken = [False] * len(text)

    def take(pattern: re.Pattern[str], render: Callable[[re.Match[str]], str | None]) -> None:
        for match in pattern.finditer(text):
            if any(taken[match.start():match.end()]):
                continue
            english = render(match)
            if english is None:
                continue
            taken[match.start():match.end()] = [True] * (match.end() - match.start())
            found.append((match.start(), prompt[match.start():match.end()].strip(), english))

    take(_CHURCH_KEY, lambda m: f"{_tonic(m)} {_CHURCH_MODES[m.group(4)]}")
    take(_KEY, lambda m: f"in {_tonic(m)} {_MODES[m.group(4)]}")
    take(_MODE_WORD, lambda m: _MODE_ALONE[_MODES[m.group(1)]])
    for pattern in _TEMPO:
        take(pattern, _tempo)
    take(_METER, lambda m: f"{int(m.group(1))}/{int(m.group(2))}")
    take(_METER_FRACTION, lambda m: f"{_number(m.group(2))}/{_number(m.group(1))}")
    take(_BARS, lambda m: f"{_number(m.group(1))} bars")
    take(_SECONDS, lambda m: f"{_number(m.group(1))} seconds")
    take(_HALF_MINUTE, lambda m: "30 seconds")
    take(_MINUTES, lambda m: f"{_number(m.group(1)) * 60 + (30 if m.group(0).endswith('半') else 0)} seconds")
    found += _words(text, prompt, taken)
    return [(words, english) for _, words, english in sorted(found) if english]


def _words(text: str, prompt: str, taken: list[bool]) -> list[tuple[int, str, str]]:
    """Lexicon words, longest first from each position: a negation or a count just before an instrument
    joins it (不要鼓 "no drums", 两把小提琴 "two violins")."""
    lexicon = {**WORDS, **INSTRUMENTS}
    longest = max(len(word) for word in lexicon)
    found: list[tuple[int, str, str]] = []
    i = 0
    while i < len(text):
        if taken[i]:
            i += 1
            continue
        word = _longest(text, i, lexicon, longest, taken)
        if word is not None:
            found.append((i, prompt[i:i + len(word)], lexicon[word]))
            i += len(word)
            continue
        joined = _negated(text, i, longest, taken) or _counted(text, i, longest, taken)
        if joined is not None:
            end, english = joined
            found.append((i, prompt[i:end], english))
            i = end
            continue
        i += 1
    return found


def _longest(text: str, start: int, lexicon: dict[str, str], longest: int, taken: list[bool]) -> str | None:
    for size in range(min(longest, len(text) - start), 0, -1):
        word = text[start:start + size]
        if word in lexicon and not any(taken[start:start + size]):
            return word
    return None


def _negated(text: str, start: int, longest: int, taken: list[bool]) -> tuple[int, str] | None:
    for negation in NEGATIONS:
        if text.startswith(negation, start):
            after = start + len(negation)
            after += len("任何") if text.startswith("任何", after) else 0
            instrument = _longest(text, after, INSTRUMENTS, longest, taken)
            if instrument is not None:
                return after + len(instrument), "no " + INSTRUMENTS[instrument]
    return None


def _counted(text: str, start: int, longest: int, taken: list[bool]) -> tuple[int, str] | None:
    if text[start] not in COUNTS:
        return None
    after = start + 1 + (start + 1 < len(text) and text[start + 1] in CLASSIFIERS)
    instrument = _longest(text, after, INSTRUMENTS, longest, taken)
    if instrument is None:
        return None
    return after + len(instrument), f"{COUNTS[text[start]]} {INSTRUMENTS[instrument]}"


def _tonic(match: re.Match[str]) -> str:
    accidental = {"降": "b", "升": "#"}.get(match.group(1) or "", "")
    accidental = accidental or {"♯": "#", "♭": "b"}.get(match.group(3), match.group(3))
    return match.group(2).upper() + accidental


def _tempo(match: re.Match[str]) -> str | None:
    bpm = _number(match.group(1))
    return f"{bpm} bpm" if 20 <= bpm <= 400 else None


def _number(words: str) -> int:
    """"120" -> 120; Chinese numerals up to the hundreds: "八" -> 8, "三十二" -> 32, "一百二十" -> 120."""
    if words.isdigit():
        return int(words)
    value = {d: i for i, d in enumerate("零一二三四五六七八九")} | {"两": 2}
    total, digit = 0, 0
    for char in words:
        if char in value:
            digit = value[char]
        elif char in "十百":
            total += (digit or 1) * (10 if char == "十" else 100)
            digit = 0
    return total + digit
