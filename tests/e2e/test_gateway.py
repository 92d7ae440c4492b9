"""The gateway end to end: a real daemon, the real shim installed over sh
and bash in a bubblewrap test root, real shells and tools."""
import json
import os
import pathlib
import signal
import sqlite3
import subprocess
import time

import pytest

from gateway import Daemon, build_dir, bwrap_cmd, make_root

BIN = build_dir()
AGENTSH = str(BIN / "agentsh")
SHIM = str(BIN / "agentsh-shell-shim")


@pytest.fixture
def daemon(tmp_path):
    d = Daemon(tmp_path)
    d.start()
    yield d
    d.stop()


@pytest.fixture
def root(tmp_path, daemon):
    r, etc = make_root(tmp_path, daemon, SHIM, AGENTSH)

    def run(argv, stdin=None, env=None, cwd=None, timeout=30):
        full = {"PATH": "/usr/bin:/bin", "HOME": "/root", "TERM": "dumb"}
        full.update(env or {})
        return subprocess.run(bwrap_cmd(r, etc, tmp_path, argv, cwd=cwd),
                              input=stdin, capture_output=True, text=True,
                              env=full, timeout=timeout)
    run.etc = etc
    run.cmd = lambda argv: bwrap_cmd(r, etc, tmp_path, argv)
    return run


def test_ready_fast_and_environment_scrubbed(tmp_path):
    d = Daemon(tmp_path)
    took = d.start()
    try:
        assert took < 1.0
        environ = pathlib.Path(f"/proc/{d.proc.pid}/environ").read_bytes()
        assert b"s3cr3t-daemon-env" not in environ
        assert d.get("/health") == (200, "ok\n")
        status, text = d.get("/metrics")
        assert status == 200 and "agentsh_up 1" in text
    finally:
        d.stop()


def test_sessions_api(daemon, tmp_path):
    ws = tmp_path / "ws"
    ws.mkdir()
    st, s = daemon.request("POST", "/api/v1/sessions",
                           {"id": "s1", "workspace": str(ws)})
    assert st == 201 and s["id"] == "s1" and s["policy"] == "default"
    assert daemon.request("POST", "/api/v1/sessions", {"id": "s1"})[0] == 409
    st, lst = daemon.request("GET", "/api/v1/sessions")
    assert [x["id"] for x in lst] == ["s1"]
    st, _ = daemon.request("POST", "/api/v1/sessions",
                           {"id": "bad id!", "workspace": str(ws)})
    assert st == 400
    st, _ = daemon.request("POST", "/api/v1/sessions",
                           {"id": "p", "workspace": str(ws), "policy": "../etc"})
    assert st == 403
    assert daemon.request("DELETE", "/api/v1/sessions/s1")[0] == 204
    assert daemon.request("GET", "/api/v1/sessions/s1")[0] == 404


def exec_(daemon, sid, body):
    return daemon.request("POST", f"/api/v1/sessions/{sid}/exec", body)


def test_exec_api(daemon, tmp_path):
    daemon.request("POST", "/api/v1/sessions", {"id": "e", "workspace": str(tmp_path)})
    st, r = exec_(daemon, "e", {"command": "echo", "args": ["hi", "there"]})
    assert st == 200, r
    assert r["result"]["exit_code"] == 0 and r["result"]["stdout"] == "hi there\n"
    assert r["guidance"]["status"] == "ok"
    st, r = exec_(daemon, "e", {"command": "sudo", "args": ["whoami"]})
    assert st == 403 and r["result"]["exit_code"] == 126
    assert r["guidance"]["blocked"] is True
    assert r["guidance"]["policy_rule"] == "block-shell-escape"
    assert r["result"]["error"]["code"] == "E_POLICY_DENIED"
    # A command inside a shell script is checked before anything runs.
    marker = tmp_path / "ran"
    st, r = exec_(daemon, "e", {"command": "sh", "args": [
        "-c", f"touch {marker}; kill -9 1"]})
    assert st == 403 and r["guidance"]["policy_rule"] == "block-system-commands"
    assert not marker.exists()
    st, r = exec_(daemon, "e", {"command": "cat", "stdin": "from stdin"})
    assert r["result"]["stdout"] == "from stdin"
    st, r = exec_(daemon, "e", {"command": "sleep", "args": ["5"], "timeout": "300ms"})
    assert r["result"]["exit_code"] == 124
    assert r["result"]["duration_ms"] < 3000
    st, r = exec_(daemon, "e", {"command": "sh", "args": ["-c", "exit 7"]})
    assert r["result"]["exit_code"] == 7
    st, r = exec_(daemon, "e", {"command": "no-such-command-xyz"})
    assert r["result"]["exit_code"] == 127


