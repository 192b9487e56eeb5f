/* Ratings and stylist questionnaires in the workspace.
 * - A customer-panel section (panels.js) shows the chat's rating and the questionnaire answers;
 *   "questionnaire.submitted" and the rating events refresh it live.
 * - Managers get "Ratings to review": 1-2 star ratings, live from the "managers" stream, until a
 *   manager marks them reviewed; each opens its whole conversation read-only.
 * Shopper text (comments, answers) only ever goes in through textContent.
 */
import { api } from "./api.js";
import { el, flash } from "./dom.js";
import { CONTEXT, T, fill } from "./i18n.js";
import { onEvent } from "./live.js";
import { registerCustomerSection } from "./panels.js";

const PANEL_EVENTS = new Set(["questionnaire.submitted", "conversation.rated", "rating.commented", "rating.reviewed"]);

function starsText(n) {
  return "★".repeat(n) + "☆".repeat(5 - n) + " " + fill(T.stars, { n });
}

// --- customer panel ------------------------------------------------------------------------------
const asked = new WeakMap(); // section root -> number of its latest request

async function renderPanel(root, conversationId) {
  const ticket = (asked.get(root) || 0) + 1;
  asked.set(root, ticket);
  let data;
  try {
    data = await api("GET", `/conversations/${conversationId}/feedback`);
  } catch (error) {
    if (asked.get(root) === ticket) root.replaceChildren(el("p", { className: "muted", text: error.message }));
    return;
  }
  // Answers may cross: an older one (before the questionnaire came) never replaces a newer one.
  if (asked.get(root) !== ticket) return;
  const parts = [];
  if (data.is_consultation || data.questionnaire) {
    parts.push(el("h4", { text: T.questionnaire }));
    const q = data.questionnaire;
    if (!q) parts.push(el("p", { className: "muted", "data-questionnaire": "missing", text: T.questionnaire_missing }));
    else {
      const list = el("dl", { className: "questionnaire", "data-questionnaire": "submitted" });
      for (const row of q.rows) list.append(el("dt", { text: row.label }), el("dd", { text: row.value }));
      if (q.photo_url) {
        list.append(
          el("dt", { text: T.photo }),
          el("dd", {}, [el("a", { href: q.photo_url, target: "_blank", rel: "noopener" }, [el("img", { src: q.photo_url, alt: T.photo })])])
        );
      }
      parts.push(list);
    }
  }
  parts.push(el("h4", { text: T.rating }));
  const r = data.rating;
  if (!r) parts.push(el("p", { className: "muted", "data-rating": "none", text: T.not_rated }));
  else {
    parts.push(el("p", { className: "rating" + (r.flagged ? " flagged" : ""), "data-rating": String(r.stars), text: starsText(r.stars) }));
    if (r.comment) parts.push(el("blockquote", { className: "rating-comment", text: r.comment }));
  }
  root.replaceChildren(...parts);
}

registerCustomerSection({
  id: "feedback",
  mount: (root, context) => renderPanel(root, context.conversationId),
  update(context) {
    if (context.event && PANEL_EVENTS.has(context.event.kind)) return renderPanel(context.root, context.conversationId);
  },
});

// --- managers: low ratings to review ---------------------------------------------------------
let reviewList = null;

async function setUpReview() {
  // Only a manager's page asks: anyone else's would only earn a 403 in the server log.
  if (!CONTEXT.isManager) return;
  let flagged;
  try {
    flagged = await api("GET", "/ratings/flagged");
  } catch (_) {
    return; // not a manager after all
  }
  const aside = document.querySelector("aside.queue");
  if (!aside) return;
  reviewList = el("ol", { id: "flagged-list", className: "queue-list" });
  aside.append(el("section", { className: "flagged", "aria-labelledby": "flagged-title" }, [el("h2", { id: "flagged-title", text: T.review_title }), reviewList]));
  renderFlagged(flagged);
  openTranscriptFromHash();
  window.addEventListener("hashchange", openTranscriptFromHash);
}

function renderFlagged(items) {
  reviewList.replaceChildren(...items.map(flaggedItem));
  if (!items.length) reviewList.append(el("li", { className: "muted", "data-empty": "", text: T.nothing_to_review }));
}

function flaggedItem(r) {
  const button = el("button", { type: "button", className: "link", text: T.reviewed });
  const link = el("a", { href: `#transcript-${r.conversation_id}`, className: "transcript-link", text: `#${r.conversation_id}` });
  link.addEventListener("click", (event) => {
    event.preventDefault();
    openTranscript(r.conversation_id);
  });
  const who = [r.contact_name || T[`via_${r.connector}`] || "", r.operator_name].filter(Boolean).join(" · ");
  const item = el("li", { "data-conversation-id": String(r.conversation_id) }, [
    el("div", { text: starsText(r.stars) }),
    el("div", { className: "muted" }, [link, document.createTextNode(who ? ` · ${who}` : "")]),
    r.comment ? el("blockquote", { className: "rating-comment", text: r.comment }) : null,
    button,
  ]);
  button.addEventListener("click", async () => {
    try {
      await api("POST", `/ratings/${r.conversation_id}/review`);
      item.remove();
    } catch (error) {
      flash(error.message, 5);
    }
  });
  return item;
}

// The whole conversation behind a rating, read-only, over the workspace (also from #transcript-<id>).
let transcriptDialog = null;

function authorOf(m) {
  return m.author_kind === "shopper" ? T.shopper_label : m.author_kind === "system" ? T.system : m.author_name || "";
}

async function openTranscript(conversationId) {
  if (!transcriptDialog) {
    const close = el("button", { type: "button", text: T.dismiss });
    transcriptDialog = el("dialog", { id: "transcript-dialog", "aria-labelledby": "transcript-title" }, [
      el("h2", { id: "transcript-title" }), el("div", { className: "transcript" }), close,
    ]);
    close.addEventListener("click", () => transcriptDialog.close());
    transcriptDialog.addEventListener("close", () => {
      if (location.hash.startsWith("#transcript-")) history.replaceState(null, "", location.pathname + location.search);
    });
    document.body.append(transcriptDialog);
  }
  const body = transcriptDialog.querySelector(".transcript");
  transcriptDialog.querySelector("h2").textContent = fill(T.chat_number, { n: conversationId });
  body.replaceChildren();
  history.replaceState(null, "", `#transcript-${conversationId}`);
  if (!transcriptDialog.open) transcriptDialog.showModal();
  try {
    const data = await api("GET", `/conversations/${conversationId}?limit=200`);
    body.replaceChildren(...data.messages.map((m) => el("p", { className: `line ${m.author_kind}${m.is_note ? " note" : ""}` }, [
      el("strong", { text: authorOf(m) + ": " }),
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
  try {
    renderFlagged(await api("GET", "/ratings/flagged"));
  } catch (_) {
    /* the next event retries */
  }
}

// --- live ----------------------------------------------------------------------------------------
onEvent((frame) => {
  const p = frame.payload || {};
  if (frame.kind === "questionnaire.submitted") flash(`${T.questionnaire_received} (#${p.conversation_id})`, 5);
  else if (PANEL_EVENTS.has(frame.kind) && p.flagged) refreshFlagged();
});

setUpReview();
