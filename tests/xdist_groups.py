"""How the suite is shared between pytest-xdist's workers (``make test`` runs ``-n auto``).

Each *group* of tests runs whole, in collection order, on one worker, so what a group builds
once (a module-scoped warehouse, a session-wide server) is built once:

* ``tests/flows``: the Prefect test harness (``prefect_harness``, a server that takes ~20 s to
  start), shared by every flow test;
* ``tests/publish``: one PostgreSQL server and the warehouse it publishes;
* every other test: its module (module-scoped fixtures are built once).

pytest-xdist's own ``--dist loadgroup`` cannot do this with pytest 9 (it renames the test ids
through an attribute pytest 9 no longer reads), so the controller uses :class:`GroupScheduling`
(``pytest_xdist_make_scheduler`` in tests/conftest.py): xdist's ``loadscope`` scheduling with
:func:`group_of` as the scope. The groups are handed out in collection order, which
tests/conftest.py sets on the workers: groups that start a server first, then the groups with a
``slow`` test, then the rest, so no long group starts last while the other worker idles.
"""

from __future__ import annotations

from xdist.scheduler import LoadScopeScheduling

#: Folders whose tests share a server started once per worker process: one group each.
FOLDER_GROUPS = ("tests/flows/", "tests/publish/")
#: Groups that start a server: handed out first.
SERVER_GROUPS = ("tests/flows", "tests/publish", "tests/prefect_server/test_real_server.py")


def group_of(nodeid: str) -> str:
    """The group of a test id such as ``tests/emails/test_revisions.py::test_x[a]``."""
    for folder in FOLDER_GROUPS:
        if nodeid.startswith(folder):
            return folder.rstrip("/")
    return nodeid.split("::", 1)[0]


class GroupScheduling(LoadScopeScheduling):
    """xdist's ``loadscope`` scheduling, with :func:`group_of` as the scope."""

    def _split_scope(self, nodeid: str) -> str:
        return group_of(nodeid)
