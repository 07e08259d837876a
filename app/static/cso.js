/* The portal's only script of its own (docs/architecture.md#security): the Content-Security-Policy
 * allows scripts from the portal itself, and FAB's inline ones by a per-request nonce — never inline
 * event handlers. Templates mark elements instead:
 *   <form data-confirm="确定…吗？">   asks before the form is sent
 *   <button type="submit" data-confirm="…"> asks before that button sends its form
 *   <div data-cso-checklist>          a multi-select's checkboxes: a filter box and a "已选 N 项" count
 *   <button data-cso-print>           prints the page
 *   <a href="/" data-cso-back>        goes back (the href is the fallback)
 *   <a href="/logout/" data-cso-logout> posts #cso-logout-form (the GET page asks to confirm) */
(function () {
  "use strict";
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var button = event.submitter;
    var message = (button && button.getAttribute && button.getAttribute("data-confirm")) ||
      (form && form.getAttribute && form.getAttribute("data-confirm"));
    if (message && !window.confirm(message)) {
      event.preventDefault();
      event.stopImmediatePropagation();
    }
  }, true);
  function checklist(box) {
    var items = box.querySelectorAll("label.cso-check");
    var count = box.querySelector("[data-cso-checked]");
    var filter = box.querySelector("input[data-cso-filter]");
    function update() {
      if (count) { count.textContent = String(box.querySelectorAll("input[type=checkbox]:checked").length); }
    }
    box.addEventListener("change", update);
    if (filter) {
      filter.addEventListener("input", function () {
        var needle = filter.value.trim();
        Array.prototype.forEach.call(items, function (label) {
          label.style.display = !needle || label.textContent.indexOf(needle) >= 0 ? "" : "none";
        });
      });
    }
    update();
  }
  document.addEventListener("DOMContentLoaded", function () {
    Array.prototype.forEach.call(document.querySelectorAll("[data-cso-checklist]"), checklist);
  });
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
