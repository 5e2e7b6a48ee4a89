"""axe-core in a page: run its WCAG 2.0-2.2 A and AA rules screen after screen, keep what
it finds."""

from __future__ import annotations

AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]

# Frames are checked on their own (axe is injected into each), so axe does not reach into them.
AXE_RUN = """async (tags) => {
  const result = await axe.run(document, {runOnly: {type: "tag", values: tags}, iframes: false});
  return result.violations.map(v =>
    `${v.id} (${v.impact}): ${v.help}\\n      ` +
    v.nodes.map(n => n.target.join(" ")).join("\\n      "));
}"""


class Axe:
    """Runs axe on screen after screen and keeps every violation under the screen's name."""

    def __init__(self, path: str):
        self.path = path
        self.found: dict[str, list[str]] = {}
        self.screens: list[str] = []

    def check(self, page, screen: str) -> None:
        page.add_script_tag(path=self.path)
        self.screens.append(screen)
        violations = page.evaluate(AXE_RUN, AXE_TAGS)
        if violations:
            self.found[screen] = violations

    def assert_clean(self) -> None:
        report = "\n".join(
            f"{screen}:\n    " + "\n    ".join(items) for screen, items in self.found.items()
        )
        assert not self.found, f"axe found violations:\n{report}"
