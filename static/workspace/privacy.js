/* Managers only (home.html loads it for them): the customer panel links to the Customer data page,
 * where this customer's data is downloaded or erased (workspace/customer_data.py). */
import { el } from "./dom.js";
import { T } from "./i18n.js";
import { registerCustomerSection } from "./panels.js";

registerCustomerSection({
  id: "customer-data",
  mount(root, context) {
    const href = `/workspace/dashboards/customers/?q=${encodeURIComponent(`#${context.contactId}`)}`;
    root.append(el("p", {}, [el("a", { className: "customer-data-link", href, text: T.customer_data })]));
  },
});
