"""The JupyterLab that make jupyter, labkit jupyter and the browser tests start: IPC kernels, subshells untracked."""

from jupyter_server.services.kernels.kernelmanager import MappingKernelManager

from labkit.notebook_server import command, server_options


def test_kernels_on_ipc_sockets():
    assert "--KernelManager.transport=ipc" in server_options()


def test_subshell_requests_join_the_untracked_messages_and_none_is_lost():
    untracked = [o.split("=", 1)[1] for o in server_options() if o.startswith("--MappingKernelManager.untracked_message_types=")]
    default = MappingKernelManager.class_traits()["untracked_message_types"].default()
    assert set(default) < set(untracked)
    assert {"create_subshell_request", "delete_subshell_request", "list_subshell_request"} < set(untracked)


def test_options_come_before_the_folder(tmp_path):
    argv = command(tmp_path, ["--no-browser"])
    assert argv[1:3] == ["-m", "jupyterlab"] and argv[-2:] == ["--no-browser", str(tmp_path)]
