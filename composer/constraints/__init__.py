"""Music-theory constraints on the logits while decoding: hard masks first, then soft biases.

    spec = ConstraintSpec(bars=8, meter=(3, 4), key=(2, "minor"), programs=[40, 42])
    processors = build_constraints(tokenizer, spec)   # a list of (input_ids, scores) -> scores
    ids = sample(model, prompt, None, config, processors=processors, stop_ids=[tokenizer.eos_id])
"""

from __future__ import annotations

from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field

from composer.constraints.biases import (
    Bias,
    ChordBias,
    CoverageBias,
    DensityBias,
    LeapBias,
    LoopBias,
    TargetBias,
    TonalBias,
)
from composer.constraints.chords import ChordTokens
from composer.constraints.draw import DRAW_STRENGTH, DrawBias, DrawGrid
from composer.constraints.ending import EndingMask, ending_part
from composer.constraints.masks import (
    EntryMask,
    GrammarMask,
    InstrumentMask,
    KeyMask,
    MeterMask,
    RestrikeMask,
    polyphony_cap,
    scale_pitch_classes,
)
from composer.constraints.motif import MotifBias
from composer.constraints.roles import (
    CHORD_ROLES,
    KEPT_VOICINGS,
    LINE_ROLES,
    OrderBias,
    OrderMask,
    RegisterBias,
    RegisterMask,
)
from composer.constraints.state import GRAMMAR, DecodeState, Tracker, VocabTables
from composer.constraints.texture import TextureBias
from composer.constraints.voicing import GuideToneMask, VoicingMask
from composer.core.errors import UnsatisfiableError
from composer.core.theory import mode_family
from composer.decode.tokens import MusicTokenizer

SWITCHES = ("meter", "key", "instruments", "polyphony", "cadence", "chords", "harmony", "tonal", "leaps", "targets",
            "coverage", "motif", "density", "verify", "loop", "roles", "register", "texture", "entry", "soft")
# "soft" turns off every bias and the texture template's voicing masks and keeps the other masks: the model
# alone, fenced in by the hard constraints
TEMPLATE_MASKS = (VoicingMask, GuideToneMask)

__all__ = [
    "GRAMMAR",
    "SWITCHES",
    "TEMPLATE_MASKS",
    "ChordBias",
    "ChordTokens",
    "ConstraintSpec",
    "CoverageBias",
    "DecodeState",
    "DensityBias",
    "DrawBias",
    "DrawGrid",
    "GrammarMask",
    "InstrumentMask",
    "KeyMask",
    "LeapBias",
    "LoopBias",
    "MeterMask",
    "MotifBias",
    "TargetBias",
    "TonalBias",
    "Tracker",
    "UnsatisfiableError",
    "VocabTables",
    "build_constraints",
    "default_harmony",
    "polyphony_cap",
    "scale_pitch_classes",
]


