/* Impact charts (dashboard and annual report): each <canvas data-source="ID"> is drawn with
 * Chart.js from the JSON of <script type="application/json" id="ID"> (json_script: data, not
 * code, so the Content-Security-Policy allows it). The same numbers are in the table below
 * each chart. */
(function () {
  "use strict";

  var COLOURS = ["#1b6e3c", "#28508c", "#8a6d00", "#a4161a"];

  function draw(canvas) {
    var source = document.getElementById(canvas.dataset.source);
    if (!source || !window.Chart) { return; }
    var data = JSON.parse(source.textContent);
    var series = canvas.dataset.series.split(",");
    var horizontal = canvas.dataset.horizontal === "true";
    var locale = document.documentElement.lang || "fr";
    new window.Chart(canvas, {
      type: "bar",
      data: {
        labels: data.labels,
        datasets: series.map(function (name, index) {
          return { label: data.legend[name], data: data.series[name], backgroundColor: COLOURS[index % COLOURS.length] };
        }),
      },
      options: {
        locale: locale,
        indexAxis: horizontal ? "y" : "x",
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        plugins: { legend: { display: true, position: "bottom" } },
        scales: { x: { beginAtZero: true }, y: { beginAtZero: true } },
      },
    });
  }

  function drawAll() {
    document.querySelectorAll("canvas[data-source]").forEach(draw);
    document.querySelectorAll("[data-print]").forEach(function (button) {
      button.addEventListener("click", function () { window.print(); });
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", drawAll);
  } else {
    drawAll();
  }
})();
