"""Delivery (shell): Alertmanager API v2 over plain HTTP, every other channel through Apprise.

Alertmanager's API is one JSON ``POST /api/v2/alerts``: the standard library's urllib is
enough (no client to maintain, no extra dependency). Slack, PagerDuty, e-mail, Teams,
DingTalk, WeCom, Feishu, JSON webhooks ... go through Apprise URLs, one message per group.

Retries: 5xx, 429 and connection errors are retried with full-jitter exponential backoff
(``backoff_s * 2**attempt``, capped, times a random factor in [0, 1)), at most
``max_attempts`` tries; any other 4xx is final. Apprise reports a failed send as ``False``
and logs the HTTP status (``... error=503.``): the status is read from its captured log.
URLs are never logged (they hold tokens): a target is named by :func:`redact_url`.
"""

from __future__ import annotations

import json
import logging
import random
import re
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field

from .config import AlertSettings, redact_url
from .core import Notice
from .messages import am_alert, render_group

__all__ = ["Deliverer", "Outcome"]

log = logging.getLogger("wallboard.alerts.delivery")
_STATUS = re.compile(r"error=(\d{3})")


@dataclass
class Outcome:
    """What happened to one target: delivered or not, attempts, last HTTP status."""

    target: str
    ok: bool
    attempts: int
    status: int | None = None
    notices: list[Notice] = field(default_factory=list)


def retryable(status: int | None) -> bool:
    """None (no answer), 429 and 5xx are retried; other 4xx never."""
    return status is None or status == 429 or status >= 500


class Deliverer:
    def __init__(self, settings: AlertSettings, *, sleep: Callable[[float], None] = time.sleep,
                 rng: random.Random | None = None) -> None:
        self.settings = settings
        self.d = settings.delivery
        self.sleep = sleep
        self.rng = rng or random.Random()
        self.outcomes: list[Outcome] = []  # the latest delivery round (for tests and /api)
        self._opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))

    # -- retry ------------------------------------------------------------------------------

    def _with_retries(self, target: str, send: Callable[[], tuple[bool, int | None]]
                      ) -> Outcome:
        attempt, status = 0, None
        while True:
            attempt += 1
            ok, status = send()
            if ok:
                return Outcome(target, True, attempt, status)
            if not retryable(status) or attempt >= self.d.max_attempts:
                log.warning("alerts: delivery to %s failed after %d attempt(s) (status %s)",
                            target, attempt, status)
                return Outcome(target, False, attempt, status)
            cap = min(self.d.max_backoff_s, self.d.backoff_s * 2 ** (attempt - 1))
            self.sleep(cap * self.rng.random())

    # -- Alertmanager -----------------------------------------------------------------------

    def _post_am(self, body: bytes) -> tuple[bool, int | None]:
        url = self.d.alertmanager_url.rstrip("/") + "/api/v2/alerts"
        req = urllib.request.Request(url, data=body, method="POST",
                                     headers={"Content-Type": "application/json"})
        try:
            with self._opener.open(req, timeout=self.d.timeout_s) as resp:
                resp.read(65536)
                return 200 <= resp.status < 300, resp.status
        except urllib.error.HTTPError as exc:
            return False, exc.code
        except (OSError, ValueError):
            return False, None

    def to_alertmanager(self, notices: list[Notice]) -> Outcome | None:
        if not self.d.alertmanager_url or not notices:
            return None
        s = self.settings
        body = json.dumps([am_alert(n, s.language, s.board_url) for n in notices]).encode()
        outcome = self._with_retries(redact_url(self.d.alertmanager_url),
                                     lambda: self._post_am(body))
        outcome.notices = list(notices)
        return outcome

    # -- Apprise ----------------------------------------------------------------------------

    def _apprise_send(self, url: str, title: str, body: str) -> tuple[bool, int | None]:
        import apprise

        ap = apprise.Apprise()
        if "cto=" not in url and "rto=" not in url and "#" not in url:
            # Apprise's own connect/read timeouts (4 s each by default) -> ours
            t = f"{self.d.timeout_s:g}"
            url = f"{url}{'&' if '?' in url else '?'}cto={t}&rto={t}"
        if not ap.add(url):
            return False, 400  # an unusable URL never works: not retried
        with apprise.LogCapture(level=logging.WARNING) as captured:
            ok = ap.notify(title=title, body=body)
        if ok:
            return True, 200
        found = _STATUS.findall(captured.getvalue())
        return False, int(found[-1]) if found else None

    def groups(self, notices: list[Notice]) -> list[list[Notice]]:
        """Notices grouped by the ``group_by`` labels (one message per group)."""
        grouped: dict[tuple, list[Notice]] = {}
        for n in notices:
            key = tuple(n.labels.get(k, "") for k in self.settings.group_by) + (n.status,)
            grouped.setdefault(key, []).append(n)
        return list(grouped.values())

    def to_apprise(self, notices: list[Notice]) -> list[Outcome]:
        s = self.settings
        out = []
        for group in self.groups(notices):
            title, body = render_group(group, s.language, s.board_url)
            for url in self.d.apprise:
                outcome = self._with_retries(
                    redact_url(url),
                    lambda u=url, ti=title, b=body: self._apprise_send(u, ti, b))
                outcome.notices = list(group)
                out.append(outcome)
        return out

    # -- both -------------------------------------------------------------------------------

    def deliver(self, notices: list[Notice], refresh: list[Notice]) -> list[Notice]:
        """Send ``notices`` to every target and ``refresh`` (lease renewals) to Alertmanager;
        return the notices that reached no target (the engine retries them next step)."""
        self.outcomes = []
        delivered: set[tuple[str, str]] = set()
        am_batch = {n.fingerprint: n for n in refresh}
        am_batch.update({n.fingerprint: n for n in notices})
        am = self.to_alertmanager(list(am_batch.values()))
        if am is not None:
            self.outcomes.append(am)
            if am.ok:
                delivered.update((n.fingerprint, n.status) for n in notices)
        if notices:
            for outcome in self.to_apprise(notices):
                self.outcomes.append(outcome)
                if outcome.ok:
                    delivered.update((n.fingerprint, n.status) for n in outcome.notices)
        if not self.d.alertmanager_url and not self.d.apprise:
            return []  # no receiver configured: the log and /api are the output
        return [n for n in notices if (n.fingerprint, n.status) not in delivered]
