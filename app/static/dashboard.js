/* The leaders' dashboard (app/dashboard, docs/architecture.md#security).
 *
 * The page (/dashboard/) holds one card per chart, <section data-cso-load="/api/v1/dashboard/NAME?filters">:
 * each is fetched from its endpoint with the session ({"title", "definition", "as_of", "option", "table",
 * "tiles", "clicks"}) and drawn here — the tiles (KPI), the chart, the definition, the data table under it
 * (<details>, every number linked to the list behind it) and the 下载Excel link. Built with
 * createElement/textContent only (no innerHTML of data); links only to this server ("/…").
 *
 * The static page (?render=server) writes <div data-cso-chart="NAME" data-cso-option='…'> with |tojson
 * (single-quoted, as Flask escapes ' < > & in it; no inline script under the CSP).
 * JSON.parse only — no eval, no functions in options; SVG renderer (crisp when printed). A click
 * on a bar or slice opens the list behind it. */
(function () {
  "use strict";
  var charts = [];
  function local(url) { return typeof url === "string" && url.charAt(0) === "/" && url.charAt(1) !== "/"; }
  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text !== undefined && text !== null) { node.textContent = String(text); }
    return node;
  }
  function link(url, text) {
    if (!local(url)) { return document.createTextNode(text === null || text === undefined ? "" : String(text)); }
    return el("a", { href: url }, text);
  }
  function plot(node, data) {
    if (typeof window.echarts === "undefined") { return; }
    var chart = window.echarts.init(node, null, { renderer: "svg", locale: "ZH" });
    chart.setOption(data.option);
    chart.on("click", function (params) {
      var urls = data.clicks && data.clicks[String(params.seriesIndex)];
      var url = urls && urls[params.dataIndex];
      if (local(url)) { window.location.href = url; }
    });
    charts.push(chart);
  }
  function draw(node) {
    var text = node.getAttribute("data-cso-option");
    if (text) { plot(node, JSON.parse(text)); }
  }
  function tiles(data) {
    var box = el("div", { "class": "cso-tiles" });
    (data.tiles || []).forEach(function (t) {
      var tile = el("div", { "class": "cso-tile", title: t.definition || "" });
      tile.appendChild(el("div", {}, t.name));
      var num = el("div", { "class": "cso-num" });
      num.appendChild(link(t.url, t.value));
      tile.appendChild(num);
      tile.appendChild(el("div", { "class": "cso-last" }, "上期：" + (t.last === null || t.last === undefined ? "—" : t.last)));
      if (t.note) { tile.appendChild(el("div", { "class": "cso-last cso-tile-note" }, "（" + t.note + "）")); }
      box.appendChild(tile);
    });
    return box;
  }
  function table(data) {
    var rows = (data.table && data.table.rows) || [], cols = (data.table && data.table.columns) || [];
    var links = (data.table && data.table.links) || [];
    var details = el("details");
    details.appendChild(el("summary", {}, "数据表（" + rows.length + " 行）"));
    var tbl = el("table", { "class": "table table-bordered table-condensed cso-dash-table", "data-chart-table": data.title });
    var head = el("tr");
    cols.forEach(function (c) { head.appendChild(el("th", {}, c)); });
    tbl.appendChild(el("thead")).appendChild(head);
    var body = tbl.appendChild(el("tbody"));
    rows.forEach(function (row, r) {
      var tr = body.appendChild(el("tr"));
      row.forEach(function (cell, c) {
        var td = tr.appendChild(el("td"));
        var url = links[r] && links[r][c];
        td.appendChild(url ? link(url, cell) : document.createTextNode(cell === null || cell === undefined ? "" : String(cell)));
      });
    });
    if (!rows.length) { body.appendChild(el("tr")).appendChild(el("td", { colspan: String(cols.length || 1), "class": "text-muted" }, "没有数据。")); }
    details.appendChild(tbl);
    return details;
  }
  function fill(card, data) {
    var loading = card.querySelector(".cso-loading");
    if (loading) { card.removeChild(loading); }
    var h3 = card.querySelector("h3");
    if (h3 && h3.firstChild) { h3.firstChild.textContent = data.title + " "; }
    var asOf = card.querySelector(".cso-as-of");
    if (asOf) { asOf.textContent = "数据截至 " + data.as_of; }
    if (data.tiles) {
      card.appendChild(tiles(data));
    } else if (data.option) {
      var size = card.getAttribute("data-cso-size");
      var box = el("div", { "class": "cso-chart" + (size ? " cso-chart-" + size : ""), role: "img", "aria-label": data.title,
                           "data-cso-chart": card.id.replace("cso-chart-", "") });
      card.appendChild(box);
      plot(box, data);
    }
    card.appendChild(el("p", { "class": "cso-def" }, "口径：" + data.definition));
    card.appendChild(table(data));
    var xlsx = card.getAttribute("data-cso-xlsx");
    if (local(xlsx)) {
      var p = el("p", { "class": "cso-no-print" });
      var a = el("a", { "class": "btn btn-default btn-xs", href: xlsx }, " 下载Excel");
      a.insertBefore(el("i", { "class": "fa fa-file-excel-o" }), a.firstChild);
      p.appendChild(a);
      card.appendChild(p);
    }
  }
  function failed(card, message) {
    var loading = card.querySelector(".cso-loading");
    if (loading) {
      loading.className = "text-danger cso-loading";
      loading.textContent = message || "图表载入失败，请刷新页面重试。";
    }
  }
  function messageOf(body) {
    var m = body && body.message;
    if (typeof m === "string") { return m; }
    if (m && typeof m === "object") {
      var k = Object.keys(m)[0];
      return k ? String([].concat(m[k])[0]) : null;
    }
    return null;
  }
  function load(card) {
    var url = card.getAttribute("data-cso-load");
    if (!local(url) || typeof window.fetch !== "function") { return; }
    window.fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (resp) {
        return resp.json().then(function (body) { return { ok: resp.ok, body: body }; },
                                function () { return { ok: false, body: null }; });
      })
      .then(function (res) { if (res.ok) { fill(card, res.body); } else { failed(card, messageOf(res.body)); } })
      .catch(function () { failed(card); });
  }
  Array.prototype.forEach.call(document.querySelectorAll("[data-cso-chart][data-cso-option]"), draw);
  Array.prototype.forEach.call(document.querySelectorAll("[data-cso-load]"), load);
  function resize() { charts.forEach(function (c) { c.resize(); }); }
  window.addEventListener("resize", resize);
  window.addEventListener("beforeprint", resize);
  window.addEventListener("afterprint", resize);
}());
