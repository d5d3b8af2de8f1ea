// Browser test of the 数字城管 pages in headless Chromium: a grid worker's patrol report from the
// phone form and a citizen's Open311 report, both driven to closure through the case pages by
// the people who act; the dispatch board, the map, the assessment and the public track page.
// Users (passwords set by crates/zhili-cli/tests/browser.rs): admin, dispatcher, handler (城管),
// gridworker (罗马村), each with password `<user>-pass`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { as, base, browser, shots, submit as submitOr } from './lib.mjs';

const PNG = Buffer.from('89504e470d0a1a0a0000000d4948445200000001000000010806000000', 'hex');
const photo = (name) => ({ name, mimeType: 'image/png', buffer: PNG });
const submit = (page, button) => submitOr(page, button, 'urban-failed');

// Take one action on a case's page: fill what the form asks for, attach a photo if needed.
async function act(page, caseId, action, state) {
  await page.goto(`${base}/cases/${caseId}`);
  const form = page.locator(`form[data-action=${action}]`);
  assert.equal(await form.count(), 1, `${action} is offered on case ${caseId}`);
  for (const f of ['note', 'reason']) {
    if (await form.locator(`textarea[name=${f}]`).count()) await form.locator(`textarea[name=${f}]`).fill(`浏览器测试：${action}`);
  }
  if (await form.locator('input[type=file]').count()) await form.locator('input[type=file]').setInputFiles(photo(`${action}.png`));
  await submit(page, form.locator('button[type=submit]'));
  assert.match(await page.textContent('#state'), state, `${action} on case ${caseId}`);
}

// The whole path from a report to 结案, each step by its role.
async function toClosure(p, caseId, verify) {
  if (verify) await act(p.grid, caseId, 'verify_report', /已核实待立案/);
  await act(p.disp, caseId, 'register', /已立案待派遣/);
  // The suggested department (城管) is preselected.
  await p.disp.goto(`${base}/cases/${caseId}`);
  const chosen = await p.disp.locator('form[data-action=dispatch] select[name=department_id] option:checked').textContent();
  assert.match(chosen, /城市管理和综合执法分局（建议/);
  await act(p.disp, caseId, 'dispatch', /已派遣待签收/);
  await act(p.hand, caseId, 'sign', /处置中/);
  await act(p.hand, caseId, 'report', /已处置待核查/);
  await act(p.grid, caseId, 'check', /已核查待结案/);
  await act(p.disp, caseId, 'close', /已结案/);
}

