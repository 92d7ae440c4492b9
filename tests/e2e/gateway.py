"""Helpers for the gateway tests: a real daemon on a private socket, and a
test root where /bin/sh and /bin/bash are the installed shim.

The root is this machine's /usr seen through bubblewrap, with /usr/bin
replaced by a directory of symlinks to the real binaries, so that
`agentsh shim install-shell --root` can rename bash to bash.real and put
the shim in its place without touching the host."""
import functools
import http.server
import json
import os
import pathlib
import shutil
import signal
import socket
import ssl
import subprocess
import threading
import time

TOP = pathlib.Path(__file__).resolve().parents[2]
# The environment the test shells run with.
ENV = {"PATH": "/usr/bin:/bin", "HOME": "/root", "LANG": "C"}


def build_dir():
    return pathlib.Path(os.environ.get("AGENTSH_BUILD", TOP / "build"))


class Daemon:
    def __init__(self, workdir, policy_text=None, extra_config=""):
        self.dir = pathlib.Path(workdir)
        self.sock = self.dir / "run" / "agentsh.sock"
        self.data = self.dir / "data"
        self.policies = self.dir / "policies"
        self.trash = self.dir / "trash"
        self.policies.mkdir(parents=True, exist_ok=True)
        policy = policy_text or (TOP / "etc" / "policies" / "default.yaml").read_text()
        (self.policies / "default.yaml").write_text(policy)
        self.config = self.dir / "config.yaml"
        self.config.write_text(
            "server:\n  http:\n    addr: \"127.0.0.1:0\"\n"
            f"  unix_socket:\n    path: \"{self.sock}\"\n"
            f"audit:\n  storage:\n    sqlite_path: \"{self.data}/events.db\"\n"
            f"sessions:\n  base_dir: \"{self.data}/sessions\"\n"
            f"policies:\n  dir: \"{self.policies}\"\n"
            f"sandbox:\n  fuse:\n    audit:\n      trash_path: \"{self.trash}\"\n"
            + extra_config)
        self.proc = None
        self.log = self.dir / "daemon.log"

    def start(self, env=None, wrapper=None, wrap=()):
        """wrapper (or wrap): argv prefixed to the daemon's command (e.g. a
        helper that holds a seccomp listener)."""
        full = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"),
                "HOME": "/root", "SECRET_TOKEN": "s3cr3t-daemon-env"}
        full.update(env or {})
        t0 = time.monotonic()
        self.proc = subprocess.Popen(
            list(wrapper or wrap or []) +
            [str(build_dir() / "agentsh"), "server", "--config", str(self.config)],
            stdout=open(self.log, "ab"), stderr=subprocess.STDOUT, env=full,
            start_new_session=True)
        while time.monotonic() - t0 < 5:
            if self.sock.exists() and self.get("/ready")[0] == 200:
                return time.monotonic() - t0
            if self.proc.poll() is not None:
                raise RuntimeError(self.log.read_text())
            time.sleep(0.001)
        raise RuntimeError("daemon not ready: " + self.log.read_text())

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        # A wrapper (hold_listener) may have left the daemon behind: the
        # daemon was started in its own process group; end all of it.
        if self.proc:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        log = self.log.read_text(errors="replace") if self.log.exists() else ""
        for bad in ("AddressSanitizer", "LeakSanitizer", "runtime error:"):
            if bad in log:
                raise AssertionError(f"daemon reported {bad}:\n{log[-4000:]}")

    def request(self, method, path, body=None):
        """One HTTP request over the Unix socket; (status, parsed body)."""
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(60)
        s.connect(str(self.sock))
        data = b"" if body is None else json.dumps(body).encode()
        s.sendall(f"{method} {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                  f"Content-Type: application/json\r\nContent-Length: {len(data)}"
                  f"\r\n\r\n".encode() + data)
        raw = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            raw += chunk
        s.close()
        head, _, payload = raw.partition(b"\r\n\r\n")
        status = int(head.split(b" ")[1])
        try:
            return status, json.loads(payload) if payload else None
        except ValueError:
            return status, payload.decode(errors="replace")

    def get(self, path):
        try:
            return self.request("GET", path)
        except OSError:
            return 0, None


