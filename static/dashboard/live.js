// The live dashboard: redrawn from "dashboard.live" events pushed every few seconds, with a JSON
// poll as a fallback while the socket is down. Names are set with textContent, never as HTML.
(function () {
  "use strict";
  const script = document.getElementById("live-script");
  const url = script.dataset.url;
  let lastPush = 0;

  function cell(row, text, tag) {
    const element = document.createElement(tag || "td");
    element.textContent = text === null || text === undefined ? "–" : String(text);
    row.appendChild(element);
  }

  function draw(live) {
    document.getElementById("live-queued").textContent = String(live.queued);
    document.getElementById("live-longest").textContent = live.longest_wait_seconds === null ? "–" : String(live.longest_wait_seconds);
    document.getElementById("live-active").textContent = String(live.active_chats);
    document.getElementById("live-no-first-reply").textContent = String(live.no_first_reply_today);
    const operators = document.getElementById("live-operators");
    operators.replaceChildren();
    for (const op of live.operators) {
      const row = document.createElement("tr");
      cell(row, op.name); cell(row, op.status); cell(row, `${op.load} of ${op.cap}`);
      operators.appendChild(row);
    }
    const today = document.getElementById("live-today");
    today.replaceChildren();
    for (const [name, value] of Object.entries(live.today)) {
      const row = document.createElement("tr");
      cell(row, name, "th"); cell(row, value);
      today.appendChild(row);
    }
    document.getElementById("live-updated").textContent = new Date(live.at).toLocaleTimeString();
  }

  window.addEventListener("switchboard:event", (event) => {
    if (event.detail.kind === "dashboard.live") { lastPush = Date.now(); draw(event.detail.payload); }
  });

  async function poll() {
    if (Date.now() - lastPush < 15000) return;
    try {
      const response = await fetch(url, { credentials: "same-origin" });
      if (response.ok) draw(await response.json());
    } catch (error) { /* the next poll retries */ }
  }
  setInterval(poll, 5000);
})();
