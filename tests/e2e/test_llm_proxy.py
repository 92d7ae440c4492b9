"""The embedded LLM proxy end to end, driven by the OFFICIAL SDKs from npm
(@anthropic-ai/sdk, openai; tests/e2e/llm, installed by
scripts/install-npm.sh) run inside an agentsh session with `agentsh exec`,
so that they find the proxy through the ANTHROPIC_BASE_URL / OPENAI_BASE_URL
agentsh injects.

The providers cannot be reached from the test machine: a local TLS server
(llm_upstream.py, stdlib http.server + ssl, certificate from a CA made by
openssl at test time, trusted by the daemon through SSL_CERT_FILE) stands
in for both. It records what it received and answers JSON or SSE."""
import gzip
import json
import os
import re
import shutil
import subprocess
import time

import pytest

from gateway import (TOP, Daemon, build_dir, bwrap_cmd, cap_net_admin,
                     make_root)
from llm_upstream import Reply, Upstream, make_ca

AGENTSH = str(build_dir() / "agentsh")
SHIM = str(build_dir() / "agentsh-shell-shim")
LLM_DIR = TOP / "tests" / "e2e" / "llm"
SDK = str(LLM_DIR / "sdk.mjs")
EMAIL = "alice.smith@acmecorp.net"
AWS_KEY = "AKIAQ3EGRVUXNWX7ZPKT"
IMG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
SIG = "EqQBCkYIARgCIkBvZ3Vz+/sig/with+alice.smith@acmecorp.net/inside=="
# The SDKs must be able to read their own files from the session.
READ_RULE = f"""file_rules:
  - name: allow-llm-sdks
    paths: ["{LLM_DIR}", "{LLM_DIR}/**"]
    operations: [read, open, stat, list, readlink]
    decision: allow

"""

if shutil.which("node") is None or not (LLM_DIR / "node_modules").is_dir():
    pytest.skip("node and scripts/install-npm.sh are needed",
                allow_module_level=True)


def policy():
    text = (TOP / "etc" / "policies" / "default.yaml").read_text()
    return text.replace("file_rules:\n", READ_RULE, 1)


def config(up, dlp_mode, openai_host="127.0.0.1"):
    # anthropic by name (host name check), openai by IP (IP SAN check)
    return ("proxy:\n  mode: embedded\n  providers:\n"
            f"    anthropic: \"https://localhost:{up.port}\"\n"
            f"    openai: \"https://{openai_host}:{up.port}\"\n"
            f"dlp:\n  mode: {dlp_mode}\n")


TRANSPARENT = "  network:\n    transparent:\n      enabled: true\n"


class Env:
    def __init__(self, tmp, up, dlp_mode, ca, transparent=False):
        self.up = up
        self.d = Daemon(tmp / "d", policy_text=policy(),
                        extra_config=(TRANSPARENT if transparent else "")
                        + config(up, dlp_mode))
        self.d.start(env={"SSL_CERT_FILE": ca})
        self.ws = tmp / "ws"
        self.ws.mkdir()
        self.env = {"PATH": "/usr/bin:/bin", "HOME": "/root",
                    "AGENTSH_SOCKET": str(self.d.sock)}
        st, _ = self.d.request("POST", "/api/v1/sessions",
                               {"id": "s1", "workspace": str(self.ws)})
        assert st == 201

    def agentsh(self, *args, timeout=60):
        return subprocess.run([AGENTSH, *args], capture_output=True,
                              text=True, env=self.env, cwd=self.ws,
                              timeout=timeout)

    def sdk(self, call, params, sid="s1"):
        r = self.agentsh("exec", sid, "--", "node", SDK,
                         json.dumps({"call": call, "params": params}))
        assert r.stdout, r.stderr
        return json.loads(r.stdout.splitlines()[-1])

    def status(self, sid="s1"):
        r = self.agentsh("proxy", "status", sid, "--json")
        assert r.returncode == 0, r.stderr
        return json.loads(r.stdout)

    def port(self, sid="s1"):
        return int(self.status(sid)["address"].rsplit(":", 1)[1])

    def events(self, typ):
        st, body = self.d.request("GET", f"/api/v1/events/search?type={typ}"
                                  "&limit=500")
        assert st == 200
        return body["events"] if isinstance(body, dict) else body


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    return make_ca(tmp_path_factory.mktemp("ca"))


