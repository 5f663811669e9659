"""``labkit sim start|stop|status|kubeconfig``: the simulator as a detached, private, persistent service.

Every simulator here is started by the real ``labkit`` command in its own process, with its own
temporary state directory, and stopped by a fixture finalizer even when a test fails.
"""

from __future__ import annotations

import ipaddress
import json
import os
import shutil
import signal
import stat
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from pathlib import Path

import kubernetes
import pytest
import requests
from azure.mgmt.containerservice import ContainerServiceClient
from click.testing import CliRunner
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from labkit.cli import main
from labkit.sim import service
from labkit.sim.certs import ensure_certificates
from labkit.sim.client import credential
from labkit.sim.server import SimServer
from labkit.sim.state_lock import StateInUse
from labkit.sim.world import ensure_token

REPO = Path(__file__).resolve().parents[2]
#: Real seconds per Azure second: a pool provisions in about 0.13 s.
TIME_SCALE = "0.0003"
LINUX_POOL = {"properties": {"vmSize": "Standard_D4ds_v5", "osType": "Linux", "count": 1}}
LRO_TIMEOUT = 10
#: The state of a listening socket in /proc/net/tcp and /proc/net/tcp6.
TCP_LISTEN = "0A"
NEEDS_PROC = pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="looks at processes through /proc")

#: Another process using the SDK: reads the pool named by argv[1], creates the one named by argv[2].
OTHER_PROCESS = """
import json, sys
from pathlib import Path
from azure.mgmt.containerservice import ContainerServiceClient
from labkit.sim import service
from labkit.sim.client import credential

info = service.status()
aks = ContainerServiceClient(
    credential(Path(info["state_dir"]), info["authority"]), info["subscription_id"],
    base_url=info["arm_endpoint"], connection_verify=info["ca_file"], polling_interval=0.01)
names = info["resource_group"], info["cluster_name"]
seen = aks.agent_pools.get(*names, sys.argv[1]).properties.count
body = {"properties": {"vmSize": "Standard_D4ds_v5", "osType": "Linux", "count": 2}}
aks.agent_pools.begin_create_or_update(*names, sys.argv[2], body).result(timeout=10)
print(json.dumps({"seen_count": seen}))
"""

#: Another process starting the simulator: says it is ready, waits for the file argv[1], prints the pid it got.
RACER = """
import sys, time
from pathlib import Path
from labkit.sim import service

go = Path(sys.argv[1])
print("ready", flush=True)
while not go.exists():
    time.sleep(0.001)
print(service.start()["pid"])
"""


def sim_env(state_dir: Path) -> dict[str, str]:
    return {**os.environ, "LABKIT_STATE_DIR": str(state_dir), "LABKIT_SIM_TIME_SCALE": TIME_SCALE}


def run_in_own_process(state_dir: Path, *args: str) -> subprocess.CompletedProcess:
    """Run ``python ...args`` with the simulator's environment, capturing its output through pipes.

    The timeout is what catches a daemon that keeps the pipes open: ``run`` waits for their end.
    """
    return subprocess.run(
        [sys.executable, *args], env=sim_env(state_dir), capture_output=True, text=True, timeout=20,
    )


def labkit_process(state_dir: Path, *args: str) -> subprocess.CompletedProcess:
    """The real ``labkit`` command, as its own process."""
    return run_in_own_process(state_dir, "-m", "labkit", *args)


def labkit_in_process(state_dir: Path, *args: str):
    """The ``labkit`` command through click's runner, for checking what it prints."""
    return CliRunner().invoke(main, list(args), env=sim_env(state_dir))


def start_with_cli(state_dir: Path) -> dict:
    """``labkit sim start`` in its own process; returns the simulator's status."""
    started = labkit_process(state_dir, "sim", "start")
    assert started.returncode == 0, started.stderr
    return service.status(state_dir)


@pytest.fixture(scope="module")
def running(tmp_path_factory):
    """One simulator for the tests that only look at it; stopped when the module ends."""
    state_dir = tmp_path_factory.mktemp("shared") / "state"
    try:
        yield start_with_cli(state_dir)
    finally:
        service.stop(state_dir)


@pytest.fixture
def state_dir(tmp_path):
    """A state directory of the test's own; whatever simulator runs there is stopped afterwards."""
    path = tmp_path / "state"
    try:
        yield path
    finally:
        service.stop(path)
        for pid in server_pids(path):  # servers nobody can stop any more, should a start ever orphan one
            os.kill(pid, signal.SIGKILL)


