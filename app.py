"""Chat with your documents in the browser: ``python app.py [--index DIR] [--reader MODEL] [--users FILE]``.

Serves on 127.0.0.1:7860 unless GRADIO_SERVER_NAME / GRADIO_SERVER_PORT say otherwise; the
JSON API of ``qa serve`` (``/ask``, ``/documents``, ..., schema at ``/docs``) runs alongside.
Listening beyond this machine needs accounts (``--users``).
"""

from __future__ import annotations

import argparse
import os
import sys


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description="Document QA chat page")
    p.add_argument("--index", default="index", help="index folder (default: %(default)s; "
                   "when missing, built from seeds/ if there is one here, else started empty)")
    p.add_argument("--reader", default=None,
                   help="fast (default: the packaged MiniLM reader), base, or a QA model id or folder")
    p.add_argument("--index-api", action="store_true",
                   help="also offer /upload and /remove (they change the index) to API clients")
    p.add_argument("--limit", action="append", default=[], metavar="NAME=VALUE",
                   help="a limit on reading one uploaded file (repeatable), e.g. pdf_pages=5000, worker_memory=4G")
    p.add_argument("--users", default=None, metavar="USERS_FILE",
                   help="accounts (qa users add USERS_FILE NAME --role ROLE): turns on sign-in; "
                        "needed to listen beyond 127.0.0.1")
    args = p.parse_args(argv)
    host = os.environ.get("GRADIO_SERVER_NAME", "127.0.0.1")

    from transformers.utils import logging as hf_logging

    from qa.apps.accounts import Users
    from qa.apps.server import check_bind, serve
    from qa.apps.webapp import ChatService
    from qa.ingest.loading import Limits

    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()
    try:
        users = Users(args.users) if args.users else None
        check_bind(host, users)
        service = ChatService(args.index, reader=args.reader, limits=Limits.parse(args.limit), users=users)
    except Exception as e:  # noqa: BLE001 - any start-up failure becomes one clear line
        print(f"app: error: {e}", file=sys.stderr)
        return 1
    if service.status:
        print(service.status)
    port = int(os.environ.get("GRADIO_SERVER_PORT", "7860"))
    print(f"* Running on http://{host}:{port}/ (JSON API: /docs)", flush=True)
    serve(service, host, port, index_api=args.index_api)
    return 0


if __name__ == "__main__":
    sys.exit(main())
