/* Type-ahead filter fields over large tables (issue 11): no inline script (CSP), marked by
 *   <span data-cso-typeahead="/ledger/choices/officer">
 *     <input type="hidden" name="officer"> <input type="search" list="…"> <datalist id="…">
 * Typing asks the scoped JSON endpoint (?q=…) for at most 20 names; choosing one puts its id into
 * the hidden field; clearing the text clears the filter. */
(function () {
  "use strict";
  function setup(box) {
    var url = box.getAttribute("data-cso-typeahead");
    var hidden = box.querySelector("input[type=hidden]");
    var text = box.querySelector("input[type=search]");
    var list = box.querySelector("datalist");
    var found = {};
    var timer = null;
    var asked = 0;
    var initial = text.value.trim();
    function pick() {
      var name = text.value.trim();
      if (Object.prototype.hasOwnProperty.call(found, name)) { hidden.value = String(found[name]); }
      else if (name !== initial) { hidden.value = ""; }  // a name not (yet) chosen from the list filters nothing
    }
    function ask() {
      var mine = ++asked;
      var xhr = new XMLHttpRequest();
      xhr.open("GET", url + "?q=" + encodeURIComponent(text.value.trim()));
      xhr.setRequestHeader("Accept", "application/json");
      xhr.onload = function () {
        if (mine !== asked || xhr.status !== 200) { return; }
        var items = JSON.parse(xhr.responseText).items || [];
        found = {};
        while (list.firstChild) { list.removeChild(list.firstChild); }
        items.forEach(function (item) {
          found[item.name] = item.id;
          var option = document.createElement("option");
          option.value = item.name;
          list.appendChild(option);
        });
        pick();
      };
      xhr.send();
    }
    text.addEventListener("input", function () {
      pick();
      if (timer) { window.clearTimeout(timer); }
      timer = window.setTimeout(ask, 200);
    });
    text.addEventListener("change", pick);
    if (box.closest("form")) { box.closest("form").addEventListener("submit", pick); }
  }
  document.addEventListener("DOMContentLoaded", function () {
    Array.prototype.forEach.call(document.querySelectorAll("[data-cso-typeahead]"), setup);
  });
}());
