"""Top-level shells under a policy with resource limits: they are placed in
their cgroup (with what they forked before that) and the placement does
not show in their wall time."""
import re
import statistics
import subprocess
import time

import pytest

from gateway import (ENV, TOP, Daemon, build_dir, bwrap_cmd, make_root,
                     sanitized_build)

BIN = build_dir()
AGENTSH = str(BIN / "agentsh")
SHIM = str(BIN / "agentsh-shell-shim")
# The shipped policy without its CPU quota (a throttle by design).
# The test reads other processes' /proc/PID/cgroup, which the shipped
# policy denies (deny-proc-sys): allow that first.
POLICY = (TOP / "etc" / "policies" / "default.yaml").read_text().replace(
    "  cpu_quota_percent: 50\n", "").replace(
    "file_rules:\n", "file_rules:\n  - name: test-read-proc\n"
    "    paths: [\"/proc/**\"]\n    operations: [read]\n"
    "    decision: allow\n", 1)
NO_LIMITS = re.sub(r"resource_limits:\n(  .*\n)+", "", POLICY)
RUNS = 9            # runs of each kind; the medians are compared
MAX_EXTRA_MS = 5.0  # what limits may add to one top-level shell


def start(tmp_path, name, policy):
    d = Daemon(tmp_path / name, policy_text=policy)
    d.start()
    root, etc = make_root(tmp_path / name, d, SHIM, AGENTSH)
    return d, lambda script: bwrap_cmd(root, etc, tmp_path / name,
                                       ["/usr/bin/bash", "-c", script])


def groups(text):
    """{hierarchy: path} from a /proc/PID/cgroup text."""
    out = {}
    for line in text.strip().splitlines():
        _, ctrl, path = line.split(":", 2)
        out[ctrl or "unified"] = path
    return out


def test_shell_and_early_children_limited(tmp_path):
    d, cmd = start(tmp_path, "lim", POLICY)
    try:
        # The background job is forked at once, likely before placement.
        p = subprocess.run(cmd("sleep 1.5 & k=$!; sleep 0.5; cat /proc/$$/cgroup;"
                               " echo ---; cat /proc/$k/cgroup;"
                               " echo ---; echo $$"),
                           capture_output=True, text=True, env=ENV, timeout=30)
        assert p.returncode == 0, p.stderr
        shell, kid, pid = p.stdout.split("---\n")
        leaf = f"/sh-{pid.strip()}"
        for g in (groups(shell), groups(kid)):
            assert g["pids"].endswith(leaf), (g, leaf)
            assert g["memory"].endswith(leaf), (g, leaf)
    finally:
        d.stop()


# Under ASan a shell's own start through bwrap and the shim varies by
# +-30 ms from run to run (medians of 9 differed by -32..+19 ms with limits
# on one side only), so a 5 ms bound there measures noise; the gcc build
# (make e2e, part of make check) runs this test with the same bound.
@pytest.mark.skipif(sanitized_build(), reason="wall-time bound; run by the "
                    "uninstrumented build")
def test_limits_add_no_latency_to_shells(tmp_path):
    lim, lim_cmd = start(tmp_path, "lim", POLICY)
    free, free_cmd = start(tmp_path, "free", NO_LIMITS)
    took = {"lim": [], "free": []}
    try:
        # A shell that runs long enough for an RCU grace period to pass
        # between runs: each placement would wait for a new one.
        for i in range(RUNS + 1):
            order = (("lim", lim_cmd), ("free", free_cmd))
            for name, cmd in (order if i % 2 else order[::-1]):
                t0 = time.monotonic()
                p = subprocess.run(cmd("sleep 0.05"), capture_output=True,
                                   text=True, env=ENV, timeout=30)
                dt = (time.monotonic() - t0) * 1000
                assert p.returncode == 0, p.stderr
                if i:  # the first round warms up
                    took[name].append(dt)
    finally:
        lim.stop()
        free.stop()
    extra = statistics.median(took["lim"]) - statistics.median(took["free"])
    assert extra < MAX_EXTRA_MS, took
