"""The network gateway's forward proxy end to end: a sandboxed shell gets
HTTP_PROXY and friends pointing at its session's proxy, whose decisions
follow network_rules on the name and every address it resolves to. Names
are mapped without DNS by a hosts file the daemon reads first
(AGENTSH_NET_HOSTS_FILE)."""
import os
import socket
import subprocess
import time

import pytest

from gateway import (ENV, Daemon, build_dir, events, make_root, policy_with,
                     root_shell, serve)

BIN = build_dir()
AGENTSH = str(BIN / "agentsh")
SHIM = str(BIN / "agentsh-shell-shim")
RULES = """network_rules:
  - name: block-blocked-example
    domains: ["blocked.example.com"]
    decision: deny
    message: "no {{.Domain}} for agents"

  - name: allow-test-names
    domains: ["allowed.example.com", "sni.example.com", "rebind.example.com"]
    decision: allow
"""
HOSTS = ("127.0.0.1 allowed.example.com sni.example.com blocked.example.com\n"
         "169.254.169.254 rebind.example.com\n")


@pytest.fixture(scope="module")
def gw(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("proxy")
    (tmp / "hosts").write_text(HOSTS)
    www = tmp / "www"
    www.mkdir()
    (www / "hello.txt").write_text("hello through the proxy\n")
    srv = serve(www)
    d = Daemon(tmp, policy_text=policy_with(RULES))
    d.start(env={"AGENTSH_NET_HOSTS_FILE": str(tmp / "hosts")})
    root, etc = make_root(tmp, d, SHIM, AGENTSH)
    ws = tmp / "ws"
    ws.mkdir()
    sh = root_shell(root, etc, tmp, ws, ENV)
    yield d, sh, srv.server_address[1], tmp
    srv.shutdown()
    d.stop()


def test_proxy_variables_injected(gw):
    _, sh, _, _ = gw
    p = sh("echo $HTTP_PROXY $HTTPS_PROXY $ALL_PROXY $http_proxy $NO_PROXY")
    assert p.returncode == 0, p.stderr
    urls = p.stdout.split()
    assert urls[0].startswith("http://127.0.0.1:") and len(set(urls[:4])) == 1
    assert urls[4] == "localhost,127.0.0.1"
    # The caller's own proxy settings do not survive into the sandbox.
    q = sh("echo $HTTP_PROXY $https_proxy; env | grep -c '^HTTP_PROXY='",
           env={"HTTP_PROXY": "http://10.9.9.9:1", "https_proxy": "http://x:1"})
    assert q.stdout.split() == [urls[0], urls[0], "1"], q.stdout


def test_denied_host_gets_403_naming_rule(gw):
    d, sh, _, _ = gw
    p = sh("curl -s -o /dev/null -w '%{http_code}' http://blocked.example.com/")
    assert p.stdout == "403", (p.stdout, p.stderr)
    p = sh("curl -sv http://blocked.example.com/ 2>&1")
    assert "blocked by agentsh" in p.stdout
    assert "block-blocked-example" in p.stdout
    assert "no blocked.example.com for agents" in p.stdout
    ev = [e for e in events(d, "net_connect")
          if e.get("domain") == "blocked.example.com"]
    assert ev and ev[-1]["policy"]["rule"] == "block-blocked-example"
    assert ev[-1]["policy"]["decision"] == "deny"


def test_allowed_host_plain_http(gw):
    d, sh, port, _ = gw
    p = sh(f"curl -sf http://allowed.example.com:{port}/hello.txt")
    assert p.returncode == 0, p.stderr
    assert p.stdout == "hello through the proxy\n"
    reqs = [e for e in events(d, "net_http_request")
            if e.get("domain") == "allowed.example.com"]
    assert reqs and reqs[-1]["fields"]["method"] == "GET"
    assert reqs[-1]["fields"]["path"] == "/hello.txt"
    conns = [e for e in events(d, "net_connect")
             if e.get("domain") == "allowed.example.com"]
    assert conns and conns[-1]["remote"] == f"127.0.0.1:{port}"
    assert conns[-1]["policy"]["decision"] == "allow"
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        closes = [e for e in events(d, "net_close")
                  if e.get("domain") == "allowed.example.com"]
        if closes:
            break
        time.sleep(0.1)
    assert closes and closes[-1]["fields"]["bytes_received"] > 24
    assert closes[-1]["fields"]["bytes_sent"] > 0


def test_rebinding_to_metadata_denied(gw):
    d, sh, _, _ = gw
    p = sh("curl -s -w ' %{http_code}' http://rebind.example.com/")
    assert p.stdout.endswith(" 403"), p.stdout
    assert "deny-private-address" in p.stdout
    ev = [e for e in events(d, "net_connect")
          if e.get("domain") == "rebind.example.com"]
    assert ev and ev[-1]["policy"]["decision"] == "deny"


def test_direct_dial_fails_closed(gw):
    _, sh, _, _ = gw
    p = sh("curl --noproxy '*' -s -m 5 -o /dev/null -w '%{http_code}' "
           "http://10.255.255.1/")
    assert p.stdout == "000" and p.returncode != 0
    assert "agentsh: connection to 10.255.255.1:80 denied" in p.stderr


@pytest.fixture(scope="module")
def tls(gw):
    _, _, _, tmp = gw
    key, cert = tmp / "key.pem", tmp / "cert.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
                    "-keyout", str(key), "-out", str(cert), "-days", "1",
                    "-subj", "/CN=sni.example.com",
                    "-addext", "subjectAltName=DNS:sni.example.com"],
                   check=True, capture_output=True)
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    srv = subprocess.Popen(["openssl", "s_server", "-accept", f"127.0.0.1:{port}",
                            "-cert", str(cert), "-key", str(key), "-www",
                            "-quiet"], stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close()
            break
        except OSError:
            time.sleep(0.05)
    yield port, cert
    srv.kill()
    srv.wait()


def test_connect_tunnel_tls(gw, tls):
    d, sh, _, _ = gw
    port, cert = tls
    p = sh(f"curl -s -o /dev/null -w '%{{http_code}}' --cacert {cert} "
           f"https://sni.example.com:{port}/")
    assert p.stdout == "200", (p.stdout, p.stderr)
    ev = [e for e in events(d, "net_connect")
          if e.get("domain") == "sni.example.com"]
    assert ev and ev[-1]["policy"]["decision"] == "allow"


def test_connect_sni_mismatch_refused(gw, tls):
    _, sh, _, _ = gw
    port, cert = tls
    p = sh(f"echo Q | openssl s_client -proxy ${{HTTPS_PROXY#http://}} "
           f"-connect sni.example.com:{port} -servername evil.example.com "
           f"-CAfile {cert} 2>&1")
    assert "no peer certificate available" in p.stdout, p.stdout
    assert "BEGIN CERTIFICATE" not in p.stdout
    p = sh(f"echo Q | openssl s_client -proxy ${{HTTPS_PROXY#http://}} "
           f"-connect sni.example.com:{port} -servername sni.example.com "
           f"-CAfile {cert} 2>&1")
    assert "BEGIN CERTIFICATE" in p.stdout, p.stdout
    assert "Verify return code: 0 (ok)" in p.stdout


def test_slowloris_cut_off_others_served(gw):
    d, sh, port, _ = gw
    p = sh("echo ${HTTP_PROXY##*:}")
    pport = int(p.stdout)
    slow = socket.create_connection(("127.0.0.1", pport))
    slow.sendall(b"GET http://allowed.example.com/ HTTP/1.1\r\nX-Slow: ")
    t0 = time.monotonic()
    closed = False
    while time.monotonic() - t0 < 20:
        try:
            slow.sendall(b"a")
        except OSError:
            closed = True
            break
        slow.settimeout(1)
        try:
            if slow.recv(1) == b"":
                closed = True
                break
        except socket.timeout:
            pass
        q = sh(f"curl -sf http://allowed.example.com:{port}/hello.txt")
        assert q.stdout == "hello through the proxy\n"
    assert closed and time.monotonic() - t0 < 15
