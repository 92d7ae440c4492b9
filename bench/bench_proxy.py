"""Forward proxy benchmarks (make bench): plain-HTTP requests/s with wrk
(keep-alive, 64 connections) to a local origin directly, through the
agentsh daemon's session proxy and through tinyproxy, in the same run;
p99 latency added; CONNECT tunnel bulk throughput vs direct; memory per
idle client connection and CONNECT+close rate, each vs tinyproxy. Prints
ratios.
Skipped (not failed) when wrk or tinyproxy are missing."""
import os
import pathlib
import re
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import time

TOP = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(TOP / "tests" / "e2e"))
from gateway import Daemon  # noqa: E402

BUILD = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else TOP / "build-release")
os.environ["AGENTSH_BUILD"] = str(BUILD)
SECONDS = int(os.environ.get("BENCH_PROXY_SECONDS", "5"))
CONNS = 64
RATIO_TARGET = 2.0       # requests/s vs tinyproxy
P99_TARGET_MS = 1.0      # added over direct
TUNNEL_TARGET = 0.90     # bulk throughput vs direct
BULK = 1 << 30          # bytes through the tunnel per run (1 GiB)
IDLE = int(os.environ.get("BENCH_PROXY_IDLE", "2000"))  # idle connections
BULK_REPS = int(os.environ.get("BENCH_PROXY_BULK_REPS", "5"))  # best of
RATE_N = int(os.environ.get("BENCH_PROXY_RATE_N", "3000"))  # CONNECT+close


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def wait_port(port, secs=5):
    t0 = time.monotonic()
    while time.monotonic() - t0 < secs:
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close()
            return
        except OSError:
            time.sleep(0.02)
    raise RuntimeError(f"nothing listens on {port}")