@pytest.fixture(scope="module")
def upstream(pki):
    up = Upstream(tls=(pki[1], pki[2]))
    yield up
    up.stop()


@pytest.fixture(scope="module")
def redact(tmp_path_factory, upstream, pki):
    e = Env(tmp_path_factory.mktemp("redact"), upstream, "redact", pki[0])
    yield e
    e.d.stop()


@pytest.fixture(scope="module")
def tokenize(tmp_path_factory, upstream, pki):
    e = Env(tmp_path_factory.mktemp("tokenize"), upstream, "tokenize", pki[0])
    yield e
    e.d.stop()


@pytest.fixture(autouse=True)
def fresh(upstream):
    upstream.clear()
    yield


def anthropic_msg(text="ok", usage=None):
    return {"id": "msg_1", "type": "message", "role": "assistant",
            "model": "claude-test", "content": [{"type": "text", "text": text}],
            "stop_reason": "end_turn", "stop_sequence": None,
            "usage": usage or {"input_tokens": 3, "output_tokens": 1}}


def sse(events):
    """Anthropic / Responses framing: event: + data: lines."""
    return [f"event: {e['type']}\ndata: {json.dumps(e)}\n\n".encode()
            for e in events]


def split_pieces(pieces, cut=7):
    """Cut every SSE event into two TCP writes, mid-JSON."""
    out = []
    for p in pieces:
        out += [p[:cut], p[cut:]] if len(p) > cut else [p]
    return out


def test_base_urls_injected_after_env_filtering(redact):
    # The default policy's env allow-list has neither variable in it.
    r = redact.agentsh("exec", "s1", "--", "sh", "-c",
                       "echo $ANTHROPIC_BASE_URL $OPENAI_BASE_URL "
                       "$AGENTSH_SESSION_ID")
    assert r.returncode == 0, r.stderr
    port = redact.port()
    assert r.stdout.split() == [f"http://127.0.0.1:{port}",
                                f"http://127.0.0.1:{port}/v1", "s1"]
    st = redact.status()
    t0 = time.monotonic()  # the rules compile off the daemon's start path
    while st["dlp_state"] == "compiling" and time.monotonic() - t0 < 60:
        time.sleep(0.05)
        st = redact.status()
    assert st["dlp_state"] == "ready"
    assert st["state"] == "running" and st["mode"] == "embedded"
    assert st["dlp_mode"] == "redact" and st["active_patterns"] > 0
    assert "email" in st["pattern_names"]
    started = [e for e in redact.events("llm_proxy_started")
               if e.get("session_id") == "s1"]
    assert started


def test_base_urls_in_shimmed_shell(redact, tmp_path_factory):
    # The shim path: bash in a test root with the shim in front of it.
    tmp = tmp_path_factory.mktemp("root")
    root, etc = make_root(tmp, redact.d, SHIM, AGENTSH)
    p = subprocess.run(bwrap_cmd(root, etc, tmp, ["bash", "-c",
                       "echo $AGENTSH_SESSION_ID $ANTHROPIC_BASE_URL "
                       "$OPENAI_BASE_URL"], cwd=redact.ws),
                       capture_output=True, text=True, timeout=60,
                       env={"PATH": "/usr/bin:/bin", "HOME": "/root"})
    assert p.returncode == 0, p.stderr
    sid, a, o = p.stdout.split()
    port = redact.port(sid)
    assert (a, o) == (f"http://127.0.0.1:{port}", f"http://127.0.0.1:{port}/v1")


@pytest.mark.skipif(not cap_net_admin(), reason="transparent mode needs "
                    "CAP_NET_ADMIN; this test process does not have it")