@pytest.fixture
def unreaped_zombie(until):
    """The pid of a process that has exited but that its parent never reaps, as under a lax init."""
    parent = subprocess.Popen(["sh", "-c", "sleep 0 & echo $!; exec sleep 30"], stdout=subprocess.PIPE, text=True)
    try:
        pid = int(parent.stdout.readline())
        until(lambda: process_state(pid) == "Z")
        yield pid
    finally:
        parent.kill()
        parent.wait()
        parent.stdout.close()


def server_pids(state_dir: Path) -> list[int]:
    """Every simulator server process serving ``state_dir``, whoever started it (from /proc/*/cmdline)."""
    wanted = b"\0labkit.sim.server\0--state-dir\0" + bytes(state_dir) + b"\0"
    pids = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            if wanted in cmdline.read_bytes():
                pids.append(int(cmdline.parent.name))
        except OSError:  # the process has just ended
            pass
    return pids


def start_after(go: Path, state_dir: Path) -> int:
    """Once ``go`` exists, start the simulator from this thread; the pid it got."""
    while not go.exists():
        time.sleep(0.001)
    return service.start(state_dir, time_scale=float(TIME_SCALE))["pid"]


def start_at_once(state_dir: Path, go: Path, threads: int, processes: int) -> list[int]:
    """Start the simulator from threads of this process and from other processes, all released together."""
    with ExitStack() as stack:
        racers = [
            stack.enter_context(subprocess.Popen(
                [sys.executable, "-c", RACER, str(go)], env=sim_env(state_dir), stdout=subprocess.PIPE, text=True,
            ))
            for _ in range(processes)
        ]
        for racer in racers:
            stack.callback(racer.kill)  # before the exit of its Popen, which waits for it
        assert [racer.stdout.readline() for racer in racers] == ["ready\n"] * processes
        with ThreadPoolExecutor(threads) as pool:
            started = [pool.submit(start_after, go, state_dir) for _ in range(threads)]
            go.touch()
            pids = [future.result(timeout=30) for future in started]
        return pids + [int(racer.communicate(timeout=30)[0]) for racer in racers]


def at_once(count: int, function, *args) -> list:
    """``function(*args)`` from ``count`` threads released together; what each returned."""
    barrier = threading.Barrier(count)

    def call(_):
        barrier.wait()
        return function(*args)

    with ThreadPoolExecutor(count) as pool:
        return list(pool.map(call, range(count)))


def process_state(pid: int) -> str:
    """R, S, Z...: the state letter that follows the command name in /proc/<pid>/stat."""
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]


def arm_client(cls, info: dict):
    """An Azure SDK client pointed at the simulator with nothing but what ``status`` says."""
    return cls(
        credential(Path(info["state_dir"]), info["authority"]), info["subscription_id"],
        base_url=info["arm_endpoint"], connection_verify=info["ca_file"], polling_interval=0.01,
    )


def core_api(kubeconfig: Path) -> kubernetes.client.CoreV1Api:
    configuration = kubernetes.client.Configuration()
    kubernetes.config.load_kube_config(config_file=str(kubeconfig), client_configuration=configuration)
    return kubernetes.client.CoreV1Api(kubernetes.client.ApiClient(configuration))


def namespaces(api: kubernetes.client.CoreV1Api) -> list[str]:
    return [namespace.metadata.name for namespace in api.list_namespace().items]


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def fd_target(pid: int, fd: str) -> str:
    return os.readlink(f"/proc/{pid}/fd/{fd}")


def socket_inodes(pid: int) -> set[str]:
    targets = [fd_target(pid, fd) for fd in os.listdir(f"/proc/{pid}/fd")]
    return {target[len("socket:["):-1] for target in targets if target.startswith("socket:[")}


def listening_addresses(pid: int) -> list[tuple[str, int]]:
    """(host, port) of every TCP socket ``pid`` listens on, from /proc/net/tcp and tcp6."""
    inodes = socket_inodes(pid)
    found = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if fields[3] == TCP_LISTEN and fields[9] in inodes:
                found.append(decode_address(fields[1]))
    return found


def decode_address(text: str) -> tuple[str, int]:
    """``0100007F:1F90`` -> ``("127.0.0.1", 8080)``: the kernel prints each 32-bit word in host order."""
    host, port = text.split(":")
    words = [bytes.fromhex(host[i:i + 8])[::-1] for i in range(0, len(host), 8)]
    return str(ipaddress.ip_address(b"".join(words))), int(port, 16)


def test_start_again_keeps_the_running_server(running):
    again = labkit_process(Path(running["state_dir"]), "sim", "start")
    assert again.returncode == 0 and f"pid {running['pid']}" in again.stdout
    assert service.status(running["state_dir"])["pid"] == running["pid"]


