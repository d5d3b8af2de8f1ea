// The grid worker's phone report form: photo, location from the device or the map, likely
// duplicates offered before the report is made, then the case through the JSON API.
(function () {
  var form = document.getElementById('urban-report');
  if (!form || !window.L) return;
  var csrf = JSON.parse(document.body.getAttribute('hx-headers'))['X-CSRF-Token'];
  var err = document.getElementById('report-error');
  var where = document.getElementById('where');
  var map = L.map('pick', { attributionControl: false }).setView([22.83, 114.16], 13);
  var marker = null;
  // The form's layout settles after the script runs: let the map measure itself again.
  window.addEventListener('load', function () { map.invalidateSize(); });
  window.addEventListener('resize', function () { map.invalidateSize(); });
  fetch('/api/v1/geo/areas?kind=village', { credentials: 'same-origin' })
    .then(function (r) { return r.json(); })
    .then(function (g) {
      var layer = L.geoJSON(g, { style: { color: '#1d5fa8', weight: 1, fillOpacity: 0.15 } }).addTo(map);
      map.invalidateSize();
      if (!marker && layer.getBounds().isValid()) map.fitBounds(layer.getBounds());
    });
  function place(lat, lon) {
    form.lat.value = lat.toFixed(6);
    form.lon.value = lon.toFixed(6);
    if (marker) marker.setLatLng([lat, lon]); else marker = L.marker([lat, lon], { icon: L.divIcon({ className: 'pin', iconSize: [14, 14] }) }).addTo(map);
    where.textContent = lon.toFixed(5) + ', ' + lat.toFixed(5);
    confirmed = false;
  }
  map.on('click', function (e) { place(e.latlng.lat, e.latlng.lng); });
  document.getElementById('here').addEventListener('click', function () {
    if (!navigator.geolocation) { where.textContent = '此设备不能定位，请在地图上点选'; return; }
    navigator.geolocation.getCurrentPosition(function (p) {
      place(p.coords.latitude, p.coords.longitude);
      map.setView([p.coords.latitude, p.coords.longitude], 16);
    }, function () { where.textContent = '定位失败，请在地图上点选'; });
  });
  function fail(msg) { err.textContent = msg; err.hidden = false; }
  function api(method, url, body) {
    var opts = { method: method, credentials: 'same-origin', headers: { 'X-CSRF-Token': csrf } };
    if (body instanceof FormData) opts.body = body;
    else if (body) { opts.body = JSON.stringify(body); opts.headers['Content-Type'] = 'application/json'; }
    return fetch(url, opts).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (j) {
        if (!r.ok) throw new Error((j.error && (j.error.field ? j.error.field + '：' : '') + j.error.message) || r.status);
        return j;
      });
    });
  }
  var confirmed = false;
  form.addEventListener('change', function (e) { if (e.target.name === 'category') confirmed = false; });
  form.addEventListener('submit', function (ev) {
    ev.preventDefault();
    err.hidden = true;
    if (!form.lon.value) { fail('请先确定位置（定位或在地图上点选）'); return; }
    var sub = form.category.options[form.category.selectedIndex].text;
    var send = document.getElementById('send');
    var dupCheck = confirmed ? Promise.resolve([]) : api('GET', '/api/v1/urban/duplicates?' + new URLSearchParams({
      category: form.category.value, lon: form.lon.value, lat: form.lat.value, text: form.content.value }));
    send.disabled = true;
    dupCheck.then(function (dups) {
      if (dups.length) {
        var list = document.getElementById('dup-list');
        list.innerHTML = '';
        dups.forEach(function (d) {
          var li = document.createElement('li');
          var a = document.createElement('a');
          a.href = '/cases/' + d.case.id; a.textContent = d.case.case_no + ' ' + d.case.title;
          li.appendChild(a);
          li.appendChild(document.createTextNode('（' + Math.round(d.distance_m) + ' 米，' + d.case.state_name + '）'));
          list.appendChild(li);
        });
        document.getElementById('dups').hidden = false;
        send.textContent = '仍然上报 Report anyway';
        confirmed = true;
        send.disabled = false;
        return;
      }
      var upload = Promise.resolve(null);
      if (form.photo.files.length) {
        var up = new FormData();
        up.append('file', form.photo.files[0]);
        upload = api('POST', '/api/v1/attachments', up);
      }
      var parties = form.party_name.value ? [{ role: 'complainant', name: form.party_name.value, phone: form.party_phone.value || null }] : [];
      return upload.then(function (a) {
        return api('POST', '/api/v1/cases', {
          kind: 'urban', category: form.category.value, channel: form.channel.value, parties: parties,
          title: sub + (form.address.value ? '：' + form.address.value : ''),
          content: form.content.value, address: form.address.value || null,
          lon: parseFloat(form.lon.value), lat: parseFloat(form.lat.value), attachment_ids: a ? [a.id] : []
        });
      }).then(function (c) { window.location.href = '/cases/' + c.id; });
    }).catch(function (e) { fail('上报失败：' + e.message); send.disabled = false; });
  });
})();