def test_proxy_reachable_in_transparent_session(tmp_path_factory, upstream,
                                                pki):
    """A transparent session has its own network namespace with loopback
    only: its LLM proxy listens in there (the port its nftables rules let
    through) while dialing the provider from the daemon's namespace."""
    e = Env(tmp_path_factory.mktemp("transp"), upstream, "redact", pki[0],
            transparent=True)
    try:
        st, body = e.d.request("GET", "/api/v1/sessions/s1")
        assert st == 200 and body["transparent"] is True, body
        r = e.agentsh("exec", "s1", "--", "sh", "-c",
                      "echo $ANTHROPIC_BASE_URL; readlink /proc/self/ns/net")
        assert r.returncode == 0, r.stderr
        url, ns = r.stdout.split()
        assert url == "http://127.0.0.1:15002" and e.port() == 15002
        assert ns != os.readlink("/proc/self/ns/net")
        upstream.reply(Reply(body=anthropic_msg("through the namespace")))
        out = e.sdk("anthropic.create", {
            "model": "claude-test", "max_tokens": 16,
            "messages": [{"role": "user", "content": f"mail {EMAIL}"}]})
        assert out["ok"] and out["text"] == "through the namespace", out
        assert len(upstream.received) == 1
        assert EMAIL.encode() not in upstream.received[0]["body"]
    finally:
        e.d.stop()


def test_anthropic_request_redacted_and_opaque_fields_identical(redact, upstream):
    upstream.reply(Reply(body=anthropic_msg("done")))
    params = {"model": "claude-test", "max_tokens": 16, "messages": [
        {"role": "user", "content": [
            {"type": "text", "text": f"mail {EMAIL} key {AWS_KEY} please"},
            {"type": "image", "source": {"type": "base64",
                                         "media_type": "image/png",
                                         "data": IMG}}]},
        {"role": "assistant", "content": [
            {"type": "thinking", "thinking": f"reply to {EMAIL}",
             "signature": SIG},
            {"type": "text", "text": "sure"}]},
        {"role": "user", "content": "thanks"}]}
    out = redact.sdk("anthropic.create", params)
    assert out["ok"] and out["text"] == "done", out
    assert len(upstream.received) == 1
    got = upstream.received[0]
    assert got["path"] == "/v1/messages"
    raw = got["body"]
    assert EMAIL.encode() not in raw.replace(SIG.encode(), b"").replace(
        f"reply to {EMAIL}".encode(), b"")
    assert AWS_KEY.encode() not in raw
    body = json.loads(raw)
    text = body["messages"][0]["content"][0]["text"]
    assert text.startswith("mail [REDACTED:") and "please" in text
    # images, thinking and its signature: byte-identical
    assert body["messages"][0]["content"][1]["source"]["data"] == IMG
    assert IMG.encode() in raw and SIG.encode() in raw
    assert body["messages"][1]["content"][0]["thinking"] == f"reply to {EMAIL}"
    assert body["messages"][2]["content"] == "thanks"
    # this SDK version sends the key as a bearer token; anthropic-version
    # still picks the Anthropic provider (reached by name: localhost)
    h = got["headers"]
    assert "sk-ant-test" in (h.get("x-api-key", "") + h.get("authorization", ""))
    assert h["host"] == f"localhost:{upstream.port}"
    assert got["headers"]["accept-encoding"] == "identity"
    ev = [e for e in redact.events("llm_request")
          if e.get("fields", {}).get("changed")][-1]
    reds = ev["fields"]["redactions"]
    assert {r["path"] for r in reds} == {"messages[0].content[0].text"}
    assert sum(r["count"] for r in reds) == 2
    assert EMAIL not in json.dumps(ev) and AWS_KEY not in json.dumps(ev)
    assert "sk-ant-test" not in json.dumps(redact.events("llm_request"))


def curl(port, path, body, headers=(), enc=None):
    """curl straight at the proxy; (status, response body)."""
    args = ["curl", "-s", "-o", "-", "-w", "\n%{http_code}",
            "--data-binary", "@-", f"http://127.0.0.1:{port}{path}",
            "-H", "content-type: application/json"]
    for h in headers:
        args += ["-H", h]
    if enc:
        args += ["-H", f"content-encoding: {enc}"]
    p = subprocess.run(args, input=body, capture_output=True, timeout=30)
    out, _, code = p.stdout.rpartition(b"\n")
    return int(code), out


