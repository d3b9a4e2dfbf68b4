from petitions.core.exports import csv_lines, safe_cell


def test_formula_cells_are_neutralized():
    for evil in ['=HYPERLINK("http://x")', "+1", "-2+3", "@SUM(A1)", "\t=1"]:
        assert safe_cell(evil).startswith("'")
    assert safe_cell("Ana") == "Ana" and safe_cell(None) == "" and safe_cell(5) == "5"


def test_csv_lines_streams_header_and_rows():
    text = "".join(csv_lines(["first_name", "email"], [["=cmd", "a@example.org"]]))
    assert text.startswith("\ufefffirst_name,email\r\n")
    assert "'=cmd,a@example.org" in text
