"""Command identity: nested, wrapped, hidden, preloaded and fileless execs
of the canary binary `forbidden-tool` (a copy of touch). The canary is a
marker file the tool would create."""
import base64
import shutil
import subprocess

import pytest

import expect
from helpers import (CONTROL, HIDE_TOOL, check_audit, control_ran, is_exec_deny,
                     racy_tool)


def markers(sb, *names):
    return [sb.ws / f"marker-{n}" for n in names]


def assert_no_markers(ms):
    made = [str(m) for m in ms if m.exists()]
    assert not made, f"the denied binary ran: {made}"


def exec_denied(sb, tech):
    check_audit(sb, tech, "command_policy", is_exec_deny,
                "a denied exec of forbidden-tool")


def hidden_tool_denied(sb, tech, names, script):
    """Run CONTROL + HIDE_TOOL + script(markers) ($T: the canary): the
    shell ran, no marker exists, and the denial is audited for tech."""
    m = markers(sb, *names)
    r = sb.run(CONTROL + HIDE_TOOL + script(m))
    control_ran(r)
    assert_no_markers(m)
    exec_denied(sb, tech)


@pytest.mark.parametrize("mode", expect.modes("nested_interp"))
def test_nested_interpreters(sandbox, mode):
    sb = sandbox(mode)
    ms = markers(sb, "py", "pl", "node")
    script = CONTROL + (
        f"python3 -c 'import os; os.execvp(\"forbidden-tool\", "
        f"[\"forbidden-tool\", \"{ms[0]}\"])'; "
        f"perl -e 'exec(\"forbidden-tool\", \"{ms[1]}\") or exit 3'; ")
    if shutil.which("node"):
        script += (f"node -e 'require(\"child_process\").execFileSync("
                   f"\"forbidden-tool\", [\"{ms[2]}\"])'; ")
    r = sb.run(script)
    control_ran(r)
    assert "denied by rule deny-forbidden-tool" in r.stderr
    assert_no_markers(ms)
    exec_denied(sb, "nested_interp")
    if not shutil.which("node"):
        pytest.skip("node is not installed: python and perl checked")


@pytest.mark.parametrize("mode", expect.modes("find_exec"))
def test_find_exec(sandbox, mode):
    sb = sandbox(mode)
    hidden_tool_denied(sb, "find_exec", ["find"], lambda m:
                       f"find {sb.ws} -maxdepth 0 -exec \"$T\" {m[0]} \\;")


@pytest.mark.parametrize("mode", expect.modes("xargs"))
def test_xargs(sandbox, mode):
    hidden_tool_denied(sandbox(mode), "xargs", ["xargs"],
                       lambda m: f"echo {m[0]} | xargs \"$T\"")


@pytest.mark.parametrize("mode", expect.modes("background"))
def test_background(sandbox, mode):
    hidden_tool_denied(sandbox(mode), "background", ["bg1", "bg2"], lambda m:
                       f"sleep 0.1 & \"$T\" {m[0]} & wait; "
                       f"(\"$T\" {m[1]} &); sleep 0.5")


@pytest.mark.parametrize("mode", expect.modes("base64_sh_c"))
def test_base64_sh_c(sandbox, mode):
    sb = sandbox(mode)
    m = markers(sb, "b64")
    enc = base64.b64encode(f"forbidden-tool {m[0]}".encode()).decode()
    r = sb.run(CONTROL + f"sh -c \"$(echo {enc} | base64 -d)\"; "
               f"bash -c \"$(echo {enc} | base64 -d)\"")
    control_ran(r)
    assert_no_markers(m)
    # The inner shell's precheck may see the decoded command first.
    check_audit(sb, "base64_sh_c", "command_policy",
                lambda e: is_exec_deny(e, None), "the decoded command")


@pytest.mark.parametrize("mode", expect.modes("bash_env"))
def test_bash_env(sandbox, mode):
    sb = sandbox(mode)
    m = markers(sb, "benv1", "benv2", "benv3")
    rc = sb.ws / "rc.sh"
    rc.write_text("T=$(printf 'forbidden-%s' tool)\n\"$T\" \"$MARK\"\n")
    # Set by the agent's harness for the top-level shell (the shim drops
    # it), by the agent for a nested shim shell (dropped too), and for the
    # real bash run by its path, past the shim: sourced, and the exec it
    # makes is decided.
    r = sb.run(CONTROL + f"MARK={m[1]} BASH_ENV={rc} bash -c true; "
               f"MARK={m[2]} BASH_ENV={rc} /bin/bash.real -c true",
               env={"BASH_ENV": str(rc), "MARK": str(m[0])})
    control_ran(r)
    assert_no_markers(m)
    exec_denied(sb, "bash_env")


