"""`qa serve --ray`: the JSON API on Ray Serve (a local Ray started by the test), N read-only replicas."""

import shutil
import socket
import time

import httpx
import pytest

ray = pytest.importorskip("ray", reason="the cluster extra is not installed")
pytest.importorskip("ray.serve", reason="Ray Serve (the cluster extra) is not installed")

QUESTIONS = ["How many boat strikes since August?", "Who interviewed Maduro?",
             "Which oil company exports Venezuelan crude to the United States?", "What is the capital of France?"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _same(a: dict, b: dict) -> bool:
    """The same reply, scores within 0.002 (torch's thread count changes the last digits)."""
    plain = [({k: v for k, v in x.items() if k != "score"}, x["score"]) for x in a["answers"]]
    other = [({k: v for k, v in x.items() if k != "score"}, x["score"]) for x in b["answers"]]
    return ({k: v for k, v in a.items() if k not in ("answers", "chat")}
            == {k: v for k, v in b.items() if k not in ("answers", "chat")}
            and [p for p, _ in plain] == [p for p, _ in other]
            and all(abs(x - y) < 0.002 for (_, x), (_, y) in zip(plain, other, strict=True)))


@pytest.fixture(scope="module")
def ray_api(tmp_path_factory, seed_index):
    """The API on a local Ray with 2 replicas of the fast reader: (url, index folder)."""
    from qa.apps import serving
    from qa.cluster import connect

    ix = tmp_path_factory.mktemp("rayserve") / "index"
    shutil.copytree(seed_index, ix)
    connect("local")
    url = serving.deploy(ix, replicas=2, reader="fast", port=_free_port(), cpus_per_replica=0, threads=1)
    deadline = time.time() + 300
    while time.time() < deadline:
        try:
            if httpx.get(url + "health", timeout=5).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        time.sleep(2)
    else:
        pytest.fail("Ray Serve did not start")
    yield url, ix
    serving.shutdown()
    ray.shutdown()


def test_two_replicas_answer_as_one_process(ray_api, embedder):
    from qa.answer.reading import Reader
    from qa.apps.webapp import ChatService
    from qa.pipeline import QA

    url, ix = ray_api
    local = ChatService(ix, qa=QA(ix, Reader("fast"), embedder))
    for question in QUESTIONS * 2:  # each question reaches both replicas, most likely
        r = httpx.post(url + "ask", json={"question": question, "answers": 2}, timeout=120)
        assert r.status_code == 200
        assert _same(r.json(), local.api_ask(question, [], 5, 2))
    follow = httpx.post(url + "ask", json={"question": "What is his nationality?",
                                           "history": ["Who interviewed Maduro?"]}, timeout=120).json()
    assert follow["understood_as"] == "What is Ignacio Ramonet's nationality?"


def test_replicas_reload_when_the_writer_changes_the_index(ray_api, tmp_path):
    url, _ = ray_api
    files = {"files": ("lune.txt", b"The Lune river is 86 kilometres long. It flows into Morecambe Bay.",
                       "text/plain")}
    r = httpx.post(url + "documents", files=files, timeout=300)
    assert r.status_code == 200 and r.json()["files"][0]["result"] == "indexed"
    for _ in range(6):
        r = httpx.post(url + "ask", json={"question": "How long is the Lune river?"}, timeout=120)
        assert r.json()["answers"][0]["text"].startswith("86 kilometres")
