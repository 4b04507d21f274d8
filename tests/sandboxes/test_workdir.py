"""Work-directory confinement, output truncation and quota measurement."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from proctor.sandboxes import PathOutsideWorkdir, UntrustedFileError
from proctor.sandboxes._result import OutputBuffer
from proctor.sandboxes._workdir import WorkDir, copy_into, resolve_inside


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


def test_copy_into_skips_symlinks_and_size_counts_files(tmp_path: Path) -> None:
    src, dst = tmp_path / "src", tmp_path / "dst"
    (src / "d").mkdir(parents=True)
    (src / "d" / "f").write_bytes(b"x" * 10_000)
    (src / "link").symlink_to("/etc/passwd")
    skipped = copy_into(src, dst)
    assert skipped == ["link"] and (dst / "d" / "f").exists() and not (dst / "link").exists()
    assert WorkDir(dst).size() >= 10_000


@pytest.fixture
def hostile(tmp_path: Path) -> WorkDir:
    """A work directory as an attacker would leave it."""
    work = tmp_path / "work"
    (work / "run_1").mkdir(parents=True)
    (work / "run_1" / "final_info.json").write_text('{"d": {"means": {"acc": 0.5}}}')
    (work / "ok.png").write_bytes(b"\x89PNG fake")
    secret = tmp_path / "host_secret"
    secret.write_text("CANARY-host")
    (work / "leak.png").symlink_to(secret)
    (work / "hostdir").symlink_to(tmp_path)
    os.mkfifo(work / "fifo.png")
    (work / "dir.png").mkdir()
    (work / "zero.png").symlink_to("/dev/zero")
    setuid = work / "suid.png"
    setuid.write_bytes(b"\x7fELF")
    setuid.chmod(0o4755)
    return WorkDir(work)


def test_only_regular_files_are_listed(hostile: WorkDir) -> None:
    assert hostile.files("*.png") == ["ok.png", "suid.png"]
    assert "run_1/final_info.json" in hostile.files("*.json", recursive=True)


@pytest.mark.parametrize("name", ["leak.png", "fifo.png", "dir.png", "zero.png", "hostdir/host_secret"])
def test_links_fifos_devices_and_dirs_are_refused_without_blocking(hostile: WorkDir, name: str) -> None:
    with pytest.raises(UntrustedFileError):
        hostile.read_bytes(name)
    assert not hostile.is_file(name)


def test_reads_are_capped_and_paths_confined(hostile: WorkDir) -> None:
    assert hostile.read_json("run_1/final_info.json") == {"d": {"means": {"acc": 0.5}}}
    with pytest.raises(UntrustedFileError, match="cap"):
        hostile.read_bytes("run_1/final_info.json", limit=4)
    for bad in ("../host_secret", "/etc/passwd", "run_1/../../host_secret"):
        with pytest.raises(PathOutsideWorkdir):
            hostile.read_bytes(bad)
    with pytest.raises(FileNotFoundError):
        hostile.read_bytes("missing.json")


def test_copies_drop_mode_bits_and_take_the_harness_name(hostile: WorkDir, tmp_path: Path) -> None:
    out = tmp_path / "paper"
    target = hostile.copy_file("suid.png", out, "figure_1.png")
    assert target == out / "figure_1.png" and stat.S_IMODE(target.stat().st_mode) == 0o644
    with pytest.raises(UntrustedFileError):
        hostile.copy_file("ok.png", out, "../evil.png")
    skipped = hostile.copy_tree(tmp_path / "copy")
    assert {"leak.png", "fifo.png", "zero.png", "hostdir"} <= set(skipped)
    copied = [p for p in (tmp_path / "copy").rglob("*") if p.is_file()]
    assert all(not p.is_symlink() and stat.S_IMODE(p.stat().st_mode) == 0o644 for p in copied)
    assert not any(b"CANARY" in p.read_bytes() for p in copied)


def test_deep_trees_do_not_break_the_walk(tmp_path: Path) -> None:
    work = tmp_path / "w"
    deep = work
    deep.mkdir()
    fd = os.open(work, os.O_RDONLY)
    try:  # 1,200 levels, built relative to each other so the path length never matters
        for _ in range(1200):
            os.mkdir("d", dir_fd=fd)
            nxt = os.open("d", os.O_RDONLY, dir_fd=fd)
            os.close(fd)
            fd = nxt
        os.close(os.open("f", os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=fd))
    finally:
        os.close(fd)
    try:
        wd = WorkDir(work)
        entries = list(wd.walk())
        assert 0 < len(entries) <= 64
        assert wd.size() == 0
    finally:  # shutil.rmtree (and so pytest's tmp_path cleanup) recurses: undo it level by level
        _remove_chain(work, 1200)


def _remove_chain(top: Path, depth: int) -> None:
    fds = [os.open(top, os.O_RDONLY)]
    for _ in range(depth):
        fds.append(os.open("d", os.O_RDONLY, dir_fd=fds[-1]))
    os.unlink("f", dir_fd=fds[-1])
    for _ in range(depth):
        os.close(fds.pop())
        os.rmdir("d", dir_fd=fds[-1])
    os.close(fds.pop())