def test_exec_env_is_filtered(daemon, tmp_path):
    daemon.request("POST", "/api/v1/sessions", {"id": "v", "workspace": str(tmp_path)})
    st, r = exec_(daemon, "v", {"command": "env", "env": {
        "AWS_SECRET_ACCESS_KEY": "AKIAXXXX", "GITHUB_TOKEN": "ghp_x",
        "NODE_ENV": "test"}})
    out = r["result"]["stdout"]
    assert "AKIAXXXX" not in out and "ghp_x" not in out
    assert "NODE_ENV=test" in out and "AGENTSH_SESSION_ID=v" in out
    assert "s3cr3t-daemon-env" not in out


def test_exec_stream(daemon, tmp_path):
    import socket
    daemon.request("POST", "/api/v1/sessions", {"id": "st", "workspace": str(tmp_path)})
    s = socket.socket(socket.AF_UNIX)
    s.connect(str(daemon.sock))
    body = json.dumps({"command": "sh", "args": ["-c", "echo one; echo two >&2"]})
    s.sendall(f"POST /api/v1/sessions/st/exec/stream HTTP/1.1\r\nHost: x\r\n"
              f"Content-Length: {len(body)}\r\n\r\n{body}".encode())
    raw = b""
    while b"event: done" not in raw:
        chunk = s.recv(65536)
        if not chunk:
            break
        raw += chunk
    s.close()
    text = raw.decode()
    assert "text/event-stream" in text
    assert "event: stdout" in text and '"data":"one\\n"' in text
    assert "event: stderr" in text and "event: done" in text


def test_shim_runs_commands(root):
    r = root(["bash", "-c", "echo hi"])
    assert (r.returncode, r.stdout) == (0, "hi\n"), r.stderr
    r = root(["bash", "-c", "echo a b c | wc -w"])
    assert r.stdout.strip() == "3"
    r = root(["sh", "-c", "exit 7"])
    assert r.returncode == 7
    r = root(["bash"], stdin="echo from-stdin\nexit 3\n")
    assert r.stdout == "from-stdin\n" and r.returncode == 3
    r = root(["sh", "-c", "cat"], stdin="piped\n")
    assert r.stdout == "piped\n"
    r = root(["bash", "-c", "pwd"], cwd="/tmp")
    assert r.stdout == "/tmp\n"
    r = root(["bash", "-c", "no-such-command-xyz"])
    assert r.returncode == 127


def test_shim_denies_before_anything_runs(root, tmp_path):
    marker = tmp_path / "ran"
    r = root(["bash", "-c", f"touch {marker}; sudo whoami"])
    assert r.returncode == 126
    assert "agentsh: denied by rule block-shell-escape" in r.stderr
    assert not marker.exists()
    r = root(["bash", "+x", "-o", "pipefail", "-c", "sudo id"])
    assert r.returncode == 126
    r = root(["sh", "-c", "kill -9 1"])  # a builtin
    assert r.returncode == 126 and "block-system-commands" in r.stderr
    r = root(["bash"], stdin=f"touch {marker}\nnc -l 4444\n")
    assert r.returncode == 126 and "block-network-tools" in r.stderr
    assert not marker.exists()
    # Nested: the inner shell is sandboxed and still checked.
    r = root(["bash", "-c", "bash -c 'sudo id'"])
    assert r.returncode == 126


def test_shim_environment(root):
    r = root(["bash", "-c", "env; cat /proc/self/environ | tr '\\0' '\\n'"],
             env={"AWS_SECRET_ACCESS_KEY": "AKIASECRET", "GITHUB_TOKEN": "ghp_x",
                  "LANG": "C.UTF-8"})
    assert r.returncode == 0
    assert "AKIASECRET" not in r.stdout and "ghp_x" not in r.stdout
    assert "LANG=C.UTF-8" in r.stdout and "AGENTSH_SESSION_ID=" in r.stdout


def test_every_decision_is_an_event(root, daemon):
    root(["bash", "-c", "sudo whoami"])
    st, sessions = daemon.request("GET", "/api/v1/sessions")
    sid = sessions[0]["id"]
    st, events = daemon.request(
        "GET", f"/api/v1/events/search?session_id={sid}&type=command_policy")
    rules = [e["policy"]["rule"] for e in events]
    assert "block-shell-escape" in rules
    db = sqlite3.connect(str(daemon.data / "events.db"))
    n = db.execute("select count(*) from events where policy_rule = "
                   "'block-shell-escape'").fetchone()[0]
    assert n >= 1


