"""The ``qa`` command line: index, ask, chat, eval, train-reader, distill-targets, calibrate, serve, users.

The models load only in the commands that need them (this module imports no torch), so a
``qa ask`` answered by a running server (:mod:`qa.apps.discovery`) starts in a fraction of a second.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from qa.answer.citing import cite, full_json, otherwise, result_json  # noqa: F401 - result_json: qa.apps.cli's API

DEFAULT_INDEX = "index"  # as qa.pipeline's (tests check); not imported from there, which loads torch
DEFAULT_DOCS = "seeds"


class CLIError(Exception):
    """A user-facing error: printed as one line, exit status 1."""


class RefusedQuestion(ValueError):
    """A running server says the question cannot be asked (empty, too long): its reason."""


MAX_THREADS = 4 * (os.cpu_count() or 1)  # more only oversubscribes (and can exhaust thread limits)


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="qa", description="Extractive question answering over your documents.")
    p.add_argument("--threads", type=int, default=0,
                   help="CPU threads for the models (default 0: torch's choice, all cores); set it when "
                        "several processes share a machine")
    sub = p.add_subparsers(dest="command", required=True)

    ix = sub.add_parser("index", help="add, update or remove documents in an index")
    ix.add_argument("paths", nargs="*", help=f"files or folders (default: {DEFAULT_DOCS}/)")
    ix.add_argument("--index", default=DEFAULT_INDEX, help="index folder (default: %(default)s)")
    ix.add_argument("--remove", nargs="+", default=[], metavar="PATH", help="drop these documents")
    ix.add_argument("--prune", action="store_true",
                    help="also drop indexed documents whose files no longer exist (listed first)")
    ix.add_argument("--embedding-model", default=None, help="sentence-transformers id or folder")
    ix.add_argument("--precision", choices=["auto", "int8", "bf16", "fp32"], default="auto",
                    help="how passages are embedded: int8 needs the int8 extra (pip install -e '.[int8]'), "
                         "about 2x bf16's speed; auto: int8 where installed, else bf16 (default: %(default)s)")
    ix.add_argument("--ray", metavar="ADDRESS",
                    help="load, split and embed on a Ray cluster: auto (this machine's cluster), "
                         "local (start one here) or ray://HOST:PORT; needs pip install -e \".[cluster]\"")
    ix.add_argument("--index-type", choices=["auto", "flat", "hnsw"], default=None,
                    help="dense search: auto (default) = exact below 200,000 passages a segment, "
                         "HNSW above; flat = always exact; hnsw = always approximate. "
                         "Applies to segments written from now on")
    ix.add_argument("--limit", action="append", default=[], metavar="NAME=VALUE",
                    help="raise or lower a limit on reading one file (repeatable), e.g. pdf_pages=5000, "
                         "worker_memory=4G, worker_seconds=600; see docs/security.md for the limits")

    ask = sub.add_parser("ask", help="answer a question from an index")
    ask.add_argument("question")
    _common(ask)
    ask.add_argument("--answers", type=int, default=1, help="answers to show (default: %(default)s)")
    ask.add_argument("--json", action="store_true", help="print the result as JSON")

    chat = sub.add_parser("chat", help="a conversation in the terminal: follow-up questions read in context")
    _common(chat)
    chat.add_argument("--answers", type=int, default=1, help="answers to show (default: %(default)s)")

    ev = sub.add_parser("eval", help="measure EM/F1 on a question file")
    ev.add_argument("file", help="SQuAD JSON, JSONL or CSV")
    _common(ev)
    ev.add_argument("--mode", choices=["reader", "open"], default="open",
                    help="open (default): answer from the index; reader: each question against "
                         "its own context")
    ev.add_argument("--out", default=None, help="write the report (metrics + predictions) here")
    ev.add_argument("--limit", type=int, default=0, help="only the first N questions (0 = all)")
    ev.add_argument("--ray", metavar="ADDRESS",
                    help="open mode: spread the questions over a Ray cluster (auto, local or ray://HOST:PORT)")
    ev.add_argument("--html", default=None, metavar="REPORT.html",
                    help="also write a self-contained HTML report with plots and the wrong answers")
    ev.add_argument("--no-history", action="store_true",
                    help="conversation files: ask every turn on its own (to measure what history adds)")

    tr = sub.add_parser("train-reader", help="train the extractive reader (see qa.train.training)",
                        add_help=False)
    tr.add_argument("args", nargs=argparse.REMAINDER)
    dt = sub.add_parser("distill-targets", help="a teacher reader's soft targets for distilling into "
                        "a smaller one (see qa.train.distill)", add_help=False)
    dt.add_argument("args", nargs=argparse.REMAINDER)

    _serve_parser(sub)
    _users_parser(sub)

    cal = sub.add_parser("calibrate", help="pick a reader's no-answer rule and threshold on SQuAD dev data "
                         "(the one of the best F1)")
    cal.add_argument("file", help="SQuAD JSON with contexts")
    cal.add_argument("--reader", required=True, help="reader folder; qa_reader.json is written there")
    cal.add_argument("--limit", type=int, default=2000, help="questions used (default: %(default)s)")
    cal.add_argument("--rule", choices=["best", "span", "odds"], default="best",
                     help="what the threshold applies to: the span probability, the span's odds "
                          "against no answer, or whichever scores the better F1 (default)")
    cal.add_argument("--pick", choices=["best", "one-se"], default="best",
                     help="the threshold of the best F1 (default), or the lowest within one standard "
                          "error of it (readier to answer)")
    return p


def _serve_parser(sub) -> None:
    sv = sub.add_parser("serve", help="a JSON API (with an OpenAPI schema at /docs) and the chat page")
    sv.add_argument("--index", default=DEFAULT_INDEX, help="index folder (default: %(default)s)")
    sv.add_argument("--users", default=None, metavar="USERS_FILE",
                    help="accounts (qa users add): turns on sign-in; needed to listen beyond 127.0.0.1")
    sv.add_argument("--host", default="127.0.0.1", help="address to listen on (default: %(default)s)")
    sv.add_argument("--port", type=int, default=8000, help="port (default: %(default)s)")
    sv.add_argument("--reader", default=None, help="base, fast, or a QA model id or folder")
    sv.add_argument("--index-api", action="store_true",
                    help="also offer the chat page's /upload and /remove to gradio_client")
    sv.add_argument("--ray", metavar="ADDRESS", default=None,
                    help="serve the API on Ray Serve (auto, local or HOST:PORT; the cluster extra)")
    sv.add_argument("--replicas", type=int, default=1, help="with --ray: QA replicas (default: %(default)s)")


def _users_parser(sub) -> None:
    us = sub.add_parser("users", help="accounts for qa serve / app.py --users: add, remove, list, token")
    acts = us.add_subparsers(dest="action", required=True)
    add = acts.add_parser("add", help="add an account or set its role and password (read from standard input)")
    add.add_argument("file", metavar="USERS_FILE")
    add.add_argument("name")
    add.add_argument("--role", choices=["reader", "editor", "admin"], default="reader",
                     help="reader: ask and give feedback; editor: also add and remove documents; "
                          "admin: also manage accounts (default: %(default)s)")
    for action, text in (("remove", "remove an account and its API keys"),
                         ("token", "print a new API key for an account (shown once, stored hashed)")):
        a = acts.add_parser(action, help=text)
        a.add_argument("file", metavar="USERS_FILE")
        a.add_argument("name")
    ls = acts.add_parser("list", help="list the accounts and their roles")
    ls.add_argument("file", metavar="USERS_FILE")


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--index", default=DEFAULT_INDEX, help="index folder (default: %(default)s)")
    p.add_argument("--top-k", type=int, default=5, help="passages retrieved, read until the rest cannot change the answer (default: %(default)s)")
    p.add_argument("--reader", default=None,
                   help="base (the default where the all-mpnet-base-v2 parts are installed: "
                        "MPNet-12 + LoRA, best answers), fast (the MiniLM-L6 reader, ~5x faster; "
                        "the default otherwise), or a QA model id or folder")
    p.add_argument("--retrieval", choices=["hybrid", "dense", "bm25"], default="hybrid")
    p.add_argument("--threshold", type=float, default=None,
                   help="no-answer threshold in [0, 1] (default: the reader's calibrated one); it applies "
                        "to what the reader was calibrated on: the span probability or the span's odds "
                        "against no answer (qa_reader.json 'rule'); it overrides --point")
    _point_option(p)


# qa.answer.reading.OPERATING_POINTS, named here: the parser is built by every command, and the warm
# path of qa ask does without importing the reader's module and NumPy (tests/test_points.py checks
# that the two agree)
POINTS = ("answer-more", "balanced", "careful")


def _point_option(p: argparse.ArgumentParser) -> None:
    """``--point NAME``: the reader's named operating point (its threshold; ``--threshold`` overrides it)."""
    p.add_argument("--point", "--operating-point", dest="point", choices=POINTS, default=None,
                   type=lambda name: name.strip().lower(),
                   help="answer-more: declines fewest questions; balanced: best F1 (the calibrated default); "
                        "careful: fewest wrong answers (coverage and accuracy of each: docs/readers.md)")


