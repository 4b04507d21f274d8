"""Paper text for the reviewer: read a PDF (pypdf), text or Markdown file, and cut it to size."""

from __future__ import annotations

import logging
from pathlib import Path

_TEXT_SUFFIXES = {".txt", ".md", ".markdown", ".tex", ".rst"}


class PaperTextError(ValueError):
    """The paper cannot be read, or has no text; the message names the file and the fix."""


def load_paper_text(path: str | Path) -> str:
    """The text of a paper file.

    PDFs (by content, whatever the suffix) are read with pypdf; ``.txt``, ``.md``, ``.tex`` and
    ``.rst`` as UTF-8.

    Args:
        path: The paper file.

    Returns:
        The text, stripped.

    Raises:
        PaperTextError: missing file, unsupported type, corrupt or encrypted PDF, or no text.
    """
    path = Path(path)
    if not path.is_file():
        raise PaperTextError(f"{path}: no such file")
    data = path.read_bytes()
    if data.lstrip()[:5] == b"%PDF-" or path.suffix.lower() == ".pdf":
        text = _pdf_text(path)
    elif path.suffix.lower() in _TEXT_SUFFIXES or not path.suffix:
        text = data.decode("utf-8", errors="replace")
    else:
        raise PaperTextError(
            f"{path}: unsupported file type {path.suffix!r}; give a PDF, .txt, .md, .tex or .rst file")
    text = text.strip()
    if not text:
        raise PaperTextError(f"{path}: the file has no text to review")
    return text


def _pdf_text(path: Path) -> str:
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    if path.stat().st_size == 0:
        raise PaperTextError(f"{path}: the PDF is empty (0 bytes)")
    # pypdf logs every recoverable defect as a warning; the outcome is reported by our error.
    logging.getLogger("pypdf").setLevel(logging.ERROR)
    try:
        reader = PdfReader(path)
        if reader.is_encrypted and not reader.decrypt(""):
            raise PaperTextError(f"{path}: the PDF is encrypted; give a decrypted copy")
        pages = [page.extract_text() or "" for page in reader.pages]
    except PaperTextError:
        raise
    except (PyPdfError, ValueError, KeyError, TypeError, OSError) as exc:
        raise PaperTextError(
            f"{path}: not a readable PDF ({type(exc).__name__}: {exc}); re-export it, or give its text "
            "as a .txt file") from exc
    text = "\n\n".join(p.strip() for p in pages if p.strip())
    if not text:
        raise PaperTextError(
            f"{path}: the PDF has {len(pages)} page(s) but no extractable text (scanned images?); "
            "run OCR or give its text as a .txt file")
    return text


def truncate_paper(text: str, max_chars: int) -> tuple[str, bool]:
    """Cut ``text`` to at most ``max_chars`` characters, at a line break when one is near.

    Returns:
        The text and whether it was cut.
    """
    if len(text) <= max_chars:
        return text, False
    cut = text[:max_chars]
    newline = cut.rfind("\n")
    if newline >= max_chars * 0.9:
        cut = cut[:newline]
    return cut.rstrip(), True
