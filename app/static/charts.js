/* Draws every chart of the page: an element with data-chart="ID" gets the ECharts option of the JSON
 * block with that id (app/templates/admin_ext/_charts.html). SVG renderer: sharp when printed.
 * A drawn chart is marked data-chart-ready="1"; charts follow the window's width. */
(function () {
  "use strict";
  function draw() {
    if (!window.echarts) { return; }
    var charts = [];
    Array.prototype.forEach.call(document.querySelectorAll("[data-chart]"), function (element) {
      var source = document.getElementById(element.getAttribute("data-chart"));
      if (!source) { return; }
      var chart = window.echarts.init(element, null, { renderer: "svg" });
      chart.setOption(JSON.parse(source.textContent));
      element.setAttribute("data-chart-ready", "1");
      charts.push(chart);
    });
    window.addEventListener("resize", function () {
      charts.forEach(function (chart) { chart.resize(); });
    });
    window.addEventListener("beforeprint", function () {
      charts.forEach(function (chart) { chart.resize(); });
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
}());
