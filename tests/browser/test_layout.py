"""The page as a person sees it: nothing wider than the screen at 360 px,
a readable line at 1920 px, light and dark schemes, a label on every
input, and the screenshots (the README's is docs/board.png, written when
STATEFUL_UPDATE_DOCS=1, by screenshot_readme.py)."""

import os
import unittest

from selenium.webdriver.common.by import By

import harness as h

SAMPLE = [
    ("ada", "Logged in once, and the server remembered me across every request since. That is the whole trick: one cookie, one row."),
    ("minji", "안녕하세요! 쿠키 하나로 로그인 상태가 유지되는 게 신기하네요."),
    ("ada", "The panel on the right shows what my browser holds and what the server holds. They match."),
    ("tomas", "<script>alert('is this escaped?')</script> (it is: this shows as text)"),
]


def seeded_board():
    """A board with a few comments from a few people, once per run."""
    if getattr(seeded_board, "done", False):
        return
    clients = {}
    for author, text in SAMPLE:
        if author not in clients:
            clients[author] = h.Client()
            clients[author].sign_up_and_log_in(f"{author}{os.getpid()}")
        clients[author].post(text)
    seeded_board.done = True


def overflow(d):
    """How many CSS pixels the page is wider than its viewport."""
    return d.execute_script(
        "return document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )


class Widths(unittest.TestCase):
    def test_360_1280_and_1920(self):
        seeded_board()
        for js in (True, False):
            d = h.browser(js=js, width=1280)
            self.addCleanup(d.quit)
            name = h.signed_up_and_in(d, "wide")
            for width in (360, 1280, 1920):
                with self.subTest(js=js, width=width):
                    h.set_width(d, width)
                    h.open_board(d)
                    self.assertLessEqual(overflow(d), 0)
                    # Every control is on screen and usable at this width.
                    for el in d.find_elements(By.CSS_SELECTOR, "input:not([type=hidden]), textarea, button"):
                        rect = el.rect
                        self.assertGreaterEqual(rect["x"], 0)
                        self.assertLessEqual(rect["x"] + rect["width"], width)
                    # The comment column keeps a readable measure.
                    text_width = d.find_element(By.CSS_SELECTOR, "#comments .text").size["width"]
                    self.assertLessEqual(text_width, 900)
                    self.assertGreater(text_width, 250)
                    # And the forms work: post at this width.
                    f = h.form(d, "/comments")
                    h.fill(f, text=f"posted at {width} px")
                    if js:
                        f.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
                        self.assertTrue(h.eventually(lambda: f"posted at {width} px" in h.comment_texts(d)))
                    else:
                        h.submit(d, f)
                        self.assertIn(f"posted at {width} px", h.comment_texts(d))
                    if js:
                        h.screenshot(d, f"board-{width}.png")
            # The logged-out page at 360 px too.
            h.submit(d, h.form(d, "/logout"))
            h.set_width(d, 360)
            h.open_board(d)
            self.assertLessEqual(overflow(d), 0)
            self.assertTrue(h.form(d, "/signup").is_displayed())
            if js:
                h.screenshot(d, "board-360-logged-out.png")


class Schemes(unittest.TestCase):
    def luminance(self, d, css, prop):
        rgb = d.execute_script(
            "return getComputedStyle(document.querySelector(arguments[0]))[arguments[1]]", css, prop
        )
        r, g, b = [int(x) for x in rgb[rgb.index("(") + 1 : rgb.index(")")].split(",")[:3]]
        return 0.2126 * r + 0.7152 * g + 0.0722 * b

    def test_light_and_dark(self):
        seeded_board()
        d = h.browser(js=True)
        self.addCleanup(d.quit)
        h.signed_up_and_in(d, "scheme")
        h.set_dark(d, False)
        h.open_board(d)
        self.assertGreater(self.luminance(d, "body", "backgroundColor"), 200)
        self.assertLess(self.luminance(d, "body", "color"), 60)
        h.set_dark(d, True)
        h.open_board(d)
        self.assertLess(self.luminance(d, "body", "backgroundColor"), 40)
        self.assertGreater(self.luminance(d, "body", "color"), 200)
        self.assertGreater(self.luminance(d, ".comment .text", "color"), 200)
        h.screenshot(d, "board-dark.png")
        h.set_width(d, 360)
        h.open_board(d)
        h.screenshot(d, "board-dark-360.png")


class Labels(unittest.TestCase):
    def test_every_input_has_a_label(self):
        seeded_board()
        d = h.browser(js=False)
        self.addCleanup(d.quit)

        def unlabelled():
            return d.execute_script(
                """
                return Array.from(document.querySelectorAll('input, textarea, select'))
                  .filter((e) => e.type !== 'hidden' && e.labels.length === 0)
                  .map((e) => e.outerHTML);
                """
            )

        h.open_board(d)
        self.assertEqual(unlabelled(), [])
        h.signed_up_and_in(d, "labels")
        self.assertTrue(h.form(d, "/comments"))
        self.assertEqual(unlabelled(), [])


if __name__ == "__main__":
    unittest.main()
