/* The leaders' dashboard (app/dashboard, docs/architecture.md#security): draws every
 *   <div data-cso-chart="NAME">
 * from its attribute data-cso-option='…' that the server wrote with |tojson (single-quoted, as Flask
 * escapes ' < > & in it; no inline script under the CSP) ({"option": an ECharts option, "clicks": {series index: [url per point]}}).
 * JSON.parse only — no eval, no functions in options; SVG renderer (crisp when printed). A click
 * on a bar or slice opens the list behind it. */
(function () {
  "use strict";
  if (typeof window.echarts === "undefined") { return; }
  var charts = [];
  function draw(el) {
    var text = el.getAttribute("data-cso-option");
    if (!text) { return; }
    var data = JSON.parse(text);
    var chart = window.echarts.init(el, null, { renderer: "svg", locale: "ZH" });
    chart.setOption(data.option);
    chart.on("click", function (params) {
      var urls = data.clicks && data.clicks[String(params.seriesIndex)];
      var url = urls && urls[params.dataIndex];
      if (url && url.charAt(0) === "/") { window.location.href = url; }
    });
    charts.push(chart);
  }
  Array.prototype.forEach.call(document.querySelectorAll("[data-cso-chart]"), draw);
  function resize() { charts.forEach(function (c) { c.resize(); }); }
  window.addEventListener("resize", resize);
  window.addEventListener("beforeprint", resize);
  window.addEventListener("afterprint", resize);
}());