def _recorded_model(index_dir: str) -> str | None:
    """The embedding model an existing index was built with (None: the packaged one, or no index)."""
    from qa.store.embedding import Embedder
    from qa.store.index import PassageIndex, index_exists

    if not index_exists(index_dir):
        return None
    model = PassageIndex.load(index_dir).embedding_model
    return None if model == Embedder.PACKAGED else model


def cmd_index(args) -> int:
    from qa.ingest.loading import Limits
    from qa.pipeline import build_index
    from qa.store.embedding import Embedder

    limits = Limits.parse(args.limit)  # a wrong limit is an error before any work
    paths = args.paths or ([] if args.remove or args.prune else [DEFAULT_DOCS])
    if not args.paths and paths and not Path(DEFAULT_DOCS).is_dir():
        raise CLIError(f"name the files or folders to index (there is no {DEFAULT_DOCS}/ folder here "
                       "to index by default)")
    report = build_index(args.index, paths, args.remove, Embedder(args.embedding_model or _recorded_model(args.index), precision=args.precision),
                         index_type=args.index_type, progress=True, prune=args.prune,
                         ray=args.ray, limits=limits)
    for s in report.skipped:
        print(f"skipped {cite(s.source)}: {s.reason}", file=sys.stderr)
    for source, notes in report.notes.items():
        for note in notes:
            print(f"note: {cite(source)}: {note}", file=sys.stderr)
    for r in report.not_indexed:
        print(f"note: {r} is not in the index; nothing removed for it", file=sys.stderr)
    for m in report.missing:
        print(f"note: {cite(m)} is indexed but its file is missing (kept; 'qa index --prune' drops it)",
              file=sys.stderr)
    for m in report.pruned:
        print(f"pruned {cite(m)}: its file no longer exists", file=sys.stderr)
    for old, new in report.moved:
        print(f"moved {cite(old)} -> {cite(new)} (same content: kept, not embedded again)", file=sys.stderr)
    print(report.summary())
    return 0


