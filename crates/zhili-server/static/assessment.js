// The assessment's charts: the ranking of the groups by the chosen indicator, and the monthly
// trend of reports, registrations, closures and the on-time handling rate.
(function () {
  var data = document.getElementById('chart-data');
  if (!data || !window.echarts) return;
  var d = JSON.parse(data.textContent);
  var rank = echarts.init(document.getElementById('ranking'), null, { renderer: 'canvas' });
  rank.setOption({
    animation: false,
    title: { text: d.ranking.name + ' 排名', left: 0, textStyle: { fontSize: 14 } },
    tooltip: { trigger: 'axis' },
    grid: { left: 120, right: 40, top: 40, bottom: 20 },
    xAxis: { type: 'value', max: d.ranking.percent ? 100 : null, axisLabel: { formatter: d.ranking.percent ? '{value}%' : '{value}' } },
    yAxis: { type: 'category', inverse: true, data: d.ranking.labels },
    series: [{ type: 'bar', data: d.ranking.values, itemStyle: { color: '#1d5fa8' }, label: { show: true, position: 'right' } }]
  });
  var trend = echarts.init(document.getElementById('trend'), null, { renderer: 'canvas' });
  trend.setOption({
    animation: false,
    title: { text: '月度趋势', left: 0, textStyle: { fontSize: 14 } },
    tooltip: { trigger: 'axis' },
    legend: { top: 0, right: 0, data: ['上报数', '立案数', '已处理', '按期处置率'] },
    grid: { left: 50, right: 50, top: 56, bottom: 30 },
    xAxis: { type: 'category', data: d.trend.months },
    yAxis: [{ type: 'value', name: '件' }, { type: 'value', name: '%', min: 0, max: 100 }],
    series: [
      { name: '上报数', type: 'bar', data: d.trend.received, itemStyle: { color: '#1d5fa8' } },
      { name: '立案数', type: 'bar', data: d.trend.registered, itemStyle: { color: '#6a8fc0' } },
      { name: '已处理', type: 'bar', data: d.trend.concluded, itemStyle: { color: '#2f7d32' } },
      { name: '按期处置率', type: 'line', yAxisIndex: 1, data: d.trend.on_time_handling_rate, itemStyle: { color: '#b3261e' } }
    ]
  });
  window.addEventListener('resize', function () { rank.resize(); trend.resize(); });
})();
