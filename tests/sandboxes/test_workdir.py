"""Work-directory confinement, output truncation and quota measurement."""

from __future__ import annotations

from pathlib import Path

import pytest

from proctor.sandboxes import PathOutsideWorkdir
from proctor.sandboxes._result import OutputBuffer
from proctor.sandboxes._workdir import copy_tree, resolve_inside, tree_size


def test_resolve_inside_confines_paths(tmp_path: Path) -> None:
    work = tmp_path / "work"
    (work / "sub").mkdir(parents=True)
    assert resolve_inside(work, "sub/f.txt") == work / "sub" / "f.txt"
    assert resolve_inside(work, "/work/sub/f.txt") == work / "sub" / "f.txt"
    for bad in ("../x", "/etc/passwd", "/work/../etc"):
        with pytest.raises(PathOutsideWorkdir):
            resolve_inside(work, bad)
    (work / "out").symlink_to("/etc")
    with pytest.raises(PathOutsideWorkdir):
        resolve_inside(work, "out/passwd")


def test_output_buffer_keeps_the_head_and_counts_all() -> None:
    buf = OutputBuffer(5)
    for chunk in (b"abc", b"defgh", b"ij"):
        buf.feed(chunk)
    assert bytes(buf.data) == b"abcde" and buf.total == 10 and buf.truncated
    assert buf.text().startswith("abcde") and "10 bytes" in buf.text()


def test_copy_tree_skips_symlinks_and_tree_size_counts_files(tmp_path: Path) -> None:
    src, dst = tmp_path / "src", tmp_path / "dst"
    (src / "d").mkdir(parents=True)
    (src / "d" / "f").write_bytes(b"x" * 10_000)
    (src / "link").symlink_to("/etc/passwd")
    skipped = copy_tree(src, dst)
    assert skipped == ["link"] and (dst / "d" / "f").exists() and not (dst / "link").exists()
    assert tree_size(dst) >= 10_000