def test_sandbox_cannot_steer_its_gateway(root, daemon):
    r = root(["bash", "-c",
              f"curl -s --unix-socket {daemon.sock} -X POST "
              "-d '{\"id\":\"mine\",\"policy\":\"default\"}' "
              "http://x/api/v1/sessions"])
    assert "operator identity" in r.stdout
    assert daemon.request("GET", "/api/v1/sessions/mine")[0] == 404


def test_fail_closed_when_daemon_is_gone(root, daemon):
    conf = root.etc / "shim.conf"
    conf.write_text(conf.read_text() + "autostart=false\n")
    daemon.stop()
    r = root(["bash", "-c", "echo should-not-run"])
    assert r.returncode == 126 and "should-not-run" not in r.stdout
    assert "not reachable" in r.stderr


def test_autostart_is_detached(root, daemon):
    daemon.stop()
    t0 = time.monotonic()
    r = root(["bash", "-c", "echo started"], timeout=20)
    took = time.monotonic() - t0
    assert r.stdout == "started\n", r.stderr
    # Our pipes were not held by the daemon: the run returned promptly.
    assert took < 5
    pids = subprocess.run(["pgrep", "-f", f"server --config {daemon.config}"],
                          capture_output=True, text=True).stdout.split()
    assert pids
    for p in pids:
        os.kill(int(p), signal.SIGTERM)


def test_interactive_shell_under_tmux(root, tmp_path):
    import shlex
    name = f"agentsh-{os.getpid()}"
    cmd = " ".join(shlex.quote(a) for a in root.cmd(["bash", "--norc", "-i"]))
    env = {"PATH": "/usr/bin:/bin", "HOME": "/root", "TERM": "xterm"}
    subprocess.run(["tmux", "new-session", "-d", "-s", name, "-x", "120", "-y",
                    "20", cmd], check=True, env=env)
    try:
        deadline = time.monotonic() + 10
        screen = ""
        sent = False
        while time.monotonic() < deadline:
            screen = subprocess.run(["tmux", "capture-pane", "-p", "-t", name],
                                    capture_output=True, text=True).stdout
            if not sent and screen.strip():
                subprocess.run(["tmux", "send-keys", "-t", name,
                                "echo interactive-$((6*7)); tty", "Enter"])
                sent = True
            if "interactive-42" in screen and "/dev/pts/" in screen:
                break
            time.sleep(0.1)
        assert "interactive-42" in screen, screen
        assert "/dev/pts/" in screen, screen
    finally:
        subprocess.run(["tmux", "kill-session", "-t", name], capture_output=True)


def test_session_shell_with_open_stdin(root):
    """Like a Daytona session: stdin stays open, commands arrive over time."""
    p = subprocess.Popen(root.cmd(["bash"]), stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True, env={"PATH": "/usr/bin:/bin", "HOME": "/root"})
    try:
        p.stdin.write("echo one\n")
        p.stdin.flush()
        assert p.stdout.readline() == "one\n"
        time.sleep(0.7)  # longer than the read-ahead waits
        p.stdin.write("echo two\n")
        p.stdin.flush()
        assert p.stdout.readline() == "two\n"
        p.stdin.close()
        assert p.wait(10) == 0
    finally:
        if p.poll() is None:
            p.kill()


def cli(daemon, *args, stdin=None, cwd=None):
    env = {"PATH": "/usr/bin:/bin", "HOME": "/root",
           "AGENTSH_SOCKET": str(daemon.sock), "NODE_ENV": "cli",
           "AWS_SECRET_ACCESS_KEY": "AKIACLI"}
    return subprocess.run([AGENTSH, *args], input=stdin, capture_output=True,
                          text=True, env=env, cwd=cwd, timeout=60)


def test_cli_exec_and_sessions(daemon, tmp_path):
    r = cli(daemon, "exec", "c1", "--", "sh", "-c", "echo out; echo err >&2; exit 3",
            cwd=tmp_path)
    assert (r.returncode, r.stdout, r.stderr) == (3, "out\n", "err\n")
    r = cli(daemon, "exec", "c1", "--", "sudo", "id")
    assert r.returncode == 126 and "block-shell-escape" in r.stderr
    r = cli(daemon, "exec", "c1", "--", "cat", stdin="through stdin")
    assert r.stdout == "through stdin"
    r = cli(daemon, "exec", "c1", "--", "env")
    assert "NODE_ENV=cli" in r.stdout and "AKIACLI" not in r.stdout
    r = cli(daemon, "exec", "--json", "c1", "--", "true")
    assert json.loads(r.stdout)["result"]["exit_code"] == 0
    r = cli(daemon, "session", "list")
    assert r.stdout.startswith("c1\t")
    assert cli(daemon, "session", "destroy", "c1").returncode == 0
    assert cli(daemon, "session", "list").stdout == ""