def test_unchanged_body_forwarded_verbatim(redact, upstream):
    upstream.reply(Reply(body=anthropic_msg()))
    body = (b'{ "model" :"m",\n  "max_tokens": 4, "messages": [{"role":"user",'
            b'"content":"caf\\u00e9 \\/ nothing secret"}]  }')
    st, _ = curl(redact.port(), "/v1/messages", body,
                 ["x-api-key: k", "anthropic-version: 2023-06-01"])
    assert st == 200
    assert upstream.received[0]["body"] == body
    assert upstream.received[0]["headers"]["anthropic-version"] == "2023-06-01"


@pytest.mark.parametrize("enc", ["gzip", "zstd"])
def test_compressed_bodies(redact, upstream, enc):
    plain = json.dumps({"model": "m", "messages": [
        {"role": "user", "content": f"hi {EMAIL}"}]}).encode()
    if enc == "gzip":
        packed = gzip.compress(plain)
    else:
        packed = subprocess.run(["zstd", "-q", "-c"], input=plain,
                                capture_output=True, check=True).stdout
    upstream.reply(Reply(body={"choices": [], "usage": {}}))
    st, _ = curl(redact.port(), "/v1/chat/completions", packed,
                 ["authorization: Bearer sk-test"], enc=enc)
    assert st == 200
    got = upstream.received[0]
    assert "content-encoding" not in got["headers"]  # rewritten: identity
    body = json.loads(got["body"])
    assert EMAIL not in got["body"].decode()
    assert body["messages"][0]["content"].startswith("hi [REDACTED:")
    # nothing to change: forwarded as received, still compressed
    clean = json.dumps({"model": "m", "messages": []}).encode()
    packed = gzip.compress(clean) if enc == "gzip" else subprocess.run(
        ["zstd", "-q", "-c"], input=clean, capture_output=True).stdout
    upstream.reply(Reply(body={"choices": []}))
    st, _ = curl(redact.port(), "/v1/chat/completions", packed,
                 ["authorization: Bearer sk-test"], enc=enc)
    assert st == 200 and upstream.received[1]["body"] == packed
    assert upstream.received[1]["headers"]["content-encoding"] == enc


@pytest.mark.parametrize("body,enc,code", [
    (b'{"model": "m", "messages": [', None, 400),
    (b"\x1f\x8b\x08\x00garbage", "gzip", 400),
    (b'{"messages": []}', "br", 415),
])
def test_unscannable_bodies_refused(redact, upstream, body, enc, code):
    st, out = curl(redact.port(), "/v1/chat/completions", body,
                   ["authorization: Bearer sk-test"], enc=enc)
    assert st == code, out
    assert json.loads(out)["error"]["message"]
    assert upstream.received == []
    ev = redact.events("llm_request")[-1]["fields"]
    assert ev["refused"] is True and ev["status"] == code


def test_sdk_sees_refusal(redact, upstream):
    # a body on a route the DLP does not know is not forwarded unscanned
    st, out = curl(redact.port(), "/v1/embeddings", b'{"input": "x"}',
                   ["authorization: Bearer sk-test"])
    assert st == 403 and upstream.received == []


def anthropic_stream(parts, usage_in, out_tokens):
    ev = [{"type": "message_start", "message": {
        "id": "msg_s", "type": "message", "role": "assistant",
        "model": "claude-test", "content": [], "stop_reason": None,
        "stop_sequence": None, "usage": usage_in}},
        {"type": "content_block_start", "index": 0,
         "content_block": {"type": "text", "text": ""}}]
    ev += [{"type": "content_block_delta", "index": 0,
            "delta": {"type": "text_delta", "text": p}} for p in parts]
    ev += [{"type": "content_block_stop", "index": 0},
           {"type": "message_delta", "delta": {"stop_reason": "end_turn",
                                               "stop_sequence": None},
            "usage": {"output_tokens": out_tokens}},
           {"type": "message_stop"}]
    return split_pieces(sse(ev))


