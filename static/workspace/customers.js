/* Customer 360 in the chat's customer panel: a link to the customer's page, and the notes operators
 * keep about the customer (across conversations), with a box to add one.
 * A customer-panel section registered with panels.js (bottom of this file): it renders on mount and
 * again when the chat's contact changes (a merge). Texts come translated from the template (this
 * script tag's data-strings); notes go in through textContent only. */
import { registerCustomerSection } from "./panels.js";

const T = JSON.parse(document.querySelector("script[data-customer-panel]")?.dataset.strings || "{}");

function el(tag, props, children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props || {})) {
    if (key === "text") node.textContent = value;
    else if (key === "className") node.className = value;
    else if (value !== null && value !== undefined && value !== false) node.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children || []) if (child) node.appendChild(child);
  return node;
}
function csrfToken() {
  const match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
  return match ? decodeURIComponent(match[1]) : "";
}
async function call(method, path, body) {
  const response = await fetch(`/api${path}`, {
    method,
    credentials: "same-origin",
    headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken() },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const data = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error((data.error && data.error.message) || T.error);
  return data;
}

function noteItem(note) {
  const when = new Date(note.created_at).toLocaleString(document.documentElement.lang || undefined);
  return el("li", { "data-note-id": String(note.id) }, [
    el("span", { className: "note-text", text: note.text }),
    el("br"),
    el("small", { className: "muted", text: `${note.author_name || T.former_operator} · ${when}` }),
  ]);
}

async function render(root, context) {
  let customer;
  try {
    customer = await call("GET", `/customers/${context.contactId}`);
  } catch (error) {
    root.replaceChildren(el("p", { className: "muted", text: error.message }));
    return;
  }
  const list = el("ol", { className: "note-list" }, customer.notes.slice(0, 5).map(noteItem));
  const empty = el("p", { className: "muted", text: T.no_notes, hidden: customer.notes.length > 0 });
  const box = el("textarea", { rows: "2", maxlength: "4000", "aria-label": T.new_note, placeholder: T.new_note });
  const error = el("p", { className: "error", role: "alert", hidden: true });
  const add = el("button", { type: "submit", text: T.add_note });
  const form = el("form", { className: "note-form" }, [box, add, error]);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    add.disabled = true;
    try {
      const note = await call("POST", `/customers/${customer.id}/notes`, { text: box.value });
      list.prepend(noteItem(note));
      empty.hidden = true;
      box.value = "";
      error.hidden = true;
    } catch (failure) {
      error.textContent = failure.message;
      error.hidden = false;
    } finally {
      add.disabled = false;
    }
  });
  root.replaceChildren(
    el("h4", { text: T.notes }),
    empty,
    list,
    form,
    el("p", {}, [el("a", { className: "customer-page-link", href: customer.page_url, target: "_blank", rel: "noopener", text: T.open_page })])
  );
}

const shown = new WeakMap(); // section root -> the contact id it shows

registerCustomerSection({
  id: "customer",
  mount(root, context) {
    root.classList.add("customer-section");
    root.dataset.contactId = String(context.contactId);
    shown.set(root, context.contactId);
    return render(root, context);
  },
  update(context) {
    if (shown.get(context.root) === context.contactId) return undefined; // the note being typed stays
    shown.set(context.root, context.contactId);
    context.root.dataset.contactId = String(context.contactId);
    return render(context.root, context);
  },
});
