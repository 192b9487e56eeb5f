/* Canned replies: "/" in the reply box lists them, filtered by shortcut or text, in the shopper's
 * language first (that is who reads the reply), then the operator's own. */
import { api } from "./api.js";
import { el } from "./dom.js";
import { CONFIG, T, shopperLanguage } from "./i18n.js";
import { state } from "./state.js";

/** The list's element for `chat`'s composer (above the reply box). */
export function buildCannedList(chat) {
  chat.cannedItems = null;
  chat.cannedIndex = 0;
  chat.cannedList = el("ul", { id: `canned-${chat.conversation.id}`, className: "canned", role: "listbox", "aria-label": T.canned_label, hidden: true });
  return chat.cannedList;
}

const cannedByLanguage = new Map(); // language -> Promise of its replies (asked once per page)
function cannedIn(language) {
  if (!cannedByLanguage.has(language)) {
    cannedByLanguage.set(language, api("GET", `/canned-replies?language=${encodeURIComponent(language)}`).catch(() => []));
  }
  return cannedByLanguage.get(language);
}

async function cannedReplies(chat) {
  const own = (CONFIG.language || "en").slice(0, 2);
  const first = shopperLanguage(chat.conversation) || own;
  const languages = first === own ? [own] : [first, own];
  return (await Promise.all(languages.map(cannedIn))).flat();
}

function slashQuery(chat) {
  const before = chat.textarea.value.slice(0, chat.textarea.selectionStart);
  const match = before.match(/(?:^|\s)\/([\w-]*)$/);
  return match ? match[1] : null;
}

/** After every keystroke: show, filter or hide the list. */
export async function updateCanned(chat) {
  const query = slashQuery(chat);
  if (query === null) return hideCanned(chat);
  const replies = (await cannedReplies(chat)).filter(
    (r) => r.shortcut.startsWith(query.toLowerCase()) || (query && r.text.toLowerCase().includes(query.toLowerCase()))
  );
  if (!replies.length) return hideCanned(chat);
  chat.cannedItems = replies;
  chat.cannedIndex = 0;
  chat.cannedList.replaceChildren(
    ...replies.map((reply, index) =>
      el(
        "li",
        {
          role: "option",
          id: `canned-${chat.conversation.id}-${reply.id}`,
          "aria-selected": index === 0 ? "true" : "false",
          onmousedown: (event) => { event.preventDefault(); insertCanned(chat, reply); },
        },
        [el("strong", { text: "/" + reply.shortcut }), el("span", { className: "pill", text: reply.language.toUpperCase() }), el("span", { text: " " + reply.text })]
      )
    )
  );
  chat.cannedList.hidden = false;
  chat.textarea.setAttribute("aria-expanded", "true");
  highlightCanned(chat);
}

function highlightCanned(chat) {
  [...chat.cannedList.children].forEach((item, index) => item.setAttribute("aria-selected", index === chat.cannedIndex ? "true" : "false"));
  const active = chat.cannedList.children[chat.cannedIndex];
  if (active) chat.textarea.setAttribute("aria-activedescendant", active.id);
}

export function hideCanned(chat) {
  chat.cannedList.hidden = true;
  chat.cannedItems = null;
  chat.textarea.setAttribute("aria-expanded", "false");
  chat.textarea.removeAttribute("aria-activedescendant");
}

function insertCanned(chat, reply) {
  const area = chat.textarea;
  const caret = area.selectionStart;
  const before = area.value.slice(0, caret).replace(/\/[\w-]*$/, "");
  const text = reply.text.replaceAll("{operator}", state.me ? state.me.name : "");
  area.value = before + text + area.value.slice(caret);
  area.selectionStart = area.selectionEnd = (before + text).length;
  hideCanned(chat);
  area.focus();
}

/** Arrows, Enter/Tab and Escape while the list is open; true when the key was the list's. */
export function cannedKey(chat, event) {
  if (!chat.cannedItems || chat.cannedList.hidden) return false;
  if (event.key === "ArrowDown" || event.key === "ArrowUp") {
    event.preventDefault();
    const n = chat.cannedItems.length;
    chat.cannedIndex = (chat.cannedIndex + (event.key === "ArrowDown" ? 1 : n - 1)) % n;
    highlightCanned(chat);
    return true;
  }
  if (event.key === "Enter" || event.key === "Tab") {
    event.preventDefault();
    insertCanned(chat, chat.cannedItems[chat.cannedIndex]);
    return true;
  }
  if (event.key === "Escape") {
    event.preventDefault();
    hideCanned(chat);
    return true;
  }
  return false;
}
