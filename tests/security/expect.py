"""What agentsh does against each bypass technique, per enforcement mode.
The tests and docs/SECURITY.md are both generated from this one table.

Outcomes:
  audited  stopped, and an audit event records the refusal
  silent   stopped (in the kernel or by Landlock), with no audit event
  open     NOT stopped: the canary is reached (the test is a strict xfail)

Modes: full (seccomp user-notify supervisor) and nonotify (user-notify
taken by the runtime, as on Daytona: plain seccomp filter, Landlock and
the ptrace exec tracer)."""
import pytest

MODES = ("full", "nonotify")

LANDLOCK_FS = ("refused by the Landlock file allowlist built from the policy "
               "(no supervisor sees the open, so nothing is recorded)")

# id: (catalogue ref, title, {mode: outcome}, {mode: reason when not audited})
TABLE = {
    "nested_interp": ("D1.7", "Nested exec via python, perl, node",
                      {"full": "audited", "nonotify": "audited"}, {}),
    "find_exec": ("D1.9", "`find -exec` running a denied binary",
                  {"full": "audited", "nonotify": "audited"}, {}),
    "xargs": ("D1.9", "`xargs` running a denied binary",
              {"full": "audited", "nonotify": "audited"}, {}),
    "background": ("D2.18", "Background `&` next to a denied command",
                   {"full": "audited", "nonotify": "audited"}, {}),
    "base64_sh_c": ("D2.16", "`sh -c \"$(echo … | base64 -d)\"`",
                    {"full": "audited", "nonotify": "audited"}, {}),
    "bash_env": ("D2.22", "`BASH_ENV` sourcing a script that runs a denied binary",
                 {"full": "audited", "nonotify": "audited"}, {}),
    "ld_preload": ("D5.44", "`LD_PRELOAD` into an allowed binary",
                   {"full": "audited", "nonotify": "audited"},
                   {"nonotify": "the exec is refused and recorded; " + LANDLOCK_FS}),
    "symlink_alias": ("D1.2/D4.32", "Symlink to a denied file or binary",
                      {"full": "audited", "nonotify": "audited"},
        {"nonotify": "the exec is refused and recorded; " + LANDLOCK_FS}),
    "proc_root_alias": ("D1.1/D4.38", "`/proc/self/root`, `/proc/self/fd/N` aliases of a "
                        "denied file or binary",
                        {"full": "audited", "nonotify": "audited"},
        {"nonotify": "the exec is refused and recorded; " + LANDLOCK_FS}),
    "copy_binary": ("D1.3", "Copy of a denied binary under another name",
                    {"full": "open", "nonotify": "open"},
                    {"full": "command rules match names and paths, not contents",
                     "nonotify": "command rules match names and paths, not contents"}),
    "memfd_exec": ("D1.10", "memfd exec (`/proc/self/fd/N`, `execveat` AT_EMPTY_PATH)",
                   {"full": "audited", "nonotify": "audited"}, {}),
    "fd_path_exec": ("D1.1/D1.10", "Exec of a denied binary through `/proc/self/fd/N` "
                     "or `/dev/fd/N` (binary denied by an args rule)",
                     {"full": "audited", "nonotify": "audited"}, {}),
    "open_path_race": ("D3.26", "Two threads racing the path buffer of `open`",
                       {"full": "audited", "nonotify": "silent"},
                       {"nonotify": LANDLOCK_FS + "; Landlock checks the path the "
                                    "kernel resolves, so a race gains nothing"}),
    "exec_path_race": ("D3.26", "Two threads racing the path buffer of `execve` "
                       "(binary denied by an args rule, so not in Landlock's list)",
                       {"full": "audited", "nonotify": "open"},
                       {"nonotify": "the tracer reads the path at the syscall stop; "
                                    "sibling threads keep running"}),
    "raw_socket": ("D6.50", "Raw IP and packet sockets",
                   {"full": "silent", "nonotify": "silent"},
                   {"full": "refused in the kernel by the seccomp filter",
                    "nonotify": "refused in the kernel by the seccomp filter"}),
    "direct_ip_connect": ("D6.46/D6.50", "Direct-IP TCP connect ignoring `HTTPS_PROXY` "
                          "(also as an IPv4-mapped IPv6 address)",
                          {"full": "audited", "nonotify": "silent"},
                          {"nonotify": "Landlock refuses every TCP connect"}),
    "ipv6_rule_on_ipv4": ("D6.46", "IPv4 destination matched against an IPv6 allow rule "
                          "(`7f00::/16` before a rule denying 127.0.0.2)",
                          {"full": "audited", "nonotify": "silent"},
                          {"nonotify": "Landlock refuses every TCP connect"}),
    "udp_send": ("D6.54/D3.31", "UDP `sendto` to a denied address",
                 {"full": "audited", "nonotify": "silent"},
                 {"nonotify": "the plain filter refuses IP datagram sockets in "
                              "the kernel (Landlock ABI 7 has no UDP rules)"}),
    "kill_daemon": ("D8.62", "kill -9 of the daemon mid-session (fail closed)",
                    {"full": "silent", "nonotify": "silent"},
                    {"full": "the daemon is dead: nothing can record the refusals",
                     "nonotify": "the daemon is dead: nothing can record the refusals"}),
    "proc_environ": ("D7/D8.62", "Reading `/proc/<pid>/environ` of a process outside the session",
                     {"full": "audited", "nonotify": "open"},
                     {"nonotify": "nothing checks the open; Landlock's ptrace "
                                  "restriction refuses /proc/<pid>/fd but not environ"}),
    "signal_outside": ("D8.62", "Signalling a process outside the session",
                       {"full": "audited", "nonotify": "silent"},
                       {"nonotify": "Landlock signal scope"}),
    "ptrace_vm": ("D3.28", "`ptrace` / `process_vm_readv` on a process outside the session",
                  {"full": "silent", "nonotify": "silent"},
                  {"full": "refused in the kernel by the seccomp filter",
                   "nonotify": "refused in the kernel by the seccomp filter"}),
    "soft_delete": ("undo", "`rm` of a workspace file is soft-deleted and restored byte-identical",
                    {"full": "audited", "nonotify": "open"},
                    {"nonotify": "no supervisor sees unlink: Landlock can allow or "
                                 "refuse a delete, not divert it; the file is "
                                 "really deleted"}),
}


# Techniques whose exec part is recorded while their file part is refused
# by Landlock without a record (no supervisor sees the open).
FILE_EVENTS = {
    ("ld_preload", "nonotify"): "silent",
    ("symlink_alias", "nonotify"): "silent",
    ("proc_root_alias", "nonotify"): "silent",
}


def outcome(tech, mode):
    return TABLE[tech][2][mode]


def modes(tech):
    """pytest params over the modes, a strict xfail where the technique is
    not stopped."""
    out = []
    for m in MODES:
        marks = []
        if outcome(tech, m) == "open":
            marks.append(pytest.mark.xfail(strict=True, reason=(
                f"{tech} is not stopped in mode {m}: {TABLE[tech][3].get(m, '')}")))
        out.append(pytest.param(m, marks=marks, id=m))
    return out


def audited(tech, mode):
    return outcome(tech, mode) == "audited"
