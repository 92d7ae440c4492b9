"""agentsh dlp scan through the real binary: findings name rule, display and
span, never the value; without --json the text comes back redacted."""
import json


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
