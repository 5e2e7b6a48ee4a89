"""The servers the benchmarks run: the app under gunicorn, its commands, a throwaway PostgreSQL.

Shared by load.py and outage.py (run as scripts from this folder, which puts it on the path).
"""

from __future__ import annotations

import glob
import http.client
import os
import pwd
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from contextlib import contextmanager, suppress
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
sys.path.insert(0, str(ROOT))

from tests.servers import free_port, stop_process  # noqa: E402 (after the path above)


def base_env(database_url: str) -> dict[str, str]:
    """The environment of a production-like quiz server on that database."""
    from quiz.crypto import new_key

    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"QUESTIONS_FILE", "REDIS_URL", "PUBLIC_URL", "BIND", "WEB_CONCURRENCY"}
    }
    env.update(
        DATABASE_URL=database_url,
        SECRET_KEY="benchmark-" + uuid.uuid4().hex,
        DATA_ENCRYPTION_KEY=new_key(),
        RATELIMIT_ENABLED="false",
        LOG_FORMAT="json",
    )
    return env


def flask(env: dict[str, str], *args: str) -> None:
    """Run one `flask --app wsgi` command, stopping the benchmark with its output if it fails."""
    done = subprocess.run(
        [str(BIN / "flask"), "--app", "wsgi", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"flask {' '.join(args)} failed:\n{done.stdout}{done.stderr}")


# The config gunicorn is given: gunicorn.conf.py itself plus one hook that marks each worker
# once it has loaded the app. A quiz worker takes about 0.7 s of CPU to import and build the
# app (hello far less); started inside a measured phase, that would be counted against it.
_READY_HOOK = """
exec(compile(open({conf!r}).read(), {conf!r}, "exec"))

def post_worker_init(worker):
    open({ready!r} + "/" + str(worker.pid), "w").close()
"""


@contextmanager
def gunicorn(app: str, env: dict[str, str], workers: int, log: Path, chdir: Path = ROOT):
    """Serve `app` with gunicorn.conf.py on a free loopback port; yield once every worker is up."""
    port = free_port()
    scratch = Path(tempfile.mkdtemp(prefix=f"{log.stem}-", dir=log.parent))
    config, ready = scratch / "gunicorn.conf.py", scratch / "ready"
    ready.mkdir()
    config.write_text(_READY_HOOK.format(conf=str(ROOT / "gunicorn.conf.py"), ready=str(ready)))
    with log.open("w") as sink:
        server = subprocess.Popen(
            [
                str(BIN / "gunicorn"),
                "-c",
                str(config),
                "-w",
                str(workers),
                "--bind",
                f"127.0.0.1:{port}",
                "--chdir",
                str(chdir),
                app,
            ],
            cwd=ROOT,
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    try:
        for _ in range(1200):
            if server.poll() is not None:
                raise SystemExit(f"gunicorn {app} exited:\n{log.read_text()[-3000:]}")
            if len(list(ready.iterdir())) >= workers:
                break
            time.sleep(0.05)
        else:
            raise SystemExit(f"gunicorn {app} never got ready:\n{log.read_text()[-3000:]}")
        if _health(port) != 200:
            raise SystemExit(f"gunicorn {app}: /healthz failed:\n{log.read_text()[-3000:]}")
        yield port
    finally:
        stop_process(server, timeout=20)


def _health(port: int) -> int:
    """The status of GET /healthz on that port."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        conn.request("GET", "/healthz")
        return conn.getresponse().status
    finally:
        conn.close()


# --- the throwaway PostgreSQL ------------------------------------------------------------


def _pg_bin(name: str) -> str:
    """Path of a PostgreSQL server program (the newest installed major version)."""
    found = sorted(
        glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), key=lambda p: int(p.split("/")[4])
    )
    if found:
        return found[-1]
    on_path = shutil.which(name)
    if on_path is None:
        raise SystemExit(f"{name} not found: install the PostgreSQL server package")
    return on_path


class Cluster:
    """A PostgreSQL cluster in a temporary directory, on a free loopback port."""

    def __init__(self, root: Path):
        self.root = root
        self.data = root / "data"
        self.port = free_port()
        # initdb refuses to run as root: run the server programs as the `postgres` user then.
        self.prefix: list[str] = []
        if os.geteuid() == 0:
            account = pwd.getpwnam("postgres")
            os.chown(root, account.pw_uid, account.pw_gid)
            self.prefix = ["runuser", "-u", "postgres", "--"]
        self.url = f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *args: str, timeout: int = 60) -> None:
        done = subprocess.run(
            [*self.prefix, *args],
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
            cwd=self.root,
        )
        if done.returncode != 0:
            raise SystemExit(f"{' '.join(args[:2])} failed:\n{done.stdout}{done.stderr}")

    def init(self) -> None:
        """Create the cluster: trust auth on loopback, no fsync (a drill, not a store)."""
        self._run(
            _pg_bin("initdb"), "-D", str(self.data), "-U", "postgres", "--auth=trust",
            "-E", "UTF8", "--no-sync",
        )  # fmt: skip

    def start(self) -> None:
        """Start the server and wait until it accepts connections."""
        options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run(
            _pg_bin("pg_ctl"), "-D", str(self.data), "-o", options,
            "-l", str(self.root / "postgres.log"), "-w", "-t", "30", "start",
        )  # fmt: skip

    def stop(self, mode: str = "fast") -> None:
        """Stop the server: `fast` ends every session (what a crash or failover looks like)."""
        self._run(_pg_bin("pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "-t", "30", "stop")

    def running(self) -> bool:
        """Tell whether the server's pid file is there (pg_ctl removes it on a clean stop)."""
        return (self.data / "postmaster.pid").exists()


@contextmanager
def throwaway_postgres():
    """Yield a started Cluster; stop it and delete every file of it afterwards."""
    root = Path(tempfile.mkdtemp(prefix="quiz-outage-"))
    cluster = Cluster(root)
    try:
        cluster.init()
        cluster.start()
        yield cluster
    finally:
        if cluster.running():
            with suppress(SystemExit, subprocess.TimeoutExpired):
                cluster.stop("immediate")
        shutil.rmtree(root, ignore_errors=True)


# --- answers ---------------------------------------------------------------------------


def default_answers() -> dict:
    """A complete valid answer set for the shipped questionnaire."""
    from quiz.questions import load
    from tests.helpers import answer_everything

    return answer_everything(load(ROOT / "questions.json"))
