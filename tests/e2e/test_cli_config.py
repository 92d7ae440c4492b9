"""agentsh config check / show, and policy test --config, via the binary."""
import json
import pathlib

# Not imported from conftest: pytest may have another conftest module
# loaded under that name when tests/security runs in the same session.
TOP = pathlib.Path(__file__).resolve().parents[2]
COMPAT = TOP / "tests" / "data" / "compat"


def test_compat_configs_load_with_located_warnings(run):
    for ver in ("daytona-v0.7.2", "daytona-v0.7.10"):
        cfg = COMPAT / ver / "config.yaml"
        proc = run("config", "check", cfg)
        assert proc.returncode == 0, proc.stderr
        line = [l for l in proc.stderr.splitlines() if "default_policy" in l]
        assert line, proc.stderr
        assert line[0].startswith(f"{cfg}:")
        proc = run("config", "check", "--strict", cfg)
        assert proc.returncode == 1


def test_config_show_json_hides_nothing_it_should_not(run, tmp_path):
    cfg = tmp_path / "c.yaml"
    cfg.write_text("server:\n  http:\n    addr: ${TEST_ADDR}\n"
                   "dlp:\n  mode: tokenize\n")
    proc = run("config", "show", "--json", cfg,
               env={"TEST_ADDR": "127.0.0.1:19999", "AGENTSH_DLP_MODE": "redact"})
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["server"]["http"]["addr"] == "127.0.0.1:19999"
    assert out["dlp"]["mode"] == "redact"


def test_config_refuses_open_listener_without_auth(run, tmp_path):
    cfg = tmp_path / "c.yaml"
    cfg.write_text("server:\n  http:\n    addr: 0.0.0.0:18080\n")
    proc = run("config", "check", cfg)
    assert proc.returncode == 1
    assert f"{cfg}:3:" in proc.stderr


def test_policy_test_uses_config(run, tmp_path, v0710):
    cfg = tmp_path / "c.yaml"
    cfg.write_text("approvals:\n  enabled: true\n  mode: local_tty\n"
                   "policies:\n  dir: " + str(v0710.parent) + "\n"
                   "  project_markers: [MARKER]\n")
    ws = tmp_path / "proj" / "sub"
    ws.mkdir(parents=True)
    (tmp_path / "proj" / "MARKER").write_text("")
    proc = run("policy", "test", "--config", cfg, "--policy", "default",
               "--workspace", ws, "--json", "--op", "delete", "--path",
               tmp_path / "proj" / "x")
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["rule"] == "soft-delete-workspace"
    proc = run("policy", "test", "--config", cfg, "--policy", "default",
               "--json", "--op", "connect", "--host", "example.org",
               "--port", "443")
    out = json.loads(proc.stdout)
    assert out["effective"] == "approve"


def test_policy_md_lists_the_real_defaults(run, tmp_path):
    """docs/POLICY.md §2.4 must stay what `config show` prints."""
    empty = tmp_path / "empty.yaml"
    empty.write_text("")
    proc = run("config", "show", empty, env={"AGENTSH_DATA_DIR": ""})
    assert proc.returncode == 0, proc.stderr
    shown = "\n".join(l for l in proc.stdout.splitlines()
                      if not l.startswith("#"))
    doc = (TOP / "docs" / "POLICY.md").read_text()
    block = doc.split("### 2.4")[1].split("```yaml\n")[1].split("```")[0]
    assert block.strip() == shown.strip()


def test_detect_tells_the_truth_under_ebusy(agentsh_bin):
    """With a listener already held by an ancestor (as Daytona's runtime
    does), user-notify is reported unavailable with EBUSY."""
    import os
    import subprocess
    build = pathlib.Path(os.environ.get("AGENTSH_BUILD", str(TOP / "build")))

    def notify_detail(argv):
        out = subprocess.run(argv, capture_output=True, text=True, timeout=60)
        assert out.returncode == 0, out.stderr
        doms = {d["name"]: d for d in json.loads(out.stdout)["domains"]}
        k = doms["kernel"]
        return [x for x in k["details"] + k.get("why_not", [])
                if x.startswith("seccomp_user_notify")][0]

    here = notify_detail([agentsh_bin, "detect", "--json"])
    assert "installed" in here
    held = notify_detail([str(build / "hold_listener"), agentsh_bin, "detect",
                          "--json"])
    assert "EBUSY" in held


def _build():
    import os
    return pathlib.Path(os.environ.get("AGENTSH_BUILD", str(TOP / "build")))


def _detect(argv):
    import subprocess
    out = subprocess.run(argv, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def test_detect_selects_the_mode_here_and_under_ebusy(agentsh_bin, tmp_path):
    """auto selects full where user-notify works, ptrace under a held
    listener, and says what ptrace mode costs per domain."""
    cfg = tmp_path / "c.yaml"
    cfg.write_text("security:\n  mode: auto\n  minimum_mode: full\n")
    here = _detect([agentsh_bin, "detect", "--json", "--config", str(cfg)])
    assert here["modes"]["full"]["available"] is True
    assert here["selected_mode"] == "full"
    assert here["satisfies_minimum"] is True
    assert here["config"] == {"file": str(cfg), "mode": "auto",
                              "minimum_mode": "full"}
    for dom in ("file", "command", "network", "env", "resource_limits",
                "isolation"):
        p = here["protection"][dom]
        assert 0 <= p["score"] <= p["max_score"]
        assert len(p["have"]) == p["score"]
    assert here["protection"]["file"]["missing"] == []
    assert "domains" in here and "resource_limits" in here  # kept fields

    held = _detect([str(_build() / "hold_listener"), agentsh_bin, "detect",
                    "--json", "--config", str(cfg)])
    assert held["modes"]["full"]["available"] is False
    assert "busy" in held["modes"]["full"]["why"]
    assert held["modes"]["ptrace"]["available"] is True
    assert held["selected_mode"] == "ptrace"
    assert held["satisfies_minimum"] is False
    f = held["protection"]["file"]
    assert f["score"] < f["max_score"]
    assert any("Landlock allowlists" in m["cost"] for m in f["missing"])
    n = held["protection"]["network"]["missing"]
    assert any("TCP ports" in m["cost"] for m in n)
    # Without --config: the defaults (auto, no minimum).
    dflt = _detect([str(_build() / "hold_listener"), agentsh_bin, "detect",
                    "--json"])
    assert dflt["config"]["file"] is None
    assert dflt["config"]["minimum_mode"] == "none"
    assert dflt["satisfies_minimum"] is True


def test_daemon_refuses_to_run_below_minimum_mode(agentsh_bin, tmp_path):
    import subprocess
    cfg = tmp_path / "c.yaml"
    cfg.write_text("security:\n  minimum_mode: full\n"
                   f"server:\n  unix_socket:\n    path: {tmp_path}/s.sock\n"
                   f"audit:\n  storage:\n    sqlite_path: {tmp_path}/e.db\n"
                   f"sessions:\n  base_dir: {tmp_path}/sessions\n")
    out = subprocess.run([str(_build() / "hold_listener"), agentsh_bin,
                          "server", "--config", str(cfg)],
                         capture_output=True, text=True, timeout=30)
    assert out.returncode != 0
    assert "security mode ptrace" in out.stderr
    assert "below security.minimum_mode full" in out.stderr
    assert not (tmp_path / "s.sock").exists()
