/* The customer panel's sections: how a feature (orders, knowledge base, ratings...) adds its part
 * beside every open chat without touching the rest of the workspace.
 *
 *   import { registerCustomerSection } from "./panels.js";
 *   registerCustomerSection({
 *     id: "orders",                       // unique; the section's element gets data-section="orders"
 *     mount(root, context) { ... },       // once per open chat: fill `root` (an empty <section>)
 *     update(context) { ... },            // optional: the chat changed, or a live event about it came
 *     unmount(context) { ... },           // optional: the chat left the page (closed, transferred)
 *   });
 *
 * context: {conversationId, contactId, language (the shopper's, else the operator's),
 * operatorLanguage, insertIntoReply(text) (into this chat's reply box, at the caret), root (the
 * section's element), event (the live frame {id, kind, payload} behind an update, else null)}.
 * Sections run in registration order; one that throws shows a short notice in its place and
 * leaves the chat and the other sections working.
 */
import { el } from "./dom.js";
import { T } from "./i18n.js";

const sections = []; // registered section specs, in order
const hosts = new Map(); // conversation id -> {element, base: context without root/event, roots: Map(id -> root)}

export function registerCustomerSection(section) {
  if (!section || typeof section.id !== "string" || typeof section.mount !== "function") {
    throw new TypeError("registerCustomerSection needs {id: string, mount(root, context)}");
  }
  if (sections.some((s) => s.id === section.id)) throw new Error(`customer section "${section.id}" is registered twice`);
  sections.push(section);
  for (const host of hosts.values()) mountSection(host, section); // chats opened before it loaded
}

function contextFor(host, section, event = null) {
  return { ...host.base, root: host.roots.get(section.id), event };
}

function failed(section, root, error) {
  console.error(`customer section "${section.id}":`, error);
  if (root) root.replaceChildren(el("p", { className: "muted", text: T.section_failed }));
}

function run(section, root, call) {
  try {
    const result = call();
    if (result && typeof result.catch === "function") result.catch((error) => failed(section, root, error));
  } catch (error) {
    failed(section, root, error);
  }
}

function mountSection(host, section) {
  const root = el("section", { className: "panel-section", "data-section": section.id });
  host.element.append(root);
  host.roots.set(section.id, root);
  run(section, root, () => section.mount(root, contextFor(host, section)));
}

/** A chat's customer panel opened: every section mounts into `element`. */
export function attachCustomerPanel(element, base) {
  const host = { element, base, roots: new Map() };
  hosts.set(base.conversationId, host);
  for (const section of sections) mountSection(host, section);
}

/** The chat changed (`changes` to its context) or a live `event` concerns it: sections update. */
export function updateCustomerPanel(conversationId, changes = {}, event = null) {
  const host = hosts.get(conversationId);
  if (!host) return;
  host.base = { ...host.base, ...changes };
  for (const section of sections) {
    if (typeof section.update === "function" && host.roots.has(section.id)) {
      run(section, host.roots.get(section.id), () => section.update(contextFor(host, section, event)));
    }
  }
}

/** Whether a live frame is about this chat (its conversation or its contact). */
export function concerns(frame, conversationId, contactId) {
  const p = frame.payload || {};
  if (p.conversation_id === conversationId) return true;
  if (frame.kind && frame.kind.startsWith("conversation.") && p.id === conversationId) return true;
  return contactId !== undefined && p.contact_id === contactId;
}

/** A live frame reached the page: each open chat it concerns updates its sections. */
export function dispatchToPanels(frame) {
  for (const [conversationId, host] of hosts) {
    if (concerns(frame, conversationId, host.base.contactId)) updateCustomerPanel(conversationId, {}, frame);
  }
}

export function detachCustomerPanel(conversationId) {
  const host = hosts.get(conversationId);
  if (!host) return;
  hosts.delete(conversationId);
  for (const section of sections) {
    if (typeof section.unmount === "function" && host.roots.has(section.id)) {
      run(section, null, () => section.unmount(contextFor(host, section)));
    }
  }
}
