"""The chord-sequence model: a Kneser-Ney trigram over Roman numerals per (style, mode), read from JSON and sampled.

    model = ChordModel.load()                                 # composer/checkpoints/chords.json, read once
    model.sample("chorale", "major", 8, random.Random(1), end="I")   # ["I", "IV", "V", "vi", ..., "V", "I"]
    model.next_probabilities(["I", "IV"], "folk", "major")    # {"I": 0.41, "V": 0.38, ..., "</s>": 0.01}

A sequence is a run of chord changes (no chord twice in a row) in one key, padded as <s> <s> c1 ... cn </s>.
Each level is interpolated Kneser-Ney with one discount D: P(w | h) = max(c(h, w) - D, 0) / c(h)
+ D * T(h) / c(h) * P_lower(w), where c counts the tokens seen after the context h and T(h) the distinct ones;
the longest context counts tokens, the shorter ones count the distinct contexts a token followed (Kneser-Ney's
continuation counts). The mode's model (all styles pooled) interpolates trigram -> bigram -> unigram -> uniform
over VOCABULARY; a style's own trigram -> bigram -> unigram chain then ends in the mode's model instead of the
uniform, so a style the model lacks is just the mode's model.
"""

from __future__ import annotations

import functools
import json
import math
import random
from collections import Counter
from collections.abc import Collection, Iterable, Sequence
from pathlib import Path
from typing import Any

from composer.core.errors import ComposerError
from composer.core.harmony import QUALITIES, numeral_of, parse_numeral

FORMAT = "composer-chord-model"
FORMAT_VERSION = 1
BEGIN, END = "<s>", "</s>"
MODES = ("major", "minor")
ORDER = 3  # trigram: a chord depends on the two before it
# every chord the model can name: 12 roots x the qualities of composer.core.harmony, in that order
VOCABULARY: tuple[str, ...] = tuple(numeral_of(offset, quality) for offset in range(12) for quality in QUALITIES)
DEFAULT_PATH = Path(__file__).resolve().parent.parent / "checkpoints" / "chords.json"

DISCOUNT = 0.75  # Kneser and Ney's usual value; 0.5-0.9 measured within 2% of it on the held-out pieces
Context = tuple[str, ...]
Level = tuple[dict[str, int], int, int]  # counts of the tokens after a context, their total, how many kinds


def canonical(numeral: str) -> str:
    """The model's spelling of a numeral ("bV" -> "#IV", "IIo" -> "iio"); a ComposerError if it is none."""
    try:
        return numeral_of(*parse_numeral(numeral))
    except ValueError as exc:
        raise ComposerError(f"chord model: {exc}") from None


def tonic_of(mode: str) -> str:
    return "I" if mode == "major" else "i"


def trigrams_of(sequences: Iterable[Sequence[str]]) -> Counter[tuple[str, str, str]]:
    """The trigram counts of chord sequences padded as <s> <s> c1 ... cn </s>."""
    counts: Counter[tuple[str, str, str]] = Counter()
    for sequence in sequences:
        padded = [BEGIN, BEGIN, *sequence, END]
        counts.update(zip(padded, padded[1:], padded[2:], strict=False))
    return counts


class Counts:
    """One table's counts for every context: `tokens` (after contexts of 0-2 tokens) and `continuations`
    (after contexts of 0-1 tokens: in how many distinct longer contexts each token was seen)."""

    def __init__(self, trigrams: Counter[tuple[str, str, str]]) -> None:
        tokens: dict[Context, Counter[str]] = {}
        continuations: dict[Context, Counter[str]] = {}
        for (u, v, w), n in trigrams.items():
            for context in ((u, v), (v,), ()):
                tokens.setdefault(context, Counter())[w] += n
            # nothing comes before <s>: a token after it keeps its count
            continuations.setdefault((v,), Counter())[w] += n if v == BEGIN else 1
        for _, w in {(v, w) for _, v, w in trigrams}:  # in how many bigram contexts each token was seen
            continuations.setdefault((), Counter())[w] += 1
        self.tokens, self.continuations = _levels(tokens), _levels(continuations)

    def chain(self, context: Context, token: str, base: float) -> float:
        """Kneser-Ney from the empty context up to `context`, starting from the probability `base`."""
        p = base
        for length in range(len(context) + 1):
            table = self.tokens if length == len(context) else self.continuations
            level = table.get(context[len(context) - length:])
            if level is not None:
                counts, total, kinds = level
                p = max(counts.get(token, 0) - DISCOUNT, 0) / total + DISCOUNT * kinds / total * p
        return p