def test_status_json_says_how_to_reach_the_simulator(running):
    result = labkit_in_process(Path(running["state_dir"]), "sim", "status", "--json")
    info = json.loads(result.stdout)
    assert result.exit_code == 0 and info["running"] is True and info["pid"] == running["pid"]
    assert info["arm_endpoint"].startswith("https://127.0.0.1:")
    assert (info["resource_group"], info["cluster_name"]) == ("myResourceGroup", "myAKSCluster")
    assert len(info["subscription_id"]) == 36
    for key in ("ca_file", "token_file", "kubeconfig"):
        assert Path(info[key]).is_file(), key


def test_status_text_lists_the_endpoint_while_running(running):
    result = labkit_in_process(Path(running["state_dir"]), "sim", "status")
    assert result.exit_code == 0 and running["arm_endpoint"] in result.stdout


def test_status_when_stopped_exits_3_and_says_how_to_start(tmp_path):
    result = labkit_in_process(tmp_path, "sim", "status")
    assert result.exit_code == 3 and "labkit sim start" in result.stdout
    as_json = labkit_in_process(tmp_path, "sim", "status", "--json")
    assert as_json.exit_code == 0 and json.loads(as_json.stdout)["running"] is False


def test_kubeconfig_is_private_and_works_with_the_kubernetes_client(running):
    result = labkit_in_process(Path(running["state_dir"]), "sim", "kubeconfig")
    path = Path(result.stdout.strip())
    assert result.exit_code == 0 and mode(path) == 0o600
    assert "kube-system" in namespaces(core_api(path))


def test_kubeconfig_when_stopped_is_an_error(tmp_path):
    result = labkit_in_process(tmp_path, "sim", "kubeconfig")
    assert result.exit_code == 1 and "labkit sim start" in result.output


def test_secrets_are_readable_only_by_their_owner(running):
    state_dir = Path(running["state_dir"])
    assert mode(state_dir) == 0o700
    assert mode(running["token_file"]) == mode(state_dir / "server-key.pem") == 0o600


@NEEDS_PROC
def test_server_is_detached_into_its_own_session_with_output_in_sim_log(running):
    pid = running["pid"]
    assert os.getsid(pid) == pid != os.getsid(0)
    assert fd_target(pid, "0") == os.devnull
    assert fd_target(pid, "1") == fd_target(pid, "2") == str(Path(running["log_file"]).resolve())
    assert not [fd for fd in os.listdir(f"/proc/{pid}/fd") if fd_target(pid, fd).startswith("pipe:")]
    assert "listening on " + running["arm_endpoint"] in Path(running["log_file"]).read_text()


ARM_PATH = "/subscriptions/{subscription_id}/resourceGroups/myResourceGroup?api-version=2021-04-01"
KUBE_PATH = "/api/v1/nodes"
PLANES = pytest.mark.parametrize("path", [ARM_PATH, KUBE_PATH], ids=["arm", "kubernetes"])


@PLANES
@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer not-the-token"}, {"Authorization": "Bearer n\u00f6t-ascii"}],
    ids=["no-token", "wrong-token", "non-ascii-token"],
)
def test_requests_without_the_token_are_refused(running, path, headers):
    url = running["arm_endpoint"] + path.format(**running)
    assert requests.get(url, headers=headers, verify=running["ca_file"], timeout=5).status_code == 401


def test_requests_with_their_plane_s_token_are_answered(running):
    """ARM takes an access token from the simulator's Entra stand-in; the Kubernetes plane its cluster token."""
    cluster_token = Path(running["token_file"]).read_text().strip()
    access_token = credential(Path(running["state_dir"]), running["authority"]).get_token(
        "https://management.azure.com/.default").token
    for path, token in [(ARM_PATH, access_token), (KUBE_PATH, cluster_token)]:
        url = running["arm_endpoint"] + path.format(**running)
        assert requests.get(url, headers={"Authorization": f"Bearer {token}"}, verify=running["ca_file"],
                            timeout=5).status_code == 200, path
    for path, token in [(ARM_PATH, cluster_token), (KUBE_PATH, access_token)]:
        url = running["arm_endpoint"] + path.format(**running)
        assert requests.get(url, headers={"Authorization": f"Bearer {token}"}, verify=running["ca_file"],
                            timeout=5).status_code == 401, path


@NEEDS_PROC
def test_server_listens_only_on_loopback(running):
    addresses = listening_addresses(running["pid"])
    port = int(running["arm_endpoint"].rsplit(":", 1)[1])
    assert (("127.0.0.1", port) in addresses) and {host for host, _ in addresses} == {"127.0.0.1"}


