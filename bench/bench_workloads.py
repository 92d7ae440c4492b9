"""Workload benchmark (make bench): everyday agent workloads run under
agentsh and without it, interleaved, in the same bubblewrap test root.

  A  `bash -c '<workload>'` where /bin/bash and /bin/sh are the installed
     shell shim, with the daemon running: every shell, including nested
     ones, is checked by the daemon and runs with its seccomp marker.
  B  the same bwrap invocation running /usr/bin/bash.real, with bash.real
     and dash bound over /usr/bin/bash and /usr/bin/sh, so nested shells are
     the real ones too and nothing talks to the daemon.

Bubblewrap's own cost is in both and cancels in A - B. Each workload runs
once per round as A and as B (the order alternates between rounds); medians
are reported. Usage: bench_workloads.py [BUILD] [--quick] [--rounds N]."""
import argparse
import json
import os
import pathlib
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

TOP = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(TOP / "tests" / "e2e"))
from gateway import Daemon, bwrap_cmd, make_root  # noqa: E402

POLICY = TOP / "etc" / "policies" / "default.yaml"
# The shipped policy caps a session at 50 % of one CPU: a throttle by
# design, which would be measured instead of agentsh's overhead.
CPU_QUOTA_LINE = "  cpu_quota_percent: 50\n"
TOTAL_TARGET = 0.05
COMPILE_TARGET = 0.15
SUPERVISOR_COUNTER = "agentsh_supervisor_notifications_total"
SHIM_COUNTER = "agentsh_shim_prepares_total"
COMPILE_MODULES = ("common", "policy", "shparse", "ydoc")
QUICK_MODULES = ("common", "ydoc")
RUN_TIMEOUT = 300
ENV = {"PATH": "/usr/bin:/bin", "HOME": "/root", "LANG": "C",
       "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": "/dev/null"}


def gcc_install_dir():
    """The test root's /usr/bin links into a bind of the host's, so gcc would
    look for cc1 relative to that; -B points it at its installed directory
    (an option, as the daemon's environment policy may drop GCC_EXEC_PREFIX)."""
    out = subprocess.run(["gcc", "-print-search-dirs"], capture_output=True,
                         text=True, check=True).stdout
    return out.split("install:", 1)[1].split()[0]

# Sizes: full run, --quick.
SIZES = {"spawns": (120, 30), "files": (1000, 200), "git_files": (200, 50),
         "depth": (30, 10), "width": (60, 15)}

MAKEFILE = """\
CC = gcc -B{gcc}
CFLAGS = -std=c17 -O2 -D_GNU_SOURCE -Isrc
OBJS = $(patsubst %.c,%.o,$(sort $(wildcard src/*/*.c)))
libproj.a: $(OBJS)
\tar rcs $@ $^
%.o: %.c
\t$(CC) $(CFLAGS) -c $< -o $@
"""