def _levels(tables: dict[Context, Counter[str]]) -> dict[Context, Level]:
    return {context: (dict(counts), counts.total(), len(counts)) for context, counts in tables.items()}


class ChordModel:
    """Kneser-Ney trigram counts per (style, mode) table, pooled per mode; `order` 1-3 truncates the contexts."""

    def __init__(self, trigrams: dict[tuple[str, str], Counter[tuple[str, str, str]]], order: int = ORDER,
                 meta: dict[str, Any] | None = None, *, by_style: bool = True) -> None:
        if order not in (1, 2, 3):
            raise ValueError(f"order must be 1, 2 or 3, not {order}")
        self.order, self.meta = order, meta or {}
        self._trigrams = trigrams
        self._tables = {key: Counts(counts) for key, counts in trigrams.items()} if by_style else {}
        pooled: dict[str, Counter[tuple[str, str, str]]] = {mode: Counter() for mode in MODES}
        for (_, mode), counts in trigrams.items():
            pooled[mode].update(counts)
        self._pooled = {mode: Counts(counts) for mode, counts in pooled.items()}

    @classmethod
    def from_sequences(cls, sequences: Iterable[tuple[str, str, Sequence[str]]], order: int = ORDER) -> ChordModel:
        """A model counted from (style, mode, chords) sequences (numerals in any spelling)."""
        grouped: dict[tuple[str, str], list[list[str]]] = {}
        for style, mode, chords in sequences:
            grouped.setdefault((style, _checked_mode(mode)), []).append([canonical(c) for c in chords])
        return cls({key: trigrams_of(seqs) for key, seqs in grouped.items()}, order)

    @classmethod
    def from_json(cls, record: dict[str, Any], order: int = ORDER) -> ChordModel:
        if record.get("format") != FORMAT or record.get("format_version") != FORMAT_VERSION:
            raise ComposerError(f"not a chord model of format {FORMAT} v{FORMAT_VERSION} "
                                f"(found {record.get('format')} v{record.get('format_version')})")
        trigrams = {}
        for key, rows in record["counts"].items():
            style, _, mode = key.partition("/")
            trigrams[(style, _checked_mode(mode))] = Counter({(u, v, w): int(n) for u, v, w, n in rows})
        return cls(trigrams, order, meta={k: v for k, v in record.items() if k != "counts"})

    @classmethod
    def load(cls, path: Path | None = None) -> ChordModel:
        """The model at `path`; without one, the shipped composer/checkpoints/chords.json (read once)."""
        return _load_default() if path is None else _load(Path(path))

    def truncated(self, order: int) -> ChordModel:
        """The same counts as a unigram (1) or bigram (2) model: the baselines of the benchmark."""
        return ChordModel(self._trigrams, order, self.meta)

    def pooled(self) -> ChordModel:
        """The same counts with the styles pooled: every style reads the mode's model (an ablation)."""
        return ChordModel(self._trigrams, self.order, self.meta, by_style=False)

    @property
    def styles(self) -> tuple[str, ...]:
        return tuple(sorted({style for style, _ in self._trigrams}))

    def probability(self, token: str, history: Sequence[str], style: str, mode: str) -> float:
        """P(token | the last ORDER-1 tokens of <s> <s> + history) for the style, or the mode's model
        when the model does not know the style."""
        padded = (BEGIN, BEGIN, *history)
        context = padded[len(padded) - self.order + 1:] if self.order > 1 else ()
        p = self._pooled[_checked_mode(mode)].chain(context, token, 1.0 / (len(VOCABULARY) + 1))  # from uniform
        own = self._tables.get((style, mode))
        return p if own is None else own.chain(context, token, p)

    def next_probabilities(self, history: Sequence[str], style: str, mode: str) -> dict[str, float]:
        """The distribution of the next token (every chord of VOCABULARY and END) after `history`."""
        history = [canonical(c) for c in history]
        return {token: self.probability(token, history, style, mode) for token in (*VOCABULARY, END)}

    def logprob(self, sequence: Sequence[str], style: str, mode: str) -> float:
        """The natural log-probability of a whole sequence, its closing </s> included."""
        chords = [canonical(c) for c in sequence]
        return sum(math.log(self.probability(token, chords[:i], style, mode))
                   for i, token in enumerate([*chords, END]))

    def perplexity(self, sequences: Iterable[Sequence[str]], style: str, mode: str) -> float:
        """exp of the mean negative log-probability per predicted token (each chord and each </s>)."""
        total, tokens = 0.0, 0
        for sequence in sequences:
            total -= self.logprob(sequence, style, mode)
            tokens += len(sequence) + 1
        if tokens == 0:
            raise ValueError("perplexity of no sequences")
        return math.exp(total / tokens)

    def sample(self, style: str, mode: str, length: int, rng: random.Random, *, start: str | None = None,
               end: str | None = None, temperature: float = 1.0) -> list[str]:
        """`length` chord changes that begin on `start` (default the tonic) and, with `end`, finish on it:
        the chords between are drawn one by one, then the last-but-one is drawn in proportion to
        P(it | before) * P(end | it), so the progression arrives at `end` the way the corpus does."""
        _checked_mode(mode)
        if length < 1:
            raise ComposerError(f"a progression needs at least 1 chord, not {length}")
        if temperature <= 0:
            raise ComposerError(f"temperature must be above 0, not {temperature}")
        last = canonical(end) if end is not None else None
        first = canonical(start) if start is not None else (last if length == 1 and last else tonic_of(mode))
        if length == 1:
            if last is not None and last != first:
                raise ComposerError(f"one chord cannot both start on {first} and end on {last}")
            return [first]
        chords = [first]
        while len(chords) < length - (2 if last else 0):
            chords.append(self._draw(chords, style, mode, rng, temperature))
        if last is not None:
            if length > 2:
                chords.append(self._draw(chords, style, mode, rng, temperature, before=last))
            chords.append(last)
        return chords

    def vary(self, progression: Sequence[str], style: str, mode: str, rng: random.Random, *, changes: int = 1,
             temperature: float = 1.0, allowed: Collection[str] | None = None) -> list[str]:
        """A library progression with `changes` inner chords replaced (first and last kept), each new chord
        drawn in proportion to the likelihood of the whole progression with it in place; only chords of
        `allowed` (numerals) when it is given."""
        chords = [canonical(c) for c in progression]
        inner = list(range(1, len(chords) - 1))
        within = None if allowed is None else {canonical(c) for c in allowed}
        for index in rng.sample(inner, min(changes, len(inner))):
            neighbours = {chords[index - 1], chords[index + 1], chords[index]}
            candidates = [c for c in VOCABULARY if c not in neighbours and (within is None or c in within)]
            if not candidates:
                continue
            scores = [self.logprob(_changes([*chords[:index], c, *chords[index + 1:]]), style, mode) / temperature
                      for c in candidates]
            top = max(scores)
            chords[index] = rng.choices(candidates, [math.exp(s - top) for s in scores])[0]
        return chords

    def _draw(self, chords: list[str], style: str, mode: str, rng: random.Random, temperature: float,
              before: str | None = None) -> str:
        """The next chord (never the one just played, nor `before`), weighted by P(c | chords), times
        P(before | chords + c) when the chord after it is fixed, sharpened or flattened by temperature."""
        candidates = [c for c in VOCABULARY if c != chords[-1] and c != before]
        weights = []
        for chord in candidates:
            p = self.probability(chord, chords, style, mode)
            if before is not None:
                p *= self.probability(before, [*chords, chord], style, mode)
            weights.append(p ** (1.0 / temperature))
        return rng.choices(candidates, weights)[0]

    def to_json(self, **meta: Any) -> dict[str, Any]:
        """The JSON record: format, vocabulary, `meta` (sources, split, version) and each table's trigram counts."""
        counts = {f"{style}/{mode}": sorted([*gram, n] for gram, n in trigrams.items())
                  for (style, mode), trigrams in sorted(self._trigrams.items())}
        return {"format": FORMAT, "format_version": FORMAT_VERSION,
                "model": {"kind": "interpolated Kneser-Ney", "order": ORDER, "discount": DISCOUNT},
                **meta, "vocabulary": [*VOCABULARY, END], "counts": counts}


def _changes(chords: list[str]) -> list[str]:
    """Consecutive repeats collapsed: the model scores chord changes."""
    return [c for i, c in enumerate(chords) if i == 0 or c != chords[i - 1]]


def _checked_mode(mode: str) -> str:
    if mode not in MODES:
        raise ComposerError(f"chord model: mode must be major or minor, not {mode!r}")
    return mode


def _load(path: Path) -> ChordModel:
    if not path.is_file():
        raise ComposerError(f"no chord model at {path}; build one with `composer data chords --out {path}`")
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ComposerError(f"cannot read the chord model {path}: {exc}") from None
    return ChordModel.from_json(record)


@functools.cache
def _load_default() -> ChordModel:
    return _load(DEFAULT_PATH)
