"""Gateway benchmarks (make bench): daemon cold start to /ready, shim
overhead per shell, exec API throughput. Each prints a baseline measured in
the same run and a ratio."""
import os
import pathlib
import statistics
import subprocess
import sys
import tempfile
import time

TOP = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(TOP / "tests" / "e2e"))
from gateway import Daemon, bwrap_cmd, make_root  # noqa: E402

BUILD = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else TOP / "build-release")
os.environ["AGENTSH_BUILD"] = str(BUILD)
AGENTSH = str(BUILD / "agentsh")
SHIM = str(BUILD / "agentsh-shell-shim")
READY_TARGET_MS = 20.0
SHIM_TARGET_MS = 2.0


def cold_start(runs=30):
    starts, base = [], []
    for _ in range(runs):
        with tempfile.TemporaryDirectory() as tmp:
            d = Daemon(tmp)
            starts.append(d.start() * 1000)
            d.stop()
        t0 = time.monotonic()
        subprocess.run([AGENTSH, "version"], capture_output=True, check=True)
        base.append((time.monotonic() - t0) * 1000)
    med, bmed = statistics.median(starts), statistics.median(base)
    ok = med <= READY_TARGET_MS
    print(f"daemon cold start to /ready: median {med:.1f} ms, max {max(starts):.1f} ms"
          f" | baseline `agentsh version`: {bmed:.1f} ms | ratio {med / bmed:.2f}x"
          f" | target <= {READY_TARGET_MS:.0f} ms: {'met' if ok else 'MISSED'}")
    return ok


def shim_overhead(tmp, d, runs=500):
    root, etc = make_root(tmp, d, SHIM, AGENTSH)
    cmd = bwrap_cmd(root, etc, tmp, [str(BUILD / "bench" / "bench_spawn"), str(runs),
                                     "--", "/usr/bin/bash", "-c", "true",
                                     "--", "/usr/bin/bash.real", "-c", "true"])
    out = subprocess.run(cmd, capture_output=True, text=True, check=True,
                         env={"PATH": "/usr/bin:/bin", "HOME": "/root"}).stdout
    added = float(out.split("added ")[1].split(" us")[0]) / 1000
    ok = added <= SHIM_TARGET_MS
    print(f"shim overhead, bash -c true via shim (A) vs bash.real (B), {runs} each,"
          f" interleaved: {out.strip()} | target <= {SHIM_TARGET_MS:.0f} ms added:"
          f" {'met' if ok else 'MISSED'}")
    return ok


def exec_api(tmp, d):
    ws = pathlib.Path(tmp) / "ws"
    ws.mkdir()
    d.request("POST", "/api/v1/sessions", {"id": "bench", "workspace": str(ws)})
    out = subprocess.run([str(BUILD / "bench" / "bench_exec"), str(d.sock),
                          "bench", "8", "250"], capture_output=True, text=True)
    print(out.stdout.strip() or out.stderr.strip())
    return out.returncode == 0


def main():
    ok = cold_start()
    with tempfile.TemporaryDirectory() as tmp:
        d = Daemon(tmp)
        d.start()
        try:
            ok &= shim_overhead(tmp, d)
            ok &= exec_api(tmp, d)
        finally:
            d.stop()
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
