"""Comments in a real browser: post, see, delete, with JavaScript on (no
reload) and off (303 and a new page), a script that stays text, Hangul,
the live update, and the pages of older comments."""

import unittest

from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

import harness as h

XSS = "<script>window.__xss = 1</script><img src=x onerror=\"window.__xss = 2\"> & </p>"


class PostSeeDelete(unittest.TestCase):
    def test_without_javascript(self):
        d = h.browser(js=False)
        self.addCleanup(d.quit)
        h.signed_up_and_in(d, "nojs")
        f = h.form(d, "/comments")
        h.fill(f, text="posted by a form, no script")
        h.submit(d, f)
        self.assertEqual(h.status(d), 200)  # after the 303
        self.assertEqual(d.current_url, h.BASE + "/")
        self.assertIn("posted by a form, no script", h.comment_texts(d))
        own = d.find_elements(By.CSS_SELECTOR, "#comments .comment.own")
        self.assertTrue(own)
        comment_id = own[-1].get_attribute("data-id")
        delete = h.form(d, f"/comments/{comment_id}/delete", ("_method", "DELETE"))
        h.submit(d, delete)
        self.assertNotIn("posted by a form, no script", h.comment_texts(d))
        self.assertFalse(d.find_elements(By.ID, f"c-{comment_id}"))

    def test_with_javascript_nothing_reloads(self):
        d = h.browser(js=True)
        self.addCleanup(d.quit)
        h.signed_up_and_in(d, "js")
        h.mark_page(d)
        f = h.form(d, "/comments")
        h.fill(f, text="posted by fetch")
        f.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
        self.assertTrue(h.eventually(lambda: "posted by fetch" in h.comment_texts(d)))
        self.assertEqual(f.find_element(By.NAME, "text").get_attribute("value"), "")
        own = d.find_elements(By.CSS_SELECTOR, "#comments .comment.own")[-1]
        own.find_element(By.CSS_SELECTOR, "form.delete button").click()
        self.assertTrue(h.eventually(lambda: "posted by fetch" not in h.comment_texts(d)))
        self.assertTrue(h.page_not_reloaded(d))
        # The server agrees: a reload shows it gone.
        h.open_board(d)
        self.assertNotIn("posted by fetch", h.comment_texts(d))
        self.assertEqual(h.console_errors(d), [])

    def test_a_refused_comment_keeps_its_text(self):
        for js in (True, False):
            with self.subTest(js=js):
                d = h.browser(js=js)
                self.addCleanup(d.quit)
                h.signed_up_and_in(d, "long")
                f = h.form(d, "/comments")
                too_long = "x" * 4097
                d.execute_script("arguments[0].value = arguments[1]", f.find_element(By.NAME, "text"), too_long)
                if js:
                    f.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
                    self.assertTrue(h.eventually(lambda: d.find_element(By.ID, "notice").is_displayed()))
                else:
                    h.submit(d, f)
                    self.assertEqual(h.status(d), 400)
                self.assertIn("Could not post the comment", h.text(d, "#notice"))
                self.assertIn("4096 bytes", h.text(d, "#notice"))
                self.assertEqual(h.form(d, "/comments").find_element(By.NAME, "text").get_attribute("value"), too_long)


class Escaping(unittest.TestCase):
    def test_a_script_comment_shows_as_text_and_never_runs(self):
        writer = h.browser(js=True)
        self.addCleanup(writer.quit)
        h.signed_up_and_in(writer, "xss")
        reader = h.browser(js=True)
        self.addCleanup(reader.quit)
        h.open_board(reader)
        # Posted through the page's script: rendered by the script.
        f = h.form(writer, "/comments")
        h.fill(f, text=XSS)
        f.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
        self.assertTrue(h.eventually(lambda: XSS in h.comment_texts(writer)))
        # Arrived by polling: rendered by the script on another page.
        self.assertTrue(h.eventually(lambda: XSS in h.comment_texts(reader), timeout=6))
        # Rendered by the server.
        h.open_board(writer)
        self.assertIn(XSS, h.comment_texts(writer))
        for d in (writer, reader):
            self.assertIsNone(d.execute_script("return window.__xss"))
            self.assertFalse(d.find_elements(By.CSS_SELECTOR, "#comments img"))

    def test_a_username_with_markup_characters_is_text(self):
        # Usernames allow only letters, digits and @.+-_, so no markup can
        # get in; the ones it allows show as typed.
        d = h.browser(js=False)
        self.addCleanup(d.quit)
        name = "a.b+c@d-" + h.unique("e_")
        h.sign_up(d, name)
        h.log_in(d, name)
        self.assertIn(name, h.text(d, ".whoami"))


