// The hospital board's occupancy trend. Data comes from the json_script block of the fragment;
// the chart is drawn on load and again after each htmx refresh of the board (no inline script).
(function () {
  "use strict";
  function draw() {
    var holder = document.getElementById("hc-trend-chart");
    var source = document.getElementById("hc-trend-data");
    if (!holder || !source || typeof Plotly === "undefined") {
      return;
    }
    var data = JSON.parse(source.textContent);
    var traces = [
      { x: data.days, y: data.planned, name: data.labels.planned, mode: "lines+markers", type: "scatter" },
      { x: data.days, y: data.set_up, name: data.labels.set_up, mode: "lines", type: "scatter" }
    ];
    Plotly.react(holder, traces, {
      height: 280,
      margin: { l: 40, r: 10, t: 10, b: 40 },
      yaxis: { ticksuffix: "%", rangemode: "tozero" },
      legend: { orientation: "h" }
    }, { displayModeBar: false, responsive: true });
  }
  document.addEventListener("DOMContentLoaded", draw);
  document.body.addEventListener("htmx:afterSettle", draw);
})();