@dataclass
class ConstraintSpec:
    """What the output must (masks) and should (biases) be. `off` names switched-off constraints."""

    bars: int = 8
    meter: tuple[int, int] | None = None
    key: tuple[int, str] | None = None  # (tonic pitch class, "major" | "minor")
    programs: list[int] | None = None  # GM programs, -1 for drums; None: any
    real: dict[int, int] | None = None  # a voice's decode program -> the instrument it is (composer.core.voices)
    monophonic: frozenset[int] = frozenset()  # parts that sound one note at a time whatever their instrument
    ranks: dict[int, float] | None = None  # program -> its place in the order, over its role's (a choir's voices)
    chords: list[set[int]] | None = None  # pitch classes per bar, cycling (the caller's --chords)
    harmony: list[AbstractSet[int]] | None = None  # the planned chords (composer.plan.harmony), harmony_slots a bar
    harmony_slots: int = 1
    echoes: list[int | None] | None = None  # per bar, the earlier bar the form repeats (composer.plan.harmony)
    cadence_bars: list[int] = field(default_factory=list)  # bars (from 1) of the planned cadences
    chromatic_budget: int = 0  # off-beat notes allowed outside the scale
    centre_pitch: int | None = None  # register target (of the whole piece; per part when `registers` are given)
    roles: dict[int, str] | None = None  # program -> its role (composer.core.roles); None: no roles
    style: str = "pop"  # the accompaniment's texture style (composer.core.textures)
    left_hands: frozenset[int] = frozenset()  # programs that are a keyboard's left hand (its "hand" figure)
    registers: dict[int, tuple[int, int, int]] | None = None  # program -> (low, centre, high) pitch window
    register_strength: float = 1.0
    texture_strength: float = 1.0
    velocity: int | None = None  # dynamics target
    onsets_per_bar: float | None = None  # density target
    sparse: bool = False  # a request read as sparse or light: the accompaniment's figures on whole beats only
    motif_period: int = 2  # bars between a figure and its repeat
    motif_strength: float = 1.0
    density_strength: float = 2.0
    chord_strength: float = 2.0
    tonal_strength: float = 1.0  # the key's tonal hierarchy on every pitched note
    tonal_deficit: float = 0.0  # how hard scale degrees short of their share are pulled in (TonalBias)
    harmony_strength: float = 3.0  # the planned harmony (else the key's default plan) when no chords are given
    coverage_strength: float = 2.0
    leap_strength: float = 1.5
    target_strength: float = 2.5
    loop: bool = False  # a seamless loop: the last bar leads back to the first (dominant, stepwise return)
    loop_strength: float = 2.0
    draw_grid: DrawGrid | None = None  # a picture to draw in the piano roll (composer.plan.drawing)
    draw_strength: float = DRAW_STRENGTH
    entry: bool = False  # every part enters on the first onset (a piece begun from nothing, not a drawing)
    accompanied: bool = False  # other parts are given (infill): even a lone sampled part is kept sounding
    off: set[str] = field(default_factory=set)
    enabled: bool = True  # False: --no-constraints (only the bar count still stops the piece)

    def __post_init__(self) -> None:
        unknown = set(self.off) - set(SWITCHES)
        if unknown:
            raise UnsatisfiableError(f"unknown constraint switch {sorted(unknown)}; known: {', '.join(SWITCHES)}")


def default_harmony(tonic: int, mode: str, bars: int, loop: bool = False) -> list[set[int]]:
    """One chord a bar when none are given: I IV I V7 cycling, with V7 then I in the last two bars
    (minor: i iv V i, the dominant major, so that its leading tone tells minor from the relative major).
    A loop ends IV V7 instead, so its last bar leads back into the first bar's tonic."""
    mode = mode_family(mode)
    third = 4 if mode == "major" else 3
    tonic_chord = {0, third, 7}
    subdominant = {5, 9 if mode == "major" else 8, 0}
    dominant = {7, 11, 2, 5}  # V7: its seventh is the key's 4th, which tells the key from its dominant
    cycle = [tonic_chord, subdominant, tonic_chord, dominant]
    plan = [cycle[bar % 4] for bar in range(bars)]
    if loop and bars >= 2:
        plan[-2], plan[-1] = subdominant, dominant
    elif loop:
        plan[-1] = tonic_chord  # one bar: it is its own start and end
    elif bars >= 2:
        plan[-2], plan[-1] = dominant, tonic_chord
    return [{(tonic + step) % 12 for step in chord} for chord in plan]


def _harmony(spec: ConstraintSpec, on: set[str]) -> tuple[list[AbstractSet[int]] | None, int]:
    """The chords the piece follows and how many a bar: the caller's (one a bar), else the planned ones, else
    the key's default plan; None when the switches leave none."""
    if spec.chords and "chords" in on:
        return list(spec.chords), 1
    if not (spec.key and "key" in on and "harmony" in on):
        return None, 1
    if spec.harmony:
        return list(spec.harmony), spec.harmony_slots
    return list(default_harmony(*spec.key, spec.bars, spec.loop)), 1