def _engine() -> str:
    """How ask and chat run their models: ``$QA_ENGINE`` (``auto``, the default: compiled copies on
    ONNX Runtime where they exist, :mod:`qa.modeling.compiled`; ``torch``; ``onnx``)."""
    engine = os.environ.get("QA_ENGINE", "").strip().lower() or "auto"
    if engine not in ("auto", "torch", "onnx"):
        raise CLIError(f"QA_ENGINE={engine}: use auto, torch or onnx")
    return engine


def _open_qa(args):
    engine = _engine()
    if engine == "torch":
        _quiet_transformers()
    from qa.answer.reading import Reader, default_reader
    from qa.modeling.base_encoder import INSTALL_HINT
    from qa.pipeline import QA, build_index
    from qa.store.index import index_exists

    if Path(args.index).is_file():
        raise CLIError(f"{args.index} is a file: --index takes the index folder "
                       f"('qa index DOCS --index FOLDER' makes one)")
    if not index_exists(args.index):
        if args.index != DEFAULT_INDEX or not Path(DEFAULT_DOCS).is_dir():
            raise CLIError(f"no index in {args.index}: build one with 'qa index PATH --index {args.index}'")
        print(f"No index yet: building {DEFAULT_INDEX}/ from {DEFAULT_DOCS}/ first.", file=sys.stderr)
        _quiet_transformers()
        print(build_index(DEFAULT_INDEX, [DEFAULT_DOCS]).summary(), file=sys.stderr)
    if args.threshold is not None and not 0 <= args.threshold <= 1:
        raise CLIError("--threshold must be between 0 and 1")
    if args.reader is None and default_reader() == "fast":
        print("note: answering with the fast reader; for better answers install the base reader's "
              f"encoder: {INSTALL_HINT}", file=sys.stderr)
    reader = Reader(args.reader, threshold=args.threshold, operating_point=args.point, engine=engine)
    qa = QA(args.index, reader, retrieval=args.retrieval, engine=engine)
    if qa.reader.engine == "torch" or qa.embedder.engine == "torch":
        _quiet_transformers()
        if engine == "auto":
            _compile_later(qa)
    return qa


