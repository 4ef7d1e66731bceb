"""tools/test_run_tests.py: tools/run-tests and tools/test-summary against hostile runs.

A stand-in for cargo reports three test binaries (shell scripts): one passing, one failing with
libtest's result line, one crashing without any. The runner must run them all, name the two that
failed, and the summary must count one failure each, never the passing binary's tests as lost;
a build that fails must say so and run nothing.
"""

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

TOOLS = Path(__file__).resolve().parent


def binary(folder: Path, name: str, body: str) -> dict:
    exe = folder / name
    exe.write_text("#!/bin/sh\n" + body)
    exe.chmod(0o755)
    return {
        "reason": "compiler-artifact",
        "profile": {"test": True},
        "executable": str(exe),
        "manifest_path": str(folder / "Cargo.toml"),
        "target": {"src_path": str(folder / "tests" / f"{name}.rs"), "kind": ["test"], "name": name},
    }


def run(folder: Path, artifacts: list, build_status: int):
    cargo = folder / "cargo"
    messages = "\n".join(json.dumps(a) for a in artifacts)
    (folder / "messages.json").write_text(messages + "\n")
    cargo.write_text(f"#!/bin/sh\ncat {folder / 'messages.json'}\nexit {build_status}\n")
    cargo.chmod(0o755)
    env = dict(os.environ, CARGO=str(cargo))
    runner = subprocess.run(
        [str(TOOLS / "run-tests"), str(folder / "times.json"), "--workspace", "--"],
        env=env, capture_output=True, text=True,
    )
    log = folder / "test.log"
    log.write_text(runner.stdout)
    summary = subprocess.run(
        [str(TOOLS / "test-summary"), str(log), str(runner.returncode)], capture_output=True, text=True
    )
    return runner, summary.stdout.strip().splitlines()[-1], summary.returncode


def main() -> int:
    failures = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        artifacts = [
            binary(folder, "passing", 'echo "test result: ok. 3 passed; 0 failed; 1 ignored; 0 measured"\n'),
            binary(folder, "failing", 'echo "test result: FAILED. 1 passed; 2 failed; 0 ignored"\nexit 101\n'),
            binary(folder, "crashing", "kill -SEGV $$\n"),
        ]
        runner, last, status = run(folder, artifacts, 0)
        if status == 0:
            failures.append("a run with failing binaries exited 0")
        for name in ("failing", "crashing"):
            if f"tests/{name}.rs" not in runner.stdout.split("targets failed:")[-1]:
                failures.append(f"the {name} binary is not named among the failed targets:\n{runner.stdout}")
        if last != "tests: 4 passed, 3 failed, 1 skipped":
            failures.append(f"summary {last!r}, not 4 passed, 3 failed (2 + 1 crashed), 1 skipped")
        times = json.loads((folder / "times.json").read_text())
        if len(times) != 3:
            failures.append(f"every binary's time is kept: {times}")

        runner, last, status = run(folder, artifacts, 101)
        if status == 0 or "did not build" not in runner.stdout or "Running" in runner.stdout:
            failures.append(f"a failed build must say so and run nothing:\n{runner.stdout}")
        if "failed" not in last or last.startswith("tests: 0 passed, 0 failed"):
            failures.append(f"a failed build must count as a failure: {last!r}")
    for f in failures:
        print("test_run_tests:", f)
    if not failures:
        print("test_run_tests: a failing, a crashing binary and a failed build are each caught and named")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
