"""A local stand-in for the LLM providers (Anthropic, OpenAI), which cannot
be reached from the test machine: a TLS server (stdlib http.server + ssl)
with a test CA made by openssl at test time. It records every request it
receives (method, path, headers, raw body) and answers from a queue of
canned replies: a JSON body, or Server-Sent Events written piece by piece
(so that a token can be split across TCP writes and SSE events)."""
import http.server
import json
import pathlib
import queue
import ssl
import subprocess
import threading
import time


def make_ca(d, names=("localhost",), ips=("127.0.0.1",)):
    """A CA and a server certificate for names/ips; (ca_pem, cert, key)."""
    d = pathlib.Path(d)
    d.mkdir(parents=True, exist_ok=True)
    ca_key, ca = d / "ca.key", d / "ca.pem"
    key, csr, crt = d / "srv.key", d / "srv.csr", d / "srv.pem"
    run = lambda *a: subprocess.run(a, check=True, capture_output=True)
    run("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
        "-keyout", ca_key, "-out", ca, "-days", "2", "-subj",
        "/CN=agentsh test CA")
    run("openssl", "req", "-newkey", "rsa:2048", "-nodes", "-keyout", key,
        "-out", csr, "-subj", "/CN=" + names[0])
    san = ",".join([f"DNS:{n}" for n in names] + [f"IP:{i}" for i in ips])
    (d / "ext.cnf").write_text(f"subjectAltName={san}\n")
    run("openssl", "x509", "-req", "-in", csr, "-CA", ca, "-CAkey", ca_key,
        "-CAcreateserial", "-out", crt, "-days", "2", "-extfile",
        d / "ext.cnf")
    return str(ca), str(crt), str(key)


class Reply:
    def __init__(self, status=200, body=None, sse=None, gap=0.0,
                 headers=None):
        """body: a JSON-able object (or bytes); sse: a list of byte pieces
        written one by one with gap seconds between them."""
        self.status, self.body, self.sse, self.gap = status, body, sse, gap
        self.headers = headers or {}


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def setup(self):
        super().setup()
        with self.server.owner.lock:
            self.server.owner.conns += 1

    def do_GET(self):
        self.handle_any()

    def do_POST(self):
        self.handle_any()

    def handle_any(self):
        srv = self.server.owner
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n) if n else b""
        srv.received.append({"method": self.command, "path": self.path,
                             "headers": {k.lower(): v for k, v in
                                         self.headers.items()},
                             "body": body})
        try:
            r = srv.replies.get_nowait()
        except queue.Empty:
            r = Reply(body={"id": "msg_default", "type": "message",
                            "role": "assistant", "content": []})
        if r.sse is not None:
            self.send_response(r.status)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Connection", "close")
            for k, v in r.headers.items():
                self.send_header(k, v)
            self.end_headers()
            for piece in r.sse:
                self.wfile.write(piece)
                self.wfile.flush()
                if r.gap:
                    time.sleep(r.gap)
            self.close_connection = True
            return
        data = r.body if isinstance(r.body, bytes) else json.dumps(r.body).encode()
        self.send_response(r.status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for k, v in r.headers.items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)


class Upstream:
    """The fake provider; tls=(cert, key) or None for plain HTTP."""

    def __init__(self, tls=None):
        self.received = []
        self.replies = queue.Queue()
        self.conns = 0  # connections accepted
        self.lock = threading.Lock()
        self.srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.srv.daemon_threads = True
        self.srv.owner = self
        if tls:
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(*tls)
            self.srv.socket = ctx.wrap_socket(self.srv.socket, server_side=True)
        self.port = self.srv.server_address[1]
        self.thread = threading.Thread(target=self.srv.serve_forever,
                                       daemon=True)
        self.thread.start()

    def reply(self, *rs):
        for r in rs:
            self.replies.put(r)

    def clear(self):
        self.received.clear()
        while not self.replies.empty():
            self.replies.get_nowait()

    def stop(self):
        self.srv.shutdown()
        self.srv.server_close()