def test_plain_http_gets_no_answer(running):
    url = running["arm_endpoint"].replace("https://", "http://") + KUBE_PATH
    with pytest.raises(requests.ConnectionError):
        requests.get(url, timeout=5)


def test_pools_and_credentials_survive_a_restart(state_dir, tmp_path):
    first = start_with_cli(state_dir)
    names = first["resource_group"], first["cluster_name"]
    pools = arm_client(ContainerServiceClient, first).agent_pools
    created = pools.begin_create_or_update(*names, "keep", LINUX_POOL).result(timeout=LRO_TIMEOUT).as_dict()
    old_kubeconfig = shutil.copy(first["kubeconfig"], tmp_path / "old-kubeconfig")
    token, ca = Path(first["token_file"]).read_bytes(), Path(first["ca_file"]).read_bytes()

    assert labkit_in_process(state_dir, "sim", "stop").stdout == "simulator stopped\n"
    assert not service.status(state_dir)["running"]
    second = start_with_cli(state_dir)

    assert second["pid"] != first["pid"] and second["arm_endpoint"] == first["arm_endpoint"]
    assert (Path(second["token_file"]).read_bytes(), Path(second["ca_file"]).read_bytes()) == (token, ca)
    assert arm_client(ContainerServiceClient, second).agent_pools.get(*names, "keep").as_dict() == created
    assert "default" in namespaces(core_api(old_kubeconfig))


def test_two_processes_see_one_world(running):
    names = running["resource_group"], running["cluster_name"]
    pools = arm_client(ContainerServiceClient, running).agent_pools
    pools.begin_create_or_update(*names, "fromtest", LINUX_POOL).result(timeout=LRO_TIMEOUT)

    other = run_in_own_process(Path(running["state_dir"]), "-c", OTHER_PROCESS, "fromtest", "fromscript")

    assert other.returncode == 0, other.stderr
    assert json.loads(other.stdout) == {"seen_count": 1}
    assert pools.get(*names, "fromscript").properties.count == 2


@pytest.mark.parametrize("spoil", ["state.db", "config.json", "state.db-dir"])
def test_a_state_that_cannot_be_read_says_so_in_one_line_and_reset_starts_clean(state_dir, spoil):
    state_dir.mkdir(parents=True)
    if spoil == "state.db-dir":
        (state_dir / "state.db").mkdir()
    else:
        (state_dir / spoil).write_bytes(b"\x00not what it should be\xff")
    result = labkit_process(state_dir, "sim", "start")
    assert result.returncode == 1 and "Traceback" not in result.stderr and len(result.stderr.splitlines()) == 1
    assert "cannot be read" in result.stderr and "`labkit sim reset`" in result.stderr

    reset = labkit_process(state_dir, "sim", "reset")
    assert reset.returncode == 0, reset.stderr
    (backup,) = state_dir.glob("state-*.bak")
    assert (backup / spoil.removesuffix("-dir")).exists() and f"state kept in {backup}" in reset.stdout
    assert service.status(state_dir)["running"]
    assert "Traceback" not in (state_dir / "sim.log").read_text()


def test_a_second_server_on_the_same_state_refuses_to_start(running):
    state_dir = Path(running["state_dir"])
    second = run_in_own_process(state_dir, "-m", "labkit.sim.server", "--state-dir", str(state_dir))
    assert second.returncode == 1 and "Traceback" not in second.stderr
    assert f"another simulator (pid {running['pid']} at {running['arm_endpoint']}) already serves" in second.stderr
    with pytest.raises(StateInUse):
        SimServer(state_dir)  # in this process too: the lock is the state directory's, not a file's content
    assert service.status(state_dir)["pid"] == running["pid"]


def test_status_and_stop_find_the_server_whatever_happened_to_its_files(state_dir):
    first = start_with_cli(state_dir)
    (state_dir / "server.lock").write_text("garbage")  # the lock stays with the server; its note is gone
    info = service.status(state_dir)
    assert info["running"] and info["pid"] == first["pid"]
    assert labkit_in_process(state_dir, "sim", "stop").stdout == "simulator stopped\n"
    assert not service.status(state_dir)["running"] and server_pids(state_dir) == []


@NEEDS_PROC
def test_a_lock_file_naming_a_dead_or_other_process_is_no_server(tmp_path, unreaped_zombie):
    bystander = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        for pid in (unreaped_zombie, bystander.pid):
            (tmp_path / "server.lock").write_text(json.dumps({"pid": pid, "url": "https://127.0.0.1:1"}))
            assert service.status(tmp_path)["running"] is False
            assert service.stop(tmp_path) is False
        assert bystander.poll() is None
    finally:
        bystander.kill()
        bystander.wait()


