"""Consent managers (cookie banners, preference centres, vendor lists) are left out of HTML pages
as navigation is, by their vendors' markup or by generic cookie/consent markup that asks for
consent; pages whose content is about cookies (an article, a recipe) keep it."""

from __future__ import annotations

import pytest

from qa.ingest.loading import load_file

STORY = ("<h1>Harbour bridge to reopen</h1>"
         "<p>The Tarnwick harbour bridge will reopen on 14 March after a repair that cost 3.2 million euros.</p>"
         "<p>Engineers replaced 42 steel cables and the deck's expansion joints over eleven months.</p>"
         "<p>The city council said buses will return to the bridge a week after it reopens.</p>")
STORY_LINE = "The Tarnwick harbour bridge will reopen on 14 March after a repair that cost 3.2 million euros."

VENDORS = ["Acme Analytics Ltd", "Brightpixel Media", "Cobalt Ad Exchange", "Dunmore Audience Data",
           "Eastgate Measurement", "Foxglove Retargeting", "Greyhound Metrics", "Heron Tag Services"]


def _vendor_items(item: str) -> str:
    """A vendor list in a preference centre: many vendors, each with a cookie duration."""
    return "".join(item.format(name=v, days=300 + 11 * i) for i, v in enumerate(VENDORS * 3))


def onetrust() -> str:
    items = _vendor_items('<li class="ot-host-item"><h3 class="ot-host-name">{name}</h3>'
                          '<p class="ot-host-desc">Cookie duration: {days} days. Legitimate interest.</p></li>')
    return ('<div id="onetrust-consent-sdk"><div id="onetrust-banner-sdk" class="otFlat" role="region" '
            'aria-label="Cookie banner"><div id="onetrust-policy"><h2 id="onetrust-policy-title">We value your '
            'privacy</h2><p id="onetrust-policy-text">We and our 842 partners store and access information on '
            'your device.</p></div><div id="onetrust-button-group"><span>Accept All Cookies</span></div></div>'
            '<div id="onetrust-pc-sdk" class="otPcCenter ot-hide ot-fade-in"><div class="ot-pc-header">'
            '<p class="ot-pc-title">Privacy Preference Center</p></div><section id="ot-pc-lst">'
            f'<ul id="ot-host-lst">{items}</ul></section></div></div>')


def cookiebot() -> str:
    rows = _vendor_items("<tr><td>_{name}</td><td>Registers a unique ID for {name}.</td>"
                         "<td>{days} days</td></tr>")
    return ('<div id="CybotCookiebotDialog" role="dialog" aria-modal="true" lang="en">'
            '<h2 id="CybotCookiebotDialogBodyContentTitle">This website uses cookies</h2>'
            '<div id="CybotCookiebotDialogBodyContentText">We use cookies to personalise content and ads.</div>'
            f'<table class="CybotCookiebotDialogDetailBodyContentCookieTypeTable">{rows}</table>'
            '<a id="CybotCookiebotDialogBodyLevelButtonLevelOptinAllowAll">Allow all</a></div>')


def didomi() -> str:
    items = _vendor_items('<div class="didomi-vendor"><p>{name}</p><p>Cookie duration: {days} days</p></div>')
    return ('<div id="didomi-host" data-nosnippet="true"><div class="didomi-popup-container">'
            '<p class="didomi-popup-title">Welcome to the Tarnwick Gazette</p>'
            '<p>With your agreement, we and our 314 partners use cookies.</p>'
            f'<span>Agree and close</span>{items}</div></div>')


def usercentrics() -> str:
    items = _vendor_items('<div data-testid="uc-service">{name}: storage for {days} days</div>')
    return (f'<div id="usercentrics-root"><div data-testid="uc-app-container"><p>Privacy Settings</p>'
            f'<p>We use cookies and similar technologies.</p>{items}<span>Accept All</span></div></div>')


def quantcast() -> str:
    items = _vendor_items('<div class="qc-cmp2-list-item"><p>{name}</p><p>Maximum storage duration: '
                          '{days} days</p></div>')
    return ('<div id="qc-cmp2-container" class="qc-cmp2-container" data-nosnippet="">'
            '<div class="qc-cmp2-summary-section"><p>We value your privacy</p><p>We and our partners store '
            f'and/or access information on a device.</p></div>{items}<span>AGREE</span></div>')


def trustarc() -> str:
    items = _vendor_items("<p>{name} keeps its cookies for {days} days.</p>")
    return ('<div id="consent_blackbar"><div id="truste-consent-track"><div id="truste-consent-content">'
            '<p>This site uses cookies and related technologies, as described in our privacy statement.</p>'
            f'{items}<span id="truste-consent-button">Agree and Proceed</span></div></div></div>')


