"""Erlang C staffing forecast: pure, numerically stable, standard library only.

Inputs (the metrics spec): arrival rate ``λ = offered(15m) / 900 s``, average handle time
``AHT`` (``aht_s(60m)``, else ``default_aht_s``), ``N`` agents staffed and answer threshold
``T`` seconds. The offered traffic is ``A = λ · AHT`` erlangs. When ``N > A``::

    p_wait        = (A^N/N! · N/(N−A)) / (Σ_{k=0}^{N−1} A^k/k! + A^N/N! · N/(N−A))   (Erlang C)
    service_level = 1 − p_wait · exp(−(N − A) · T / AHT)
    asa_s         = p_wait · AHT / (N − A)
    occupancy     = A / N

When ``N ≤ A`` the queue is unstable (it grows without bound): ``overloaded`` is true,
``p_wait = 1``, ``service_level = 0`` and ``asa_s`` / ``occupancy`` are ``None``. This is
applied literally, so ``N = 0`` with ``A = 0`` (nobody staffed, no traffic) is overloaded too.
``agents_required`` is the smallest integer ``N' > A`` with ``service_level(N') ≥ target``.

Numerical form. ``A^N`` and ``N!`` overflow a float from ``N ≈ 171`` on, so neither is ever
formed. Erlang B comes from the recurrence

    B(0) = 1,    B(k) = A·B(k−1) / (k + A·B(k−1))

(every term lies in [0, 1]; the recurrence is the textbook stable one), and Erlang C from

    C = N·B / (N − A·(1 − B)) = N·B / ((N − A) + A·B)

where the second form adds two positive terms, so nothing cancels even when ``N − A`` is tiny.
This stays accurate for thousands of erlangs. ``erlang_b`` costs ``O(min(N, k₀))`` steps,
where ``k₀`` is the point (about ``A + 40·√A``) where ``B`` underflows to 0 and the loop stops.
``agents_required`` runs the same recurrence once, upwards, and checks the service level at
each ``k > A`` in ``O(1)``, so it costs ``O(A + √A)``, not ``O(N²)``.

Model limits: Erlang C (M/M/N) assumes Poisson arrivals, exponential handle times and callers
who wait for ever. It ignores abandonment (that would be Erlang A), so with real abandonment
it overstates waiting and the agents needed, and "overloaded" means the model has no steady
state, not that the real queue grows for ever (callers hang up instead).
"""

from __future__ import annotations

import math

__all__ = ["agents_required", "asa_s", "erlang_b", "forecast", "p_wait", "service_level"]

INTERVAL_S = 900.0
"""The window of ``offered_15m``: 15 minutes, in seconds."""


def _check_traffic(traffic: float) -> float:
    traffic = float(traffic)
    if not math.isfinite(traffic) or traffic < 0:
        raise ValueError(f"traffic must be a finite number of erlangs >= 0, got {traffic!r}")
    return traffic


def _check_agents(agents: int) -> int:
    if isinstance(agents, bool) or not isinstance(agents, int):
        raise TypeError(f"agents must be an int, got {type(agents).__name__}")
    if agents < 0:
        raise ValueError(f"agents must be >= 0, got {agents}")
    return agents


def _check_aht(aht_s: float) -> float:
    aht_s = float(aht_s)
    if not math.isfinite(aht_s) or aht_s <= 0:
        raise ValueError(f"aht_s must be a finite number of seconds > 0, got {aht_s!r}")
    return aht_s


def _check_threshold(threshold_s: float) -> float:
    threshold_s = float(threshold_s)
    if not math.isfinite(threshold_s) or threshold_s < 0:
        raise ValueError(f"threshold_s must be a finite number of seconds >= 0, "
                         f"got {threshold_s!r}")
    return threshold_s


def _erlang_c(a: float, n: int, b: float) -> float:
    """Erlang C from Erlang B ``b = B(a, n)``; only for ``n > a``."""
    c = n * b / ((n - a) + a * b)
    return min(1.0, c)


def _service_level(a: float, n: int, c: float, aht_s: float, threshold_s: float) -> float:
    """Service level from Erlang C ``c``; only for ``n > a``."""
    return 1.0 - c * math.exp(-(n - a) * threshold_s / aht_s)


