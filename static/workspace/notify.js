/* Telling the operator: a short beep, and a desktop notification for a new chat or a message in a
 * chat that is not in front of them (the tab title is tabs.js's). */
import { CONFIG, T, contactName, fill } from "./i18n.js";
import { state } from "./state.js";
import { select } from "./tabs.js";

let audio = null;
document.addEventListener("pointerdown", () => {
  // Browsers allow sound only after a gesture: the first click anywhere unlocks it.
  if (!audio && window.AudioContext) audio = new AudioContext();
  if (audio && audio.state === "suspended") audio.resume();
});

function beep() {
  try {
    if (!audio && window.AudioContext) audio = new AudioContext();
    if (!audio) return;
    const oscillator = audio.createOscillator();
    const gain = audio.createGain();
    oscillator.type = "sine";
    oscillator.frequency.value = 880;
    gain.gain.setValueAtTime(0.0001, audio.currentTime);
    gain.gain.exponentialRampToValueAtTime(0.2, audio.currentTime + 0.02);
    gain.gain.exponentialRampToValueAtTime(0.0001, audio.currentTime + 0.25);
    oscillator.connect(gain).connect(audio.destination);
    oscillator.start();
    oscillator.stop(audio.currentTime + 0.3);
  } catch (_) {
    /* no sound available: the title still says it */
  }
}

const notifyButton = document.getElementById("notify-enable");
function notificationsWanted() {
  return "Notification" in window && Notification.permission === "default";
}
function renderNotifyButton() {
  if (notifyButton) notifyButton.hidden = !notificationsWanted();
}
if (notifyButton) {
  notifyButton.textContent = T.notify_enable;
  notifyButton.addEventListener("click", async () => {
    await Notification.requestPermission().catch(() => null);
    renderNotifyButton();
  });
}
renderNotifyButton();

function desktopNotify(title, body, conversationId) {
  if (!("Notification" in window) || Notification.permission !== "granted") return;
  try {
    // One notification per chat: a newer one replaces the last (tag), a click brings the chat up.
    const note = new Notification(title, { body, tag: `chat-${conversationId}`, lang: CONFIG.language });
    note.onclick = () => {
      window.focus();
      if (state.chats.has(conversationId)) select(conversationId);
      note.close();
    };
  } catch (_) {
    /* some browsers only notify from a service worker: the sound and the title still say it */
  }
}

// A new chat and its first message arrive together: one sound for both.
const lastRing = new Map(); // conversation id -> time of its last sound
function ring(conversationId) {
  const now = Date.now();
  if (now - (lastRing.get(conversationId) || 0) > 1500) beep();
  lastRing.set(conversationId, now);
}

export function notifyNewChat(conversation) {
  ring(conversation.id);
  desktopNotify(T.notify_new_chat, contactName(conversation), conversation.id);
}

export function notifyMessage(chat, message) {
  ring(chat.conversation.id);
  desktopNotify(fill(T.notify_new_message, { name: contactName(chat.conversation) }), message.text.slice(0, 140), chat.conversation.id);
}
