"""Shared fixtures: the real datasets, a Spark session, one table on each engine, PostgreSQL."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import narwhals.stable.v2 as nw
import pytest
from hypothesis import settings

# CI runs the same examples every time (a failure there is reproducible);
# local runs keep exploring new ones. No per-example deadline: it is a timing
# assertion (speed lives in benchmarks/), and on a loaded 2-core machine an example
# that takes 30 ms can take 370 ms once, which failed a run.
settings.register_profile("local", deadline=None)
settings.register_profile("ci", derandomize=True, deadline=None)
settings.load_profile("ci" if os.environ.get("CI") else "local")

# One OpenMP thread per test process (read when scikit-learn first loads libgomp, so set
# here, before any test module imports it; subprocesses inherit it). Two xdist workers on
# two cores each spinning two OpenMP threads starve one another: one propensity project
# run took 89 s beside a running suite with the default, 27 s with one thread.
os.environ.setdefault("OMP_NUM_THREADS", "1")

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    import polars as pl

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = ROOT.parent / "shared" / "data"


@pytest.hookimpl(optionalhook=True)  # a hook of pytest-xdist's: absent under -p no:xdist
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """Under ``--dist loadscope`` (``make test``), every Spark module goes to one worker."""
    if config.getoption("dist", None) != "loadscope":
        return None
    from tests.scheduling import ModulesAndOneSparkWorker

    return ModulesAndOneSparkWorker(config, log)


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """../shared/data, or a skip when this checkout has none beside it."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"real datasets not found at {SHARED_DATA}")
    return SHARED_DATA


