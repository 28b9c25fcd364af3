// The time and progress bar show the track's position (from player_state), not the place inside
// the demo recording (45 s, looping under longer songs): sought to 0:40 the time reads 0:40–0:43,
// sought to 1:40 (past the recording's end, where the clip is at 0:10) it reads 1:40–1:43, on the
// playing tab and on a second tab of the same user (remote view).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, registerUser, openPage, waitAudioPlaying, rest, screenshot, withScreens, sleep } from './helpers.mjs';

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

const secs = (text) => {
  const m = /^(\d+):(\d\d)$/.exec(text.trim());
  return m ? Number(m[1]) * 60 + Number(m[2]) : NaN;
};

test('after a seek to 0:40 the time reads the track position, not the clip position', async () => {
  await withScreens('position', async (pages) => {
    const user = await registerUser('seeker');
    const a = await openPage(browser, user, { deviceName: 'Tab A' });
    pages.push(['A', a]);
    const b = await openPage(browser, user, { deviceName: 'Tab B' });
    pages.push(['B', b]);

    // A song of 2:30 or more, so 1:40 is well inside it.
    await a.locator('.trow[data-track-id]').first().waitFor();
    const rows = a.locator('.trow[data-track-id]');
    const n = await rows.count();
    let pick = -1;
    for (let i = 0; i < n && pick < 0; i++) {
      if (secs(await rows.nth(i).locator('.dur').textContent()) >= 150) pick = i;
    }
    assert.ok(pick >= 0, 'a song of 2:30 or more is listed');
    await rows.nth(pick).locator('.ttl').dblclick();
    await waitAudioPlaying(a, 5000);
    const clipS = await a.evaluate(() => document.querySelector('#audio').duration);
    // The second seek only means something when the clip loops before 1:40.
    assert.ok(clipS < 97, `the demo recording (${clipS} s) is shorter than 1:40`);

    for (const target of [40, 100]) {
      await rest('PUT', `/v1/me/player/seek?position_ms=${target * 1000}`, null, user.token);
      await a.waitForFunction((ms) => Math.abs(Number(window.segue.store.player?.position_ms) - ms) < 1000, target * 1000, { timeout: 3000 });
      await b.waitForFunction((ms) => Math.abs(Number(window.segue.store.player?.position_ms) - ms) < 1000, target * 1000, { timeout: 3000 });
      await sleep(700);
      for (const [label, page] of [['A', a], ['B', b]]) {
        const shown = secs(await page.locator('#t-pos').textContent());
        const dur = secs(await page.locator('#t-dur').textContent());
        console.log(`${label}: sought to ${target} s, shows ${shown} s of ${dur} s (clip ${clipS.toFixed(1)} s)`);
        assert.ok(shown >= target && shown <= target + 3, `${label} shows ${shown} s, expected ${target}–${target + 3} (the clip is near ${target % Math.round(clipS)} s)`);
        // The bar agrees with the time.
        const fill = await page.evaluate(() => parseFloat(document.querySelector('#p-fill').style.width));
        assert.ok(Math.abs(fill - (shown / dur) * 100) < 3, `${label} progress ${fill}% for ${shown}/${dur} s`);
      }
    }
    await screenshot(a, 'position-1-A-after-seek');
    await screenshot(b, 'position-2-B-remote');
    assert.deepEqual(a.errors, []);
    assert.deepEqual(b.errors, []);
  });
});
