"""The defences, seen from a browser: a form on another origin is refused
with 403 and the page says why; the headers every HTML answer carries; and
the page runs under its Content-Security-Policy without a violation."""

import http.server
import threading
import unittest

from selenium.webdriver.common.by import By

import harness as h


class ForeignSite(http.server.ThreadingHTTPServer):
    """A page on another port (so another origin, though the same site:
    SameSite=Lax alone would still send the cookie) whose form posts a
    comment to the board."""

    def __init__(self):
        page = f"""<!doctype html><html><head><meta charset="utf-8"><title>elsewhere</title></head>
<body><form id="evil" method="post" action="{h.BASE}/comments">
<input name="text" value="posted from another origin">
<button type="submit">Win a prize</button></form></body></html>""".encode()

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(page)))
                self.end_headers()
                self.wfile.write(page)

            def log_message(self, *args):
                pass

        super().__init__(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server_address[1]}/"
        threading.Thread(target=self.serve_forever, daemon=True).start()


class CrossOrigin(unittest.TestCase):
    def test_a_form_from_another_origin_is_refused_in_words(self):
        foreign = ForeignSite()
        self.addCleanup(foreign.server_close)
        self.addCleanup(foreign.shutdown)
        for js in (False, True):
            with self.subTest(js=js):
                d = h.browser(js=js)
                self.addCleanup(d.quit)
                h.signed_up_and_in(d, "victim")
                d.get(foreign.url)
                h.wait_loaded(d)
                h.submit(d, d.find_element(By.ID, "evil"))
                self.assertTrue(d.current_url.startswith(h.BASE + "/comments"))
                self.assertEqual(h.status(d), 403)
                notice = h.text(d, "#notice")
                self.assertIn("Could not post the comment", notice)
                self.assertIn("Cross-site request refused", notice)
                self.assertIn("another site", notice)
                # Nothing was posted, and the victim is still logged in.
                h.open_board(d)
                self.assertNotIn("posted from another origin", h.comment_texts(d))
                self.assertIn("Signed in as", h.text(d, ".whoami"))


class Headers(unittest.TestCase):
    def test_every_html_answer_carries_the_security_headers(self):
        c = h.Client()
        answers = [
            c.call("GET", "/", headers={"Accept": "text/html"}),
            c.call("GET", "/?before=nope"),
            c.call("POST", "/login", {"username": "nobody", "password": "x"}, {"Accept": "text/html"}),
        ]
        for status, headers, body in answers:
            with self.subTest(status=status):
                self.assertTrue(body.startswith(b"<!doctype html>"))
                self.assertEqual(headers["Content-Type"], "text/html; charset=utf-8")
                self.assertEqual(
                    headers["Content-Security-Policy"],
                    "default-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
                )
                self.assertEqual(headers["X-Frame-Options"], "DENY")
                self.assertEqual(headers["Referrer-Policy"], "same-origin")
        self.assertEqual([a[0] for a in answers], [200, 400, 401])

    def test_scripts_still_get_json(self):
        c = h.Client()
        status, headers, body = c.call("POST", "/login", {"username": "nobody", "password": "x"})
        self.assertEqual((status, headers["Content-Type"]), (401, "application/json"))
        self.assertEqual(body, b'{"error":"invalid username or password"}')


class Policy(unittest.TestCase):
    def test_the_page_breaks_no_rule_of_its_own_policy(self):
        d = h.browser(js=True)
        self.addCleanup(d.quit)
        h.signed_up_and_in(d, "csp")
        h.open_board(d)
        self.assertEqual(h.console_errors(d), [])
        # The stylesheet and the script did load under the policy.
        self.assertEqual(
            d.execute_script("return getComputedStyle(document.querySelector('.card')).borderRadius"),
            "12px",
        )
        self.assertTrue(d.execute_script("return document.getElementById('comments').parentElement.querySelector('[role=status]') !== null"))


if __name__ == "__main__":
    unittest.main()
