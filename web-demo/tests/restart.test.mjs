// The page recovers after the server restarts: it says the connection is lost and reconnecting,
// comes back by itself, and is whole again from the welcome snapshot (same song, device listed,
// commands work).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, registerUser, openPage, waitConnected, waitAudioPlaying, screenshot, withScreens, sleep } from './helpers.mjs';
import { restart } from './server-ctl.mjs';

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

test('the page reconnects and is whole again after a server restart', async () => {
  await withScreens('restart', async (pages) => {
    const user = await registerUser('rita');
    const page = await openPage(browser, user, { deviceName: 'Rita desktop' });
    pages.push(['page', page]);
    await page.locator('.trow[data-track-id]').first().waitFor();
    await page.locator('.trow[data-track-id] .ttl').first().dblclick();
    await waitAudioPlaying(page, 5000);
    const title = await page.locator('#np-title').textContent();
    await page.locator('#play-btn[aria-label="Pause"]').click();
    await page.waitForFunction(() => window.segue.store.player?.playing === false, null, { timeout: 3000 });
    await sleep(1500); // player state is persisted with a short coalescing delay

    // Restart; the banner must say what is going on while the server is away.
    const restarting = restart();
    await page.locator('#conn-banner', { hasText: 'reconnecting' }).waitFor({ timeout: 10_000 });
    await screenshot(page, 'restart-1-reconnecting');
    await restarting;

    await waitConnected(page, 20_000);
    await page.locator('#conn-banner').waitFor({ state: 'hidden', timeout: 5000 });
    // Whole again: the same song, this tab listed as a device, and commands work.
    await page.waitForFunction((t) => document.querySelector('#np-title')?.textContent === t, title, { timeout: 5000 });
    await page.getByRole('button', { name: 'Connect to a device' }).click();
    const me = await page.evaluate(() => window.segue.store.device.id);
    await page.locator(`.device[data-device-id="${me}"]`).waitFor({ timeout: 5000 });
    await page.locator('#play-btn').click();
    await waitAudioPlaying(page, 5000);
    await screenshot(page, 'restart-2-recovered');
    assert.equal(await page.evaluate(() => window.segue.store.conn), 'open');
    assert.deepEqual(page.errors, []);
  });
});
