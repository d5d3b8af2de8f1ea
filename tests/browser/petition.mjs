// Browser test of the petition (信访) pages in headless Chromium: a group visit registered by the
// petition officer, assigned to a unit that accepts it, sends the acceptance notice and issues
// the decision letter; the petitioner follows and rates it with the number and code; review
// (复查) and re-review (复核) with a hearing to the final state (复核终结), all through the pages.
// Users (passwords set by crates/zhili-cli/tests/browser.rs): petition (信访工作人员), handler
// (城管), leader, each with password `<user>-pass`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { as, base, browser, shots, submit as submitOr } from './lib.mjs';

const submit = (page, button) => submitOr(page, button, 'petition-failed');

const LETTER = {
  letter_request: '要求支付拖欠的三个月工资',
  letter_facts: '经查，该厂拖欠工资属实，已责令限期支付',
  letter_basis: '《保障农民工工资支付条例》第三条',
};

// Take one action on the petition's page, filling what its form asks for.
async function act(page, caseId, action, state, extra = {}) {
  await page.goto(`${base}/cases/${caseId}`);
  const form = page.locator(`form[data-action=${action}]`);
  assert.equal(await form.count(), 1, `${action} is offered on case ${caseId}`);
  for (const f of ['note', 'reason']) {
    if (await form.locator(`textarea[name=${f}]`).count()) await form.locator(`textarea[name=${f}]`).fill(`浏览器测试：${action}`);
  }
  if (await form.locator('textarea[name=letter_request]').count()) {
    for (const [k, v] of Object.entries(LETTER)) await form.locator(`textarea[name=${k}]`).fill(v);
    await form.locator('select[name=letter_decision]').selectOption(extra.decision ?? 'support');
  }
  if (extra.department) await form.locator('select[name=department_id]').selectOption({ label: extra.department });
  await submit(page, form.locator('button[type=submit]'));
  assert.match(await page.textContent('#state'), state, `${action} on case ${caseId}`);
}

