"""How a batch starts its workers: from a fork server unless its socket path would be too long."""

import tempfile

from hbm_widgets.report import batch


def test_workers_come_from_a_fork_server_where_its_socket_fits(monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", "/tmp")
    assert batch._worker_context().get_start_method() == "forkserver"


def test_workers_are_spawned_where_the_temp_folder_is_too_deep_for_a_socket(monkeypatch):
    deep = "/tmp/" + "/".join(["folder"] * 12)  # 89 characters, 121 with the socket's name
    monkeypatch.setattr(tempfile, "tempdir", deep)
    assert batch._worker_context().get_start_method() == "spawn"