def scripts(n):
    """The workloads as bash scripts; each prints a line the harness checks."""
    s, f, g, d, w = (n["spawns"], n["files"], n["git_files"], n["depth"],
                     n["width"])
    git = "git -c user.name=bench -c user.email=bench@example.invalid"
    return {
        "spawn": (f"for i in $(seq {s}); do /bin/true; done; echo {s}", f"{s}"),
        "spawn via sh -c": (
            f"for i in $(seq {s}); do sh -c /bin/true; done; echo {s}", f"{s}"),
        "small files r/w": (
            # bash builtins only: open+write+close, open+read+close per file.
            "printf -v blk '%01024d' 0\n"
            f"for ((i = 0; i < {f}; i++)); do\n"
            "  printf '%s' \"$blk\" > d/f$i\n"
            "  IFS= read -r -N 1024 got < d/f$i\n"
            "  [ \"$got\" = \"$blk\" ] || { echo \"mismatch at $i\" >&2; exit 1; }\n"
            f"done; echo {f}", f"{f}"),
        "git workflow": (
            f"set -e; {git} init -q .; {git} add .; {git} commit -qm initial\n"
            f"for ((i = 0; i < {g}; i += 10)); do echo changed >> f$i.txt; done\n"
            f"m=$({git} status --porcelain | wc -l)\n"
            f"l=$({git} --no-pager diff | wc -l)\n"
            f"c=$({git} --no-pager log --oneline | wc -l)\n"
            "echo $m $l $c", f"{(g + 9) // 10} {(g + 9) // 10 * 9} 1"),
        "deep tree": (
            "S='if [ \"$1\" -gt 0 ]; then bash -c \"$0\" \"$0\" $(($1 - 1)); "
            "else echo bottom; fi; :'\n"
            f"bash -c \"$S\" \"$S\" {d}", "bottom"),
        "wide tree": (
            f"for i in $(seq {w}); do bash -c 'exit 0' & pids+=($!); done\n"
            "n=0; for p in \"${pids[@]}\"; do wait $p && n=$((n + 1)); done\n"
            "echo $n", f"{w}"),
        "compile make -j2": ("make -s -j2 && test -s libproj.a && echo built",
                             "built"),
    }


def prepare(name, wdir, n, modules):
    """Untimed: put the workload's directory in its starting state."""
    if name == "compile make -j2":
        if not (wdir / "Makefile").exists():
            wdir.mkdir(parents=True)
            for m in modules:
                shutil.copytree(TOP / "src" / m, wdir / "src" / m,
                                ignore=shutil.ignore_patterns("meson.build"))
            (wdir / "Makefile").write_text(MAKEFILE.format(gcc=gcc_install_dir()))
        for p in list(wdir.glob("src/*/*.o")) + [wdir / "libproj.a"]:
            p.unlink(missing_ok=True)
        return
    shutil.rmtree(wdir, ignore_errors=True)
    wdir.mkdir(parents=True)
    if name == "small files r/w":
        (wdir / "d").mkdir()
    elif name == "git workflow":
        for i in range(n["git_files"]):
            (wdir / f"f{i}.txt").write_text(
                "".join(f"file {i} line {k}: some text to diff\n"
                        for k in range(40)))


class Bench:
    def __init__(self, build, tmp, daemon):
        self.tmp = pathlib.Path(tmp)
        self.d = daemon
        self.root, self.etc = make_root(tmp, daemon, str(build / "agentsh-shell-shim"),
                                        str(build / "agentsh"))
        ub = self.root / "usr" / "bin"
        # B: the real shells over the shimmed names (bind mounts, no copies).
        self.unshim = ["--ro-bind", str(ub / "bash.real"), "/usr/bin/bash",
                       "--ro-bind", str(ub / "dash"), "/usr/bin/sh"]

    def cmd(self, shimmed, script, cwd):
        if shimmed:
            return bwrap_cmd(self.root, self.etc, self.tmp,
                             ["/usr/bin/bash", "-c", script], cwd=cwd)
        cmd = bwrap_cmd(self.root, self.etc, self.tmp,
                        ["/usr/bin/bash.real", "-c", script], cwd=cwd)
        at = cmd.index("--")
        return cmd[:at] + self.unshim + cmd[at:]

    def run(self, shimmed, script, cwd, expect):
        """Seconds for one run; raises if the workload failed."""
        cmd = self.cmd(shimmed, script, cwd)
        t0 = time.monotonic()
        r = subprocess.run(cmd, capture_output=True, text=True, env=ENV,
                           stdin=subprocess.DEVNULL, timeout=RUN_TIMEOUT)
        took = time.monotonic() - t0
        if r.returncode != 0 or r.stdout.strip() != expect:
            raise RuntimeError(f"{'A' if shimmed else 'B'} in {cwd} failed: exit "
                               f"{r.returncode}, stdout {r.stdout.strip()!r} (want "
                               f"{expect!r}), stderr {r.stderr.strip()[-600:]!r}")
        return took

    def counters(self):
        """Sums of the daemon's metrics by name (labels summed)."""
        st, text = self.d.request("GET", "/metrics")
        out = {}
        if st != 200 or not isinstance(text, str):
            return out
        for line in text.splitlines():
            if not line or line.startswith("#"):
                continue
            name, _, value = line.rpartition(" ")
            name = name.split("{")[0]
            try:
                out[name] = out.get(name, 0.0) + float(value)
            except ValueError:
                pass
        return out


