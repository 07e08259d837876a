/* A background job's page (app/jobs, templates/jobs/show.html): polls /jobs/<id>/status (the
 * session's cookie, same origin) every 1.5 s while the job is queued or running and moves the
 * progress bar; shows the download, the reason or the retry button when it ends. No inline script
 * (CSP); text set with textContent only. */
(function () {
  "use strict";
  var box = document.getElementById("cso-job");
  if (!box) { return; }
  var url = box.getAttribute("data-cso-job-status");
  var bar = document.getElementById("cso-job-bar");
  var fmt = function (n) { return (n === null || n === undefined) ? "" : Number(n).toLocaleString("zh-CN"); };
  function show(id, on) { var el = document.getElementById(id); if (el) { el.classList.toggle("hidden", !on); } }
  function render(d) {
    var pct = d.percent || 0;
    bar.style.width = pct + "%";
    bar.setAttribute("aria-valuenow", String(pct));
    bar.textContent = pct + "%";
    bar.classList.toggle("progress-bar-success", d.state === "done");
    bar.classList.toggle("progress-bar-danger", d.state === "failed");
    bar.classList.toggle("active", d.state === "queued" || d.state === "running");
    bar.classList.toggle("progress-bar-striped", d.state === "queued" || d.state === "running");
    document.getElementById("cso-job-state").textContent = d.state_label;
    document.getElementById("cso-job-finished").textContent = d.finished_at || "—";
    var count = document.getElementById("cso-job-count");
    if (d.total) {
      count.textContent = (d.state === "running" && d.done >= d.total ? (d.kind === "export" ? "正在生成文件…… " : "正在收尾…… ") : "") +
        "已处理 " + fmt(d.done) + " / " + fmt(d.total) + " " + (d.unit || "行");
    } else if (d.state === "queued" || d.state === "running") {
      count.textContent = d.state === "queued" ? "排队中，等待后台开始……" : "正在准备……";
    }
    var message = document.getElementById("cso-job-message");
    if (message) {
      message.textContent = d.message || "";
      message.classList.toggle("hidden", !d.message);
    }
    var reason = document.getElementById("cso-job-reason");
    reason.textContent = d.reason || "";
    show("cso-job-reason", d.state === "failed");
    show("cso-job-wait", d.state === "queued" || d.state === "running");
    if (d.result_url && d.result_url.charAt(0) === "/") {
      document.getElementById("cso-job-download").setAttribute("href", d.result_url);
      show("cso-job-result", true);
    }
    show("cso-job-retry", !!d.may_retry);
  }
  function poll() {
    var xhr = new XMLHttpRequest();
    xhr.open("GET", url, true);
    xhr.setRequestHeader("Accept", "application/json");
    xhr.onload = function () {
      if (xhr.status !== 200) { return; }
      var d;
      try { d = JSON.parse(xhr.responseText); } catch (e) { return; }
      render(d);
      if (d.state === "queued" || d.state === "running") { window.setTimeout(poll, 1500); }
    };
    xhr.onerror = function () { window.setTimeout(poll, 5000); };
    xhr.send();
  }
  var state = box.getAttribute("data-cso-job-state");
  if (state === "queued" || state === "running") { window.setTimeout(poll, 800); }
}());
