"""Texture templates: each style's rhythm for the accompanying roles, kept as data like the drum grooves.

A Figure says where in a 4/4 bar a role's notes start (in beats), how long each is held, how many notes
sound at each onset, and, for the bass, which chord tones it plays: "root" (the root on the downbeat),
"root-fifth" (root, then the fifth), "drive" (the root repeated), "octave" (root and its octave), "walk"
(quarters with an approach note into the next bar's root), "line" (a stepwise line under the harmony) or
"broken" (the root, then the chord's tones in turn). The "hand" figure is a keyboard's left hand that
carries the bass (HANDS).
The decoder is pulled to these onsets, lengths and chord sizes while the model picks the pitches
(composer.constraints.roles.TextureBias). Other meters: triple meters take the waltz figures, compound
meters (6/8, 9/8, 12/8) one onset per dotted beat, and the rest repeat the 4/4 figure over the bar.
"""

from __future__ import annotations

from dataclasses import dataclass, replace


@dataclass(frozen=True)
class Figure:
    """One role's rhythm in a bar: onsets and lengths in beats, notes per onset, the bass's chord tones."""

    onsets: tuple[float, ...]
    length: float
    notes: int = 1
    bass: str = "root"


def _every(step: float, beats: float = 4.0) -> tuple[float, ...]:
    return tuple(i * step for i in range(round(beats / step)))


EIGHTHS, QUARTERS = _every(0.5), _every(1.0)
# style -> role -> Figure (4/4). Roles not listed (melody, counter, doubling) keep the model's rhythm.
TEXTURES: dict[str, dict[str, Figure]] = {
    "pop": {"bass": Figure((0, 1.5, 2, 3), 1.0), "comp": Figure((0, 1.5, 2, 3), 1.0, 3),
            "pad": Figure((0,), 4.0, 3), "arp": Figure(EIGHTHS, 0.5)},
    "rock": {"bass": Figure(EIGHTHS, 0.5, bass="drive"), "comp": Figure(QUARTERS, 1.0, 3),
             "pad": Figure((0,), 4.0, 3), "arp": Figure(EIGHTHS, 0.5)},
    "funk": {"bass": Figure((0, 0.75, 1.5, 2.5, 3, 3.5), 0.5, bass="octave"),
             "comp": Figure((0.5, 1.5, 2.75, 3.5), 0.5, 3), "pad": Figure((0,), 4.0, 3),
             "arp": Figure(_every(0.25), 0.25)},
    "swing": {"bass": Figure(QUARTERS, 1.0, bass="walk"), "comp": Figure((0, 1.5), 1.0, 4),
              "pad": Figure((0,), 4.0, 4), "arp": Figure(EIGHTHS, 0.5)},
    "ballad": {"bass": Figure((0, 2), 2.0, bass="root-fifth"), "comp": Figure((0, 2), 2.0, 3),
               "pad": Figure((0,), 4.0, 3), "arp": Figure(EIGHTHS, 0.5)},
    "waltz": {"bass": Figure((0,), 2.0), "comp": Figure((1, 2), 1.0, 3), "pad": Figure((0,), 3.0, 3),
              "arp": Figure(_every(0.5, 3.0), 0.5)},
    "march": {"bass": Figure((0, 2), 1.0, bass="root-fifth"), "comp": Figure((1, 3), 0.5, 3),
              "pad": Figure((0,), 4.0, 3), "arp": Figure(EIGHTHS, 0.5)},
    "folk": {"bass": Figure((0, 2), 2.0, bass="root-fifth"), "comp": Figure(QUARTERS, 1.0, 3),
             "pad": Figure((0,), 4.0, 3), "arp": Figure(EIGHTHS, 0.5)},
    "baroque": {"bass": Figure(QUARTERS, 1.0, bass="line"), "comp": Figure(QUARTERS, 1.0, 3),
                "pad": Figure((0, 2), 2.0, 3), "arp": Figure(_every(0.25), 0.25)},
    "chorale": {"bass": Figure(QUARTERS, 1.0, bass="line"), "comp": Figure(QUARTERS, 1.0, 3),
                "pad": Figure((0, 2), 2.0, 3), "arp": Figure(EIGHTHS, 0.5)},
    "ambient": {"bass": Figure((0,), 4.0), "comp": Figure((0,), 4.0, 3), "pad": Figure((0,), 4.0, 4),
                "arp": Figure(EIGHTHS, 0.5)},
    "chiptune": {"bass": Figure(EIGHTHS, 0.5, bass="octave"), "comp": Figure(QUARTERS, 0.5, 3),
                 "pad": Figure((0,), 4.0, 3), "arp": Figure(_every(0.25), 0.25)},
    "orchestral": {"bass": Figure((0, 2), 2.0, bass="line"), "comp": Figure(QUARTERS, 1.0, 3),
                   "pad": Figure((0,), 4.0, 3), "arp": Figure(EIGHTHS, 0.5)},
    "lofi": {"bass": Figure((0, 1.5, 2.5), 1.0), "comp": Figure((0, 2.5), 1.5, 4), "pad": Figure((0,), 4.0, 4),
             "arp": Figure(EIGHTHS, 0.5)},
    "cinematic": {"bass": Figure((0,), 4.0), "comp": Figure(EIGHTHS, 0.5, 1), "pad": Figure((0,), 4.0, 3),
                  "arp": Figure(EIGHTHS, 0.5)},
}
# a keyboard's left hand that carries the bass: a broken chord from the root (style -> Figure; others HAND)
HANDS: dict[str, Figure] = {
    "ballad": Figure(EIGHTHS, 0.5, bass="broken"), "ambient": Figure((0, 1, 2, 3), 1.0, bass="broken"),
    "waltz": Figure((0, 1, 2), 1.0, bass="broken"), "swing": Figure(QUARTERS, 1.0, bass="walk"),
    "baroque": Figure(EIGHTHS, 0.5, bass="line"), "chorale": Figure(QUARTERS, 1.0, bass="line"),
    "rock": Figure(EIGHTHS, 0.5, bass="octave"), "march": Figure((0, 1, 2, 3), 1.0, bass="root-fifth"),
}
HAND = Figure((0, 1, 2, 3), 1.0, bass="broken")
STYLES = tuple(TEXTURES)
FIGURED_ROLES = ("bass", "comp", "pad", "arp")


