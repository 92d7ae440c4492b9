"""agentsh policy check / policy test, driven through the real binary."""
import json

import pytest

WS = "/workspace/proj"


def ptest(run, policy, *args):
    proc = run("policy", "test", "--policy", policy, "--var",
               f"PROJECT_ROOT={WS}", "--json", *args)
    assert proc.returncode in (0, 1), proc.stderr
    out = json.loads(proc.stdout)
    for field in ("decision", "effective", "rule", "message"):
        assert field in out
    return proc.returncode, out


def test_version(run):
    proc = run("version")
    assert proc.returncode == 0
    assert proc.stdout.startswith("agentsh ")


@pytest.mark.parametrize("args", [["--help"], ["policy", "--help"],
                                  ["policy", "test", "--help"],
                                  ["policy", "check", "--help"]])
def test_help_is_a_manual(run, args):
    proc = run(*args)
    assert proc.returncode == 0
    for section in ("NAME", "SYNOPSIS"):
        assert section in proc.stdout


def test_check_reports_shadowed_git_rules(run, v0710):
    proc = run("policy", "check", v0710)
    assert proc.returncode == 0, proc.stderr
    assert "ok" in proc.stdout
    for rule in ("block-git-force-push", "block-git-push-main",
                 "block-git-reset-hard", "block-git-clean-force"):
        line = [l for l in proc.stderr.splitlines() if f"'{rule}'" in l]
        assert line, proc.stderr
        assert "can never match" in line[0]
        assert "allow-dev-tools" in line[0]
        assert ":" in line[0].split(" ")[0]  # file:line:col prefix


def test_check_strict_fails_on_warnings(run, v0710):
    proc = run("policy", "check", "--strict", v0710)
    assert proc.returncode == 1


def test_check_json(run, v0710, v072):
    proc = run("policy", "check", "--json", v0710, v072, check_json=True)
    assert proc.returncode == 0
    files = proc.json["files"]
    assert [f["ok"] for f in files] == [True, True]
    codes = {d["code"] for d in files[0]["diagnostics"]}
    assert "shadowed-rule" in codes
    legacy = [d for d in files[1]["diagnostics"] if d["code"] == "legacy-args-glob"]
    assert legacy and all(d["line"] > 0 and d["col"] > 0 for d in legacy)