def make_root(workdir, daemon, shim_bin, agentsh_bin):
    """A test root: symlinked /usr/bin, the shim installed over sh and bash."""
    root = pathlib.Path(workdir) / "root"
    hostbin = pathlib.Path(workdir) / "hostbin"   # host /usr/bin, bound here
    hostbin.mkdir()
    ub = root / "usr" / "bin"
    ub.mkdir(parents=True)
    for entry in os.scandir("/usr/bin"):
        os.symlink(hostbin / entry.name, ub / entry.name)
    # The real shells must be files we can rename, not the host's.
    for name in ("bash", "dash"):
        (ub / name).unlink()
        shutil.copy2(f"/usr/bin/{name}", ub / name)
    (ub / "sh").unlink()
    os.symlink("dash", ub / "sh")
    os.symlink("usr/bin", root / "bin")
    subprocess.run([agentsh_bin, "shim", "install-shell", "--root", str(root),
                    "--shim", shim_bin, "--bash",
                    "--i-understand-this-modifies-the-host"], check=True,
                   capture_output=True)
    etc = pathlib.Path(workdir) / "etc-agentsh"
    etc.mkdir()
    (etc / "shim.conf").write_text(
        f"socket={daemon.sock}\nserver={agentsh_bin}\nconfig={daemon.config}\n"
        f"log={daemon.dir}/autostart.log\n")
    return root, etc


def bwrap_cmd(root, etc, workdir, argv, cwd=None, wrapper=None, resolv=None):
    """argv run inside the test root (host /usr, /etc, /tmp; shimmed bin);
    wrapper: argv prefixed to the bwrap command; resolv: a file seen as
    /etc/resolv.conf."""
    hostbin = pathlib.Path(workdir) / "hostbin"
    cmd = ["bwrap", "--dev-bind", "/", "/", "--ro-bind", "/usr/bin",
           str(hostbin), "--bind", str(root / "usr" / "bin"), "/usr/bin",
           "--bind", str(etc), "/etc/agentsh"]
    if resolv:
        cmd += ["--ro-bind", str(resolv), "/etc/resolv.conf"]
    if cwd:
        cmd += ["--chdir", str(cwd)]
    return list(wrapper or []) + cmd + ["--"] + list(argv)


def cap_net_admin():
    """Has this process CAP_NET_ADMIN (network namespaces, nftables)?"""
    for line in open("/proc/self/status"):
        if line.startswith("CapEff:"):
            return bool(int(line.split()[1], 16) & (1 << 12))
    return False


def sanitized_build():
    """Is the build under test instrumented with ASan (make asan)?"""
    return b"__asan_init" in (build_dir() / "agentsh").read_bytes()


def policy_with(rules, section="network_rules"):
    """The default policy with rules (starting with "section:") in place of
    that section's first line."""
    text = (TOP / "etc" / "policies" / "default.yaml").read_text()
    return text.replace(section + ":\n", rules, 1)


def events(d, typ, limit=500):
    """The audit events of one type, through the daemon's API."""
    st, body = d.request(
        "GET", f"/api/v1/events/search?type={typ}&limit={limit}")
    assert st == 200
    return body["events"] if isinstance(body, dict) else body


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    """Files from the directory, without a log line per request."""

    def log_message(self, *a):
        pass


def serve(directory, host="127.0.0.1", tls=None, handler=QuietHandler):
    """A threaded HTTP server of directory on host, an ephemeral port;
    tls: (certificate, key) to serve HTTPS instead."""
    srv = http.server.ThreadingHTTPServer(
        (host, 0), functools.partial(handler, directory=str(directory)))
    srv.daemon_threads = True
    if tls:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(*tls)
        srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    return srv


def make_test_ca(tmp, names, ca_cn):
    """A test CA named ca_cn and a server certificate (CN names[0]) for
    every name; the paths (ca, cert, key)."""
    ca_key, ca, key, csr, cert = (tmp / n for n in (
        "ca.key", "ca.pem", "srv.key", "srv.csr", "srv.pem"))
    run = functools.partial(subprocess.run, check=True, capture_output=True)
    run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
         "-keyout", str(ca_key), "-out", str(ca), "-days", "1",
         "-subj", "/CN=" + ca_cn])
    run(["openssl", "req", "-newkey", "rsa:2048", "-nodes", "-keyout",
         str(key), "-out", str(csr), "-subj", "/CN=" + names[0]])
    ext = tmp / "san.ext"
    ext.write_text("subjectAltName=" + ",".join("DNS:" + n for n in names)
                   + "\n")
    run(["openssl", "x509", "-req", "-in", str(csr), "-CA", str(ca),
         "-CAkey", str(ca_key), "-CAcreateserial", "-out", str(cert),
         "-days", "1", "-extfile", str(ext)])
    return ca, cert, key


def root_shell(root, etc, workdir, ws, base_env, timeout=30, resolv=None):
    """sh(script, timeout, env, cwd): bash -c script in the test root, in ws
    unless cwd, with env over base_env; sh.ws is ws."""
    def sh(script, timeout=timeout, env=None, cwd=None):
        return subprocess.run(
            bwrap_cmd(root, etc, workdir, ["bash", "-c", script],
                      cwd=cwd or ws, resolv=resolv),
            capture_output=True, text=True, env=dict(base_env, **(env or {})),
            timeout=timeout)
    sh.ws = ws
    return sh