test('patrol report and Open311 report to closure; board, map, assessment, track', async () => {
  const b = await browser();
  try {
    const disp = await as(b, 'dispatcher');
    // A point inside a cell of 罗马村, where the grid worker works.
    const where = await disp.evaluate(async () => {
      const areas = await (await fetch('/api/v1/geo/areas?kind=grid')).json();
      const f = areas.features.find((x) => x.properties.name.startsWith('罗马村'));
      const ring = f.geometry.type === 'Polygon' ? f.geometry.coordinates[0] : f.geometry.coordinates[0][0];
      const pts = ring.slice(0, -1);
      return {
        longitude: pts.reduce((s, p) => s + p[0], 0) / pts.length,
        latitude: pts.reduce((s, p) => s + p[1], 0) / pts.length,
      };
    });
    const grid = await as(b, 'gridworker', {
      viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true,
      geolocation: where, permissions: ['geolocation'],
    });
    const hand = await as(b, 'handler');
    const p = { disp, grid, hand };

    // The grid worker reports from the phone form with the device's location and a photo.
    await grid.goto(`${base}/urban/report`);
    await grid.selectOption('select[name=category]', 'event:0102');
    await grid.fill('textarea[name=content]', '浏览器测试：路口暴露垃圾');
    await grid.fill('input[name=address]', '罗马村香芒东路6号');
    await grid.setInputFiles('input[name=photo]', photo('before.png'));
    await grid.click('#here');
    await grid.waitForFunction(() => document.querySelector('input[name=lon]').value !== '');
    await grid.screenshot({ path: `${shots}/urban-report-phone.png`, fullPage: true });
    await grid.click('#send');
    // Nearby reports of the same kind are offered first; the worker reports anyway.
    await Promise.race([
      grid.waitForURL(/\/cases\/\d+$/),
      grid.waitForSelector('#dups:not([hidden])').then(() => grid.click('#send')),
    ]).catch(async (e) => {
      await grid.screenshot({ path: `${shots}/urban-failed.png`, fullPage: true });
      throw e;
    });
    await grid.waitForURL(/\/cases\/\d+$/).catch(async (e) => {
      await grid.screenshot({ path: `${shots}/urban-failed.png`, fullPage: true });
      throw e;
    });
    const patrolId = grid.url().split('/').pop();
    assert.match(await grid.textContent('#state'), /已上报待核实/);

    // A citizen app reports through Open311 with a key the administrator issued.
    const admin = await as(b, 'admin');
    const key = await admin.evaluate(async () => {
      const csrf = JSON.parse(document.body.getAttribute('hx-headers'))['X-CSRF-Token'];
      const nodes = await (await fetch('/api/v1/org/nodes')).json();
      const town = (nodes.items ?? nodes).find((n) => n.kind === 'town');
      const r = await fetch('/api/v1/open311/clients', {
        method: 'POST', headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': csrf },
        body: JSON.stringify({ username: `browser-app-${Date.now()}`, display_name: '浏览器测试应用', node_id: town.id }),
      });
      return (await r.json()).api_key;
    });
    assert.ok(key, 'an api_key is issued');
    const posted = await fetch(`${base}/open311/v2/requests.json`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        api_key: key, service_code: 'event:0102', lat: String(where.latitude), long: String(where.longitude),
        description: 'Open311 浏览器测试：垃圾堆放', first_name: '明', last_name: '李', phone: '13800000000',
      }),
    });
    assert.equal(posted.status, 200);
    const requestNo = (await posted.json())[0].service_request_id;

    // The same through the XML format.
    const postedXml = await fetch(`${base}/open311/v2/requests.xml`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        api_key: key, service_code: 'component:0101', lat: String(where.latitude), long: String(where.longitude),
        description: 'Open311 XML：上水井盖破损',
      }),
    });
    assert.equal(postedXml.status, 200);
    const xmlNo = (await postedXml.text()).match(/<service_request_id>([^<]+)<\/service_request_id>/)[1];

    // Both appear on the dispatch board, awaiting 核实.
    await disp.goto(`${base}/urban/board`);
    assert.equal(await disp.locator(`section[data-state=reported] a[data-case-no="${xmlNo}"]`).count(), 1);
    const card = disp.locator(`section[data-state=reported] a[data-case-no="${requestNo}"]`);
    assert.equal(await card.count(), 1, 'the Open311 report is on the board');
    await disp.screenshot({ path: `${shots}/urban-board.png` });
    const openId = (await card.getAttribute('href')).split('/').pop();

    await toClosure(p, openId, true);
    await toClosure(p, patrolId, false);
    await disp.goto(`${base}/cases/${openId}`);
    const timeline = await disp.textContent('#timeline');
    assert.match(timeline, /结案/);
    await disp.screenshot({ path: `${shots}/urban-case-closed.png`, fullPage: true });
    // Gone from the board.
    await disp.goto(`${base}/urban/board`);
    assert.equal(await disp.locator(`a[data-case-no="${requestNo}"]`).count(), 0);

    // A citizen reports on the public page, without logging in; it awaits 核实 on the board.
    const pub = await (await b.newContext({ locale: 'zh-CN' })).newPage();
    await pub.goto(`${base}/public/report`);
    await pub.waitForSelector('#pick path.leaflet-interactive');
    await pub.selectOption('select[name=category]', 'event:0102');
    await pub.fill('textarea[name=content]', '市民反映：小区门口垃圾无人清运');
    await pub.fill('input[name=address]', '清溪镇香芒东路9号');
    await pub.fill('input[name=party_name]', '赵市民');
    await pub.fill('input[name=party_phone]', '13700000000');
    await pub.screenshot({ path: `${shots}/public-report.png`, fullPage: true });
    await submit(pub, pub.locator('#public-report button[type=submit]'));
    const citizenNo = (await pub.textContent('#case-no')).trim();
    await disp.goto(`${base}/urban/board`);
    assert.equal(await disp.locator(`section[data-state=reported] a[data-case-no="${citizenNo}"]`).count(), 1);

    // The citizen follows the report by its number, without logging in.
    await pub.goto(`${base}/track?no=${requestNo}`);
    assert.match(await pub.textContent('#found'), /已结案/);
    assert.match(await pub.textContent('#steps'), /已上报.*已核实待立案.*已结案/s);
    assert.doesNotMatch(await pub.content(), /13800000000/);
    await pub.screenshot({ path: `${shots}/track.png`, fullPage: true });

    // The map: areas drawn, cases of the view counted, the filter applied.
    await disp.goto(`${base}/urban/map`);
    await disp.waitForSelector('#map[data-areas]');
    assert.ok(Number(await disp.getAttribute('#map', 'data-areas')) > 20, 'villages and cells are drawn');
    await disp.waitForFunction(() => /本视图 \d+ 件/.test(document.getElementById('map-count').textContent));
    const openCount = Number((await disp.textContent('#map-count')).match(/\d+/)[0]);
    assert.ok(openCount > 0, 'open cases are on the map');
    await disp.selectOption('select[name=open]', '');
    await disp.waitForFunction((n) => {
      const m = document.getElementById('map-count').textContent.match(/\d+/);
      return m && Number(m[0]) > n;
    }, openCount);
    await disp.screenshot({ path: `${shots}/urban-map.png` });

    // The assessment counts both reports.
    await disp.goto(`${base}/urban/assessment`);
    await disp.waitForSelector('#ranking canvas');
    assert.match(await disp.textContent('#seed'), /办结率/);
    assert.ok(await disp.locator('#assessment tbody tr').count() >= 1);
    await disp.screenshot({ path: `${shots}/urban-assessment.png`, fullPage: true });
  } finally {
    await b.close();
  }
});
