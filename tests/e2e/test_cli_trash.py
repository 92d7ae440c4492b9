"""agentsh trash list/restore/purge through the real binary, against a trash
filled by the trash_put helper (the library call the supervisor makes)."""
import hashlib
import json
import os
import pathlib
import subprocess
import time

import pytest

TOP = pathlib.Path(__file__).resolve().parents[2]
DAY_NS = 86400 * 10**9


@pytest.fixture(scope="module")
def put_bin():
    build = pathlib.Path(os.environ.get("AGENTSH_BUILD", str(TOP / "build")))
    path = build / "trash_put"
    assert os.access(path, os.X_OK), f"build with -Dtests=true first: {path}"
    return str(path)


def put(put_bin, root, session, path, time_ns=0, command="rm x", pid=7):
    proc = subprocess.run([put_bin, str(root), session, str(path),
                           str(time_ns), command, str(pid)],
                          capture_output=True, text=True, timeout=30)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.strip()


def test_list_restore_purge(run, put_bin, tmp_path):
    root, work = tmp_path / "trash", tmp_path / "w"
    work.mkdir()
    a = work / "a.txt"
    a.write_bytes(b"alpha\n\x00\xff")
    os.chmod(a, 0o640)
    os.utime(a, ns=(1_600_000_000_000_000_000, 1_600_000_000_123_456_789))
    os.setxattr(a, "user.k", b"v1")
    (work / "ln").symlink_to("a.txt")
    now = time.time_ns()
    ta = put(put_bin, root, "s1", a, now - 2 * DAY_NS, "rm -f a.txt", 99)
    tl = put(put_bin, root, "s2", work / "ln", now - 1 * DAY_NS)
    assert not a.exists() and not (work / "ln").is_symlink()

    proc = run("trash", "list", "--dir", root, "--json", check_json=True)
    assert proc.returncode == 0, proc.stderr
    entries = proc.json["entries"]
    assert [e["token"] for e in entries] == [ta, tl]  # oldest first
    e = entries[0]
    assert e["path"] == str(a) and e["session"] == "s1"
    assert e["type"] == "file" and e["size"] == 8
    assert e["sha256"] == hashlib.sha256(b"alpha\n\x00\xff").hexdigest()
    assert e["mode"] == "0640" and e["uid"] == os.getuid()
    assert e["mtime_ns"] == 1_600_000_000_123_456_789
    assert e["command"] == "rm -f a.txt" and e["pid"] == 99
    assert e["xattrs"] == ["user.k"] and e["time"].endswith("Z")
    assert entries[1]["type"] == "symlink" and "sha256" not in entries[1]
    assert proc.json["unreadable"] == 0
    proc = run("trash", "list", "--dir", root, "--session", "s2")
    assert proc.returncode == 0 and tl in proc.stdout and ta not in proc.stdout

    # Refused over an existing file, then forced; bytes and metadata back.
    a.write_text("newcomer")
    proc = run("trash", "restore", ta, "--dir", root)
    assert proc.returncode == 1 and "exists" in proc.stderr and ta in proc.stderr
    assert a.read_text() == "newcomer"
    proc = run("trash", "restore", ta, "--dir", root, "--force", "--json",
               check_json=True)
    assert proc.returncode == 0 and proc.json == {"token": ta, "path": str(a)}
    assert a.read_bytes() == b"alpha\n\x00\xff"
    st = a.stat()
    assert st.st_mode & 0o7777 == 0o640
    assert st.st_mtime_ns == 1_600_000_000_123_456_789
    assert os.getxattr(a, "user.k") == b"v1"
    proc = run("trash", "restore", ta, "--dir", root)
    assert proc.returncode == 1 and "no such entry" in proc.stderr

    proc = run("trash", "restore", tl, "--dir", root, "--dest", work / "ln2")
    assert proc.returncode == 0, proc.stderr
    assert os.readlink(work / "ln2") == "a.txt"

    # Purge by age: only the old one goes.
    b, c = work / "b", work / "c"
    b.write_text("b" * 100)
    c.write_text("c" * 50)
    tb = put(put_bin, root, "s1", b, now - 10 * DAY_NS)
    tc = put(put_bin, root, "s1", c, now)
    proc = run("trash", "purge", "--dir", root, "--ttl", "7d", "--json",
               check_json=True)
    assert proc.returncode == 0, proc.stderr
    assert proc.json["removed"] == 1 and proc.json["removed_bytes"] == 100
    assert proc.json["kept"] == 1
    proc = run("trash", "list", "--dir", root, "--json", check_json=True)
    assert [e["token"] for e in proc.json["entries"]] == [tc]
    proc = run("trash", "purge", "--dir", root, "--quota", "10")
    assert proc.returncode == 0 and "removed 1 entry" in proc.stdout
    proc = run("trash", "list", "--dir", root, "--json", check_json=True)
    assert proc.json["entries"] == [] and tb not in proc.stdout


def test_tampered_data_refused(run, put_bin, tmp_path):
    root, f = tmp_path / "trash", tmp_path / "f.txt"
    f.write_text("original")
    tok = put(put_bin, root, "s1", f)
    (root / "s1" / f"{tok}.data").write_text("tampered")
    proc = run("trash", "restore", tok, "--dir", root)
    assert proc.returncode == 1 and "SHA-256" in proc.stderr
    assert tok in proc.stderr and not f.exists()


@pytest.mark.parametrize("args", [
    ["trash"], ["trash", "nope"], ["trash", "purge"],
    ["trash", "purge", "--ttl", "soon"], ["trash", "purge", "--quota", "0"],
    ["trash", "list", "--session", "../x"], ["trash", "list", "--force"],
    ["trash", "restore"], ["trash", "restore", "XYZ"],
    ["trash", "restore", "0" * 32, "--ttl", "1d"],
])
def test_usage_errors(run, args, tmp_path):
    proc = run(*args, "--dir", tmp_path) if len(args) > 1 else run(*args)
    assert proc.returncode == 2, (args, proc.stdout, proc.stderr)


def test_help_and_empty(run, tmp_path):
    proc = run("trash", "--help")
    assert proc.returncode == 0 and "SYNOPSIS" in proc.stdout
    assert "restore TOKEN" in proc.stdout
    proc = run("trash", "list", "--dir", tmp_path / "none", "--json",
               check_json=True)
    assert proc.returncode == 0 and proc.json["entries"] == []
    assert "trash" in run("--help").stdout
