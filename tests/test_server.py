"""Accounts, roles and the REST API, black-box over HTTP against `qa serve`, and through Python.

Two servers are started (module scope, each loads the models once): one with a users
file, one without. Every request goes over real HTTP; the Gradio queue is driven by
posting to /gradio_api/queue/join for every fn_index listed in /config.
"""

import io
import json
import os
import shutil
import socket
import stat
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx
import pytest
from conftest import ROOT

from qa.apps.accounts import AccessDenied, Users, UsersFileError, allowed
from qa.apps.cli import main

SEED_QUESTION = "How many boat strikes since August?"
PASSWORDS = {"ana": "reader-pass-1", "ed": "editor-pass-1", "root": "admin-pass-1"}
ROLES = {"ana": "reader", "ed": "editor", "root": "admin"}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _make_users(path: Path) -> None:
    users = Users(path, create=True)
    for name, role in ROLES.items():
        users.add(name, role, PASSWORDS[name])
    users.save()


def _start(tmp: Path, seed_index: Path, users: Path | None):
    """`qa serve` in a subprocess on a copy of the seed index; returns (url, process, index folder)."""
    ix = tmp / "index"
    shutil.copytree(seed_index, ix)
    port = _free_port()
    cmd = [sys.executable, "-m", "qa.apps.cli", "--threads", "1", "serve", "--index", str(ix), "--port", str(port)]
    cmd += ["--users", str(users)] if users else []
    env = dict(os.environ, PYTHONPATH=str(ROOT), HF_HUB_OFFLINE="1", GRADIO_ANALYTICS_ENABLED="False")
    log = open(tmp / "serve.log", "w")  # noqa: SIM115 - closed when the server stops
    proc = subprocess.Popen(cmd, cwd=tmp, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 240
    while time.time() < deadline:
        if proc.poll() is not None:
            pytest.fail("qa serve exited: " + (tmp / "serve.log").read_text()[-2000:])
        try:
            if httpx.get(url + "/health", timeout=2).status_code == 200:
                return url, proc, ix
        except httpx.HTTPError:
            time.sleep(1)
    proc.kill()
    pytest.fail("qa serve did not start: " + (tmp / "serve.log").read_text()[-2000:])


def _stop(proc) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()


@pytest.fixture(scope="module")
def secured(tmp_path_factory, seed_index):
    """A server with accounts: (url, index folder, users file)."""
    tmp = tmp_path_factory.mktemp("secured")
    users = tmp / "users.json"
    _make_users(users)
    url, proc, ix = _start(tmp, seed_index, users)
    yield url, ix, users
    _stop(proc)


@pytest.fixture(scope="module")
def open_server(tmp_path_factory, seed_index):
    """A single-user server (no accounts, 127.0.0.1): (url, index folder, process)."""
    tmp = tmp_path_factory.mktemp("single")
    url, proc, ix = _start(tmp, seed_index, None)
    yield url, ix, proc
    _stop(proc)
    assert not (ix / ".server.json").exists()  # removed on exit


def _auth(name: str) -> tuple[str, str]:
    return name, PASSWORDS[name]


def _names(url: str, auth) -> list[str]:
    r = httpx.get(url + "/documents", auth=auth, timeout=30)
    assert r.status_code == 200, r.text
    return [d["name"] for d in r.json()["documents"]]


# --- accounts, through Python -------------------------------------------------------------

def test_users_file_is_private_atomic_and_hashed(tmp_path):
    path = tmp_path / "users.json"
    _make_users(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    text = path.read_text()
    assert "reader-pass-1" not in text and "$argon2id$" in text
    users = Users(path)
    assert users.check_password("ana", "reader-pass-1") and users.check_password("ana", "reader-pass-1")
    assert not users.check_password("ana", "wrong-pass") and not users.check_password("nobody", "x")
    token = users.new_token("ed")
    users.save()
    assert token not in path.read_text() and Users(path).user_for_token(token) == "ed"
    assert Users(path).user_for_token("qa_not-a-key") is None
    assert [(a.name, a.role) for a in Users(path).accounts()] == [("ana", "reader"), ("ed", "editor"),
                                                                 ("root", "admin")]
    assert not list(tmp_path.glob(".users-*"))  # no temporary file left behind
    with pytest.raises(UsersFileError, match="at least 8"):
        users.add("bob", "reader", "short")
    with pytest.raises(UsersFileError, match="unknown role"):
        users.add("bob", "owner", "long-enough")
    with pytest.raises(UsersFileError, match="unusable account name"):
        users.add("../x", "reader", "long-enough")


def test_roles_grow():
    assert allowed("reader", "ask") and allowed("reader", "feedback") and not allowed("reader", "change_index")
    assert allowed("editor", "change_index") and not allowed("editor", "manage_users")
    assert allowed("admin", "manage_users") and not allowed(None, "ask") and not allowed("guest", "ask")


@pytest.mark.parametrize("content", [None, "{not json", '{"users": {"a": {"role": "king"}}}', "[]"])
def test_a_missing_or_corrupt_users_file_is_one_line(tmp_path, content, capsys):
    path = tmp_path / "users.json"
    if content is not None:
        path.write_text(content)
    with pytest.raises(UsersFileError) as e:
        Users(path)
    assert "\n" not in str(e.value) and str(path) in str(e.value)
    assert main(["serve", "--users", str(path), "--index", str(tmp_path / "ix")]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("qa: error:") and len(err.splitlines()) == 1


def test_qa_users_commands(tmp_path, monkeypatch, capsys):
    path = tmp_path / "sub" / "users.json"
    monkeypatch.setattr(sys, "stdin", io.StringIO("a-good-password\n"))
    assert main(["users", "add", str(path), "ana", "--role", "editor"]) == 0
    assert Users(path).check_password("ana", "a-good-password") and Users(path).role("ana") == "editor"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    capsys.readouterr()
    assert main(["users", "token", str(path), "ana"]) == 0
    token = capsys.readouterr().out.strip()
    assert token.startswith("qa_") and Users(path).user_for_token(token) == "ana"
    assert main(["users", "list", str(path)]) == 0
    assert capsys.readouterr().out.split() == ["ana", "editor", "1", "API", "key"]
    assert main(["users", "remove", str(path), "ana"]) == 0
    assert Users(path).accounts() == []
    assert main(["users", "remove", str(path), "ana"]) == 1
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))
    assert main(["users", "add", str(path), "bob"]) == 1
    assert "no password" in capsys.readouterr().err


def test_chat_service_checks_roles_in_every_handler(tmp_path, seed_index, embedder, reader):
    from qa.apps.webapp import ChatService
    from qa.pipeline import QA

    ix = tmp_path / "index"
    shutil.copytree(seed_index, ix)
    _make_users(tmp_path / "users.json")
    service = ChatService(ix, qa=QA(ix, reader, embedder), users=Users(tmp_path / "users.json"))
    doc = tmp_path / "note.txt"
    doc.write_text("The Lune river is 86 kilometres long.")
    source = service.documents()[0]
    for user in (None, "ana", "nobody"):
        with pytest.raises(AccessDenied):
            service.upload([str(doc)], user=user)
        with pytest.raises(AccessDenied):
            service.remove(source, user=user)
    for call in (lambda: service.ask(SEED_QUESTION, [], user=None),
                 lambda: service.api_ask(SEED_QUESTION, user="nobody"),
                 lambda: service.api_feedback(SEED_QUESTION, "35", True, user=None),
                 lambda: service.source_view([], 0, user=None)):
        with pytest.raises(AccessDenied):
            call()
    assert service.documents() == [source]
    assert service.api_ask(SEED_QUESTION, user="ana")["answers"][0]["text"] == "35"
    history, _, _, turns = service.ask(SEED_QUESTION, [], user="ana")
    assert "Thanks" in service.feedback(history, turns, 1, True, user="ana")
    assert json.loads((ix / "feedback.jsonl").read_text())["user"] == "ana"
    text, docs = service.upload([str(doc)], user="ed")
    assert "indexed" in text and len(docs) == 2


# --- the REST API with accounts ------------------------------------------------------------

def test_rest_roles(secured, tmp_path):
    url, ix, _ = secured
    ask = {"question": SEED_QUESTION}
    r = httpx.post(url + "/ask", json=ask, timeout=60)
    assert r.status_code == 401 and r.json() == {"error": r.json()["error"]} and "sign in" in r.json()["error"]
    assert httpx.get(url + "/documents", timeout=30).status_code == 401
    assert httpx.get(url + "/health", timeout=30).json() == {"status": "ok"}
    assert httpx.post(url + "/ask", json=ask, auth=("ana", "wrong"), timeout=30).status_code == 401
    r = httpx.post(url + "/ask", json=ask, auth=_auth("ana"), timeout=120)
    assert r.status_code == 200 and r.json()["answers"][0]["text"] == "35"
    assert r.json()["answers"][0]["source"] == "maduro-us-talks-drug-trafficking.txt"

    doc = tmp_path / "skerryvore.txt"
    doc.write_text("The Skerryvore lighthouse was completed in 1844. It stands 48 metres tall.")
    files = {"files": ("skerryvore.txt", doc.read_bytes(), "text/plain")}
    assert httpx.post(url + "/documents", files=files, timeout=30).status_code == 401
    assert httpx.post(url + "/documents", files=files, auth=_auth("ana"), timeout=30).status_code == 403
    seed_id = httpx.get(url + "/documents", auth=_auth("ana"), timeout=30).json()["documents"][0]["id"]
    assert httpx.delete(url + f"/documents/{seed_id}", timeout=30).status_code == 401
    assert httpx.delete(url + f"/documents/{seed_id}", auth=_auth("ana"), timeout=30).status_code == 403
    assert _names(url, _auth("ana")) == ["maduro-us-talks-drug-trafficking.txt"]

    r = httpx.post(url + "/documents", files=files, auth=_auth("ed"), timeout=300)
    assert r.status_code == 200 and r.json()["files"] == [{"name": "skerryvore.txt", "result": "indexed"}]
    added = next(d for d in r.json()["documents"] if d["name"] == "skerryvore.txt")
    r = httpx.post(url + "/ask", json={"question": "When was the Skerryvore lighthouse completed?"},
                   auth=_auth("ana"), timeout=120)
    assert r.json()["answers"][0]["text"] == "1844"
    assert httpx.delete(url + "/documents/nosuchid", auth=_auth("ed"), timeout=30).status_code == 404
    r = httpx.delete(url + f"/documents/{added['id']}", auth=_auth("ed"), timeout=300)
    assert r.status_code == 200 and r.json()["removed"] == "skerryvore.txt"
    assert _names(url, _auth("ana")) == ["maduro-us-talks-drug-trafficking.txt"]
    for reply in (r.text, httpx.get(url + "/documents", auth=_auth("ed"), timeout=30).text):
        assert str(ix.parent) not in reply and "/" not in json.dumps(json.loads(reply)["documents"])


def test_rest_tokens_feedback_users_and_errors(secured):
    url, ix, users_file = secured
    proc = subprocess.run([sys.executable, "-m", "qa.apps.cli", "users", "token", str(users_file), "ana"],
                          capture_output=True, text=True, env=dict(os.environ, PYTHONPATH=str(ROOT)), check=True)
    key = {"Authorization": f"Bearer {proc.stdout.strip()}"}
    r = httpx.post(url + "/ask", json={"question": SEED_QUESTION}, headers=key, timeout=120)
    assert r.status_code == 200 and r.json()["answers"][0]["text"] == "35"
    assert httpx.post(url + "/ask", json={"question": "x"}, headers={"Authorization": "Bearer qa_nope"},
                      timeout=30).status_code == 401
    assert httpx.post(url + "/documents", headers=key, timeout=30,
                      files={"files": ("a.txt", b"text", "text/plain")}).status_code == 403

    r = httpx.post(url + "/feedback", auth=_auth("ana"), timeout=30,
                   json={"question": SEED_QUESTION, "answer": "35", "liked": False, "correction": "thirty-five"})
    assert r.status_code == 200
    line = json.loads((ix / "feedback.jsonl").read_text().splitlines()[-1])
    assert line["user"] == "ana" and line["answers"] == ["thirty-five"]
    r = httpx.post(url + "/feedback", auth=_auth("ana"), timeout=30,
                   json={"question": SEED_QUESTION, "liked": False, "correction": "x" * 2001})
    assert r.status_code == 422 and "correction" in r.json()["error"]

    for bad, status in ((b"{not json", 422), (json.dumps({"question": "x" * 100_000}).encode(), 413),
                        (json.dumps({"question": "Who?", "top_k": 99}).encode(), 422)):
        r = httpx.post(url + "/ask", content=bad, auth=_auth("ana"), timeout=30,
                       headers={"Content-Type": "application/json"})
        assert r.status_code == status and set(r.json()) == {"error"} and "\n" not in r.json()["error"]
        assert "Traceback" not in r.text
    r = httpx.post(url + "/ask", json={"question": "x" * 600}, auth=_auth("ana"), timeout=30)
    assert r.status_code == 400 and "500" in r.json()["error"] and r.json()["answers"] == []
    many = {"files": [("files", (f"f{i}.txt", b"x", "text/plain")) for i in range(21)]}
    assert httpx.post(url + "/documents", files=many["files"], auth=_auth("ed"), timeout=30).status_code == 400

    assert httpx.get(url + "/users", auth=_auth("ed"), timeout=30).status_code == 403
    r = httpx.post(url + "/users", auth=_auth("root"), timeout=30,
                   json={"name": "zoe", "role": "reader", "password": "zoe-password"})
    assert r.status_code == 200 and r.json()["new"]
    assert httpx.get(url + "/documents", auth=("zoe", "zoe-password"), timeout=30).status_code == 200
    assert httpx.delete(url + "/users/zoe", auth=_auth("root"), timeout=30).status_code == 200
    assert httpx.get(url + "/documents", auth=("zoe", "zoe-password"), timeout=30).status_code == 401
    schema = httpx.get(url + "/openapi.json", timeout=30).json()
    assert {"/ask", "/documents", "/documents/{doc_id}", "/feedback", "/health"} <= set(schema["paths"])


# --- the chat page's queue with accounts: every fn_index --------------------------------------

def _login(url: str, name: str | None) -> httpx.Client:
    client = httpx.Client(base_url=url, timeout=120)
    if name:
        r = client.post("/login", data={"username": name, "password": PASSWORDS[name]})
        assert r.status_code == 200, r.text
    return client


def _payload(config: dict, dep: dict, upload: list, source: str) -> list:
    """Inputs for one event: a file for File inputs, the indexed document for a dropdown, ..."""
    kinds = {c["id"]: c for c in config["components"]}
    data = []
    for cid in dep["inputs"]:
        kind = kinds[cid]["type"]
        data.append(upload if kind == "file" else source if kind == "dropdown"
                    else SEED_QUESTION if kind == "textbox" else [] if kind == "chatbot"
                    else kinds[cid].get("props", {}).get("value"))
    return data


def _run_event(client: httpx.Client, fn_index: int, data: list) -> tuple[int, dict | None]:
    """Post one event to /gradio_api/queue/join and wait for it: (join status, completion message)."""
    session = uuid.uuid4().hex
    r = client.post("/gradio_api/queue/join", json={
        "data": data, "fn_index": fn_index, "session_hash": session,
        "event_data": {"index": [1, 0], "value": "x", "liked": True, "selected": True}})
    if r.status_code != 200:
        return r.status_code, None
    with client.stream("GET", "/gradio_api/queue/data", params={"session_hash": session}) as stream:
        for line in stream.iter_lines():
            if line.startswith("data:"):
                message = json.loads(line[5:])
                if message.get("msg") in ("process_completed", "unexpected_error"):
                    return 200, message
    return 200, None


def _upload_to_gradio(client: httpx.Client, path: Path) -> list:
    r = client.post("/gradio_api/upload", files={"files": (path.name, path.read_bytes(), "text/plain")})
    if r.status_code != 200:
        return [{"path": str(path), "orig_name": path.name, "meta": {"_type": "gradio.FileData"}}]
    return [{"path": r.json()[0], "orig_name": path.name, "meta": {"_type": "gradio.FileData"}}]


def test_queue_events_cannot_change_the_index_without_the_editor_role(secured, tmp_path):
    url, ix, _ = secured
    doc = tmp_path / "lune.txt"
    doc.write_text("The Lune river is 86 kilometres long. It flows into Morecambe Bay.")
    before = _names(url, _auth("ed"))
    version = (ix / "CURRENT").read_text()

    anonymous = _login(url, None)
    assert anonymous.get("/config").status_code == 401
    editor = _login(url, "ed")
    config = editor.get("/config").json()
    source = next(c for c in config["components"] if c["type"] == "dropdown"
                  and c["props"].get("label") == "Indexed documents")["props"]["choices"][0][1]
    fns = list(range(len(config["dependencies"])))
    assert len(fns) >= 8
    for fn in fns:  # anonymous: refused at the door
        status, _ = _run_event(anonymous, fn, _payload(config, config["dependencies"][fn], [], source))
        assert status == 401
    reader = _login(url, "ana")
    upload = _upload_to_gradio(reader, doc)
    outcomes = {fn: _run_event(reader, fn, _payload(config, config["dependencies"][fn], upload, source))
                for fn in fns}
    index_fns = [fn for fn, (_, m) in outcomes.items() if m and "Not allowed" in json.dumps(m)]
    assert len(index_fns) >= 2  # upload and remove at least, refused inside the handler
    assert (ix / "CURRENT").read_text() == version and _names(url, _auth("ed")) == before
    for name, data in (("upload", [upload]), ("remove", [source])):  # the named routes, too
        reader.post(f"/gradio_api/run/{name}", json={"data": data})
        r = reader.post(f"/gradio_api/call/{name}", json={"data": data})
        if r.status_code == 200:
            with reader.stream("GET", f"/gradio_api/call/{name}/{r.json()['event_id']}") as stream:
                for line in stream.iter_lines():
                    if line.startswith("event:") and line.split(":", 1)[1].strip() in ("complete", "error"):
                        break
    assert (ix / "CURRENT").read_text() == version and _names(url, _auth("ed")) == before

    upload = _upload_to_gradio(editor, doc)
    upload_fn = next(fn for fn in index_fns if any(
        c["type"] == "file" for c in config["components"] if c["id"] in config["dependencies"][fn]["inputs"]))
    status, message = _run_event(editor, upload_fn, [upload])
    assert status == 200 and message["success"], message
    assert "lune.txt" in _names(url, _auth("ed"))
    assert (ix / "CURRENT").read_text() != version


def test_gradio_client_signs_in_and_keeps_to_its_role(secured):
    from gradio_client import Client

    url, _, _ = secured
    client = Client(url + "/", auth=_auth("ana"), verbose=False)
    assert client.predict(SEED_QUESTION, [], 5, 1, api_name="/ask")["answers"][0]["text"] == "35"
    with pytest.raises(Exception):  # noqa: B017 - gradio_client's own error types vary by version
        Client(url + "/", verbose=False).predict(SEED_QUESTION, [], 5, 1, api_name="/ask")


# --- single-user server ---------------------------------------------------------------------

def test_qa_serve_answers_over_http_and_curl_without_accounts(open_server):
    url, _, _ = open_server
    import urllib.request

    request = urllib.request.Request(url + "/ask", data=json.dumps({"question": SEED_QUESTION}).encode(),
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=120) as reply:
        assert json.loads(reply.read())["answers"][0]["text"] == "35"
    if shutil.which("curl"):
        out = subprocess.run(["curl", "-sS", "-X", "POST", url + "/ask", "-H", "Content-Type: application/json",
                              "-d", json.dumps({"question": SEED_QUESTION})],
                             capture_output=True, text=True, timeout=120, check=True).stdout
        assert json.loads(out)["answers"][0]["text"] == "35"
    assert httpx.get(url + "/documents", timeout=30).status_code == 200  # one user: no sign-in


def test_warm_qa_ask_and_chat_use_the_running_server(open_server):
    url, ix, _ = open_server
    info = ix / ".server.json"
    assert stat.S_IMODE(info.stat().st_mode) == 0o600 and json.loads(info.read_text())["url"].startswith(url)
    script = ("import sys, time; from qa.apps.cli import main; t = time.perf_counter(); "
              f"rc = main(['ask', {SEED_QUESTION!r}, '--index', {str(ix)!r}]); "
              "print('seconds', time.perf_counter() - t); print('torch', 'torch' in sys.modules); sys.exit(rc)")
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=60,
                         check=False)
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines()[0] == "35" and "torch False" in out.stdout  # answered by the server
    chat = subprocess.run([sys.executable, "-m", "qa.apps.cli", "chat", "--index", str(ix)], env=env, timeout=120,
                          input="Who interviewed Maduro?\nWhat is his nationality?\n", capture_output=True, text=True,
                          check=True)
    assert "Ignacio Ramonet" in chat.stdout and "Answered as: What is Ignacio Ramonet's nationality?" in chat.stdout
    assert "Spanish" in chat.stdout
    # the local token lets this machine's qa ask; it does not let anyone read paths elsewhere
    assert httpx.post(url + "/local/ask", json={"question": SEED_QUESTION}, timeout=30).status_code == 403


