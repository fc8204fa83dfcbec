"""Shared by the Anonymous Bank tests: rows of the real file, one per case, and the
conversion of a few CSV lines with every event validated."""

from __future__ import annotations

import io

import orjson

from schemas import parse_event
from streams.adapters.bank import COLUMNS, BankStats, iter_events, read_rows

HEADER = ",".join(COLUMNS)


def convert_text(*lines: str, **kw) -> tuple[list[dict], BankStats]:
    """Events of CSV ``lines`` (header added: the first row is line 2), each validated."""
    stats = BankStats()
    text = "\n".join([HEADER, *lines]) + "\n"
    events = list(iter_events(read_rows(io.StringIO(text)), stats=stats, **kw))
    for e in events:
        parse_event(e)
        parse_event(orjson.dumps(e))
    return events, stats


def brief(events: list[dict]) -> list[tuple]:
    return [(e["type"], e["ts"], e.get("agent_id")) for e in events]


# -- rows of the real file, one per case ---------------------------------------------------

AGENT_QUEUED = ("AA0209,44376,54188305,1,PS,1999-08-01,10:01:33,10:01:38,5,10:01:38,10:02:38,60,"
                "AGENT,10:02:37,10:03:47,70,AVI")

AGENT_DIRECT = ("AA0104,31129,0,0,PS,1999-08-01,10:00:21,10:00:31,10,0:00:00,0:00:00,0,AGENT,"
                "10:00:30,10:02:09,99,NAAMA")

HANG_QUEUED = ("AA0105,43723,25519216,1,PS,1999-08-01,10:08:43,10:08:48,5,10:08:48,10:08:57,9,"
               "HANG,0:00:00,0:00:00,0,NO_SERVER")

HANG_VRU = ("AA0204,43678,0,0,PS,1999-08-01,0:10:10,0:10:27,17,0:00:00,0:00:00,0,HANG,0:00:00,"
            "0:00:00,0,NO_SERVER")

PHANTOM = ("AA0203,44973,38324794,1,PS,1999-08-01,10:36:34,10:36:39,5,10:36:39,10:38:58,139,"
           "PHANTOM,10:38:58,10:39:01,3,NO_SERVER")

HANG_ZERO_WAIT = ("AA0205,46081,33964578,1,PS,1999-08-01,13:27:13,13:27:19,6,13:27:19,13:27:19,"
                  "0,HANG,0:00:00,0:00:00,0,NO_SERVER")

HANG_WITH_SERVICE_TIMES = ("AA0110,37846,42477224,2,PS,1999-08-01,11:11:51,11:11:57,6,11:11:57,"
                           "11:12:09,12,HANG,11:12:17,11:16:57,280,NO_SERVER")

AGENT_NO_SERVICE_RECORD = ("AA0110,37823,0,0,NW,1999-08-01,8:48:53,8:49:02,9,8:49:02,8:53:47,285,"
                           "AGENT,0:00:00,0:00:00,0,STEREN")

AGENT_NO_SERVER = ("AA0110,38116,0,0,NW,1999-08-05,11:19:43,11:19:53,10,11:19:53,11:24:01,248,"
                   "AGENT,11:24:01,11:27:00,179,NO_SERVER")

VRU_CLOCK_AHEAD = ("AA0207,7039,17702523,1,PS,1999-08-01,12:04:42,12:03:15,-87,12:03:15,12:04:56,"
                   "101,AGENT,12:04:55,12:05:56,61,VICKY")

QUEUE_PAST_MIDNIGHT = ("AA0208,7582,25534546,1,PS,1999-08-02,23:59:23,23:59:23,0,23:59:29,0:00:57,"
                       "88,AGENT,0:00:56,0:01:15,19,GELBER")

SERVICE_PAST_MIDNIGHT = ("AA0204,43912,22519995,2,PS,1999-08-02,23:55:46,23:55:52,6,23:55:52,"
                         "23:58:44,172,AGENT,23:58:44,0:00:24,100,AVI")

MANGLED_ID = ("AA0216,2010-08-,0,0,IN,1999-08-23,10:47:35,10:47:45,10,10:47:45,10:48:15,30,AGENT,"
              "10:48:15,10:49:31,76,DORIT")
