"""Reading sources, and the reasons given for everything skipped."""

from __future__ import annotations

import gzip
import io
import tarfile
from pathlib import Path

import pytest

from proctor.retrieval._sources import Skip, SourceError, decode_text, read_documents


def _pdf_bytes(text: str | None) -> bytes:
    """A one-page PDF with ``text`` drawn in Helvetica (None: a blank page)."""
    from pypdf import PdfWriter
    from pypdf.generic import DecodedStreamObject, DictionaryObject, NameObject

    writer = PdfWriter()
    page = writer.add_blank_page(width=612, height=792)
    if text is not None:
        font = DictionaryObject({NameObject("/Type"): NameObject("/Font"),
                                 NameObject("/Subtype"): NameObject("/Type1"),
                                 NameObject("/BaseFont"): NameObject("/Helvetica")})
        page[NameObject("/Resources")] = DictionaryObject({NameObject("/Font"): DictionaryObject(
            {NameObject("/F1"): writer._add_object(font)})})
        stream = DecodedStreamObject()
        stream.set_data(f"BT /F1 12 Tf 72 700 Td ({text}) Tj ET".encode())
        page[NameObject("/Contents")] = writer._add_object(stream)
    buf = io.BytesIO()
    writer.write(buf)
    return buf.getvalue()


def test_jsonl_bad_lines_and_duplicates_are_reported(tmp_path: Path) -> None:
    path = tmp_path / "a.jsonl.gz"
    with gzip.open(path, "wt") as fh:
        fh.write('{"id": "1", "title": "T", "abstract": "A"}\nnot json\n{"id": "1", "title": "T", "abstract": "A"}\n'
                 '{"id": "1", "title": "Other", "abstract": "B"}\n{"id": "2"}\n')
    notes: list[Skip] = []
    docs = list(read_documents(path, notes))
    assert [d.paper_id for d in docs][0] == "1" and docs[1].paper_id.startswith("1-")
    reasons = " | ".join(n.reason for n in notes)
    assert "1 lines are not JSON" in reasons and "1 duplicate" in reasons and "no title" in reasons


def test_pdf_text_is_read(tmp_path: Path) -> None:
    path = tmp_path / "paper.pdf"
    path.write_bytes(_pdf_bytes("Sparse attention scales to long documents"))
    [doc] = read_documents(path, [])
    assert "Sparse attention" in doc.text and doc.paper_id == "paper"


@pytest.mark.parametrize(
    ("content", "reason"),
    [(b"%PDF-1.4 this is not really a pdf", "corrupt PDF"), (None, "no extractable text"), (b"", "empty file")],
    ids=["corrupt", "blank-page", "zero-bytes"],
)
def test_bad_pdfs_are_skipped_with_reason(tmp_path: Path, content: bytes | None, reason: str) -> None:
    path = tmp_path / "bad.pdf"
    path.write_bytes(_pdf_bytes(None) if content is None else content)
    with pytest.raises(SourceError, match=reason):
        list(read_documents(path, []))


def test_non_utf8_text_decoded_with_replacement_or_refused() -> None:
    notes: list[Skip] = []
    text = decode_text("Caf\u00e9 ".encode() * 200 + b"\xff", "f.txt", notes)
    assert "\ufffd" in text and notes and not notes[0].skipped
    with pytest.raises(SourceError, match="not UTF-8"):
        decode_text(bytes(range(128, 256)) * 10, "g.txt", [])
    with pytest.raises(SourceError, match="binary"):
        decode_text(b"abc\x00\x00def", "h.txt", [])
    kept: list[Skip] = []
    assert decode_text(b"text " * 100 + b"\x00", "i.txt", kept) == "text " * 100 and kept


def test_tarball_members(tmp_path: Path) -> None:
    path = tmp_path / "papers.tar.gz"
    with tarfile.open(path, "w:gz") as tar:
        for name, data in (("papers/abc.txt", b"# Title\n\nSome body text that is long enough."),
                           ("papers/empty.txt", b""), ("papers/img.png", b"\x89PNG")):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    notes: list[Skip] = []
    docs = list(read_documents(path, notes))
    assert [d.paper_id for d in docs] == ["abc"] and docs[0].title == "Title"
    assert {n.reason for n in notes} == {"empty file", "not a text member (.txt/.md)"}


def test_unsupported_and_corrupt_archive(tmp_path: Path) -> None:
    (tmp_path / "x.docx").write_bytes(b"zzz")
    (tmp_path / "y.tar.gz").write_bytes(b"not a tarball")
    with pytest.raises(SourceError, match="unsupported"):
        list(read_documents(tmp_path / "x.docx", []))
    with pytest.raises(SourceError, match="cannot read archive"):
        list(read_documents(tmp_path / "y.tar.gz", []))
