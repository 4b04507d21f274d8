"""Loading papers: PDF, text and Markdown; clear errors for corrupt, empty and textless files."""

from __future__ import annotations

from pathlib import Path

import pytest

from proctor.review import PaperTextError, load_paper_text, truncate_paper


def _pdf(text: str) -> bytes:
    """A one-page PDF showing ``text`` (xref offsets computed, so pypdf reads it cleanly)."""
    stream = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for i, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def test_pdf_text_is_extracted(tmp_path: Path) -> None:
    path = tmp_path / "paper.pdf"
    path.write_bytes(_pdf("Sparse warm restarts for linear probes"))
    assert "Sparse warm restarts for linear probes" in load_paper_text(path)


def test_pdf_is_recognised_by_content(tmp_path: Path) -> None:
    path = tmp_path / "paper.bin"
    path.write_bytes(_pdf("Hidden PDF"))
    assert "Hidden PDF" in load_paper_text(path)


@pytest.mark.parametrize(
    ("name", "data", "match"),
    [
        ("corrupt.pdf", b"%PDF-1.4\n1 0 obj << /Type /Catalog garbage", "not a readable PDF"),
        ("truncated.pdf", _pdf("cut")[:60], "not a readable PDF|no extractable text"),
        ("empty.pdf", b"", "empty"),
        ("empty.txt", b"  \n\t\n", "no text"),
        ("paper.docx", b"PK\x03\x04", "unsupported file type"),
    ],
    ids=["corrupt-pdf", "truncated-pdf", "empty-pdf", "empty-txt", "docx"],
)
def test_unreadable_files_fail_clearly(tmp_path: Path, name: str, data: bytes, match: str) -> None:
    path = tmp_path / name
    path.write_bytes(data)
    with pytest.raises(PaperTextError, match=match) as info:
        load_paper_text(path)
    assert name in str(info.value)


def test_pdf_without_text_names_the_fix(tmp_path: Path) -> None:
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=612, height=792)
    path = tmp_path / "scanned.pdf"
    with open(path, "wb") as fh:
        writer.write(fh)
    with pytest.raises(PaperTextError, match="no extractable text.*OCR"):
        load_paper_text(path)


def test_text_and_markdown(tmp_path: Path) -> None:
    (tmp_path / "p.md").write_text("# Title\n\nBody text.\n", encoding="utf-8")
    (tmp_path / "p.txt").write_text("\n plain \n", encoding="utf-8")
    assert load_paper_text(tmp_path / "p.md") == "# Title\n\nBody text."
    assert load_paper_text(tmp_path / "p.txt") == "plain"
    with pytest.raises(PaperTextError, match="no such file"):
        load_paper_text(tmp_path / "missing.txt")


def test_truncation_prefers_a_line_break() -> None:
    text = "a" * 95 + "\n" + "b" * 50
    assert truncate_paper(text, 200) == (text, False)
    assert truncate_paper(text, 100) == ("a" * 95, True)
    assert truncate_paper("c" * 300, 100) == ("c" * 100, True)
