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
