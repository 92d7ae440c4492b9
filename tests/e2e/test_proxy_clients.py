"""Real clients through the session's forward proxy, from a sandboxed
`bash -c`, against local servers only: git over HTTPS (dumb HTTP), node and
npm, python urllib; then the proxy under 10,000 idle connections and a
corpus of malformed requests. Names are mapped by the daemon's hosts file
(AGENTSH_NET_HOSTS_FILE), as in test_proxy.py."""
import json
import os
import resource
import shutil
import socket
import subprocess
import time

import pytest

import gateway
from gateway import (ENV, Daemon, build_dir, make_root, make_test_ca,
                     policy_with, root_shell)

BIN = build_dir()
AGENTSH = str(BIN / "agentsh")
SHIM = str(BIN / "agentsh-shell-shim")
NAMES = ["git.allowed.test", "npm.allowed.test", "py.allowed.test",
         "denied.test"]
RULES = """network_rules:
  - name: deny-denied-test
    domains: ["denied.test"]
    decision: deny
    message: "{{.Domain}} is off limits"

  - name: allow-client-test-names
    domains: ["git.allowed.test", "npm.allowed.test", "py.allowed.test"]
    decision: allow
"""
IDLE_CONNS = 10000
PKG = "tinypkg"


class Handler(gateway.QuietHandler):
    """Files from the directory, and the npm packument of PKG."""

    def do_GET(self):
        if self.path.lstrip("/") != PKG:
            return super().do_GET()
        port = self.server.server_address[1]
        body = json.dumps({
            "name": PKG, "dist-tags": {"latest": "1.0.0"},
            "versions": {"1.0.0": {
                "name": PKG, "version": "1.0.0",
                "description": "served by the local registry",
                "dist": {"tarball": f"https://npm.allowed.test:{port}/"
                         f"{PKG}/-/{PKG}-1.0.0.tgz"}}},
            "time": {"1.0.0": "2026-01-01T00:00:00.000Z"}}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def serve(directory, host="127.0.0.1", tls=None):
    return gateway.serve(directory, host, tls, handler=Handler)


def bare_repo(www, tmp):
    src = tmp / "src"
    src.mkdir()
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@t", "-C", str(src)]
    subprocess.run(["git", "init", "-q", "-b", "main", str(src)], check=True)
    (src / "README").write_text("cloned through the proxy\n")
    subprocess.run(git + ["add", "README"], check=True)
    subprocess.run(git + ["commit", "-qm", "first"], check=True)
    subprocess.run(["git", "clone", "-q", "--bare", str(src),
                    str(www / "repo.git")], check=True)
    subprocess.run(["git", "-C", str(www / "repo.git"), "update-server-info"],
                   check=True)


@pytest.fixture(scope="module")
def gw(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("proxyclients")
    (tmp / "hosts").write_text("127.0.0.1 " + " ".join(NAMES) + "\n")
    www = tmp / "www"
    www.mkdir()
    (www / "hello.txt").write_text("hello through the proxy\n")
    bare_repo(www, tmp)
    ca, cert, key = make_test_ca(tmp, NAMES, "agentsh test CA")
    plain = serve(www)
    tls = serve(www, tls=(cert, key))
    outside = serve(www, host="127.0.0.2")  # not allowed by any rule
    d = Daemon(tmp, policy_text=policy_with(RULES))
    d.start(env={"AGENTSH_NET_HOSTS_FILE": str(tmp / "hosts")})
    root, etc = make_root(tmp, d, SHIM, AGENTSH)
    ws = tmp / "ws"
    ws.mkdir()
    sh = root_shell(root, etc, tmp, ws, ENV, timeout=60)
    ports = {"plain": plain.server_address[1], "tls": tls.server_address[1],
             "outside": outside.server_address[1]}
    yield d, sh, ports, ca, ws
    for srv in (plain, tls, outside):
        srv.shutdown()
    d.stop()


def events(d, typ):
    return gateway.events(d, typ, limit=1000)


def by_domain(d, typ, domain):
    return [e for e in events(d, typ) if e.get("domain") == domain]


def assert_denied_logged(d, domain="denied.test"):
    ev = by_domain(d, "net_connect", domain)
    assert ev and ev[-1]["policy"]["rule"] == "deny-denied-test"
    assert ev[-1]["policy"]["decision"] == "deny"


def assert_allowed_logged(d, domain, port):
    ev = by_domain(d, "net_connect", domain)
    assert ev and ev[-1]["policy"]["decision"] == "allow"
    assert ev[-1]["remote"] == f"127.0.0.1:{port}"


def ws_of(sh):
    return sh.ws


def proxy_port(sh):
    return int(sh("echo ${HTTP_PROXY##*:}").stdout)


# --- git -------------------------------------------------------------------

def test_git_clone_https_allowed(gw):
    d, sh, ports, ca, _ = gw
    port = ports["tls"]
    p = sh(f"GIT_SSL_CAINFO={ca} git clone "
           f"https://git.allowed.test:{port}/repo.git clone 2>&1 && "
           "cat clone/README")
    assert p.returncode == 0, p.stdout + p.stderr
    assert p.stdout.endswith("cloned through the proxy\n")
    assert_allowed_logged(d, "git.allowed.test", port)


def test_git_clone_denied_host_shows_403_and_rule(gw):
    d, sh, ports, ca, _ = gw
    p = sh(f"GIT_SSL_CAINFO={ca} git clone "
           f"https://denied.test:{ports['tls']}/repo.git denied 2>&1")
    assert p.returncode != 0
    assert "CONNECT tunnel failed, response 403" in p.stdout, p.stdout
    assert_denied_logged(d)


def test_git_denied_rule_visible_in_trace(gw):
    """git hides the body of a refused CONNECT; the X-Agentsh-Deny header
    of the 403 shows in its curl trace."""
    _, sh, ports, ca, _ = gw
    p = sh(f"GIT_TRACE_CURL=1 GIT_SSL_CAINFO={ca} git clone "
           f"https://denied.test:{ports['tls']}/repo.git denied2 2>&1")
    assert "X-Agentsh-Deny: rule=deny-denied-test; denied.test is off " \
        "limits" in p.stdout, p.stdout


# --- node and npm ------------------------------------------------------------

NODE_DIRECT = """
const https = require('https');
https.get({host: '127.0.0.2', port: %d, path: '/hello.txt',
           rejectUnauthorized: false}, r => { console.log('GOT', r.statusCode);
  process.exit(0); }).on('error', e => { console.log('ERR', e.code);
  process.exit(3); });
"""

NODE_TUNNEL = """
const http = require('http'), tls = require('tls'), fs = require('fs');
const proxy = new URL(process.env.HTTPS_PROXY);
const ca = fs.readFileSync(%r), host = %r, port = %d;
http.request({host: proxy.hostname, port: proxy.port, method: 'CONNECT',
              path: host + ':' + port}).on('connect', (res, socket) => {
  if (res.statusCode !== 200) { console.log('CONNECT', res.statusCode);
    process.exit(4); }
  const t = tls.connect({socket, servername: host, ca}, () => {
    t.write('GET /hello.txt HTTP/1.1\\r\\nHost: ' + host +
            '\\r\\nConnection: close\\r\\n\\r\\n');
  });
  let body = ''; t.on('data', c => body += c);
  t.on('end', () => { const [head, rest] = body.split('\\r\\n\\r\\n');
    process.stdout.write(head.split(' ')[1] + ' ' + rest); process.exit(0); });
  t.on('error', e => { console.log('TLSERR', e.message); process.exit(5); });
}).on('error', e => { console.log('ERR', e.message); process.exit(6); }).end();
"""

need_node = pytest.mark.skipif(not shutil.which("node"), reason="no node")
need_npm = pytest.mark.skipif(not shutil.which("npm"), reason="no npm")


# The default policy does not let a sandboxed process read
# /etc/ssl/openssl.cnf, which node treats as fatal: give it an empty one.
NODE_ENV = "OPENSSL_CONF=$PWD/empty.cnf"


def node(sh, ws, name, src):
    (ws / "empty.cnf").write_text("")
    (ws / name).write_text(src)
    return sh(f"{NODE_ENV} node {name} 2>&1")


@need_node
def test_node_starts_with_default_openssl_config(gw):
    """node reads /etc/ssl/openssl.cnf at start (fatal when refused): the
    shipped policy allows it."""
    _, sh, _, _, _ = gw
    p = sh("node -e 'console.log(42)' 2>&1")
    assert p.stdout == "42\n", p.stdout


@need_node
def test_node_ignoring_proxy_refused_by_supervisor(gw):
    d, sh, ports, _, ws = gw
    port = ports["outside"]
    p = node(sh, ws, "direct.js", NODE_DIRECT % port)
    assert p.returncode == 3, p.stdout
    assert "ERR" in p.stdout and "GOT" not in p.stdout
    assert f"agentsh: connection to 127.0.0.2:{port} denied" in p.stdout
    ev = [e for e in events(d, "net")
          if e.get("remote") == f"127.0.0.2:{port}"]
    assert ev and ev[-1]["policy"]["decision"] == "deny", ev


@need_node
def test_node_connect_tunnel_allowed(gw):
    d, sh, ports, ca, ws = gw
    port = ports["tls"]
    p = node(sh, ws, "tunnel.js",
             NODE_TUNNEL % (str(ca), "npm.allowed.test", port))
    assert p.returncode == 0, p.stdout
    assert p.stdout == "200 hello through the proxy\n"
    assert_allowed_logged(d, "npm.allowed.test", port)
    p = node(sh, ws, "tunnel_denied.js",
             NODE_TUNNEL % (str(ca), "denied.test", port))
    assert p.returncode == 4 and p.stdout == "CONNECT 403\n", p.stdout
    assert_denied_logged(d)


def npm_view(sh, ca, host, port):
    # /usr/bin/npm is often a relative symlink the test root cannot follow.
    npm = os.path.realpath(shutil.which("npm"))
    (ws_of(sh) / "empty.cnf").write_text("")
    return sh(f"{NODE_ENV} {npm} view {PKG} description --registry https://{host}:{port}/ "
              f"--cafile {ca} --cache $PWD/.npm-cache --fetch-retries 0 "
              "--no-update-notifier --loglevel error 2>&1", timeout=90)


@need_npm
def test_npm_view_allowed_registry(gw):
    d, sh, ports, ca, _ = gw
    p = npm_view(sh, ca, "npm.allowed.test", ports["tls"])
    assert p.returncode == 0, p.stdout
    assert p.stdout.strip() == "served by the local registry", p.stdout
    assert_allowed_logged(d, "npm.allowed.test", ports["tls"])


@need_npm
def test_npm_view_denied_registry_403(gw):
    d, sh, ports, ca, _ = gw
    p = npm_view(sh, ca, "denied.test", ports["tls"])
    assert p.returncode != 0
    assert "403" in p.stdout, p.stdout
    assert "served by the local registry" not in p.stdout
    assert_denied_logged(d)


# --- python urllib -----------------------------------------------------------

PY = """
import ssl, sys, urllib.request, urllib.error
ctx = ssl.create_default_context(cafile=%r)
try:
    r = urllib.request.urlopen(sys.argv[1], context=ctx, timeout=20)
    print(r.status, r.read().decode(), end="")
except urllib.error.HTTPError as e:
    print("HTTPError", e.code, e.read().decode())
except OSError as e:
    print("OSError", e)
"""


def test_python_urllib(gw):
    d, sh, ports, ca, ws = gw
    (ws / "get.py").write_text(PY % str(ca))
    for url, port in (
            (f"http://py.allowed.test:{ports['plain']}/hello.txt", "plain"),
            (f"https://py.allowed.test:{ports['tls']}/hello.txt", "tls")):
        p = sh(f"/usr/bin/python3 get.py {url} 2>&1")
        assert p.stdout == "200 hello through the proxy\n", (url, p.stdout)
        assert_allowed_logged(d, "py.allowed.test", ports[port])
    reqs = by_domain(d, "net_http_request", "py.allowed.test")
    assert reqs and reqs[-1]["fields"]["path"] == "/hello.txt"
    p = sh(f"/usr/bin/python3 get.py http://denied.test:{ports['plain']}/ 2>&1")
    assert p.stdout.startswith("HTTPError 403"), p.stdout
    assert "deny-denied-test" in p.stdout and "denied.test is off limits" \
        in p.stdout
    p = sh(f"/usr/bin/python3 get.py https://denied.test:{ports['tls']}/ 2>&1")
    assert p.stdout.startswith("OSError") and "403" in p.stdout, p.stdout
    assert_denied_logged(d)


# --- load and malformed input -------------------------------------------------

def daemon_nofile(d):
    for line in open(f"/proc/{d.proc.pid}/limits"):
        if line.startswith("Max open files"):
            return int(line.split()[3])
    return 0


def curl_hello(sh, port):
    return sh(f"curl -sf -m 20 http://py.allowed.test:{port}/hello.txt")


def still_open(s):
    s.setblocking(False)
    try:
        return s.recv(1) != b""
    except BlockingIOError:
        return True
    except OSError:
        return False


def test_ten_thousand_idle_connections(gw):
    d, sh, ports, _, _ = gw
    if daemon_nofile(d) < IDLE_CONNS + 100:
        pytest.skip(f"daemon's RLIMIT_NOFILE {daemon_nofile(d)} < "
                    f"{IDLE_CONNS + 100}")
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard < IDLE_CONNS + 200:
        pytest.skip(f"test's RLIMIT_NOFILE hard limit {hard} too low")
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    pport = proxy_port(sh)
    conns = []
    try:
        t0 = time.monotonic()
        for _ in range(IDLE_CONNS):
            s = socket.socket()
            conns.append(s)
            s.settimeout(5)
            s.connect(("127.0.0.1", pport))
        opened = time.monotonic() - t0
        t1 = time.monotonic()
        p = curl_hello(sh, ports["plain"])
        took = time.monotonic() - t1
        assert p.stdout == "hello through the proxy\n", (p.stderr, opened)
        alive = sum(map(still_open, conns))
        print(f"opened {IDLE_CONNS} in {opened:.2f}s; curl {took:.2f}s; "
              f"{alive} still open")
        # All were held while curl was served, unless opening them took
        # longer than the 10 s header timeout that closes idle ones.
        if opened + took < 9:
            assert alive == IDLE_CONNS
        else:
            assert alive > 0
    finally:
        for s in conns:
            s.close()
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
    assert curl_hello(sh, ports["plain"]).returncode == 0


def corpus(port):
    target = f"http://py.allowed.test:{port}/hello.txt"
    return {
        "bad request line": b"GET\r\n\r\n",
        "HTTP/0.9": b"GET /\r\n\r\n",
        "TLS to plain proxy": b"\x16\x03\x01\x00\x05hello\r\n\r\n",
        "bad version": f"GET {target} HTTP/9.9\r\n\r\n".encode(),
        "huge header": f"GET {target} HTTP/1.1\r\nX-Big: ".encode()
        + b"a" * 20000 + b"\r\n\r\n",
        "too many headers": f"GET {target} HTTP/1.1\r\n".encode()
        + b"".join(b"X-%d: 1\r\n" % i for i in range(200)) + b"\r\n",
        "bad chunk size": f"POST {target} HTTP/1.1\r\nHost: py.allowed.test"
        "\r\nTransfer-Encoding: chunked\r\n\r\nZZZ\r\nxx\r\n0\r\n\r\n"
        .encode(),
        "CL and TE": f"POST {target} HTTP/1.1\r\nContent-Length: 3\r\n"
        "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n".encode(),
        "negative length": f"POST {target} HTTP/1.1\r\nContent-Length: -1"
        "\r\n\r\n".encode(),
        "CONNECT without port": b"CONNECT py.allowed.test HTTP/1.1\r\n"
        b"Host: py.allowed.test\r\n\r\n",
        "CONNECT port 99999": b"CONNECT py.allowed.test:99999 HTTP/1.1\r\n"
        b"\r\n",
        "userinfo to denied": f"GET http://py.allowed.test:{port}@denied.test"
        f":{port}/ HTTP/1.1\r\nHost: denied.test\r\n\r\n".encode(),
        "NUL in target": f"GET http://py.allowed.test:{port}/\0 HTTP/1.1\r\n"
        "\r\n".encode(),
        "NUL in header": f"GET {target} HTTP/1.1\r\nX-A: a\0b\r\n\r\n"
        .encode(),
        "HTTP/2 preface": b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n",
    }


def answer(pport, data, wait=5):
    """(first line or '', closed?) of the proxy's answer to data."""
    s = socket.create_connection(("127.0.0.1", pport), 5)
    s.settimeout(wait)
    try:
        s.sendall(data)
    except OSError:
        return "", True
    raw, closed = b"", False
    try:
        while b"\r\n" not in raw:
            chunk = s.recv(4096)
            if not chunk:
                closed = True
                break
            raw += chunk
    except socket.timeout:
        pass
    except OSError:
        closed = True
    s.close()
    return raw.split(b"\r\n")[0].decode(errors="replace"), closed


def refused(line, closed):
    return (line.startswith("HTTP/1.1 4") and line[9:12].isdigit()) or \
        (line == "" and closed)


def test_unknown_method_501(gw):
    _, sh, _, _, _ = gw
    line, _ = answer(proxy_port(sh), b"GARBAGE\r\n\r\n")
    assert line.startswith("HTTP/1.1 501 "), line


def test_space_in_header_name_refused(gw):
    _, sh, ports, _, _ = gw
    line, closed = answer(proxy_port(sh), (
        f"GET http://py.allowed.test:{ports['plain']}/hello.txt HTTP/1.1\r\n"
        "Bad Name: x\r\n\r\n").encode())
    assert refused(line, closed), line


def test_malformed_requests_answered_4xx_or_closed(gw):
    d, sh, ports, _, _ = gw
    pport = proxy_port(sh)
    bad = {}
    for name, data in corpus(ports["plain"]).items():
        t0 = time.monotonic()
        line, closed = answer(pport, data)
        # An unparsable method is answered 501 Not Implemented.
        ok = refused(line, closed) or line.startswith("HTTP/1.1 501 ")
        print(f"{name}: {line!r} closed={closed} "
              f"{time.monotonic() - t0:.2f}s")
        if not ok:
            bad[name] = (line, closed)
    assert not bad, bad
    assert curl_hello(sh, ports["plain"]).stdout == "hello through the proxy\n"
    # Nothing was dialed for the userinfo trick other than what was asked.
    for e in by_domain(d, "net_connect", "denied.test"):
        assert e["policy"]["decision"] == "deny"


def test_silent_connection_cut_by_header_timeout(gw):
    _, sh, _, _, _ = gw
    s = socket.create_connection(("127.0.0.1", proxy_port(sh)))
    try:
        time.sleep(12)
        assert not still_open(s)
    finally:
        s.close()


def cpu_seconds(pid):
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@pytest.mark.skipif(not shutil.which("prlimit"), reason="no prlimit")
def test_daemon_fd_exhaustion_does_not_spin(gw):
    d, sh, ports, _, _ = gw
    pport, pid = proxy_port(sh), d.proc.pid
    old = daemon_nofile(d)
    subprocess.run(["prlimit", f"--pid={pid}", "--nofile=600:"], check=True)
    conns = []
    try:
        for _ in range(700):
            s = socket.socket()
            conns.append(s)
            s.settimeout(3)
            try:
                s.connect(("127.0.0.1", pport))
            except OSError:
                break
        c0 = cpu_seconds(pid)
        time.sleep(2)
        spent = cpu_seconds(pid) - c0
        print(f"daemon CPU over 2 s at its fd limit: {spent:.2f} s")
        assert spent < 0.5
    finally:
        for s in conns:
            s.close()
        subprocess.run(["prlimit", f"--pid={pid}", f"--nofile={old}:"],
                       check=True)
        time.sleep(1)
        assert curl_hello(sh, ports["plain"]).returncode == 0