@pytest.fixture(scope="session")
def spark(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """A local[2] Spark session (skipped with a reason when Java or pyspark is missing).

    Its catalog's tables, and the log of the Derby database a JDBC test reads, are written
    to temporary folders, not the checkout. Where pyspark ships the Connect server (Spark 4),
    the same JVM also serves Spark Connect clients on a free loopback port
    (:func:`spark_connect_url`): a second JVM for the Connect tests would pay Spark's start
    and its cold first run again (about 150 s of a suite run on two cores).
    """
    if shutil.which("java") is None:
        pytest.skip("Spark tests need Java on PATH")
    pyspark_sql = pytest.importorskip(
        "pyspark.sql", reason="Spark tests need the segwise[spark] extra"
    )
    from segwise.engine.sessions import session_settings

    builder = pyspark_sql.SparkSession.builder
    if _connect_server_shipped():
        builder = builder.config("spark.plugins", CONNECT_PLUGIN).config(
            "spark.connect.grpc.binding.port", str(_free_port())
        )
    session = (
        builder.master("local[2]")
        .appName("segwise-tests")
        .config(map=session_settings())
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.ui.enabled", "false")
        .config("spark.driver.memory", "1g")
        .config("spark.sql.warehouse.dir", str(tmp_path_factory.mktemp("spark-warehouse")))
        .config(
            "spark.driver.extraJavaOptions",
            f"-Dderby.system.home={tmp_path_factory.mktemp('derby')} {QUICK_JVM}",
        )
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


@pytest.fixture(autouse=True)
def _spark_cache_cleared(request: pytest.FixtureRequest) -> Iterator[None]:
    """Each Spark test starts with nothing cached: the session is shared, its heap is not big."""
    yield
    if "spark" in request.fixturenames:
        request.getfixturevalue("spark").catalog.clearCache()


CONNECT_PLUGIN = "org.apache.spark.sql.connect.SparkConnectPlugin"
# The tests' JVM compiles with the quick (C1) compiler only and collects garbage on one
# thread: each test runs small plans once, so the optimising compiler's work is never paid
# back, and a parallel collector competes with the other xdist worker for two cores. The
# Spark tests alone, -n 2: 348 s with the JVM's defaults, 289 s with C1 only, 267 s with both
# (not a setting for users: long jobs on big data want the optimising compiler).
# With the quick compiler only, the JVM reserves 48 MB for compiled code, not 240 MB; the
# code Spark generates for each query filled it within six minutes of a suite run on one
# worker ("Out of space in CodeCache for adapters"), and the JVM's death failed every Spark
# test after it. The default size is given back.
QUICK_JVM = "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC -XX:ReservedCodeCacheSize=240m"


def _connect_server_shipped() -> bool:
    import importlib.util

    spec = importlib.util.find_spec("pyspark")
    if spec is None or spec.origin is None or importlib.util.find_spec("grpc") is None:
        return False
    return any((Path(spec.origin).parent / "jars").glob("spark-connect_*.jar"))


@pytest.fixture(scope="session")
def spark_connect_url(spark: Any) -> str:
    """The ``sc://`` URL of the Connect server in the shared session's JVM (or a skip)."""
    if CONNECT_PLUGIN not in spark.conf.get("spark.plugins", ""):
        pytest.skip("this pyspark ships no Spark Connect server (Spark 4 does), or no grpcio")
    port = int(spark.conf.get("spark.connect.grpc.binding.port"))
    deadline = time.monotonic() + 60
    while not _listening(port):
        if time.monotonic() > deadline:
            pytest.fail(f"the Spark Connect server in the test session is not listening on {port}")
        time.sleep(0.2)
    return f"sc://127.0.0.1:{port}"


def _listening(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


@pytest.fixture(
    params=["polars", "duckdb", pytest.param("spark", marks=pytest.mark.spark)],
)
def to_engine(request: pytest.FixtureRequest) -> Callable[[pl.DataFrame], Any]:
    """A function that puts a Polars DataFrame on the engine under test, as a native frame.

    Any feature, rule or model test that takes it runs once per engine
    (Polars lazy, a DuckDB relation, a Spark DataFrame), as narwhals'
    constructor fixtures do; the Spark run is skipped where Spark cannot start.
    """
    from segwise.engine.sessions import on_engine

    engine = request.param
    session = request.getfixturevalue("spark") if engine == "spark" else None

    def put(frame: pl.DataFrame) -> Any:
        return on_engine({"t": nw.from_native(frame.lazy())}, engine, session)["t"]

    put.engine = engine  # type: ignore[attr-defined]
    return put


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _pg_bin(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"))
    return str(candidates[-1]) if candidates else None


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """Start a throw-away PostgreSQL server on loopback and yield its URL."""
    initdb, pg_ctl = _pg_bin("initdb"), _pg_bin("pg_ctl")
    if initdb is None or pg_ctl is None:
        pytest.skip("PostgreSQL server binaries (initdb, pg_ctl) are not installed")
    # Not under pytest's tmp_path: its parents are private to root, and the server runs as postgres.
    base = Path(tempfile.mkdtemp(prefix="segwise-pg-"))
    data_dir = base / "data"
    prefix: list[str] = []
    if os.geteuid() == 0:  # the server refuses to run as root
        if shutil.which("runuser") is None:
            pytest.skip("running as root without runuser: cannot start PostgreSQL")
        try:
            import pwd

            user = pwd.getpwnam("postgres")
        except KeyError:
            pytest.skip("running as root and there is no 'postgres' user to start PostgreSQL as")
        os.chown(base, user.pw_uid, user.pw_gid)
        prefix = ["runuser", "-u", "postgres", "--"]
    port = _free_port()
    subprocess.run(
        [*prefix, initdb, "-D", str(data_dir), "-U", "segwise", "--auth=trust"],
        check=True,
        capture_output=True,
    )
    log = data_dir.parent / "pg.log"
    subprocess.run(
        [
            *prefix,
            pg_ctl,
            "-D",
            str(data_dir),
            "-l",
            str(log),
            "-w",
            "-o",
            f"-p {port} -k {data_dir.parent} -c listen_addresses=127.0.0.1",
            "start",
        ],
        check=True,
        capture_output=True,
    )
    url = f"postgresql://segwise@127.0.0.1:{port}/postgres"
    try:
        deadline = time.monotonic() + 20
        import psycopg

        while True:
            try:
                psycopg.connect(url).close()
                break
            except psycopg.OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        yield url
    finally:
        subprocess.run(
            [*prefix, pg_ctl, "-D", str(data_dir), "-m", "immediate", "stop"],
            capture_output=True,
            check=False,
        )
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture(scope="session")
def demo_run(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """The scaffolded demo project (``segwise init``) run once, as it comes: its RunResult.

    Shared by every test that reads the demo's first run (its members, cards, report, and
    the service over its store): read it, never run the project again (copy it first).
    """
    import segwise as sw

    folder = tmp_path_factory.mktemp("served")
    return sw.Project.from_yaml(sw.Project.init(folder)).run()


@pytest.fixture(scope="session")
def served_project(  # the service's tests and the project layer's share one demo run
    demo_run: Any,
) -> tuple[Path, dict[str, str]]:
    """The demo project of ``demo_run`` (one stored run), and a key for each role."""
    from segwise.project import open_workspace
    from segwise.store.keys import create_key

    config = Path(demo_run.store).parent / "segwise.yaml"
    store = open_workspace(config)
    keys = {
        role: create_key(store, f"{role}-key", role)[1] for role in ("viewer", "editor", "admin")
    }
    return config, keys


@pytest.fixture
def project_copy(served_project: tuple[Path, dict[str, str]], tmp_path: Path) -> Path:
    """A private copy of the served project (store and keys included) for tests that write."""
    config, _ = served_project
    target = tmp_path / "project"
    shutil.copytree(config.parent, target)
    return target / "segwise.yaml"


@pytest.fixture(scope="session")
def experiment_shop(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo with an experiment (tests/project/experiment_demo.py), built once: copy it."""
    from tests.project.experiment_demo import experiment_project

    return experiment_project(tmp_path_factory.mktemp("experiment-shop"))


@pytest.fixture
def experiment_copy(experiment_shop: Path, tmp_path: Path) -> Path:
    """A private copy of ``experiment_shop`` for one test."""
    from tests.project.experiment_demo import copy_project

    return copy_project(experiment_shop, tmp_path / "shop")


@pytest.fixture(scope="session")
def predicted_shop(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo's RFM and CLV segmentations run as of 2024-09-30 (a quarter of orders after).

    Read-only: copy it (``tests.project.experiment_demo.copy_project``) to run it again.
    """
    import segwise as sw
    from tests.project.demo import keep_segmentations

    folder = tmp_path_factory.mktemp("predicted-shop")
    config = keep_segmentations(sw.Project.init(folder), "value", "future")
    sw.Project.from_yaml(config).run(as_of="2024-09-30")
    return config
