"""Every broken or hostile input gets one line naming the file and field, exit code 2, no traceback."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from trialsim.cli import main

BROKEN = sorted((Path(__file__).resolve().parents[1] / "data" / "broken").glob("*.yaml"))


def _expected(path: Path) -> str:
    first = path.read_bytes().split(b"\n", 1)[0].decode("utf-8", "replace")
    if "expect:" not in first:
        return "not UTF-8"  # utf-16 file: its header is not readable as UTF-8 either
    return first.split("expect:", 1)[1].strip()


def run_cli(args: list[str], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> tuple[int, str, str]:
    monkeypatch.setattr(sys, "argv", ["trialsim", *args])
    with pytest.raises(SystemExit) as exit_info:
        main()
    captured = capsys.readouterr()
    return int(exit_info.value.code or 0), captured.out, captured.err


def test_corpus_is_large_enough() -> None:
    assert len(BROKEN) >= 40


@pytest.mark.parametrize("path", BROKEN, ids=[p.stem for p in BROKEN])
def test_broken_input_one_line_exit_2(path: Path, capsys, monkeypatch) -> None:
    code, out, err = run_cli(["validate", str(path)], capsys, monkeypatch)
    assert code == 2
    lines = [line for line in err.splitlines() if line.strip()]
    assert lines, "no error printed"
    assert "Traceback" not in err
    assert all(str(path) in line or "cohort" in line for line in lines)
    assert _expected(path).lower() in err.lower()


def test_shipped_study_passes_with_the_same_command(root: Path, capsys, monkeypatch) -> None:
    files = [str(p) for p in sorted((root / "studies").glob("*.yaml")) + sorted((root / "cohorts").glob("*.yaml"))]
    code, out, _ = run_cli(["validate", *files], capsys, monkeypatch)
    assert code == 0
    assert f"{len(files)} file(s) valid" in out


def test_missing_file_and_directory(tmp_path: Path, capsys, monkeypatch) -> None:
    code, _, err = run_cli(["validate", str(tmp_path / "nope.yaml")], capsys, monkeypatch)
    assert code == 2
    assert "not found" in err
    code, _, err = run_cli(["validate", str(tmp_path)], capsys, monkeypatch)
    assert code == 2
    assert "not a regular file" in err


def test_unknown_key_lists_allowed_keys(capsys, monkeypatch) -> None:
    path = next(p for p in BROKEN if p.stem == "unknown_nested_key")
    _, _, err = run_cli(["validate", str(path)], capsys, monkeypatch)
    assert "endpoint.devise: unknown key (allowed: measure, summary, visit_week, device, better)" in err
