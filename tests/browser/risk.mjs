// Browser test of risk screening (矛盾风险隐患排查化解) in headless Chromium: a grid worker
// registers a risk, the command centre hands it to the responsible unit with control measures,
// it is escalated to red and waits for a leader until the petition office puts one in charge,
// the unit follows it up and resolves it; the register shows the figures.
// Users (passwords set by crates/zhili-cli/tests/browser.rs): gridworker (罗马村), dispatcher,
// petition, handler (城管), each with password `<user>-pass`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { as, base, browser, shots, submit as submitOr } from './lib.mjs';

const submit = (page, button) => submitOr(page, button, 'risk-failed');

async function act(page, id, action, state, fill = {}) {
  await page.goto(`${base}/cases/${id}`);
  const form = page.locator(`form[data-action=${action}]`);
  assert.equal(await form.count(), 1, `${action} is offered`);
  for (const f of ['note', 'reason']) {
    if (await form.locator(`textarea[name=${f}]`).count()) await form.locator(`textarea[name=${f}]`).fill(fill[f] ?? `浏览器测试：${action}`);
  }
  if (fill.department) await form.locator('select[name=department_id]').selectOption({ label: fill.department });
  await submit(page, form.locator('button[type=submit]'));
  assert.match(await page.textContent('#state'), state);
}

test('a risk from screening through escalation to resolution', async () => {
  const b = await browser();
  try {
    const grid = await as(b, 'gridworker');
    await grid.goto(`${base}/risks/new`);
    await grid.selectOption('select[name=category]', 'dispute');
    await grid.selectOption('select[name=grade]', 'yellow');
    await grid.locator('select[name=node_id]').selectOption({ label: '罗马村（村/社区）' });
    await grid.fill('input[name=title]', '浏览器测试：宅基地边界纠纷');
    await grid.fill('input[name=people_involved]', '6');
    await grid.fill('textarea[name=content]', '两户因宅基地边界发生争执，情绪激动');
    await grid.fill('input[name=party_name]', '孙八');
    await submit(grid, grid.locator('#new-risk button[type=submit]'));
    const id = Number(grid.url().split('/').pop());
    assert.match(await grid.textContent('#grade'), /黄色/);
    assert.ok(!(await grid.textContent('main')).includes('孙八'), 'masked');

    const disp = await as(b, 'dispatcher');
    await act(disp, id, 'control', /管控化解中/, { department: '城市管理和综合执法分局', note: '村委会每周走访稳控' });

    // Escalated to red: it now waits for a leader.
    await grid.goto(`${base}/cases/${id}`);
    await grid.selectOption('#grade-form select[name=grade]', 'red');
    await grid.fill('#grade-form input[name=reason]', '双方扬言动手，涉及人数增加');
    await submit(grid, grid.locator('#grade-form button[type=submit]'));
    assert.match(await grid.textContent('#risk'), /红色[\s\S]*升级×1[\s\S]*待领导包保/);
    await disp.goto(`${base}/risks`);
    assert.match(await disp.textContent('#risks tbody tr:first-child'), /浏览器测试：宅基地边界纠纷[\s\S]*待领导包保/);

    const pet = await as(b, 'petition');
    await pet.goto(`${base}/cases/${id}`);
    await pet.fill('#lead-form input[name=deadline]', new Date(Date.now() + 7 * 86400e3).toISOString().slice(0, 10));
    await pet.fill('#lead-form textarea[name=text]', '领导包保，组织人民调解');
    await submit(pet, pet.locator('#lead-form button[type=submit]'));
    assert.match(await pet.textContent('#risk'), /镇领导 钟明/);

    const hand = await as(b, 'handler');
    await act(hand, id, 'follow_up', /管控化解中/, { note: '已回访，双方同意调解' });
    await act(hand, id, 'resolve', /已化解/, { note: '经调解达成协议，矛盾化解' });
    await hand.screenshot({ path: `${shots}/risk-case.png`, fullPage: true });

    await disp.goto(`${base}/risks?open=false`);
    assert.match(await disp.textContent('#risks'), /浏览器测试：宅基地边界纠纷/);
    assert.match(await disp.textContent('#figures'), /化解率/);
    await disp.goto(`${base}/risks`);
    await disp.screenshot({ path: `${shots}/risk-register.png`, fullPage: false });
  } finally {
    await b.close();
  }
});
