/* DOM helpers for the workspace modules. Text only ever goes in through textContent (the "text"
 * attribute of el()), so strangers' HTML, scripts and markdown show literally. */

export function el(tag, attrs, children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key === "text") node.textContent = value;
    else if (key === "className") node.className = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children || []) if (child) node.append(child);
  return node;
}

let flashTimer = null;

/** A short notice at the bottom of the chats (role=alert), gone after a few seconds. */
export function flash(message, seconds = 6) {
  const node = document.getElementById("flash");
  if (!node) return;
  node.textContent = message;
  node.hidden = false;
  clearTimeout(flashTimer);
  flashTimer = setTimeout(() => (node.hidden = true), seconds * 1000);
}
