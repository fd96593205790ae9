"""Drum words: the genres that imply a drum kit, the scenes whose groove suits them, and the groove a
prompt calls for (style names are those of composer.arrange.drums' grooves)."""

from __future__ import annotations

from composer.ask.word_match import first_word

# Genres that imply a drum kit even when the prompt names other instruments, and the groove each calls for.
GENRE_STYLES: dict[str, str] = {
    "rock": "rock", "metal": "rock", "punk": "rock", "grunge": "rock", "pop": "pop", "dance": "four",
    "disco": "four", "house": "four", "techno": "four", "edm": "four", "club": "four", "electronic": "four",
    "synthwave": "four", "drum and bass": "four", "funk": "funk", "funky": "funk", "hip hop": "halftime",
    "hip-hop": "halftime", "trap": "halftime", "lo-fi": "halftime", "lofi": "halftime", "reggae": "halftime",
    "jazz": "swing", "jazzy": "swing", "swing": "swing", "bebop": "swing", "march": "march", "marching": "march",
    "latin": "latin",
    "samba": "latin", "bossa": "latin",
}
# Scenes whose groove suits them when drums are there (named, or from the scene's band), implying none.
SCENE_STYLES: dict[str, str] = {
    "battle": "battle", "boss": "battle", "war": "battle", "epic": "battle", "action": "battle",
    "chase": "battle", "escape": "battle", "frantic": "battle", "military": "march", "party": "four",
    "racing": "four", "ambient": "soft", "calm": "soft", "lullaby": "soft",
}


def style_for(prompt: str | None) -> tuple[str, str] | None:
    """The groove a prompt's genre or scene words call for, with the word (None: no such word)."""
    return implied_kit(prompt) or first_word(prompt, SCENE_STYLES)


def implied_kit(prompt: str | None) -> tuple[str, str] | None:
    """The groove and word of a genre in the prompt that implies a drum kit (rock, techno, jazz...)."""
    return first_word(prompt, GENRE_STYLES)


def default_style(tempo: float, velocity: int | None) -> str:
    """A groove for drums asked for by name alone: quiet and slow music gets brushes-like time."""
    if tempo < 80 or (velocity is not None and velocity < 55):
        return "soft"
    return "rock" if tempo < 125 else "four"
