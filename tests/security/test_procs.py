"""Processes outside the session: their environment and memory, signals,
tracing; and the gateway itself killed mid-session (fail closed)."""
import os
import pathlib
import signal
import subprocess
import time

import pytest

import expect
from helpers import CONTROL, check_audit, control_ran

OUTSIDE_SECRET = "OUTSIDE-CANARY-51d0e2"


@pytest.fixture
def outsider():
    """A process outside the session with a secret in its environment."""
    p = subprocess.Popen(["sleep", "120"], env={"PATH": "/usr/bin:/bin",
                                                "OUTSIDE_TOKEN": OUTSIDE_SECRET})
    yield p
    p.kill()
    p.wait()


def state(pid):
    return pathlib.Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]


@pytest.mark.parametrize("mode", expect.modes("proc_environ"))
def test_proc_environ(sandbox, mode, outsider):
    sb = sandbox(mode)
    pid = outsider.pid
    r = sb.run(CONTROL + f"cat /proc/{pid}/environ; tr '\\0' '\\n' < /proc/{pid}/environ; "
               f"python3 -c 'print(open(\"/proc/{pid}/task/{pid}/environ\").read())'")
    control_ran(r)
    assert OUTSIDE_SECRET not in r.stdout + r.stderr, "another process's environment was read"
    check_audit(sb, "proc_environ", "file",
                lambda e: e.get("path") == f"/proc/{pid}/environ" and
                (e.get("policy") or {}).get("effective_decision") == "deny",
                "the read of another process's environ")


@pytest.mark.parametrize("mode", expect.modes("signal_outside"))
def test_signal_outside(sandbox, mode, outsider):
    sb = sandbox(mode)
    pid = outsider.pid
    r = sb.run(CONTROL + f"kill -TERM {pid}; /usr/bin/kill -KILL {pid}; "
               f"python3 -c 'import os, signal; os.kill({pid}, signal.SIGKILL)'")
    control_ran(r)
    time.sleep(0.2)
    assert outsider.poll() is None, "a process outside the session was killed"
    check_audit(sb, "signal_outside", "signal",
                lambda e: (e.get("fields") or {}).get("target") == pid,
                "the signal to an outside process")


PTRACE = r"""
import ctypes, os, sys
pid = int(sys.argv[1])
libc = ctypes.CDLL(None, use_errno=True)
PTRACE_ATTACH, PTRACE_SEIZE = 16, 0x4206
for req in (PTRACE_ATTACH, PTRACE_SEIZE):
    r = libc.ptrace(req, pid, None, None)
    print("ptrace", req, r, ctypes.get_errno())
class iovec(ctypes.Structure):
    _fields_ = [("base", ctypes.c_void_p), ("len", ctypes.c_size_t)]
lo, hi = 0x400000, 0x401000
try:
    for line in open(f"/proc/{pid}/maps"):
        if "[stack]" in line:
            lo, hi = (int(x, 16) for x in line.split()[0].split("-"))
except OSError as e:
    print("maps", e.errno)
n = min(hi - lo, 1 << 20)
buf = ctypes.create_string_buffer(n)
local = iovec(ctypes.cast(buf, ctypes.c_void_p), n)
remote = iovec(hi - n, n)
got = libc.process_vm_readv(pid, ctypes.byref(local), 1, ctypes.byref(remote), 1, 0)
print("process_vm_readv", got, ctypes.get_errno())
if got > 0:
    sys.stdout.write(buf.raw[:got].decode("latin-1").replace("\0", "\n"))
"""


@pytest.mark.parametrize("mode", expect.modes("ptrace_vm"))
def test_ptrace_and_process_vm(sandbox, mode, outsider):
    sb = sandbox(mode)
    prog = sb.scratch / "ptrace.py"
    prog.write_text(PTRACE)
    r = sb.run(CONTROL + f"python3 {prog} {outsider.pid}; "
               f"strace -p {outsider.pid} -e trace=none 2>&1 & sleep 1; kill %1")
    control_ran(r)
    assert OUTSIDE_SECRET not in r.stdout + r.stderr, "another process's memory was read"
    assert "ptrace 16 -1 1" in r.stdout and "ptrace 16902 -1 1" in r.stdout, r.stdout
    assert "process_vm_readv -1 1" in r.stdout, r.stdout
    assert state(outsider.pid) != "t", "the outside process is being traced"
    check_audit(sb, "ptrace_vm", "command_policy",
                lambda e: False, "a ptrace refusal")


def daemon_pid(sb):
    """The agentsh server's pid (under hold_listener, its child)."""
    pid = sb.daemon.proc.pid
    if sb.wrapper:
        kids = pathlib.Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        assert len(kids) == 1, kids
        pid = int(kids[0])
    return pid


@pytest.mark.parametrize("mode", expect.modes("kill_daemon"))
def test_kill_daemon_fails_closed(sandbox, mode):
    sb = sandbox(mode)
    mark = sb.ws / "marker-after-kill"
    p = subprocess.Popen(sb.cmd(["bash"]), env=sb.env(), stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        p.stdin.write(CONTROL + "\n")
        p.stdin.flush()
        assert p.stdout.readline() == "CONTROL-OK\n", p.stderr.read() if p.poll() else ""
        sid = sb.sid
        os.kill(daemon_pid(sb), signal.SIGKILL)
        sb.daemon.proc.wait(10)
        p.stdin.write(f"echo pwned > {mark}; /usr/bin/true && echo AFTER-KILL\n")
        p.stdin.close()
        out = p.stdout.read()
        p.wait(20)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    assert "AFTER-KILL" not in out, "the shell ran a program with its daemon dead"
    assert not mark.exists(), "the shell wrote a file with its daemon dead"
    # The journal survived: the restarted daemon shows the session was
    # supervised (nothing could record the refusals themselves).
    sb.daemon.start(wrapper=sb.wrapper)
    st, evs = sb.daemon.request(
        "GET", f"/api/v1/events/search?session_id={sid}&type=supervisor_attached")
    assert st == 200 and evs, evs
