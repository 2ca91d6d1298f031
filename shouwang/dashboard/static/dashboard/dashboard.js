/* 统计概览: draws every chart of the page with Apache ECharts.
   Each chart is an element `.chart[data-chart=ID]`; its data is the JSON of the
   <script type="application/json" id=ID> the server wrote with json_script:
   {type: bar | hbar | line | pie, categories: [...], series: [{name, data, color
   | colors}], stack, unit, max, label}. Charts are drawn on load and after every
   htmx swap, disposed before their element is swapped out, and resized with
   their element. The table beside each chart holds the same figures. */
(function () {
  "use strict";

  function dataOf(el) {
    var node = document.getElementById(el.getAttribute("data-chart"));
    if (!node) return null;
    try { return JSON.parse(node.textContent); } catch (e) { return null; }
  }

  function formatter(unit) {
    return function (value) {
      if (value === null || value === undefined || value === "-") return "—";
      return value + (unit === "%" ? "%" : " " + (unit || ""));
    };
  }

  function option(d, width) {
    var show = formatter(d.unit);
    var narrow = window.matchMedia("(max-width: 47.99rem)").matches;
    var base = {
      aria: { enabled: true, label: { description: d.label } },
      animationDuration: 300,
      legend: { type: "scroll", top: 0, itemWidth: 14, itemHeight: 10 },
      tooltip: { trigger: d.type === "pie" ? "item" : "axis", valueFormatter: show, confine: true },
      grid: { left: 4, right: 16, top: 34, bottom: 4, containLabel: true }
    };
    if (d.type === "pie") {
      var s = d.series[0];
      delete base.legend; // the labels name every slice
      base.series = [{
        type: "pie",
        name: s.name,
        radius: narrow ? ["30%", "55%"] : ["35%", "65%"],
        center: ["50%", "56%"],
        label: { formatter: "{b}\n{c}" },
        data: d.categories.map(function (name, i) {
          return { name: name, value: s.data[i], itemStyle: { color: (s.colors || [])[i] } };
        })
      }];
      return base;
    }
    var horizontal = d.type === "hbar";
    // Few categories: every name shown, broken over lines; many on a phone: slanted.
    var few = d.categories.length <= 6;
    var axisLabel = { interval: 0 };
    if (!horizontal && few) {
      axisLabel.width = Math.max(40, width / d.categories.length - 12);
      axisLabel.overflow = "break";
    } else if (!horizontal && narrow) {
      axisLabel.rotate = 40;
    }
    var categoryAxis = { type: "category", data: d.categories, axisLabel: axisLabel, inverse: horizontal };
    var valueAxis = {
      type: "value",
      max: d.max || null,
      minInterval: d.whole ? 1 : 0, // no 0.5 of a person on the axis
      axisLabel: { formatter: d.unit === "%" ? "{value}%" : "{value}" }
    };
    base.xAxis = horizontal ? valueAxis : categoryAxis;
    base.yAxis = horizontal ? categoryAxis : valueAxis;
    base.series = d.series.map(function (s) {
      return {
        type: d.type === "line" ? "line" : "bar",
        name: s.name,
        data: s.data,
        stack: d.stack ? "total" : undefined,
        itemStyle: { color: s.color },
        lineStyle: d.type === "line" ? { width: 2 } : undefined,
        connectNulls: true,
        barMaxWidth: 28
      };
    });
    if (d.type === "line" && d.unit === "%") {
      base.series[0].markLine = {
        symbol: "none", silent: true, label: { show: false },
        lineStyle: { type: "dashed", color: "#868e96" }, data: [{ yAxis: 100 }]
      };
    }
    return base;
  }

  function size(el, d) {
    // A bar per area: tall enough for every name.
    if (d.type === "hbar") {
      var rows = d.categories.length * Math.max(1, d.series.length);
      el.style.height = Math.max(260, 40 + rows * 9 + d.categories.length * 14) + "px";
    }
  }

  var observer = window.ResizeObserver ? new ResizeObserver(function (entries) {
    entries.forEach(function (entry) {
      var chart = window.echarts && window.echarts.getInstanceByDom(entry.target);
      if (chart) chart.resize();
    });
  }) : null;

  function draw(root) {
    if (!window.echarts || !root || !root.querySelectorAll) return;
    root.querySelectorAll(".chart[data-chart]").forEach(function (el) {
      if (window.echarts.getInstanceByDom(el)) return;
      var d = dataOf(el);
      if (!d) return;
      size(el, d);
      window.echarts.init(el, null, { renderer: "canvas" }).setOption(option(d, el.clientWidth));
      if (observer) observer.observe(el);
    });
  }

  function dispose(root) {
    if (!window.echarts || !root || !root.querySelectorAll) return;
    root.querySelectorAll(".chart[data-chart]").forEach(function (el) {
      var chart = window.echarts.getInstanceByDom(el);
      if (observer) observer.unobserve(el);
      if (chart) chart.dispose();
    });
  }

  function start() {
    draw(document);
    document.body.addEventListener("htmx:beforeSwap", function (e) { dispose(e.detail.target); });
    document.body.addEventListener("htmx:load", function (e) { draw(e.detail.elt); });
    if (!observer) {
      window.addEventListener("resize", function () {
        document.querySelectorAll(".chart[data-chart]").forEach(function (el) {
          var chart = window.echarts.getInstanceByDom(el);
          if (chart) chart.resize();
        });
      });
    }
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
