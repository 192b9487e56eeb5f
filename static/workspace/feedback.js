/* Ratings and stylist questionnaires in the workspace.
 * - The customer panel (workspace.js's "workspace:customer-panel" event) shows the chat's rating and
 *   the questionnaire answers; "questionnaire.submitted" refreshes it live and tells the operator.
 * - Managers get "Ratings to review": 1-2 star ratings, live from the "managers" stream, until a
 *   manager marks them reviewed.
 * Shopper text (comments, answers) only ever goes in through textContent.
 */
(() => {
  "use strict";
  const CONFIG = JSON.parse(document.getElementById("workspace-config").textContent);
  const RU = (CONFIG.language || "").startsWith("ru");
  const S = RU
    ? {
        rating: "Оценка", none: "Оценки пока нет", questionnaire: "Анкета стилиста", notYet: "Анкета ещё не заполнена",
        photo: "Фото", submitted: "Анкета получена", received: "Покупатель заполнил анкету", comment: "Комментарий",
        reviewTitle: "Низкие оценки", reviewed: "Просмотрено", nothing: "Нет оценок для разбора",
        stars: "{n} из 5", chat: "Чат №{n}", close: "Закрыть", shopper: "Покупатель", system: "Система",
        via: { widget: "Покупатель в чате на сайте", telegram: "Покупатель в Telegram", vk: "Покупатель ВКонтакте" },
      }
    : {
        rating: "Rating", none: "Not rated yet", questionnaire: "Stylist questionnaire", notYet: "Not filled in yet",
        photo: "Photo", submitted: "Questionnaire received", received: "The customer filled in the questionnaire",
        comment: "Comment", reviewTitle: "Ratings to review", reviewed: "Reviewed", nothing: "No ratings to review",
        stars: "{n} of 5", chat: "Chat #{n}", close: "Close", shopper: "Shopper", system: "System",
        via: { widget: "Shopper on the site chat", telegram: "Shopper on Telegram", vk: "Shopper on VK" },
      };

  function el(tag, props, children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(props || {})) {
      if (key === "text") node.textContent = value;
      else if (key === "className") node.className = value;
      else if (value !== null && value !== undefined && value !== false) node.setAttribute(key, value === true ? "" : value);
    }
    for (const child of children || []) if (child) node.appendChild(child);
    return node;
  }
  function csrfToken() {
    const match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return match ? decodeURIComponent(match[1]) : "";
  }
  async function api(method, path) {
    const options = { method, credentials: "same-origin", headers: { Accept: "application/json" } };
    if (method !== "GET") options.headers["X-CSRFToken"] = csrfToken();
    const response = await fetch("/api" + path, options);
    const data = await response.json().catch(() => ({}));
    if (!response.ok) throw new Error((data.error && data.error.message) || response.statusText);
    return data;
  }
  function starsText(n) { return "★".repeat(n) + "☆".repeat(5 - n) + " " + S.stars.replace("{n}", n); }
  function flash(text) {
    const node = document.getElementById("flash");
    if (!node) return;
    node.textContent = text; node.hidden = false;
    setTimeout(() => { node.hidden = true; }, 5000);
  }

  // --- customer panel ------------------------------------------------------------------------------
  async function renderPanel(section, conversationId) {
    let data;
    try {
      data = await api("GET", `/conversations/${conversationId}/feedback`);
    } catch (error) {
      section.replaceChildren(el("p", { className: "muted", text: error.message }));
      return;
    }
    const parts = [];
    if (data.is_consultation || data.questionnaire) {
      parts.push(el("h4", { text: S.questionnaire }));
      const q = data.questionnaire;
      if (!q) parts.push(el("p", { className: "muted", "data-questionnaire": "missing", text: S.notYet }));
      else {
        const list = el("dl", { className: "questionnaire", "data-questionnaire": "submitted" });
        for (const row of q.rows) { list.appendChild(el("dt", { text: row.label })); list.appendChild(el("dd", { text: row.value })); }
        if (q.photo_url) {
          list.appendChild(el("dt", { text: S.photo }));
          list.appendChild(el("dd", {}, [el("a", { href: q.photo_url, target: "_blank", rel: "noopener" }, [
            el("img", { src: q.photo_url, alt: S.photo }),
          ])]));
        }
        parts.push(list);
      }
    }
    parts.push(el("h4", { text: S.rating }));
    const r = data.rating;
    if (!r) parts.push(el("p", { className: "muted", "data-rating": "none", text: S.none }));
    else {
      parts.push(el("p", { className: "rating" + (r.flagged ? " flagged" : ""), "data-rating": String(r.stars), text: starsText(r.stars) }));
      if (r.comment) parts.push(el("blockquote", { className: "rating-comment", text: r.comment }));
    }
    section.replaceChildren(...parts);
  }
  function panelFor(conversationId) {
    return document.querySelector(`.customer-extra[data-conversation-id="${conversationId}"]`);
  }
  document.addEventListener("workspace:customer-panel", (event) => {
    const section = event.detail.element.querySelector(".customer-extra");
    if (section) renderPanel(section, event.detail.conversationId);
  });

  // --- managers: low ratings to review ---------------------------------------------------------
  let reviewList = null;
  async function setUpReview() {
    // Only a manager's page asks: anyone else's would only earn a 403 in the server log.
    const context = document.getElementById("workspace-context");
    if (!context || !JSON.parse(context.textContent).isManager) return;
    let flagged;
    try {
      flagged = await api("GET", "/ratings/flagged");
    } catch (_) {
      return; // not a manager
    }
    const aside = document.querySelector("aside.queue");
    if (!aside) return;
    reviewList = el("ol", { id: "flagged-list", className: "queue-list" });
    const section = el("section", { className: "flagged", "aria-labelledby": "flagged-title" }, [
      el("h2", { id: "flagged-title", text: S.reviewTitle }), reviewList,
    ]);
    aside.appendChild(section);
    renderFlagged(flagged);
    openTranscriptFromHash();
    window.addEventListener("hashchange", openTranscriptFromHash);
  }
  function renderFlagged(items) {
    reviewList.replaceChildren(...items.map(flaggedItem));
    if (!items.length) reviewList.appendChild(el("li", { className: "muted", "data-empty": "", text: S.nothing }));
  }
  function flaggedItem(r) {
    const button = el("button", { type: "button", className: "link", text: S.reviewed });
    const link = el("a", { href: `#transcript-${r.conversation_id}`, className: "transcript-link", text: `#${r.conversation_id}` });
    link.addEventListener("click", (event) => { event.preventDefault(); openTranscript(r.conversation_id); });
    const who = [r.contact_name || (S.via[r.connector] || ""), r.operator_name].filter(Boolean).join(" · ");
    const item = el("li", { "data-conversation-id": String(r.conversation_id) }, [
      el("div", { text: starsText(r.stars) }),
      el("div", { className: "muted" }, [link, document.createTextNode(who ? ` · ${who}` : "")]),
      r.comment ? el("blockquote", { className: "rating-comment", text: r.comment }) : null,
      button,
    ]);
    button.addEventListener("click", async () => {
      try { await api("POST", `/ratings/${r.conversation_id}/review`); item.remove(); }
      catch (error) { flash(error.message); }
    });
    return item;
  }

  // The whole conversation behind a rating, read-only, over the workspace (also from #transcript-<id>).
  let transcriptDialog = null;
  async function openTranscript(conversationId) {
    if (!transcriptDialog) {
      const close = el("button", { type: "button", text: S.close });
      transcriptDialog = el("dialog", { id: "transcript-dialog", "aria-labelledby": "transcript-title" }, [
        el("h2", { id: "transcript-title" }), el("div", { className: "transcript" }), close,
      ]);
      close.addEventListener("click", () => transcriptDialog.close());
      transcriptDialog.addEventListener("close", () => {
        if (location.hash.startsWith("#transcript-")) history.replaceState(null, "", location.pathname + location.search);
      });
      document.body.appendChild(transcriptDialog);
    }
    const body = transcriptDialog.querySelector(".transcript");
    transcriptDialog.querySelector("h2").textContent = S.chat.replace("{n}", conversationId);
    body.replaceChildren();
    history.replaceState(null, "", `#transcript-${conversationId}`);
    if (!transcriptDialog.open) transcriptDialog.showModal();
    try {
      const data = await api("GET", `/conversations/${conversationId}?limit=200`);
      body.replaceChildren(...data.messages.map((m) => el("p", { className: `line ${m.author_kind}${m.is_note ? " note" : ""}` }, [
        el("strong", { text: (m.author_kind === "shopper" ? S.shopper : m.author_kind === "system" ? S.system : m.author_name || "") + ": " }),
        el("span", { text: m.text }),
      ])));
    } catch (error) {
      body.replaceChildren(el("p", { className: "muted", text: error.message }));
    }
  }
  function openTranscriptFromHash() {
    const match = location.hash.match(/^#transcript-(\d+)$/);
    if (match) openTranscript(Number(match[1]));
  }

  async function refreshFlagged() {
    if (!reviewList) return;
    try { renderFlagged(await api("GET", "/ratings/flagged")); } catch (_) { /* next event retries */ }
  }

  // --- live ----------------------------------------------------------------------------------------
  document.addEventListener("workspace:event", (event) => {
    const frame = event.detail || {};
    const p = frame.payload || {};
    if (frame.kind === "questionnaire.submitted") {
      const section = panelFor(p.conversation_id);
      if (section) renderPanel(section, p.conversation_id);
      flash(`${S.received} (#${p.conversation_id})`);
    } else if (frame.kind === "conversation.rated" || frame.kind === "rating.commented" || frame.kind === "rating.reviewed") {
      const section = panelFor(p.conversation_id);
      if (section) renderPanel(section, p.conversation_id);
      if (p.flagged) refreshFlagged();
    }
  });

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", setUpReview);
  else setUpReview();
})();
