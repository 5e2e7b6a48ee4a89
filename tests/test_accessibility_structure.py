"""What a screen reader relies on, page by page: language, one h1, questions as fieldsets with
legends, a label for every input, help and errors tied to their fields, and an announced
progress line."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser

import pytest

from tests.helpers import answer_everything, state_token

CONCERNS = ["cellulite", "hair_thinning", "pigmentation", "fine_lines"]
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source"}


@dataclass
class Node:
    """An element of the parsed page: its tag, attributes, children and text."""

    tag: str
    attrs: dict[str, str]
    parent: Node | None = None
    children: list[Node] = field(default_factory=list)
    text: str = ""

    def walk(self):
        yield self
        for child in self.children:
            yield from child.walk()

    def find_all(self, tag: str | None = None, **attrs) -> list[Node]:
        return [
            n
            for n in self.walk()
            if (tag is None or n.tag == tag)
            and all(n.attrs.get(k.rstrip("_")) == v for k, v in attrs.items())
        ]

    def ancestors(self):
        node = self.parent
        while node is not None:
            yield node
            node = node.parent

    def all_text(self) -> str:
        return " ".join([self.text, *(c.all_text() for c in self.children)]).strip()


class Tree(HTMLParser):
    """A small DOM built with the standard library's parser."""

    def __init__(self, markup: str):
        super().__init__()
        self.root = Node("#document", {})
        self.current = self.root
        self.feed(markup)

    def handle_starttag(self, tag, attrs):
        node = Node(tag, {k: v or "" for k, v in attrs}, self.current)
        self.current.children.append(node)
        if tag not in VOID:
            self.current = node

    def handle_endtag(self, tag):
        for node in [self.current, *self.current.ancestors()]:
            if node.tag == tag:
                self.current = node.parent or self.root
                return

    def handle_data(self, data):
        self.current.text += data


def check_page(markup: str, screen: str) -> Node:
    """Assert what every page needs; return its tree for page-specific checks."""
    root = Tree(markup).root
    document = root.find_all("html")
    lang = document[0].attrs.get("lang", "") if document else ""
    assert re.fullmatch(r"[a-z]{2}(-[A-Za-z]+)?", lang), f"{screen}: <html lang> is {lang!r}"
    assert len(root.find_all("h1")) == 1, f"{screen}: expected exactly one h1"
    assert len(root.find_all("main")) == 1, f"{screen}: expected one main landmark"
    ids = [n.attrs["id"] for n in root.walk() if n.attrs.get("id")]
    assert len(ids) == len(set(ids)), f"{screen}: duplicate ids"
    labelled = {n.attrs.get("for") for n in root.find_all("label")}
    for box in root.find_all("input"):
        if box.attrs.get("type") == "hidden":
            continue
        has_label = box.attrs.get("id") in labelled or box.attrs.get("aria-label")
        assert has_label, f"{screen}: input {box.attrs} has no label"
        for ref in box.attrs.get("aria-describedby", "").split():
            assert ref in ids, f"{screen}: aria-describedby points at missing #{ref}"
    for box in root.find_all("fieldset"):
        legends = [c for c in box.children if c.tag == "legend"]
        assert legends and legends[0].all_text(), f"{screen}: fieldset without a legend"
    for summary in root.find_all(id="error-summary"):
        links = summary.find_all("a")
        assert links, f"{screen}: error summary without links"
        for link in links:
            assert link.attrs["href"].removeprefix("#") in ids, f"{screen}: {link.attrs}"
    return root


class Walk:
    """A cookie-less visitor posting each page's state token back."""

    def __init__(self, client, slug: str):
        self.client, self.slug, self.markup = client, slug, ""

    def get(self, path: str, status: int = 200) -> str:
        response = self.client.get(path)
        assert response.status_code == status, path
        self.markup = response.get_data(as_text=True)
        return self.markup

    def post(self, path: str, data: dict, status: int | None = None) -> str:
        response = self.client.post(
            path, data={"state": state_token(self.markup), **data}, follow_redirects=True
        )
        if status is not None:
            assert response.status_code == status, response.get_data(as_text=True)[-1500:]
        self.markup = response.get_data(as_text=True)
        return self.markup

    def step(self, answers: dict, action: str = "next") -> str:
        names = dict.fromkeys(re.findall(r'name="q-([a-z_]+)"', self.markup))
        data = {f"q-{qid}": answers[qid] for qid in names if qid in answers}
        return self.post(f"/embed/{self.slug}/step", {**data, "action": action})


@pytest.fixture
def app_config(app_config):
    return {**app_config, "QUIZ_MIN_FILL_SECONDS": 0}