def _compile_later(qa) -> None:
    """Start making the compiled copies this command lacked, in the background (once), and say so."""
    from qa.modeling.compiled import start_compiling
    from qa.store.embedding import plain_config

    jobs = [("reader", qa.reader.path)] if qa.reader.engine == "torch" else []
    if qa.embedder.engine == "torch" and plain_config(qa.embedder.folder) is not None:
        jobs.append(("embedder", qa.embedder.folder))
    if start_compiling(jobs):
        print("note: making compiled copies of the models in the background (about a minute, once) "
              "so that later questions start in about 2 s", file=sys.stderr)


def _may_warm(args) -> bool:
    """Whether a running server answers as this command would: the default reader, retrieval and
    threshold, and top-k and answers within the API's limits (20 and 5); ``--point`` is sent along."""
    return (args.reader is None and args.retrieval == "hybrid" and args.threshold is None
            and args.top_k <= 20 and args.answers <= 5)


def _warm(args, question: str, history: list) -> dict | None:
    """The answer of a server running on ``--index`` (:mod:`qa.apps.discovery`): :func:`full_json`'s
    dict plus ``passages_in_index``; None when there is none, it cannot answer, or it would not
    answer with these settings (:func:`_may_warm`).

    ``history`` holds earlier questions (str) or Results.

    Raises:
        RefusedQuestion: the server says the question cannot be asked.
    """
    if not _may_warm(args):
        return None
    from qa.apps.discovery import ask_server

    asked = [h if isinstance(h, str) else (h.understood_as or h.question) for h in history][-20:]
    data = ask_server(args.index, {"question": question, "history": asked, "top_k": args.top_k,
                                   "answers": args.answers, "operating_point": args.point})
    if data is not None and data.get("error"):
        raise RefusedQuestion(data["error"])
    return data


def cmd_ask(args) -> int:
    if args.top_k < 1 or args.answers < 1:
        raise CLIError("--top-k and --answers must be at least 1")
    data = _warm(args, args.question, [])
    if data is None:
        from qa.pipeline import check_question

        check_question(args.question)
        qa = _open_qa(args)
        result = qa.ask(args.question, top_k=args.top_k, max_answers=args.answers)
        data = full_json(result) | {"passages_in_index": len(qa)}
    if args.json:
        answers = [{k: v for k, v in a.items() if k != "passage_start"} for a in data["answers"]]
        print(json.dumps({"question": data["question"], "answers": answers, "passages": data["passages"]},
                         ensure_ascii=False, indent=2))
        return 0
    print_result(data, data["passages_in_index"], args.retrieval)
    return 0


def print_result(data: dict, passages_in_index: int, retrieval: str) -> None:
    """Print a result (:func:`full_json`'s dict) for people: the answers with score, source and
    context, or why there is none."""
    passages, answers = data["passages"], data["answers"]
    if not passages and not passages_in_index:
        print("The index holds no passages yet: add documents with 'qa index PATH'.")
        return
    if not passages:
        print(f"No passage matches the question (retrieval: {retrieval}), "
              "so the documents hold no answer to it.")
        return
    if not answers:
        print("The documents hold no answer to that question. Closest passages:")
        for p in passages[:3]:
            print(f"  - {cite(p['source'], p['page'])}: {' '.join(p['text'].split())[:160]}…")
        return
    for a in answers:
        local = a["start"] - a["passage_start"]
        context = a["passage"][max(0, local - 100): local + len(a["text"]) + 100]
        dated = f", {a['modified']}" if a.get("others") and a.get("modified") else ""
        print(a["text"])
        print(f"  score {a['score']:.2f} · {cite(a['source'], a['page'])}{dated} · characters {a['start']}-{a['end']}")
        print(f"  “…{' '.join(context.split())}…”")
        for o in a.get("others", []):
            lead, where = otherwise(o["kind"], o["source"], o["page"], o["modified"])
            print(f"  {lead}: {o['text']} — {where}")


