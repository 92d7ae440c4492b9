"""Transparent network mode (sandbox.network.transparent.enabled): a
session's commands run in a network namespace of their own whose TCP is
redirected (nftables) to the proxy and whose DNS goes to the session's DNS
listener; the rest is dropped. Clients that ignore the proxy variables are
governed by the same network_rules, decided on the TLS server name or the
Host header when that name resolves to the address dialed, else on the
address. Everything is local: servers on 127.0.0.x of this machine, dnsmasq
as the upstream DNS server, names mapped for the proxy by the daemon's
hosts file (AGENTSH_NET_HOSTS_FILE); nothing can leave the namespace, which
has no device but loopback."""
import functools
import http.server
import os
import random
import re
import shutil
import subprocess
import threading
import time

import pytest

import gateway
from gateway import (ENV, QuietHandler, Daemon, build_dir, bwrap_cmd,
                     cap_net_admin, make_root, make_test_ca, policy_with,
                     root_shell, serve)

BIN = build_dir()
AGENTSH = str(BIN / "agentsh")
SHIM = str(BIN / "agentsh-shell-shim")
DNSMASQ = shutil.which("dnsmasq") or "/usr/sbin/dnsmasq"
RULES = """network_rules:
  - name: deny-denied-test
    domains: ["denied.test"]
    decision: deny
    message: "{{.Domain}} is off limits"

  - name: allow-allowed-test
    domains: ["allowed.test"]
    decision: allow
"""
NAMES = ["allowed.test", "denied.test"]


pytestmark = pytest.mark.skipif(
    not cap_net_admin(),
    reason="transparent mode needs CAP_NET_ADMIN (network namespaces and "
    "nftables); this test process does not have it")


def free_udp_port():
    import socket
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


