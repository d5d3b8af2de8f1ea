// The dashboard's monthly trend: received and closed per month, and the closure rate.
(function () {
  var el = document.getElementById('trend');
  if (!el || !window.echarts) return;
  var d = JSON.parse(el.getAttribute('data-series'));
  var chart = echarts.init(el, null, { renderer: 'canvas' });
  chart.setOption({
    animation: false,
    tooltip: { trigger: 'axis' },
    legend: { top: 0, data: ['受理数', '结案数', '结案率'] },
    grid: { left: 50, right: 50, top: 56, bottom: 30 },
    xAxis: { type: 'category', data: d.months },
    yAxis: [
      { type: 'value', name: '件' },
      { type: 'value', name: '%', min: 0, max: 100 }
    ],
    series: [
      { name: '受理数', type: 'bar', data: d.received, itemStyle: { color: '#1d5fa8' } },
      { name: '结案数', type: 'bar', data: d.closed, itemStyle: { color: '#2f7d32' } },
      { name: '结案率', type: 'line', yAxisIndex: 1, data: d.closure_rate, itemStyle: { color: '#b3261e' } }
    ]
  });
  window.addEventListener('resize', function () { chart.resize(); });
})();