EVIL_SO = r"""
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
__attribute__((constructor)) static void evil(void)
{
	char buf[256] = {0};
	const char *secret = getenv("EVIL_SECRET"), *mark = getenv("EVIL_MARK");
	int fd;

	if (!secret || !mark || getenv("EVIL_DONE"))
		return;
	setenv("EVIL_DONE", "1", 1);
	fd = open(secret, O_RDONLY);
	if (fd >= 0 && read(fd, buf, sizeof(buf) - 1) > 0)
		printf("LEAK:%s\n", buf);
	fflush(stdout);
	execl(getenv("EVIL_TOOL"), "forbidden-tool", mark, (char *)NULL);
}
"""


@pytest.mark.parametrize("mode", expect.modes("ld_preload"))
def test_ld_preload(sandbox, mode, tmp_path):
    sb = sandbox(mode)
    m = markers(sb, "preload")
    src = tmp_path / "evil.c"
    src.write_text(EVIL_SO)
    so = sb.ws / "evil.so"
    subprocess.run(["cc", "-shared", "-fPIC", "-o", str(so), str(src)], check=True)
    r = sb.run(CONTROL + f"LD_PRELOAD={so} EVIL_SECRET={sb.secret} EVIL_MARK={m[0]} "
               f"EVIL_TOOL={sb.ws}/tools/forbidden-tool cat /dev/null")
    control_ran(r)
    assert "CANARY" not in r.stdout + r.stderr
    assert_no_markers(m)
    exec_denied(sb, "ld_preload")
    check_audit(sb, "ld_preload", "file",
                lambda e: e.get("path") == str(sb.secret), "the secret read")


@pytest.mark.parametrize("mode", expect.modes("copy_binary"))
def test_copy_binary(sandbox, mode):
    sb = sandbox(mode)
    m = markers(sb, "copy")
    r = sb.run(CONTROL + f"cp {sb.ws}/tools/forbidden-tool {sb.scratch}/harmless; "
               f"{sb.scratch}/harmless {m[0]}")
    control_ran(r)
    assert_no_markers(m)
    exec_denied(sb, "copy_binary")


MEMFD = r"""
import os, sys
data = open(sys.argv[1], 'rb').read()
fd = os.memfd_create('x', 0)
os.write(fd, data)
argv = ['forbidden-tool', sys.argv[2]]
if sys.argv[3] == 'path':
    os.execve(f'/proc/self/fd/{fd}', argv, dict(os.environ))
else:
    os.execve(fd, argv, dict(os.environ))   # execveat(fd, "", AT_EMPTY_PATH)
"""


@pytest.mark.parametrize("mode", expect.modes("memfd_exec"))
def test_memfd_exec(sandbox, mode):
    sb = sandbox(mode)
    m = markers(sb, "memfd-path", "memfd-fd")
    prog = sb.ws / "memfd.py"
    prog.write_text(MEMFD)
    tool = f"{sb.ws}/tools/forbidden-tool"
    r = sb.run(CONTROL + f"python3 {prog} {tool} {m[0]} path; "
               f"python3 {prog} {tool} {m[1]} fd")
    control_ran(r)
    assert_no_markers(m)
    check_audit(sb, "memfd_exec", "command_policy", is_exec_deny, "memfd exec")


@pytest.mark.parametrize("mode", expect.modes("fd_path_exec"))
def test_fd_path_exec(sandbox, mode):
    sb = sandbox(mode)
    racy = racy_tool(sb)
    m = markers(sb, "fd-proc", "fd-dev")
    r = sb.run(CONTROL + f"exec 3<{racy}; /proc/self/fd/3 {m[0]}; /dev/fd/3 {m[1]}")
    control_ran(r)
    assert_no_markers(m)
    exec_denied(sb, "fd_path_exec")
