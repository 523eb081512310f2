/* The Operations Room dashboard: draws each item from its JSON, turns clicks into filter
   changes (drill-down and cross-filtering through the URL, so every view is a deep link),
   refreshes and rotates on the wall. No external resource is loaded. */
(function () {
  "use strict";
  var board = document.getElementById("hc-board");
  if (!board) { return; }
  var text = JSON.parse(document.getElementById("hc-dashboard-text").textContent);
  var state = new URLSearchParams(board.dataset.query);
  var wall = board.dataset.wall === "1";

  function withState(url, extra) {
    var params = new URLSearchParams(state);
    Object.keys(extra || {}).forEach(function (k) {
      if (extra[k]) { params.set(k, extra[k]); } else { params.delete(k); }
    });
    return url + "?" + params.toString();
  }

  function go(extra) {
    var params = new URLSearchParams(window.location.search);
    Object.keys(extra).forEach(function (k) {
      if (extra[k]) { params.set(k, extra[k]); } else { params.delete(k); }
    });
    window.location.assign(window.location.pathname + "?" + params.toString());
  }

  // A click on a point: "ou:<uid>" drills the unit filter, "pe:<ids>" narrows the period
  // filter and remembers the previous one for the breadcrumb.
  function onPoint(target) {
    if (!target) { return; }
    if (target.indexOf("ou:") === 0) {
      go({ ou: target.slice(3) });
    } else if (target.indexOf("pe:") === 0) {
      var next = target.slice(3);
      var current = board.dataset.pe;
      if (next === current) { return; }
      var drill = board.dataset.drill ? board.dataset.drill.split("|") : [];
      if (current) { drill.push(current); }
      go({ pe: next, drill: drill.join("|") });
    }
  }

  function targetOf(point) {
    var data = point.customdata;
    if (Array.isArray(data)) { data = data[0]; }
    return typeof data === "string" ? data : "";
  }

  function draw(card) {
    var plot = card.querySelector(".hc-plot");
    var subtitle = card.querySelector(".hc-item-subtitle");
    return fetch(withState(card.dataset.url), { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (response) { return response.json().then(function (body) { return [response.ok, body]; }); })
      .then(function (pair) {
        var ok = pair[0], body = pair[1];
        if (!ok || !body.ok) { throw new Error(body.error || text.error); }
        subtitle.textContent = body.subtitle;
        card.dataset.exports = JSON.stringify(body.exports || {});
        card.dataset.ready = "1";
        if (body.kind === "html") {
          plot.innerHTML = body.html;
          return;
        }
        if (!plot.dataset.drawn) { plot.innerHTML = ""; }
        var config = {
          responsive: true, displaylogo: false, locale: "vi",
          modeBarButtonsToRemove: ["lasso2d", "select2d"],
          toImageButtonOptions: { format: "png", filename: card.dataset.uid, scale: 2 }
        };
        var figure = body.figure;
        return Plotly.react(plot, figure.data, figure.layout, config).then(function () {
          if (!plot.dataset.drawn) {
            plot.on("plotly_click", function (event) {
              if (event && event.points && event.points.length) { onPoint(targetOf(event.points[0])); }
            });
          }
          plot.dataset.drawn = "1";
        });
      })
      .catch(function (error) {
        plot.innerHTML = "";
        var alert = document.createElement("div");
        alert.className = "alert alert-warning small m-2";
        alert.textContent = error.message || text.error;
        plot.appendChild(alert);
        card.dataset.ready = "error";
      });
  }

  var cards = Array.prototype.slice.call(board.querySelectorAll(".hc-item"));
  function drawAll() { return Promise.all(cards.map(draw)); }
  drawAll().then(function () { board.dataset.loaded = "1"; });

  board.addEventListener("click", function (event) {
    var link = event.target.closest(".hc-export, .hc-png");
    if (!link) { return; }
    event.preventDefault();
    var card = link.closest(".hc-item");
    if (link.classList.contains("hc-png")) {
      var plot = card.querySelector(".hc-plot");
      if (plot.dataset.drawn) {
        Plotly.downloadImage(plot, { format: "png", filename: card.dataset.uid, scale: 2 });
      }
      return;
    }
    var urls = JSON.parse(card.dataset.exports || "{}");
    if (urls[link.dataset.fmt]) { window.location.assign(urls[link.dataset.fmt]); }
  });

  // The period picker: a relative period fills the text box; the form submits ou and pe.
  var relative = document.getElementById("hc-pe-rel");
  var fixed = document.getElementById("hc-pe");
  if (relative && fixed) {
    relative.addEventListener("change", function () { fixed.value = relative.value; });
  }
  var unitPicker = document.getElementById("hc-ou");
  if (unitPicker) {
    unitPicker.addEventListener("change", function () { go({ ou: unitPicker.value }); });
  }

  if (wall) {
    // Fresh numbers every minute without reloading the page; the next dashboard after `rotate` s.
    window.setInterval(drawAll, 60000);
    var rotate = parseInt(board.dataset.rotate, 10);
    if (board.dataset.next && rotate > 0) {
      window.setTimeout(function () { window.location.assign(board.dataset.next); }, rotate * 1000);
    }
    var full = document.getElementById("hc-fullscreen");
    if (full) {
      full.addEventListener("click", function () {
        if (document.documentElement.requestFullscreen) { document.documentElement.requestFullscreen(); }
      });
    }
  }
})();
