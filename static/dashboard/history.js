// History charts, drawn with the vendored Chart.js from the tables the page already shows.
(function () {
  "use strict";
  const data = JSON.parse(document.getElementById("chart-data").textContent);
  const L = JSON.parse(document.getElementById("chart-labels").textContent); // in the page's language
  const palette = ["#2563eb", "#16a34a", "#dc2626", "#9333ea", "#ea580c", "#0891b2", "#4d7c0f", "#be185d"];

  function chart(id, type, labels, datasets, options) {
    const canvas = document.getElementById(`chart-${id}`);
    if (!canvas || typeof Chart === "undefined") return;
    new Chart(canvas, { type, data: { labels, datasets }, options: Object.assign({ animation: false, responsive: true }, options || {}) });
  }

  chart("by_day", "line", data.by_day.map((r) => r[0]), [
    { label: L.chats, data: data.by_day.map((r) => r[1]), borderColor: palette[0] },
    { label: L.abandoned, data: data.by_day.map((r) => r[2]), borderColor: palette[2] },
  ]);
  chart("by_hour", "bar", data.by_hour.map((r) => r[0]), [{ label: L.chats, data: data.by_hour.map((r) => r[1]), backgroundColor: palette[0] }]);
  chart("by_connector", "doughnut", data.by_connector.map((r) => r[0]), [{ data: data.by_connector.map((r) => r[1]), backgroundColor: palette }]);
  chart("by_reason", "bar", data.by_reason.map((r) => r[0] || L.no_reason), [{ label: L.chats, data: data.by_reason.map((r) => r[1]), backgroundColor: palette[3] }], { indexAxis: "y" });
  chart("ratings", "bar", data.ratings.map((r) => `${r[0]}★`), [{ label: L.ratings, data: data.ratings.map((r) => r[1]), backgroundColor: palette[1] }]);

  const weeks = [...new Set(data.reason_trend.map((r) => r[0]))];
  const reasons = [...new Set(data.reason_trend.map((r) => r[1]))];
  const counts = new Map(data.reason_trend.map((r) => [`${r[0]}|${r[1]}`, r[2]]));
  chart("reason_trend", "line", weeks, reasons.map((reason, i) => ({
    label: reason,
    data: weeks.map((week) => counts.get(`${week}|${reason}`) || 0),
    borderColor: palette[i % palette.length],
  })));
})();
