"""Shared checks for the security tests."""
import expect

CONTROL = "/usr/bin/true && echo CONTROL-OK; "
HIDE_TOOL = "T=$(printf 'forbidden-%s' tool); "   # the precheck cannot see it


def control_ran(r):
    """The shell really ran (a refusal that stops everything proves nothing)."""
    assert "CONTROL-OK" in r.stdout, (r.returncode, r.stdout, r.stderr)


def racy_tool(sb):
    """A copy of the canary forbidden-tool, scratch/racy-tool (executable)."""
    racy = sb.scratch / "racy-tool"
    racy.write_bytes((sb.ws / "tools" / "forbidden-tool").read_bytes())
    racy.chmod(0o755)
    return racy


def is_exec_deny(e, op="supervisor_exec"):
    pol = e.get("policy") or {}
    return (pol.get("effective_decision") == "deny" and
            (op is None or e.get("operation") == op))


def check_audit(sb, tech, etype, pred, what):
    """Audited techniques must have an event matching pred; silent ones
    must not (so that the table stays true when that changes). File
    events may have their own outcome (expect.FILE_EVENTS)."""
    out = expect.outcome(tech, sb.mode)
    if etype == "file":
        out = expect.FILE_EVENTS.get((tech, sb.mode), out)
    evs = sb.events(etype, wait=3.0 if out == "audited" else 0.5)
    hit = [e for e in evs if pred(e)]
    if out == "audited":
        assert hit, f"no {etype} event for {what}; events: {evs}"
    elif out == "silent":
        assert not hit, f"{tech} is audited now: update expect.py: {hit}"
    return hit