def generic_dialog() -> str:
    items = _vendor_items("<li>{name}: cookie duration {days} days</li>")
    return ('<section role="dialog" aria-label="Cookie consent"><p>We use cookies to run this site.</p>'
            f'<p>Our vendors:</p><ul>{items}</ul><p>Accept all</p><p>Reject all</p>'
            '<p>Manage preferences</p></section>')


BANNERS = {"onetrust": onetrust, "cookiebot": cookiebot, "didomi": didomi, "usercentrics": usercentrics,
           "quantcast": quantcast, "trustarc": trustarc, "generic": generic_dialog}


def page(banner: str, story_wrapper: str) -> str:
    """A saved news page: the story (in an <article>, or in plain divs) and a consent manager."""
    story = (f"<article>{STORY}</article>" if story_wrapper == "article"
             else f'<div class="content"><div class="story-body">{STORY}</div></div>')
    return f"<html><body><div class='site'>{story}</div>{banner}</body></html>"


@pytest.mark.parametrize("wrapper", ["article", "div"])
@pytest.mark.parametrize("vendor", list(BANNERS))
def test_consent_managers_are_left_out(tmp_path, vendor, wrapper):
    f = tmp_path / "news.html"
    f.write_text(page(BANNERS[vendor](), wrapper), encoding="utf-8")
    text = load_file(f).text
    assert STORY_LINE in text
    for absent in ("days", "Acme Analytics", "partners", "Accept", "cookies", "Agree", "AGREE"):
        assert absent not in text, (vendor, absent)


def test_a_short_generic_cookie_notice_is_left_out(tmp_path):
    f = tmp_path / "news.html"
    f.write_text(page('<div class="cookie-notice">This site uses cookies. <a href="#">OK</a></div>', "div"),
                 encoding="utf-8")
    assert "cookies" not in load_file(f).text


@pytest.mark.parametrize("markup,kept", [
    # an article about web cookies, in an <article> with consent words in its prose
    (("<article class='cookie-consent-explained'><h1>What the cookie banner asks</h1><p>Most sites ask you "
     "to accept all cookies or manage preferences; ad vendors may keep a cookie for at most 400 days, "
     "the regulator said.</p></article>"),
     "ad vendors may keep a cookie for at most 400 days"),
    # the same as main content in plain divs named after cookies, the page's <h1> in it
    (("<div id='cookies' class='gdpr'><h1>Cookies and the GDPR</h1><p>Sites that say we use cookies must "
     "let you reject all of them; vendors may keep a cookie for at most 400 days.</p></div>"),
     "vendors may keep a cookie for at most 400 days"),
    # a recipe for cookies
    (("<div class='recipe cookies'><h2>Oatmeal cookies</h2><p>Bake the cookies for 12 minutes at 180 "
     "degrees.</p></div><div class='cookie-jar'><p>Keep the cookies in a tin for up to 5 days.</p></div>"),
     "Bake the cookies for 12 minutes at 180 degrees."),
])
def test_pages_about_cookies_keep_their_content(tmp_path, markup, kept):
    f = tmp_path / "cookies.html"
    f.write_text(f"<html><body>{markup}<div id='onetrust-consent-sdk'><p>Accept all</p></div></body></html>",
                 encoding="utf-8")
    text = load_file(f).text
    assert kept in text and "Accept all" not in text


@pytest.fixture(scope="module")
def fast_reader():
    from qa.answer.reading import Reader

    return Reader("fast")


def test_the_story_is_answered_and_no_cookie_duration_is(tmp_path, embedder, fast_reader):
    from qa.pipeline import QA, build_index

    docs = tmp_path / "docs"
    docs.mkdir()
    for vendor, make in BANNERS.items():
        (docs / f"{vendor}.html").write_text(page(make(), "div"), encoding="utf-8")
    build_index(tmp_path / "index", [docs], embedder=embedder)
    qa = QA(tmp_path / "index", fast_reader, embedder)
    result = qa.ask("When will the Tarnwick harbour bridge reopen?")
    assert result.answers and "14 March" in result.answers[0].text
    cookies = qa.ask("How long is the cookie duration of Acme Analytics?")
    assert not any("Acme" in r.passage.text for r in cookies.passages)
    assert all("days" not in a.text for a in cookies.answers)


def test_a_privacy_policy_section_is_not_a_banner(tmp_path):
    f = tmp_path / "privacy.html"
    f.write_text("<body><div class='privacy-policy'><h2>Cookies we set</h2><p>We use cookies to keep you signed "
                 "in; our partners and vendors set none. The session cookie lasts 30 days.</p></div></body>",
                 encoding="utf-8")
    assert "The session cookie lasts 30 days." in load_file(f).text
