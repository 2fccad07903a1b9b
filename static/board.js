// The board's one script, a progressive enhancement: every form works
// without it. With it, posting and deleting a comment happen without a
// reload, and new comments appear within a few seconds: the script polls
// GET /comments?after=LAST with If-None-Match, and the server answers 304
// while nothing changed. Comments are built with textContent, never with
// markup parsing, so their text stays text.
(() => {
  "use strict";

  const list = document.getElementById("comments");
  if (!list) return;
  const notice = document.getElementById("notice");
  const empty = document.getElementById("no-comments");
  const heading = document.getElementById("comments-h");
  const postForm = document.getElementById("post");
  const me = document.body.dataset.user || null;
  const POLL_MS = 2000;
  const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

  // The highest id the poll has seen; a comment we post ourselves does not
  // move it, so one posted by someone else just before ours is not skipped.
  let after = Number(list.dataset.after) || 0;
  let etag = null;
  let etagUrl = null;

  // A polite live region for what happened ("Comment posted.").
  const status = document.createElement("p");
  status.className = "visually-hidden";
  status.setAttribute("role", "status");
  list.parentElement.append(status);

  function announce(text) {
    status.textContent = text;
  }

  function el(tag, className, text) {
    const e = document.createElement(tag);
    if (className) e.className = className;
    if (text !== undefined) e.textContent = text;
    return e;
  }

  function pad(n) {
    return String(n).padStart(2, "0");
  }

  // "6 Dec 2026, 14:03 UTC", as the server writes it.
  function humanTime(iso) {
    const d = new Date(iso);
    if (Number.isNaN(d.getTime())) return iso;
    return `${d.getUTCDate()} ${MONTHS[d.getUTCMonth()]} ${d.getUTCFullYear()}, ` +
      `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())} UTC`;
  }

  function sentence(message) {
    const s = message ? message[0].toUpperCase() + message.slice(1) : "The request failed";
    return /[.!?)]$/.test(s) ? s : s + ".";
  }

  function showError(action, message, code) {
    notice.className = "notice notice-error";
    notice.setAttribute("role", "alert");
    notice.replaceChildren();
    const p = el("p");
    p.append(el("strong", "", action), " " + sentence(message));
    if (code) p.append(" ", el("span", "status", `(HTTP ${code})`));
    notice.append(p);
    notice.hidden = false;
  }

  function clearError() {
    if (notice.classList.contains("notice-error")) {
      notice.hidden = true;
      notice.replaceChildren();
    }
  }

  async function failed(response, action) {
    let message = "";
    try {
      message = (await response.json()).error || "";
    } catch (_) {
      message = response.statusText;
    }
    showError(action, message, response.status);
  }

  function render(c) {
    const own = me !== null && c.author === me;
    const li = el("li", own ? "comment own" : "comment");
    li.id = `c-${c.id}`;
    li.dataset.id = String(c.id);
    const head = el("div", "comment-head");
    head.append(el("span", "author", c.author));
    if (own) head.append(" ", el("span", "you", "(you)"));
    const time = el("time", "", humanTime(c.created_at));
    time.dateTime = c.created_at;
    head.append(" ", time);
    if (own) {
      const form = el("form", "delete");
      form.method = "post";
      form.action = `/comments/${c.id}/delete`;
      const hidden = el("input");
      hidden.type = "hidden";
      hidden.name = "_method";
      hidden.value = "DELETE";
      const button = el("button", "quiet", "Delete");
      button.type = "submit";
      button.setAttribute("aria-label", `Delete your comment ${c.id}`);
      form.append(hidden, button);
      head.append(form);
    }
    li.append(head, el("p", "text", c.text));
    return li;
  }

  // Adds a comment in id order unless it is already shown.
  function add(c, fresh) {
    if (document.getElementById(`c-${c.id}`)) return false;
    const li = render(c);
    if (fresh) li.classList.add("fresh");
    const later = Array.from(list.children).find((x) => Number(x.dataset.id) > c.id);
    list.insertBefore(li, later || null);
    empty.hidden = true;
    return true;
  }

  function send(method, url, body) {
    return fetch(url, {
      method,
      body,
      headers: { Accept: "application/json" },
      credentials: "same-origin",
      cache: "no-store",
    });
  }

  if (postForm) {
    postForm.addEventListener("submit", async (event) => {
      event.preventDefault();
      const field = postForm.elements.namedItem("text");
      const button = postForm.querySelector("button");
      button.disabled = true;
      try {
        const response = await send("POST", "/comments", new URLSearchParams({ text: field.value }));
        if (response.status === 201) {
          add(await response.json(), false);
          field.value = "";
          clearError();
          announce("Comment posted.");
        } else {
          await failed(response, "Could not post the comment:");
        }
      } catch (_) {
        showError("Could not post the comment:", "the server did not answer");
      } finally {
        button.disabled = false;
        field.focus();
      }
    });
  }

  list.addEventListener("submit", async (event) => {
    const form = event.target.closest("form.delete");
    if (!form) return;
    event.preventDefault();
    const li = form.closest("li");
    try {
      const response = await send("DELETE", `/comments/${li.dataset.id}`);
      // 404: it is gone already, which is what was asked.
      if (response.status === 204 || response.status === 404) {
        li.remove();
        empty.hidden = list.children.length > 0;
        clearError();
        heading.focus();
        announce("Comment deleted.");
      } else {
        await failed(response, "Could not delete the comment:");
      }
    } catch (_) {
      showError("Could not delete the comment:", "the server did not answer");
    }
  });

  async function poll() {
    const url = `/comments?after=${after}`;
    const headers = { Accept: "application/json" };
    if (etag && etagUrl === url) headers["If-None-Match"] = etag;
    try {
      const response = await fetch(url, { headers, credentials: "same-origin", cache: "no-store" });
      if (response.status === 200) {
        const body = await response.json();
        etag = response.headers.get("ETag");
        etagUrl = url;
        const added = [];
        for (const c of body.comments) {
          if (add(c, true)) added.push(c);
          after = Math.max(after, c.id);
        }
        if (added.length === 1) announce(`New comment from ${added[0].author}.`);
        else if (added.length > 1) announce(`${added.length} new comments.`);
      }
    } catch (_) {
      // The server is away; try again at the next tick.
    }
    setTimeout(poll, POLL_MS);
  }

  if (list.dataset.live === "on") setTimeout(poll, POLL_MS);
})();
