// Issue 14 item 18 a: one device id per browser profile. Closing the player and opening it again
// in the same profile reuses the device (no new dead "Chrome tab" device each time); tabs open at
// the same time still get ids of their own; offline devices unseen for long are not listed.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, registerUser, openPage, waitConnected, deviceId, withScreens, screenshot, BASE } from './helpers.mjs';

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

async function newTab(context) {
  const page = await context.newPage();
  page.errors = [];
  page.on('pageerror', (e) => page.errors.push(e.message));
  await page.goto(BASE() + '/');
  await waitConnected(page);
  return page;
}

test('a reopened player reuses its device; simultaneous tabs get their own', async () => {
  await withScreens('device-pool', async (pages) => {
    const user = await registerUser('pool');
    const first = await openPage(browser, user);
    pages.push(['first', first]);
    const context = first.context();
    const id1 = await deviceId(first);
    await first.close({ runBeforeUnload: true });
    pages.pop();

    const again = await newTab(context);
    pages.push(['again', again]);
    assert.equal(await deviceId(again), id1, 'the reopened player is the same device');

    const second = await newTab(context);
    pages.push(['second', second]);
    const id2 = await deviceId(second);
    assert.notEqual(id2, id1, 'a tab open at the same time is another device');

    // The server knows exactly these two devices of this user.
    await again.waitForFunction((n) => window.segue.store.devices.filter((d) => d.online).length === n, 2, { timeout: 5000 });
    assert.equal(await again.evaluate(() => window.segue.store.devices.length), 2);
    assert.deepEqual(again.errors, []);
    assert.deepEqual(second.errors, []);
  });
});

test('offline devices unseen for long are hidden from the device picker', async () => {
  await withScreens('device-hide', async (pages) => {
    const user = await registerUser('hider');
    const page = await openPage(browser, user);
    pages.push(['page', page]);
    // What the server sends for a tab closed three days ago and one closed a minute ago.
    await page.evaluate(() => {
      const now = window.segue.sock.serverNow();
      const devices = [
        ...window.segue.store.devices,
        { device_id: 'web-old', name: 'Old Chrome tab', kind: 'web', online: false, active: false, volume: 100, last_seen_ms: now - 3 * 86400e3 },
        { device_id: 'web-recent', name: 'Recent Chrome tab', kind: 'web', online: false, active: false, volume: 100, last_seen_ms: now - 60e3 },
      ];
      window.segue.sock.emit('devices', { type: 'devices', devices });
    });
    await page.getByRole('button', { name: 'Connect to a device' }).click();
    await page.locator('.device[data-device-id="web-recent"]').waitFor({ timeout: 3000 });
    await screenshot(page, 'device-hide-1-picker');
    assert.equal(await page.locator('.device[data-device-id="web-old"]').count(), 0, 'the long-unseen device is hidden');
    assert.deepEqual(page.errors, []);
  });
});
