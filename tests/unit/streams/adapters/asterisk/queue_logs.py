"""Shared by the Asterisk tests: the same queue_log lines rendered in every layout, the
fixtures, the real PBXware export (shared/data/real) and a few generated calls."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from schemas import parse_event
from streams.adapters.asterisk import convert_lines
from tests.support import shared_data

REPO = Path(__file__).resolve().parents[5]
FIXTURES = Path(__file__).parent / "fixtures"
REAL_REL = Path("data/real/asterisk_queue_log/pbxware_queue_log_export_2018-11-29_2018-12-04.csv")


def real_file() -> Path:
    """The real PBXware export (fails under CI=true when missing, else skips)."""
    return shared_data(str(REAL_REL), "WALLBOARD_ASTERISK_CSV")


T = 1_700_000_000  # 2023-11-14T22:13:20Z

Q = "support"

# A line in native terms: (epoch, callid, queue, agent, event, params).
Line = tuple[int, str, str, str, str, tuple[str, ...]]


def valid(events: list[dict]) -> list[dict]:
    """Every emitted event passes the one validator."""
    for event in events:
        parse_event(event)
    return events


# -- rendering the same lines in every layout ----------------------------------------------


def _native(line: Line) -> str:
    epoch, callid, queue, agent, event, params = line
    return "|".join([str(epoch), callid, queue, agent, event, *params])

def _csv_row(fields: list[str]) -> str:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="").writerow(fields)
    return buf.getvalue()

def _db_time(epoch: int) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%d %H:%M:%S")

def _realtime(line: Line) -> str:
    epoch, callid, queue, agent, event, params = line
    assert len(params) <= 5
    return _csv_row([_db_time(epoch), callid, queue, agent, event,
                     *(list(params) + [""] * 5)[:5]])

def _pbx(uid: int, line: Line) -> str:
    """The inverse of PBXware's re-arrangement (the data README): native params → columns."""
    epoch, callid, queue, agent, event, params = line
    p = list(params) + [""] * 5
    c = dict(param1="", param2="", param3="", entpos="0", expos="0", htime="0", ttime="0")
    if event == "ENTERQUEUE":
        c.update(param1=p[1], entpos=p[2])
    elif event == "CONNECT":
        c.update(htime=p[0], param2=p[1], param3=p[2])
    elif event in ("COMPLETECALLER", "COMPLETEAGENT"):
        c.update(htime=p[0], ttime=p[1], entpos=p[2])
    elif event in ("ABANDON", "EXITWITHTIMEOUT", "EXITEMPTY"):
        c.update(expos=p[0], entpos=p[1], htime=p[2])
    elif event == "EXITWITHKEY":
        c.update(param2=p[0], expos=p[1], entpos=p[2], htime=p[3])
    elif event == "RINGNOANSWER":
        c.update(htime=p[0])
    elif event in ("TRANSFER", "BLINDTRANSFER", "ATTENDEDTRANSFER"):
        c.update(param2=p[0], param3=p[1], htime=p[2], ttime=p[3], entpos=p[4])
    else:
        c.update(param1=p[0], param2=p[1], param3=p[2])
    local = datetime.fromtimestamp(epoch, ZoneInfo("America/Bogota")).strftime("%F %T")
    return _csv_row([str(uid), str(epoch), callid, queue, agent, event, c["param1"],
                     c["param2"], c["param3"], c["entpos"], c["expos"], c["htime"],
                     c["ttime"], local])


RT_HEADER = "time,callid,queuename,agent,event,data1,data2,data3,data4,data5"

PBX_HEADER = ("uid,date_time,callid,queue_name,type,event,param1,param2,param3,entpos,expos,"
              "htime,ttime,time")


def render(layout: str, lines: list[Line]) -> list[str]:
    if layout == "native":
        return [_native(x) for x in lines]
    if layout == "realtime":
        return [RT_HEADER, *(_realtime(x) for x in lines)]
    if layout == "realtime-noheader":
        return [_realtime(x) for x in lines]
    if layout == "pbxware":
        return [PBX_HEADER, *(_pbx(i, x) for i, x in enumerate(lines, 1))]
    assert layout == "pbxware-noheader"
    return [_pbx(i, x) for i, x in enumerate(lines, 1)]


RENDERINGS = ("native", "realtime", "realtime-noheader", "pbxware", "pbxware-noheader")


def native_lines(*lines: Line) -> list[str]:
    return [_native(x) for x in lines]


# -- lines every test uses -----------------------------------------------------------------

JOIN: Line = (T - 100, "MANAGER", Q, "PJSIP/201", "ADDMEMBER", ())

ENTER: Line = (T, "c1", Q, "NONE", "ENTERQUEUE", ("", "5550100", "1"))

CONNECT: Line = (T + 10, "c1", Q, "PJSIP/201", "CONNECT", ("10", "c1b", "3"))

PAUSE: Line = (T - 50, "NONE", Q, "PJSIP/201", "PAUSE", ("Lunch",))

PAUSEALL: Line = (T - 50, "NONE", "NONE", "PJSIP/201", "PAUSEALL", ("Break",))

LOGIN: Line = (T - 10, "c7", "NONE", "Agent/1001", "AGENTLOGIN", ("SIP/1001-00000001",))

CBLOGIN: Line = (T - 10, "c8", "NONE", "Agent/1127", "AGENTCALLBACKLOGIN", ("hint:1127@default",))

ANSWERED = [JOIN, ENTER, CONNECT]

CALL = {"call_id": "c1", "queue": Q}


def _end(event: str, params: tuple[str, ...]) -> Line:
    return (T + 100, "c1", Q, "PJSIP/201", event, params)


def _out(event: str, params: tuple[str, ...]) -> Line:
    return (T + 30, "c1", Q, "NONE", event, params)


# -- generated calls, for following a file -------------------------------------------------


def call(i: int, t: int) -> list[bytes]:
    """ENTERQUEUE, CONNECT, COMPLETECALLER of call ``k<i>`` (native lines with newlines)."""
    cid = f"k{i}"
    return [f"{_native(x)}\n".encode() for x in (
        (t, cid, Q, "NONE", "ENTERQUEUE", ("", "5550100", "1")),
        (t + 5, cid, Q, f"SIP/{i % 3}", "CONNECT", ("5", f"{cid}b", "1")),
        (t + 60, cid, Q, f"SIP/{i % 3}", "COMPLETECALLER", ("5", "55", "1")))]

def calls(first: int, n: int) -> list[bytes]:
    return [x for i in range(first, first + n) for x in call(i, T + 100 * i)]

def append(path: Path, *chunks: bytes) -> None:
    with path.open("ab") as fh:
        fh.write(b"".join(chunks))

def expected_events(lines: list[bytes]) -> list[dict]:
    return convert_lines(lines)[0]