def test_a_stale_or_dead_server_file_means_answering_here(tmp_path):
    from qa.apps.discovery import ask_server, running_server, write_server_file

    assert ask_server(tmp_path, {"question": SEED_QUESTION}) is None  # no file
    write_server_file(tmp_path, f"http://127.0.0.1:{_free_port()}/", "t")  # this process, nothing listening
    assert running_server(tmp_path) is not None and ask_server(tmp_path, {"question": SEED_QUESTION}) is None
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True,
                          check=True)
    info = json.loads((tmp_path / ".server.json").read_text()) | {"pid": int(dead.stdout)}
    (tmp_path / ".server.json").write_text(json.dumps(info))
    assert running_server(tmp_path) is None
    (tmp_path / ".server.json").write_text("{broken")
    assert running_server(tmp_path) is None


def test_serve_arguments_are_checked_before_anything_loads(tmp_path, capsys):
    assert main(["serve", "--replicas", "2", "--index", str(tmp_path / "ix")]) == 1
    assert "--replicas needs --ray" in capsys.readouterr().err
    assert main(["serve", "--port", "0", "--index", str(tmp_path / "ix")]) == 1
    assert not (tmp_path / "ix").exists()


@pytest.mark.parametrize("how", ["qa serve", "app.py"])
def test_listening_beyond_this_machine_needs_accounts(tmp_path, how):
    env = dict(os.environ, PYTHONPATH=str(ROOT), GRADIO_SERVER_NAME="0.0.0.0")
    cmd = ([sys.executable, "-m", "qa.apps.cli", "serve", "--host", "0.0.0.0", "--index", str(tmp_path / "ix")]
           if how == "qa serve" else [sys.executable, str(ROOT / "app.py"), "--index", str(tmp_path / "ix")])
    out = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=120, cwd=tmp_path, check=False)
    assert out.returncode == 1 and "--users" in out.stderr and "0.0.0.0" in out.stderr
    assert len(out.stderr.strip().splitlines()) == 1 and not (tmp_path / "ix").exists()


def test_bad_bodies_are_one_json_error_and_point_names_ignore_case(open_server):
    url, _, _ = open_server
    # (paths the API does not have go to the chat page mounted at /, which answers in its own way)
    for body in (b'{"question": "\xff\xfe bad"}', b"[" * 20000, b'{"question": '):
        reply = httpx.post(url + "/ask", content=body, headers={"Content-Type": "application/json"}, timeout=30)
        assert 400 <= reply.status_code < 500
        assert set(reply.json()) == {"error"}, reply.text
    careful = httpx.post(url + "/ask", json={"question": SEED_QUESTION, "operating_point": " Careful"}, timeout=120)
    assert careful.status_code == 200, careful.text
    bogus = httpx.post(url + "/ask", json={"question": SEED_QUESTION, "operating_point": "sloppy"}, timeout=30)
    assert bogus.status_code == 422 and "operating_point" in bogus.json()["error"]