def _questions(interactive: bool):
    """Lines of standard input, with a prompt when it is a terminal; ends at end of input."""
    while True:
        try:
            line = input("> ") if interactive else sys.stdin.readline()
        except EOFError:
            return
        if not interactive and not line:
            return
        yield line.strip()


def _question_error(e: Exception) -> bool:
    """Whether ``e`` says a question cannot be asked (from a server, or ``qa.pipeline`` once loaded)."""
    pipeline = sys.modules.get("qa.pipeline")
    return isinstance(e, RefusedQuestion) or pipeline is not None and isinstance(e, pipeline.QuestionError)


def cmd_chat(args) -> int:
    if args.top_k < 1 or args.answers < 1:
        raise CLIError("--top-k and --answers must be at least 1")
    from qa.apps.discovery import running_server

    qa = None if _may_warm(args) and running_server(args.index) else _open_qa(args)
    interactive = sys.stdin.isatty()
    if interactive:
        print("Ask questions about your documents; follow-ups may refer to earlier answers.\n"
              "/new starts a new conversation; Ctrl-D ends.")
    history: list = []  # earlier turns: Results (answered here) or questions as understood (by a server)
    for question in _questions(interactive):
        if not question:
            continue
        if question.lower() in ("/new", "/reset"):
            history = []
            print("(new conversation)")
            continue
        try:
            data = _warm(args, question, history) if qa is None else None
            if data is None:
                qa = qa or _open_qa(args)
                result = qa.ask(question, top_k=args.top_k, max_answers=args.answers, history=history)
                data = full_json(result) | {"passages_in_index": len(qa)}
                history.append(result)
            else:
                history.append(data["understood_as"] or data["question"])
        except ValueError as e:
            if not _question_error(e):
                raise
            print(f"qa: {e}", file=sys.stderr)
            continue
        if not interactive:
            print(f"> {data['question']}")
        if data["understood_as"]:
            print(f"Answered as: {data['understood_as']}")
        print_result(data, data["passages_in_index"], args.retrieval)
    return 0


def cmd_eval(args) -> int:
    from qa.answer.reading import Reader
    from qa.eval.evaluation import evaluate_open, evaluate_open_on_ray, evaluate_reader, load_eval_file

    if args.limit < 0 or args.top_k < 1:
        raise CLIError("--limit must not be negative (0 = all) and --top-k must be at least 1")
    for target in (args.out, args.html):
        _check_writable(target)
    items = load_eval_file(args.file)
    if args.limit:
        items = items[: args.limit]
    if args.mode == "reader" and args.ray:
        raise CLIError("--ray spreads open-mode evaluation; reader mode runs here")
    if args.mode == "reader":
        reader = Reader(args.reader, threshold=args.threshold, operating_point=args.point)
        report = evaluate_reader(items, reader, progress=True, sweep=bool(args.html))
    elif args.ray:
        from qa import cluster

        reader = _open_qa(args).reader  # checks the settings and builds the default index when needed
        cluster.connect(args.ray)
        report = evaluate_open_on_ray(items, args.index, args.reader, reader.threshold, args.retrieval,
                                      args.top_k, history=not args.no_history)
    else:
        qa = _open_qa(args)
        reader = qa.reader
        report = evaluate_open(items, qa, args.top_k, progress=True, history=not args.no_history,
                               candidates=_candidates(qa, args.top_k) if args.html else None)
    report = {"file": args.file, **report, **_points_of(reader)}
    for k, v in report.items():
        if k not in ("predictions", "records"):
            print(f"{k}: {v}")
    if args.out:
        Path(args.out).write_text(json.dumps(report, indent=1, ensure_ascii=False))
        print(f"report written to {args.out}")
    if args.html:
        from qa.eval.report import render_html

        Path(args.html).write_text(render_html(report), encoding="utf-8")
        print(f"HTML report written to {args.html}")
    return 0