test('a petition from intake to the decision letter, review, re-review and the final state', async () => {
  const b = await browser();
  try {
    const pet = await as(b, 'petition');
    // Intake: a group visit of 7 with two representatives.
    await pet.goto(`${base}/petitions/new`);
    await pet.selectOption('select[name=channel]', 'visit');
    await pet.selectOption('select[name=category]', 'appeal');
    await pet.locator('select[name=node_id]').selectOption({ label: '罗马村（村/社区）' });
    await pet.fill('input[name=title]', '浏览器测试：五金厂拖欠工资');
    await pet.fill('textarea[name=content]', '反映某五金厂拖欠七名工人三个月工资，要求支付');
    await pet.fill('input[name=petitioner_name]', '王小明');
    await pet.fill('input[name=petitioner_id_number]', '441900199001011231');
    await pet.fill('input[name=petitioner_phone]', '13800138000');
    await pet.fill('input[name=group_size]', '7');
    // A group visit without representatives is refused (第二十条), and the form keeps what was
    // typed; it has room for five.
    await Promise.all([pet.waitForEvent('load'), pet.click('#new-petition button[type=submit]')]);
    assert.match(await pet.textContent('.error'), /representatives/);
    assert.equal(await pet.locator('#representatives input[name$=_name]').count(), 5);
    assert.equal(await pet.inputValue('input[name=title]'), '浏览器测试：五金厂拖欠工资');
    await pet.fill('input[name=rep1_name]', '代表甲');
    await pet.fill('input[name=rep2_name]', '代表乙');
    await submit(pet, pet.locator('#new-petition button[type=submit]'));
    const caseNo = (await pet.textContent('#case-no')).trim();
    const code = (await pet.textContent('#tracking-code')).trim();
    assert.match(caseNo, /^\d{4}PE\d{7}$/);
    assert.match(code, /^[2-9A-Z]{8}$/);
    await pet.screenshot({ path: `${shots}/petition-registered.png`, fullPage: true });
    const href = await pet.getAttribute('#case-no a', 'href');
    const id = Number(href.split('/').pop());

    // The petitioner is masked on the page; the group is shown.
    await pet.goto(`${base}/cases/${id}`);
    const page1 = await pet.textContent('main');
    assert.ok(!page1.includes('王小明') && page1.includes('王*'), 'masked');
    assert.match(await pet.textContent('#petition'), /集体访/);

    await act(pet, id, 'assign', /已交办待受理/, { department: '城市管理和综合执法分局' });
    const hand = await as(b, 'handler');
    await act(hand, id, 'sign', /已受理待告知/);
    await act(hand, id, 'notify', /办理中/);
    await act(hand, id, 'reply', /已答复/);
    await hand.goto(`${base}/cases/${id}`);
    assert.match(await hand.textContent('#documents'), /信访事项受理告知书[\s\S]*信访事项处理意见书（予以支持）/);
    assert.match(await hand.textContent('#window'), /复查申请期至/);
    // The letter downloads as a Word document.
    const doc = await hand.evaluate(async (u) => {
      const r = await fetch(u);
      return { type: r.headers.get('content-type'), size: (await r.arrayBuffer()).byteLength };
    }, await hand.getAttribute('#documents li:nth-child(2) a', 'href'));
    assert.match(doc.type, /wordprocessingml/);
    assert.ok(doc.size > 2000);
    await hand.screenshot({ path: `${shots}/petition-replied.png`, fullPage: true });

    // The petitioner follows it without logging in, sees the decision, and rates it.
    const ctx = await b.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, locale: 'zh-CN' });
    const pub = await ctx.newPage();
    await pub.goto(`${base}/public/petition`);
    await pub.fill('input[name=case_no]', caseNo);
    await pub.fill('input[name=code]', 'WRONG234');
    await Promise.all([pub.waitForEvent('load'), pub.click('#track button[type=submit]')]);
    assert.match(await pub.textContent('.error'), /不正确/);
    await pub.fill('input[name=code]', code.toLowerCase());
    await submit(pub, pub.locator('#track button[type=submit]'));
    assert.match(await pub.textContent('#decision'), /予以支持/);
    assert.ok(!(await pub.textContent('main')).includes('王小明'));
    await pub.check('input[name=rating][value=satisfied]');
    await submit(pub, pub.locator('#rate button[type=submit]'));
    assert.match(await pub.textContent('#rating'), /满意/);
    await pub.screenshot({ path: `${shots}/petition-public.png`, fullPage: true });

    // 领导包案 and 挂牌销号 on the petition's page.
    const lead = await as(b, 'leader');
    const inTen = new Date(Date.now() + 10 * 86400e3).toISOString().slice(0, 10);
    await pet.goto(`${base}/cases/${id}`);
    await pet.fill('#lead-form input[name=deadline]', inTen);
    await pet.fill('#lead-form textarea[name=text]', '约谈企业负责人，督促两周内足额支付');
    await submit(pet, pet.locator('#lead-form button[type=submit]'));
    assert.match(await pet.textContent('#lead'), /镇领导 钟明/);
    await pet.fill('#list-form input[name=deadline]', inTen);
    await pet.fill('#list-form input[name=text]', '集体访，挂牌督办');
    await pet.locator('#list-form select[name=owner_department_id]').selectOption({ label: '城市管理和综合执法分局' });
    await submit(pet, pet.locator('#list-form button[type=submit]'));
    assert.match(await pet.textContent('#ledger-state'), /挂牌中/);
    // Delisting waits for the criteria, which the owning unit meets one by one.
    await pet.fill('#delist-form input[name=text]', '核查');
    await Promise.all([pet.waitForEvent('load'), pet.click('#delist-form button[type=submit]')]);
    assert.match(await pet.textContent('.error'), /not yet met/);
    await hand.goto(`${base}/cases/${id}`);
    for (let i = 0; i < 5; i++) {
      const form = hand.locator('form[data-criterion]').first();
      await form.locator('input[name=text]').fill('已核实');
      await submit(hand, form.locator('button[type=submit]'));
    }
    assert.equal(await hand.locator('form[data-criterion]').count(), 0);
    await lead.goto(`${base}/petitions/leads`);
    assert.match(await lead.textContent('#oversight'), new RegExp(caseNo));
    await lead.goto(`${base}/cases/${id}`);
    await lead.fill('#lead-report-form textarea[name=text]', '企业已足额支付，信访人息诉');
    await submit(lead, lead.locator('#lead-report-form button[type=submit]'));
    await lead.fill('#delist-form input[name=text]', '五项均已达标，同意销号');
    await submit(lead, lead.locator('#delist-form button[type=submit]'));
    assert.match(await lead.textContent('#ledger-state'), /已销号/);
    assert.match(await lead.textContent('#lead-report'), /息诉/);
    await lead.screenshot({ path: `${shots}/petition-oversight.png`, fullPage: true });
    await lead.goto(`${base}/petitions/ledger`);
    assert.match(await lead.textContent('#oversight'), /已销号/);

    // Review and re-review with a hearing, to the final state.
    await act(pet, id, 'request_review', /复查中/);
    await act(lead, id, 'review_decide', /已复查/, { decision: 'explain' });
    await act(pet, id, 'request_rereview', /复核中/);
    await act(lead, id, 'start_hearing', /听证中/);
    await act(lead, id, 'end_hearing', /复核中/);
    await act(lead, id, 'rereview_decide', /复核终结/, { decision: 'reject' });
    await lead.goto(`${base}/cases/${id}`);
    assert.equal(await lead.locator('#documents li').count(), 4);
    assert.equal(await lead.locator('.card.actions form').count(), 0, 'nothing after the final state');
    await lead.screenshot({ path: `${shots}/petition-final.png`, fullPage: true });

    // The workbench lists it among the ended ones.
    await pet.goto(`${base}/petitions?bucket=ended`);
    assert.match(await pet.textContent('#petitions'), new RegExp(caseNo));
    await pet.goto(`${base}/petitions?bucket=handling`);
    await pet.screenshot({ path: `${shots}/petition-workbench.png`, fullPage: false });
  } finally {
    await b.close();
  }
});
