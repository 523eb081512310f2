// The site's boundary and markers drawn with the bundled Plotly on a plain background: longitude
// and latitude as x and y with equal scales, no tiles (air-gapped).
(function () {
  "use strict";
  function draw(el) {
    var source = document.getElementById(el.dataset.source);
    if (!source || !window.Plotly) { return; }
    var data = JSON.parse(source.textContent);
    var traces = data.rings.map(function (ring, i) {
      return {
        type: "scatter", mode: "lines", fill: "toself", name: i === 0 ? data.name : "",
        showlegend: i === 0, hoverinfo: "skip",
        x: ring.map(function (p) { return p[0]; }), y: ring.map(function (p) { return p[1]; }),
        line: { color: "#2f5d3a", width: 2 }, fillcolor: "rgba(47,93,58,0.15)"
      };
    });
    if (data.markers.length) {
      traces.push({
        type: "scatter", mode: "markers+text", name: "Mốc", textposition: "top center",
        x: data.markers.map(function (m) { return m.lon; }),
        y: data.markers.map(function (m) { return m.lat; }),
        text: data.markers.map(function (m) { return m.code; }),
        marker: { color: "#b8321d", size: 8, symbol: "diamond" }
      });
    }
    window.Plotly.newPlot(el, traces, {
      height: 360, margin: { l: 50, r: 10, t: 10, b: 40 }, plot_bgcolor: "#fafaf7", showlegend: false,
      xaxis: { title: "Kinh độ", zeroline: false }, yaxis: { title: "Vĩ độ", zeroline: false, scaleanchor: "x" }
    }, { displaylogo: false, responsive: true });
  }
  document.querySelectorAll(".hc-site-map").forEach(draw);
})();