class Hangul(unittest.TestCase):
    def test_a_korean_comment_renders(self):
        d = h.browser(js=False)
        self.addCleanup(d.quit)
        h.signed_up_and_in(d, "hangul")
        korean = "안녕하세요! 세션 쿠키는 14일 동안 유지됩니다."
        f = h.form(d, "/comments")
        h.fill(f, text=korean)
        h.submit(d, f)
        self.assertIn(korean, h.comment_texts(d))
        el = d.find_elements(By.CSS_SELECTOR, "#comments .comment .text")[-1]
        # Laid out as glyphs of its own, not as a row of empty boxes of one
        # width: the line is as wide as Hangul text should be.
        self.assertGreater(el.size["width"], 200)
        h.screenshot(d, "korean.png")


class LiveUpdate(unittest.TestCase):
    def test_a_comment_from_another_client_appears_within_5_s(self):
        d = h.browser(js=True)
        self.addCleanup(d.quit)
        h.open_board(d)
        h.mark_page(d)
        other = h.Client()
        other.sign_up_and_log_in(h.unique("other"))
        posted = other.post("hello from a script, live")
        WebDriverWait(d, 5).until(lambda _: d.find_elements(By.ID, f"c-{posted['id']}"))
        self.assertIn("hello from a script, live", h.comment_texts(d))
        self.assertTrue(h.page_not_reloaded(d))
        self.assertEqual(h.console_errors(d), [])

    def test_the_poll_gets_304_while_nothing_changes(self):
        # What the page's script does, done by hand in the page: the same
        # request with the ETag it got answers 304.
        d = h.browser(js=True)
        self.addCleanup(d.quit)
        h.open_board(d)
        statuses = d.execute_async_script(
            """
            const done = arguments[arguments.length - 1];
            const url = '/comments?after=' + document.getElementById('comments').dataset.after;
            const opts = {cache: 'no-store', headers: {Accept: 'application/json'}};
            fetch(url, opts).then(async (r) => {
              const tag = r.headers.get('ETag');
              const again = await fetch(url, {cache: 'no-store',
                headers: {Accept: 'application/json', 'If-None-Match': tag}});
              done([r.status, again.status, tag]);
            }).catch((e) => done(String(e)));
            """
        )
        self.assertEqual(statuses[:2], [200, 304], statuses)


class OlderPages(unittest.TestCase):
    def test_older_comments_are_a_link_away(self):
        writer = h.Client()
        writer.sign_up_and_log_in(h.unique("many"))
        ids = [writer.post(f"comment number {i}")["id"] for i in range(55)]
        d = h.browser(js=False)
        self.addCleanup(d.quit)
        h.open_board(d)
        shown = [int(e.get_attribute("data-id")) for e in d.find_elements(By.CSS_SELECTOR, "#comments .comment")]
        self.assertEqual(len(shown), 50)
        self.assertEqual(shown, sorted(shown), "oldest first")
        self.assertEqual(shown[-1], ids[-1])
        older = d.find_element(By.CSS_SELECTOR, 'a[rel="prev"]')
        self.assertEqual(older.get_attribute("href"), f"{h.BASE}/?before={shown[0]}")
        older.click()
        h.wait_loaded(d)
        earlier = [int(e.get_attribute("data-id")) for e in d.find_elements(By.CSS_SELECTOR, "#comments .comment")]
        self.assertTrue(earlier and max(earlier) < shown[0])
        self.assertEqual(earlier, sorted(earlier))
        self.assertTrue(d.find_element(By.LINK_TEXT, "Back to the latest"))


if __name__ == "__main__":
    unittest.main()
