"""The supervisor end to end, in full mode (seccomp user-notify): commands
at every depth, soft-delete and restore, the exec API, and what happens
when the daemon dies. The technique-by-technique suite is
tests/security/."""
import os
import pathlib
import signal
import subprocess
import time

import pytest

from gateway import (ENV, Daemon, build_dir, bwrap_cmd, events, make_root,
                     root_shell)

BIN = build_dir()
AGENTSH = str(BIN / "agentsh")
SHIM = str(BIN / "agentsh-shell-shim")
# unshare exists on this machine (sudo does not); the shipped policy
# denies both (block-shell-escape).
NESTED = ('python3 -c "import os; os.execv(\\"/usr/bin/unshare\\", '
          '[\\"unshare\\", \\"-h\\"])"')


@pytest.fixture
def gw(tmp_path):
    d = Daemon(tmp_path)
    d.start()
    root, etc = make_root(tmp_path, d, SHIM, AGENTSH)
    ws = tmp_path / "ws"
    ws.mkdir()
    sh = root_shell(root, etc, tmp_path, ws, ENV)
    yield d, sh, ws
    d.stop()


def test_nested_exec_denied_with_rule(gw):
    d, sh, _ = gw
    p = sh(NESTED)
    assert p.returncode != 0
    assert "agentsh: denied by rule block-shell-escape" in p.stderr
    assert "PermissionError" in p.stderr
    ev = [e for e in events(d, "command_policy")
          if e.get("operation") == "supervisor_exec"
          and e["policy"]["effective_decision"] == "deny"]
    assert ev and ev[-1]["path"].endswith("/unshare")
    assert ev[-1]["fields"]["depth"] >= 1


def test_commands_allowed_and_attached_full(gw):
    d, sh, _ = gw
    p = sh("echo hi | tr a-z A-Z; git --version >/dev/null && echo git-ok")
    assert p.returncode == 0, p.stderr
    assert p.stdout.split() == ["HI", "git-ok"]
    modes = [e["fields"]["mode"] for e in events(d, "supervisor_attached")]
    assert modes and set(modes) == {"full"}


