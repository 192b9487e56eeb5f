// Service-target alerts: a banner for every open breach, raised and cleared live.
// Opens the workspace socket (/ws/workspace/) and re-broadcasts each event on window as
// "switchboard:event" so other dashboard scripts share it; polls alerts.json as a fallback.
(function () {
  "use strict";
  const box = document.getElementById("target-alerts");
  if (!box) return;
  const open = new Map();
  const labelsNode = document.getElementById("target-labels");
  const labels = (labelsNode && JSON.parse(labelsNode.textContent)) || {};
  const locale = document.documentElement.lang || "en";
  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, (_, name) => String(values[name]));
  }
  function number(value) {
    return value === null || value === undefined ? "–" : Number(value).toLocaleString(locale, { maximumFractionDigits: 1 });
  }

  function render() {
    box.replaceChildren();
    for (const alert of open.values()) {
      const line = document.createElement("p");
      line.className = "target-alert";
      line.dataset.breach = String(alert.breach_id);
      line.textContent = fill(box.dataset.text, {
        label: labels[alert.metric] || alert.label,
        value: number(alert.value),
        threshold: number(alert.threshold),
        since: new Date(alert.started_at).toLocaleTimeString(locale),
      });
      box.appendChild(line);
    }
    box.hidden = open.size === 0;
  }

  // Events that arrive while a poll is in flight are replayed over its answer: the answer may
  // have been read before them, and must not wipe an alert the socket has just raised.
  const inFlight = new Set();

  function apply(frame) {
    if (frame.kind === "alert.raised") open.set(frame.payload.breach_id, frame.payload);
    else open.delete(frame.payload.breach_id);
  }

  function onEvent(frame) {
    if (frame.kind !== "alert.raised" && frame.kind !== "alert.cleared") return;
    for (const seen of inFlight) seen.push(frame);
    apply(frame);
    render();
  }

  async function poll() {
    const seenMeanwhile = [];
    inFlight.add(seenMeanwhile);
    try {
      const response = await fetch(box.dataset.alertsUrl, { credentials: "same-origin" });
      if (response.ok) {
        const alerts = (await response.json()).alerts;
        open.clear();
        for (const alert of alerts) open.set(alert.breach_id, alert);
        for (const frame of seenMeanwhile) apply(frame);
        render();
      }
    } catch (error) {
      /* offline for a moment: the next poll or socket event catches up */
    } finally {
      inFlight.delete(seenMeanwhile);
    }
  }

  let retry = 1000;
  function connect() {
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    const socket = new WebSocket(`${scheme}://${location.host}/ws/workspace/`);
    socket.addEventListener("open", () => { retry = 1000; poll(); });
    socket.addEventListener("message", (message) => {
      let frame;
      try { frame = JSON.parse(message.data); } catch (error) { return; }
      if (frame.type !== "event") return;
      onEvent(frame);
      window.dispatchEvent(new CustomEvent("switchboard:event", { detail: frame }));
    });
    socket.addEventListener("close", () => {
      setTimeout(connect, retry);
      retry = Math.min(retry * 2, 30000);
    });
  }

  poll();
  setInterval(poll, 30000);
  if (document.body.dataset.manager === "1") connect();
})();
