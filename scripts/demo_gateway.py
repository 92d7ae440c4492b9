"""The gateway on this machine: a daemon, the shim installed over sh and bash
in a bubblewrap test root (the host is not modified), and the commands an
agent would run."""
import os
import pathlib
import subprocess
import sys
import tempfile

TOP = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(TOP / "tests" / "e2e"))
os.environ.setdefault("AGENTSH_BUILD", str(TOP / "build"))
from gateway import Daemon, build_dir, bwrap_cmd, make_root  # noqa: E402


def main():
    b = build_dir()
    with tempfile.TemporaryDirectory() as tmp:
        d = Daemon(tmp)
        took = d.start()
        print(f"daemon ready in {took * 1000:.1f} ms (socket {d.sock})")
        root, etc = make_root(tmp, d, str(b / "agentsh-shell-shim"), str(b / "agentsh"))
        env = {"PATH": "/usr/bin:/bin", "HOME": "/root",
               "AWS_SECRET_ACCESS_KEY": "AKIADEMOSECRET"}
        for script in ["echo hello from a shimmed bash; echo a b c | wc -w",
                       "sudo whoami",
                       "echo this never prints; kill -9 1",
                       "env | grep -c AKIADEMOSECRET || echo 'secret not visible'",
                       "git push --force origin main"]:
            print(f"\n$ bash -c {script!r}")
            r = subprocess.run(bwrap_cmd(root, etc, tmp, ["bash", "-c", script]),
                               capture_output=True, text=True, env=env)
            sys.stdout.write(r.stdout)
            sys.stdout.write(r.stderr)
            print(f"(exit {r.returncode})")
        st, sessions = d.request("GET", "/api/v1/sessions")
        sid = sessions[0]["id"]
        d.request("GET", "/api/v1/events/search?limit=1")  # waits for the loader
        print(f"\n$ agentsh report {sid}")
        subprocess.run([str(b / "agentsh"), "report", sid, "--db",
                        str(d.data / "events.db")])
        d.stop()


if __name__ == "__main__":
    main()
