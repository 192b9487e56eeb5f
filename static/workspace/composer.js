/* The reply box: send on Enter (Shift+Enter for a new line), private notes, the length limit
 * checked before sending (over it the text stays in the box), typing sent to the shopper. */
import { api, csrfToken } from "./api.js";
import { buildCannedList, cannedKey, hideCanned, updateCanned } from "./canned.js";
import { el, flash } from "./dom.js";
import { CONFIG, T, fill } from "./i18n.js";
import { state } from "./state.js";
import { addMessage } from "./transcript.js";

/** The composer's form for `chat` (its parts stay on `chat`: textarea, noteBox, sendButton...). */
export function buildComposer(chat) {
  const id = chat.conversation.id;
  chat.lastTypingSent = 0;
  chat.textarea = el("textarea", {
    rows: "3",
    name: "text",
    "aria-label": T.reply_label,
    placeholder: T.reply_label + " — Enter ↵, Shift+Enter, /",
    "aria-autocomplete": "list",
    "aria-controls": `canned-${id}`,
    "aria-expanded": "false",
    "aria-describedby": `length-${id}`,
  });
  chat.noteBox = el("input", { type: "checkbox", name: "is_note", id: `note-${id}` });
  chat.sendButton = el("button", { type: "submit", text: T.send });
  chat.lengthNote = el("span", { className: "length-note", id: `length-${id}`, "aria-live": "polite", hidden: true });
  chat.fileInput = el("input", { type: "file", className: "attach-input", hidden: true, "aria-label": T.attach_file });
  chat.fileInput.addEventListener("change", () => {
    for (const file of chat.fileInput.files) sendFile(chat, file);
    chat.fileInput.value = "";
  });
  chat.textarea.addEventListener("paste", (event) => {
    const files = event.clipboardData && event.clipboardData.files;
    if (files && files.length) {
      event.preventDefault();
      for (const file of files) sendFile(chat, file);
    }
  });
  chat.form = el("form", { className: "composer", onsubmit: (event) => { event.preventDefault(); send(chat); } }, [
    buildCannedList(chat),
    chat.textarea,
    el("div", { className: "composer-actions" }, [
      el("button", { type: "button", className: "secondary attach", text: T.attach_file, onclick: () => chat.fileInput.click() }),
      chat.fileInput,
      el("label", { className: "note-toggle", for: `note-${id}`, title: T.note_hint }, [chat.noteBox, el("span", { text: T.note })]),
      chat.lengthNote,
      chat.sendButton,
    ]),
  ]);
  chat.noteBox.addEventListener("change", () => {
    chat.form.classList.toggle("as-note", chat.noteBox.checked);
    chat.textarea.setAttribute("aria-label", chat.noteBox.checked ? T.note_label : T.reply_label);
  });
  chat.textarea.addEventListener("keydown", (event) => {
    if (cannedKey(chat, event)) return;
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      send(chat);
    }
  });
  chat.textarea.addEventListener("input", () => {
    checkLength(chat);
    updateCanned(chat);
    sendTyping(chat);
  });
  return chat.form;
}

/** Over the limit the reply is refused here, visibly; true when it is too long. */
function checkLength(chat) {
  const count = chat.textarea.value.length;
  const over = count > CONFIG.maxChars;
  chat.lengthNote.hidden = !over;
  chat.lengthNote.textContent = over ? fill(T.over_limit, { count, max: CONFIG.maxChars }) : "";
  chat.textarea.setAttribute("aria-invalid", over ? "true" : "false");
  chat.sendButton.disabled = over;
  return over;
}

/** Put `text` into the reply box at the caret (a canned reply, an article, an order number). */
export function insertIntoReply(chat, text) {
  const area = chat.textarea;
  const start = area.selectionStart ?? area.value.length;
  const end = area.selectionEnd ?? start;
  area.value = area.value.slice(0, start) + text + area.value.slice(end);
  area.selectionStart = area.selectionEnd = start + text.length;
  area.dispatchEvent(new Event("input")); // as if typed: the length check, the shopper sees typing
  area.focus();
}

async function send(chat) {
  const text = chat.textarea.value;
  if (!text.trim() || checkLength(chat)) return;
  const isNote = chat.noteBox.checked;
  chat.textarea.disabled = true;
  try {
    const message = await api("POST", `/conversations/${chat.conversation.id}/messages`, { text, is_note: isNote });
    addMessage(chat, message, { quiet: true });
    chat.textarea.value = "";
    checkLength(chat);
    if (isNote) {
      chat.noteBox.checked = false;
      chat.noteBox.dispatchEvent(new Event("change"));
    }
  } catch (error) {
    flash(error.message); // the text stays in the box: nothing is lost
  } finally {
    chat.textarea.disabled = false;
    chat.textarea.focus();
    hideCanned(chat);
  }
}

// A file to the shopper (or, with the note box ticked, among operators); the words in the box go
// with it as its caption. A refusal (size, type) is shown and the words stay.
async function sendFile(chat, file) {
  const body = new FormData();
  body.append("file", file, file.name || "file");
  body.append("text", chat.textarea.value);
  body.append("is_note", chat.noteBox.checked ? "true" : "false");
  flash(T.sending_file.replace("{name}", file.name || ""));
  try {
    const response = await fetch(`/api/conversations/${chat.conversation.id}/attachments`, {
      method: "POST", body, credentials: "same-origin", headers: { Accept: "application/json", "X-CSRFToken": csrfToken() },
    });
    const data = await response.json().catch(() => ({}));
    if (!response.ok) throw new Error((data.error && data.error.message) || T.error);
    addMessage(chat, data, { quiet: true });
    chat.textarea.value = "";
    checkLength(chat);
    document.getElementById("flash").hidden = true;
  } catch (error) {
    flash(error.message);
  }
}

function sendTyping(chat) {
  const now = Date.now();
  if (now - chat.lastTypingSent < 2000 || chat.noteBox.checked) return;
  chat.lastTypingSent = now;
  if (state.socket && state.socket.readyState === WebSocket.OPEN) {
    state.socket.send(JSON.stringify({ type: "typing", conversation_id: chat.conversation.id }));
  }
}
