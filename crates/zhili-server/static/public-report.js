// The public report form: tap the map to mark the place (no login, no tiles).
(function () {
  var form = document.getElementById('public-report');
  if (!form || !window.L) return;
  var map = L.map('pick', { attributionControl: false }).setView([22.83, 114.16], 12);
  var marker = null;
  fetch('/public/areas').then(function (r) { return r.json(); }).then(function (g) {
    var layer = L.geoJSON(g, {
      style: { color: '#1d5fa8', weight: 1, fillOpacity: 0.15 },
      onEachFeature: function (f, l) { l.bindTooltip(f.properties.name, { sticky: true }); }
    }).addTo(map);
    map.invalidateSize();
    if (layer.getBounds().isValid()) map.fitBounds(layer.getBounds());
  });
  map.on('click', function (e) {
    form.lat.value = e.latlng.lat.toFixed(6);
    form.lon.value = e.latlng.lng.toFixed(6);
    if (marker) marker.setLatLng(e.latlng);
    else marker = L.marker(e.latlng, { icon: L.divIcon({ className: 'pin', iconSize: [14, 14] }) }).addTo(map);
  });
  window.addEventListener('load', function () { map.invalidateSize(); });
})();
