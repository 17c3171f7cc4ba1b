"""Atomic writes leave either the complete new file or the old one, never a partial file."""

from __future__ import annotations

import os

import pytest

from causalex.errors import InputError
from causalex.fileio import atomic_write, check_output_file, file_sha256, write_text_atomic


def test_atomic_write_replaces_on_success(tmp_path):
    target = tmp_path / "sub" / "out.txt"
    write_text_atomic(target, "hello")
    assert target.read_text() == "hello"
    assert os.listdir(target.parent) == ["out.txt"]


def test_atomic_write_keeps_old_file_on_error(tmp_path):
    target = tmp_path / "out.txt"
    target.write_text("old")
    with pytest.raises(RuntimeError):
        with atomic_write(target) as tmp:
            tmp.write_text("half")
            raise RuntimeError("boom")
    assert target.read_text() == "old"
    assert os.listdir(tmp_path) == ["out.txt"]


def test_unwritable_folder_is_input_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(InputError, match="cannot create output folder"):
        write_text_atomic(blocker / "out.txt", "x")


def test_sha256(tmp_path):
    p = tmp_path / "a"
    p.write_bytes(b"abc")
    assert file_sha256(p) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"


def test_atomic_write_uses_umask_permissions(tmp_path):
    target = tmp_path / "out.txt"
    write_text_atomic(target, "x")
    umask = os.umask(0)
    os.umask(umask)
    assert (target.stat().st_mode & 0o777) == (0o666 & ~umask)


def test_check_output_file_refuses_an_input(tmp_path):
    source = tmp_path / "labels.csv"
    source.write_text("x")
    with pytest.raises(InputError, match="labels.csv: is also an input"):
        check_output_file(tmp_path / "." / "labels.csv", [tmp_path / "other.csv", source])
    check_output_file(tmp_path / "new" / "deeper" / "out.csv", [source])  # missing folders are fine
    assert not (tmp_path / "new").exists()  # ... and the check creates nothing
    assert sorted(os.listdir(tmp_path)) == ["labels.csv"]


def test_check_output_file_refuses_folders_and_unwritable_places(tmp_path):
    with pytest.raises(InputError, match="is a folder"):
        check_output_file(tmp_path)
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(InputError, match="is not a folder"):
        check_output_file(blocker / "out.csv")
    if os.geteuid() != 0:  # root writes anywhere but in /proc
        locked = tmp_path / "locked"
        locked.mkdir(mode=0o500)
        with pytest.raises(InputError, match=r"out.csv: cannot write in"):
            check_output_file(locked / "out.csv")
    elif os.path.isdir("/proc/self"):
        with pytest.raises(InputError, match=r"out.csv: cannot write in /proc"):
            check_output_file("/proc/out.csv")


def test_atomic_write_onto_a_folder_names_the_path(tmp_path):
    with pytest.raises(InputError, match="is a folder"):
        write_text_atomic(tmp_path, "x")