def figure_for(style: str, role: str, numerator: int, denominator: int, sparse: bool = False) -> Figure | None:
    """The `role`'s figure in `style` for a numerator/denominator bar, in that meter's beats (None: the
    role has no figure, its rhythm is the model's); `sparse` (a request read as sparse or light) thins it."""
    figure = _figure(style, role, numerator, denominator)
    return thinned(figure) if sparse and figure is not None else figure


def thinned(figure: Figure) -> Figure:
    """A figure for a sparse piece: its onsets on whole beats only (eighths and sixteenths become quarter
    notes; a figure with no onset on a beat keeps its first), each note held at least a beat."""
    onsets = tuple(o for o in figure.onsets if float(o).is_integer()) or figure.onsets[:1]
    return replace(figure, onsets=onsets, length=max(figure.length, 1.0))


def _figure(style: str, role: str, numerator: int, denominator: int) -> Figure | None:
    table = dict(TEXTURES.get(style, TEXTURES["pop"]))
    table["hand"] = HANDS.get(style, HAND)
    if role not in table:
        return None
    if denominator == 8 and numerator % 3 == 0:  # compound: one onset a dotted beat, held through it
        figure = table[role]
        groups = tuple(float(3 * i) for i in range(numerator // 3))
        length = 3.0 * max(1.0, figure.length)
        if role == "arp" or figure.length < 1:
            return replace(figure, onsets=_every(1.0, float(numerator)), length=1.0)
        return replace(figure, onsets=groups if role != "pad" else (0.0,), length=length if role != "pad"
                       else float(numerator))
    if numerator == 3:
        table = {**TEXTURES["waltz"], "hand": HANDS["waltz"]} if style not in ("waltz", "ambient") else table
        return table.get(role)
    figure = table[role]
    onsets = tuple(o + 4.0 * k for k in range(-(-numerator // 4)) for o in figure.onsets if o + 4.0 * k < numerator)
    return replace(figure, onsets=onsets, length=min(figure.length, float(numerator)))
