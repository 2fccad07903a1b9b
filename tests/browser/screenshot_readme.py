"""The README's picture of the board, taken on a fresh server: logged in,
a few comments from a few people (Hangul and an escaped script among
them), the how-this-works panel in view. Written to
target/browser-screenshots/board.png, and to docs/board.png when
STATEFUL_UPDATE_DOCS=1."""

import os
import shutil
import unittest

import harness as h

CONVERSATION = [
    ("ada", "Logged in once, and the server has known me on every request since. One cookie, one row: that is the whole trick."),
    ("minji", "안녕하세요! 쿠키 하나로 로그인 상태가 유지되는 게 신기하네요."),
    ("tomas", "<script>alert('escaped?')</script> It is: this shows as text and never runs."),
    ("ada", "The panel on the right shows what my browser holds and what the server holds for me. Same session, two sides."),
]


class ReadmeScreenshot(unittest.TestCase):
    def test_the_readme_screenshot(self):
        clients = {}
        for author, text in CONVERSATION:
            if author not in clients:
                clients[author] = h.Client()
                clients[author].sign_up_and_log_in(author)
            clients[author].post(text)
        d = h.browser(js=True, width=1280, height=1400)
        self.addCleanup(d.quit)
        h.sign_up(d, "grace")
        h.log_in(d, "grace")
        mine = "Posted from this browser. Only I may delete it: the server checks the author."
        f = h.form(d, "/comments")
        h.fill(f, text=mine)
        f.find_element(h.By.CSS_SELECTOR, "button[type=submit]").click()
        self.assertTrue(h.eventually(lambda: mine in h.comment_texts(d)))
        h.open_board(d)
        path = h.screenshot(d, "board.png")
        if os.environ.get("STATEFUL_UPDATE_DOCS") == "1":
            os.makedirs("docs", exist_ok=True)
            shutil.copyfile(path, "docs/board.png")


if __name__ == "__main__":
    unittest.main()