def test_truncating_the_database_under_a_running_server_stops_it_with_one_line(state_dir, until):
    info = start_with_cli(state_dir)
    core_api(Path(info["kubeconfig"])).create_namespace({"metadata": {"name": "before"}})
    (state_dir / "state.db").write_bytes(b"")
    until(lambda: not service.status(state_dir)["running"], seconds=10, what="the server to stop")
    log = (state_dir / "sim.log").read_text()
    assert f"{state_dir / 'state.db'} was truncated or overwritten; the simulator stops." in log
    assert "Traceback" not in log


def test_stop_when_not_running_says_so_and_succeeds(tmp_path):
    result = labkit_in_process(tmp_path, "sim", "stop")
    assert (result.exit_code, result.stdout) == (0, "simulator was not running\n")


def test_a_saved_port_taken_by_another_program_is_given_up(state_dir):
    import socket

    state_dir.mkdir(parents=True)
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        taken = squatter.getsockname()[1]
        (state_dir / "port").write_text(str(taken))
        info = start_with_cli(state_dir)
    assert info["running"] and not info["arm_endpoint"].endswith(f":{taken}")


@NEEDS_PROC
def test_parallel_starts_share_one_server_that_one_stop_ends(state_dir, tmp_path):
    pids = start_at_once(state_dir, tmp_path / "go", threads=2, processes=2)

    assert len(set(pids)) == 1 and server_pids(state_dir) == [pids[0]]
    assert service.status(state_dir)["pid"] == pids[0]
    assert service.stop(state_dir) is True
    assert server_pids(state_dir) == [] and service.status(state_dir)["running"] is False


def test_first_runs_at_once_agree_on_one_token(tmp_path):
    tokens = at_once(8, ensure_token, tmp_path)
    assert set(tokens) == {(tmp_path / "token").read_text()} and mode(tmp_path / "token") == 0o600
    assert not [path.name for path in tmp_path.iterdir() if path.name != "token"]


def test_first_runs_at_once_agree_on_one_certificate_chain(tmp_path):
    ca_file, cert_file, key_file = at_once(8, ensure_certificates, tmp_path)[0]
    ca = x509.load_pem_x509_certificate(ca_file.read_bytes())
    cert = x509.load_pem_x509_certificate(cert_file.read_bytes())
    key = serialization.load_pem_private_key(key_file.read_bytes(), password=None)

    cert.verify_directly_issued_by(ca)
    assert cert.public_key() == key.public_key()
    assert mode(key_file) == 0o600


#: Stand-ins for what tools/get-kubectl.sh runs, failing as they do on some machines; and what the script must say.
UNHELPFUL_MACHINES = {
    "apt-get-fails": ({"apt-get": 'echo "E: Could not open lock file" >&2; exit 100'}, "Could not open lock file"),
    "package-not-in-archives": (
        {"apt-get": '[ "$1" = update ] && exit 0; echo "E: Unable to locate package kubernetes-client" >&2; exit 100'},
        "Unable to locate package kubernetes-client",
    ),
    "not-root-and-sudo-wants-a-password": (
        {
            "id": "echo 1000",
            # Only with -n does sudo give up at once; without it, it would wait for a password nobody types.
            "sudo": '[ "$1" = -n ] || { echo "sudo: waited for a password" >&2; exit 1; }; echo "sudo: a password is required" >&2; exit 1',
            "apt-get": 'echo "E: Unable to locate package kubernetes-client" >&2; exit 100',
        },
        "sudo: a password is required",
    ),
}


def write_executable(path: Path, text: str) -> None:
    path.write_text(text)
    path.chmod(0o755)


@pytest.mark.parametrize("stubs, why", UNHELPFUL_MACHINES.values(), ids=UNHELPFUL_MACHINES.keys())
def test_get_kubectl_says_why_it_skips_and_lets_ci_go_on(tmp_path, stubs, why):
    script = tmp_path / "repo" / "tools" / "get-kubectl.sh"
    script.parent.mkdir(parents=True)
    shutil.copy(REPO / "tools" / "get-kubectl.sh", script)
    (tmp_path / "bin").mkdir()
    for name, body in stubs.items():
        write_executable(tmp_path / "bin" / name, f"#!/bin/sh\n{body}\n")
    env = {**os.environ, "PATH": f"{tmp_path / 'bin'}{os.pathsep}{os.environ['PATH']}"}

    result = subprocess.run(["bash", str(script)], env=env, capture_output=True, text=True, timeout=10)

    assert result.returncode == 0 and why in result.stderr and "will be skipped" in result.stderr
    assert not (tmp_path / "repo" / ".tools").exists()
