/* The customer panel beside a chat: the card (name, connector, every identity, earlier
 * conversations with their messages on demand), then the sections features add (panels.js). */
import { api } from "./api.js";
import { el } from "./dom.js";
import { CONFIG, T, authorLabel, connectorName, formatDate, shopperLanguage } from "./i18n.js";
import { attachCustomerPanel, updateCustomerPanel } from "./panels.js";
import { buildVisitor } from "./visitor.js";

/** What a section knows of `chat` (panels.js): ids, languages, the way into its reply box. */
function sectionContext(chat) {
  const conversation = chat.conversation;
  return {
    conversationId: conversation.id,
    contactId: conversation.contact.id,
    language: shopperLanguage(conversation) || (CONFIG.language || "en").slice(0, 2),
    operatorLanguage: CONFIG.language,
    insertIntoReply: chat.insertIntoReply,
  };
}

/** The panel's <aside> on `chat.customer`; `chat.insertIntoReply(text)` writes into its composer. */
export function buildCustomerPanel(chat) {
  const conversation = chat.conversation;
  chat.customerCard = el("div", { className: "customer-card" }, [buildVisitor(chat)]);
  // Features render into this area, one <section data-section> each.
  chat.customerExtra = el("div", { className: "customer-extra", "data-contact-id": String(conversation.contact.id), "data-conversation-id": String(conversation.id) });
  chat.customer = el("aside", { className: "customer", "aria-label": T.customer }, [chat.customerCard, chat.customerExtra]);
  return chat.customer;
}

/** Once the chat is on the page: every registered section mounts into its panel. */
export function mountSections(chat) {
  attachCustomerPanel(chat.customerExtra, sectionContext(chat));
}

/** The conversation was reloaded or reassigned: the sections hear of it. */
export function customerChanged(chat) {
  updateCustomerPanel(chat.conversation.id, sectionContext(chat));
}

export async function loadCustomer(chat) {
  const contactId = chat.conversation.contact.id;
  let card;
  try {
    card = await api("GET", `/contacts/${contactId}`);
  } catch (error) {
    chat.customerCard.replaceChildren(el("p", { className: "muted", text: error.message }), chat.visitor);
    return;
  }
  const identities = el("ul", { className: "identities" }, card.identities.map(identityItem));
  const earlier = card.conversations.filter((c) => c.id !== chat.conversation.id);
  const history = earlier.length
    ? el("ol", { className: "history" }, earlier.map((c) => historyItem(c)))
    : el("p", { className: "muted", text: T.no_earlier });
  const details = el("dl", {}, [
    el("dt", { text: T.name }), el("dd", { text: card.name || T.anonymous }),
    el("dt", { text: T.connector }), el("dd", { text: connectorName(chat.conversation.connector) }),
    card.email ? el("dt", { text: T.email }) : null, card.email ? el("dd", {}, [el("a", { href: `mailto:${card.email}`, text: card.email })]) : null,
    card.phone ? el("dt", { text: T.phone }) : null, card.phone ? el("dd", {}, [el("a", { href: `tel:${card.phone}`, text: card.phone })]) : null,
  ]);
  chat.customerCard.replaceChildren(
    el("h3", { text: T.customer }),
    details,
    chat.visitor,
    el("h4", { text: T.identities }),
    identities,
    el("h4", { text: T.earlier }),
    history
  );
  // For scripts written before panels.js: the announcement as ever, with a section's context in it.
  const detail = { ...sectionContext(chat), element: chat.customer };
  document.dispatchEvent(new CustomEvent("workspace:customer-panel", { detail }));
}

// An identity as people read it: a name and @username, a VK profile link, "Site visitor"; the raw
// id only on hover (support staff may need it), never as the text.
function identityItem(i) {
  const name = i.display_name && i.display_name !== i.external_id ? i.display_name : "";
  const parts = [el("span", { className: "pill", text: connectorName(i.connector) })];
  if (i.connector === "widget") parts.push(el("span", { text: " " + (name || T.site_visitor) }));
  else if (name) parts.push(el("span", { text: " " + name }));
  if (i.handle && i.profile_url) {
    parts.push(el("a", { className: "handle", href: i.profile_url, target: "_blank", rel: "noopener noreferrer", text: " " + i.handle }));
  } else if (i.profile_url) {
    parts.push(el("a", { className: "handle", href: i.profile_url, target: "_blank", rel: "noopener noreferrer", text: " " + T.vk_profile }));
  } else if (i.connector !== "widget" && !name) {
    parts.push(el("span", { text: " " + T.anonymous }));
  }
  return el("li", { title: `${connectorName(i.connector)} ${i.external_id}` }, parts);
}

function historyItem(c) {
  const transcript = el("div", { className: "transcript", hidden: true });
  const toggle = el("button", { type: "button", className: "link", text: T.show_transcript, "aria-expanded": "false" });
  toggle.addEventListener("click", async () => {
    const open = transcript.hidden;
    transcript.hidden = !open;
    toggle.textContent = open ? T.hide_transcript : T.show_transcript;
    toggle.setAttribute("aria-expanded", open ? "true" : "false");
    if (open && !transcript.childElementCount) {
      try {
        const data = await api("GET", `/conversations/${c.id}?limit=50`);
        transcript.replaceChildren(...data.messages.map((m) => el("p", { className: `line ${m.author_kind}${m.is_note ? " note" : ""}` }, [
          el("strong", { text: authorLabel(m) + ": " }), el("span", { text: m.text }),
        ])));
      } catch (error) {
        transcript.replaceChildren(el("p", { className: "muted", text: error.message }));
      }
    }
  });
  return el("li", {}, [
    el("div", { className: "history-head" }, [
      el("span", { className: "pill", text: connectorName(c.connector) }),
      el("time", { datetime: c.created_at, text: " " + formatDate(c.created_at) }),
      el("span", { className: "muted", text: ` · ${T[c.state] || c.state}${c.reason ? " · " + c.reason : ""}${c.operator_name ? " · " + c.operator_name : ""}` }),
    ]),
    el("p", { className: "last", text: c.last_message }),
    toggle,
    transcript,
  ]);
}