def _candidates(qa, top_k: int):
    """question -> its open-mode candidates as JSON (:func:`qa.eval.points.open_candidates`), for the
    report's coverage-accuracy curve."""
    from qa.eval.points import as_json, open_candidates

    return lambda question: as_json(open_candidates(qa, question, top_k))


def _points_of(reader) -> dict:
    """The report's note of the operating point used and the reader's named points' thresholds."""
    from qa.answer.reading import OPERATING_POINTS

    points = reader.calibrated.get("operating_points", {})
    named = {n: points[n]["threshold"] for n in OPERATING_POINTS if n in points}
    return {"operating_point": reader.operating_point, **({"operating_points": named} if named else {})}


def _check_writable(target: str | None) -> None:
    """Fail before hours of work when a report could not be written where asked."""
    if target is None:
        return
    path = Path(target)
    if path.is_dir():
        raise CLIError(f"{target} is a folder: give a file name for the report")
    if not path.parent.is_dir():
        raise CLIError(f"cannot write {target}: folder {path.parent} does not exist")


def cmd_calibrate(args) -> int:
    from qa.answer.reading import CONFIG_FILE, Reader
    from qa.eval.evaluation import EvalItem, calibrate_threshold
    from qa.eval.squad import load_squad
    from qa.train.training import make_negatives

    if args.limit < 1:
        raise CLIError("--limit must be at least 1")
    if not Path(args.reader).is_dir():
        raise CLIError(f"--reader {args.reader} must be a local reader folder: the threshold is "
                       "written into it (qa_reader.json)")
    loaded = load_squad(args.file)
    examples = [e for e in loaded if e.answers][: args.limit]
    unanswerable = [e for e in loaded if not e.answers][: args.limit]
    negatives = unanswerable or make_negatives(examples, 1.0, seed=0)
    reader = Reader(args.reader)
    result = calibrate_threshold(
        [EvalItem(e.id, e.question, e.answers, e.context) for e in examples], reader,
        [EvalItem(e.id, e.question, [], e.context) for e in negatives],
        rules=Reader.RULES if args.rule == "best" else (args.rule,), pick=args.pick)
    config = Path(args.reader) / CONFIG_FILE
    old = json.loads(config.read_text()) if config.exists() else {}
    config.write_text(json.dumps(old | result | {"calibrated_on": Path(args.file).name,
                                                 "questions": len(examples),
                                                 "negatives": len(negatives)}, indent=1))
    print(json.dumps(result))
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``qa`` console script; returns the exit status (141, as for SIGPIPE, when
    the reader of its output goes away: ``qa ask ... | head -1`` ends quietly)."""
    try:
        try:
            return _main(argv)
        finally:  # written out here, where a closed pipe is caught, not at exit (argparse's --help too)
            sys.stdout.flush()
    except BrokenPipeError:
        return _closed_pipe()


def _closed_pipe() -> int:
    """Point standard output at /dev/null, so that nothing more is written to a closed pipe (not even
    at exit), and return 141."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass
    return 141


def _main(argv: list[str] | None) -> int:
    """The body of :func:`main`."""
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["train-reader"]:
        return _run(cmd_train_reader, argv[1:], "interrupted: continue with the same command and --resume")
    if argv[:1] == ["distill-targets"]:
        return _run(cmd_distill_targets, argv[1:], "interrupted: run the same command again to continue")
    args = _parser().parse_args(argv)
    return _run(_HANDLERS[args.command], args)


def cmd_train_reader(argv: list[str]) -> int:
    from qa.train.training import main as train_main

    train_main(argv)
    return 0


def cmd_distill_targets(argv: list[str]) -> int:
    from qa.train.training import distill_targets_main

    distill_targets_main(argv)
    return 0


def _quiet_transformers() -> None:
    """Silence transformers' warnings and progress bars (imports it: about 2 s)."""
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()


def _expected(e: Exception) -> bool:
    """Whether ``e`` is a user-facing failure, printed as one line (not a bug's traceback)."""
    if isinstance(e, (CLIError, FileNotFoundError, ImportError, ValueError, OSError)):
        return True
    evaluation, index = sys.modules.get("qa.eval.evaluation"), sys.modules.get("qa.store.index")
    return (evaluation is not None and isinstance(e, evaluation.EvalFileError)
            or index is not None and isinstance(e, index.IndexLoadError))


