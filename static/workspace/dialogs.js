/* Transfer and close: the page's two dialogs (their markup is in home.html). */
import { api } from "./api.js";
import { el } from "./dom.js";
import { T } from "./i18n.js";
import { state } from "./state.js";
import { removeChat } from "./tabs.js";

const transferDialog = document.getElementById("transfer-dialog");
const closeDialog = document.getElementById("close-dialog");
for (const dialog of [transferDialog, closeDialog]) {
  dialog.querySelector("[data-cancel]").addEventListener("click", () => dialog.close());
}

export async function openTransfer(chat) {
  transferDialog.dataset.conversation = chat.conversation.id;
  transferDialog.querySelector(".dialog-error").textContent = "";
  const [operators, queues] = await Promise.all([api("GET", "/operators"), api("GET", "/queues")]);
  // The status names as the status switch shows them, in the operator's language.
  const options = document.getElementById("status").options;
  const statusText = { online: options[0].text, away: options[1].text, offline: options[2].text };
  document.getElementById("transfer-operators").replaceChildren(
    ...operators.map((o) => el("option", { value: `operator:${o.id}`, disabled: o.status !== "online", text: `${o.name} — ${statusText[o.status] || o.status} (${o.active_count}/${o.cap})` }))
  );
  document.getElementById("transfer-queues").replaceChildren(
    ...queues.map((q) => el("option", { value: `queue:${q.id}`, text: q.name }))
  );
  transferDialog.showModal();
}

document.getElementById("transfer-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const id = Number(transferDialog.dataset.conversation);
  const [kind, target] = document.getElementById("transfer-target").value.split(":");
  const body = kind === "operator" ? { operator_id: Number(target) } : { queue_id: Number(target) };
  try {
    await api("POST", `/conversations/${id}/transfer`, body);
    transferDialog.close();
    removeChat(id, T.transferred);
  } catch (error) {
    transferDialog.querySelector(".dialog-error").textContent = error.message;
  }
});

export async function openClose(chat) {
  closeDialog.dataset.conversation = chat.conversation.id;
  closeDialog.querySelector(".dialog-error").textContent = "";
  if (!state.reasons.length) state.reasons = await api("GET", "/reasons");
  const filter = document.getElementById("reason-filter");
  filter.value = "";
  const container = document.getElementById("close-reasons");
  container.replaceChildren(
    ...state.reasons.map((r) =>
      el("label", { className: "reason", "data-name": r.name.toLowerCase() }, [
        el("input", { type: "radio", name: "reason", value: String(r.id), required: true }),
        el("span", { text: " " + r.name }),
      ])
    )
  );
  closeDialog.showModal();
}

document.getElementById("reason-filter").addEventListener("input", (event) => {
  const query = event.target.value.toLowerCase();
  for (const label of document.querySelectorAll("#close-reasons .reason")) label.hidden = !label.dataset.name.includes(query);
});

document.getElementById("close-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const id = Number(closeDialog.dataset.conversation);
  const picked = closeDialog.querySelector("input[name=reason]:checked");
  if (!picked) return;
  try {
    await api("POST", `/conversations/${id}/close`, { reason_id: Number(picked.value) });
    closeDialog.close();
    removeChat(id, T.chat_closed);
  } catch (error) {
    closeDialog.querySelector(".dialog-error").textContent = error.message;
  }
});
