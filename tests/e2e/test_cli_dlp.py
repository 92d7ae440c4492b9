"""agentsh dlp scan through the real binary: findings name rule, display and
span, never the value; without --json the text comes back redacted."""
import json
import re


def test_dlp_scan_json_and_redaction(run, tmp_path):
    key = "AKIA" + "QWERTYUIOPASDFGH"  # an AWS access key id shape
    text = f"mail me at jane.doe@acme-corp.io\naws {key}\n"
    f = tmp_path / "in.txt"
    f.write_text(text)
    proc = run("dlp", "scan", "--json", f)
    assert proc.returncode == 1, proc.stderr  # 1: something was found
    out = json.loads(proc.stdout)
    found = {(x["display"], text[x["start"]:x["end"]]) for x in out["findings"]}
    assert all({"rule", "display", "start", "end"} <= set(x) for x in out["findings"])
    assert any(t == "jane.doe@acme-corp.io" for _, t in found)
    assert any(t == key for _, t in found)
    assert key not in proc.stdout and "jane.doe" not in proc.stdout
    proc = run("dlp", "scan", f)
    assert key not in proc.stdout and "[REDACTED:" in proc.stdout
    assert "mail me at" in proc.stdout


def test_dlp_scan_clean_text(run, tmp_path):
    f = tmp_path / "clean.txt"
    f.write_text("uuid 123e4567-e89b-12d3-a456-426614174000 at 2026-01-17T10:00:00Z\n")
    proc = run("dlp", "scan", "--json", f)
    assert proc.returncode == 0 and json.loads(proc.stdout)["findings"] == []


def test_dlp_scan_tokenize_mode(run, tmp_path):
    """dlp.mode tokenize: PII becomes DLP_<TYPE>_<tail> tokens (the same
    value, the same token), secrets stay redacted, JSON names the action,
    and scanning the output again finds nothing."""
    key = "AKIA" + "QWERTYUIOPASDFGH"
    text = "a jane.doe@acme-corp.io b jane.doe@acme-corp.io c " + key + "\n"
    f = tmp_path / "in.txt"
    f.write_text(text)
    cfg = tmp_path / "config.yaml"
    cfg.write_text("dlp:\n  mode: tokenize\n")
    proc = run("dlp", "scan", "--config", cfg, f)
    assert proc.returncode == 1, proc.stderr
    words = proc.stdout.split()
    assert re.fullmatch(r"DLP_EMAIL_[a-z2-7]{10}", words[1]), proc.stdout
    assert words[3] == words[1]
    assert words[5] == "[REDACTED:AWS_ACCESS_KEY]"
    assert "jane.doe" not in proc.stdout and key not in proc.stdout
    out = json.loads(run("dlp", "scan", "--json", "--config", cfg, f).stdout)
    assert [x["action"] for x in out["findings"]] == \
        ["tokenize", "tokenize", "redact"]
    again = tmp_path / "again.txt"
    again.write_text(proc.stdout)
    proc2 = run("dlp", "scan", "--json", "--config", cfg, again)
    assert proc2.returncode == 0 and json.loads(proc2.stdout)["findings"] == []
    # redact mode (the default) says so too
    out = json.loads(run("dlp", "scan", "--json", f).stdout)
    assert {x["action"] for x in out["findings"]} == {"redact"}


GITLEAKS_TOML = r"""
# A rule file in gitleaks' format (rules written for this test).
title = "test rules"

[[rules]]
id = "acme-deploy-token"
description = "ACME deploy token"
regex = '''acme_dt_[0-9a-f]{24}'''
keywords = ["acme_dt_"]

[rules.allowlist]
stopwords = ["example"]

[[rules]]
id = "env-file"
path = '''\.env$'''
"""


def test_dlp_scan_gitleaks_rule_file(run, tmp_path):
    """dlp.rule_files: the rules of a gitleaks-style TOML file are custom
    patterns (display = the id upper-cased); built-ins still apply."""
    rules = tmp_path / "rules.toml"
    rules.write_text(GITLEAKS_TOML)
    cfg = tmp_path / "config.yaml"
    cfg.write_text(f"dlp:\n  rule_files: [\"{rules}\"]\n")
    token = "acme_dt_" + "0123456789abcdef01234567"
    f = tmp_path / "in.txt"
    f.write_text(f"deploy with {token} as jane.doe@acme-corp.io\n")
    proc = run("dlp", "scan", "--json", "--config", cfg, f)
    assert proc.returncode == 1, proc.stderr
    found = {(x["rule"], x["display"]) for x in json.loads(proc.stdout)["findings"]}
    assert ("acme-deploy-token", "ACME_DEPLOY_TOKEN") in found, found
    assert any(d == "EMAIL" for _, d in found), found
    assert token not in proc.stdout
    out = run("dlp", "scan", "--config", cfg, f).stdout
    assert "[REDACTED:ACME_DEPLOY_TOKEN]" in out and token not in out


def test_dlp_scan_rule_file_errors(run, tmp_path):
    """A broken rule file names file:line:col; a relative path and a
    missing file are refused, not ignored (no silent loss of rules)."""
    bad = tmp_path / "bad.toml"
    bad.write_text("[[rules]]\nid = \"x\"\nregex = '''unterminated\n")
    f = tmp_path / "in.txt"
    f.write_text("nothing here\n")
    cases = [(f"[\"{bad}\"]", f"{bad}:3:"),
             (f"[\"{tmp_path / 'missing.toml'}\"]", "missing.toml"),
             ("[\"rules.toml\"]", "absolute path")]
    for files, want in cases:
        cfg = tmp_path / "config.yaml"
        cfg.write_text(f"dlp:\n  rule_files: {files}\n")
        proc = run("dlp", "scan", "--json", "--config", cfg, f)
        assert proc.returncode not in (0, 1), (files, proc.stdout)
        assert want in proc.stderr, (files, proc.stderr)
