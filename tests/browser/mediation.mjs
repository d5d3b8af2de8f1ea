// Browser test of people's mediation (人民调解) in headless Chromium: a village mediator registers a
// dispute a party applied for, accepts it, records a session and the agreement (调解协议书), which
// comes out as a Word document; the leader reviews the case file and approves the subsidy
// (以案定补), then records its payment in the ledger. A dispute the committee takes up itself
// fails, and the parties are told the routes left to them. The mediator's workbench and the
// committees' register show it all.
// Users (passwords set by crates/zhili-cli/tests/browser.rs): tm200 (罗马村人民调解委员会), leader,
// each with password `<user>-pass`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { as, base, browser, shots, submit as submitOr } from './lib.mjs';

const submit = (page, button) => submitOr(page, button, 'mediation-failed');

async function register(page, { start, title, a, b }) {
  await page.goto(`${base}/mediation/new`);
  await page.selectOption('select[name=kind]', 'mediation');
  await page.selectOption('select[name=start]', start);
  await page.selectOption('select[name=category]', 'neighbour');
  await page.locator('select[name=node_id]').selectOption({ label: '罗马村（村/社区）' });
  await page.locator('select[name=department_id]').selectOption({ label: '罗马村人民调解委员会' });
  await page.fill('input[name=title]', title);
  await page.fill('textarea[name=content]', `${title}，请求调解`);
  for (const [k, v] of Object.entries(a)) await page.fill(`input[name=a_${k}]`, v);
  for (const [k, v] of Object.entries(b)) await page.fill(`input[name=b_${k}]`, v);
  await submit(page, page.locator('#new-mediation button[type=submit]'));
  return Number(page.url().split('/').pop());
}

async function act(page, id, action, state, fill = {}) {
  await page.goto(`${base}/cases/${id}`);
  const form = page.locator(`form[data-action=${action}]`);
  assert.equal(await form.count(), 1, `${action} is offered`);
  for (const f of ['note', 'reason']) {
    if (await form.locator(`textarea[name=${f}]`).count()) await form.locator(`textarea[name=${f}]`).fill(fill[f] ?? `浏览器测试：${action}`);
  }
  for (const [k, v] of Object.entries(fill.fields ?? {})) await form.locator(`[name=${k}]`).fill(v);
  await submit(page, form.locator('button[type=submit]'));
  assert.match(await page.textContent('#state'), state);
}

