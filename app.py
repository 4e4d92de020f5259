"""Chat with your documents in the browser: ``python app.py [--index DIR] [--reader MODEL]``.

Serves on 127.0.0.1:7860 unless GRADIO_SERVER_NAME / GRADIO_SERVER_PORT say otherwise.
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
    args = p.parse_args(argv)

    from transformers.utils import logging as hf_logging

    from qa.loading import Limits
    from qa.webapp import CSS, ChatService, build_app

    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()
    try:
        service = ChatService(args.index, reader=args.reader, limits=Limits.parse(args.limit))
    except Exception as e:  # noqa: BLE001 - any start-up failure becomes one clear line
        print(f"app: error: {e}", file=sys.stderr)
        return 1
    if service.status:
        print(service.status)
    app = build_app(service, index_api=args.index_api)
    app.queue(default_concurrency_limit=4).launch(
        server_name=os.environ.get("GRADIO_SERVER_NAME", "127.0.0.1"),
        server_port=int(os.environ.get("GRADIO_SERVER_PORT", "7860")),
        share=False, css=CSS, max_file_size="20mb",
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