def learn_token(env, upstream):
    """Send the e-mail through the tokenizing proxy; the token upstream saw."""
    upstream.reply(Reply(body=anthropic_msg()))
    out = env.sdk("anthropic.create", {"model": "m", "max_tokens": 8,
        "messages": [{"role": "user", "content": f"write to {EMAIL}"}]})
    assert out["ok"], out
    raw = upstream.received[-1]["body"].decode()
    assert EMAIL not in raw
    m = re.search(r"DLP_[A-Z0-9_]+_[a-z2-7]{10}", raw)
    assert m, raw
    return m.group(0)


def test_tokenize_anthropic_stream_restored(tokenize, upstream):
    tok = learn_token(tokenize, upstream)
    cut = len(tok) // 2
    upstream.reply(Reply(sse=anthropic_stream(
        ["Sent to ", tok[:cut], tok[cut:] + " today."],
        {"input_tokens": 11, "cache_creation_input_tokens": 5,
         "cache_read_input_tokens": 7, "output_tokens": 1}, 9)))
    out = tokenize.sdk("anthropic.stream", {"model": "m", "max_tokens": 8,
        "messages": [{"role": "user", "content": "go"}]})
    assert out["ok"], out
    assert out["text"] == f"Sent to {EMAIL} today."
    assert out["content"][0]["text"] == f"Sent to {EMAIL} today."
    assert out["usage"]["output_tokens"] == 9


def chat_chunk(delta=None, usage=None):
    c = {"id": "c1", "object": "chat.completion.chunk", "created": 1,
         "model": "gpt-test",
         "choices": [] if delta is None else
         [{"index": 0, "delta": delta, "finish_reason": None}]}
    if usage is not None:
        c["usage"] = usage
    return f"data: {json.dumps(c)}\n\n".encode()


def test_tokenize_chat_stream_restored(tokenize, upstream):
    tok = learn_token(tokenize, upstream)
    pieces = [chat_chunk({"role": "assistant", "content": ""}),
              chat_chunk({"content": "Hi " + tok[:5]}),
              chat_chunk({"content": tok[5:13]}),
              chat_chunk({"content": tok[13:] + "!"}),
              chat_chunk(usage={"prompt_tokens": 20, "completion_tokens": 6,
                                "total_tokens": 26,
                                "prompt_tokens_details": {"cached_tokens": 4},
                                "completion_tokens_details":
                                    {"reasoning_tokens": 2}}),
              b"data: [DONE]\n\n"]
    upstream.reply(Reply(sse=split_pieces(pieces, 11)))
    out = tokenize.sdk("chat.stream", {"model": "gpt-test", "messages": [
        {"role": "user", "content": "go"}],
        "stream_options": {"include_usage": True}})
    assert out["ok"], out
    assert out["text"] == f"Hi {EMAIL}!"
    assert out["usage"]["completion_tokens_details"]["reasoning_tokens"] == 2


def responses_stream(tok):
    item = {"id": "msg_r", "type": "message", "status": "completed",
            "role": "assistant", "content": [{"type": "output_text",
            "text": f"To {tok}.", "annotations": []}]}
    resp = {"id": "resp_1", "object": "response", "created_at": 1,
            "status": "in_progress", "model": "gpt-test", "output": []}
    done = dict(resp, status="completed", output=[item], usage={
        "input_tokens": 30, "input_tokens_details": {"cached_tokens": 10},
        "output_tokens": 8, "output_tokens_details": {"reasoning_tokens": 3},
        "total_tokens": 38})
    base = {"item_id": "msg_r", "output_index": 0, "content_index": 0}
    ev = [{"type": "response.created", "response": resp},
          {"type": "response.output_item.added", "output_index": 0,
           "item": dict(item, status="in_progress", content=[])},
          {"type": "response.content_part.added", **base,
           "part": {"type": "output_text", "text": "", "annotations": []}},
          {"type": "response.output_text.delta", **base, "delta": "To " + tok[:9]},
          {"type": "response.output_text.delta", **base, "delta": tok[9:] + "."},
          {"type": "response.output_text.done", **base, "text": f"To {tok}."},
          {"type": "response.content_part.done", **base,
           "part": item["content"][0]},
          {"type": "response.output_item.done", "output_index": 0, "item": item},
          {"type": "response.completed", "response": done}]
    for i, e in enumerate(ev):
        e["sequence_number"] = i
    return split_pieces(sse(ev), 30)


