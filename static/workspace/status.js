/* The operator's own status switch (online / away / offline), kept true to the server's answer. */
import { api } from "./api.js";
import { flash } from "./dom.js";
import { state } from "./state.js";

const statusSelect = document.getElementById("status");

statusSelect.addEventListener("change", async () => {
  const wanted = statusSelect.value;
  try {
    state.me = await api("POST", "/me/status", { status: wanted });
  } catch (error) {
    flash(error.message);
  }
  renderStatus();
});

export function renderStatus() {
  if (!state.me) return;
  statusSelect.value = state.me.status;
  statusSelect.dataset.status = state.me.status;
}
