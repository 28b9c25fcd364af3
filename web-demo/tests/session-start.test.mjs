// A group session's start waits for a member that is still loading only until that member can
// play: the guest's audio is held back (slow network), it reports `buffering`, then
// `buffering {ready: true}` on canplay, and both start well before the buffering window
// (session.buffering_wait_ms, 3 s) would have run out.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, demoUser, openPage, waitAudioPlaying, withScreens, sleep } from './helpers.mjs';

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

/** Records every frame the page's app sends (type, fields, page time). */
const recordSent = (page) =>
  page.evaluate(() => {
    const s = window.segue.sock;
    const send = s.send.bind(s);
    window.__sent = [];
    s.send = (type, fields, ...rest) => {
      window.__sent.push({ type, fields: fields ?? null, at: Date.now() });
      return send(type, fields, ...rest);
    };
  });

/** Resolves when the page plays `itemId` audibly. */
async function waitPlayingItem(page, itemId, timeout) {
  await page.waitForFunction((id) => window.segue.engine.debug().item_id === id, itemId, { timeout, polling: 20 });
  await waitAudioPlaying(page, timeout);
}

test('a member that was buffering says ready and the session starts well under the buffering window', async () => {
  await withScreens('session-start', async (pages) => {
    const [alice, carol] = await Promise.all([demoUser('alice'), demoUser('carol')]);
    const host = await openPage(browser, alice, { deviceName: 'Alice start' });
    pages.push(['host', host]);
    await host.locator('.trow[data-track-id]').nth(1).waitFor();
    await host.locator('.trow[data-track-id] .ttl').nth(1).dblclick();
    await waitAudioPlaying(host, 5000);

    await host.getByRole('button', { name: 'Listen together' }).first().click();
    await host.locator('#session-start').click();
    await host.waitForFunction(() => /\w{3,}/.test(document.querySelector('#session-code')?.textContent || ''), null, { timeout: 5000 });
    const code = (await host.locator('#session-code').textContent()).trim();
    const guest = await openPage(browser, carol, { path: `/join/${encodeURIComponent(code)}`, deviceName: 'Carol start' });
    pages.push(['guest', guest]);
    await guest.waitForFunction(() => window.segue.store.session != null, null, { timeout: 5000 });
    if (!(await host.evaluate(() => window.segue.store.player?.playing))) await host.locator('#play-btn').click();
    await waitAudioPlaying(guest, 5000);
    await waitAudioPlaying(host, 5000);

    // The guest's audio now arrives late: it cannot start at start_at_ms and reports buffering.
    const HOLD_MS = 600;
    await guest.context().route('**/cdn/**', async (route) => {
      await sleep(HOLD_MS);
      await route.continue();
    });
    await recordSent(guest);
    const before = await host.evaluate(() => window.segue.store.player.item.item_id);

    const clickedAt = Date.now();
    await host.locator('.trow[data-track-id] .ttl').nth(5).dblclick();
    await host.waitForFunction((b) => window.segue.store.player?.item?.item_id !== b, before, { timeout: 3000 });
    const item = await host.evaluate(() => window.segue.store.player.item.item_id);
    await Promise.all([waitPlayingItem(host, item, 5000), waitPlayingItem(guest, item, 5000)]);
    const tookMs = Date.now() - clickedAt;

    const sent = await guest.evaluate(() => window.__sent.filter((f) => f.type === 'buffering'));
    console.log(`both playing ${tookMs} ms after the host's play; guest sent ${JSON.stringify(sent.map((f) => f.fields))}`);
    assert.ok(sent.some((f) => f.fields?.item_id === item && !f.fields.ready), 'the held-back guest reported buffering');
    assert.ok(sent.some((f) => f.fields?.item_id === item && f.fields.ready === true), 'the guest said ready: true once it could play');
    // Without ready: true the start waits the whole 3 s window after the buffering report.
    assert.ok(tookMs < 2000, `both played ${tookMs} ms after the host's play (buffering window 3000 ms)`);

    await host.locator('#session-end').click({ timeout: 2000 }).catch(() => {});
    assert.deepEqual(host.errors, []);
    assert.deepEqual(guest.errors, []);
  });
});