def _run(handler, args, interrupted: str = "interrupted") -> int:
    """Run one command, turning expected failures into one-line errors (exit 1; 130 on Ctrl-C).

    ``ask``, ``chat`` and ``users`` load transformers only when they answer here (not through a
    running server), so that those stay quick.
    """
    if handler not in (cmd_ask, cmd_chat, cmd_users):
        _quiet_transformers()
    try:
        threads = getattr(args, "threads", 0)
        if not 0 <= threads <= MAX_THREADS:
            raise CLIError(f"--threads must be between 0 (all cores) and {MAX_THREADS}")
        if threads:
            from qa.modeling.compiled import set_threads

            os.environ["OMP_NUM_THREADS"] = str(threads)  # torch reads it when first imported
            set_threads(threads)
            if "torch" in sys.modules:
                import torch

                torch.set_num_threads(threads)
        return handler(args)
    except BrokenPipeError:
        return _closed_pipe()
    except KeyboardInterrupt:
        print(f"qa: {interrupted}", file=sys.stderr)
        return 130
    except Exception as e:
        if not _expected(e):
            raise
        print(f"qa: error: {e}", file=sys.stderr)
        return 1


def cmd_users(args) -> int:
    """``qa users add|remove|list|token USERS_FILE [NAME]``: the accounts of ``qa serve --users``."""
    from qa.apps.accounts import Users, UsersFileError

    try:
        users = Users(args.file, create=args.action == "add")
        if args.action == "list":
            for a in users.accounts():
                print(f"{a.name}\t{a.role}\t{a.tokens} API key{'s' if a.tokens != 1 else ''}")
            return 0
        if args.action == "add":
            new = users.add(args.name, args.role, _read_password())
            users.save()
            print(f"{'added' if new else 'updated'} {args.name} ({args.role}) in {args.file}")
        elif args.action == "remove":
            users.remove(args.name)
            users.save()
            print(f"removed {args.name} from {args.file}")
        else:
            token = users.new_token(args.name)
            users.save()
            print(token)
            print(f"(a new API key for {args.name}: send it as 'Authorization: Bearer KEY'; it is not "
                  "shown again)", file=sys.stderr)
    except UsersFileError as e:
        raise CLIError(str(e)) from None
    return 0


def _read_password() -> str:
    """The new password: asked twice at a terminal (not echoed), else the first line of standard input.

    Raises:
        CLIError: the two entries differ, or standard input is empty.
    """
    if sys.stdin.isatty():
        import getpass

        first = getpass.getpass("Password: ")
        if getpass.getpass("Again: ") != first:
            raise CLIError("the two passwords differ")
        return first
    line = sys.stdin.readline().rstrip("\r\n")
    if not line:
        raise CLIError("no password on standard input (echo PASSWORD | qa users add ...)")
    return line


def cmd_serve(args) -> int:
    """``qa serve``: the JSON API and the chat page (see :mod:`qa.apps.server`)."""
    from qa.apps.accounts import Users, UsersFileError

    try:
        users = Users(args.users) if args.users else None
    except UsersFileError as e:
        raise CLIError(str(e)) from None
    if not 0 < args.port < 65536:
        raise CLIError("--port must be between 1 and 65535")
    from qa.apps.server import check_bind

    check_bind(args.host, users)
    if args.ray:
        from qa.apps.serving import serve_on_ray

        return serve_on_ray(args, users)
    if args.replicas != 1:
        raise CLIError("--replicas needs --ray (one process serves one pipeline)")
    from qa.apps.server import serve
    from qa.apps.webapp import ChatService

    service = ChatService(args.index, reader=args.reader, users=users)
    if service.status:
        print(service.status, file=sys.stderr)
    print(f"serving {args.index} on http://{args.host}:{args.port}/ (API docs at /docs; chat page at /)",
          file=sys.stderr)
    serve(service, args.host, args.port, index_api=args.index_api)
    return 0


_HANDLERS = {"index": cmd_index, "ask": cmd_ask, "chat": cmd_chat, "eval": cmd_eval,
             "calibrate": cmd_calibrate, "users": cmd_users, "serve": cmd_serve}


if __name__ == "__main__":
    sys.exit(main())
