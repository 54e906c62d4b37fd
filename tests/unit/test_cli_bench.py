"""`boxoffice bench` is a thin entry point: a production install (no bench package) says so in
one line instead of failing on an import."""

from __future__ import annotations

import sys

import pytest

from boxoffice.cli import main


def test_bench_without_the_bench_package_says_it_is_not_installed(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in [m for m in sys.modules if m.split(".")[0] == "boxoffice_bench"]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setattr(
        sys, "path", [p for p in sys.path if not p.rstrip("/").endswith("bench/src")]
    )
    assert main(["bench", "--smoke"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "benchmark suite" in err and "not installed" in err


def test_bench_hands_its_arguments_to_the_bench(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from boxoffice_bench import runner

    seen: list[list[str]] = []
    monkeypatch.setattr(runner, "main", lambda argv: seen.append(argv) or 0)
    assert main(["bench", "--smoke", "--url", "http://127.0.0.1:1", "--help"]) == 0
    assert seen == [["--smoke", "--url", "http://127.0.0.1:1", "--help"]]


def test_other_commands_still_refuse_unknown_arguments() -> None:
    with pytest.raises(SystemExit) as refused:
        main(["migrate", "--smoke"])
    assert refused.value.code == 2
