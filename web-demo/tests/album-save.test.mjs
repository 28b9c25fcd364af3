// Issue 14 item 18 c: an album can be saved to (and removed from) the library from its page, and
// Your Library lists saved albums.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, registerUser, openPage, rest, withScreens, screenshot } from './helpers.mjs';

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

test('save an album from its page, see it in Your Library, remove it again', async () => {
  await withScreens('album-save', async (pages) => {
    const user = await registerUser('saver');
    const albums = await rest('GET', '/v1/search?q=zeppelin&type=album', null, user.token);
    const album = albums.albums.items[0];
    assert.ok(album?.id, 'the demo catalog has a Led Zeppelin album');
    const page = await openPage(browser, user, { path: `/#/album/${encodeURIComponent(album.id)}` });
    pages.push(['page', page]);

    const btn = page.locator('#album-save');
    await btn.waitFor({ timeout: 5000 });
    assert.equal(await btn.getAttribute('aria-pressed'), 'false');
    await btn.click();
    await page.waitForFunction(() => document.querySelector('#album-save')?.getAttribute('aria-pressed') === 'true', null, { timeout: 3000 });
    const saved = await rest('GET', `/v1/me/albums/contains?ids=${encodeURIComponent(album.id)}`, null, user.token);
    assert.deepEqual(saved, [true], 'the server has the album saved');
    await screenshot(page, 'album-save-1-saved');

    // A reload shows it saved (the page asks the server, not a local flag).
    await page.reload();
    await page.waitForFunction(() => document.querySelector('#album-save')?.getAttribute('aria-pressed') === 'true', null, { timeout: 5000 });

    await page.evaluate(() => (location.hash = '#/library'));
    const card = page.locator('#library-albums .card', { hasText: album.title ?? album.name });
    await card.first().waitFor({ timeout: 5000 });
    await screenshot(page, 'album-save-2-library');

    await card.first().click();
    await page.locator('#album-save[aria-pressed="true"]').click({ timeout: 5000 });
    await page.waitForFunction(() => document.querySelector('#album-save')?.getAttribute('aria-pressed') === 'false', null, { timeout: 3000 });
    assert.deepEqual(await rest('GET', `/v1/me/albums/contains?ids=${encodeURIComponent(album.id)}`, null, user.token), [false]);
    assert.deepEqual(page.errors, []);
  });
});