@pytest.fixture(scope="module")
def gw(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("transparent")
    (tmp / "hosts").write_text("127.0.0.1 " + " ".join(NAMES) + "\n")
    www = tmp / "www"
    www.mkdir()
    (www / "hello.txt").write_text("hello, transparently\n")
    ca, cert, key = make_test_ca(tmp, NAMES, "agentsh transparent test CA")
    servers = {"plain": serve(www, "127.0.0.1"),
               "tls": serve(www, "127.0.0.1", tls=(cert, key)),
               "outside": serve(www, "127.0.0.2")}
    up_port = free_udp_port()
    up_addr = f"127.{random.randint(64, 250)}.{random.randint(1, 250)}.54"
    dm = subprocess.Popen(
        [DNSMASQ, "--keep-in-foreground", f"--port={up_port}",
         f"--listen-address={up_addr}", "--bind-interfaces", "--no-resolv",
         "--no-hosts", "--conf-file=/dev/null", "--pid-file=", "--user=root",
         "--address=/allowed.test/127.0.0.1",
         "--address=/denied.test/127.0.0.1"],
        stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    d = Daemon(tmp, policy_text=policy_with(RULES),
               extra_config=(
                   "  network:\n    transparent:\n      enabled: true\n"
                   f"    dns:\n      upstream: \"{up_addr}:{up_port}\"\n"))
    d.start(env={"AGENTSH_NET_HOSTS_FILE": str(tmp / "hosts")})
    root, etc = make_root(tmp, d, SHIM, AGENTSH)
    ws = tmp / "ws"
    ws.mkdir()
    # Any nameserver: port 53 is redirected to the session's listener.
    resolv = tmp / "resolv.conf"
    resolv.write_text("nameserver 127.0.0.53\noptions attempts:1 timeout:3\n")
    sh = root_shell(root, etc, tmp, ws, ENV, timeout=60, resolv=resolv)
    ports = {k: v.server_address[1] for k, v in servers.items()}
    yield d, sh, ports, ca
    for srv in servers.values():
        srv.shutdown()
    d.stop()
    dm.terminate()
    dm.wait(5)


def events(d, typ):
    return gateway.events(d, typ, limit=1000)


def last_connect(d, domain):
    ev = [e for e in events(d, "net_connect") if e.get("domain") == domain]
    assert ev, [e.get("domain") for e in events(d, "net_connect")]
    assert ev[-1]["fields"].get("transparent") is True, ev[-1]
    return ev[-1]


def session_id(sh):
    p = sh("echo $AGENTSH_SESSION_ID")
    assert p.returncode == 0, p.stderr
    return p.stdout.strip()


NOPROXY = "curl --noproxy '*' -sS -m 20"


def test_session_is_transparent(gw):
    d, sh, _, _ = gw
    sid = session_id(sh)
    st, body = d.request("GET", f"/api/v1/sessions/{sid}")
    assert st == 200 and body["transparent"] is True, body
    ready = [e for e in events(d, "transparent_net_ready")
             if e.get("session_id") == sid]
    assert ready, events(d, "transparent_net_failed")
    # The shell is not in the daemon's network namespace.
    p = sh("readlink /proc/self/ns/net")
    assert p.stdout.strip() != os.readlink("/proc/self/ns/net"), p.stdout


PY_NOPROXY = """
import sys, urllib.request
opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
print(opener.open(sys.argv[1], timeout=20).read().decode(), end="")
"""


def test_allowed_http_ignoring_proxy_variables(gw):
    """Resolved through the redirected DNS, connected through the
    redirected TCP: python with its proxy support switched off."""
    d, sh, ports, _ = gw
    port = ports["plain"]
    (sh.ws / "noproxy.py").write_text(PY_NOPROXY)
    p = sh(f"/usr/bin/python3 noproxy.py http://allowed.test:{port}/hello.txt "
           "2>&1")
    assert p.stdout == "hello, transparently\n", p.stdout
    ev = last_connect(d, "allowed.test")
    assert ev["policy"]["decision"] == "allow"
    assert ev["remote"] == f"127.0.0.1:{port}"
    dns = [e for e in events(d, "dns_query") if e.get("domain") ==
           "allowed.test"]
    assert dns and dns[-1]["policy"]["effective_decision"] == "allow"


def test_allowed_https_by_server_name(gw):
    d, sh, ports, ca = gw
    port = ports["tls"]
    p = sh(f"{NOPROXY} --cacert {ca} https://allowed.test:{port}/hello.txt "
           "2>&1")
    assert p.stdout == "hello, transparently\n", p.stdout
    assert last_connect(d, "allowed.test")["remote"] == f"127.0.0.1:{port}"


def test_denied_http_gets_403_naming_rule(gw):
    d, sh, ports, _ = gw
    port = ports["plain"]
    p = sh(f"{NOPROXY} -i --resolve denied.test:{port}:127.0.0.1 "
           f"http://denied.test:{port}/hello.txt 2>&1")
    assert p.stdout.startswith("HTTP/1.1 403"), p.stdout
    assert "X-Agentsh-Deny: rule=deny-denied-test; denied.test is off " \
        "limits" in p.stdout
    assert "hello, transparently" not in p.stdout
    ev = last_connect(d, "denied.test")
    assert ev["policy"]["decision"] == "deny"
    assert ev["policy"]["rule"] == "deny-denied-test"


def test_denied_https_is_reset(gw):
    d, sh, ports, ca = gw
    port = ports["tls"]
    n0 = len([e for e in events(d, "net_connect")
              if e.get("domain") == "denied.test"])
    p = sh(f"{NOPROXY} --cacert {ca} --resolve denied.test:{port}:127.0.0.1 "
           f"https://denied.test:{port}/hello.txt; echo rc=$?")
    assert "hello, transparently" not in p.stdout
    rc = int(re.search(r"rc=(\d+)", p.stdout).group(1))
    assert rc in (35, 56), (p.stdout, p.stderr)  # TLS failed: reset
    ev = [e for e in events(d, "net_connect")
          if e.get("domain") == "denied.test"]
    assert len(ev) > n0 and ev[-1]["policy"]["decision"] == "deny"


def test_denied_name_does_not_resolve(gw):
    _, sh, _, _ = gw
    p = sh("getent hosts denied.test; echo rc=$?")
    assert "rc=2" in p.stdout, p.stdout
    p = sh("getent hosts allowed.test")
    assert p.stdout.split()[0] == "127.0.0.1", p.stdout


PY_RAW = """
import socket, sys
s = socket.socket()
s.settimeout(15)
try:
    s.connect((sys.argv[1], int(sys.argv[2])))
    if len(sys.argv) > 3:
        s.sendall(("GET /hello.txt HTTP/1.1\\r\\nHost: %s\\r\\n"
                   "Connection: close\\r\\n\\r\\n" % sys.argv[3]).encode())
    data = b""
    while True:
        chunk = s.recv(4096)
        if not chunk:
            break
        data += chunk
    print("DATA", data.decode(errors="replace").split("\\r\\n")[0])
except OSError as e:
    print("ERR", e.errno)
"""


def test_socket_client_name_not_resolving_to_address_decided_on_ip(gw):
    """Host: allowed.test to 127.0.0.2, where allowed.test does not point:
    decided on 127.0.0.2, which no rule allows."""
    d, sh, ports, _ = gw
    (sh.ws / "raw.py").write_text(PY_RAW)
    port = ports["outside"]
    p = sh(f"/usr/bin/python3 raw.py 127.0.0.2 {port} allowed.test 2>&1")
    assert p.stdout.startswith("DATA HTTP/1.1 403"), p.stdout
    ev = last_connect(d, "127.0.0.2")
    assert ev["policy"]["decision"] == "deny"
    assert ev["remote"] == f"127.0.0.2:{port}"


def test_ipv6_redirected_and_decided(gw):
    """IPv6 TCP goes through the IPv6 transparent listener: ::1 is allowed
    by the shipped policy's allow-localhost, and dialed on the host."""
    import socket
    if not socket.has_ipv6:
        pytest.skip("no IPv6 on this machine")
    d, sh, _, _ = gw
    www = sh.ws.parent / "www"

    class V6(http.server.ThreadingHTTPServer):
        address_family = socket.AF_INET6
    handler = functools.partial(QuietHandler, directory=str(www))
    try:
        srv = V6(("::1", 0), handler)
    except OSError as e:
        pytest.skip(f"no IPv6 loopback here: {e}")
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    try:
        port = srv.server_address[1]
        p = sh(f"{NOPROXY} -g 'http://[::1]:{port}/hello.txt' 2>&1")
        assert p.stdout == "hello, transparently\n", p.stdout
        ev = last_connect(d, "::1")
        assert ev["remote"] == f"[::1]:{port}"
        assert ev["policy"]["decision"] == "allow"
    finally:
        srv.shutdown()


def test_silent_socket_client_decided_on_ip_and_reset(gw):
    d, sh, ports, _ = gw
    (sh.ws / "raw.py").write_text(PY_RAW)
    t0 = time.monotonic()
    p = sh(f"/usr/bin/python3 raw.py 127.0.0.2 {ports['outside']} 2>&1")
    took = time.monotonic() - t0
    assert p.stdout.strip() in ("ERR 104", "DATA "), p.stdout  # reset
    assert took < 10, took


def test_setns_refused_inside(gw):
    """A sandboxed process cannot leave the namespace: setns is refused
    (even into its own namespaces through a pidfd, which root could
    otherwise do; /proc/*/ns links are not opened for it)."""
    _, sh, _, _ = gw
    src = ("import ctypes, os\n"
           "libc = ctypes.CDLL(None, use_errno=True)\n"
           "fd = os.pidfd_open(os.getpid())\n"
           "print(libc.setns(fd, 0x40000000), ctypes.get_errno())\n")
    (sh.ws / "setns.py").write_text(src)
    p = sh("/usr/bin/python3 setns.py 2>&1; readlink /proc/self/ns/net")
    lines = p.stdout.split("\n")
    assert lines[0].startswith("-1 "), p.stdout
    assert lines[1] != os.readlink("/proc/self/ns/net")


def test_governed_without_the_supervisor(gw):
    """A process put into the session's namespace from outside (nsenter, no
    seccomp filter, no proxy variables) is held by the rules alone."""
    d, sh, ports, _ = gw
    sid = session_id(sh)
    holder = sh("sleep 30 >/dev/null 2>&1 & echo $!", timeout=10)
    pid = int(holder.stdout.strip())
    try:
        ns = f"/proc/{pid}/ns/net"
        enter = ["nsenter", f"--net={ns}"]
        ok = subprocess.run(enter + ["curl", "--noproxy", "*", "-sS", "-m",
                                     "20", "--resolve",
                                     f"allowed.test:{ports['plain']}:127.0.0.1",
                                     f"http://allowed.test:{ports['plain']}"
                                     "/hello.txt"],
                            capture_output=True, text=True, timeout=30)
        assert ok.stdout == "hello, transparently\n", ok.stderr
        bad = subprocess.run(enter + ["curl", "--noproxy", "*", "-sS", "-m",
                                      "20", f"http://127.0.0.2:"
                                      f"{ports['outside']}/hello.txt"],
                             capture_output=True, text=True, timeout=30)
        assert "hello, transparently" not in bad.stdout
        assert "blocked by agentsh: connection to 127.0.0.2:" in bad.stdout
        assert "denied by rule default-deny-network" in bad.stdout
        udp = subprocess.run(enter + ["/usr/bin/python3", "-c",
                                      "import socket\n"
                                      "s = socket.socket(2, 2)\n"
                                      "try:\n"
                                      "  s.sendto(b'x', ('127.0.0.9', 9999))\n"
                                      "  print('SENT')\n"
                                      "except OSError as e:\n"
                                      "  print('ERR', e.errno)\n"],
                             capture_output=True, text=True, timeout=30)
        assert udp.stdout.strip() == "ERR 1", udp.stdout  # EPERM: dropped
    finally:
        try:
            os.kill(pid, 9)
        except ProcessLookupError:
            pass
    assert sid


def test_exec_api_command_in_namespace(gw):
    d, sh, ports, _ = gw
    sid = session_id(sh)
    (sh.ws / "raw.py").write_text(PY_RAW)
    st, r = d.request("POST", f"/api/v1/sessions/{sid}/exec", {
        "command": "/usr/bin/python3",
        "args": [str(sh.ws / "raw.py"), "127.0.0.2", str(ports["outside"]),
                 "allowed.test"]})
    assert st == 200, r
    assert r["result"]["stdout"].startswith("DATA HTTP/1.1 403"), r
    st, r = d.request("POST", f"/api/v1/sessions/{sid}/exec", {
        "command": "readlink", "args": ["/proc/self/ns/net"]})
    assert st == 200, r
    assert r["result"]["stdout"].strip() != os.readlink("/proc/self/ns/net")



def test_without_cap_net_admin_falls_back(tmp_path):
    """A daemon without CAP_NET_ADMIN: the session says why in a
    transparent_net_failed event and keeps the plain gateway (the proxy
    variables and the supervisor's decisions)."""
    if not shutil.which("setpriv"):
        pytest.skip("no setpriv (util-linux) to drop the capability")
    d = Daemon(tmp_path, extra_config=(
        "  network:\n    transparent:\n      enabled: true\n"))
    d.start(wrap=["setpriv", "--bounding-set=-net_admin", "--"])
    try:
        root, etc = make_root(tmp_path, d, SHIM, AGENTSH)
        p = subprocess.run(bwrap_cmd(root, etc, tmp_path, [
            "bash", "-c", "echo $AGENTSH_SESSION_ID; echo ${HTTP_PROXY%:*}; "
            "readlink /proc/self/ns/net"]), capture_output=True, text=True,
            env=ENV, timeout=30)
        sid, proxy, ns = p.stdout.split()
        assert proxy == "http://127.0.0.1", p.stdout
        assert ns == os.readlink("/proc/self/ns/net")
        st, body = d.request("GET", f"/api/v1/sessions/{sid}")
        assert st == 200 and body["transparent"] is False
        failed = [e for e in events(d, "transparent_net_failed")
                  if e.get("session_id") == sid]
        assert failed and "CAP_NET_ADMIN" in failed[-1]["fields"]["reason"]
    finally:
        d.stop()
