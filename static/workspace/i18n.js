/* What the server put in the page for the scripts: every text already translated (one gettext
 * catalogue serves templates and scripts), the operator's settings, and names in their language. */

function readJSON(id, fallback) {
  const node = document.getElementById(id);
  return node ? JSON.parse(node.textContent) : fallback;
}

/** Translated texts by key (workspace/views.py client_strings). */
export const T = readJSON("workspace-strings", {});
/** {operatorId, language, maxChars} */
export const CONFIG = readJSON("workspace-config", {});
/** {isManager, queueNames} */
export const CONTEXT = readJSON("workspace-context", {});

/** Fill "%(name)s" placeholders, as gettext's python-format texts have them. */
export function fill(text, values) {
  return text.replace(/%\((\w+)\)s/g, (whole, key) => (key in values ? String(values[key]) : whole));
}

export function formatTime(iso) {
  return new Date(iso).toLocaleTimeString(CONFIG.language, { hour: "2-digit", minute: "2-digit" });
}

export function formatDate(iso) {
  return new Date(iso).toLocaleString(CONFIG.language, { dateStyle: "short", timeStyle: "short" });
}

export function formatWait(seconds) {
  seconds = Math.max(0, Math.floor(seconds));
  const m = Math.floor(seconds / 60);
  const s = String(seconds % 60).padStart(2, "0");
  return m >= 60 ? `${Math.floor(m / 60)}:${String(m % 60).padStart(2, "0")}:${s}` : `${m}:${s}`;
}

export function connectorName(connector) {
  return T[connector] || connector;
}

/** Queue names in the operator's language (the page lists them; events carry the stored name). */
export function queueName(queue) {
  return (CONTEXT.queueNames && CONTEXT.queueNames[queue.slug]) || queue.name;
}

export function contactName(conversation) {
  return (conversation.contact && conversation.contact.name) || `${T.anonymous} #${conversation.contact.id}`;
}

export function authorLabel(message) {
  if (message.author_kind === "shopper") return T.shopper;
  if (message.author_kind === "system") return T.system;
  return message.author_name || T.you;
}

/** The shopper's language when it is one the shop writes in, else null. */
export function shopperLanguage(conversation) {
  const code = ((conversation.contact && conversation.contact.language) || "").toLowerCase().slice(0, 2);
  return code === "ru" || code === "en" ? code : null;
}