def erlang_b(traffic: float, agents: int) -> float:
    """Erlang B blocking probability of ``traffic`` erlangs offered to ``agents`` servers."""
    a = _check_traffic(traffic)
    n = _check_agents(agents)
    b = 1.0
    for k in range(1, n + 1):
        ab = a * b
        b = ab / (k + ab)
        if b == 0.0:  # underflow (or a == 0): B stays 0 from here on
            break
    return b


def p_wait(traffic: float, agents: int) -> float:
    """Erlang C: the probability that a call waits; ``1.0`` when ``agents <= traffic``."""
    a = _check_traffic(traffic)
    n = _check_agents(agents)
    if n <= a:
        return 1.0
    return _erlang_c(a, n, erlang_b(a, n))


def service_level(traffic: float, agents: int, aht_s: float, threshold_s: float) -> float:
    """The fraction of calls answered within ``threshold_s``; ``0.0`` when ``agents <= traffic``.
    """
    a = _check_traffic(traffic)
    n = _check_agents(agents)
    aht = _check_aht(aht_s)
    t = _check_threshold(threshold_s)
    if n <= a:
        return 0.0
    return _service_level(a, n, p_wait(a, n), aht, t)


def asa_s(traffic: float, agents: int, aht_s: float) -> float | None:
    """Average speed of answer in seconds (over all calls); ``None`` when ``agents <= traffic``.
    """
    a = _check_traffic(traffic)
    n = _check_agents(agents)
    aht = _check_aht(aht_s)
    if n <= a:
        return None
    return p_wait(a, n) * aht / (n - a)


def _search_limit(a: float) -> int:
    """A safety bound on ``agents_required``'s search; never reached for a target < 1, since
    B (hence C) underflows to 0, making the service level exactly 1, well before it."""
    return math.ceil(a) + 50 * math.ceil(math.sqrt(a)) + 1000


def agents_required(traffic: float, aht_s: float, threshold_s: float,
                    target: float) -> int | None:
    """The smallest ``N > traffic`` with ``service_level(traffic, N, aht_s, threshold_s) >=
    target``; ``None`` for a target that cannot be met (``>= 1`` or NaN) or ``aht_s <= 0``.
    """
    a = _check_traffic(traffic)
    t = _check_threshold(threshold_s)
    target = float(target)
    aht = float(aht_s)
    if math.isnan(target) or target >= 1 or not math.isfinite(aht) or aht <= 0:
        return None
    # The same recurrence, steps and helpers as erlang_b/service_level, so the answer agrees
    # bit for bit with service_level() at N and N - 1.
    b = 1.0
    for n in range(1, _search_limit(a) + 1):
        if b != 0.0:
            ab = a * b
            b = ab / (n + ab)
        if n > a and _service_level(a, n, _erlang_c(a, n, b), aht, t) >= target:
            return n
    return None  # pragma: no cover - unreachable for target < 1 (see _search_limit)


def forecast(offered_15m: int, aht_s: float, staffed: int, threshold_s: float,
             target: float) -> dict:
    """The snapshot's Erlang C forecast block, rounded for output.

    ``offered_15m`` calls offered in the last 15 minutes, ``aht_s`` the handle time to use,
    ``staffed`` agents, ``threshold_s`` the service-level threshold T and ``target`` the
    service-level goal. Raises ``ValueError`` for ``aht_s <= 0`` or negative counts.
    """
    if isinstance(offered_15m, bool) or not isinstance(offered_15m, int):
        raise TypeError(f"offered_15m must be an int, got {type(offered_15m).__name__}")
    if offered_15m < 0:
        raise ValueError(f"offered_15m must be >= 0, got {offered_15m}")
    aht = _check_aht(aht_s)
    n = _check_agents(staffed)
    t = _check_threshold(threshold_s)
    rate_per_s = offered_15m / INTERVAL_S
    a = rate_per_s * aht
    overloaded = n <= a
    return {
        "arrival_rate_per_min": round(rate_per_s * 60.0, 4),
        "aht_s": round(aht, 3),
        "staffed": n,
        "traffic_erlangs": round(a, 4),
        "overloaded": overloaded,
        "p_wait": round(p_wait(a, n), 6),
        "service_level": round(service_level(a, n, aht, t), 6),
        "asa_s": None if overloaded else round(asa_s(a, n, aht), 3),
        "occupancy": None if overloaded else round(a / n, 6),
        "agents_required": agents_required(a, aht, t, target),
    }
