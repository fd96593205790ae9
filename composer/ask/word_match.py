"""Finding a table's words in a prompt as words of music: "a rock song" names a genre, "inside the house", "a
rock by the sea" and "a trap in the crypt" name things. A genre word that is also an everyday noun counts only
when it is not used as that noun: after an article or a possessive ("the house", "my old club") it names a
thing unless a word of music follows it ("a house track", "the classic rock sound")."""

from __future__ import annotations

import re
from typing import Any

# Genre words that are also everyday nouns (or verbs: "bubbles pop up").
EVERYDAY = frozenset({"house", "rock", "pop", "club", "swing", "trap", "dance", "metal", "country", "punk"})
# Words before a genre word that make it a thing: articles, possessives, quantifiers.
DETERMINERS = frozenset({"a", "an", "the", "this", "that", "these", "those", "my", "your", "his", "her", "its",
                         "our", "their", "some", "every", "each", "one", "another"})
# How many words an article may stand before its noun ("the old abandoned house").
REACH = 3
# Words after a genre word that keep it a genre ("a pop song", "rock and roll", "the house beat").
MUSIC_NOUNS = frozenset({
    "song", "songs", "track", "tracks", "tune", "tunes", "beat", "beats", "groove", "music", "band", "anthem",
    "ballad", "piece", "style", "feel", "vibe", "vibes", "riff", "riffs", "guitar", "guitars", "drums", "drummer",
    "kit", "loop", "number", "jam", "rhythm", "bass", "organ", "piano", "synth", "synths", "vocals", "opera",
    "score", "theme", "cue", "sound", "tempo", "classic", "classics", "version", "mix", "remix", "banger",
    "instrumental", "ensemble", "trio", "quartet", "combo", "orchestra", "ballads",
})
# Words after one that make it a thing or a verb even without an article ("rock climbing", "pop up").
NOT_MUSIC_AFTER = frozenset({"climbing", "pool", "pools", "face", "wall", "formation", "formations", "slide",
                             "up", "out", "of", "door", "doors", "fence", "gate", "roof", "road", "roads",
                             "side", "set", "sets", "floor", "cat", "keeper", "hunters"})
# Words before one that make it a thing ("a haunted house", "golf club", "tree house").
NOT_MUSIC_BEFORE = frozenset({"haunted", "abandoned", "empty", "burning", "wooden", "golf", "tree", "farm",
                              "beach", "bear", "spike", "spiked", "poison", "sheet", "scrap", "rusty", "rusted",
                              "boarding", "green", "opera", "glass", "full", "whole"})
_WORD = re.compile(r"[a-z0-9'&]+")


def first_word(prompt: str | None, table: dict[str, Any]) -> tuple[Any, str] | None:
    """The value of the longest word or phrase of `table` in the prompt (a whole word: "rock", not "rocky"),
    used as a word of music, with the word; None when none is."""
    text = (prompt or "").lower()
    for word in sorted(table, key=len, reverse=True):
        for found in re.finditer(rf"(?<![a-z0-9]){re.escape(word)}(?![a-z0-9])", text):
            if word not in EVERYDAY or names_music(text[:found.start()], text[found.end():]):
                return table[word], word
    return None


def names_music(before: str, after: str) -> bool:
    """Whether an everyday genre word between `before` and `after` (lowercase text) is used as a genre."""
    if re.match(r"\s*(-\s*[a-z]|(and|n|'n'|&)\s+roll)", after) or before.endswith("-"):
        return True  # "pop-rock", "rock and roll", "synth-pop"
    clause_before = re.split(r"[,.;:!?()]", before)[-1]
    clause_after = re.split(r"[,.;:!?()]", after)[0]
    previous = _WORD.findall(clause_before)
    following = _WORD.findall(clause_after)
    if following and following[0] in MUSIC_NOUNS:
        return True
    if (following and following[0] in NOT_MUSIC_AFTER) or (previous and previous[-1] in NOT_MUSIC_BEFORE):
        return False
    return not any(w in DETERMINERS for w in previous[-REACH:])