def test_check_names_the_place_of_errors(run, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("version: 1\nname: x\ncommand_rules:\n  - name: r\n"
                   "    commands: [git]\n    args_patterns: ['push(']\n"
                   "    decision: deny\n")
    proc = run("policy", "check", bad)
    assert proc.returncode == 1
    assert f"{bad}:6:" in proc.stderr
    assert "command_rules[0] 'r'.args_patterns[0]" in proc.stderr


def test_check_unreadable_file(run, tmp_path):
    proc = run("policy", "check", tmp_path / "missing.yaml")
    assert proc.returncode == 1
    assert "cannot read" in proc.stderr


def test_first_match_wins_for_force_push(run, v0710):
    code, out = ptest(run, v0710, "--op", "exec", "--", "git", "push",
                      "--force", "origin", "main")
    assert code == 0
    assert out["decision"] == "allow" and out["rule"] == "allow-dev-tools"


def test_sudo_denied_with_rule(run, v0710):
    code, out = ptest(run, v0710, "--op", "exec", "--", "sudo", "whoami")
    assert code == 1
    assert out["effective"] == "deny"
    assert out["rule"] == "block-shell-escape"
    assert out["kind"] == "command"
    assert out["line"] > 0


def test_connect_evil_renders_template(run, v0710):
    code, out = ptest(run, v0710, "--op", "connect", "--host", "evil.com",
                      "--port", "443", "--ip", "203.0.113.7")
    assert code == 1
    assert out["rule"] == "block-evil-domains"
    assert out["message"] == "Connection to untrusted domain blocked: 203.0.113.7"
    assert "{{" not in out["message"]


def test_connect_hostname_without_ip_skips_cidrs(run, v0710):
    _, out = ptest(run, v0710, "--op", "connect", "--host", "metadata.internal",
                   "--port", "80")
    assert out["rule"] == "approve-unknown-http"
    _, out = ptest(run, v0710, "--op", "connect", "--host", "metadata.internal",
                   "--port", "80", "--ip", "169.254.169.254")
    assert out["rule"] == "block-private-networks"


def test_approve_without_approver_is_deny(run, v0710):
    code, out = ptest(run, v0710, "--op", "connect", "--host", "example.org",
                      "--port", "443")
    assert code == 1
    assert out["decision"] == "approve"
    assert out["effective"] == "deny"
    assert out["approval_required"] is True
    assert out["timeout_ms"] == 120000
    code, out = ptest(run, v0710, "--approvals", "--op", "connect", "--host",
                      "example.org", "--port", "443")
    assert out["effective"] == "approve"


def test_soft_delete_message(run, v0710):
    code, out = ptest(run, v0710, "--op", "delete", "--path",
                      f"{WS}/notes.txt")
    assert code == 0
    assert out["decision"] == "soft_delete"
    assert out["message"] == f"File quarantined (recoverable): {WS}/notes.txt"


def test_env_decisions(run, v0710, v072):
    code, out = ptest(run, v0710, "--op", "env", "--name", "AWS_SECRET_ACCESS_KEY")
    assert code == 1 and out["effective"] == "deny"
    code, out = ptest(run, v0710, "--op", "env", "--name", "HOME")
    assert code == 0
    code, out = ptest(run, v072, "--op", "env", "--name", "LD_PRELOAD")
    assert code == 1 and out["rule"] == "builtin-secret-env"


def test_depth_option(run, tmp_path):
    pol = tmp_path / "p.yaml"
    pol.write_text("version: 1\nname: d\ncommand_rules:\n"
                   "  - {name: nested-make, commands: [make], context: [nested],"
                   " decision: deny}\n  - {name: rest, commands: ['*'],"
                   " decision: allow}\n")
    _, out = ptest(run, pol, "--op", "exec", "--", "make")
    assert out["rule"] == "rest"
    _, out = ptest(run, pol, "--op", "exec", "--depth", "1", "--", "make")
    assert out["rule"] == "nested-make"


def test_redirect_is_reported(run, tmp_path):
    pol = tmp_path / "p.yaml"
    pol.write_text("version: 1\nname: r\ncommand_rules:\n"
                   "  - name: use-curl\n    commands: [wget]\n"
                   "    decision: redirect\n"
                   "    redirect_to: {command: curl, args: ['-fsSL']}\n")
    code, out = ptest(run, pol, "--op", "exec", "--", "wget", "x")
    assert code == 0
    assert out["redirect"] == {"command": "curl", "args": ["-fsSL"]}


@pytest.mark.parametrize("args,msg", [
    (["--op", "exec"], "needs -- COMMAND"),
    (["--op", "connect", "--host", "x"], "needs --host and --port"),
    (["--op", "frobnicate", "--path", "/x"], "unknown --op"),
    (["--op", "connect", "--host", "x", "--port", "99999"], "bad value"),
    (["--op", "connect", "--host", "x", "--port", "1", "--ip", "1.2.3.999"],
     "bad value"),
])
def test_usage_errors(run, v0710, args, msg):
    proc = run("policy", "test", "--policy", v0710, *args)
    assert proc.returncode == 2
    assert msg in proc.stderr


def test_undefined_variable_in_test_is_an_error(run, tmp_path):
    pol = tmp_path / "p.yaml"
    pol.write_text("version: 1\nname: v\nfile_rules:\n  - name: a\n"
                   "    paths: ['${SURELY_UNDEFINED_VAR}/**']\n"
                   "    decision: allow\n")
    proc = run("policy", "test", "--policy", pol, "--op", "read", "--path", "/x")
    assert proc.returncode == 2
    assert ":5:" in proc.stderr and "SURELY_UNDEFINED_VAR" in proc.stderr
    proc = run("policy", "check", pol)
    assert proc.returncode == 0
    assert "SURELY_UNDEFINED_VAR" in proc.stderr
