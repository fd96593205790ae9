"""The plan: a checked request turned into control tokens, a constraint spec and sampling settings; loads no model."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from composer.ask.resolve import Resolved
from composer.constraints.masks import MELODIC_CHANNELS
from composer.core.errors import ComposerError
from composer.core.gm import playable_range
from composer.core.instruments import DRUMS
from composer.core.roles import VOICE_RANKS
from composer.core.score import TICKS_PER_BEAT
from composer.core.theory import mode_family
from composer.core.voices import CHOIRS, HAND_KEYBOARDS, voices_for
from composer.decode.controls import (
    DENSITY_BINS,
    DENSITY_EDGES,
    DYNAMIC_BINS,
    DYNAMIC_EDGES,
    REGISTER_BINS,
    REGISTER_EDGES,
    TEMPO_BINS,
    TEMPO_EDGES,
    bin_of,
    key_token,
    part_controls,
)
from composer.plan.harmony import key_margin
from composer.plan.request import add_harmony, describe, meter_tuple, parse_chords, parse_key
from composer.plan.roles import registers_for


@dataclass
class Plan:
    """A checked request, ready to sample: its control tokens, constraints and sampling settings."""

    prompt: str | None
    request: Resolved
    key: tuple[int, str, str]  # (tonic pitch class, mode, tonic as written)
    tempo: float
    meter: tuple[int, int]
    bars: int
    pitched: list[int]  # the voices' decode programs the model plays (drums are arranged, composer.arrange.drums)
    controls: list[str]
    spec: Any  # composer.constraints.ConstraintSpec
    config: Any  # composer.decode.sampling.SamplingConfig
    verify: bool  # check the key of each sample (sample_checked)
    loop: bool

    @property
    def bar_ticks(self) -> int:
        return TICKS_PER_BEAT * 4 * self.meter[0] // self.meter[1]

    @property
    def checked_key(self) -> tuple[int, str] | None:
        return (self.key[0], self.key[1]) if self.verify else None


# the mood reading's "light" density (composer.ask.head.DENSITY_ONSETS): a request at most this sparse thins
# the accompaniment's figures to whole beats (composer.core.textures.thinned)
SPARSE_ONSETS = 3.5
REPLANS = 4  # chord plans drawn for a second try, the one that sounds most in key taken (replanned)
# Notes a part writes for each onset of the piece's rhythm, by role, so that the density token counts the notes
# of every part as the training data's does: comping strikes chords, an arpeggio fills in, a pad holds a
# chord across several onsets. (With one note per part, capped at three parts, a folk trio of flute and
# guitar read as "sparse": fewer notes a bar than one chorale voice plays.)
NOTES_PER_ONSET = {"melody": 1.0, "counter": 1.0, "bass": 0.75, "comp": 3.0, "pad": 1.5, "arp": 2.0, "doubling": 1.0}


def plan_request(prompt: str | None = None, *, image: str | Path | None = None,
                 image_encoder: str | Path | None = None, key: str | None = None,
                 tempo: float | None = None, meter: str | None = None, bars: int | None = None,
                 instruments: str | Sequence[str | int] | None = None, chords: str | None = None,
                 seed: int | None = None,
                 temperature: float = 1.0, top_k: int = 0, top_p: float = 0.95, guidance: float = 1.0,
                 constraints: bool = True, constraints_off: list[str] | None = None, chromatic: int = 0,
                 loop: bool = False, draw: bool = False, draw_strength: float | None = None,
                 draw_mode: str = "edges", roles: str | dict[int, str] | None = None) -> Plan:
    """Resolve and check a request (compose's arguments) into a Plan; loads no model."""
    from composer.constraints import SWITCHES, ConstraintSpec
    from composer.decode.sampling import SamplingConfig

    request = describe(prompt, image=image, image_encoder=image_encoder, key=key, tempo=tempo, meter=meter,
                       bars=bars, instruments=instruments, chords=chords, roles=roles, seed=seed, loop=loop)
    if draw:
        from composer.plan.drawing import draw_instruments

        draw_instruments(request, image)
    key, tempo, meter, bars = request["key"], float(request["tempo"]), request["meter"], int(request["bars"])
    programs: list[int] = request["instruments"]
    chords = request["chords"]
    try:
        config = SamplingConfig(temperature=temperature, top_k=top_k, top_p=top_p, guidance=guidance, seed=seed,
                                max_tokens=bars * 512)
    except ValueError as exc:
        raise ComposerError(str(exc)) from None
    unknown = sorted({name.strip() for name in constraints_off or ()} - set(SWITCHES))
    if unknown:
        raise ComposerError(f"unknown constraint switch {', '.join(unknown)}; known: {', '.join(SWITCHES)}")
    pc, mode, tonic = parse_key(key)
    chord_sets = parse_chords(chords, key) if chords else None
    if draw:  # a drawing places the notes itself, one voice per instrument
        request.voices = voices_for(sorted({p for p in programs if p != DRUMS}), request.names)
    pitched = sorted(v.decode for v in request.voices)  # the model plays these; drums are arranged
    if len(pitched) > MELODIC_CHANNELS:
        raise ComposerError(f"{len(pitched)} pitched instruments asked for; MIDI has room for {MELODIC_CHANNELS} "
                            "(16 channels, one kept for drums)")
    controls = [key_token(pc, mode_family(mode)), f"Meter_{meter}", f"BPM_{bin_of(tempo, TEMPO_EDGES, TEMPO_BINS)}"]
    controls += part_controls(pitched, None if draw else request.roles)
    if request["velocity"] is not None:
        controls.append(f"Dynamic_{bin_of(request['velocity'], DYNAMIC_EDGES, DYNAMIC_BINS)}")
    if request["onsets_per_bar"] is not None:  # the model's density control counts notes a bar, all parts
        notes_per_bar = request["onsets_per_bar"] * sum(NOTES_PER_ONSET.get(role, 1.0) for role in
                                                        (request.roles or {}).values()) if request.roles \
            else request["onsets_per_bar"] * max(len(pitched), 1)
        controls.append(f"Density_{bin_of(notes_per_bar, DENSITY_EDGES, DENSITY_BINS)}")
    if request["centre_pitch"] is not None:
        controls.append(f"Register_{bin_of(request['centre_pitch'], REGISTER_EDGES, REGISTER_BINS)}")
    meter_pair = meter_tuple(meter)
    assert meter_pair is not None
    spec = ConstraintSpec(bars=bars, meter=meter_pair, key=(pc, mode),
                          programs=pitched, real={v.decode: v.program for v in request.voices},
                          chords=chord_sets, chromatic_budget=chromatic,
                          centre_pitch=request["centre_pitch"], velocity=request["velocity"],
                          onsets_per_bar=request["onsets_per_bar"],
                          # a request read as sparse or light (at most the "light" bin's onsets) thins the figures
                          sparse=request["onsets_per_bar"] is not None and request["onsets_per_bar"] <= SPARSE_ONSETS,
                          off={c.strip() for c in constraints_off or ()}, enabled=constraints, loop=loop,
                          entry=not draw)
    if request.harmony is not None:  # the planner's chords, when none were given
        spec = dataclasses.replace(spec, **planned_harmony(request.harmony))
    if not draw:  # a drawing places the notes itself
        parts = request.roles  # as describe() assigned them
        spec.roles = parts
        spec.style = request["style"] or "pop"
        spec.left_hands = frozenset(v.decode for v in request.voices
                                    if v.hand == "left" and v.program in HAND_KEYBOARDS)
        if len(parts) > 1:  # an ensemble's parts each in their own register; a lone part keeps the piece's
            # a register asked for (words, mood, picture) moves every part's window the same way, inside
            # what its instrument plays: the model follows the window, a centre alone barely moves it
            shift = max(-8, min(8, request["centre_pitch"] - 64)) if request["centre_pitch"] is not None else 0
            real = {v.decode: v.program for v in request.voices}
            windows = registers_for(parts, real, frozenset(v.decode for v in request.voices if v.hand == "left"),
                                    {v.decode: v.name for v in request.voices},
                                    frozenset(v.decode for v in request.voices
                                              if v.hand == "right" and v.program in HAND_KEYBOARDS))
            # a choir's named voices sing one note at a time, and a singer's range does not move with the mood
            sung = {v.decode: v.name for v in request.voices if v.program in CHOIRS and v.name in VOICE_RANKS}
            spec.monophonic = frozenset(sung)
            spec.ranks = {p: VOICE_RANKS[name] for p, name in sung.items()} or None
            spec.registers = {p: shifted(w.low, w.centre, w.high, 0 if real.get(p, p) in CHOIRS else shift,
                                         playable_range(real.get(p, p)))
                              for p, w in windows.items()}
    if draw:
        from composer.plan.drawing import add_drawing

        add_drawing(spec, image, pitched, request["centre_pitch"], draw_strength, draw_mode)
    # music21's key analyses know major and minor only: a mode is held by its scale mask and final tonic
    verify = constraints and "key" not in spec.off and "verify" not in spec.off and mode in ("major", "minor")
    return Plan(prompt, request, (pc, mode, tonic), tempo, meter_pair, bars, pitched, controls, spec, config,
                verify, loop)


def shifted(low: int, centre: int, high: int, shift: int, playable: tuple[int, int]) -> tuple[int, int, int]:
    """A register window (low, centre, high) moved `shift` semitones, its edges kept inside `playable` and
    at least an octave apart, its centre three semitones inside them."""
    new_low, new_high = max(playable[0], low + shift), min(playable[1], high + shift)
    if new_high - new_low < 12:  # pressed against the instrument's edge: keep an octave
        new_low, new_high = (new_low, min(high, new_low + 12)) if shift < 0 else (max(low, new_high - 12), new_high)
    return new_low, max(new_low + 3, min(new_high - 3, centre + shift)), new_high


def planned_harmony(harmony: Any) -> dict[str, Any]:
    """The ConstraintSpec fields a harmony plan (composer.plan.harmony.HarmonyPlan) sets."""
    return {"harmony": harmony.chords, "harmony_slots": harmony.slots, "echoes": harmony.echoes,
            "cadence_bars": harmony.cadences}


def can_replan(plan: Plan) -> bool:
    """Whether the planner wrote the plan's chords (not the person's --chords), so another may be drawn."""
    return plan.request.harmony is not None and plan.spec.harmony is not None


def replanned(plan: Plan) -> Plan | None:
    """The same plan with another chord plan drawn by the harmony planner (None where the chords were given
    or a drawing places the notes): the sampler's second try when the first plan's notes are heard in another
    key (a rock loop on I-bVII-IV has the pitches of the key of IV; its notes often cannot tell them apart)."""
    if not can_replan(plan):
        return None
    drawn = []
    for draw in range(1, REPLANS + 1):  # the plan whose chords alone sound most in key
        request = dataclasses.replace(plan.request, values=dict(plan.request.values))
        add_harmony(request, plan.prompt, plan.config.seed, plan.loop, draw=draw)
        drawn.append((key_margin(request.harmony, plan.key[0], plan.key[1]), -draw, request))
    request = max(drawn, key=lambda found: found[:2])[2]
    return dataclasses.replace(plan, request=request, spec=dataclasses.replace(plan.spec,
                                                                            **planned_harmony(request.harmony)))
