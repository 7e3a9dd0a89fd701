/* Draws the dashboard's charts with ECharts from the data the server rendered into
   <script id="dashboard-data" type="application/json">. The same figures are in the tables on
   the page (the no-JavaScript view); a click on a bar or slice opens its drill-down list. Every
   value, label, tooltip and axis is written by static/js/numbers.js (window.LnNumbers) in the unit
   the server gives each series (core.numbers.chart_unit; docs/numbers.md). */
(function () {
  "use strict";
  var dataEl = document.getElementById("dashboard-data");
  if (!dataEl || typeof window.echarts === "undefined" || typeof window.LnNumbers === "undefined") return;
  var N = window.LnNumbers;
  var specs = JSON.parse(dataEl.textContent);
  var root = document.getElementById("dashboard");
  var printMode = root.classList.contains("print-layout");
  var PALETTE = ["#b71c1c", "#1f4e79", "#c8a14a", "#4e7d5b", "#7b5ea7", "#d9822b", "#5b8db8"];
  var TEXT = "#333";
  var charts = {};

  document.documentElement.classList.add("js-charts");

  function axisLabel(rotate) {
    return { color: TEXT, fontSize: 12, interval: 0, rotate: rotate || 0, width: 90, overflow: "truncate" };
  }

  function barSeries(spec, horizontal) {
    return spec.series.map(function (s, i) {
      return {
        name: s.name,
        type: s.type || "bar",
        yAxisIndex: horizontal ? 0 : (s.axis || 0),
        data: s.data,
        barMaxWidth: 28,
        itemStyle: { color: PALETTE[i % PALETTE.length] },
        label: {
          show: horizontal, position: "right", color: TEXT, fontSize: 11,
          formatter: function (p) { return N.withUnit(p.value, s.unit); },
        },
        tooltip: { valueFormatter: function (v) { return N.withUnit(v, s.unit); } },
        cursor: "pointer",
        smooth: false,
        symbolSize: 7,
      };
    });
  }

  function option(spec) {
    var base = {
      color: PALETTE,
      animation: !printMode,
      textStyle: { fontFamily: "inherit" },
      tooltip: { trigger: spec.kind === "pie" ? "item" : "axis", axisPointer: { type: "shadow" } },
    };
    if (spec.kind === "pie") {
      base.legend = { bottom: 0 };
      base.series = [{
        name: spec.series[0].name, type: "pie", radius: ["38%", "65%"], center: ["50%", "45%"],
        data: spec.series[0].data,
        label: { formatter: function (p) { return p.name + "\n" + N.share(p.percent); }, color: TEXT },
        tooltip: {
          formatter: function (p) {
            return p.marker + p.name + ": " + N.withUnit(p.value, spec.series[0].unit) + " (" + N.share(p.percent) + ")";
          },
        },
        color: ["#b71c1c", "#9e9e9e"],
      }];
      return base;
    }
    var horizontal = spec.kind === "hbar";
    var many = spec.categories.length > 5;
    base.legend = spec.series.length > 1 ? { top: 0 } : undefined;
    base.grid = { left: 8, right: horizontal ? 56 : 16, top: spec.series.length > 1 ? 32 : 12, bottom: 8, containLabel: true };
    var categoryAxis = { type: "category", data: spec.categories, axisLabel: axisLabel(!horizontal && many ? 30 : 0),
                         axisTick: { alignWithLabel: true } };
    var valueAxis = { type: "value", splitLine: { lineStyle: { color: "#eee" } },
                      axisLabel: { color: "#666", formatter: N.axis } };
    if (horizontal) {
      categoryAxis.inverse = true; // largest first, top to bottom
      categoryAxis.axisLabel.width = 130;
      // The unit on the value axis: the caption of the (one) series' unit.
      valueAxis.name = spec.series[0].unit ? spec.series[0].unit.caption : "";
      valueAxis.nameLocation = "end";
      valueAxis.nameTextStyle = { color: "#666", align: "right", verticalAlign: "top", padding: [8, 0, 0, 0] };
      base.xAxis = valueAxis;
      base.yAxis = categoryAxis;
    } else {
      base.xAxis = categoryAxis;
      if (spec.axes) {
        base.yAxis = spec.axes.map(function (name, i) {
          return Object.assign({}, valueAxis, { name: name, splitLine: { show: i === 0, lineStyle: { color: "#eee" } } });
        });
      } else {
        base.yAxis = Object.assign({}, valueAxis, { name: spec.series[0].unit ? spec.series[0].unit.caption : "" });
      }
    }
    base.series = barSeries(spec, horizontal);
    return base;
  }

  specs.forEach(function (spec) {
    var el = document.getElementById("chart-" + spec.id);
    if (!el) return;
    if (spec.kind === "hbar") {
      el.style.height = Math.max(220, 26 * spec.categories.length + 40) + "px";
    }
    var chart = window.echarts.init(el, null, { renderer: "svg" });
    chart.setOption(option(spec));
    chart.on("click", function (params) {
      if (params.data && params.data.url) window.location.href = params.data.url;
    });
    charts[spec.id] = chart;
  });

  // With charts drawn, the tables fold away (still one click away, and in print they give way to charts).
  document.querySelectorAll("details.data-table").forEach(function (d) { d.open = false; });

  function resizeAll() {
    Object.keys(charts).forEach(function (id) { charts[id].resize(); });
  }
  window.addEventListener("resize", resizeAll);
  // Browser print: redraw at the paper's width, and back afterwards.
  window.addEventListener("beforeprint", resizeAll);
  window.addEventListener("afterprint", resizeAll);
  var printButton = document.querySelector("[data-action=print]");
  if (printButton) printButton.addEventListener("click", function () { window.print(); });
  window.dashboardCharts = charts;
})();
