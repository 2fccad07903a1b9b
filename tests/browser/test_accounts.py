"""Accounts in a real browser: sign up, log in, log out, log out
everywhere, a wrong password, the cookie as Chromium stores it, and all of
it by keyboard alone."""

import time
import unittest

from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.common.action_chains import ActionChains

import harness as h


class SignUpAndLogIn(unittest.TestCase):
    def check_flow(self, js):
        d = h.browser(js=js)
        self.addCleanup(d.quit)
        name = h.unique("flow")
        h.sign_up(d, name)
        # 303 to /, then the page says the account exists, with the name
        # already in the login form and the focus on its password.
        self.assertEqual(d.current_url, h.BASE + "/")
        self.assertIn(f"The account {name} exists", h.text(d, "#notice"))
        login = h.form(d, "/login")
        self.assertEqual(login.find_element(By.NAME, "username").get_attribute("value"), name)
        self.assertEqual(d.switch_to.active_element.get_attribute("name"), "password")
        # The notice is gone on the next visit (the signed_up cookie was cleared).
        h.open_board(d)
        self.assertFalse(d.find_element(By.ID, "notice").is_displayed())
        h.log_in(d, name)
        self.assertEqual(h.status(d), 200)
        self.assertIn(f"Signed in as {name}", h.text(d, ".whoami"))
        self.assertTrue(h.form(d, "/comments"))
        self.assertIn(name, h.text(d, "#how"))
        # Log out: the forms of a stranger are back, the session is gone.
        h.submit(d, h.form(d, "/logout"))
        self.assertTrue(h.form(d, "/login"))
        self.assertFalse(d.find_elements(By.CSS_SELECTOR, 'form[action="/comments"]'))
        self.assertIsNone(d.get_cookie("sessionid"))

    def test_with_javascript(self):
        self.check_flow(js=True)

    def test_without_javascript(self):
        self.check_flow(js=False)

    def test_wrong_password_says_so_and_keeps_the_username(self):
        for js in (True, False):
            with self.subTest(js=js):
                d = h.browser(js=js)
                self.addCleanup(d.quit)
                name = h.unique("wrong")
                h.sign_up(d, name)
                h.log_in(d, name, "not the password")
                self.assertEqual(h.status(d), 401)
                notice = h.text(d, "#notice")
                self.assertIn("Could not log in", notice)
                self.assertIn("Invalid username or password", notice)
                login = h.form(d, "/login")
                self.assertEqual(login.find_element(By.NAME, "username").get_attribute("value"), name)
                self.assertEqual(login.find_element(By.NAME, "password").get_attribute("value"), "")
                self.assertNotIn("not the password", d.page_source)
                # And the right one still works from here.
                h.log_in(d, name)
                self.assertIn(f"Signed in as {name}", h.text(d, ".whoami"))

    def test_a_refused_signup_keeps_the_name_in_words(self):
        d = h.browser(js=False)
        self.addCleanup(d.quit)
        name = h.unique("short")
        h.sign_up(d, name, "short")
        self.assertEqual(h.status(d), 400)
        self.assertIn("Could not sign up", h.text(d, "#notice"))
        self.assertIn("Password must be 8 to 1024 bytes", h.text(d, "#notice"))
        signup = h.form(d, "/signup")
        self.assertEqual(signup.find_element(By.NAME, "username").get_attribute("value"), name)
        self.assertEqual(signup.find_element(By.NAME, "password").get_attribute("value"), "")
        h.sign_up(d, name)
        h.sign_up(d, name)
        self.assertEqual(h.status(d), 409)
        self.assertIn("Username already taken", h.text(d, "#notice"))


class Sessions(unittest.TestCase):
    def test_log_out_everywhere_ends_the_other_browser_too(self):
        a = h.browser(js=False)
        self.addCleanup(a.quit)
        b = h.browser(js=True)
        self.addCleanup(b.quit)
        name = h.signed_up_and_in(a, "everywhere")
        h.open_board(b)
        h.log_in(b, name)
        self.assertIn(f"Signed in as {name}", h.text(b, ".whoami"))
        h.open_board(a)
        self.assertIn("You have 2 sessions", h.text(a, "#account"))
        h.submit(a, h.form(a, "/logout", ("all", "true")))
        self.assertTrue(h.form(a, "/login"))
        h.open_board(b)
        self.assertTrue(h.form(b, "/login"))
        # B still holds its cookie, but the server no longer knows it.
        self.assertIsNotNone(b.get_cookie("sessionid"))
        self.assertIn("does not know", h.text(b, "#how"))

    def test_the_cookie_as_the_browser_stores_it(self):
        d = h.browser(js=True)
        self.addCleanup(d.quit)
        before = time.time()
        h.signed_up_and_in(d, "cookie")
        c = d.get_cookie("sessionid")
        self.assertIsNotNone(c)
        self.assertTrue(c["httpOnly"])
        self.assertEqual(c["sameSite"], "Lax")
        self.assertEqual(c["path"], "/")
        self.assertEqual(len(c["value"]), 32)
        self.assertAlmostEqual(c["expiry"], before + 1_209_600, delta=120)
        # Page script cannot read it.
        self.assertNotIn("sessionid", d.execute_script("return document.cookie"))
        # The panel shows only its first 6 characters.
        panel = h.text(d, "#how")
        self.assertIn(c["value"][:6] + "\u2026", panel)
        self.assertNotIn(c["value"][:7], d.page_source)
        self.assertIn("HttpOnly; SameSite=Lax; Path=/; Max-Age=1209600", panel)


class Keyboard(unittest.TestCase):
    def test_sign_up_log_in_and_post_by_keyboard_alone(self):
        d = h.browser(js=True)
        self.addCleanup(d.quit)
        name = h.unique("keys")
        h.open_board(d)
        keys = ActionChains(d)

        def tab_to(selector, limit=40):
            for _ in range(limit):
                keys.send_keys(Keys.TAB).perform()
                el = d.switch_to.active_element
                if d.execute_script("return arguments[0].matches(arguments[1])", el, selector):
                    outline = d.execute_script(
                        "return getComputedStyle(arguments[0]).outlineStyle", el
                    )
                    self.assertNotEqual(outline, "none", f"no visible focus on {selector}")
                    return el
            self.fail(f"Tab never reached {selector}")

        tab_to('form[action="/signup"] input[name="username"]')
        h.after_navigation(d, lambda: keys.send_keys(name, Keys.TAB, h.PASSWORD, Keys.ENTER).perform())
        self.assertIn(f"The account {name} exists", h.text(d, "#notice"))
        # The focus waits in the login form's password field.
        h.after_navigation(d, lambda: keys.send_keys(h.PASSWORD, Keys.ENTER).perform())
        self.assertIn(f"Signed in as {name}", h.text(d, ".whoami"))
        tab_to('textarea[name="text"]')
        keys.send_keys("typed, never clicked").perform()
        tab_to('form[action="/comments"] button')
        keys.send_keys(Keys.ENTER).perform()
        self.assertTrue(h.eventually(lambda: "typed, never clicked" in h.comment_texts(d)))


if __name__ == "__main__":
    unittest.main()
