"""Code in documents (Markdown fenced and indented blocks, HTML <pre> and multi-line <code>) keeps
its lines and indentation through loading and splitting, and configuration values in it are
answered."""

from __future__ import annotations

import pytest

from qa.ingest.loading import load_file

GATEWAY_MD = """# Deploying the edge gateway

The edge gateway terminates TLS for the cluster. Configure it in `gateway.yaml`:

```yaml
gateway:
  server:
    host: 0.0.0.0
    port: 8443
  upstream:
    timeout_ms: 2500
```

The metrics endpoint is configured in JSON:

```json
{
  "metrics": {
    "path": "/metrics"
  }
}
```

Start it with:

```sh
./gateway --config gateway.yaml \\
    --log-level info
```

An indented block:

    [limits]
    max_connections = 4096
"""

GATEWAY_LINES = [
    "Deploying the edge gateway",
    "The edge gateway terminates TLS for the cluster. Configure it in gateway.yaml:",
    "gateway:", "  server:", "    host: 0.0.0.0", "    port: 8443", "  upstream:", "    timeout_ms: 2500",
    "The metrics endpoint is configured in JSON:",
    "{", '  "metrics": {', '    "path": "/metrics"', "  }", "}",
    "Start it with:",
    "./gateway --config gateway.yaml \\", "    --log-level info",
    "An indented block:",
    "[limits]", "max_connections = 4096",
]


def test_markdown_code_keeps_its_lines_and_indentation(tmp_path):
    (tmp_path / "gateway.md").write_text(GATEWAY_MD, encoding="utf-8")
    assert load_file(tmp_path / "gateway.md").text.split("\n") == GATEWAY_LINES


@pytest.mark.parametrize("code", [
    "<pre>\nserver:\n  port: 8443\n  tls:\n    enabled: true\n</pre>",
    ("<pre><code class='language-yaml'><span class='k'>server</span>:\n  <span class='k'>port</span>: 8443\n"
    "  tls:\n\n    enabled: true</code></pre>"),
    "<div class='highlight'><code>server:\n  port: 8443\n  tls:\n    enabled: true\n</code></div>",
    # indented in the page's source: the indentation all lines share is not the code's
    "<div>\n      <pre>\n      server:\n        port: 8443\n        tls:\n          enabled: true\n      </pre></div>",
])
def test_html_preformatted_code_keeps_its_indentation(tmp_path, code):
    (tmp_path / "p.html").write_text(f"<body><p>Use <code>port</code> to set it:</p>{code}<p>Then restart.</p></body>",
                                     encoding="utf-8")
    assert load_file(tmp_path / "p.html").text.split("\n") == [
        "Use port to set it:", "server:", "  port: 8443", "  tls:", "    enabled: true", "Then restart."]


def test_code_in_a_table_cell_stays_on_the_row(tmp_path):
    (tmp_path / "t.html").write_text("<table><tr><th>Key</th><th>Example</th></tr>"
                                     "<tr><td>port</td><td><pre>port:\n  8443</pre></td></tr></table>")
    assert load_file(tmp_path / "t.html").text == "Key: port | Example: port: 8443"


def test_passages_keep_the_indentation(tmp_path, tokenizer):
    from qa.ingest.splitting import Splitter

    (tmp_path / "gateway.md").write_text(GATEWAY_MD, encoding="utf-8")
    doc = load_file(tmp_path / "gateway.md")
    passages = Splitter(tokenizer, max_tokens=60, overlap_tokens=10).split(doc)
    assert any("gateway:\n  server:\n    host: 0.0.0.0\n    port: 8443" in p.text for p in passages)
    assert all(doc.text[p.start:p.end] == p.text for p in passages)


@pytest.fixture(scope="module")
def gateway_qa(tmp_path_factory, embedder):
    from qa.answer.reading import Reader
    from qa.pipeline import QA, build_index

    base = tmp_path_factory.mktemp("code")
    (base / "docs").mkdir()
    (base / "docs" / "gateway.md").write_text(GATEWAY_MD, encoding="utf-8")
    build_index(base / "index", [base / "docs"], embedder=embedder)
    return QA(base / "index", Reader("fast"), embedder)


@pytest.mark.parametrize("question,answer", [
    ("What port does the gateway listen on?", "8443"),
    ("What is the maximum number of connections?", "4096"),
])
def test_configuration_values_are_answered(gateway_qa, question, answer):
    result = gateway_qa.ask(question, max_answers=1)
    assert [a.text for a in result.answers] == [answer]


def test_a_key_of_another_thing_is_no_answer(gateway_qa):
    result = gateway_qa.ask("What port does the database server use?", max_answers=1)
    assert all(a.text != "8443" for a in result.answers)


@pytest.mark.parametrize("line,span,question,expected", [
    ("    port: 8443", "8443", "What port does the gateway listen on?", True),
    ('  "maxConnections": 4096,', "4096", "What is the gateway's maximum number of connections?", True),
    ("export GATEWAY_TIMEOUT_MS=2500", "2500", "What is the gateway timeout?", True),
    ("    port: 8443", "84", "What port does the gateway listen on?", False),  # not the whole value
    ("    host: 0.0.0.0", "0.0.0.0", "What port does the gateway listen on?", False),  # another key
    ("    port: 8443", "8443", "Which port does the billing database use?", False),  # another thing's
])
def test_keyed_values(line, span, question, expected):
    from qa.answer.verify import keyed_value

    passage = f"The gateway config:\ngateway:\n{line}\n  retries: 3"
    start = passage.index(span, passage.index(line))
    assert keyed_value(question, passage, start, start + len(span)) is expected


def test_inline_code_broken_across_source_lines_stays_in_its_sentence(tmp_path):
    (tmp_path / "p.html").write_text("<p>Run <code>pip install\n  qa-docs</code> to install it.</p>")
    assert load_file(tmp_path / "p.html").text == "Run pip install qa-docs to install it."
