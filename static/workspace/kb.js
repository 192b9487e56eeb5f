/* Knowledge base beside the chat: the operator searches the help articles in the customer's
 * language and one click puts the answer (its first paragraph and its public link) into the reply.
 * A customer-panel section registered with panels.js (bottom of this file): it mounts once per open
 * chat and follows the chat's language on update; context has {language, insertIntoReply(text)}.
 * Texts come translated from the template (data-* of this script's tag); articles via textContent.
 */
import { registerCustomerSection } from "./panels.js";

const tag = document.querySelector("script[data-kb-panel]");
const S = tag ? { ...tag.dataset } : {};
const LANGUAGES = [["en", "English"], ["ru", "Русский"]];

function el(name, props, children) {
  const node = document.createElement(name);
  for (const [key, value] of Object.entries(props || {})) {
    if (key === "text") node.textContent = value;
    else if (key === "className") node.className = value;
    else if (value !== null && value !== undefined && value !== false) node.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children || []) if (child) node.appendChild(child);
  return node;
}

async function search(query, language) {
  const params = new URLSearchParams({ q: query, lang: language });
  const response = await fetch(`/api/kb/search?${params}`, { credentials: "same-origin", headers: { Accept: "application/json" } });
  const data = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error((data.error && data.error.message) || response.statusText);
  return data.results;
}

export function answerText(result) {
  return result.summary ? `${result.summary}\n${result.url}` : `${result.title}\n${result.url}`;
}

export function mount(root, context) {
  const state = { context, timer: null, asked: 0 };
  const input = el("input", { type: "search", className: "kb-query", placeholder: S.placeholder, "aria-label": S.placeholder, autocomplete: "off", maxlength: "200" });
  const language = el("select", { className: "kb-language", "aria-label": S.language },
    LANGUAGES.map(([code, name]) => el("option", { value: code, text: name })));
  const results = el("ol", { className: "kb-results", "aria-live": "polite" });
  const form = el("form", { className: "kb-search", role: "search" }, [input, language]);
  const section = el("section", { className: "kb-panel", "aria-label": S.title }, [el("h4", { text: S.title }), form, results]);
  root.appendChild(section);

  async function run() {
    const query = input.value.trim();
    const asked = ++state.asked;
    if (!query) { results.replaceChildren(); return; }
    let found;
    try {
      found = await search(query, language.value);
    } catch (error) {
      results.replaceChildren(el("li", { className: "muted", text: error.message }));
      return;
    }
    if (asked !== state.asked) return; // a newer question is on its way
    results.replaceChildren(...(found.length ? found.map(item) : [el("li", { className: "muted", text: S.nothing })]));
  }
  function item(result) {
    const insert = el("button", { type: "button", className: "secondary kb-insert", text: S.insert, "aria-label": `${S.insert}: ${result.title}` });
    insert.addEventListener("click", () => state.context.insertIntoReply(answerText(result)));
    return el("li", { className: "kb-result", "data-article-key": result.key }, [
      el("a", { href: result.url, target: "_blank", rel: "noopener", text: result.title }),
      result.summary ? el("p", { className: "kb-summary", text: result.summary }) : null,
      insert,
    ]);
  }
  form.addEventListener("submit", (event) => { event.preventDefault(); clearTimeout(state.timer); run(); });
  input.addEventListener("input", () => { clearTimeout(state.timer); state.timer = setTimeout(run, 250); });
  language.addEventListener("change", run);

  const handle = {
    update(next) {
      state.context = next;
      language.value = (next.language || "en").startsWith("ru") ? "ru" : "en";
    },
  };
  handle.update(context);
  return handle;
}

const handles = new WeakMap(); // section root -> its mounted search

registerCustomerSection({
  id: "kb",
  mount(root, context) {
    handles.set(root, mount(root, context));
  },
  update(context) {
    handles.get(context.root)?.update(context);
  },
});
