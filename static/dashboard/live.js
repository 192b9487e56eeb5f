// The live dashboard: redrawn from "dashboard.live" events pushed every few seconds, with a JSON
// poll as a fallback while the socket is down. Names are set with textContent, never as HTML.
// Pushes carry raw figures (one payload for every manager); the words come from the page, in its
// language, and durations and percents follow workspace/figures.py.
(function () {
  "use strict";
  const script = document.getElementById("live-script");
  const url = script.dataset.url;
  const S = JSON.parse(document.getElementById("live-strings").textContent);
  const locale = document.documentElement.lang || "en";
  const DASH = "–";
  let lastPush = 0;

  function fill(template, values) {
    return template.replace(/%\((\w+)\)[ds]/g, (_, name) => String(values[name]));
  }
  function number(value, digits) {
    return value.toLocaleString(locale, { maximumFractionDigits: digits });
  }
  function duration(seconds) {
    if (seconds === null || seconds === undefined) return DASH;
    const total = Math.max(0, Math.round(seconds));
    if (total < 60) return fill(S.s, { seconds: total });
    if (total < 600) {
      const minutes = Math.floor(total / 60), rest = total % 60;
      return rest ? fill(S.min_s, { minutes, seconds: rest }) : fill(S.min, { minutes });
    }
    const minutes = Math.round(total / 60);
    if (minutes < 60) return fill(S.min, { minutes });
    const hours = Math.floor(minutes / 60), rest = minutes % 60;
    return rest ? fill(S.h_min, { hours, minutes: rest }) : fill(S.h, { hours });
  }
  function figure(value, kind) {
    if (value === null || value === undefined) return DASH;
    if (kind === "seconds") return duration(value);
    if (kind === "percent") return `${number(value * 100, 1)} %`;
    if (kind === "points") return `${number(value, 1)} %`;
    return number(value, 2);
  }

  function cell(row, text, tag) {
    const element = document.createElement(tag || "td");
    element.textContent = text;
    row.appendChild(element);
  }

  function draw(live) {
    document.getElementById("live-queued").textContent = String(live.queued);
    document.getElementById("live-longest").textContent = duration(live.longest_wait_seconds);
    document.getElementById("live-active").textContent = String(live.active_chats);
    document.getElementById("live-no-first-reply").textContent = String(live.no_first_reply_today);
    const operators = document.getElementById("live-operators");
    operators.replaceChildren();
    for (const op of live.operators) {
      const row = document.createElement("tr");
      cell(row, op.name); cell(row, S[op.status] || op.status); cell(row, fill(S.of, { load: op.load, cap: op.cap }));
      operators.appendChild(row);
    }
    const today = document.getElementById("live-today");
    today.replaceChildren();
    for (const f of live.today) {
      const row = document.createElement("tr");
      row.dataset.figure = f.key;
      cell(row, S.names[f.key] || f.key, "th"); cell(row, figure(f.value, f.kind));
      today.appendChild(row);
    }
    document.getElementById("live-updated").textContent = new Date(live.at).toLocaleTimeString(locale);
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
