/* The cashier's "Take payment" form (app/templates/fees/cashier/account.html): ticking unpaid lines
 * sets the amount to their total; unticking them all sets it back to everything owed (data-all).
 * Amounts are added in fen (whole numbers), never as floating-point yuan. No inline script (CSP). */
(function () {
  "use strict";
  var amount = document.querySelector("#payment-form input[name=amount][data-all]");
  if (!amount) { return; }

  function fen(text) {
    var match = /^(\d+)(?:\.(\d{1,2}))?$/.exec(String(text || "").replace(/,/g, "").trim());
    if (!match) { return 0; }
    return parseInt(match[1], 10) * 100 + parseInt(((match[2] || "") + "00").slice(0, 2), 10);
  }

  function yuan(total) {
    var cents = String(total % 100);
    return Math.floor(total / 100) + "." + (cents.length < 2 ? "0" + cents : cents);
  }

  document.addEventListener("change", function (event) {
    var box = event.target;
    if (!box.matches || !box.matches("input[name=lines][data-owed]")) { return; }
    var total = 0;
    Array.prototype.forEach.call(document.querySelectorAll("input[name=lines][data-owed]:checked"), function (b) {
      total += fen(b.getAttribute("data-owed"));
    });
    amount.value = total ? yuan(total) : amount.getAttribute("data-all");
  });
}());
