// Two users in a group session: the host plays a song and starts "Listen together" (the session
// starts paused; the host presses play), the guest joins with the code (through the /join/{code}
// link, at phone width) and hears the same item at the same position (±250 ms).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, demoUser, openPage, waitAudioPlaying, audioSample, screenshot, withScreens, sleep } from './helpers.mjs';

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

/** Offset between the two pages' audio, sampled back to back a few times (median, ms). */
async function audioOffset(p1, p2) {
  const diffs = [];
  for (let i = 0; i < 7; i++) {
    const [s1, s2] = await Promise.all([audioSample(p1), audioSample(p2)]);
    // Same machine clock: bring both positions to the same instant.
    diffs.push(s2.pos - s1.pos - (s2.wall - s1.wall));
    await sleep(150);
  }
  diffs.sort((x, y) => x - y);
  return diffs[3];
}

test('guest joins with the code and hears the same item at the same position', async () => {
  await withScreens('session', async (pages) => {
    const [alice, carol] = await Promise.all([demoUser('alice'), demoUser('carol')]);
    const host = await openPage(browser, alice, { deviceName: 'Alice laptop' });
    pages.push(['host', host]);

    await host.locator('.trow[data-track-id]').nth(2).waitFor();
    await host.locator('.trow[data-track-id] .ttl').nth(2).dblclick();
    await waitAudioPlaying(host, 5000);

    await host.getByRole('button', { name: 'Listen together' }).first().click();
    await host.locator('#session-start').click();
    const codeEl = host.locator('#session-code');
    await host.waitForFunction(() => /\w{3,}/.test(document.querySelector('#session-code')?.textContent || ''), null, { timeout: 5000 });
    const code = (await codeEl.textContent()).trim();
    await screenshot(host, 'session-1-host-code');

    // The guest opens the join link; the app logs in from storage and joins.
    const guest = await openPage(browser, carol, { path: `/join/${encodeURIComponent(code)}`, deviceName: 'Carol phone', viewport: { width: 390, height: 820 } });
    pages.push(['guest', guest]);
    await guest.waitForFunction(() => window.segue.store.session != null, null, { timeout: 5000 });
    // A new session starts from the host's player, paused: the host presses play for everyone.
    if (!(await host.evaluate(() => window.segue.store.player?.playing))) {
      await host.locator('#play-btn').click();
    }
    await waitAudioPlaying(guest, 5000);
    await waitAudioPlaying(host, 5000);

    // Members: both, with the host badged.
    await host.waitForFunction(() => document.querySelectorAll('#panel .member').length === 2, null, { timeout: 3000 });
    const hostBadges = await host.locator('#panel .member .badge').count();
    assert.equal(hostBadges, 1, 'exactly one host badge');

    // Same item, same position: let the sync settle, then compare.
    await sleep(2500);
    const [h1, g1] = await Promise.all([audioSample(host), audioSample(guest)]);
    assert.equal(g1.track_id, h1.track_id, 'same track');
    assert.equal(g1.item_id, h1.item_id, 'same item');
    const off = await audioOffset(host, guest);
    console.log(`guest vs host audio offset: ${Math.round(off)} ms`);
    assert.ok(Math.abs(off) <= 250, `guest is ${Math.round(off)} ms off the host (expected ±250)`);

    await screenshot(host, 'session-2-host-members');
    // (joining opened the guest's "Listen together" panel)
    await guest.locator('#panel[data-panel="session"]').waitFor({ timeout: 2000 });
    await screenshot(guest, 'session-3-guest-phone');

    // The guest leaves: the host's member list shrinks.
    await guest.locator('#session-leave').click();
    await host.waitForFunction(() => document.querySelectorAll('#panel .member').length === 1, null, { timeout: 3000 });
    await host.locator('#session-end').click();
    assert.deepEqual(host.errors, []);
    assert.deepEqual(guest.errors, []);
  });
});
