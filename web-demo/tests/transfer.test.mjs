// Two tabs of one user: play on A, then hand playback to B from A's device picker. B must be
// audibly playing within 1 s at the live position (±500 ms) and A must stop.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, registerUser, openPage, deviceId, waitAudioPlaying, waitAudioPaused, audioSample, screenshot, withScreens, sleep } from './helpers.mjs';

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

test('play on A, transfer to B from the device picker: B plays at the live position, A stops', async () => {
  await withScreens('transfer', async (pages) => {
    const user = await registerUser('mover');
    const a = await openPage(browser, user, { deviceName: 'Tab A' });
    pages.push(['A', a]);
    const b = await openPage(browser, user, { deviceName: 'Tab B' });
    pages.push(['B', b]);
    const bId = await deviceId(b);

    // Play the first catalog song on A.
    await a.locator('.trow[data-track-id]').first().waitFor();
    await a.locator('.trow[data-track-id] .ttl').first().dblclick();
    await waitAudioPlaying(a, 5000);
    await sleep(1500); // let it run so the live position is well past 0
    await screenshot(a, 'transfer-1-A-playing');
    assert.equal(await b.evaluate(() => document.querySelector('#audio').paused), true, 'B must be silent while A plays');
    // B shows A as the playing device (remote control).
    await b.locator('#np-title').waitFor({ timeout: 3000 });

    // A's device picker lists B (online); choosing it transfers.
    await a.getByRole('button', { name: 'Connect to a device' }).click();
    const bRow = a.locator(`.device[data-device-id="${bId}"]`);
    await bRow.waitFor({ timeout: 3000 });
    await screenshot(a, 'transfer-2-A-device-picker');
    const beforeA = await audioSample(a);
    await bRow.click();
    const clickedAt = Date.now();
    await waitAudioPlaying(b, 1000);
    const tookMs = Date.now() - clickedAt;
    assert.ok(tookMs <= 1000, `B started after ${tookMs} ms`);

    // Position: B's audio continues where A was, extrapolated by the wall time in between.
    await sleep(300);
    const sb = await audioSample(b);
    assert.equal(sb.track_id, beforeA.track_id, 'B plays the same track');
    const expected = beforeA.pos + (sb.wall - beforeA.wall);
    const err = sb.pos - expected;
    console.log(`B started ${tookMs} ms after the click, ${Math.round(err)} ms off the live position`);
    assert.ok(Math.abs(err) <= 500, `B is ${Math.round(err)} ms off the live position (expected ±500)`);

    await waitAudioPaused(a, 1000);
    await screenshot(b, 'transfer-3-B-playing');
    await screenshot(a, 'transfer-4-A-remote-control');
    assert.deepEqual(a.errors, []);
    assert.deepEqual(b.errors, []);
  });
});
