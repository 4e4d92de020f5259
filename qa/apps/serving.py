"""``qa serve --ray ADDRESS --replicas N``: the JSON API on Ray Serve, questions spread over N replicas.

Every replica holds its own read-only QA pipeline over one index folder, which
every node must see at the same path (a shared or synced folder). Before each
question a replica compares the index's live version (:func:`qa.store.index.live_version`,
one small file read) with the one it loaded and reloads when they differ. Changes
(uploads, removals) go through the one ingress replica, the writer, under the
index's lock (:func:`qa.store.index.index_lock`, as every ``build_index``), and feedback is
written there too. Accounts and roles are checked in the ingress, as by ``qa serve``.

The chat page is not served on Ray (run ``qa serve`` or ``app.py`` for it). Needs the
``cluster`` extra: ``pip install -e ".[cluster]"``.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

APP_NAME = "qa"


class QAReplica:
    """A Ray Serve replica body: one read-only pipeline, reloaded when the index changes.

    Args:
        index_dir: the index folder (absolute; the same path on every node).
        reader: the reader preset, model id or folder (None: the default one).
        threads: torch threads for this replica (0: torch's choice).
    """

    def __init__(self, index_dir: str, reader: str | None = None, threads: int = 0):
        if threads:
            import torch

            torch.set_num_threads(threads)
        from qa.apps.webapp import ChatService
        from qa.pipeline import QA
        from qa.store.index import live_version

        self.index_dir = index_dir
        self.version = live_version(index_dir)
        self.service = ChatService(index_dir, qa=QA(index_dir, reader))

    def _fresh(self) -> None:
        """Reload the index when a writer saved a new version since it was loaded."""
        from qa.store.index import live_version

        version = live_version(self.index_dir)
        if version != self.version:
            self.service.qa.reload()
            self.version = version

    def ask(self, question: str, history: list[str], top_k: int, answers: int,
            operating_point: str | None = None) -> dict:
        """:meth:`qa.apps.webapp.ChatService.api_ask`'s reply (the caller has checked the role)."""
        self._fresh()
        return self.service.api_ask(question, history, top_k, answers, operating_point=operating_point)


class ApiIngress:
    """The Ray Serve ingress body: the JSON API of ``qa serve`` (no chat page), the index's one writer.

    Args:
        replicas: the handle of the :class:`QAReplica` deployment that answers ``/ask``.
        index_dir, reader: as for :class:`QAReplica`.
        users_file: the accounts file (None: one user, and the server listens on 127.0.0.1 only).
    """

    def __init__(self, replicas, index_dir: str, reader: str | None, users_file: str | None):
        from qa.apps.accounts import Users
        from qa.apps.webapp import ChatService

        self.replicas = replicas
        self.service = ChatService(index_dir, reader=reader, users=Users(users_file) if users_file else None)

    def _ask(self, question: str, history: list[str], top_k: int, answers: int, user: str | None = None,
             operating_point: str | None = None) -> dict:
        """Check the role here, answer on a replica (blocking: called in a worker thread)."""
        self.service.require(user, "ask")
        return self.replicas.ask.remote(question, list(history), top_k, answers, operating_point).result()

    def __serve_build_asgi_app__(self):
        from qa.apps.server import create_app

        return create_app(self.service, chat_page=False, asker=self._ask)


def deploy(index_dir: str | Path, replicas: int = 1, reader: str | None = None, users_file: str | None = None,
           host: str = "127.0.0.1", port: int = 8000, cpus_per_replica: float = 1.0, threads: int = 0) -> str:
    """Run the API on the connected Ray cluster's Serve; returns its URL. Returns once it answers.

    Raises:
        ImportError: Ray Serve is not installed (the ``cluster`` extra).
        ValueError: ``replicas`` under 1.
    """
    if replicas < 1:
        raise ValueError("--replicas must be at least 1")
    try:
        from ray import serve
    except ImportError as e:
        raise ImportError("serving on Ray needs Ray Serve: pip install -e \".[cluster]\"") from e

    index_dir = str(Path(index_dir).resolve())
    replica = serve.deployment(QAReplica, name="QAReplica", num_replicas=replicas,
                               ray_actor_options={"num_cpus": cpus_per_replica},
                               max_ongoing_requests=4)
    ingress = serve.deployment(serve.ingress()(ApiIngress), name="ApiIngress", num_replicas=1,
                               ray_actor_options={"num_cpus": 0}, max_ongoing_requests=64)
    serve.start(http_options={"host": host, "port": port})
    serve.run(ingress.bind(replica.bind(index_dir, reader, threads), index_dir, reader, users_file),
              name=APP_NAME, route_prefix="/", blocking=False)
    return f"http://{host}:{port}/"


def shutdown() -> None:
    """Stop the API and Ray Serve on the connected cluster."""
    from ray import serve

    serve.shutdown()


def serve_on_ray(args, users) -> int:
    """``qa serve --ray``: deploy, then wait until Ctrl-C (which stops the deployment)."""
    from qa import cluster
    from qa.store.index import index_exists

    if not index_exists(args.index):
        raise ValueError(f"no index in {args.index}: build one with 'qa index PATH --index {args.index}' "
                         "(replicas only read it)")
    cluster.connect(args.ray)
    url = deploy(args.index, args.replicas, args.reader, args.users, args.host, args.port,
                 threads=getattr(args, "threads", 0))
    print(f"serving {args.index} on {url} with {args.replicas} QA replica(s) on Ray (API docs at /docs)",
          file=sys.stderr)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        shutdown()
    return 0
