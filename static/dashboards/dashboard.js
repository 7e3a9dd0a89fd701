/* Draws the dashboard's charts with ECharts from the data the server rendered into
   <script id="dashboard-data" type="application/json">. The same figures are in the tables on
   the page (the no-JavaScript view); a click on a bar or slice opens its drill-down list. */
(function () {
  "use strict";
  var dataEl = document.getElementById("dashboard-data");
  if (!dataEl || typeof window.echarts === "undefined") return;
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
        label: { show: horizontal, position: "right", color: TEXT, fontSize: 11 },
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
        label: { formatter: "{b}\n{d}%", color: TEXT },
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
    var valueAxis = { type: "value", splitLine: { lineStyle: { color: "#eee" } }, axisLabel: { color: "#666" } };
    if (horizontal) {
      categoryAxis.inverse = true; // largest first, top to bottom
      categoryAxis.axisLabel.width = 130;
      base.xAxis = valueAxis;
      base.yAxis = categoryAxis;
    } else {
      base.xAxis = categoryAxis;
      if (spec.axes) {
        base.yAxis = spec.axes.map(function (name, i) {
          return Object.assign({}, valueAxis, { name: name, splitLine: { show: i === 0, lineStyle: { color: "#eee" } } });
        });
      } else {
        base.yAxis = valueAxis;
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