def enforcement_mode(d, agentsh):
    """What the daemon (else `agentsh detect --json`) says it enforces with."""
    st, body = d.get("/api/v1/detect")
    src = "GET /api/v1/detect"
    if st != 200 or not isinstance(body, dict):
        r = subprocess.run([agentsh, "detect", "--json"], capture_output=True,
                           text=True)
        try:
            body = json.loads(r.stdout)
        except ValueError:
            return "unknown"
        src = "`agentsh detect --json` (the daemon serves no /api/v1/detect)"
    for key in ("mode", "security_mode", "enforcement_mode"):
        if isinstance(body.get(key), str):
            return f"{body[key]} (from {src})"
    doms = [f"{x.get('name')}: {x.get('mechanism')} ({x.get('status')}, "
            f"{x.get('score')}/{x.get('max_score')})"
            for x in body.get("domains", []) if isinstance(x, dict)]
    return ("; ".join(doms) + f" (from {src})") if doms else "unknown"


def measure(b, work, rounds, n, modules):
    """{name: (A times, B times, A counter deltas)} over interleaved rounds."""
    res = {k: ([], [], []) for k in work}
    for rnd in range(rounds + 1):          # round 0 warms caches, not kept
        for name, (script, expect) in work.items():
            wdir = b.tmp / "ws" / name.replace(" ", "_").replace("/", "")
            for shimmed in ((True, False) if rnd % 2 else (False, True)):
                prepare(name, wdir, n, modules)
                before = b.counters() if shimmed else None
                took = b.run(shimmed, script, wdir, expect)
                if rnd == 0:
                    continue
                if shimmed:
                    after = b.counters()
                    res[name][2].append({k: after[k] - before.get(k, 0.0)
                                         for k in after})
                    res[name][0].append(took)
                else:
                    res[name][1].append(took)
    return res


def per_event(delta_s, deltas, counter):
    """Microseconds of A - B per counted event, or None without the counter."""
    if not deltas or counter not in deltas[0]:
        return None
    per_run = statistics.median(x[counter] for x in deltas)
    return (per_run, delta_s * 1e6 / per_run if per_run else None)


def event_cols(x):
    """Events per run and microseconds per event, or dashes."""
    if x is None:
        return f"{'-':>9} {'-':>8}"
    us = f"{x[1]:8.1f}" if x[1] is not None else f"{'-':>8}"
    return f"{x[0]:9.0f} {us}"


def report_rows(res):
    """One line per workload; (sum A, sum B, compile ratio, notifications)."""
    print(f"  {'workload':<18} {'A ms':>9} {'B ms':>9} {'A/B':>6} {'overhead':>9}"
          f" {'shims/run':>9} {'us/shim':>8} {'notif/run':>9} {'us/notif':>8}")
    sum_a = sum_b = comp = 0.0
    notifs = None
    for name, (a, b, deltas) in res.items():
        ma, mb = statistics.median(a), statistics.median(b)
        sum_a, sum_b = sum_a + ma, sum_b + mb
        shim = per_event(ma - mb, deltas, SHIM_COUNTER)
        sup = per_event(ma - mb, deltas, SUPERVISOR_COUNTER)
        if sup:
            notifs = (notifs or 0.0) + sup[0]
        print(f"  {name:<18} {ma * 1000:9.1f} {mb * 1000:9.1f} {ma / mb:6.3f}"
              f" {(ma / mb - 1) * 100:+8.1f}% {event_cols(shim)} {event_cols(sup)}")
        if name.startswith("compile"):
            comp = ma / mb - 1
    return sum_a, sum_b, comp, notifs


