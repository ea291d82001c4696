import pytest

from sbsr.io import atomic_path, atomic_write_json, atomic_write_text, ensure_within, existing_dir, sha256_file


def test_atomic_write_replaces_and_leaves_no_temp(tmp_path):
    p = tmp_path / "sub" / "a.txt"
    atomic_write_text(p, "one")
    atomic_write_text(p, "two")
    assert p.read_text() == "two"
    assert [f.name for f in p.parent.iterdir()] == ["a.txt"]


def test_failed_write_keeps_previous_content(tmp_path):
    p = tmp_path / "a.csv"
    p.write_text("precious")
    with pytest.raises(RuntimeError):
        with atomic_path(p) as tmp:
            tmp.write_text("half")
            raise RuntimeError("crash while writing")
    assert p.read_text() == "precious"
    assert [f.name for f in tmp_path.iterdir()] == ["a.csv"]


def test_json_is_stable(tmp_path):
    atomic_write_json(tmp_path / "a.json", {"b": 1, "a": [1, 2]})
    assert (tmp_path / "a.json").read_text() == '{\n  "a": [\n    1,\n    2\n  ],\n  "b": 1\n}\n'


def test_sha256_of_known_content(tmp_path):
    (tmp_path / "x").write_bytes(b"abc")
    assert sha256_file(tmp_path / "x") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"


def test_path_guards(tmp_path):
    (tmp_path / "d").mkdir()
    assert ensure_within(tmp_path / "d" / "x", tmp_path) == (tmp_path / "d" / "x").resolve()
    with pytest.raises(ValueError, match="outside"):
        ensure_within(tmp_path / ".." / "elsewhere", tmp_path)
    with pytest.raises(FileNotFoundError, match="does not exist"):
        existing_dir(tmp_path / "missing", "meshes folder")
    (tmp_path / "f").write_text("")
    with pytest.raises(NotADirectoryError, match="is not a folder"):
        existing_dir(tmp_path / "f")
