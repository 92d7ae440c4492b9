"""The security suite's fixtures: a real daemon with the suite's policy, a
bubblewrap test root whose /bin/sh and /bin/bash are the agentsh shim, a
workspace, and canaries (a denied binary, a secret file, a listener).

Mode `full` is this machine as it is (seccomp user-notify available).
Mode `nonotify` reproduces a sandbox whose runtime already holds the one
user-notify listener (Daytona/Sysbox): the daemon and the bwrap command
both run under the hold_listener helper, so the shim falls back."""
import pathlib
import shutil
import subprocess
import sys
import time

import pytest

TOP = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(TOP / "tests" / "e2e"))

from gateway import Daemon, build_dir, bwrap_cmd, make_root  # noqa: E402

HERE = pathlib.Path(__file__).resolve().parent
SECRET = "CANARY-7f3a9c-do-not-read"


class Sandbox:
    """One daemon, one test root, one workspace; run() runs a bash script
    inside it through the shim."""

    def __init__(self, tmp, mode, net_rules=""):
        self.tmp = pathlib.Path(tmp)
        self.mode = mode
        self.bin = build_dir()
        self.agentsh = str(self.bin / "agentsh")
        hold = self.bin / "hold_listener"
        self.wrapper = [str(hold)] if mode == "nonotify" else None
        self.ws = self.tmp / "ws"
        self.ws.mkdir()
        (self.ws / "pyproject.toml").write_text("[project]\nname='ws'\n")
        self.secret_dir = self.tmp / "secret"
        self.secret_dir.mkdir()
        self.secret = self.secret_dir / "canary.txt"
        self.secret.write_text(SECRET + "\n")
        tools = self.ws / "tools"
        tools.mkdir()
        shutil.copy2("/usr/bin/touch", tools / "forbidden-tool")
        self.path = f"{tools}:/usr/local/bin:/usr/bin:/bin"
        # Exists before the shell starts (Landlock's exec rules cover it).
        self.scratch = self.tmp / "scratch"
        self.scratch.mkdir()
        policy = (HERE / "policy.yaml").read_text().replace("@TMP@", str(self.tmp))
        policy = policy.replace("network_rules:\n", "network_rules:\n" + net_rules)
        self.daemon = Daemon(self.tmp / "d", policy_text=policy)
        self.trash = self.daemon.trash
        self.daemon.start(wrapper=self.wrapper)
        self.root, self.etc = make_root(self.tmp, self.daemon,
                                        str(self.bin / "agentsh-shell-shim"),
                                        self.agentsh)
        self._sid = None

    def cmd(self, argv, cwd=None):
        return bwrap_cmd(self.root, self.etc, self.tmp, argv,
                         cwd=str(cwd or self.ws), wrapper=self.wrapper)

    def env(self, extra=None):
        full = {"PATH": self.path, "HOME": "/root", "TERM": "dumb"}
        full.update(extra or {})
        return full

    def run(self, script, env=None, timeout=60, shell="bash"):
        return subprocess.run(self.cmd([shell, "-c", script]),
                              capture_output=True, text=True,
                              env=self.env(env), timeout=timeout)

    @property
    def sid(self):
        if self._sid is None:
            st, sessions = self.daemon.request("GET", "/api/v1/sessions")
            assert st == 200 and sessions, sessions
            self._sid = sessions[0]["id"]
        return self._sid

    def events(self, etype, wait=2.0):
        """Audit events of this session of one type (waits a little for
        the journal to reach SQLite)."""
        deadline = time.monotonic() + wait
        while True:
            st, evs = self.daemon.request(
                "GET", f"/api/v1/events/search?session_id={self.sid}&type={etype}")
            assert st == 200, evs
            if evs or time.monotonic() > deadline:
                return evs
            time.sleep(0.1)

    def attached_mode(self):
        evs = self.events("supervisor_attached")
        return [e.get("fields", {}).get("mode") for e in evs]

    def stop(self):
        self.daemon.stop()


@pytest.fixture
def sandbox(tmp_path):
    made = []

    def make(mode, net_rules=""):
        sb = Sandbox(tmp_path, mode, net_rules)
        made.append(sb)
        return sb
    yield make
    for sb in made:
        sb.stop()