def test_rm_soft_deleted_and_restored_identical(gw):
    d, sh, ws = gw
    data = os.urandom(4096)
    (ws / "keep.bin").write_bytes(data)
    p = sh("rm keep.bin && test ! -e keep.bin && echo gone")
    assert p.returncode == 0 and "gone" in p.stdout, p.stderr
    assert "agentsh: soft-deleted" in p.stderr
    token = p.stderr.split("agentsh trash restore ")[1].split()[0]
    ev = events(d, "soft_delete")
    assert ev and ev[-1]["fields"]["token"] == token
    r = subprocess.run([AGENTSH, "trash", "restore", token, "--dir", str(d.trash)],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert (ws / "keep.bin").read_bytes() == data


def test_exec_api_supervised_and_names_restore(gw):
    d, _, ws = gw
    (ws / "f.txt").write_text("x" * 100)
    assert d.request("POST", "/api/v1/sessions", {"id": "sv", "workspace": str(ws)})[0] == 201
    st, r = d.request("POST", "/api/v1/sessions/sv/exec",
                      {"command": "/usr/bin/python3", "args": ["-c",
                       "import os; os.execv('/usr/bin/unshare', ['unshare'])"]})
    assert st == 200 and r["result"]["exit_code"] != 0
    assert "denied by rule block-shell-escape" in r["result"]["stderr"]
    st, r = d.request("POST", "/api/v1/sessions/sv/exec",
                      {"command": "rm", "args": ["f.txt"], "working_dir": str(ws)})
    assert st == 200 and r["result"]["exit_code"] == 0
    sd = r["soft_deleted"]
    assert sd[0]["path"] == str(ws / "f.txt")
    assert sd[0]["restore"].startswith("agentsh trash restore " + sd[0]["token"])


def test_daemon_killed_nothing_runs(gw):
    d, sh, ws = gw
    marker = ws / "after-kill"
    # The shell waits for a signal file, then tries to run commands.
    p = subprocess.Popen(
        bwrap_cmd(gw[0].dir / "root", gw[0].dir / "etc-agentsh", gw[0].dir,
                  ["bash", "-c", f"while [ ! -e {ws}/go ]; do sleep 0.05; done; "
                   f"/usr/bin/touch {marker}; echo ran-$?"], cwd=ws),
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=ENV)
    time.sleep(0.5)
    d.proc.send_signal(signal.SIGKILL)
    d.proc.wait()
    (ws / "go").write_text("")
    out, err = p.communicate(timeout=20)
    assert not marker.exists(), (out, err)
    assert "ran-0" not in out


SIGNAL_POLICY = """version: 1
name: signals
command_rules:
  - {name: all, commands: ["*"], decision: allow}
file_rules:
  - {name: all, paths: ["**"], operations: ["*"], decision: allow}
signal_rules:
  - name: keep-children-alive
    signals: [SIGTERM]
    target: {type: children}
    decision: absorb
  - name: session-rest
    signals: ["@all"]
    target: {type: session}
    decision: allow
"""


def test_signal_rules(tmp_path):
    d = Daemon(tmp_path, policy_text=SIGNAL_POLICY)
    d.start()
    try:
        root, etc = make_root(tmp_path, d, SHIM, AGENTSH)
        outside = subprocess.Popen(["sleep", "30"])
        script = (f"sleep 30 & k=$!; kill -TERM $k; sleep 0.2; "
                  f"kill -0 $k && echo absorbed; kill -KILL $k; wait $k; "
                  f"echo killed-$?; kill -TERM {outside.pid} || echo outside-refused")
        p = subprocess.run(bwrap_cmd(root, etc, tmp_path, ["bash", "-c", script]),
                           capture_output=True, text=True, env=ENV, timeout=30)
        assert p.stdout.split() == ["absorbed", "killed-137", "outside-refused"], p
        assert outside.poll() is None
        rules = [e.get("policy", {}).get("rule") for e in events(d, "signal")]
        assert "keep-children-alive" in rules and "default-deny-signals" in rules
    finally:
        outside.kill()
        d.stop()


def test_fast_reads_mode(tmp_path):
    """sandbox.seccomp.file_monitor.write_only_opens: read-only opens are left
    to the kernel, where the policy's Landlock allowlist decides them; the
    rest is still decided by the supervisor."""
    d = Daemon(tmp_path)
    d.config.write_text(d.config.read_text().replace(
        "sandbox:\n", "sandbox:\n  seccomp:\n    file_monitor:\n"
        "      write_only_opens: true\n", 1))
    d.start()
    try:
        root, etc = make_root(tmp_path, d, SHIM, AGENTSH)
        ws = tmp_path / "ws"
        ws.mkdir()
        (ws / "in.txt").write_text("readable\n")
        script = ("cat in.txt; cat /etc/shadow || echo shadow-refused; "
                  "echo out > out.txt && cat out.txt; "
                  "echo x > /etc/agentsh-test-canary || echo write-refused")
        p = subprocess.run(bwrap_cmd(root, etc, tmp_path, ["bash", "-c", script],
                                     cwd=ws),
                           capture_output=True, text=True, env=ENV, timeout=30)
        assert p.stdout.split() == ["readable", "shadow-refused", "out",
                                    "write-refused"], p
        assert not pathlib.Path("/etc/agentsh-test-canary").exists()
        # The refused write was decided (and recorded) by the supervisor; the
        # refused read by Landlock (no event).
        files = events(d, "file")
        assert any(e.get("path") == "/etc/agentsh-test-canary" for e in files)
        assert not any(e.get("path") == "/etc/shadow" for e in files)
        plan_modes = [e["fields"]["mode"] for e in events(d, "supervisor_attached")]
        assert plan_modes == ["full"]
    finally:
        d.stop()


def test_shim_handoff_only_to_installed_real_shells(gw):
    """The shim looks for NAME.real next to its argv[0], which the caller
    picks: a planted bash.real elsewhere is judged by the policy like any
    program (here: the denied unshare), not waved through as the shell."""
    d, sh, ws = gw
    evil = ws / "evil"
    evil.mkdir()
    (evil / "bash.real").symlink_to("/usr/bin/unshare")
    p = sh(f"(exec -a {evil}/bash /usr/bin/bash -c 'echo inner'); echo rc=$?")
    assert "denied by rule block-shell-escape" in p.stderr, p
    ev = [e for e in events(d, "command_policy")
          if e.get("operation") == "supervisor_exec"
          and e["policy"]["effective_decision"] == "deny"]
    assert any(e["path"].endswith("/unshare") for e in ev)


UDP_POLICY = """version: 1
name: udp
command_rules:
  - {name: all, commands: ["*"], decision: allow}
file_rules:
  - {name: all, paths: ["**"], operations: ["*"], decision: allow}
network_rules:
  - {name: loopback, cidrs: ["127.0.0.0/8"], decision: allow}
"""


def test_udp_only_to_gateway_dns(tmp_path):
    """With the session's DNS listener running, UDP goes there or nowhere,
    even where network_rules would allow the address (TCP there works)."""
    import socket
    d = Daemon(tmp_path, policy_text=UDP_POLICY)
    d.start()
    rx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    rx.bind(("127.0.0.1", 0))
    rx.settimeout(0.5)
    tcp = socket.socket()
    tcp.bind(("127.0.0.1", 0))
    tcp.listen(1)
    try:
        root, etc = make_root(tmp_path, d, SHIM, AGENTSH)
        script = (
            "python3 -c \"import socket,sys\n"
            "u=socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
            "try:\n"
            f"  u.sendto(b'leak', ('127.0.0.1', {rx.getsockname()[1]})); print('udp-sent')\n"
            "except OSError as e: print('udp-refused', e.errno)\n"
            f"t=socket.create_connection(('127.0.0.1', {tcp.getsockname()[1]})); print('tcp-ok')\"")
        p = subprocess.run(bwrap_cmd(root, etc, tmp_path, ["bash", "-c", script]),
                           capture_output=True, text=True, env=ENV, timeout=30)
        assert "udp-refused" in p.stdout and "tcp-ok" in p.stdout, p
        with pytest.raises(socket.timeout):
            rx.recv(64)
        rules = [e.get("policy", {}).get("rule") for e in events(d, "net")]
        assert "udp-outside-gateway-dns" in rules
    finally:
        rx.close()
        tcp.close()
        d.stop()


def test_connect_from_a_thread(gw):
    """A connect from a thread other than the leader (curl's resolver, any
    threaded client) is decided and performed too: the notification names
    the thread, whose socket the supervisor takes with PIDFD_THREAD."""
    import socket
    d, sh, ws = gw
    tcp = socket.socket()
    tcp.bind(("127.0.0.1", 0))
    tcp.listen(1)
    try:
        (ws / "thr.py").write_text(
            "import socket, sys, threading\n"
            "def go():\n"
            "    try:\n"
            "        socket.create_connection(('127.0.0.1', int(sys.argv[1])),"
            " 5)\n"
            "        print('thread-connected')\n"
            "    except OSError as e:\n"
            "        print('thread-error', e.errno)\n"
            "t = threading.Thread(target=go)\n"
            "t.start()\n"
            "t.join()\n")
        p = sh(f"python3 thr.py {tcp.getsockname()[1]}")
        assert p.stdout == "thread-connected\n", (p.stdout, p.stderr)
        ev = [e for e in events(d, "net") if e.get("remote") ==
              f"127.0.0.1:{tcp.getsockname()[1]}"]
        assert ev and ev[-1]["policy"]["effective_decision"] == "allow", ev
    finally:
        tcp.close()