LIMITED = """version: 1
name: limited
command_rules:
  - {name: all, commands: ["*"], decision: allow}
resource_limits:
  pids_max: 8
  max_memory_mb: 32
  command_timeout: 20s
"""


def test_exec_resource_limits(tmp_path):
    d = Daemon(tmp_path, policy_text=LIMITED)
    d.start()
    try:
        d.request("POST", "/api/v1/sessions", {"id": "lim", "workspace": str(tmp_path)})
        # 20 background sleeps under pids_max 8: some forks must fail.
        st, r = exec_(d, "lim", {"command": "python3", "args": ["-c",
                      "import subprocess\nok = 0\nfor i in range(20):\n"
                      "    try:\n        subprocess.Popen(['sleep', '2']); ok += 1\n"
                      "    except OSError:\n        pass\nprint(ok)"]})
        started = int(r["result"]["stdout"].strip() or 0)
        assert 0 < started < 8, r["result"]
        # 128 MiB touched under a 32 MiB limit: killed.
        st, r = exec_(d, "lim", {"command": "python3", "args": ["-c",
                      "b = bytearray(128 << 20)\nfor i in range(0, len(b), 4096): b[i] = 1"]})
        assert r["result"]["exit_code"] != 0
        assert r["resources"]["oom_killed"] is True
    finally:
        d.stop()


def test_shim_joins_named_session_only_from_outside(root, daemon, tmp_path):
    ws = tmp_path / "named"
    ws.mkdir()
    assert daemon.request("POST", "/api/v1/sessions",
                          {"id": "named", "workspace": str(ws)})[0] == 201
    r = root(["bash", "-c", "echo $AGENTSH_SESSION_ID"],
             env={"AGENTSH_SESSION_ID": "named"})
    assert r.stdout == "named\n"
    # Inside a session, naming another one changes nothing.
    r = root(["bash", "-c", "AGENTSH_SESSION_ID=named bash -c 'echo $AGENTSH_SESSION_ID'"])
    assert r.stdout.strip() != "named"


def test_shim_shell_limits_and_timeout(tmp_path):
    d = Daemon(tmp_path, policy_text=LIMITED.replace("command_timeout: 20s",
                                                     "command_timeout: 1s"))
    d.start()
    try:
        r, etc = make_root(tmp_path, d, SHIM, AGENTSH)
        env = {"PATH": "/usr/bin:/bin", "HOME": "/root"}
        t0 = time.monotonic()
        p = subprocess.run(bwrap_cmd(r, etc, tmp_path, ["bash", "-c", "sleep 30"]),
                           capture_output=True, text=True, env=env, timeout=20)
        assert p.returncode != 0 and time.monotonic() - t0 < 10
        p = subprocess.run(bwrap_cmd(r, etc, tmp_path, ["bash", "-c",
                           "python3 -c \"import subprocess\nok = 0\nfor i in range(20):\n"
                           "    try:\n        subprocess.Popen(['sleep', '0.5']); ok += 1\n"
                           "    except OSError:\n        pass\nprint(ok)\""]),
                           capture_output=True, text=True, env=env, timeout=20)
        assert 0 < int(p.stdout.strip() or 0) < 8, p.stderr
    finally:
        d.stop()


def test_daemon_as_the_sandbox_user():
    """As on Daytona: no daemon runs; the shim, as an unprivileged user,
    starts one as that user, and enforcement works the same."""
    import shutil
    import tempfile
    # pytest's tmp_path sits under a root-only directory; nobody needs access.
    tmp_path = pathlib.Path(tempfile.mkdtemp(prefix="agentsh-user-", dir="/tmp"))
    os.chmod(tmp_path, 0o777)
    d = Daemon(tmp_path)  # config and policy only: never started here
    for p in (d.dir, d.policies):
        os.chmod(p, 0o777)
    r, etc = make_root(tmp_path, d, SHIM, AGENTSH)
    drop = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
    env = {"PATH": "/usr/bin:/bin", "HOME": "/tmp"}
    try:
        p = subprocess.run(bwrap_cmd(r, etc, tmp_path, drop + ["bash", "-c",
                           "id -u; echo ok"]), capture_output=True, text=True,
                           env=env, timeout=30)
        assert p.stdout == "65534\nok\n", p.stderr
        p = subprocess.run(bwrap_cmd(r, etc, tmp_path, drop + ["bash", "-c",
                           "sudo id"]), capture_output=True, text=True, env=env,
                           timeout=30)
        assert p.returncode == 126 and "block-shell-escape" in p.stderr
        owner = os.stat(d.sock).st_uid
        assert owner == 65534
    finally:
        subprocess.run(["pkill", "-f", f"server --config {d.config}"])
        shutil.rmtree(tmp_path, ignore_errors=True)


