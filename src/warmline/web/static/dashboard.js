/* The dashboard's charts (web/console_dashboard.py), drawn by the vendored Chart.js from the
   page's JSON block (#dashboard-data): the figures over time, the chosen figure per segment
   group (flagged groups in red) and the escalations by trigger. A click on a day (an hour)
   or a group lists its conversations below (#drill, by htmx). No inline script: the page's
   Content-Security-Policy allows scripts from this server only. */
(function () {
  "use strict";
  var node = document.getElementById("dashboard-data");
  if (!node || typeof window.Chart === "undefined") { return; }
  var data = JSON.parse(node.textContent);
  var Chart = window.Chart;
  var GREEN = "#0b6e4f", RED = "#b42318", BLUE = "#1f5fbf", ORANGE = "#c2410c", PURPLE = "#6d28d9";
  var PARITY = {
    escalation_rate: "escalation_rate", containment_rate: "containment", abandonment_rate: "abandonment",
    fcr_rate: "fcr", csat: "csat", ces: "ces", aht_bot_s: "aht", aht_human_s: "aht"
  };
  Chart.defaults.font.family = window.getComputedStyle(document.body).fontFamily;
  Chart.defaults.color = "#3a4254";
  Chart.defaults.animation = false;
  Chart.defaults.maintainAspectRatio = false;

  function isShare(metric) {
    return /_rate$|^csat$|share$/.test(metric);
  }

  function shown(metric, value) {
    if (value === null || value === undefined) { return "n/a"; }
    if (metric === "conversations") { return Math.round(value).toLocaleString(); }
    if (/_s$/.test(metric)) { return Math.round(value) + " s"; }
    if (isShare(metric)) { return (value * 100).toFixed(1) + "%"; }
    return value.toFixed(2);
  }

  function drill(params) {
    var url = data.drill + "&" + new URLSearchParams(params).toString();
    window.htmx.ajax("GET", url, { target: "#drill", swap: "innerHTML" }).then(function () {
      document.getElementById("drill").scrollIntoView({ block: "nearest" });
    });
  }

  function bucketLabel(iso) {
    var at = new Date(iso);
    var day = at.toLocaleDateString("en-GB", { day: "numeric", month: "short", timeZone: "UTC" });
    if (data.series.bucket === "hour") {
      return day + " " + at.toISOString().slice(11, 16);
    }
    return day;
  }

  function percent(values) {
    return values.map(function (v) { return v === null ? null : +(v * 100).toFixed(2); });
  }

  function line(label, metric, colour) {
    return {
      type: "line", label: label, yAxisID: "share", data: percent(data.series.values[metric]),
      borderColor: colour, backgroundColor: colour, borderWidth: 2, pointRadius: 2, spanGaps: true, order: 1
    };
  }

  function drawSeries() {
    var canvas = document.getElementById("series-chart");
    if (!canvas) { return; }
    var s = data.series;
    new Chart(canvas, {
      type: "bar",
      data: {
        labels: s.labels.map(bucketLabel),
        datasets: [
          { type: "bar", label: "Conversations", yAxisID: "count", data: s.values.conversations,
            backgroundColor: "rgba(11,110,79,.16)", borderColor: "rgba(11,110,79,.35)", borderWidth: 1, order: 2 },
          line("Containment", "containment_rate", GREEN),
          line("Escalation rate", "escalation_rate", ORANGE),
          line("CSAT", "csat", BLUE),
          line("Abandonment", "abandonment_rate", PURPLE)
        ]
      },
      options: {
        interaction: { mode: "index", intersect: false },
        scales: {
          share: { position: "left", min: 0, max: 100, ticks: { callback: function (v) { return v + "%"; } } },
          count: { position: "right", beginAtZero: true, grid: { drawOnChartArea: false },
                   title: { display: true, text: "conversations" } },
          x: { ticks: { maxRotation: 0, autoSkipPadding: 12 } }
        },
        plugins: {
          legend: { position: "bottom", labels: { boxWidth: 12 } },
          tooltip: { callbacks: { label: function (item) {
            var v = item.raw;
            if (item.dataset.yAxisID === "count") { return item.dataset.label + ": " + (v || 0).toLocaleString(); }
            return item.dataset.label + ": " + (v === null ? "n/a" : v.toFixed(1) + "%");
          } } }
        },
        onClick: function (event, elements) {
          if (elements.length) { drill({ at: s.labels[elements[0].index] }); }
        }
      }
    });
  }

  var segmentChart = null;

  function drawSegments() {
    var canvas = document.getElementById("segment-chart");
    var picker = document.getElementById("segment-metric");
    if (!canvas || !picker) { return; }
    var metric = picker.value;
    var values = data.figures[metric] || [];
    var colours = data.groups.map(function (group) {
      return (data.flagged[group] || []).indexOf(PARITY[metric]) >= 0 ? RED : GREEN;
    });
    var share = isShare(metric);
    var config = {
      type: "bar",
      data: {
        labels: data.groups,
        datasets: [{ label: data.labels[metric], data: values.map(function (v) {
          return v === null ? null : (share ? +(v * 100).toFixed(2) : v);
        }), backgroundColor: colours, borderRadius: 3, maxBarThickness: 28 }]
      },
      options: {
        indexAxis: "y",
        scales: { x: { beginAtZero: true, ticks: { callback: function (v) { return share ? v + "%" : v; } } } },
        plugins: {
          legend: { display: false },
          tooltip: { callbacks: { label: function (item) {
            return data.labels[metric] + ": " + shown(metric, values[item.dataIndex]);
          } } }
        },
        onClick: function (event, elements) {
          if (elements.length) { drill({ group: data.groups[elements[0].index] }); }
        }
      }
    };
    if (segmentChart) { segmentChart.destroy(); }
    segmentChart = new Chart(canvas, config);
  }

  function drawTriggers() {
    var canvas = document.getElementById("trigger-chart");
    if (!canvas || !data.triggers.length) { return; }
    new Chart(canvas, {
      type: "bar",
      data: {
        labels: data.triggers.map(function (t) { return t[0].replace(/_/g, " "); }),
        datasets: [{ label: "Escalations", data: data.triggers.map(function (t) { return t[1]; }),
                     backgroundColor: ORANGE, borderRadius: 3, maxBarThickness: 24 }]
      },
      options: { indexAxis: "y", plugins: { legend: { display: false } }, scales: { x: { beginAtZero: true } } }
    });
  }

  drawSeries();
  drawSegments();
  drawTriggers();
  document.getElementById("segment-metric").addEventListener("change", drawSegments);
  document.getElementById("by").addEventListener("change", function () {
    document.getElementById("filters").requestSubmit();
  });
}());
