/* The language switch submits its form as soon as a language is picked (no inline handlers: the CSP
 * allows scripts from files only). Without script the <noscript> button does the same. */
for (const select of document.querySelectorAll("select[data-submit-on-change]")) {
  select.addEventListener("change", () => select.form.submit());
}