def wrk(target, origin_port, tmp):
    """Requests/s and p99 (ms) of wrk against target; with a proxy target
    the requests carry the absolute URI of the origin."""
    script = pathlib.Path(tmp) / "abs.lua"
    script.write_text('request = function() return wrk.format("GET", '
                      f'"http://127.0.0.1:{origin_port}/") end\n')
    cmd = ["wrk", "-t2", f"-c{CONNS}", f"-d{SECONDS}s", "--latency"]
    if target != origin_port:
        cmd += ["-s", str(script)]
    out = subprocess.run(cmd + [f"http://127.0.0.1:{target}/"],
                         capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    m = re.search(r"99%\s+([\d.]+)(us|ms|s)", out)
    p99 = float(m.group(1)) * {"us": 0.001, "ms": 1, "s": 1000}[m.group(2)]
    for line in out.splitlines():
        if "Non-2xx" in line or "Socket errors" in line:
            print(f"  wrk via port {target}: {line.strip()}")
    return rps, p99


def tinyproxy(tmp):
    port = free_port()
    conf = pathlib.Path(tmp) / "tinyproxy.conf"
    conf.write_text(f"Port {port}\nListen 127.0.0.1\nTimeout 600\n"
                    f"MaxClients {IDLE + 256}\nLogLevel Critical\nAllow 127.0.0.1\n"
                    "DisableViaHeader Yes\n")
    p = subprocess.Popen(["tinyproxy", "-d", "-c", str(conf)],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_port(port)
    return p, port


SINK = """import socket, sys
srv = socket.socket()
srv.bind(("127.0.0.1", 0))
srv.listen(8)
print(srv.getsockname()[1], flush=True)
while True:
    c, _ = srv.accept()
    while c.recv(1 << 20):
        pass
    c.close()
"""


def sink_server():
    """A TCP sink (a process) that reads everything and closes at EOF."""
    p = subprocess.Popen([sys.executable, "-c", SINK], stdout=subprocess.PIPE,
                         text=True)
    return p, int(p.stdout.readline())


def bulk(port, connect_to=None):
    """Seconds to push BULK bytes to port (via CONNECT when connect_to)."""
    s = socket.create_connection(("127.0.0.1", port))
    if connect_to:
        s.sendall(f"CONNECT 127.0.0.1:{connect_to} HTTP/1.1\r\n\r\n".encode())
        assert b" 200 " in s.recv(4096)
    chunk = b"\0" * (1 << 20)
    t0 = time.monotonic()
    for _ in range(BULK // len(chunk)):
        s.sendall(chunk)
    s.shutdown(socket.SHUT_WR)
    s.recv(1)
    s.close()
    return time.monotonic() - t0


def rss_kib(pid):
    """Resident memory of a process, threads included (VmRSS, KiB)."""
    text = pathlib.Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"VmRSS:\s+(\d+) kB", text).group(1))


def idle_memory(pid, port):
    """Bytes of the proxy's RSS per idle client connection (IDLE opened,
    none sending anything)."""
    before = rss_kib(pid)
    socks = [socket.create_connection(("127.0.0.1", port)) for _ in range(IDLE)]
    time.sleep(1.0)     # all accepted and settled
    after = rss_kib(pid)
    for s in socks:
        s.close()
    time.sleep(0.5)
    return (after - before) * 1024 / IDLE


def connect_rate(port, target):
    """CONNECT + established answer + close per second, one client."""
    t0 = time.monotonic()
    for _ in range(RATE_N):
        s = socket.create_connection(("127.0.0.1", port))
        s.sendall(f"CONNECT 127.0.0.1:{target} HTTP/1.1\r\n\r\n".encode())
        got = b""
        while b"\r\n\r\n" not in got:
            b = s.recv(4096)
            if not b:
                break
            got += b
        assert b" 200 " in got, got
        s.close()
    return RATE_N / (time.monotonic() - t0)


def raise_nofile():
    """Room for the idle connections, here and in the daemon (inherited)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = min(hard, max(soft, 4 * IDLE + 1024))
    resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))


def main():
    if not shutil.which("wrk") or not shutil.which("tinyproxy"):
        print("proxy: SKIPPED (wrk or tinyproxy not installed)")
        return 0
    ok = True
    raise_nofile()
    with tempfile.TemporaryDirectory() as tmp:
        origin = subprocess.Popen([str(BUILD / "bench" / "bench_origin")],
                                  stdout=subprocess.PIPE, text=True)
        oport = int(origin.stdout.readline())
        d = Daemon(tmp)
        d.start()
        st, s = d.request("POST", "/api/v1/sessions", {"id": "bench"})
        assert st in (200, 201), s
        pport = int(s["proxy_url"].rsplit(":", 1)[1])
        tp, tport = tinyproxy(tmp)
        sink, sport = sink_server()
        try:
            direct, dp99 = wrk(oport, oport, tmp)
            ours, op99 = wrk(pport, oport, tmp)
            tiny, tp99 = wrk(tport, oport, tmp)
            # Interleaved, best of each: the cores are shared and noisy.
            tdirect = ttunnel = 0
            for _ in range(BULK_REPS):
                tdirect = max(tdirect, BULK / bulk(sport) / 1e6)
                ttunnel = max(ttunnel, BULK / bulk(pport, sport) / 1e6)
            omem = idle_memory(d.proc.pid, pport)
            tmem = idle_memory(tp.pid, tport)
            orate = connect_rate(pport, oport)
            trate = connect_rate(tport, oport)
        finally:
            sink.kill()
            sink.wait()
            tp.kill()
            tp.wait()
            origin.kill()
            origin.wait()
            d.stop()
    ratio, added = ours / tiny, op99 - dp99
    print(f"proxy plain HTTP (wrk, {CONNS} conns, keep-alive): agentsh "
          f"{ours:.0f} req/s, tinyproxy {tiny:.0f} req/s, direct {direct:.0f}"
          f" req/s | ratio vs tinyproxy {ratio:.2f}x, vs direct "
          f"{ours / direct:.2f}x | target >= {RATIO_TARGET:.0f}x: "
          f"{'met' if ratio >= RATIO_TARGET else 'MISSED'}")
    print(f"proxy p99 latency: agentsh {op99:.2f} ms, tinyproxy {tp99:.2f} ms,"
          f" direct {dp99:.2f} ms | added {added:.2f} ms | target <= "
          f"{P99_TARGET_MS:.0f} ms: {'met' if added <= P99_TARGET_MS else 'MISSED'}")
    tr = ttunnel / tdirect
    print(f"proxy CONNECT bulk ({BULK >> 20} MiB, best of {BULK_REPS}): tunnel {ttunnel:.0f} MB/s, "
          f"direct {tdirect:.0f} MB/s | ratio {tr:.2f}x | target >= "
          f"{TUNNEL_TARGET:.2f}x: {'met' if tr >= TUNNEL_TARGET else 'MISSED'}")
    print(f"proxy memory per idle connection ({IDLE} conns, RSS): agentsh "
          f"{omem / 1024:.1f} KiB, tinyproxy {tmem / 1024:.1f} KiB | ratio vs "
          f"tinyproxy {omem / tmem if tmem > 0 else float('nan'):.2f}x")
    print(f"proxy new connections (CONNECT + close, 1 client, {RATE_N}): "
          f"agentsh {orate:.0f}/s, tinyproxy {trate:.0f}/s | ratio vs "
          f"tinyproxy {orate / trate:.2f}x")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