test('a mediation from application to agreement, document and subsidy; a failure tells the routes', async () => {
  const b = await browser();
  try {
    const med = await as(b, 'tm200');
    // A form with an error comes back with what was typed and the field named.
    await med.goto(`${base}/mediation/new`);
    await med.fill('input[name=title]', '浏览器测试：缺被申请人');
    await med.fill('textarea[name=content]', '只有一方');
    await med.fill('input[name=a_name]', '周九');
    await Promise.all([med.waitForEvent('load'), med.click('#new-mediation button[type=submit]')]);
    assert.match(await med.textContent('.error'), /parties/);
    assert.equal(await med.inputValue('input[name=a_name]'), '周九');

    const id = await register(med, {
      start: 'application',
      title: '浏览器测试：邻里漏水纠纷',
      a: { name: '周九', id_number: '441900199001011231', phone: '13400134000', address: '罗马村一巷3号' },
      b: { name: '吴十' },
    });
    assert.match(await med.textContent('#mediation'), /罗马村人民调解委员会[\s\S]*当事人申请[\s\S]*邻里纠纷/);
    assert.match(await med.textContent('#state'), /已申请待受理/);
    const caseNo = (await med.textContent('h1')).trim().split(' ')[0];
    assert.ok(!(await med.textContent('main')).includes('周九'), 'parties masked');
    assert.match(await med.textContent('main'), /被申请人/);

    await act(med, id, 'accept', /调解中/);
    await act(med, id, 'session', /调解中/, { note: '第一次调解：双方陈述，查看现场' });
    // It may escalate: the mediator puts it on the risk register from the case page; the form comes
    // filled in from the dispute and the two cases are linked.
    await med.goto(`${base}/cases/${id}`);
    await Promise.all([med.waitForEvent('load'), med.click('#to-risk')]);
    assert.match(await med.textContent('#from'), new RegExp(caseNo));
    assert.match(await med.inputValue('input[name=title]'), /浏览器测试：邻里漏水纠纷（转自/);
    await med.selectOption('select[name=grade]', 'yellow');
    await submit(med, med.locator('#new-risk button[type=submit]'));
    assert.match(await med.textContent('#risk'), /黄色/);
    assert.match(await med.textContent("#links"), new RegExp(caseNo));
    const deadline = new Date(Date.now() + 20 * 86400e3).toISOString().slice(0, 10);
    await act(med, id, 'succeed', /调解成功/, {
      fields: {
        agreement_facts: '楼上漏水致楼下天花板受损，楼上住户负主要责任',
        agreement_content: '楼上住户赔偿维修费2000元',
        agreement_performance: '一次性转账支付',
        agreement_deadline: deadline,
      },
    });
    assert.match(await med.textContent('#confirm-window'), /前共同申请/);
    assert.match(await med.textContent('#documents'), /人民调解协议书/);
    const doc = await med.evaluate(async (url) => {
      const r = await fetch(url);
      const bytes = new Uint8Array(await r.arrayBuffer());
      return { status: r.status, type: r.headers.get('content-type'), zip: String.fromCharCode(bytes[0], bytes[1]) };
    }, await med.getAttribute('#documents li:first-child a', 'href'));
    assert.deepEqual([doc.status, doc.zip], [200, 'PK']);
    assert.match(doc.type, /wordprocessingml/);
    assert.match(await med.textContent('#subsidy'), /待审核/);
    assert.equal(await med.locator('#subsidy-form').count(), 0, 'a mediator does not approve subsidies');
    await med.screenshot({ path: `${shots}/mediation-agreed.png`, fullPage: true });

    // The leader reviews the case file and approves the subsidy, then records the payment.
    const lead = await as(b, 'leader');
    await lead.goto(`${base}/cases/${id}`);
    await lead.selectOption('#subsidy-form select[name=grade]', 'ordinary');
    await lead.fill('#subsidy-form input[name=note]', '卷宗齐全，协议规范');
    await submit(lead, lead.locator('#subsidy-form button[type=submit]'));
    assert.match(await lead.textContent('#subsidy'), /一般纠纷 ¥300\.00 · 待支付/);
    await lead.goto(`${base}/mediation/subsidies`);
    const row = lead.locator('#subsidies tr', { hasText: caseNo });
    assert.match(await row.textContent(), /罗马村人民调解委员会[\s\S]*一般纠纷[\s\S]*¥300\.00/);
    await row.locator('input[name=note]').fill('凭证 2026-0001');
    await submit(lead, row.locator('button[type=submit]'));
    assert.match(await lead.locator('#subsidies tr', { hasText: caseNo }).textContent(), /已支付/);
    await lead.screenshot({ path: `${shots}/mediation-subsidies.png`, fullPage: true });
    await lead.goto(`${base}/cases/${id}`);
    assert.match(await lead.textContent('#subsidy'), /已支付/);

    // The committee takes a dispute up itself; it fails and the parties are told their routes.
    const other = await register(med, {
      start: 'committee',
      title: '浏览器测试：山林界址纠纷',
      a: { name: '甲某' },
      b: { name: '乙某' },
    });
    assert.match(await med.textContent('#start'), /调委会主动调解/);
    await act(med, other, 'accept', /调解中/);
    await act(med, other, 'fail', /调解不成/, { reason: '双方分歧较大，调解不成' });
    assert.match(await med.textContent('#notice'), /仲裁、行政、司法等途径/);
    assert.match(await med.textContent('#timeline'), /已告知当事人/);

    // The home workbench's to-do list is what the count says: no ended case of another kind
    // whose state has the same name.
    await med.goto(`${base}/`);
    const todo = Number(await med.textContent('#kpi-todo'));
    if (todo < 50) assert.equal(await med.locator('#cases tbody tr td a').count(), todo);
    assert.ok(todo >= 1, 'the agreed case waits for its follow-up');

    // The mediator's workbench: their own cases, the most urgent first.
    await med.goto(`${base}/mediation?open=all`);
    const mine = await med.textContent('#mediations');
    assert.ok(mine.includes('浏览器测试：邻里漏水纠纷') && mine.includes('浏览器测试：山林界址纠纷'), mine);
    assert.match(await med.textContent('#figures'), /调解成功率/);
    const xlsx = await med.evaluate(async (url) => {
      const r = await fetch(url);
      return { status: r.status, type: r.headers.get('content-type'), size: (await r.arrayBuffer()).byteLength };
    }, await med.getAttribute('#export', 'href'));
    assert.equal(xlsx.status, 200);
    assert.match(xlsx.type, /spreadsheetml/);
    assert.ok(xlsx.size > 3000, `${xlsx.size}`);
    await med.screenshot({ path: `${shots}/mediation-workbench.png`, fullPage: true });
    await lead.goto(`${base}/mediation/committees`);
    assert.match(await lead.textContent('#committees'), /罗马村人民调解委员会[\s\S]*主任/);
    await lead.screenshot({ path: `${shots}/mediation-committees.png`, fullPage: true });
    // The figures per mediator, from the same records.
    await lead.goto(`${base}/dashboard?kind=mediation&group_by=handler`);
    assert.match(await lead.textContent('#indicators thead'), /调解受理数[\s\S]*调解成功率[\s\S]*以案定补金额/);
    assert.match(await lead.textContent('#indicators tbody'), /人民调解员（罗马村）/);
    await lead.waitForSelector('#trend canvas');
  } finally {
    await b.close();
  }
});