def build_constraints(tokenizer: MusicTokenizer, spec: ConstraintSpec) -> list:  # type: ignore[type-arg]
    """The filters for `spec`, hard masks first. Impossible requests raise UnsatisfiableError here,
    before any token is sampled."""
    tracker = Tracker(tokenizer)
    if not spec.enabled:
        return [ChordTokens(tracker, None), GrammarMask(tracker), MeterMask(tracker, spec.bars, None)]
    on = set(SWITCHES) - set(spec.off)
    scale = scale_pitch_classes(*spec.key) if spec.key and "key" in on else None
    filters: list = [GrammarMask(tracker), MeterMask(tracker, spec.bars, spec.meter if "meter" in on else None)]  # type: ignore[type-arg]
    if "instruments" in on or "polyphony" in on:  # ranges and caps hold for any program the model picks
        programs = spec.programs if spec.programs and "instruments" in on else list(range(-1, 128))
        filters.append(InstrumentMask(tracker, programs, {p: 1 for p in spec.monophonic}, polyphony="polyphony" in on,
                                      scale=scale, real=spec.real))
    harmony, slots = _harmony(spec, on)
    filters.insert(0, ChordTokens(tracker, harmony, slots))  # the plan's chords as tokens (a part-wise model)
    if spec.key and "key" in on:
        filters.append(KeyMask(tracker, spec.key[0], spec.key[1], spec.bars, spec.chromatic_budget,
                               cadence="cadence" in on and not spec.loop, chords=harmony, slots=slots))
    roles = spec.roles if spec.roles and "roles" in on else None
    per_part = roles is not None and spec.registers is not None and "register" in on
    if per_part:
        assert spec.registers is not None
        filters.append(RegisterMask(tracker, spec.registers))
        assert roles is not None
        filters.append(OrderMask(tracker, roles, spec.ranks))
    ender = ending_part(spec.programs or [], roles, spec.registers if per_part else None)
    if spec.key and "key" in on and "cadence" in on and not spec.loop and ender is not None:
        chordal = (roles or {}).get(ender) in CHORD_ROLES  # a comp or pad ends with its chord above its tonic
        filters.append(EndingMask(tracker, spec.bars, spec.key[0], ender, lowest=chordal))
    if spec.entry and "entry" in on and spec.programs and spec.draw_grid is None:
        filters.append(EntryMask(tracker, spec.programs))
    if roles is not None and "texture" in on:  # after the other masks (the ending's held tonic
        # included): it steps aside where it would leave none
        voicing = VoicingMask(tracker, roles, harmony, spec.style, spec.meter or (4, 4),
                              None if spec.loop else spec.bars, spec.left_hands, slots, spec.sparse)
        filters += [voicing, GuideToneMask(tracker, voicing)]
    if "polyphony" in on:
        filters.append(RestrikeMask(tracker))
    if spec.programs and (len(spec.programs) > 1 or spec.accompanied) and "coverage" in on:
        filters.append(CoverageBias(tracker, spec.programs, spec.coverage_strength))
    if spec.key and "key" in on and "tonal" in on:
        filters.append(TonalBias(tracker, spec.key[0], spec.key[1], spec.tonal_strength, deficit=spec.tonal_deficit))
    lines = {p for p, r in (roles or {}).items() if r in LINE_ROLES} if "texture" in on else set()
    if harmony is not None:
        strength = spec.chord_strength if spec.chords and "chords" in on else spec.harmony_strength
        cadences = frozenset(spec.cadence_bars) if not (spec.chords and "chords" in on) else frozenset()
        filters.append(ChordBias(tracker, harmony, strength, lines, slots, cadences))
    if per_part:
        assert spec.registers is not None
        filters.append(RegisterBias(tracker, spec.registers, spec.register_strength))
        assert roles is not None
        filters.append(OrderBias(tracker, roles, spec.register_strength, spec.ranks))
    if roles is not None and "texture" in on:
        filters.append(TextureBias(tracker, roles, harmony, spec.texture_strength,
                                   spec.bars if spec.loop and "loop" in on else None, spec.style,
                                   spec.meter or (4, 4), None if spec.loop else spec.bars, spec.left_hands, slots,
                                   spec.sparse))
    if spec.loop and "loop" in on:
        filters.append(LoopBias(tracker, spec.bars, spec.loop_strength))
    if "leaps" in on:
        filters.append(LeapBias(tracker, spec.leap_strength))
    if "motif" in on and spec.motif_strength > 0:
        keeps = frozenset(p for p, r in (roles or {}).items() if r in KEPT_VOICINGS)
        filters.append(MotifBias(tracker, spec.motif_period, spec.motif_strength, spec.echoes, harmony, slots,
                                 keeps, scale))
    if "density" in on and spec.onsets_per_bar:
        filters.append(DensityBias(tracker, spec.onsets_per_bar, spec.density_strength))
    centre = None if per_part else spec.centre_pitch  # parts with registers are pulled to their own centres
    if "targets" in on and (centre is not None or spec.velocity is not None):
        filters.append(TargetBias(tracker, centre, spec.velocity, spec.target_strength))
    if spec.draw_grid is not None and spec.draw_strength > 0:
        filters.append(DrawBias(tracker, spec.draw_grid, spec.draw_strength))
    if "soft" in spec.off:
        filters = [f for f in filters if not isinstance(f, (Bias, *TEMPLATE_MASKS))]
    return filters
