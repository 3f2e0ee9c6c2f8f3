"""The garbage collector while clients are rendered (workers._run_one, install_worker): paused
during each client's task, back on after it (an error included); a pool worker hides what it
inherited from the collector; the building process itself is left as it was."""

from __future__ import annotations

import gc
import weakref

import pytest

from reportgen import workers


class _Probe:
    """Stands in for a ClientWorker: reports what the collector looked like during the task."""

    def __init__(self, fail: bool = False):
        self.fail = fail

    def run(self, task):  # type: ignore[no-untyped-def]
        if self.fail:
            raise RuntimeError("a template failed")
        return gc.isenabled()


def test_the_collector_is_paused_during_a_task_and_back_on_after():
    assert gc.isenabled()
    assert workers._run_one(_Probe(), None) is False
    assert gc.isenabled()
    with pytest.raises(RuntimeError):
        workers._run_one(_Probe(fail=True), None)
    assert gc.isenabled()


def _allocate(containers: int) -> None:
    """Enough new container objects to cross the collector's thresholds many times."""
    kept = [[] for _ in range(containers)]
    del kept


def test_a_cycle_survives_a_busy_task_and_is_collected_after_it_without_asking():
    class Node:
        pass

    class Busy:
        def run(self, task):  # type: ignore[no-untyped-def]
            node = Node()
            node.self = node  # garbage only the collector frees
            alive = weakref.ref(node)
            del node
            _allocate(200_000)  # (collections would run here, and free it, if not paused)
            return alive, alive() is not None

    alive, held_during_the_task = workers._run_one(Busy(), None)
    assert held_during_the_task  # the collector did not run during the task
    _allocate(200_000)  # the next task's allocations: the thresholds run it, nobody calls collect
    assert alive() is None


def test_a_pool_worker_freezes_what_it_inherited(monkeypatch):
    import multiprocessing

    monkeypatch.setattr(workers, "ClientWorker", lambda setup: object())
    context = multiprocessing.get_context("fork")
    with context.Pool(1, initializer=workers.install_worker, initargs=(None,)) as pool:
        assert pool.apply(gc.get_freeze_count) > 1000
    assert gc.get_freeze_count() == 0  # (only the worker's own process)


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_build_leaves_the_collector_as_it_found_it(project, cli, jobs):
    for extra in ([], ["--clean"]):
        result = cli("build", "--project", project, "--jobs", jobs, *extra)
        assert result.exit_code == 0, result.output
        assert gc.isenabled()
        assert gc.get_freeze_count() == 0
