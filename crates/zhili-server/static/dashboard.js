// The dashboard's monthly trend: two counts per month as bars (受理数 and 结案数, or a module's
// own) and a rate as the line.
(function () {
  var el = document.getElementById('trend');
  if (!el || !window.echarts) return;
  var d = JSON.parse(el.getAttribute('data-series'));
  var colors = ['#1d5fa8', '#2f7d32'];
  var series = d.bars.map(function (b, i) {
    return { name: b.name, type: 'bar', data: b.data, itemStyle: { color: colors[i % colors.length] } };
  });
  if (d.line) {
    series.push({ name: d.line.name, type: 'line', yAxisIndex: 1, data: d.line.data, itemStyle: { color: '#b3261e' } });
  }
  var chart = echarts.init(el, null, { renderer: 'canvas' });
  chart.setOption({
    animation: false,
    tooltip: { trigger: 'axis' },
    legend: { top: 0, data: series.map(function (s) { return s.name; }) },
    grid: { left: 50, right: 50, top: 56, bottom: 30 },
    xAxis: { type: 'category', data: d.months },
    yAxis: [
      { type: 'value', name: '件' },
      { type: 'value', name: '%', min: 0, max: 100 }
    ],
    series: series
  });
  window.addEventListener('resize', function () { chart.resize(); });
})();