def test_sessions_expire(tmp_path):
    d = Daemon(tmp_path, extra_config="")
    cfg = d.config.read_text().replace(
        "sessions:\n", "sessions:\n  cleanup_interval: 100ms\n"
        "  default_idle_timeout: 300ms\n")
    d.config.write_text(cfg)
    d.start()
    try:
        d.request("POST", "/api/v1/sessions", {"id": "old", "workspace": str(tmp_path)})
        assert d.request("GET", "/api/v1/sessions/old")[0] == 200
        time.sleep(1.0)
        assert d.request("GET", "/api/v1/sessions/old")[0] == 404
        st, ev = d.request("GET", "/api/v1/events/search?type=session_expired")
        assert [e["session_id"] for e in ev] == ["old"]
        assert ev[0]["fields"]["reason"] == "idle_timeout"
    finally:
        d.stop()


def test_api_keys_over_tcp(tmp_path):
    import re
    import urllib.request
    keys = tmp_path / "keys.yaml"
    keys.write_text("- {id: ops, key: operator-key-0123456789, role: admin}\n"
                    "- {id: bot, key: agent-key-0123456789ab, role: agent}\n")
    d = Daemon(tmp_path, extra_config=f"auth:\n  type: api_key\n  api_key:\n"
                                      f"    keys_file: \"{keys}\"\n")
    d.start()
    try:
        port = re.search(r"http port (\d+)", d.log.read_text()).group(1)

        def post(key):
            req = urllib.request.Request(
                f"http://127.0.0.1:{port}/api/v1/sessions", method="POST",
                data=json.dumps({"workspace": str(tmp_path)}).encode(),
                headers={"X-API-Key": key} if key else {})
            try:
                return urllib.request.urlopen(req, timeout=10).status
            except urllib.error.HTTPError as e:
                return e.code
        assert post(None) == 403
        assert post("agent-key-0123456789ab") == 403
        assert post("operator-key-0123456789x") == 403
        assert post("operator-key-0123456789") == 201
    finally:
        d.stop()


def test_fallback_mode_enforces_file_rules_with_landlock(tmp_path):
    """user-notify taken (a listener held above both the daemon and the
    shell): ptrace mode, and the default policy's file rules hold as a
    Landlock allowlist; nested shims still reach the daemon."""
    hold = str(BIN / "hold_listener")
    d = Daemon(tmp_path)
    d.start(wrap=[hold])
    try:
        r, etc = make_root(tmp_path, d, SHIM, AGENTSH)
        ws = tmp_path / "ws"
        ws.mkdir()
        env = {"PATH": "/usr/bin:/bin", "HOME": "/root", "TERM": "dumb"}

        def sh(script):
            return subprocess.run([hold] + bwrap_cmd(r, etc, tmp_path,
                                  ["bash", "-c", script], cwd=ws),
                                  capture_output=True, text=True, env=env,
                                  timeout=60)
        p = sh("echo made > f && cat f && head -c 9 /etc/hosts >/dev/null "
               "&& bash -c 'echo nested' && echo ok")
        assert p.returncode == 0, p.stderr
        assert p.stdout == "made\nnested\nok\n"
        assert (ws / "f").read_text() == "made\n"
        for denied in ("cat /etc/shadow", "echo x > /root/agentsh-fb-test",
                       "cat /etc/hostname", "ls /usr/bin"):
            p = sh(denied)
            assert p.returncode != 0 and "Permission denied" in p.stderr, \
                (denied, p.stderr)
        assert not pathlib.Path("/root/agentsh-fb-test").exists()
        st, events = d.request(
            "GET", "/api/v1/events/search?type=supervisor_attached")
        assert st == 200, events
        modes = {e["fields"]["mode"] for e in events}
        assert modes == {"ptrace"}, events
    finally:
        d.stop()
