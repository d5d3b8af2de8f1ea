// Browser test of the staff web UI in headless Chromium (Debian's, through playwright-core).
// Usage: ZHILI_BASE_URL=http://… ZHILI_SCREENSHOTS=dir node --test flow.mjs
// The server must hold the demo town with the passwords set by the caller (see
// crates/zhili-cli/tests/browser.rs): dispatcher / dispatcher-pass, handler / handler-pass.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';

const base = process.env.ZHILI_BASE_URL;
const shots = process.env.ZHILI_SCREENSHOTS ?? '/tmp';

async function browser() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

// Submit a form and wait for the page that the server answers with.
async function submit(page, button) {
  await Promise.all([page.waitForEvent('load'), button.click()]);
  const error = await page.locator('.error').count();
  assert.equal(error, 0, error ? await page.textContent('.error') : '');
}

async function login(page, user, password) {
  await page.goto(`${base}/`);
  assert.match(page.url(), /\/login\?next=/, 'unauthenticated users are sent to the login page');
  await page.fill('input[name=username]', user);
  await page.fill('input[name=password]', password);
  await page.click('button[type=submit]');
  await page.waitForURL(`${base}/`);
}

test('log in, register a case, dispatch it, sign it', async () => {
  const b = await browser();
  try {
    const ctx = await b.newContext({ viewport: { width: 1360, height: 900 }, locale: 'zh-CN' });
    const page = await ctx.newPage();

    // A wrong password is refused with a message.
    await page.goto(`${base}/login`);
    await page.fill('input[name=username]', 'dispatcher');
    await page.fill('input[name=password]', 'wrong');
    await page.click('button[type=submit]');
    assert.match(await page.textContent('.error'), /登录失败/);

    await login(page, 'dispatcher', 'dispatcher-pass');
    assert.match(await page.textContent('h1'), /工作台/);
    await page.selectOption('select[name=todo]', '0');
    await page.click('form.filters button[type=submit]');
    const rows = await page.locator('#cases tbody tr').count();
    assert.ok(rows > 5, `the demo year's cases are listed (${rows})`);
    await page.screenshot({ path: `${shots}/workbench.png`, fullPage: false });

    // Register a case.
    await page.click('a[href="/cases/new"]');
    await page.fill('input[name=title]', '浏览器测试：香芒东路井盖缺失');
    await page.fill('input[name=category]', '道路设施');
    await page.selectOption('select[name=channel]', 'hotline');
    const options = await page.locator('select[name=node_id] option').allTextContents();
    const grid = options.findIndex((o) => o.includes('罗马村第1网格'));
    assert.ok(grid >= 0, 'grid cells are offered as locations');
    await page.selectOption('select[name=node_id]', { index: grid });
    await page.fill('input[name=address]', '清溪镇罗马村香芒东路88号');
    await page.fill('textarea[name=content]', '路口井盖缺失，存在安全隐患，请尽快处理。');
    await page.fill('input[name=party_name]', '王小明');
    await page.fill('input[name=party_phone]', '13912345678');
    await page.screenshot({ path: `${shots}/register.png` });
    await page.click('#new-case button[type=submit]');
    await page.waitForURL(/\/cases\/\d+$/);
    const caseUrl = page.url();
    assert.match(await page.textContent('#state'), /已立案待派遣/);
    // The complainant is masked; the reveal is logged in the timeline.
    assert.ok((await page.textContent('table')).length > 0);
    const partiesText = await page.locator('tr[id^=party-]').first().textContent();
    assert.match(partiesText, /王\*/);
    assert.doesNotMatch(partiesText, /王小明/);
    await page.locator('tr[id^=party-] button').first().click();
    await page.waitForSelector('tr.revealed');
    assert.match(await page.locator('tr.revealed').textContent(), /王小明.*13912345678/);

    // Dispatch to a department.
    const dispatch = page.locator('form[data-action=dispatch]');
    await dispatch.locator('select[name=department_id]').selectOption({ label: '住房城乡建设和交通局' });
    await submit(page, dispatch.locator('button[type=submit]'));
    assert.equal(page.url(), caseUrl);
    assert.match(await page.textContent('#state'), /已派遣待签收/);
    assert.match(await page.textContent('#department'), /住房城乡建设和交通局/);
    const timeline = await page.textContent('#timeline');
    assert.match(timeline, /派遣/);
    assert.match(timeline, /查看个人信息/);
    await page.screenshot({ path: `${shots}/case-dispatched.png`, fullPage: true });

    // The dispatcher cannot sign for the department.
    assert.equal(await page.locator('form[data-action=sign]').count(), 0);

    // Log out; the department's handler signs.
    await submit(page, page.locator('form[action="/logout"] button'));
    assert.match(page.url(), /\/login/);
    await login(page, 'h_zjj', 'handler-pass');
    await page.goto(caseUrl);
    await submit(page, page.locator('form[data-action=sign] button'));
    assert.match(await page.textContent('#state'), /处置中/);
    // Report the result with a note and a photo.
    const report = page.locator('form[data-action=report]');
    await report.locator('textarea[name=note]').fill('已安装新井盖');
    await report.locator('input[type=file]').setInputFiles({
      name: 'after.png', mimeType: 'image/png',
      buffer: Buffer.from('89504e470d0a1a0a0000000d4948445200000001000000010806000000', 'hex'),
    });
    await submit(page, report.locator('button'));
    assert.equal(page.url(), caseUrl);
    assert.match(await page.textContent('#state'), /已处置待核查/);
    assert.match(await page.textContent('#timeline'), /处置反馈/);
    await page.screenshot({ path: `${shots}/case-handled.png`, fullPage: true });

    // The dashboard shows figures from the same records.
    await page.goto(`${base}/dashboard`);
    assert.match(await page.textContent('h1'), /统计指标/);
    assert.ok(await page.locator('#indicators tbody tr').count() >= 1);
    await page.waitForSelector('#trend canvas');
    await page.screenshot({ path: `${shots}/dashboard.png`, fullPage: true });
  } finally {
    await b.close();
  }
});