def test_tokenize_responses_stream_restored(tokenize, upstream):
    tok = learn_token(tokenize, upstream)
    upstream.reply(Reply(sse=responses_stream(tok)))
    out = tokenize.sdk("responses.stream", {"model": "gpt-test",
                                            "input": "go"})
    assert out["ok"], out
    assert out["text"] == f"To {EMAIL}." and out["final"] == f"To {EMAIL}."
    assert upstream.received[-1]["path"] == "/v1/responses"


def test_usage_counted(tokenize, upstream):
    before = tokenize.status()
    upstream.reply(Reply(sse=anthropic_stream(
        ["a"], {"input_tokens": 100, "cache_creation_input_tokens": 20,
                "cache_read_input_tokens": 30, "output_tokens": 1}, 40)))
    out = tokenize.sdk("anthropic.stream", {"model": "m", "max_tokens": 8,
        "messages": [{"role": "user", "content": "go"}]})
    assert out["ok"], out
    upstream.reply(Reply(sse=responses_stream("DLP_X_aaaaaaaaaa")))
    out = tokenize.sdk("responses.stream", {"model": "m", "input": "go"})
    assert out["ok"], out
    after = tokenize.status()
    diff = {k: after[k] - before[k] for k in (
        "total_requests", "total_input_tokens", "total_output_tokens",
        "total_cache_read_tokens", "total_cache_creation_tokens",
        "total_reasoning_tokens")}
    assert diff == {"total_requests": 2, "total_input_tokens": 130,
                    "total_output_tokens": 48, "total_cache_read_tokens": 40,
                    "total_cache_creation_tokens": 20,
                    "total_reasoning_tokens": 3}
    resp = [e for e in tokenize.events("llm_response")
            if e.get("fields", {}).get("usage_known")]
    assert resp and resp[-1]["fields"]["usage"]["reasoning_tokens"] == 3
    text = subprocess.run([AGENTSH, "proxy", "status", "s1"],
                          capture_output=True, text=True, env=tokenize.env)
    assert "total_input_tokens: " in text.stdout


def test_certificate_verification_failure_refused(tmp_path, pki):
    # the upstream's certificate comes from a CA the daemon does not trust
    _, crt, key = make_ca(tmp_path / "other")
    bad = Upstream(tls=(crt, key))
    e = Env(tmp_path, bad, "redact", pki[0])
    try:
        out = e.sdk("chat.create", {"model": "m", "messages": [
            {"role": "user", "content": "hi"}]})
        assert not out["ok"] and out["status"] == 502, out
        assert "certificate" in out["error"]
        assert bad.received == []
        assert e.status()["responses_failed"] == 0
        assert e.status()["requests_refused"] == 1
    finally:
        e.d.stop()
        bad.stop()


def test_bodyless_request_forwarded_and_unknown_dialect_refused(redact, upstream):
    import urllib.error
    import urllib.request
    port = redact.port()
    upstream.reply(Reply(body={"data": [{"id": "m1"}]}))
    req = urllib.request.Request(f"http://127.0.0.1:{port}/v1/models?limit=5",
                                 headers={"Authorization": "Bearer sk-test"})
    with urllib.request.urlopen(req, timeout=30) as r:
        assert json.loads(r.read()) == {"data": [{"id": "m1"}]}
    got = upstream.received[-1]
    assert (got["method"], got["path"]) == ("GET", "/v1/models?limit=5")
    # the query string never reaches the audit log (it may hold keys)
    ev = redact.events("llm_request")[-1]
    assert ev["path"] == "/v1/models" and "limit" not in json.dumps(ev)
    # no key header and no known route: the original's 400
    with pytest.raises(urllib.error.HTTPError) as e:
        urllib.request.urlopen(f"http://127.0.0.1:{port}/v1/other", timeout=30)
    assert e.value.code == 400 and len(upstream.received) == 1


