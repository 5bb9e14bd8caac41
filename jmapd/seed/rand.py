"""The random source and the integer-weighted tables drawn from it.

``random.Random`` is specified bit-for-bit (Mersenne Twister, string seeds
hashed with SHA-512), so the same seed gives the same stream on every machine.
``randrange`` costs about 0.4 us per call, which adds up over the hundred-odd
draws per message; ``below`` uses ``random()`` instead.  Both operands of its
multiplication are exact doubles and IEEE 754 rounds the product the same way
everywhere, so it is as portable as ``randrange``.  Nothing here calls libm.
"""

from __future__ import annotations

import random
from bisect import bisect_right
from typing import Sequence, TypeVar

T = TypeVar("T")


class Rng(random.Random):
    def below(self, n: int) -> int:
        """Uniform integer in [0, n)."""
        return int(self.random() * n)

    def pick(self, seq: Sequence[T]) -> T:
        return seq[int(self.random() * len(seq))]


class Weights:
    """Pick an index with integer weights."""

    __slots__ = ("cum", "total")

    def __init__(self, weights: Sequence[int]):
        cum = []
        t = 0
        for w in weights:
            t += w
            cum.append(t)
        self.cum = tuple(cum)
        self.total = t

    def pick(self, rng: Rng) -> int:
        return bisect_right(self.cum, int(rng.random() * self.total))


class Ranges:
    """Pick a bucket (low, high, weight) by weight, then an integer in [low, high]."""

    __slots__ = ("rows", "weights")

    def __init__(self, rows: Sequence[tuple[int, int, int]]):
        self.rows = tuple((lo, hi - lo + 1) for lo, hi, _ in rows)
        self.weights = Weights([w for _, _, w in rows])

    def pick(self, rng: Rng) -> int:
        lo, n = self.rows[self.weights.pick(rng)]
        return lo if n == 1 else lo + int(rng.random() * n)
