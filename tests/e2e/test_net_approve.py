"""network_rules with decision `approve`: approvals do not exist yet, so each
network path fails closed, says that approval is required and unavailable,
and records the decision as `approve` with `approval.required`: the
forward proxy (403), the DNS listener (REFUSED) and the supervisor's
connect (refused with the reason on stderr)."""
import socket
import struct

import pytest

from gateway import (ENV, Daemon, build_dir, events, make_root, policy_with,
                     root_shell, serve)

BIN = build_dir()
AGENTSH = str(BIN / "agentsh")
SHIM = str(BIN / "agentsh-shell-shim")
RULES = """network_rules:
  - name: approve-approve-test
    domains: ["approve.test"]
    decision: approve
    message: "{{.Domain}} needs a human"

  - name: approve-loopback-three
    cidrs: ["127.0.0.3/32"]
    decision: approve
"""
WORDS = "approval required but no approver is configured; denied"


@pytest.fixture(scope="module")
def gw(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("approve")
    (tmp / "hosts").write_text("127.0.0.1 approve.test\n")
    www = tmp / "www"
    www.mkdir()
    (www / "hello.txt").write_text("must not be served\n")
    srv = serve(www, "127.0.0.3")
    d = Daemon(tmp, policy_text=policy_with(RULES))
    d.start(env={"AGENTSH_NET_HOSTS_FILE": str(tmp / "hosts")})
    root, etc = make_root(tmp, d, SHIM, AGENTSH)
    ws = tmp / "ws"
    ws.mkdir()
    sh = root_shell(root, etc, tmp, ws, ENV)
    yield d, sh, srv.server_address[1]
    srv.shutdown()
    d.stop()


def assert_approval_event(ev):
    assert ev["policy"]["decision"] == "approve", ev
    assert ev["policy"]["effective_decision"] == "deny", ev
    assert ev["policy"]["approval"]["required"] is True, ev


def test_proxy_approve_rule_denied_with_reason(gw):
    d, sh, port = gw
    p = sh(f"curl -sS -v http://approve.test:{port}/hello.txt 2>&1")
    assert "HTTP/1.1 403" in p.stdout, p.stdout
    assert WORDS in p.stdout and "approve.test needs a human" in p.stdout
    assert "X-Agentsh-Deny: rule=approve-approve-test; approval required" \
        in p.stdout, p.stdout
    assert "must not be served" not in p.stdout
    ev = [e for e in events(d, "net_connect")
          if e.get("domain") == "approve.test"]
    assert ev, events(d, "net_connect")
    assert ev[-1]["policy"]["rule"] == "approve-approve-test"
    assert_approval_event(ev[-1])
    assert WORDS in ev[-1]["policy"]["message"]


def dns_query(name):
    q = struct.pack(">HHHHHH", 0x5151, 0x0100, 1, 0, 0, 0)
    for label in name.split("."):
        q += bytes([len(label)]) + label.encode()
    return q + b"\0" + struct.pack(">HH", 1, 1)


def test_dns_approve_rule_refused(gw):
    d, sh, _ = gw
    sid = sh("echo $AGENTSH_SESSION_ID").stdout.strip()
    st, body = d.request("GET", f"/api/v1/sessions/{sid}")
    assert st == 200 and body.get("dns"), body
    host, _, lport = body["dns"].rpartition(":")
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(5)
    s.sendto(dns_query("approve.test"), (host, int(lport)))
    ans = s.recv(4096)
    s.close()
    assert ans[:2] == b"\x51\x51" and ans[3] & 0x0F == 5  # REFUSED
    ev = [e for e in events(d, "dns_query") if e.get("domain") ==
          "approve.test"]
    assert ev and ev[-1]["policy"]["rule"] == "approve-approve-test", ev
    assert_approval_event(ev[-1])


PY_DIRECT = """
import socket, sys
s = socket.socket()
s.settimeout(5)
try:
    s.connect(("127.0.0.3", int(sys.argv[1])))
    print("CONNECTED")
except OSError as e:
    print("REFUSED", e.errno)
"""


def test_supervisor_approve_rule_refused(gw):
    d, sh, port = gw
    p = sh(f"/usr/bin/python3 -c '{PY_DIRECT}' {port} 2>&1")
    assert "REFUSED" in p.stdout and "CONNECTED" not in p.stdout, p.stdout
    assert f"connection to 127.0.0.3:{port} denied by rule " \
        f"approve-loopback-three: {WORDS}" in p.stdout, p.stdout
    ev = [e for e in events(d, "net") if e.get("remote") ==
          f"127.0.0.3:{port}"]
    assert ev, events(d, "net")
    assert ev[-1]["policy"]["rule"] == "approve-loopback-three"
    assert_approval_event(ev[-1])
