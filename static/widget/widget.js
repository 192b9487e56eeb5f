/* Switchboard site chat widget. One tag embeds it:
 *   <script src="https://chat.example/static/widget/widget.js" defer
 *           data-lang="ru" data-color="#0b6bcb" data-stylist="on"
 *           data-customer-id="42" data-customer-name="Anna" data-customer-email="a@example.com"
 *           data-customer-signature="<hex HMAC-SHA256 of id\nname\nemail with WIDGET_CUSTOMER_SECRET>"></script>
 * A page view loads this file and (once an hour) its texts, in the shopper's language, from the
 * server: the WebSocket opens when the shopper opens the chat or has a conversation in progress. Every text from the network is rendered with textContent, never as HTML.
 * Protocol: connectors/widget/PROTOCOL.md. Public hooks: window.SwitchboardWidget (see the end).
 */
// --- texts first: from the server, in the shopper's language (connectors/widget/texts.py) ---------
// Asked once and kept an hour in the browser, so later page views start at once; the widget itself
// (the function below) starts when it has them. Calls the shop makes meanwhile run after it started.
(function (widget) {
  "use strict";
  var script = document.currentScript;
  if (!script || window.SwitchboardWidget) return;
  var early = [];
  function later(name) { return function () { early.push([name, arguments]); }; }
  window.SwitchboardWidget = {
    open: later("open"), close: later("close"), startConsultation: later("startConsultation"),
    openConversation: later("openConversation"), language: null
  };
  var cfg = script.dataset;
  var requested = (cfg.lang || document.documentElement.lang || navigator.language || "en").toLowerCase();
  var url = new URL(script.src, location.href).origin + "/connectors/widget/strings/?lang=" + encodeURIComponent(requested);
  // The number changes when the widget asks for new texts: an older copy kept here would lack them.
  var key = "sbw.texts.2." + requested, tries = 0, started = false;
  function kept() {
    try { return JSON.parse(localStorage.getItem(key)); } catch (e) { return null; }
  }
  function start(texts) {
    if (started) return;
    started = true;
    widget(script, texts, early);
  }
  function loadTexts() {
    var copy = kept();
    if (copy && copy.strings && Date.now() - copy.at < 3600 * 1000) return start(copy);
    fetch(url).then(function (r) {
      if (!r.ok) throw new Error("HTTP " + r.status);
      return r.json();
    }).then(function (data) {
      data.at = Date.now();
      try { localStorage.setItem(key, JSON.stringify(data)); } catch (e) { /* private mode */ }
      start(data);
    }, function () {
      // An older copy beats no widget; with none, ask again (the shop's page works on meanwhile).
      if (copy && copy.strings) return start(copy);
      tries += 1;
      setTimeout(loadTexts, Math.min(30000, 1000 * Math.pow(2, tries)));
    });
  }
  loadTexts();
})(function (script, texts, early) {
  "use strict";
  var cfg = script.dataset;
  var origin = new URL(script.src, location.href).origin;
  var API = origin + "/connectors/widget/";
  var HELP_SEARCH = origin + "/help/search.json";
  var WS_URL = origin.replace(/^http/, "ws") + "/ws/widget/";
  var MAX_CHARS = 4096;

  var STRINGS = texts.strings, lang = texts.language || "en";
  if (texts.max_chars) MAX_CHARS = texts.max_chars;
  function t(key, vars) {
    return (STRINGS[key] || "").replace(/\{(\w+)\}/g, function (_, k) { return vars && k in vars ? vars[k] : ""; });
  }

  // --- storage: survives reloads and page changes; a disabled localStorage only costs that ------
  function load(key, fallback) {
    try { var v = localStorage.getItem("sbw." + key); return v === null ? fallback : JSON.parse(v); }
    catch (e) { return fallback; }
  }
  function save(key, value) {
    try { localStorage.setItem("sbw." + key, JSON.stringify(value)); } catch (e) { /* private mode */ }
  }

  // --- styles: injected once, scoped under .sbw -------------------------------------------------
  var css =
    ".sbw,.sbw *{box-sizing:border-box;font:14px/1.4 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif}" +
    ".sbw [hidden]{display:none!important}.sbw-chat{display:contents}" +
    ".sbw-btn{position:fixed;right:20px;bottom:20px;z-index:2147483000;width:56px;height:56px;border:0;" +
    "border-radius:50%;background:var(--sbw-accent);color:#fff;cursor:pointer;box-shadow:0 4px 14px rgba(0,0,0,.25);" +
    "display:flex;align-items:center;justify-content:center}" +
    ".sbw-btn:focus-visible,.sbw button:focus-visible,.sbw textarea:focus-visible,.sbw input:focus-visible" +
    "{outline:3px solid #ffbf47;outline-offset:2px}" +
    ".sbw-badge{position:absolute;top:-4px;right:-4px;min-width:22px;height:22px;padding:0 6px;border-radius:11px;" +
    "background:#d42a2a;color:#fff;font-size:12px;font-weight:700;line-height:22px;text-align:center}" +
    ".sbw-panel{position:fixed;right:20px;bottom:88px;z-index:2147483001;width:370px;height:560px;" +
    "max-height:calc(100vh - 108px);display:flex;flex-direction:column;background:#fff;color:#1b1b1b;" +
    "border-radius:14px;box-shadow:0 8px 30px rgba(0,0,0,.3);overflow:hidden}" +
    ".sbw-head{display:flex;align-items:flex-start;gap:8px;padding:12px 14px;background:var(--sbw-accent);color:#fff}" +
    ".sbw-head h2{margin:0;font-size:16px;font-weight:700;color:inherit}" +
    ".sbw-status{margin:2px 0 0;font-size:12px;opacity:.92;color:inherit}" +
    ".sbw-headtext{flex:1;min-width:0}" +
    ".sbw-icon{border:0;background:transparent;color:inherit;cursor:pointer;font-size:20px;line-height:1;padding:4px 6px;" +
    "border-radius:6px}.sbw-icon:hover{background:rgba(255,255,255,.18)}" +
    ".sbw-end{font-size:12px;border:1px solid rgba(255,255,255,.6);background:transparent;color:#fff;border-radius:6px;" +
    "padding:3px 8px;cursor:pointer}" +
    ".sbw-confirm{display:flex;flex-wrap:wrap;align-items:center;gap:8px;padding:10px 14px;background:#fff4e5;" +
    "border-bottom:1px solid #f0d2a8}.sbw-confirm p{margin:0;flex:1 0 100%;font-weight:600}" +
    ".sbw-confirm button{border-radius:8px;padding:6px 12px;cursor:pointer;border:1px solid var(--sbw-accent)}" +
    ".sbw-yes{background:var(--sbw-accent);color:#fff}.sbw-no{background:#fff;color:var(--sbw-accent)}" +
    ".sbw-actions{padding:8px 14px 0}.sbw-actions button{border:1px solid var(--sbw-accent);color:var(--sbw-accent);" +
    "background:#fff;border-radius:16px;padding:4px 12px;cursor:pointer}" +
    ".sbw-log{flex:1 1 0;min-height:120px;overflow-y:auto;padding:12px 14px;display:flex;flex-direction:column;gap:8px;background:#f6f7f9}" +
    ".sbw-msg{max-width:85%;padding:8px 11px;border-radius:12px;white-space:pre-wrap;overflow-wrap:anywhere;" +
    "word-break:break-word}" +
    ".sbw-shopper{align-self:flex-end;background:var(--sbw-accent);color:#fff;border-bottom-right-radius:4px}" +
    ".sbw-greeting{max-width:85%;padding:8px 11px;border-radius:12px;white-space:pre-wrap;overflow-wrap:anywhere}" +
    ".sbw-operator,.sbw-system,.sbw-greeting{align-self:flex-start;background:#fff;border:1px solid #e2e4e8;border-bottom-left-radius:4px}" +
    ".sbw-msg.sbw-system{align-self:center;max-width:92%;background:#eef1f5;border:0;border-radius:10px;color:#333;" +
    "font-size:13px;text-align:center}" +
    ".sbw-msg.sbw-ordernotice{text-align:left}.sbw-ordernotice a{display:block;margin-top:6px}.sbw-noticehelp{display:block;" +
    "margin-top:8px;border:1px solid var(--sbw-accent);background:#fff;color:var(--sbw-accent);border-radius:8px;" +
    "padding:6px 10px;min-height:40px;cursor:pointer}" +
    ".sbw-who{display:block;font-size:11px;font-weight:700;opacity:.75;margin-bottom:2px}" +
    ".sbw-pending{opacity:.65}.sbw-failed{background:#fde8e8;color:#8a1c1c}" +
    ".sbw-typing,.sbw-notice{min-height:18px;padding:2px 14px;font-size:12px;color:#555}" +
    ".sbw-count{padding:2px 14px;font-size:12px;color:#a01c1c;background:#fff}.sbw-send:disabled{opacity:.5;cursor:not-allowed}" +
    ".sbw-notice{color:#a01c1c}.sbw-notice.sbw-ok{color:#1c6b2a}" +
    ".sbw-rate{flex:0 0 auto;padding:8px 14px;border-top:1px solid #e2e4e8;background:#fff;display:flex;flex-direction:column;gap:6px}" +
    ".sbw-rate p{margin:0;font-weight:600}.sbw-stars{display:flex;gap:4px}" +
    ".sbw-star{border:0;background:transparent;color:#c9a000;font-size:28px;line-height:1;cursor:pointer;padding:2px 4px;" +
    "border-radius:6px;min-width:40px;min-height:40px}" +
    ".sbw-rate textarea{resize:vertical;min-height:40px;padding:8px;border:1px solid #c8ccd2;border-radius:8px;" +
    "color:#1b1b1b;background:#fff}" +
    ".sbw-offer{padding:8px 14px;background:#eef5fc;border-bottom:1px solid #cfe0f2;display:flex;flex-direction:column;" +
    "gap:6px}.sbw-offer p{margin:0}.sbw-offer button{align-self:flex-start;border:1px solid var(--sbw-accent);" +
    "color:var(--sbw-accent);background:#fff;border-radius:16px;padding:4px 12px;cursor:pointer}" +
    ".sbw-questionnaire{flex:0 0 60%;width:100%;border:0;border-bottom:1px solid #e2e4e8;background:#faf7f9}" +
    ".sbw-attach{border:0;background:transparent;color:#555;cursor:pointer;padding:0 2px;min-width:36px;border-radius:8px}" +
    ".sbw-attach:hover{background:#f0f1f3}" +
    ".sbw-thumb{display:block;max-width:180px;max-height:180px;margin-top:4px;border-radius:8px}" +
    ".sbw-filelink{display:block;margin-top:4px;color:inherit;text-decoration:underline}" +
    ".sbw-dropping .sbw-log{outline:3px dashed var(--sbw-accent);outline-offset:-6px}" +
    ".sbw-compose{display:flex;gap:8px;padding:10px 12px;border-top:1px solid #e2e4e8;background:#fff}" +
    ".sbw-compose textarea{flex:1;resize:none;height:42px;max-height:120px;padding:10px;border:1px solid #c8ccd2;" +
    "border-radius:10px;color:#1b1b1b;background:#fff}" +
    ".sbw-send,.sbw-offline button{border:0;border-radius:10px;padding:0 14px;background:var(--sbw-accent);" +
    "color:#fff;font-weight:600;cursor:pointer;min-height:42px}" +
    ".sbw-offline{flex:1;overflow-y:auto;padding:14px;display:flex;flex-direction:column;gap:8px}" +
    ".sbw-offline p{margin:0 0 4px}.sbw-offline label{display:flex;flex-direction:column;gap:3px;font-size:12px;color:#444}" +
    ".sbw-offline input,.sbw-offline textarea{padding:8px;border:1px solid #c8ccd2;border-radius:8px;color:#1b1b1b;" +
    "background:#fff}.sbw-offline textarea{min-height:90px;resize:vertical}" +
    ".sbw-before{flex:0 1 auto;max-height:60%;overflow-y:auto;background:#fff}" +
    ".sbw-help{padding:10px 14px;border-bottom:1px solid #e2e4e8;background:#fff}" +
    ".sbw-preshot{padding:10px 14px;border-bottom:1px solid #e2e4e8;background:#fff}" +
    ".sbw-stage{margin:0 0 8px;font-size:15px;font-weight:700;color:#1b1b1b;overflow-wrap:anywhere}" +
    ".sbw-preshot h3{margin:0 0 6px;font-size:13px;font-weight:600;color:#555}" +
    ".sbw-questions{list-style:none;margin:0;padding:0;display:flex;flex-direction:column;gap:6px}" +
    ".sbw-question{width:100%;min-height:42px;text-align:left;border:1px solid var(--sbw-accent);border-radius:10px;" +
    "padding:8px 10px;background:#fff;color:var(--sbw-accent);font-weight:600;cursor:pointer;overflow-wrap:anywhere}" +
    ".sbw-question[aria-expanded=true]{background:#eef5fc}" +
    ".sbw-qanswer{margin-top:6px;padding:8px 10px;border:1px solid #e2e4e8;border-radius:10px;background:#f6f7f9;" +
    "display:flex;flex-direction:column;align-items:flex-start;gap:6px}" +
    ".sbw-qanswer strong{font-weight:700;color:#1b1b1b;overflow-wrap:anywhere}" +
    ".sbw-qanswer p{margin:0;font-size:13px;color:#333;overflow-wrap:anywhere;white-space:pre-wrap}" +
    ".sbw-qanswer a{color:var(--sbw-accent);font-weight:600}" +
    ".sbw-qanswer a.sbw-action{border-radius:8px;padding:7px 12px;background:var(--sbw-accent);color:#fff;text-decoration:none}" +
    ".sbw-stillhelp{border:1px solid var(--sbw-accent);color:var(--sbw-accent);background:#fff;border-radius:16px;" +
    "padding:6px 12px;min-height:36px;cursor:pointer}.sbw-stillhelp:disabled{opacity:.6;cursor:wait}" +
    ".sbw-consent{display:flex;align-items:flex-start;gap:8px;margin-top:10px;font-size:13px;color:#333;cursor:pointer}" +
    ".sbw-consent input{flex:0 0 auto;width:18px;height:18px;margin:1px 0 0}" +
    ".sbw-consented{margin:4px 0 0;font-size:12px;color:#1c6b2a}" +
    ".sbw-help h3{margin:0 0 6px;font-size:14px;font-weight:700;color:#1b1b1b}" +
    ".sbw-helpform{display:flex;gap:6px}.sbw-helpform input{flex:1;min-width:0;padding:8px 10px;border:1px solid #c8ccd2;" +
    "border-radius:10px;color:#1b1b1b;background:#fff}.sbw-helpform button{border:0;border-radius:10px;padding:0 12px;" +
    "background:var(--sbw-accent);color:#fff;font-weight:600;cursor:pointer;min-height:38px}" +
    ".sbw-answers{list-style:none;margin:8px 0 0;padding:0;display:flex;flex-direction:column;gap:8px}" +
    ".sbw-answer{padding:8px 10px;border:1px solid #e2e4e8;border-radius:10px;background:#f6f7f9}" +
    ".sbw-answer a{color:var(--sbw-accent);font-weight:700;text-decoration:none}.sbw-answer a:hover{text-decoration:underline}" +
    ".sbw-answer p{margin:3px 0 0;font-size:13px;color:#333;overflow-wrap:anywhere}.sbw-nohelp{font-size:13px;color:#555}" +
    "@media (max-width:480px){.sbw-panel{inset:0;width:100%;height:100%;max-height:none;border-radius:0}" +
    ".sbw-open .sbw-btn{display:none}}";

  // --- DOM helpers: text only ever goes in through textContent ---------------------------------
  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    for (var k in attrs || {}) {
      if (k === "text") node.textContent = attrs[k];
      else if (k === "class") node.className = attrs[k];
      else if (k.indexOf("on") === 0) node.addEventListener(k.slice(2), attrs[k]);
      else node.setAttribute(k, attrs[k]);
    }
    (children || []).forEach(function (c) { node.appendChild(c); });
    return node;
  }
  // A phone or tablet: a touch screen as the main pointer (its file picker can open the camera).
  function touchScreen() {
    return (window.matchMedia && matchMedia("(pointer: coarse)").matches) || navigator.maxTouchPoints > 0;
  }
  // Material-style outline icons, drawn as SVG so no emoji font is needed.
  var PAPERCLIP = "M16.5 6v11.5a4 4 0 0 1-8 0V5a2.5 2.5 0 0 1 5 0v10.5a1 1 0 0 1-2 0V6H10v9.5a2.5 2.5 0 0 0 5 0V5a4 4 0 0 0-8 0v12.5a5.5 5.5 0 0 0 11 0V6h-1.5z";
  var CAMERA = "M12 8.5a4 4 0 1 0 0 8 4 4 0 0 0 0-8zm0 6.4a2.4 2.4 0 1 1 0-4.8 2.4 2.4 0 0 1 0 4.8zM20 5h-3.2L15 3H9L7.2 5H4a2 2 0 0 0-2 2v12a2 2 0 0 0 2 2h16a2 2 0 0 0 2-2V7a2 2 0 0 0-2-2zm0 14H4V7h4.1l1.8-2h4.2l1.8 2H20v12z";
  function glyph(d, size) {
    var ns = "http://www.w3.org/2000/svg";
    var svg = document.createElementNS(ns, "svg");
    svg.setAttribute("viewBox", "0 0 24 24"); svg.setAttribute("width", size); svg.setAttribute("height", size);
    svg.setAttribute("aria-hidden", "true"); svg.setAttribute("focusable", "false");
    var path = document.createElementNS(ns, "path");
    path.setAttribute("fill", "currentColor"); path.setAttribute("d", d);
    svg.appendChild(path);
    return svg;
  }
  function icon() {
    var ns = "http://www.w3.org/2000/svg";
    var svg = document.createElementNS(ns, "svg");
    svg.setAttribute("viewBox", "0 0 24 24"); svg.setAttribute("width", "28"); svg.setAttribute("height", "28");
    svg.setAttribute("aria-hidden", "true"); svg.setAttribute("focusable", "false");
    var path = document.createElementNS(ns, "path");
    path.setAttribute("fill", "currentColor");
    path.setAttribute("d", "M4 3h16a2 2 0 0 1 2 2v11a2 2 0 0 1-2 2H8l-5 4V5a2 2 0 0 1 1-2zm3 6v2h10V9H7zm0-3v2h10V6H7zm0 6v2h7v-2H7z");
    svg.appendChild(path);
    return svg;
  }
  function uuid() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    return "x" + Date.now().toString(16) + Math.random().toString(16).slice(2);
  }

  // --- build ------------------------------------------------------------------------------------
  var style = el("style", { text: css });
  // A shop with a Content-Security-Policy puts a nonce on our <script> tag; the style carries it too.
  if (script.nonce) style.nonce = script.nonce;
  var root = el("div", { class: "sbw", "data-switchboard": "widget" });
  root.style.setProperty("--sbw-accent", /^#[0-9a-f]{3,8}$/i.test(cfg.color || "") ? cfg.color : "#0b6bcb");
  var badge = el("span", { class: "sbw-badge", "aria-hidden": "true", hidden: "" });
  var button = el("button", { type: "button", class: "sbw-btn", "aria-expanded": "false", onclick: toggle }, [icon(), badge]);
  var status = el("p", { class: "sbw-status", "aria-live": "polite" });
  var endButton = el("button", { type: "button", class: "sbw-end", text: t("end"), "aria-label": t("end"), hidden: "", onclick: endChat });
  var minimize = el("button", { type: "button", class: "sbw-icon", text: "\u2212", "aria-label": t("minimize"), onclick: closePanel });
  var actions = el("div", { class: "sbw-actions", hidden: "" });
  var log = el("div", { class: "sbw-log", role: "log", "aria-live": "polite", "aria-label": t("messages"), tabindex: "0" });
  var typing = el("div", { class: "sbw-typing", "aria-live": "polite" });
  var notice = el("div", { class: "sbw-notice", role: "status" });
  var input = el("textarea", { "aria-label": t("input"), placeholder: t("placeholder"), rows: "1", "aria-describedby": "sbw-count" });
  var counter = el("div", { class: "sbw-count", id: "sbw-count", "aria-live": "polite", hidden: "" });
  var sendButton = el("button", { type: "submit", class: "sbw-send", text: t("send"), "aria-label": t("send") });
  // Files: a picker, the phone's camera (coarse pointers only), paste into the box, drop on the panel.
  var ACCEPT = cfg.accept || "image/*,application/pdf";
  var fileInput = el("input", { type: "file", accept: ACCEPT, multiple: "", hidden: "", class: "sbw-file-input", "aria-label": t("attach") });
  var cameraInput = el("input", { type: "file", accept: "image/*", capture: "environment", hidden: "", "aria-label": t("camera") });
  var attachButton = el("button", { type: "button", class: "sbw-attach", "aria-label": t("attach"), title: t("attach"), onclick: function () { fileInput.click(); } }, [glyph(PAPERCLIP, "22")]);
  var cameraButton = el("button", { type: "button", class: "sbw-attach", "aria-label": t("camera"), title: t("camera"), onclick: function () { cameraInput.click(); } }, [glyph(CAMERA, "22")]);
  if (!touchScreen()) cameraButton.hidden = true;
  var compose = el("form", { class: "sbw-compose", onsubmit: onSubmit }, [attachButton, cameraButton, input, sendButton, fileInput, cameraInput]);
  var offline = buildOfflineForm();
  // After close: five stars and an optional comment. In a consultation: the questionnaire, inline.
  var rateStars = 0, rateConversation = null;
  var starButtons = [1, 2, 3, 4, 5].map(function (n) {
    return el("button", { type: "button", class: "sbw-star", text: "\u2606", "aria-label": t("star", { n: n }),
      "aria-pressed": "false", "data-stars": String(n), onclick: function () { pickStars(n); } });
  });
  var rateComment = el("textarea", { "aria-label": t("comment"), placeholder: t("comment"), maxlength: "2000", rows: "2" });
  var rateForm = el("form", { class: "sbw-rate", hidden: "", onsubmit: onRateSubmit }, [
    el("p", { text: t("rate") }), el("div", { class: "sbw-stars", role: "group", "aria-label": t("rate") }, starButtons),
    rateComment, el("button", { type: "submit", class: "sbw-send", text: t("rateSend") })
  ]);
  var questionnaire = el("iframe", { class: "sbw-questionnaire", title: t("questionnaire"), hidden: "" });
  // Waiting long, nobody online, or closed unanswered: offer to leave a message (email or phone).
  var offerText = el("p", {});
  var offer = el("div", { class: "sbw-offer", role: "status", hidden: "" }, [
    offerText, el("button", { type: "button", text: t("offerButton"), onclick: onOfferClick })
  ]);
  // Help search: before chatting, the shopper's question finds the shop's answers. Its texts come
  // from the server in the shopper's language (the first, empty search), so it shows once they came.
  var helpTitle = el("h3", {});
  var helpInput = el("input", { type: "search", maxlength: "200", autocomplete: "off" });
  var helpButton = el("button", { type: "submit" });
  var answers = el("ol", { class: "sbw-answers", "aria-live": "polite" });
  var help = el("div", { class: "sbw-help", role: "search", hidden: "" }, [
    helpTitle, el("form", { class: "sbw-helpform", onsubmit: onHelpSubmit }, [helpInput, helpButton]), answers
  ]);
  var helpLabels = null, helpAsked = 0, helpTimer = null;
  helpInput.addEventListener("input", function () { clearTimeout(helpTimer); helpTimer = setTimeout(searchHelp, 300); });
  // Pre-shot: a signed-in shopper with an order sees its stage and the likeliest questions first
  // (preshot/widget.py), each answered in one tap; the help search stays below.
  var stageLine = el("p", { class: "sbw-stage" });
  var questionList = el("ul", { class: "sbw-questions" });
  var consentBox = el("input", { type: "checkbox" });
  var consentNote = el("p", { class: "sbw-consented", role: "status" });
  var questionsTitle = el("h3", { text: t("preshotQuestions") });
  var preshotView = el("section", { class: "sbw-preshot", "aria-label": t("preshotRegion"), hidden: "" }, [
    stageLine, questionsTitle, questionList,
    el("label", { class: "sbw-consent" }, [consentBox, el("span", { text: t("preshotConsent") })]), consentNote
  ]);
  var preshotData = null, preshotAsked = false;
  var chatView = el("div", { class: "sbw-chat" }, [actions, offer, questionnaire, log, typing, rateForm, counter, compose]);
  var panel = el("div", { class: "sbw-panel", role: "dialog", "aria-label": t("title"), hidden: "" }, [
    el("div", { class: "sbw-head" }, [
      el("div", { class: "sbw-headtext" }, [el("h2", { text: t("title") }), status]), endButton, minimize
    ]),
    el("div", { class: "sbw-before" }, [preshotView, help]), chatView, offline.form, notice
  ]);
  root.appendChild(panel);
  root.appendChild(button);

  function buildOfflineForm() {
    function field(key, tag, type) {
      var control = el(tag, tag === "input" ? { type: type, name: key } : { name: key });
      return { label: el("label", {}, [document.createTextNode(t(key)), control]), control: control };
    }
    var name = field("name", "input", "text"), email = field("email", "input", "email"),
      phone = field("phone", "input", "tel"), message = field("message", "textarea");
    var thanks = el("p", { role: "status", hidden: "" });
    var intro = el("p", { text: t("offlineIntro") });
    var form = el("form", { class: "sbw-offline", hidden: "", onsubmit: onOfflineSubmit }, [
      intro, name.label, email.label, phone.label, message.label,
      el("button", { type: "submit", text: t("leave") }), thanks
    ]);
    return { form: form, intro: intro, name: name.control, email: email.control, phone: phone.control, message: message.control, thanks: thanks };
  }

  // --- state --------------------------------------------------------------------------------------
  var socket = null, ready = false, retries = 0, retryTimer = null, typingTimer = null, lastTypingSent = 0;
  // resumeId: the newest id that came through the conversation's stream (a state or a live frame).
  // The acknowledgement of our own message is no proof that everything before it was received:
  // while the live stream is cut (a Redis restart), the operator's replies in between are missed.
  var byId = {}, resumeId = 0, pending = {};
  var conversationId = load("conversation", null), conversationState = null, operatorName = "";
  var queueText = "", outbox = load("outbox", []), unread = load("unread", 0), panelOpen = false;
  // "wait": offered while queued (the chat is kept); "closed": after a close nobody answered.
  var offerKind = null, keepChat = false, unansweredClose = false;

  function inProgress() { return load("active", false) || outbox.length > 0; }
  function setInProgress(value) { save("active", !!value); }

  // --- token --------------------------------------------------------------------------------------
  function customer() {
    if (!cfg.customerId || !cfg.customerSignature) return null;
    return { id: cfg.customerId, name: cfg.customerName || "", email: cfg.customerEmail || "", signature: cfg.customerSignature };
  }
  function postJSON(path, body) {
    return fetch(API + path, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) })
      .then(function (r) { return r.json().then(function (data) { if (!r.ok) throw data.error || {}; return data; }); });
  }
  var tokenRequest = null;
  function ensureToken() {
    var who = customer();
    var token = load("token", null);
    if (token && load("customer", null) === (who ? who.signature : null)) return Promise.resolve(token);
    // One request at a time: two would mint two visitors, and the second would orphan the first.
    if (!tokenRequest) {
      tokenRequest = postJSON("session/", { token: token, customer: who }).then(function (data) {
        tokenRequest = null;
        var previous = load("visitor", null);
        if (previous && data.visitor_id !== previous) forgetConversation();
        save("token", data.token); save("visitor", data.visitor_id); save("customer", who ? who.signature : null);
        return data.token;
      }, function (error) { tokenRequest = null; throw error; });
    }
    return tokenRequest;
  }
  // Another visitor now (the shop's customer logged in or out): their unsent words still go out.
  function forgetConversation() {
    conversationId = null; save("conversation", null); setInProgress(false); clearLog();
  }

  // --- connection: reconnect with exponential backoff and jitter, resume after the last id -------
  function wanted() { return panelOpen || inProgress(); }
  function connect() {
    if (socket || !wanted()) return;
    clearTimeout(retryTimer);
    ensureToken().then(function (token) {
      if (socket) return;
      var ws = socket = new WebSocket(WS_URL);
      ws.onopen = function () {
        var hello = { type: "hello", token: token, last_id: resumeId, language: lang };
        if (conversationId) hello.conversation_id = conversationId;
        ws.send(JSON.stringify(hello));
      };
      ws.onmessage = function (event) {
        var frame;
        try { frame = JSON.parse(event.data); } catch (e) { return; }
        handle(frame);
      };
      ws.onclose = function (event) {
        if (socket !== ws) return;
        socket = null; ready = false;
        scheduleReconnect(event.code);
      };
    }, function (error) {
      socket = null;
      if (error && error.code === "rate_limited") showNotice(error.message || "");
      scheduleReconnect();
    });
  }
  function scheduleReconnect(code) {
    if (!wanted()) return;
    // 4503: the server is up but cannot store anything yet; the shopper's text waits in the outbox.
    if (code === 4503) showNotice(t("unavailable"));
    else if (retries > 0) showNotice(t("reconnecting"));
    var delay = Math.min(15000, 500 * Math.pow(2, retries)) * (0.5 + Math.random() / 2);
    retries += 1;
    clearTimeout(retryTimer);
    retryTimer = setTimeout(connect, delay);
  }
  function send(frame) {
    if (socket && ready) socket.send(JSON.stringify(frame));
  }
  window.addEventListener("online", function () { retries = 0; if (!socket) connect(); });

  // --- frames -------------------------------------------------------------------------------------
  function handle(frame) {
    switch (frame.type) {
      case "state": return onState(frame);
      case "message": return onMessage(frame);
      case "assigned":
        conversationState = "active"; operatorName = frame.operator_name || ""; setOffer(null); return renderStatus();
      case "queued": // back in the queue (the operator left, or passed the chat to a queue)
        conversationState = "queued"; operatorName = ""; queueText = ""; renderStatus(); return send({ type: "position" });
      case "queue.position":
        if (frame.conversation_id !== conversationId || !frame.position) return;
        conversationState = "queued"; operatorName = "";
        queueText = positionText(frame.position, frame.estimated_wait_seconds, frame.nobody_online);
        if (offerKind !== "saved") setOffer(frame.offer_message ? "wait" : null);
        return renderStatus();
      case "typing": return showTyping(frame.name);
      case "closed":
        conversationState = "closed"; unansweredClose = !!frame.unanswered; setOffer(unansweredClose ? "closed" : null);
        setInProgress(outbox.length > 0); renderStatus(); return releaseIfIdle();
      case "contact.saved": setOffer("saved"); return showNotice(t("contactSaved"), true);
      case "rating.requested": return showRating(frame.conversation_id);
      case "rated": hideRating(); return showNotice(t("rated"), true);
      case "questionnaire": return showQuestionnaire(frame.url);
      case "order.notice": return showOrderNotice(frame.notice);
      case "questionnaire.submitted":
        setTimeout(hideQuestionnaire, 1500); return showNotice(frame.text || "", true);
      case "error":
        if (frame.ref === "rate" && frame.code === "already_rated") hideRating();
        return onError(frame);
    }
  }
  function onState(frame) {
    ready = true; retries = 0; showNotice("");
    hideRating(); hideQuestionnaire(); // the server sends them again if they are still due
    if (frame.conversation_id !== conversationId) {
      clearLog();
      conversationId = frame.conversation_id; save("conversation", conversationId);
    }
    conversationState = frame.state; operatorName = frame.operator_name || "";
    queueText = frame.state === "queued" ? positionText(frame.queue_position, frame.estimated_wait_seconds, frame.nobody_online) : "";
    unansweredClose = frame.state === "closed" && !!frame.unanswered;
    setOffer(frame.state === "queued" && frame.offer_message ? (frame.is_offline ? "saved" : "wait") : unansweredClose ? "closed" : null);
    setInProgress(frame.state === "queued" || frame.state === "active");
    (frame.messages || []).forEach(function (m) { addMessage(m, false); resumeId = Math.max(resumeId, m.id); });
    renderStatus();
    outbox.forEach(function (item) {
      if (pending[item.client_id]) pending[item.client_id].querySelector(".sbw-who").textContent = t("sending");
      send({ type: "message", text: item.text, client_id: item.client_id });
    });
    reportContext(true);
    releaseIfIdle();
  }

  // --- the visitor's context: the page (and its changes), referrer, language, device, cart -------
  var cart; // undefined until the shop calls setCart
  var lastContext = "";
  function httpUrl(value) { return /^https?:\/\//i.test(value || "") ? String(value).slice(0, 2000) : ""; }
  function deviceKind() {
    if (!touchScreen()) return "desktop";
    return Math.min(screen.width, screen.height) < 600 ? "phone" : "tablet";
  }
  function contextFrame() {
    var frame = {
      type: "context",
      page: { url: httpUrl(location.href), title: (document.title || "").slice(0, 300) },
      referrer: httpUrl(document.referrer),
      language: (navigator.language || "").slice(0, 16),
      device: { kind: deviceKind(), viewport: innerWidth + "x" + innerHeight, user_agent: navigator.userAgent.slice(0, 300) }
    };
    if (cart !== undefined) frame.cart = cart;
    return frame;
  }
  // A fresh socket reports at once (the server keeps the report per socket); after that only changes.
  function reportContext(fresh) {
    if (!ready) return;
    var frame = contextFrame(), key = JSON.stringify([frame.page, frame.cart]);
    if (!fresh && key === lastContext) return;
    lastContext = key;
    send(frame);
  }
  ["pushState", "replaceState"].forEach(function (name) {
    var original = history[name];
    history[name] = function () { var result = original.apply(this, arguments); setTimeout(reportContext, 0); return result; };
  });
  window.addEventListener("popstate", function () { reportContext(); });
  window.addEventListener("hashchange", function () { reportContext(); });
  setInterval(function () { reportContext(); }, 2000); // titles and single-page shops that skip history
  function setCart(value) {
    if (value === null) cart = null;
    else if (value && typeof value === "object") {
      cart = {
        items: (Array.isArray(value.items) ? value.items : []).slice(0, 50).map(function (item) {
          return { name: String((item && item.name) || "").slice(0, 200), quantity: Number(item && item.quantity) || 1, price: item && item.price != null ? Number(item.price) : null };
        }),
        total: value.total != null ? Number(value.total) : null,
        currency: String(value.currency || "").slice(0, 3)
      };
    }
    reportContext();
  }
  // No conversation in progress and the panel closed: the page needs no connection.
  function releaseIfIdle() {
    if (socket && !wanted()) { var ws = socket; socket = null; ready = false; ws.close(); }
  }
  function onMessage(frame) {
    if (frame.client_id) { dropFromOutbox(frame.client_id); setInProgress(true); }
    if (frame.conversation_id !== conversationId) {
      if (!frame.client_id) return; // another conversation's: its state frame follows
      // Our words opened a new conversation: show it at once, not after its state frame (which adds
      // the rest), so the shopper's own message never blinks out in between.
      clearLog(); conversationId = frame.conversation_id; save("conversation", conversationId);
    }
    var isNew = addMessage(frame.message, true);
    if (!frame.client_id) resumeId = Math.max(resumeId, frame.message.id);
    if (frame.message.author_kind !== "shopper") showTyping(null);
    if (conversationState === "closed" || conversationState === null) conversationState = "queued";
    setInProgress(true);
    if (isNew && frame.message.author_kind !== "shopper" && !panelOpen) {
      unread += 1; save("unread", unread); renderBadge();
    }
  }
  function onError(frame) {
    // The page report is best effort: the shopper is not told about it.
    if (frame.ref === "context") return;
    if (frame.code === "invalid_token" || (frame.ref === "hello" && frame.code === "forbidden")) {
      // A token or a remembered conversation the server no longer accepts: start clean, reconnect.
      if (frame.code === "invalid_token") save("token", null);
      else { conversationId = null; save("conversation", null); }
      if (socket) socket.close();
      return;
    }
    if (frame.code === "rate_limited" && frame.client_id && pending[frame.client_id]) {
      // Too fast: nothing was stored. The words go back into the box to send again in a moment.
      var unsent = outbox.filter(function (item) { return item.client_id === frame.client_id; })[0];
      dropFromOutbox(frame.client_id, false);
      if (unsent) { input.value = input.value ? input.value + "\n" + unsent.text : unsent.text; checkLength(); }
      return showNotice(frame.message || "");
    }
    if (frame.code === "unavailable") {
      // Nothing was stored: the text stays in the outbox and goes out again after the reconnect.
      for (var id in pending) pending[id].querySelector(".sbw-who").textContent = t("retrying");
      return showNotice(t("unavailable"));
    }
    if (frame.client_id && pending[frame.client_id]) {
      var node = pending[frame.client_id];
      node.classList.remove("sbw-pending"); node.classList.add("sbw-failed");
      node.querySelector(".sbw-who").textContent = t("failed", { e: frame.message });
      delete pending[frame.client_id];
      dropFromOutbox(frame.client_id, true);
      return;
    }
    showNotice(frame.message || "");
  }

  // --- rendering ------------------------------------------------------------------------------------
  function clearLog() {
    byId = {}; resumeId = 0;
    while (log.firstChild) log.removeChild(log.firstChild);
    renderGreeting();
    (orderNotices || []).forEach(function (node) { log.appendChild(node); });
    outbox.forEach(renderPending);
  }
  function bubble(kind, who, text) {
    return el("div", { class: "sbw-msg sbw-" + kind }, [el("span", { class: "sbw-who", text: who }), el("span", { class: "sbw-text", text: text })]);
  }
  // A file of the conversation: pictures (by their bytes, the server says) as thumbnails, the rest
  // as a download link. The link is the server's signed one; nothing of the file runs here.
  function attachmentNode(a) {
    var href = origin + a.url;
    if (a.inline) {
      return el("a", { href: href, target: "_blank", rel: "noopener noreferrer", class: "sbw-filelink" }, [
        el("img", { src: href, alt: a.name, class: "sbw-thumb", loading: "lazy" })
      ]);
    }
    return el("a", { href: href, download: a.name, rel: "noopener noreferrer", class: "sbw-filelink", text: a.name });
  }
  function addMessage(m, live) {
    var existing = byId[m.id];
    if (existing) { existing.querySelector(".sbw-text").textContent = m.text; return false; }
    var who = m.author_kind === "shopper" ? t("you") : m.author_kind === "system" ? t("support") : m.author_name || t("someone");
    var node = bubble(m.author_kind === "shopper" ? "shopper" : m.author_kind === "system" ? "system" : "operator", who, m.text);
    (m.attachments || []).forEach(function (a) { node.appendChild(attachmentNode(a)); });
    node.setAttribute("data-id", m.id);
    byId[m.id] = node;
    // Keep id order even if a replay and a live frame cross; pending bubbles stay last.
    var before = null;
    for (var child = log.firstChild; child; child = child.nextSibling) {
      var id = Number(child.getAttribute("data-id"));
      if (!child.hasAttribute("data-id") || id > m.id) { before = child; break; }
    }
    log.insertBefore(node, before);
    if (live || !before) log.scrollTop = log.scrollHeight;
    return true;
  }
  function renderPending(item) {
    var node = bubble("shopper sbw-pending", t("sending"), item.text);
    pending[item.client_id] = node;
    log.appendChild(node);
    log.scrollTop = log.scrollHeight;
  }
  function dropFromOutbox(clientId, keepNode) {
    outbox = outbox.filter(function (item) { return item.client_id !== clientId; });
    save("outbox", outbox);
    if (pending[clientId] && !keepNode) { log.removeChild(pending[clientId]); delete pending[clientId]; }
  }
  function positionText(position, waitSeconds, nobodyOnline) {
    if (!position) return "";
    var text = t("position", { n: position });
    if (nobodyOnline) return text + ". " + t("nobodyOnline");
    if (waitSeconds !== null && waitSeconds !== undefined) text += t("wait", { m: Math.max(1, Math.round(waitSeconds / 60)) });
    return text;
  }
  function setOffer(kind) {
    offerKind = kind;
    offer.hidden = kind !== "wait" && kind !== "closed";
    offerText.textContent = kind === "closed" ? t("offerClosed") : kind === "wait" ? t("offerWait") : "";
  }
  function onOfferClick() {
    keepChat = offerKind === "wait";
    offline.thanks.hidden = true;
    showOffline();
  }
  // While queued the wait is asked again now and then: it follows the queue, not the first guess.
  setInterval(function () { if (conversationState === "queued" && ready) send({ type: "position" }); }, 20000);
  function renderStatus() {
    var text = "";
    if (conversationState === "active") text = t("operator", { name: operatorName || t("someone") });
    else if (conversationState === "queued") text = queueText || t("waiting");
    else if (conversationState === "closed") text = unansweredClose ? t("unanswered") : t("closed");
    status.textContent = text;
    endButton.hidden = !(conversationState === "active" || conversationState === "queued");
    if (endButton.hidden && endConfirm) endConfirm.hidden = true; // nothing left to end
  }
  function renderBadge() {
    badge.hidden = !unread;
    badge.textContent = unread > 99 ? "99+" : String(unread);
    button.setAttribute("aria-label", t("open") + (unread ? t("unread", { n: unread }) : ""));
  }
  function showTyping(name) {
    clearTimeout(typingTimer);
    typing.textContent = name === null ? "" : t("typing", { name: name || t("someone") });
    if (name !== null) typingTimer = setTimeout(function () { typing.textContent = ""; }, 4000);
  }
  // --- order notices: a late parcel, told unasked to a shopper who agreed (PROTOCOL.md, order.notice).
  // Kept across log redraws; the text is the shop's, so it goes in as text only.
  var orderNotices = [];
  function showOrderNotice(n) {
    if (!n || typeof n.text !== "string" || log.querySelector('[data-notice="' + Number(n.id) + '"]')) return;
    var node = bubble("system sbw-ordernotice", t("support"), n.text);
    node.setAttribute("data-notice", String(Number(n.id)));
    (Array.isArray(n.links) ? n.links : []).forEach(function (item) {
      var link = item && httpUrl(item.url);
      if (link) node.appendChild(el("a", { href: link, target: "_blank", rel: "noopener noreferrer", class: "sbw-filelink", text: String(item.label || link) }));
    });
    if (n.help && typeof n.help.text === "string") {
      var helpButton = el("button", { type: "button", class: "sbw-noticehelp", text: String(n.help.label || ""), onclick: function () {
        // The pre-shot path when the order is known: the chat is then about it, not only worded so.
        if (n.order_number) askAboutOrder(String(n.order_number), n.rule_id || null, helpButton);
        else askForHelp(n.help.text);
      } });
      node.appendChild(helpButton);
    }
    orderNotices.push(node);
    log.appendChild(node); log.scrollTop = log.scrollHeight;
  }
  // "Still need help" under a notice: its text (the order and the question) opens the chat.
  function askForHelp(text) {
    showChat();
    input.value = text.slice(0, MAX_CHARS);
    onSubmit({ preventDefault: function () {} });
  }
  function showNotice(text, ok) { notice.textContent = text; notice.classList.toggle("sbw-ok", !!ok); }

  // --- greeting: the shop's welcome line, first in the log of every chat (stored nowhere) ----------
  var greetingText = load("greeting." + lang, "");
  function setGreeting(text) {
    if (typeof text !== "string" || text === greetingText) return;
    greetingText = text; save("greeting." + lang, text); renderGreeting();
  }
  function loadGreeting() {
    fetch(API + "status/?lang=" + lang).then(function (r) { return r.json(); })
      .then(function (data) { setGreeting(data.greeting); }, function () { /* the cached one stays */ });
  }
  function renderGreeting() {
    var node = log.querySelector(".sbw-greeting");
    if (!greetingText) { if (node) log.removeChild(node); return; }
    if (!node) {
      // Not a .sbw-msg: it is no stored message, and counts of the shopper's messages skip it.
      node = bubble("system", t("support"), "");
      node.className = "sbw-greeting";
      node.setAttribute("data-id", "0"); // sorts before every stored message
      log.insertBefore(node, log.firstChild);
    }
    node.querySelector(".sbw-text").textContent = greetingText;
  }

  // --- rating and questionnaire -------------------------------------------------------------------
  function showRating(id) {
    rateConversation = id || conversationId; pickStars(0); rateComment.value = "";
    rateForm.hidden = false;
    keepLastInView();
    if (panelOpen) starButtons[0].focus({ preventScroll: true });
  }
  // The prompt takes room below the list: the list keeps its end (the last reply) in view.
  function keepLastInView() { log.scrollTop = log.scrollHeight; }
  function hideRating() { rateForm.hidden = true; rateConversation = null; }
  function pickStars(n) {
    rateStars = n;
    starButtons.forEach(function (b, i) {
      b.textContent = i < n ? "\u2605" : "\u2606"; b.setAttribute("aria-pressed", String(i + 1 === n));
    });
  }
  function onRateSubmit(event) {
    event.preventDefault();
    if (!rateStars) return showNotice(t("chooseStars"));
    send({ type: "rate", conversation_id: rateConversation, stars: rateStars, comment: rateComment.value });
  }
  function showQuestionnaire(path) {
    var src = origin + path + (path.indexOf("?") < 0 ? "?" : "&") + "lang=" + lang;
    if (questionnaire.getAttribute("src") !== src) questionnaire.setAttribute("src", src);
    questionnaire.hidden = false;
  }
  function hideQuestionnaire() { questionnaire.hidden = true; questionnaire.removeAttribute("src"); }

  // --- length: a paste over the limit is refused here, visibly, and stays in the box ---------------
  // (no maxlength on the box: the browser would cut a paste short without a word)
  function checkLength() {
    var over = input.value.length > MAX_CHARS;
    counter.hidden = !over;
    counter.textContent = over ? t("overLimit", { count: input.value.length, n: MAX_CHARS }) : "";
    input.setAttribute("aria-invalid", over ? "true" : "false");
    sendButton.disabled = over;
    return over;
  }

  // --- help search ---------------------------------------------------------------------------------
  function getHelp(query) {
    return fetch(HELP_SEARCH + "?lang=" + lang + "&q=" + encodeURIComponent(query))
      .then(function (r) { return r.json().then(function (data) { if (!r.ok) throw data.error || {}; return data; }); });
  }
  function showHelp() {
    if (inProgress()) { help.hidden = true; return; } // aside while a chat is in progress, back after it
    if (helpLabels) { help.hidden = false; return; }
    getHelp("").then(function (data) {
      var L = helpLabels = data.labels;
      helpTitle.textContent = L.title;
      helpInput.setAttribute("placeholder", L.placeholder); helpInput.setAttribute("aria-label", L.placeholder);
      helpButton.textContent = L.search;
      answers.setAttribute("aria-label", L.results);
      help.hidden = inProgress();
    }, function () { /* no help search today: the chat still works */ });
  }
  function onHelpSubmit(event) { event.preventDefault(); clearTimeout(helpTimer); searchHelp(); }
  function searchHelp() {
    var query = helpInput.value.trim(), asked = ++helpAsked;
    if (!query) { while (answers.firstChild) answers.removeChild(answers.firstChild); return; }
    getHelp(query).then(function (data) {
      if (asked !== helpAsked) return; // a newer question is on its way
      while (answers.firstChild) answers.removeChild(answers.firstChild);
      if (!data.results.length) answers.appendChild(el("li", { class: "sbw-nohelp", text: helpLabels.nothing }));
      data.results.forEach(function (r) {
        answers.appendChild(el("li", { class: "sbw-answer", "data-article-id": String(r.article_id) }, [
          el("a", { href: r.url, target: "_blank", rel: "noopener", text: r.title }),
          el("p", { text: r.summary })
        ]));
      });
    }, function (error) {
      if (asked !== helpAsked) return;
      while (answers.firstChild) answers.removeChild(answers.firstChild);
      answers.appendChild(el("li", { class: "sbw-nohelp", text: (error && error.message) || "" }));
    });
  }

  // --- pre-shot: the order's stage and its questions (only for a shop's signed-in customer) --------
  function preshotRequest(path, body) {
    return ensureToken().then(function (token) {
      if (!body) {
        return fetch(API + "preshot/" + path + (path.indexOf("?") < 0 ? "?" : "&") + "token=" + encodeURIComponent(token))
          .then(function (r) { return r.json().then(function (data) { if (!r.ok) throw data.error || {}; return data; }); });
      }
      body.token = token;
      return postJSON("preshot/" + path, body);
    }).then(null, function (error) {
      if (error && error.code === "invalid_token") save("token", null); // a fresh one next time
      throw error;
    });
  }
  function showPreshot() {
    if (inProgress()) { preshotView.hidden = true; return; }
    if (preshotAsked) { preshotView.hidden = !preshotData; return; }
    if (!customer()) return; // an anonymous visitor has no orders to show
    preshotAsked = true;
    preshotRequest("?lang=" + lang).then(function (data) {
      if (!data.order) return;
      preshotData = data;
      renderPreshot(data);
      preshotView.hidden = inProgress();
      preshotRequest("notices/").then(renderConsent, function () { /* the box stays unticked */ });
    }, function () { preshotAsked = false; /* the chat and the help search work without it */ });
  }
  function daysAgo(iso) {
    var since = Date.parse(iso);
    if (isNaN(since) || !window.Intl || !Intl.RelativeTimeFormat) return "";
    var days = Math.max(0, Math.floor((Date.now() - since) / 86400000));
    return new Intl.RelativeTimeFormat(lang, { numeric: "auto" }).format(-days, "day");
  }
  function renderPreshot(data) {
    stageLine.textContent = t("preshotStage", {
      number: data.order.number, status: data.order.status_label, ago: daysAgo(data.order.stage_since)
    }).trim();
    while (questionList.firstChild) questionList.removeChild(questionList.firstChild);
    questionsTitle.hidden = !data.suggestions.length; // a stage without questions: the stage alone
    data.suggestions.forEach(function (suggestion) {
      var answer = el("div", { class: "sbw-qanswer", hidden: "" });
      var question = el("button", {
        type: "button", class: "sbw-question", "aria-expanded": "false", "data-rule-id": String(suggestion.rule_id),
        text: suggestion.question
      });
      question.addEventListener("click", function () { toggleAnswer(suggestion, question, answer); });
      questionList.appendChild(el("li", {}, [question, answer]));
    });
  }
  // One tap opens the answer: the article's title and summary, its link, the action, "still need help".
  function toggleAnswer(suggestion, question, answer) {
    var opening = answer.hidden;
    answer.hidden = !opening; question.setAttribute("aria-expanded", String(opening));
    if (!opening || answer.firstChild) return;
    var parts = [el("strong", { text: suggestion.answer.title }), el("p", { text: suggestion.answer.summary })];
    var read = httpUrl(suggestion.answer.url);
    if (read) parts.push(el("a", { href: read, target: "_blank", rel: "noopener", text: t("preshotRead") }));
    var act = suggestion.action && httpUrl(suggestion.action.url);
    if (act) parts.push(el("a", { class: "sbw-action", href: act, target: "_blank", rel: "noopener", text: suggestion.action.label }));
    var stillButton = el("button", { type: "button", class: "sbw-stillhelp", text: t("preshotHelp") });
    stillButton.addEventListener("click", function () { stillNeedHelp(suggestion, stillButton); });
    parts.push(stillButton);
    parts.forEach(function (part) { answer.appendChild(part); });
    preshotRequest("opened/", { order: preshotData.order.number, rule_id: suggestion.rule_id, lang: lang })
      .then(null, function () { /* only the figures miss it */ });
  }
  // The chat opens with the order and the question attached: the shopper never repeats themselves.
  function stillNeedHelp(suggestion, pressed) {
    askAboutOrder(preshotData.order.number, suggestion.rule_id, pressed);
  }
  function askAboutOrder(orderNumber, ruleId, pressed) {
    pressed.disabled = true;
    var clientId = pressed.getAttribute("data-client-id") || uuid();
    pressed.setAttribute("data-client-id", clientId); // a retry of the same press opens nothing new
    preshotRequest("help/", {
      order: orderNumber, rule_id: ruleId, lang: lang, client_id: clientId
    }).then(function (data) {
      hideBefore();
      setInProgress(true);
      conversationId = data.conversation_id; save("conversation", conversationId);
      showChat();
      // Follow the new conversation: the replay brings the question as the first message.
      if (socket) socket.close(); else connect();
    }, function (error) { pressed.disabled = false; showNotice((error && error.message) || t("error")); });
  }
  function renderConsent(data) {
    consentBox.checked = !!data.agreed; consentBox.disabled = false;
    consentNote.textContent = data.agreed ? t("preshotConsented") : "";
  }
  // Ticked: agree to notices about this order; unticked again: withdraw (they come unasked).
  consentBox.addEventListener("change", function () {
    if (!preshotData) return;
    var agree = consentBox.checked;
    consentBox.disabled = true;
    var body = agree ? { order: preshotData.order.number } : { agreed: false };
    preshotRequest("notices/", body).then(renderConsent, function (error) {
      consentBox.checked = !agree; consentBox.disabled = false; showNotice((error && error.message) || t("error"));
    });
  });
  function hideBefore() { help.hidden = true; preshotView.hidden = true; }

  // --- shopper actions ------------------------------------------------------------------------------
  function openPanel() {
    panelOpen = true; save("open", true);
    panel.hidden = false; root.classList.add("sbw-open");
    button.setAttribute("aria-expanded", "true");
    unread = 0; save("unread", 0); renderBadge();
    showPreshot(); showHelp();
    if (inProgress() || conversationId) { showChat(); connect(); loadGreeting(); }
    else {
      fetch(API + "status/?lang=" + lang).then(function (r) { return r.json(); }).then(function (data) {
        setGreeting(data.greeting);
        if (data.online) { showChat(); connect(); } else showOffline();
      }, function () { showChat(); connect(); });
    }
  }
  function closePanel() {
    panelOpen = false; save("open", false);
    panel.hidden = true; root.classList.remove("sbw-open");
    button.setAttribute("aria-expanded", "false");
    button.focus();
    releaseIfIdle();
  }
  function toggle() { if (panelOpen) closePanel(); else openPanel(); }
  function showChat() {
    offline.form.hidden = true; chatView.hidden = false;
    // Not away from a box the shopper is typing in (the help search): their words would land in the chat.
    var typingIn = document.activeElement;
    if (!(typingIn && typingIn !== input && panel.contains(typingIn) && /^(INPUT|TEXTAREA)$/.test(typingIn.tagName))) input.focus();
  }
  function showOffline() {
    offline.intro.textContent = keepChat ? t("keepIntro") : t("offlineIntro");
    chatView.hidden = true; offline.form.hidden = false; offline.name.focus();
  }
  function onSubmit(event) {
    event.preventDefault();
    var text = input.value;
    if (!text.trim()) return;
    if (text.length > MAX_CHARS) return checkLength();
    var item = { client_id: uuid(), text: text };
    hideBefore(); // the shopper chose to chat
    outbox.push(item); save("outbox", outbox);
    renderPending(item);
    input.value = ""; checkLength();
    send({ type: "message", text: item.text, client_id: item.client_id });
    if (!socket) connect();
  }
  function uploadFile(file) {
    var clientId = uuid();
    var node = bubble("shopper sbw-pending", t("uploading", { name: file.name || "" }), "");
    log.appendChild(node); log.scrollTop = log.scrollHeight;
    function failed(message) {
      node.classList.remove("sbw-pending"); node.classList.add("sbw-failed");
      node.querySelector(".sbw-who").textContent = t("fileFailed", { e: message || "" });
    }
    ensureToken().then(function (token) {
      var body = new FormData();
      body.append("token", token); body.append("client_id", clientId); body.append("language", lang);
      if (conversationId && (conversationState === "queued" || conversationState === "active")) body.append("conversation_id", String(conversationId));
      body.append("file", file, file.name || "photo.jpg");
      return fetch(API + "upload/?language=" + lang, { method: "POST", body: body }).then(function (response) {
        return response.json().then(function (data) {
          if (!response.ok) throw new Error((data.error && data.error.message) || response.statusText);
          return data;
        }, function () { throw new Error(response.statusText); });
      });
    }).then(function (data) {
      log.removeChild(node);
      setInProgress(true);
      if (data.conversation_id !== conversationId) {
        // The file opened a conversation: follow it (the replay brings the file's message).
        conversationId = data.conversation_id; save("conversation", conversationId);
        if (socket) { socket.close(); } else connect();
        return;
      }
      addMessage(data.message, true);
      resumeId = Math.max(resumeId, data.message.id);
    }, function (error) { failed(error && error.message); });
  }
  function uploadAll(files) { Array.prototype.forEach.call(files || [], uploadFile); }
  fileInput.addEventListener("change", function () { uploadAll(fileInput.files); fileInput.value = ""; });
  cameraInput.addEventListener("change", function () { uploadAll(cameraInput.files); cameraInput.value = ""; });
  input.addEventListener("paste", function (event) {
    var files = event.clipboardData && event.clipboardData.files;
    if (files && files.length) { event.preventDefault(); uploadAll(files); }
  });
  panel.addEventListener("dragover", function (event) {
    if (event.dataTransfer && Array.prototype.indexOf.call(event.dataTransfer.types || [], "Files") >= 0) {
      event.preventDefault(); root.classList.add("sbw-dropping");
    }
  });
  panel.addEventListener("dragleave", function (event) { if (event.target === panel) root.classList.remove("sbw-dropping"); });
  panel.addEventListener("drop", function (event) {
    root.classList.remove("sbw-dropping");
    if (event.dataTransfer && event.dataTransfer.files && event.dataTransfer.files.length) { event.preventDefault(); uploadAll(event.dataTransfer.files); }
  });
  input.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) { event.preventDefault(); compose.requestSubmit ? compose.requestSubmit() : onSubmit(event); }
  });
  input.addEventListener("input", function () {
    checkLength();
    var now = Date.now();
    if (conversationId && now - lastTypingSent > 2000) { lastTypingSent = now; send({ type: "typing" }); }
  });
  panel.addEventListener("keydown", function (event) { if (event.key === "Escape") closePanel(); });
  // --- ending: one press asks, the second (a clearly named button) ends --------------------------
  var endConfirm = el("div", { class: "sbw-confirm", role: "alertdialog", "aria-label": t("confirmEnd"), hidden: "" }, [
    el("p", { text: t("confirmEnd") }),
    el("button", { type: "button", class: "sbw-yes", text: t("endYes"), onclick: confirmEnd }),
    el("button", { type: "button", class: "sbw-no", text: t("endNo"), onclick: cancelEnd })
  ]);
  panel.insertBefore(endConfirm, chatView);
  function endChat() {
    endConfirm.hidden = false;
    endConfirm.querySelector(".sbw-no").focus();
  }
  function confirmEnd() { endConfirm.hidden = true; send({ type: "close" }); input.focus(); }
  function cancelEnd() { endConfirm.hidden = true; endButton.focus(); }
  function onOfflineSubmit(event) {
    event.preventDefault();
    var f = offline;
    if (!f.email.value.trim() && !f.phone.value.trim()) return showNotice(t("needContact"));
    if (f.message.value.length > MAX_CHARS) { f.message.focus(); return showNotice(t("tooLong", { n: MAX_CHARS })); }
    if (keepChat && conversationState === "queued") return leaveContactKeepingChat(f); // the words are optional
    if (!f.message.value.trim()) return f.message.focus();
    var clientId = f.form.getAttribute("data-client-id") || uuid();
    f.form.setAttribute("data-client-id", clientId);
    ensureToken().then(function (token) {
      return postJSON("offline/", {
        token: token, name: f.name.value, email: f.email.value, phone: f.phone.value,
        text: f.message.value, client_id: clientId, language: lang, page: location.href
      });
    }).then(function (data) {
      conversationId = data.conversation_id; save("conversation", conversationId); setInProgress(true);
      f.thanks.textContent = t("thanks"); f.thanks.hidden = false; showNotice("");
      setTimeout(function () { showChat(); connect(); }, 1200);
    }, function (error) { showNotice((error && error.message) || t("error")); });
  }

  // Waiting in the queue: the contact goes with this chat, the words as its next message.
  function leaveContactKeepingChat(f) {
    send({ type: "contact", name: f.name.value, email: f.email.value, phone: f.phone.value });
    var text = f.message.value;
    if (text.trim()) {
      var item = { client_id: uuid(), text: text };
      outbox.push(item); save("outbox", outbox); renderPending(item);
      send({ type: "message", text: item.text, client_id: item.client_id });
    }
    f.message.value = ""; keepChat = false;
    showChat();
  }

  // Hook for a second entry point: a consultation opens its own conversation in another queue.
  // Listeners of "switchboard:consultation" may call event.preventDefault() and run their own flow
  // (a questionnaire), then call SwitchboardWidget.openConversation("stylist") themselves.
  function startConsultation(queue) {
    var event = new CustomEvent("switchboard:consultation", { cancelable: true, detail: { queue: queue || "stylist" } });
    if (window.dispatchEvent(event)) openConversation(queue || "stylist");
  }
  function openConversation(queue) {
    if (!panelOpen) openPanel();
    showChat(); setInProgress(true);
    if (ready) send({ type: "open", queue: queue });
    else {
      var once = function () { if (ready) send({ type: "open", queue: queue }); else setTimeout(once, 100); };
      connect(); once();
    }
  }
  if (cfg.stylist === "on") {
    actions.appendChild(el("button", { type: "button", text: t("stylist"), "aria-label": t("stylist"), onclick: function () { startConsultation("stylist"); } }));
    actions.hidden = false;
  }

  var hooks = window.SwitchboardWidget = {
    open: openPanel, close: closePanel, startConsultation: startConsultation, openConversation: openConversation,
    setCart: setCart, language: lang
  };

  function mount() {
    document.head.appendChild(style);
    document.body.appendChild(root);
    renderBadge(); renderStatus();
    renderGreeting();
    outbox.forEach(renderPending);
    if (load("open", false)) openPanel();
    else if (inProgress()) connect();
    early.splice(0).forEach(function (call) { hooks[call[0]].apply(null, call[1]); });
  }
  if (document.body) mount(); else document.addEventListener("DOMContentLoaded", mount);
});