@pytest.fixture
def walk(app, make_clinic):
    make_clinic("clear", contact_timing="before", privacy_url="https://clear.example/privacy")
    return Walk(app.test_client(use_cookies=False), "clear")


def test_every_step_is_fieldsets_with_legends_help_tied_and_progress_announced(walk, questionnaire):
    answers = answer_everything(questionnaire, concerns=CONCERNS)
    check_page(walk.get("/embed/clear"), "intro")
    walk.post("/embed/clear/step", {"action": "start"}, status=200)
    seen_help = 0
    for number in range(1, 40):
        if 'name="email"' in walk.markup:
            break
        root = check_page(walk.markup, f"step {number}")
        progress = root.find_all("p", class_="progress-text")
        assert progress and re.fullmatch(r"Step \d+ of up to \d+", progress[0].all_text())
        live = progress[0].attrs.get("role") == "status" or progress[0].attrs.get("aria-live")
        assert live, "the progress line is not announced"
        questions = root.find_all("fieldset")
        assert questions, f"step {number} has no question fieldset"
        for fieldset in questions:
            qid = fieldset.attrs["id"].removeprefix("q-")
            help_text = questionnaire.question(qid).help
            inputs = fieldset.find_all("input")
            assert inputs and all(i.attrs["name"] == f"q-{qid}" for i in inputs)
            if help_text:
                seen_help += 1
                help_id = f"{fieldset.attrs['id']}-help"
                assert all(help_id in i.attrs["aria-describedby"].split() for i in inputs)
        walk.step(answers)
        assert 'id="error-summary"' not in walk.markup
    else:
        pytest.fail("never reached the contact form")
    assert number > 8, f"the walk saw only {number - 1} steps"
    assert seen_help, "no question with help text was seen: the aria-describedby check ran on none"


def test_error_summary_links_to_each_question_and_errors_are_tied_to_the_inputs(walk):
    walk.get("/embed/clear")
    walk.post("/embed/clear/step", {"action": "start"})
    root = check_page(walk.step({}), "step 1 with errors")
    summary = root.find_all(id="error-summary")[0]
    assert summary.attrs.get("role") == "alert" and summary.attrs.get("tabindex") == "-1"
    links = summary.find_all("a")
    assert links
    for link in links:
        # The link lands on the question's first option, inside the question's fieldset.
        (box,) = root.find_all("input", id=link.attrs["href"].removeprefix("#"))
        fieldset = next(a for a in box.ancestors() if a.tag == "fieldset")
        error_id = f"{fieldset.attrs['id']}-error"
        assert root.find_all(id=error_id), f"no error message #{error_id}"
        for option in fieldset.find_all("input"):
            assert error_id in option.attrs["aria-describedby"].split()


def test_contact_thanks_and_erasure_pages_label_every_field(walk, questionnaire):
    answers = answer_everything(questionnaire)
    walk.get("/embed/clear")
    walk.post("/embed/clear/step", {"action": "start"})
    for _ in range(30):
        if 'name="email"' in walk.markup:
            break
        walk.step(answers)
    check_page(walk.markup, "contact")
    root = check_page(
        walk.post("/embed/clear/contact", {"action": "send", "email": "not-an-email"}),
        "contact with errors",
    )
    (email,) = root.find_all("input", name="email")
    assert email.attrs.get("aria-invalid") == "true"
    assert "email-error" in email.attrs["aria-describedby"].split()
    assert root.find_all("input", name="email")[0].attrs["value"] == "not-an-email"
    thanks = walk.post(
        "/embed/clear/contact",
        {
            "action": "send",
            "name": "Ada Lovelace",
            "email": "ada@example.org",
            "consent_contact": "y",
            "consent_health": "y",
        },
        status=200,
    )
    root = check_page(thanks, "thanks")
    forget = next(
        a.attrs["href"] for a in root.find_all("a") if "/forget/" in a.attrs.get("href", "")
    )
    check_page(walk.get(forget), "erasure confirmation")
    content = next(
        a.attrs["href"] for a in root.find_all("a") if "/content/" in a.attrs.get("href", "")
    )
    check_page(walk.get(content), "content page")


def test_restart_and_not_found_pages_have_a_language_and_one_heading(walk):
    walk.get("/embed/clear")
    response = walk.client.post(
        "/embed/clear/step", data={"state": state_token(walk.markup) + "x", "action": "next"}
    )
    assert response.status_code == 400
    check_page(response.get_data(as_text=True), "restart")
    check_page(walk.get("/embed/no-such-clinic", status=404), "404")
