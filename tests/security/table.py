#!/usr/bin/python3
"""Print the results table of the security suite (from expect.py) as
markdown; docs/SECURITY.md holds its output between the markers."""
import pathlib
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import expect  # noqa: E402

WORDS = {"audited": "stopped, audited", "silent": "stopped, no audit event",
         "open": "**NOT stopped**"}


def cell(text):
    """Table cells may not hold a bare |."""
    return text.replace("|", "\\|")


def render():
    lines = ["| technique | ref | " + " | ".join(expect.MODES) + " | notes |",
             "|---|---|" + "---|" * len(expect.MODES) + "---|"]
    for tech, (ref, title, out, why) in expect.TABLE.items():
        cells = [WORDS[out[m]] for m in expect.MODES]
        notes = "; ".join(f"{m}: {why[m]}" for m in expect.MODES if m in why)
        lines.append(f"| {cell(title)} (`{tech}`) | {ref} | " + " | ".join(cells) +
                     f" | {cell(notes)} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.stdout.write(render())
