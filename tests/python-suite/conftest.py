"""The official Python SDK's own integration tests, pointed at the dev server instead of docker.

``run.sh`` copies the suite's ``tests/`` out of the SDK's sdist, renames the suite's ``tests/conftest.py``
to ``tests/upstream_conftest.py`` and puts this file in its place. Everything the suite's conftest defines
is imported unchanged (drivers, sessions, tables, topics); only the fixtures that talk to docker are
replaced, and no test or assertion is touched:

- ``endpoint``: one dev server (``YDB_DEVSERVER_BIN``) for the whole run, as the suite runs one container,
  with the container's user (``root``, password ``1234``) and anonymous calls allowed, as there;
- ``docker_project``: ``stop()`` / ``start()`` stop and start the dev server's node through its admin
  endpoint (the port closes and opens again, as a killed and restarted container's does);
- ``docker_services`` / ``secure_endpoint``: not available (the TLS tests are deselected by ``-m "not tls"``,
  as the suite's own tox does for its plain run).

At the end it prints the counts, the share of tests that reach the server (those that use ``endpoint``),
and compares the failures with ``expected-failures.txt``: a failure not on the list fails the run, a listed
test that passes is reported.
"""

import json
import os
import subprocess
import sys
import types
import urllib.request

import pytest

# The suite's conftest imports the docker SDK and pytest-docker at the top; neither is used once the docker
# fixtures are replaced, so they are stand-ins here rather than installed.
_docker = types.ModuleType("docker")
_docker.errors = types.SimpleNamespace(DockerException=Exception)
sys.modules.setdefault("docker", _docker)
_pytest_docker = types.ModuleType("pytest_docker")
_pytest_docker_plugin = types.ModuleType("pytest_docker.plugin")
_pytest_docker_plugin.DockerComposeExecutor = None
_pytest_docker_plugin.Services = None
_pytest_docker_plugin.containers_scope = "session"
_pytest_docker.plugin = _pytest_docker_plugin
sys.modules.setdefault("pytest_docker", _pytest_docker)
sys.modules.setdefault("pytest_docker.plugin", _pytest_docker_plugin)

from tests.upstream_conftest import *  # noqa: E402,F401,F403 — the suite's own fixtures, unchanged


class DevServer:
    """A dev server process with an admin endpoint, started once for the run."""

    def __init__(self):
        binary = os.environ.get("YDB_DEVSERVER_BIN", "target/debug/ydb-devserver")
        self.proc = subprocess.Popen(
            # The suite's YDB container has the user root with password 1234 and lets calls without a
            # token through (the static-credentials tests log in; the rest do not).
            [binary, "--listen", "127.0.0.1:0", "--admin", "127.0.0.1:0", "--user", "root:1234", "--allow-anonymous"],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        self.endpoint = self.admin = None
        while self.endpoint is None or self.admin is None:
            line = self.proc.stdout.readline().strip()
            if not line:
                raise RuntimeError("the dev server exited before it was listening")
            if line.startswith("ydb-devserver listening on "):
                self.endpoint = line.rsplit(" ", 1)[1]
            elif line.startswith("ydb-devserver admin on "):
                self.admin = "http://" + line.rsplit(" ", 1)[1]

    def node(self, action):
        request = urllib.request.Request(f"{self.admin}/nodes/1/{action}", method="POST", data=b"")
        with urllib.request.urlopen(request, timeout=10) as answer:
            return json.load(answer)

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=10)


@pytest.fixture(scope="session")
def devserver():
    server = DevServer()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def endpoint(devserver):  # noqa: F811 — replaces the suite's docker-backed fixture
    yield devserver.endpoint


class DevServerProject:
    """The suite's ``DockerProject`` (kill the YDB container, bring it back) over the admin endpoint."""

    def __init__(self, devserver):
        self._devserver = devserver

    def stop(self):
        self._devserver.node("stop")

    def start(self):
        self._devserver.node("start")


@pytest.fixture(scope="module")
def docker_project(devserver):  # noqa: F811
    return DevServerProject(devserver)


@pytest.fixture(scope="session")
def docker_services():  # noqa: F811
    pytest.skip("no docker: the dev server stands in for the suite's container")


@pytest.fixture(scope="session")
def secure_endpoint():  # noqa: F811
    pytest.skip("the dev server does not serve TLS")


# --- the tally and the comparison with the expected failures ------------------------------------------

_outcomes = {}  # nodeid -> "passed" | "failed" | "skipped" | "error"
_reaches_server = set()


def pytest_collection_modifyitems(items):
    for item in items:
        if "endpoint" in getattr(item, "fixturenames", ()):
            _reaches_server.add(item.nodeid)


def pytest_runtest_logreport(report):
    previous = _outcomes.get(report.nodeid)
    if report.when == "call":
        outcome = report.outcome
    elif report.failed:
        outcome = "error"  # a fixture (setup or teardown) failed
    elif report.skipped:
        outcome = "skipped"
    elif report.when == "setup":
        outcome = "passed"  # provisional until the call reports
    else:
        return
    if previous in ("failed", "error") and outcome != "error":
        return
    _outcomes[report.nodeid] = outcome


def _expected_failures():
    path = os.environ.get("PYTHON_SUITE_EXPECTED", "")
    expected = {}
    if path:
        with open(path, encoding="utf-8") as listing:
            for line in listing:
                line = line.strip()
                if not line or line.startswith("#"):
                    continue
                nodeid, _, reason = line.partition(" # ")
                expected[nodeid.strip()] = reason.strip()
    return expected


def _summary():
    counts = {kind: 0 for kind in ("passed", "failed", "error", "skipped")}
    server = {kind: 0 for kind in counts}
    for nodeid, outcome in _outcomes.items():
        counts[outcome] += 1
        if nodeid in _reaches_server:
            server[outcome] += 1
    failing = {n for n, o in _outcomes.items() if o in ("failed", "error")}
    expected = _expected_failures()
    return counts, server, failing, expected


def pytest_terminal_summary(terminalreporter):
    counts, server, failing, expected = _summary()
    write = terminalreporter.write_line
    total = sum(counts.values())
    server_total = sum(server.values())
    write("")
    write("=== the official Python SDK's suite against the dev server")
    write(
        f"all tests:        {total}: {counts['passed']} passed, {counts['failed']} failed, "
        f"{counts['error']} errors, {counts['skipped']} skipped"
    )
    if server_total:
        share = 100.0 * server["passed"] / server_total
        write(
            f"reach the server: {server_total}: {server['passed']} passed ({share:.1f} %), {server['failed']} "
            f"failed, {server['error']} errors, {server['skipped']} skipped"
        )
    unexpected = sorted(failing - set(expected))
    label = "UNEXPECTED FAILURE" if os.environ.get("PYTHON_SUITE_EXPECTED") else "FAILED"
    fixed = sorted(n for n in expected if _outcomes.get(n) == "passed")
    for nodeid in unexpected:
        write(f"{label}: {nodeid}", red=True)
    for nodeid in fixed:
        write(f"now passes (take it off expected-failures.txt): {nodeid}", green=True)
    for nodeid in sorted(failing & set(expected)):
        write(f"expected failure: {nodeid} — {expected[nodeid]}")


def pytest_sessionfinish(session, exitstatus):
    if not os.environ.get("PYTHON_SUITE_EXPECTED") or exitstatus not in (0, 1):
        return  # no list given (a partial run), or pytest itself failed (usage, collection, interrupt)
    _, _, failing, expected = _summary()
    session.exitstatus = 1 if failing - set(expected) else 0
