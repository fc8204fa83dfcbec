"""Freshness and the banner: how old the data on the board is, whether it is stale, and the
one line that says so.

The age of a snapshot runs from its ``as_of`` (or from its fetch, on the event clock or when
``as_of`` is unknown); a worker that cannot reach Kafka, or a partition without records,
makes the whole board stale; the worker's ``freshness`` block adds the age and staleness of
each segment. :func:`banner_text` turns that into the banner (None: no banner). Pure: the
caller passes ``now`` and the fetch time (epoch seconds of the same clock).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import tzinfo
from typing import Any

from dashboard.formatting import MISSING, as_number, fmt_age, fmt_clock, lookup
from dashboard.i18n import tr
from streams.core.timefmt import parse_as_of

__all__ = ["Freshness", "banner_text", "segment_freshness", "snapshot_freshness",
           "stale_partitions"]


@dataclass(frozen=True)
class Freshness:
    """How fresh a whole snapshot is at ``now`` (before its segments are looked at)."""

    has_snapshot: bool
    age_s: float | None
    stale: bool
    broker_down: bool
    partitions: list[str]  # the worker's stale partitions, "topic/partition"
    partitions_age_s: float | None  # how long the stalest has had no record (or partial)

    @property
    def banner_age_s(self) -> float | None:
        """The age the banner counts from: a stale partition's, when that is older."""
        if self.partitions:
            return max(self.age_s or 0.0, self.partitions_age_s or 0.0)
        return self.age_s


def snapshot_freshness(snapshot: Any, fetched_at: float | None, now: float,
                       stale_after_s: float) -> Freshness:
    """The age and staleness of ``snapshot``: stale without one, past ``stale_after_s``,
    while the worker cannot reach Kafka (aged since its last record) or while a partition is
    stale (calls are spread over partitions by call id: any segment may be held back)."""
    has_snapshot = isinstance(snapshot, Mapping)
    age_s = _snapshot_age(snapshot, fetched_at, now) if has_snapshot else None
    feed = lookup(snapshot, "feed")
    feed = feed if isinstance(feed, Mapping) else {}
    broker_down = feed.get("broker_reachable") is False
    feed_age = as_number(feed.get("last_record_age_s"))
    if broker_down and feed_age is not None:
        age_s = max(age_s or 0.0, feed_age + max(0.0, now - (fetched_at or now)))
    partitions, partitions_age = stale_partitions(snapshot)
    stale = not has_snapshot or age_s is None or age_s > stale_after_s or broker_down \
        or bool(partitions)
    return Freshness(has_snapshot=has_snapshot, age_s=age_s, stale=stale,
                     broker_down=broker_down, partitions=partitions,
                     partitions_age_s=partitions_age)


def segment_freshness(snapshot: Any, name: str, base_age_s: float | None,
                      stale_after_s: float) -> tuple[float | None, bool]:
    """(age of the segment's data in s, stale?).

    With the worker's ``freshness`` block, the segment's own ``age_s`` (plus the time since
    the dashboard fetched it) and the worker's ``stale`` flag; without it, ``base_age_s``
    (the age of the whole snapshot). Past ``stale_after_s`` a segment is stale either way."""
    seg = lookup(snapshot, "freshness", "segments", name)
    age = base_age_s
    stale_flag = False
    if isinstance(seg, Mapping):
        own = as_number(seg.get("age_s"))
        if own is not None:
            age = own + (base_age_s or 0.0)
        stale_flag = seg.get("stale") is True
    stale = stale_flag or age is None or age > stale_after_s
    return age, stale


def stale_partitions(snapshot: Any) -> tuple[list[str], float | None]:
    """The worker's stale partitions ("topic/partition") and how long the stalest has gone
    without a record (``freshness.partitions[].last_record_age_s``) or, owned by another
    worker, without a partial from it (``partial_age_s``), when it says."""
    raw = lookup(snapshot, "freshness", "stale_partitions")
    if not isinstance(raw, list):
        return [], None
    names = [str(p) for p in raw[:50]]
    ages = []
    parts = lookup(snapshot, "freshness", "partitions")
    for part in parts[:1000] if isinstance(parts, list) else []:
        if isinstance(part, Mapping) and f"{part.get('topic')}/{part.get('partition')}" in names:
            age = as_number(part.get("last_record_age_s"))
            if age is None and part.get("owner") not in (None, "here"):
                age = as_number(part.get("partial_age_s"))
            if age is not None:
                ages.append(age)
    return names, max(ages) if ages else None


def _snapshot_age(snapshot: Any, fetched_at: float | None, now: float) -> float | None:
    """Age of the data: since its ``as_of`` when that is known and not in the future, else
    since the dashboard fetched it."""
    if fetched_at is None:
        return None
    since_fetch = max(0.0, now - fetched_at)
    as_of = parse_as_of(lookup(snapshot, "as_of"))
    if as_of is None or lookup(snapshot, "freshness", "clock") == "event":
        return since_fetch  # on the event clock as_of is event time: a replay is not stale
    # the worker's clock may differ from ours: never less than the time since the fetch
    return max(since_fetch, min(now - as_of.timestamp(), since_fetch + 3600.0))


def banner_text(lang: str, tz: tzinfo, now: float, *, has_snapshot: bool,
                age_s: float | None, stale: bool, error: str | None, broker_down: bool,
                partitions: Sequence[str]) -> str | None:
    if not has_snapshot:
        if error:
            return tr(lang, "banner_no_data_error", error=error)
        return tr(lang, "banner_no_data")
    since = fmt_clock(now - age_s, tz) if age_s is not None else MISSING
    if broker_down:
        return tr(lang, "banner_broker", since=since)
    if stale and error:
        return tr(lang, "banner_stale_error", since=since, error=error)
    if partitions:
        return tr(lang, "banner_partitions", since=since, parts=", ".join(partitions[:4]))
    if stale:
        return tr(lang, "banner_stale", since=since, age=fmt_age(age_s, lang))
    return None
