// The demo shop's cart: what a shop does to show the operator the shopper's cart.
(function () {
  "use strict";
  var items = [];
  function publish() {
    var total = items.reduce(function (sum, item) { return sum + item.price * item.quantity; }, 0);
    document.getElementById("cart-count").textContent = String(items.reduce(function (n, item) { return n + item.quantity; }, 0));
    if (window.SwitchboardWidget) window.SwitchboardWidget.setCart({ items: items, total: total, currency: "RUB" });
  }
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest(".add-to-cart");
    if (!button) return;
    var product = button.closest(".product");
    var name = product.querySelector("h2").textContent;
    var price = Number(product.querySelector(".price").dataset.price);
    var line = items.filter(function (item) { return item.name === name; })[0];
    if (line) line.quantity += 1; else items.push({ name: name, quantity: 1, price: price });
    publish();
  });
})();
