"""docs/SECURITY.md carries the table expect.py defines."""
import pathlib

import table

DOC = pathlib.Path(__file__).resolve().parents[2] / "docs" / "SECURITY.md"
BEGIN = "<!-- table: tests/security/table.py -->\n"
END = "<!-- end of table -->\n"


def test_security_doc_matches_table():
    text = DOC.read_text()
    assert BEGIN in text and END in text, "markers missing in docs/SECURITY.md"
    body = text.split(BEGIN, 1)[1].split(END, 1)[0]
    assert body == table.render(), (
        "docs/SECURITY.md is stale: paste the output of "
        "/usr/bin/python3 tests/security/table.py between the markers")