def test_chunked_request_body(redact, upstream):
    upstream.reply(Reply(body={"choices": []}))
    body = json.dumps({"model": "m", "messages": [
        {"role": "user", "content": f"to {EMAIL}"}]}).encode()
    st, _ = curl(redact.port(), "/v1/chat/completions", body,
                 ["authorization: Bearer sk-test",
                  "transfer-encoding: chunked"])
    assert st == 200
    got = upstream.received[0]
    assert "transfer-encoding" not in got["headers"]
    assert int(got["headers"]["content-length"]) == len(got["body"])
    assert EMAIL.encode() not in got["body"] and b"[REDACTED:" in got["body"]


def test_upstream_connections_kept_alive(redact, upstream):
    # one TLS connection upstream carries requests from several clients;
    # an answer with Connection: close is not followed on its connection
    body = b'{"model":"m","max_tokens":4,"messages":[]}'
    hdrs = ["x-api-key: k", "anthropic-version: 2023-06-01"]

    def ask(**kw):
        upstream.reply(Reply(body=anthropic_msg(), **kw))
        assert curl(redact.port(), "/v1/messages", body, hdrs)[0] == 200
        time.sleep(0.2)  # the proxy pools the connection after answering
        return upstream.conns

    n0 = upstream.conns
    assert ask() <= n0 + 1
    n1 = upstream.conns
    assert ask() == n1 and ask() == n1
    assert ask(headers={"Connection": "close"}) == n1
    assert ask() == n1 + 1
    assert len(upstream.received) == 5


def test_same_request_twice_same_answer(redact, upstream):
    # history is re-sent every turn: the same request must come out the
    # same, with the same redactions reported
    text = f"please forward this long message to {EMAIL} " + "x" * 80
    body = json.dumps({"model": "m", "messages": [
        {"role": "user", "content": text}]}).encode()
    for _ in range(2):
        upstream.reply(Reply(body={"choices": []}))
        st, _ = curl(redact.port(), "/v1/chat/completions", body,
                     ["authorization: Bearer sk-test"])
        assert st == 200
    a, b = upstream.received[0]["body"], upstream.received[1]["body"]
    assert a == b and EMAIL.encode() not in a and b"[REDACTED:" in a
    evs = [e["fields"] for e in redact.events("llm_request")][-2:]
    assert evs[0]["redactions"] == evs[1]["redactions"]
    assert evs[1]["redactions"][0]["path"] == "messages[0].content"


def test_gitleaks_rule_file_applied(tmp_path, upstream, pki):
    """The rules of a dlp.rule_files TOML file redact in the proxy too
    (the engine is the one `agentsh dlp scan --config` builds)."""
    rules = tmp_path / "rules.toml"
    rules.write_text("[[rules]]\nid = \"acme-deploy-token\"\n"
                     "regex = '''acme_dt_[0-9a-f]{24}'''\n")
    e = Env(tmp_path, upstream, f"redact\n  rule_files: [\"{rules}\"]",
            pki[0])
    try:
        upstream.reply(Reply(body=anthropic_msg()))
        token = "acme_dt_" + "0123456789abcdef01234567"
        body = json.dumps({"model": "m", "max_tokens": 4, "messages": [
            {"role": "user", "content": f"deploy with {token} now"}]})
        st, _ = curl(e.port(), "/v1/messages", body.encode(),
                     ["x-api-key: k", "anthropic-version: 2023-06-01"])
        assert st == 200
        got = upstream.received[0]["body"]
        assert token.encode() not in got
        assert b"deploy with [REDACTED:ACME_DEPLOY_TOKEN] now" in got
    finally:
        e.d.stop()
