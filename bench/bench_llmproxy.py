"""LLM proxy benchmark (make bench): latency the embedded LLM proxy adds to
an Anthropic Messages request of 50 KB, 560 KB and 3.5 MB (code-like text
with a few secrets, DLP in redact mode, the seed config's patterns), measured
against sending the same request directly to the same local upstream in
the same run, interleaved. One keep-alive client connection each way; the
upstream is plain HTTP on loopback (a stand-in for the provider, which
cannot be reached from here), so TLS handshakes are not in the figures.
Every request is new (a nonce in each message), as the design's
"uncached" target asks; then the same request is repeated (a turn
re-sending its history). Prints p50/p99 of both paths and the difference; target: p99 added
<= 3 ms at 560 KB, uncached."""
import http.server
import json
import os
import pathlib
import socket
import statistics
import sys
import tempfile
import threading
import time

TOP = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(TOP / "tests" / "e2e"))
from gateway import Daemon  # noqa: E402

BUILD = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else TOP / "build-release")
os.environ["AGENTSH_BUILD"] = str(BUILD)
SIZES = [(50_000, 300), (560_000, 150), (3_500_000, 40)]  # bytes, repeats
P99_TARGET_MS = 3.0      # added at 560 KB
REPLY = json.dumps({"id": "msg_b", "type": "message", "role": "assistant",
                    "model": "m", "content": [{"type": "text", "text": "ok"}],
                    "usage": {"input_tokens": 1, "output_tokens": 1}}).encode()


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def setup(self):
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def do_POST(self):
        n = int(self.headers.get("Content-Length") or 0)
        left = n
        while left:
            left -= len(self.rfile.read(min(left, 1 << 20)))
        # one write: no Nagle wait between head and body
        self.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json"
                         b"\r\nContent-Length: " + str(len(REPLY)).encode() +
                         b"\r\n\r\n" + REPLY)


def corpus():
    """Source text of this repository: realistic code, some secrets."""
    text = "".join(p.read_text(errors="replace")
                   for p in sorted((TOP / "src").rglob("*.c")))
    secrets = ["contact bob.jones@acmecorp.net about it",
               "key AKIAQ3EGRVUXNWX7ZPKT here"]
    return text, secrets


def body(size, text, secrets, nonce=""):
    """nonce, put in front of every message, makes every string new
    (uncached); the same body again is a turn re-sending its history."""
    msgs, total, i, k = [], 0, 0, 0
    while total < size:
        chunk = nonce + text[i:i + 20_000]
        i = (i + 20_000) % max(1, len(text) - 20_000)
        if k % 10 == 0:
            chunk += "\n" + secrets[(k // 10) % len(secrets)]
        role = "user" if k % 2 == 0 else "assistant"
        msgs.append({"role": role, "content": chunk})
        total += len(chunk) + 40
        k += 1
    if msgs[-1]["role"] != "user":
        msgs.append({"role": "user", "content": "go on"})
    return json.dumps({"model": "m", "max_tokens": 16,
                       "messages": msgs}).encode()


class Client:
    def __init__(self, port):
        self.s = socket.create_connection(("127.0.0.1", port))
        self.s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.f = self.s.makefile("rb")

    def post(self, data):
        t0 = time.perf_counter()
        self.s.sendall(b"POST /v1/messages HTTP/1.1\r\nHost: x\r\n"
                       b"x-api-key: k\r\ncontent-type: application/json\r\n"
                       b"Content-Length: " + str(len(data)).encode() +
                       b"\r\n\r\n" + data)
        status = self.f.readline()
        n = 0
        chunked = False
        while True:
            line = self.f.readline()
            if line in (b"\r\n", b""):
                break
            k, _, v = line.decode().partition(":")
            if k.lower() == "content-length":
                n = int(v)
            if k.lower() == "transfer-encoding":
                chunked = True
        if chunked:
            while True:
                sz = int(self.f.readline().strip(), 16)
                self.f.read(sz + 2)
                if sz == 0:
                    break
        else:
            self.f.read(n)
        assert b" 200 " in status, status
        return (time.perf_counter() - t0) * 1000


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))]


def main():
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    srv.daemon_threads = True
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    up = srv.server_address[1]
    text, secrets = corpus()
    ok = True
    with tempfile.TemporaryDirectory() as tmp:
        seed = (TOP / "etc" / "config.yaml").read_text()
        dlp = seed[seed.index("\ndlp:\n") + 1:]
        dlp = dlp[:dlp.index("\n\n") + 1] if "\n\n" in dlp else dlp
        d = Daemon(tmp, extra_config=(
            "proxy:\n  mode: embedded\n  providers:\n"
            f"    anthropic: \"http://127.0.0.1:{up}\"\n"
            f"    openai: \"http://127.0.0.1:{up}\"\n" + dlp))
        d.start()
        try:
            st, _ = d.request("POST", "/api/v1/sessions",
                              {"id": "bench", "workspace": tmp})
            assert st == 201
            st, ps = d.request("GET", "/api/v1/sessions/bench/proxy")
            t0 = time.monotonic()  # the rules compile in the background
            while ps["dlp_state"] == "compiling" and time.monotonic() - t0 < 60:
                time.sleep(0.05)
                st, ps = d.request("GET", "/api/v1/sessions/bench/proxy")
            port = int(ps["address"].rsplit(":", 1)[1])
            via, direct = Client(port), Client(up)
            print(f"llmproxy: dlp {ps['dlp_mode']}, {ps['active_patterns']} "
                  "rules; one keep-alive connection, interleaved")
            for size, reps in SIZES:
                for _ in range(3):
                    data = body(size, text, secrets, f"w{_} ")
                    via.post(data), direct.post(data)
                a, b = [], []
                for r in range(reps):
                    data = body(size, text, secrets, f"r{r} ")
                    a.append(via.post(data))
                    b.append(direct.post(data))
                add50 = pct(a, 50) - pct(b, 50)
                add99 = pct(a, 99) - pct(b, 99)
                line = (f"llmproxy: {len(data) / 1000:7.0f} KB uncached  proxy p50 "
                        f"{pct(a, 50):6.2f} p99 {pct(a, 99):6.2f} ms | direct "
                        f"p50 {pct(b, 50):6.2f} p99 {pct(b, 99):6.2f} ms | "
                        f"added p50 {add50:5.2f} p99 {add99:5.2f} ms "
                        f"(mean {statistics.mean(a) - statistics.mean(b):.2f})")
                if size == 560_000:
                    good = add99 <= P99_TARGET_MS
                    ok = ok and good
                    line += f"  target p99 <= {P99_TARGET_MS} ms: " + (
                        "met" if good else "MISSED")
                print(line, flush=True)
                # steady state: the same history again
                a, b = [], []
                for _ in range(reps):
                    a.append(via.post(data))
                    b.append(direct.post(data))
                print(f"llmproxy: {len(data) / 1000:7.0f} KB repeated  added "
                      f"p50 {pct(a, 50) - pct(b, 50):5.2f} p99 "
                      f"{pct(a, 99) - pct(b, 99):5.2f} ms", flush=True)
            st, ps = d.request("GET", "/api/v1/sessions/bench/proxy")
            print(f"llmproxy: {ps['total_requests']} requests, "
                  f"{ps['requests_with_redactions']} with redactions")
        finally:
            d.stop()
            srv.shutdown()
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
