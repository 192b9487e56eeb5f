/* Loaded (as a classic deferred script) before the workspace's modules: if one of them fails to
 * load or throws while starting, the operator is told to reload instead of facing a page that
 * silently does nothing, and the cause goes to the console. */
(() => {
  "use strict";
  const banner = document.getElementById("load-error");
  function broken(cause) {
    console.error("workspace failed to start:", cause);
    if (banner) banner.hidden = false;
  }
  for (const script of document.querySelectorAll("script[type=module]")) {
    script.addEventListener("error", () => broken(`could not load ${script.src} or a module it imports`));
  }
  window.addEventListener("error", (event) => {
    // Before the page is live, an error from our own modules means the workspace did not start.
    if (document.body.dataset.ready !== "true" && (event.filename || "").includes("/static/workspace/")) broken(event.message);
  });
})();
