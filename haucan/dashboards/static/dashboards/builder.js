/* The chart and pivot builder: every change redraws the preview from the server, which runs the
   same code as a saved dashboard item; Save posts the form and reports the result. */
(function () {
  "use strict";
  var form = document.getElementById("hc-builder");
  if (!form) { return; }
  var preview = document.getElementById("b-preview");
  var status = document.getElementById("b-status");
  var timer = null;

  function params() {
    var data = new FormData(form);
    var out = new URLSearchParams();
    out.set("dx", data.getAll("dx").join(";"));
    ["pe", "ou", "rows", "columns", "type", "max", "target", "suffix", "name"].forEach(function (k) {
      out.set(k, data.get(k) || "");
    });
    return out;
  }

  function show(body) {
    if (body.kind === "html") { Plotly.purge(preview); preview.innerHTML = body.html; return; }
    preview.innerHTML = "";
    Plotly.react(preview, body.figure.data, body.figure.layout, { responsive: true, displaylogo: false });
  }

  function refresh() {
    var p = params();
    if (!p.get("dx")) { return; }
    fetch(form.dataset.preview + "?" + p.toString(), { credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (body) {
        if (!body.ok) { preview.innerHTML = ""; preview.textContent = body.error; return; }
        show(body);
      });
  }

  form.addEventListener("change", function (event) {
    if (event.target.id === "b-pe") { document.getElementById("b-pe-text").value = event.target.value; }
    window.clearTimeout(timer);
    timer = window.setTimeout(refresh, 250);
  });

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var data = new FormData(form);
    data.set("dx", data.getAll("dx").join(";"));
    fetch(form.action, { method: "POST", body: data, credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (body) {
        status.className = body.ok ? "small text-success" : "small text-danger";
        status.textContent = body.ok ? "✓ " + body.code : body.error;
        if (body.ok && !form.querySelector("[name=vis]")) {
          var hidden = document.createElement("input");
          hidden.type = "hidden"; hidden.name = "vis"; hidden.value = body.uid;
          form.appendChild(hidden);
        }
      });
  });

  // Editing a saved visualisation: put its query back into the controls.
  var editing = JSON.parse(document.getElementById("b-editing").textContent);
  if (editing && editing !== "null") {
    if (typeof editing === "string") { editing = JSON.parse(editing); }
  }
  if (editing && editing.query) {
    var q = editing.query;
    Array.prototype.forEach.call(document.getElementById("b-dx").options, function (o) {
      o.selected = q.dx.indexOf(o.value) >= 0;
    });
    document.getElementById("b-pe-text").value = q.pe.join(";");
    document.getElementById("b-ou").value = q.ou[0] || "USER_ORGUNIT_CHILDREN";
    document.getElementById("b-rows").value = (q.rows || [])[0] || "";
    document.getElementById("b-columns").value = (q.columns || [])[0] || "";
    document.getElementById("b-type").value = editing.type;
    var o = editing.options || {};
    ["max", "target", "suffix"].forEach(function (k) { if (o[k] !== undefined) { document.getElementById("b-" + k).value = o[k]; } });
    refresh();
  }
})();
