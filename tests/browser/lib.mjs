// What the browser tests share: Debian's chromium through playwright-core, logging in, and
// submitting a form that must not come back with an error.
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';

export const base = process.env.ZHILI_BASE_URL;
export const shots = process.env.ZHILI_SCREENSHOTS ?? '/tmp';

export async function browser() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

// A logged-in page for a user (password `<user>-pass`), in its own browser context.
export async function as(b, user, options = {}) {
  const ctx = await b.newContext({ viewport: { width: 1360, height: 900 }, locale: 'zh-CN', ...options });
  const page = await ctx.newPage();
  page.on('pageerror', (e) => { throw e; });
  await page.goto(`${base}/login`);
  await page.fill('input[name=username]', user);
  await page.fill('input[name=password]', `${user}-pass`);
  await page.click('button[type=submit]');
  await page.waitForURL(`${base}/`);
  return page;
}

// Submit a form and wait for the page the server answers with; it must show no error. On a
// failure the page is kept as `<failed>.png`.
export async function submit(page, button, failed = 'failed') {
  await Promise.all([page.waitForEvent('load'), button.click()]).catch(async (e) => {
    await page.screenshot({ path: `${shots}/${failed}.png`, fullPage: true });
    throw e;
  });
  const error = await page.locator('.error').count();
  if (error) await page.screenshot({ path: `${shots}/${failed}.png`, fullPage: true });
  assert.equal(error, 0, error ? await page.textContent('.error') : '');
}
