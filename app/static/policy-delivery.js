/* 记录政策宣传 (app/templates/policies/delivery_form.html): with a visit picked in 关联走访 the
 * delivery's day is the visit's, so the 送达日期 field is hidden and disabled and the visit's day shown. */
(function () {
  "use strict";
  var select = document.querySelector("select[data-cso-visit-day]");
  if (!select) { return; }
  var own = document.getElementById("f-day-own");
  var input = document.getElementById("f-day");
  var note = document.getElementById("f-day-visit");
  function sync() {
    var option = select.options[select.selectedIndex];
    var day = option && option.value ? option.getAttribute("data-day") : "";
    if (own) { own.hidden = !!day; }
    if (input) { input.disabled = !!day; }
    if (note) {
      note.hidden = !day;
      note.querySelector("[data-cso-day]").textContent = day ? " " + day : "";
    }
  }
  select.addEventListener("change", sync);
  sync();
}());
