// The 数字城管 map: village and grid-cell outlines from /api/v1/geo/areas, cases of the
// visible area from /api/v1/cases?bbox=…, filtered by the form. No tile layer: nothing is
// fetched from outside the server.
(function () {
  var el = document.getElementById('map');
  if (!el || !window.L) return;
  var map = L.map(el, { zoomControl: true, attributionControl: false, preferCanvas: true });
  map.setView([22.83, 114.16], 13);
  var form = document.getElementById('map-filters');
  var count = document.getElementById('map-count');
  var villages = L.geoJSON(null, {
    style: { color: '#1d5fa8', weight: 2, fillColor: '#dbe7f5', fillOpacity: 0.5 },
    onEachFeature: function (f, layer) { layer.bindTooltip(f.properties.name, { sticky: true }); }
  }).addTo(map);
  var cells = L.geoJSON(null, {
    style: { color: '#5b7fa6', weight: 1, dashArray: '3 3', fill: false },
    onEachFeature: function (f, layer) { layer.bindTooltip(f.properties.name + '（' + f.properties.code + '）', { sticky: true }); }
  }).addTo(map);
  var dots = L.layerGroup().addTo(map);
  window.addEventListener('resize', function () { map.invalidateSize(); });
  var colours = { overdue: '#b3261e', warning: '#e68a00', normal: '#1d5fa8', ended: '#8a8a8a' };

  function get(url) {
    return fetch(url, { credentials: 'same-origin' }).then(function (r) {
      if (!r.ok) throw new Error(url + ': ' + r.status);
      return r.json();
    });
  }
  function text(s) { var d = document.createElement('div'); d.textContent = s == null ? '' : s; return d.innerHTML; }

  var pending = 0;
  function loadCases() {
    var b = map.getBounds();
    var f = new FormData(form);
    var q = new URLSearchParams();
    q.set('kind', 'urban');
    q.set('bbox', [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()].map(function (x) { return x.toFixed(6); }).join(','));
    q.set('limit', '200');
    if (f.get('open')) q.set('open', f.get('open'));
    if (f.get('deadline_status')) q.set('deadline_status', f.get('deadline_status'));
    var major = f.get('major') || '';
    var ticket = ++pending;
    var shown = 0;
    dots.clearLayers();
    function page(cursor, left) {
      var url = '/api/v1/cases?' + q.toString() + (cursor ? '&cursor=' + encodeURIComponent(cursor) : '');
      return get(url).then(function (list) {
        if (ticket !== pending) return;
        list.items.forEach(function (c) {
          if (c.lat == null || c.lon == null) return;
          if (major && (c.category || '').slice(0, major.length) !== major) return;
          var colour = c.closed_at || ['closed', 'self_handled', 'rejected', 'cancelled'].indexOf(c.state) >= 0
            ? colours.ended : (colours[c.deadline_status] || colours.normal);
          L.circleMarker([c.lat, c.lon], { radius: 6, color: '#fff', weight: 1, fillColor: colour, fillOpacity: 0.9 })
            .bindPopup('<b><a href="/cases/' + c.id + '">' + text(c.case_no) + '</a></b><br>' + text(c.title) +
              '<br>' + text(c.state_name))
            .addTo(dots);
          shown += 1;
        });
        if (list.next_cursor && left > 1) return page(list.next_cursor, left - 1);
        count.textContent = '本视图 ' + shown + ' 件' + (list.next_cursor ? '（仅显示最新的）' : '');
      });
    }
    page(null, 5).catch(function (e) { count.textContent = '加载失败 ' + e.message; });
  }

  Promise.all([get('/api/v1/geo/areas?kind=village'), get('/api/v1/geo/areas?kind=grid')])
    .then(function (r) {
      villages.addData(r[0]);
      cells.addData(r[1]);
      map.invalidateSize();
      var b = villages.getBounds();
      if (b.isValid()) map.fitBounds(b.pad(0.02));
      el.setAttribute('data-areas', String(r[0].features.length + r[1].features.length));
      loadCases();
    })
    .catch(function (e) { count.textContent = '加载失败 ' + e.message; });
  map.on('moveend', loadCases);
  form.addEventListener('change', function (ev) {
    if (ev.target.name === 'grid') {
      if (ev.target.checked) cells.addTo(map); else map.removeLayer(cells);
      return;
    }
    loadCases();
  });
})();
