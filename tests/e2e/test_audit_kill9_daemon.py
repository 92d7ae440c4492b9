"""No decision is lost when the daemon is SIGKILLed: drive 100,000 decisions
through the running daemon (the shim endpoint, as shims do), kill it at a
random point, restart it, and check that every decision whose answer
reached us has its event in SQLite."""
import json
import random
import signal
import socket
import sqlite3

from gateway import Daemon

N = 100_000


def _answer(sock, buf):
    """Read one keep-alive HTTP response; returns (status, rest of buffer)."""
    while b"\r\n\r\n" not in buf:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("closed")
        buf += chunk
    head, _, buf = buf.partition(b"\r\n\r\n")
    length = int([l for l in head.split(b"\r\n")
                  if l.lower().startswith(b"content-length:")][0].split(b":")[1])
    while len(buf) < length:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("closed")
        buf += chunk
    return int(head.split(b" ")[1]), buf[length:]


# No resource_limits: this test's own process is the "shell" being prepared,
# and it must not be moved into a cgroup.
POLICY = """version: 1
name: kill9
command_rules:
  - {name: all, commands: ["*"], decision: allow}
"""


def test_kill9_loses_no_decision(tmp_path):
    d = Daemon(tmp_path, policy_text=POLICY)
    d.start()
    kill_at = random.randint(N // 10, N * 9 // 10)
    acked = []
    s = socket.socket(socket.AF_UNIX)
    s.connect(str(d.sock))
    buf = b""
    try:
        for i in range(N):
            body = json.dumps({"argv": ["bash"], "shell": f"/kill9/bash-{i}",
                               "cwd": str(tmp_path), "env": []}).encode()
            s.sendall(b"POST /api/v1/shim/prepare HTTP/1.1\r\nHost: x\r\n"
                      b"Content-Length: %d\r\n\r\n%s" % (len(body), body))
            status, buf = _answer(s, buf)
            assert status == 200
            acked.append(i)  # the decision was returned to us
            if i == kill_at:
                d.proc.send_signal(signal.SIGKILL)
    except (ConnectionError, OSError):
        pass
    d.proc.wait()
    assert len(acked) > kill_at  # we did get answers up to the kill
    d.start()  # replays the journal
    try:
        st, _ = d.request("GET", "/api/v1/events/search?limit=1")
        assert st == 200  # searching syncs the loader first
        db = sqlite3.connect(str(d.data / "events.db"))
        stored = {int(p.rsplit("-", 1)[1]) for (p,) in db.execute(
            "select path from events where path like '/kill9/bash-%'")}
        missing = [i for i in acked if i not in stored]
        assert not missing, f"{len(missing)} acknowledged decisions lost"
        dup = db.execute("select count(*) - count(distinct path) from events "
                         "where path like '/kill9/bash-%'").fetchone()[0]
        assert dup == 0
    finally:
        d.stop()
