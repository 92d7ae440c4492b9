"""Path aliases, races on the path buffer, and soft delete. The canaries:
the secret file's content never appears in any output; a marker file the
denied binary would create never exists."""
import hashlib
import subprocess

import pytest

import expect
from conftest import SECRET
from helpers import (CONTROL, HIDE_TOOL, check_audit, control_ran, is_exec_deny,
                     racy_tool)


def no_leak(r):
    assert SECRET not in r.stdout + r.stderr, "the canary secret was read"


def secret_denied(sb, tech):
    check_audit(sb, tech, "file",
                lambda e: e.get("path") == str(sb.secret) and
                (e.get("policy") or {}).get("effective_decision") == "deny",
                "the secret's read")


@pytest.mark.parametrize("mode", expect.modes("symlink_alias"))
def test_symlink_alias(sandbox, mode):
    sb = sandbox(mode)
    mark = sb.ws / "marker-symlink"
    r = sb.run(CONTROL + f"ln -s {sb.secret} {sb.ws}/innocent; cat {sb.ws}/innocent; "
               f"ln -s {sb.secret_dir} {sb.ws}/dir; cat {sb.ws}/dir/canary.txt; "
               f"ln -s {sb.ws}/tools/forbidden-tool {sb.scratch}/ok; "
               f"{sb.scratch}/ok {mark}")
    control_ran(r)
    no_leak(r)
    assert not mark.exists(), "the denied binary ran through a symlink"
    secret_denied(sb, "symlink_alias")
    check_audit(sb, "symlink_alias", "command_policy", is_exec_deny,
                "the exec through a symlink")


@pytest.mark.parametrize("mode", expect.modes("proc_root_alias"))
def test_proc_root_alias(sandbox, mode):
    sb = sandbox(mode)
    mark = sb.ws / "marker-procroot"
    r = sb.run(CONTROL + f"cat /proc/self/root{sb.secret}; "
               f"cat /proc/$$/root{sb.secret}; cat /proc/self/cwd/../secret/canary.txt; "
               f"exec 3<{sb.tmp}; cat /proc/self/fd/3/secret/canary.txt; " +
               HIDE_TOOL + f"/proc/self/root{sb.ws}/tools/$T {mark}")
    control_ran(r)
    no_leak(r)
    assert not mark.exists(), "the denied binary ran through /proc/self/root"
    # (cat /proc/$$/root/... is another process's root: always refused
    # and recorded as agentsh-protected; the process's own aliases are
    # what this technique is about.)
    check_audit(sb, "proc_root_alias", "file",
                lambda e: (e.get("policy") or {}).get("effective_decision") == "deny"
                and (e.get("policy") or {}).get("rule") != "agentsh-protected"
                and "canary" in (e.get("path") or ""),
                "a read through /proc/self")
    check_audit(sb, "proc_root_alias", "command_policy", is_exec_deny,
                "the exec through /proc/self/root")


OPEN_RACE = r"""
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static char buf[4096];
static const char *ok, *bad;
static volatile int stop;

static void *flip(void *arg)
{
	(void)arg;
	while (!stop) {
		strcpy(buf, ok);
		strcpy(buf, bad);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t th;
	char data[256];
	long n = 0, opened = 0;
	time_t end = time(NULL) + atoi(argv[3]);

	ok = argv[1];
	bad = argv[2];
	strcpy(buf, ok);
	pthread_create(&th, NULL, flip, NULL);
	while (time(NULL) < end) {
		int fd = open(buf, O_RDONLY);
		n++;
		if (fd < 0)
			continue;
		opened++;
		ssize_t r = read(fd, data, sizeof(data) - 1);
		if (r > 0) {
			data[r] = 0;
			if (strstr(data, "CANARY"))
				printf("LEAK %s", data);
		}
		close(fd);
	}
	stop = 1;
	pthread_join(th, NULL);
	printf("tries %ld opened %ld\n", n, opened);
	return 0;
}
"""

EXEC_RACE = r"""
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static char buf[4096];
static const char *ok, *bad;

static void *flip(void *arg)
{
	(void)arg;
	for (;;) {
		strcpy(buf, ok);
		strcpy(buf, bad);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	time_t end = time(NULL) + atoi(argv[4]);
	long tries = 0;

	ok = argv[1];
	bad = argv[2];
	while (time(NULL) < end && access(argv[3], F_OK) != 0) {
		pid_t pid = fork();
		if (pid == 0) {
			pthread_t th;
			char *args[] = {"racy-tool", argv[3], NULL};
			strcpy(buf, ok);
			pthread_create(&th, NULL, flip, NULL);
			for (int i = 0; i < 200; i++)
				execv(buf, args);
			_exit(0);
		}
		waitpid(pid, NULL, 0);
		tries++;
	}
	printf("forks %ld\n", tries);
	return 0;
}
"""


def compile_helper(tmp, name, src):
    c = tmp / f"{name}.c"
    c.write_text(src)
    out = tmp / name
    subprocess.run(["cc", "-O2", "-pthread", "-o", str(out), str(c)], check=True)
    return out


@pytest.mark.parametrize("mode", expect.modes("open_path_race"))
def test_open_path_race(sandbox, mode):
    sb = sandbox(mode)
    allowed = sb.ws / "allowed.txt"
    allowed.write_text("harmless\n")
    prog = compile_helper(sb.scratch, "open_race", OPEN_RACE)
    r = sb.run(CONTROL + f"{prog} {allowed} {sb.secret} 3", timeout=60)
    control_ran(r)
    no_leak(r)
    assert "LEAK" not in r.stdout
    assert "opened" in r.stdout and " opened 0" not in r.stdout, r.stdout
    secret_denied(sb, "open_path_race")


@pytest.mark.parametrize("mode", expect.modes("exec_path_race"))
def test_exec_path_race(sandbox, mode):
    sb = sandbox(mode)
    racy = racy_tool(sb)
    mark = sb.ws / "marker-race"
    prog = compile_helper(sb.scratch, "exec_race", EXEC_RACE)
    r = sb.run(CONTROL + f"{prog} /usr/bin/true {racy} {mark} 4", timeout=60)
    control_ran(r)
    assert "forks" in r.stdout, r.stderr
    assert not mark.exists(), f"racy-tool ran: the exec path was swapped ({r.stdout})"
    check_audit(sb, "exec_path_race", "command_policy",
                lambda e: is_exec_deny(e) and
                (e.get("policy") or {}).get("rule") == "deny-racy-tool",
                "racy-tool's exec")


@pytest.mark.parametrize("mode", expect.modes("soft_delete"))
def test_soft_delete_restore(sandbox, mode):
    sb = sandbox(mode)
    f = sb.ws / "precious.bin"
    data = bytes(range(256)) * 64 + b"\x00end"
    f.write_bytes(data)
    want = hashlib.sha256(data).hexdigest()
    r = sb.run(CONTROL + f"rm {f}; test -e {f} || echo GONE")
    control_ran(r)
    assert "GONE" in r.stdout, r.stderr
    evs = sb.events("soft_delete", wait=3.0)
    toks = [e["fields"]["token"] for e in evs
            if e.get("path") == str(f) and (e.get("fields") or {}).get("token")]
    assert toks, f"no soft_delete event: {evs}"
    p = subprocess.run([sb.agentsh, "trash", "restore", toks[0], "--dir",
                        str(sb.trash)], capture_output=True, text=True, timeout=30)
    assert p.returncode == 0, p.stderr
    assert hashlib.sha256(f.read_bytes()).hexdigest() == want
