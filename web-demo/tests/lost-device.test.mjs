// Issue 14 item 11: a closed tab must not keep a group-session member silent. Tab 2 plays and is
// closed (it stays the user's active device until the server's grace period runs out); tab 1 of
// the same user starts a session, a guest joins, the host plays: every member's audio advances.

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

const audioTime = (page) => page.evaluate(() => document.querySelector('#audio').currentTime);

test('a closed active tab does not silence a member: every member of the session hears the host play', async () => {
  await withScreens('lost-device', async (pages) => {
    const [alice, carol] = await Promise.all([demoUser('alice'), demoUser('carol')]);
    const tab1 = await openPage(browser, alice, { deviceName: 'Alice tab 1' });
    pages.push(['tab1', tab1]);
    const tab2 = await openPage(browser, alice, { deviceName: 'Alice tab 2' });
    pages.push(['tab2', tab2]);

    // Play on tab 2, then close it while it is the active device.
    await tab2.locator('.trow[data-track-id]').first().waitFor();
    await tab2.locator('.trow[data-track-id] .ttl').first().dblclick();
    await waitAudioPlaying(tab2, 5000);
    const tab2Id = await tab2.evaluate(() => window.segue.store.device.id);
    pages.pop();
    await tab2.context().close();
    // Tab 1 learns that tab 2 is offline (well inside the server's disconnect grace period, so
    // tab 2 may still be marked active).
    await tab1.waitForFunction((id) => window.segue.store.devices.some((d) => d.device_id === id && d.online === false), tab2Id, { timeout: 5000 });

    // Tab 1 starts a session; carol joins with the code.
    await tab1.getByRole('button', { name: 'Listen together' }).first().click();
    await tab1.locator('#session-start').click();
    await tab1.waitForFunction(() => /\w{3,}/.test(document.querySelector('#session-code')?.textContent || ''), null, { timeout: 5000 });
    const code = (await tab1.locator('#session-code').textContent()).trim();
    const guest = await openPage(browser, carol, { path: `/join/${encodeURIComponent(code)}`, deviceName: 'Carol tab' });
    pages.push(['guest', guest]);
    await guest.waitForFunction(() => window.segue.store.session != null, null, { timeout: 5000 });

    // The host plays a song.
    await tab1.locator('.trow[data-track-id] .ttl').nth(2).dblclick();
    await tab1.waitForFunction(() => window.segue.store.player?.playing === true, null, { timeout: 5000 });
    await Promise.all([waitAudioPlaying(tab1, 5000), waitAudioPlaying(guest, 5000)]);

    // Every member's audio advances, not just once: sample twice, a second apart.
    const t0 = await Promise.all([audioTime(tab1), audioTime(guest)]);
    await sleep(1000);
    const t1 = await Promise.all([audioTime(tab1), audioTime(guest)]);
    assert.ok(t1[0] > t0[0] + 0.5, `the host's audio advances (${t0[0]} → ${t1[0]})`);
    assert.ok(t1[1] > t0[1] + 0.5, `the guest's audio advances (${t0[1]} → ${t1[1]})`);
    assert.equal(await tab1.evaluate(() => window.segue.engine.isActive()), true, 'tab 1 plays for the host');

    await tab1.locator('#session-end').click({ timeout: 2000 }).catch(() => {});
    assert.deepEqual(tab1.errors, []);
    assert.deepEqual(guest.errors, []);
  });
});
