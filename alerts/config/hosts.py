"""The names the alerts API answers to: ``alerts.allowed_hosts`` and the ``Host`` check (pure).

A browser sends the name it resolved in ``Host``; a page of another site that rebinds its
DNS name to this machine sends *its* name. So the API answers only requests whose ``Host``
is one of: ``localhost``, ``127.0.0.1``, ``::1``, the listen address (``alerts.host``, unless
it is a wildcard such as ``0.0.0.0``) and the names of ``alerts.allowed_hosts``. A name
without a port accepts any port, ``name:port`` only that port; ``"*"`` accepts any ``Host``
(the check is off, e.g. behind a proxy that checks it). Names compare case-insensitively,
without a trailing dot, and IP addresses in their canonical form (``[0:0::1]`` is ``::1``).
"""

from __future__ import annotations

import ipaddress
import re
from typing import Any

from streams.core.errors import ConfigError

__all__ = ["ANY_HOST", "LOOPBACK_NAMES", "HostName", "accepted_names", "accepts",
           "parse_allowed_hosts", "split_host"]

ANY_HOST = "*"
LOOPBACK_NAMES = ("localhost", "127.0.0.1", "::1")
_WILDCARDS = ("", "0.0.0.0", "::", "*")  # noqa: S104 - listen addresses, not a bind
_LABEL = re.compile(r"[a-z0-9_-]{1,63}")
_MAX_HOSTS = 64

# (name, port or None = any port)
HostName = tuple[str, int | None]


def _canonical(host: str) -> str:
    host = host.lower()
    host = host[:-1] if host.endswith(".") else host
    try:
        return str(ipaddress.ip_address(host))
    except ValueError:
        return host


def split_host(text: str) -> HostName | None:
    """``name``, ``name:port``, ``[v6]``, ``[v6]:port`` or a bare IPv6 address as
    ``(canonical name, port)``; None if it is none of them."""
    text = text.strip()
    port_text = ""
    if text.startswith("["):
        end = text.find("]")
        if end < 0:
            return None
        host, rest = text[1:end], text[end + 1:]
        if rest and not rest.startswith(":"):
            return None
        port_text = rest[1:] if rest else ""
        if rest and not port_text:
            return None
    elif text.count(":") == 1:
        host, port_text = text.split(":")
        if not port_text:
            return None
    else:
        host = text  # a name, or a bare IPv6 address (no port)
    if port_text and not (port_text.isascii() and port_text.isdigit() and len(port_text) <= 5
                          and 0 < int(port_text) < 65536):
        return None
    host = _canonical(host)
    return (host, int(port_text) if port_text else None) if host else None


def _valid_name(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
        return True
    except ValueError:
        pass
    labels = host.split(".")
    return len(host) <= 253 and all(_LABEL.fullmatch(label) for label in labels)


def parse_allowed_hosts(key: str, value: Any) -> tuple[str, ...]:
    """``alerts.allowed_hosts``: a list of names (``"wallboard.example.com"``,
    ``"10.0.0.5:6068"``, ``"[fd00::5]"``) or ``["*"]``; each checked, in canonical form."""
    if not isinstance(value, list) or len(value) > _MAX_HOSTS:
        raise ConfigError(f"{key}: expected a list of at most {_MAX_HOSTS} host names "
                          f"(e.g. [\"wallboard.example.com\", \"10.0.0.5:6068\"]), got "
                          f"{value!r}")
    out = []
    for i, item in enumerate(value):
        if item == ANY_HOST:
            out.append(ANY_HOST)
            continue
        parsed = split_host(item) if isinstance(item, str) else None
        if parsed is None or not _valid_name(parsed[0]):
            raise ConfigError(f"{key}[{i}]: expected a host name or address with an optional "
                              f":port (or \"*\": any), got {item!r}")
        name, port = parsed
        shown = f"[{name}]" if ":" in name and port is not None else name
        out.append(f"{shown}:{port}" if port is not None else name)
    return tuple(out)


def accepted_names(listen_host: str, allowed: tuple[str, ...]) -> tuple[HostName, ...]:
    """What :func:`accepts` compares with: the loopback names, the listen address and
    ``allowed`` (no ``"*"`` in it: the caller checks that)."""
    names = [*LOOPBACK_NAMES, *([] if listen_host in _WILDCARDS else [listen_host])]
    found = [split_host(n) for n in (*names, *allowed) if n != ANY_HOST]
    return tuple(dict.fromkeys(n for n in found if n is not None))


def accepts(header: str | None, names: tuple[HostName, ...]) -> bool:
    """Whether a ``Host`` header names one of ``names`` (no port in it: port 80)."""
    if not header:
        return False
    parsed = split_host(header)
    if parsed is None:
        return False
    host, port = parsed
    return any(host == n and (p is None or p == (port or 80)) for n, p in names)
