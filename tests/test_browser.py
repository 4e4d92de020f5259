"""End to end in a real browser: Debian's chromium driven by Playwright against app.py."""

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from conftest import ROOT, SEED

CHROMIUM = "/usr/bin/chromium"
pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists() and not os.environ.get("CI"),
                                reason="Debian chromium is not installed")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def app_url(tmp_path):
    (tmp_path / "seeds").mkdir()
    shutil.copy(SEED, tmp_path / "seeds" / SEED.name)
    port = _free_port()
    env = dict(os.environ, GRADIO_SERVER_PORT=str(port), GRADIO_ANALYTICS_ENABLED="False",
               HF_HUB_OFFLINE="1")
    with open(tmp_path / "app.log", "w") as log:
        proc = subprocess.Popen([sys.executable, str(ROOT / "app.py")], cwd=tmp_path, env=env,
                                stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/"
    deadline = time.time() + 180
    while time.time() < deadline:
        if proc.poll() is not None:
            pytest.fail("app exited: " + (tmp_path / "app.log").read_text()[-2000:])
        try:
            urllib.request.urlopen(url, timeout=2)
            break
        except OSError:
            time.sleep(1)
    else:
        proc.kill()
        pytest.fail("app did not start: " + (tmp_path / "app.log").read_text()[-2000:])
    yield url
    proc.terminate()
    proc.wait(timeout=20)


def _ask(page, question: str) -> str:
    before = page.locator(".message.bot").count()
    box = page.get_by_placeholder("Type a question")
    box.fill(question)
    box.press("Enter")
    page.wait_for_function(
        f"""(() => {{ const m = document.querySelectorAll('.message.bot');
                     const t = m.length > {before} ? m[m.length - 1].innerText : '';
                     return t.includes('%)') || t.includes('no answer'); }})()""",
        timeout=90_000)
    return page.locator(".message.bot").last.inner_text()


def test_chat_answers_seed_question_and_uploaded_document(app_url, tmp_path):
    from playwright.sync_api import sync_playwright

    doc = tmp_path / "lighthouse.txt"
    doc.write_text("The Skerryvore lighthouse was completed in 1844. It stands 48 metres tall.")
    with sync_playwright() as p:
        # a persistent context on a fresh, empty user-data dir
        browser = p.chromium.launch_persistent_context(
            str(tmp_path / "chrome-profile"), executable_path=CHROMIUM, headless=True,
            args=["--no-sandbox", "--disable-gpu", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"])
        page = browser.new_page()
        page.goto(app_url)
        assert "35" in _ask(page, "How many boat strikes since August?")

        page.get_by_role("tab", name="Documents").click()
        page.locator("#upload input[type=file]").set_input_files(str(doc))
        page.wait_for_timeout(1000)
        page.locator("#add").click()
        page.wait_for_function(
            "document.querySelector('#upload-result')?.innerText.includes('indexed')", timeout=90_000)
        assert "lighthouse.txt" in page.locator("#upload-result").inner_text()

        page.get_by_role("tab", name="Chat").click()
        assert "1844" in _ask(page, "When was the Skerryvore lighthouse completed?")
        follow = _ask(page, "How tall is it?")
        assert "Answered as" in follow and "48 metres" in follow

        page.locator("#new-conversation").click()
        page.wait_for_function("document.querySelectorAll('.message.bot').length == 0", timeout=30_000)
        assert "35" in _ask(page, "How many boat strikes has the Trump administration conducted since August?")
        died = _ask(page, "How many people died in them?")
        assert "Answered as" in died and "115" in died

        # look at the source of the answer: the passage with the answer marked
        page.get_by_text("Look at a source").click()
        page.locator("#source-pick input").click()
        page.get_by_role("option").first.click()
        page.wait_for_selector("#source-view mark", timeout=30_000)
        assert "115" in page.locator("#source-view").inner_text()

        # a thumbs-down lands in the index's feedback file
        page.get_by_role("button", name="Dislike").last.click()
        feedback = tmp_path / "index" / "feedback.jsonl"
        deadline = time.time() + 30
        while not feedback.exists() and time.time() < deadline:
            time.sleep(0.5)
        assert feedback.exists(), page.locator("#feedback-note").inner_text()
        assert '"feedback": "down"' in feedback.read_text()
        page.screenshot(path=str(tmp_path / "conversation.png"), full_page=True)
        if os.environ.get("QA_SCREENSHOTS"):  # refresh the README's pictures: QA_SCREENSHOTS=docs
            shutil.copy(tmp_path / "conversation.png", Path(os.environ["QA_SCREENSHOTS"]) / "conversation.png")

        # a phone-sized screen: the page fits its width, and the answer is on screen
        page.set_viewport_size({"width": 390, "height": 844})
        page.wait_for_timeout(500)
        assert page.evaluate("document.documentElement.scrollWidth") <= 392
        page.screenshot(path=str(tmp_path / "phone.png"), full_page=True)
        assert (tmp_path / "phone.png").stat().st_size > 10_000
        browser.close()

    # the named API, as gradio_client users call it; the index-changing endpoints are not offered
    from gradio_client import Client

    client = Client(app_url, verbose=False)
    first = client.predict("Who interviewed Maduro?", [], 5, 1, api_name="/ask")
    assert first["answers"][0]["text"] == "Ignacio Ramonet"
    follow = client.predict("What is his nationality?", ["Who interviewed Maduro?"], 5, 1, api_name="/ask")
    assert follow["understood_as"] == "What is Ignacio Ramonet's nationality?"
    endpoints = str(client.view_api(print_info=False, return_format="dict"))
    assert "/ask" in endpoints and "/upload" not in endpoints and "/remove" not in endpoints
