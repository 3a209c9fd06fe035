from __future__ import annotations

import random
from datetime import timedelta


def retry_delay(attempts: int, initial: float, maximum: float, rng: random.Random | None = None) -> timedelta:
    """Exponential backoff with jitter: around initial * 2^(attempts-1), capped, times 0.5-1.5 so that
    deliveries failing together do not retry together."""
    base = min(maximum, initial * 2 ** max(0, attempts - 1))
    return timedelta(seconds=base * (rng or random).uniform(0.5, 1.5))
