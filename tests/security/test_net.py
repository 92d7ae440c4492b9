"""Network: raw sockets, direct-IP connects past the proxy settings, UDP.
The canary: a listener on 127.0.0.2 (denied by the policy) that must see
no connection and no datagram."""
import socket
import threading
import time

import pytest

import expect
from helpers import CONTROL, check_audit, control_ran

CANARY_IP = "127.0.0.2"


class Listener:
    """TCP and UDP on the canary address; counts what arrives."""

    def __init__(self):
        self.tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.tcp.bind((CANARY_IP, 0))
        self.tcp.listen(16)
        self.port = self.tcp.getsockname()[1]
        self.udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.udp.bind((CANARY_IP, self.port))
        self.seen = []
        self.stop = False
        self.threads = [threading.Thread(target=self._tcp, daemon=True),
                        threading.Thread(target=self._udp, daemon=True)]
        for t in self.threads:
            t.start()

    def _tcp(self):
        self.tcp.settimeout(0.2)
        while not self.stop:
            try:
                c, a = self.tcp.accept()
                self.seen.append(("tcp", a))
                c.close()
            except OSError:
                pass

    def _udp(self):
        self.udp.settimeout(0.2)
        while not self.stop:
            try:
                d, a = self.udp.recvfrom(4096)
                self.seen.append(("udp", d))
            except OSError:
                pass

    def close(self):
        self.stop = True
        for t in self.threads:
            t.join()
        self.tcp.close()
        self.udp.close()


@pytest.fixture
def canary():
    lst = Listener()
    yield lst
    lst.close()


def net_denied(sb, tech, port, op=None):
    check_audit(sb, tech, "net",
                lambda e: e.get("remote") == f"{CANARY_IP}:{port}" and
                (e.get("policy") or {}).get("effective_decision") == "deny" and
                (op is None or e.get("operation") == op),
                f"the denied {op or 'connection'} to {CANARY_IP}:{port}")


@pytest.mark.parametrize("mode", expect.modes("raw_socket"))
def test_raw_socket(sandbox, mode):
    sb = sandbox(mode)
    r = sb.run(CONTROL + "python3 -c '\n"
               "import socket\n"
               "for fam, typ, proto in ((socket.AF_INET, socket.SOCK_RAW, 1),\n"
               "                        (socket.AF_INET6, socket.SOCK_RAW, 58),\n"
               "                        (socket.AF_PACKET, socket.SOCK_RAW, 0x300),\n"
               "                        (socket.AF_PACKET, socket.SOCK_DGRAM, 0x300)):\n"
               "    try:\n"
               "        socket.socket(fam, typ, proto); print(\"OPENED\", fam, typ)\n"
               "    except OSError as e:\n"
               "        print(\"refused\", e.errno)\n'")
    control_ran(r)
    assert "OPENED" not in r.stdout, r.stdout
    assert r.stdout.count("refused 1") == 4, r.stdout
    # No audit event exists for an in-kernel refusal: nothing to look up
    # unless the table says otherwise.
    check_audit(sb, "raw_socket", "net", lambda e: True, "a raw socket")


@pytest.mark.parametrize("mode", expect.modes("direct_ip_connect"))
def test_direct_ip_connect(sandbox, mode, canary):
    sb = sandbox(mode)
    port = canary.port
    r = sb.run(CONTROL +
               f"env -u HTTPS_PROXY -u HTTP_PROXY curl -s -m 3 --noproxy '*' "
               f"http://{CANARY_IP}:{port}/; "
               f"python3 -c 'import socket; s = socket.create_connection("
               f"(\"{CANARY_IP}\", {port}), 3)' 2>&1 | tail -1; "
               f"python3 -c 'import socket; s = socket.socket(socket.AF_INET6); "
               f"s.settimeout(3); s.connect((\"::ffff:{CANARY_IP}\", {port}))' "
               f"2>&1 | tail -1",
               env={"HTTPS_PROXY": "http://127.0.0.1:9", "HTTP_PROXY": "http://127.0.0.1:9"})
    control_ran(r)
    assert not canary.seen, f"the canary listener saw {canary.seen}"
    net_denied(sb, "direct_ip_connect", port, "connect")


@pytest.mark.parametrize("mode", expect.modes("udp_send"))
def test_udp_send(sandbox, mode, canary):
    sb = sandbox(mode)
    port = canary.port
    r = sb.run(CONTROL + "python3 -c '\n"
               "import socket\n"
               f"a = (\"{CANARY_IP}\", {port})\n"
               "s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
               "for f in (lambda: s.sendto(b\"exfil-sendto\", a),\n"
               "          lambda: s.sendmsg([b\"exfil-sendmsg\"], [], 0, a)):\n"
               "    try:\n"
               "        f()\n"
               "    except OSError as e:\n"
               "        print(\"refused\", e.errno)\n"
               "try:\n"
               "    s.connect(a); s.send(b\"exfil-connect\")\n"
               "except OSError as e:\n"
               "    print(\"refused\", e.errno)\n"
               "' 2>&1")
    control_ran(r)
    time.sleep(0.5)
    assert not canary.seen, f"the canary listener received {canary.seen}"
    net_denied(sb, "udp_send", port)


@pytest.mark.parametrize("mode", expect.modes("ipv6_rule_on_ipv4"))
def test_ipv6_rule_does_not_match_ipv4(sandbox, mode, canary):
    """An allow rule for an IPv6 prefix must not admit an IPv4 address
    that a later rule denies (7f00::/16 shares its first bytes with
    127.0.0.2 when the address is not stored IPv4-mapped)."""
    sb = sandbox(mode, net_rules='  - name: allow-some-ipv6\n'
                 '    cidrs: ["7f00::/16"]\n    decision: allow\n')
    port = canary.port
    r = sb.run(CONTROL + f"python3 -c 'import socket; socket.create_connection("
               f"(\"{CANARY_IP}\", {port}), 3)' 2>&1 | tail -1")
    control_ran(r)
    assert not canary.seen, f"the canary listener saw {canary.seen}"
    net_denied(sb, "ipv6_rule_on_ipv4", port, "connect")
