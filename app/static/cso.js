/* The portal's only script of its own (docs/architecture.md#security): the Content-Security-Policy
 * allows scripts from the portal itself, and FAB's inline ones by a per-request nonce — never inline
 * event handlers. Templates mark elements instead:
 *   <form data-confirm="确定…吗？">   asks before the form is sent
 *   <button data-cso-print>           prints the page
 *   <a href="/" data-cso-back>        goes back (the href is the fallback)
 *   <a href="/logout/" data-cso-logout> posts #cso-logout-form (the GET page asks to confirm) */
(function () {
  "use strict";
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var message = form && form.getAttribute && form.getAttribute("data-confirm");
    if (message && !window.confirm(message)) {
      event.preventDefault();
      event.stopImmediatePropagation();
    }
  }, true);
  document.addEventListener("click", function (event) {
    var el = event.target && event.target.closest &&
      event.target.closest("[data-cso-print],[data-cso-back],[data-cso-logout]");
    if (!el) { return; }
    if (el.hasAttribute("data-cso-print")) {
      event.preventDefault();
      window.print();
    } else if (el.hasAttribute("data-cso-back")) {
      if (window.history.length > 1) { event.preventDefault(); window.history.back(); }
    } else if (el.hasAttribute("data-cso-logout")) {
      var form = document.getElementById("cso-logout-form");
      if (form) { event.preventDefault(); form.submit(); }
    }
  });
}());
