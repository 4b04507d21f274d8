"""Small paper texts for retrieval tests."""

from __future__ import annotations


def paper_text(title: str, abstract: str, body: str) -> str:
    """A small paper in the shape of the ICLR text dumps."""
    return (f"# {title.upper()}\n\n**Anon Author**\nSomewhere\n\nABSTRACT\n\n{abstract} " * 1
            + f"\n\n1 INTRODUCTION\n\n{body}\n\n2 METHOD\n\n{body} Our method is described here in detail."
            + "\n\nREFERENCES\n\nA. Author. A cited paper title. In Conference, 2020.\n")
