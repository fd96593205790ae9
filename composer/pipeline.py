"""compose(): a request -> its plan -> one sampled span, or a form of sections -> a Piece. The one dispatcher."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from composer.arrange.piece import Piece
from composer.core.errors import ComposerError


def compose(prompt: str | None = None, *, image: str | Path | None = None,
            image_encoder: str | Path | None = None, key: str | None = None,
            tempo: float | None = None, meter: str | None = None, bars: int | None = None,
            instruments: str | Sequence[str | int] | None = None, chords: str | None = None,
            seed: int | None = None,
            temperature: float = 1.0, top_k: int = 0, top_p: float = 0.95, guidance: float = 1.0,
            constraints: bool = True, constraints_off: list[str] | None = None, chromatic: int = 0,
            loop: bool = False, form: str | None = None, checkpoint: str | None = None,
            draw: bool = False, draw_strength: float | None = None, draw_mode: str = "edges",
            roles: str | dict[int, str] | None = None) -> Piece:
    """Generate a piece from a prompt, an image, options, or any mix (options win over the prompt).

    The resolved attributes become control tokens and constraint masks, and the prompt (with the
    image's description) conditions the decoder. Impossible requests raise ComposerError before the
    model loads. With `loop`, the last bar leads back into the first (IV V7 then the opening tonic,
    each part stepping back toward its first note) and loopStart/loopEnd markers frame the piece, which
    the renderer wraps into seamless audio. With `form` ("intro A B A outro"), sections are composed
    in turn (composer.arrange.forms), repeats share their material, and a marker names each section.
    `roles` ("piano=comp,cello=bass") sets parts' roles (melody, counter, bass, comp, pad, arp,
    doubling); the others come from the prompt's words and the ensemble (composer.plan.roles), and each
    part keeps to its role's register and texture. With `draw`, the image is also drawn in the piano roll
    (composer.plan.drawing: `draw_mode` edges, silhouette or tone; `draw_strength` trades likeness for
    musicality, None: the default).
    """
    options = dict(image=image, image_encoder=image_encoder, key=key, tempo=tempo, meter=meter, bars=bars,
                   instruments=instruments, chords=chords, seed=seed, temperature=temperature, top_k=top_k,
                   top_p=top_p, guidance=guidance, constraints=constraints, constraints_off=constraints_off,
                   chromatic=chromatic, loop=loop, roles=roles)
    if form is not None and draw:
        raise ComposerError("--draw draws one picture over one piece; leave out --form")
    if form is not None:
        from composer.arrange.forms import compose_form

        return compose_form(prompt, form, checkpoint=checkpoint, **options)  # type: ignore[arg-type]
    from composer.arrange.span import compose_span
    from composer.plan.spec import plan_request

    plan = plan_request(prompt, **options, draw=draw, draw_strength=draw_strength,  # type: ignore[arg-type]
                        draw_mode=draw_mode)
    return compose_span(plan, checkpoint)
