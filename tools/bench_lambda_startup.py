#!/usr/bin/env python3
"""Lambda start-up without AWS: each release bootstrap against a minimal Runtime API emulator.

  python3 tools/bench_lambda_startup.py <dir with <name>/bootstrap> [runs]

For each Lambda: spawn the bootstrap with AWS_LAMBDA_RUNTIME_API pointing at this emulator, hand
it one event, and time from spawn to its first response (success or error: the handlers fail fast
here, with no AWS behind them, which is still a full init and one invocation). Peak RSS is the
process's VmHWM just after it answered. Prints one row per Lambda (median of the runs).
"""

import http.server
import json
import os
import socketserver
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

EVENTS = {
    "run-query": {"query": "no/such-query"},
    # Each event is refused before any AWS call (there is none to reach here), so the time is
    # the Lambda's init plus one invocation.
    "poll-query": {"notAField": True},
    "write-report": {"action": "nothing"},
    "publish-metric": {"query": "no/such-query", "queryExecutionId": "x"},
}


class Emulator(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True

    def __init__(self, event):
        self.event = json.dumps(event).encode()
        self.answered = threading.Event()
        self.handed_out = False
        super().__init__(("127.0.0.1", 0), Handler)


class Handler(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_GET(self):
        if self.path.endswith("/invocation/next"):
            if self.server.handed_out:
                # Block the next poll until the process is stopped.
                self.server.answered.wait(10)
                time.sleep(10)
                return
            self.server.handed_out = True
            self.send_response(200)
            self.send_header("Lambda-Runtime-Aws-Request-Id", "bench-1")
            self.send_header("Lambda-Runtime-Deadline-Ms", str(int(time.time() * 1000) + 30000))
            self.send_header("Lambda-Runtime-Invoked-Function-Arn",
                             "arn:aws:lambda:eu-west-2:123456789012:function:bench")
            self.send_header("Content-Length", str(len(self.server.event)))
            self.end_headers()
            self.wfile.write(self.server.event)

    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0"))
        self.rfile.read(length)
        self.server.answered.set()
        self.send_response(202)
        self.send_header("Content-Length", "0")
        self.end_headers()


def peak_rss_kib(pid):
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return None


def once(bootstrap, event):
    server = Emulator(event)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    env = {
        "PATH": os.environ.get("PATH", ""),
        "AWS_LAMBDA_RUNTIME_API": f"127.0.0.1:{server.server_address[1]}",
        "AWS_LAMBDA_FUNCTION_NAME": "bench",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "256",
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "AWS_REGION": "eu-west-2",
        "AWS_ACCESS_KEY_ID": "bench",
        "AWS_SECRET_ACCESS_KEY": "bench",
        "AWS_EC2_METADATA_DISABLED": "true",
        "CSI": "nhs-notify-bench-reporting",
        "ENVIRONMENT": "bench",
        "SOURCE_TABLE": "transaction_history",
        "DATA_LOCATION": "s3://bench-data",
        "INGRESS_BUCKET": "bench-ingress",
        "RUST_LOG": "warn",
    }
    started = time.perf_counter()
    proc = subprocess.Popen([str(bootstrap)], env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    answered = server.answered.wait(10)
    elapsed = (time.perf_counter() - started) * 1000
    rss = peak_rss_kib(proc.pid)
    proc.kill()
    proc.wait()
    server.shutdown()
    if not answered:
        raise SystemExit(f"{bootstrap}: no response within 10 s")
    return elapsed, rss


def main():
    root = Path(sys.argv[1])
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    print(f"{'lambda':<16} {'first response ms':>18} {'peak RSS MiB':>13} {'binary MB':>10}")
    for name, event in EVENTS.items():
        bootstrap = root / name / "bootstrap"
        if not bootstrap.exists():
            raise SystemExit(f"{bootstrap} is missing: make build first")
        samples = [once(bootstrap, event) for _ in range(runs)]
        ms = statistics.median(s[0] for s in samples)
        rss = statistics.median(s[1] for s in samples if s[1] is not None) / 1024
        size = bootstrap.stat().st_size / 1e6
        print(f"{name:<16} {ms:>18.1f} {rss:>13.1f} {size:>10.1f}")


if __name__ == "__main__":
    main()