def report(res, mode, rounds, modules, policy):
    lines = sum(len((TOP / "src" / m / f).read_text().splitlines())
                for m in modules for f in os.listdir(TOP / "src" / m)
                if f.endswith(".c"))
    print(f"workloads: policy {policy}, {rounds} rounds + 1 warm-up,"
          f" A/B interleaved; compile: src/{{{','.join(modules)}}} ({lines} lines of C)")
    print(f"enforcement mode: {mode}")
    sum_a, sum_b, comp, notifs = report_rows(res)
    total = sum_a / sum_b - 1
    print(f"total (sum of A medians / sum of B medians): {sum_a * 1000:.1f} ms /"
          f" {sum_b * 1000:.1f} ms = {sum_a / sum_b:.3f} ({total * 100:+.1f}%)")
    print(f"target total <= {TOTAL_TARGET * 100:.0f}%: "
          f"{'met' if total <= TOTAL_TARGET else 'MISSED'}; target compile <= "
          f"{COMPILE_TARGET * 100:.0f}%: {'met' if comp <= COMPILE_TARGET else 'MISSED'}")
    if notifs is None:
        print("cost per intercepted syscall: n/a (no supervisor counter)")
    elif notifs:
        print(f"cost per intercepted syscall: {(sum_a - sum_b) * 1e6 / notifs:.1f} us"
              f" (sum A - sum B over {notifs:.0f} supervisor notifications per round)")
    else:
        print("cost per intercepted syscall: n/a (the supervisor counted none)")


def policy_text(path):
    """The given policy, else the shipped one minus its CPU quota."""
    if path is not None:
        return path.read_text()
    text = POLICY.read_text()
    if CPU_QUOTA_LINE not in text:
        raise SystemExit(f"{POLICY}: no '{CPU_QUOTA_LINE.strip()}' to remove")
    return text.replace(CPU_QUOTA_LINE, "")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("build", nargs="?", default=str(TOP / "build-release"))
    ap.add_argument("--quick", action="store_true",
                    help="1 round, small sizes, a smaller compile (development)")
    ap.add_argument("--rounds", type=int, default=None)
    ap.add_argument("--policy", type=pathlib.Path, default=None,
                    help="session policy used verbatim (default: the shipped "
                    "default.yaml without its CPU quota)")
    ap.add_argument("--fast-reads", action="store_true",
                    help="sandbox.seccomp.file_monitor.write_only_opens: "
                    "read-only opens decided by Landlock in the kernel")
    args = ap.parse_args()
    build = pathlib.Path(args.build).resolve()
    os.environ["AGENTSH_BUILD"] = str(build)
    n = {k: v[1 if args.quick else 0] for k, v in SIZES.items()}
    modules = QUICK_MODULES if args.quick else COMPILE_MODULES
    rounds = args.rounds or (1 if args.quick else 15)
    with tempfile.TemporaryDirectory(prefix="agentsh-wl-") as tmp:
        d = Daemon(tmp, policy_text=policy_text(args.policy))
        if args.fast_reads:
            d.config.write_text(d.config.read_text().replace(
                "sandbox:\n", "sandbox:\n  seccomp:\n    file_monitor:\n"
                "      write_only_opens: true\n", 1))
            print("config: sandbox.seccomp.file_monitor.write_only_opens: true "
                  "(read-only opens left to Landlock)")
        d.start()
        try:
            b = Bench(build, tmp, d)
            res = measure(b, scripts(n), rounds, n, modules)
            report(res, enforcement_mode(d, str(build / "agentsh")), rounds, modules,
                   args.policy or "etc/policies/default.yaml without cpu_quota_percent"
                   " (memory, pids limits kept)")
        except (RuntimeError, subprocess.TimeoutExpired) as e:
            print(f"workload benchmark failed: {e}")
            return 1
        finally:
            d.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
