"""The processes a benchmark talks to: our app under waitress, and Datasette on the same SQLite file."""
from __future__ import annotations

import os
import re
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATASETTE = ROOT / ".venv-bench" / "bin" / "datasette"


class Server:
    """A child process serving HTTP on 127.0.0.1:port; its peak resident memory can be read and reset."""

    def __init__(self, command: list[str], port: int, ready_path: str, env: dict | None = None, log: str = "server"):
        self.port = port
        self.base = f"http://127.0.0.1:{port}"
        self.log_path = ROOT / "bench" / "work" / f"{log}.log"
        self.process = subprocess.Popen(command, cwd=ROOT, env={**os.environ, **(env or {})},
                                        stdout=self.log_path.open("w"), stderr=subprocess.STDOUT)
        self._wait(ready_path)
        self._settle()

    def _wait(self, path: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited: see {self.log_path}")
            try:
                urllib.request.urlopen(self.base + path, timeout=5).read()
                return
            except Exception:  # noqa: BLE001 - not up yet
                time.sleep(0.2)
        raise RuntimeError(f"server not ready after {timeout} s: see {self.log_path}")

    def _settle(self, quiet: float = 0.05, window: float = 0.5, timeout: float = 30) -> None:
        """Wait until the server's processes use under `quiet` of a core over `window` seconds: the first
        worker answers while the others still start (gunicorn's post_worker_init imports the map stack),
        and timing a page then would time their start on the same cores."""
        deadline = time.monotonic() + timeout
        used = self._cpu_seconds()
        while time.monotonic() < deadline:
            time.sleep(window)
            now = self._cpu_seconds()
            if now - used < quiet * window:
                return
            used = now

    def _cpu_seconds(self) -> float:
        ticks = 0
        for pid in self._pids():
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:  # a process that has just exited
                continue
            ticks += int(fields[11]) + int(fields[12])  # utime, stime
        return ticks / os.sysconf("SC_CLK_TCK")

    def _pids(self) -> list[int]:
        """The server and its workers (gunicorn forks them)."""
        pids = [self.process.pid]
        for pid in pids:
            children = Path(f"/proc/{pid}/task/{pid}/children")
            if children.exists():
                pids.extend(int(child) for child in children.read_text().split())
        return pids

    def reset_peak_memory(self) -> None:
        """Linux: writing 5 to clear_refs resets VmHWM (the peak resident set) of a process."""
        for pid in self._pids():
            Path(f"/proc/{pid}/clear_refs").write_text("5")

    def peak_memory_mb(self) -> float:
        """The largest peak resident set of one server process (a worker serves a request alone)."""
        peaks = [int(re.search(r"VmHWM:\s+(\d+) kB", Path(f"/proc/{pid}/status").read_text()).group(1)) / 1024
                 for pid in self._pids()]
        return max(peaks)

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()


def our_server(database_url: str, port: int, workers: int = 3, threads: int = 4) -> Server:
    """The app as production serves it (README): gunicorn, a few worker processes with threads each
    (one Python process runs on one core at a time)."""
    command = [str(Path(sys.executable).parent / "gunicorn"), "--bind", f"127.0.0.1:{port}",
               "--workers", str(workers), "--threads", str(threads), "--worker-class", "gthread",
               "--timeout", "300", "surveyapp:create_app()"]
    return Server(command, port, "/login", env={"DATABASE_URL": database_url}, log=f"surveyapp-{port}")


def datasette_server(sqlite_path: Path, port: int) -> Server | None:
    if not DATASETTE.exists():
        return None
    command = [str(DATASETTE), "serve", str(sqlite_path), "--port", str(port), "--host", "127.0.0.1",
               "--setting", "max_csv_mb", "0", "--setting", "sql_time_limit_ms", "60000"]
    return Server(command, port, "/-/versions.json", log="datasette")
