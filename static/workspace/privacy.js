/* Managers only (home.html loads it for them): the customer panel links to the Customer data page,
 * where this customer's data is downloaded or erased (workspace/customer_data.py). The label comes
 * translated from the template, in the data-label attribute of this script's tag. */
(() => {
  "use strict";
  const label = document.currentScript.dataset.label;
  document.addEventListener("workspace:customer-panel", (event) => {
    const { contactId, element } = event.detail;
    const link = document.createElement("a");
    link.className = "customer-data-link";
    link.href = `/workspace/dashboards/customers/?q=${encodeURIComponent(`#${contactId}`)}`;
    link.textContent = label;
    const paragraph = document.createElement("p");
    paragraph.appendChild(link);
    element.appendChild(paragraph);
  });
})();
