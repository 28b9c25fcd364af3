// Issue 14 items 18 d and f: the search box keeps its query only on the results page (another
// page clears it), and a song suggestion names its album so that equal titles can be told apart.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, registerUser, openPage, withScreens, screenshot } from './helpers.mjs';

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

test('the search box is cleared when leaving the results page', async () => {
  await withScreens('search-box', async (pages) => {
    const user = await registerUser('finder');
    const page = await openPage(browser, user);
    pages.push(['page', page]);
    const input = page.locator('#search-input');
    await input.fill('queen');
    await input.press('Enter');
    await page.waitForFunction(() => location.hash.startsWith('#/search?q=queen'), null, { timeout: 3000 });
    assert.equal(await input.inputValue(), 'queen', 'the results page shows its query');

    // Another page: the box is empty.
    await page.locator('a[href="#/library"]').first().click();
    await page.waitForFunction(() => location.hash === '#/library', null, { timeout: 3000 });
    assert.equal(await input.inputValue(), '', 'the library page does not keep the query');
    await screenshot(page, 'search-box-1-cleared');

    // Back to the results: the query is shown again.
    await page.goBack();
    await page.waitForFunction(() => document.querySelector('#search-input').value === 'queen', null, { timeout: 3000 });
    assert.deepEqual(page.errors, []);
  });
});

test('song suggestions show their album', async () => {
  await withScreens('suggest-album', async (pages) => {
    const user = await registerUser('typist');
    const page = await openPage(browser, user);
    pages.push(['page', page]);
    const input = page.locator('#search-input');
    await input.click();
    await input.pressSequentially('stairway', { delay: 40 });
    const song = page.locator('#suggest[data-q="stairway"] .sugg[data-kind="track"]').first();
    await song.waitFor({ timeout: 3000 });
    const api = await page.evaluate(async () => {
      const r = await fetch('/v1/search/suggest?q=stairway&limit=8', { headers: { authorization: `Bearer ${localStorage.getItem('segue.token')}` } });
      return r.json();
    });
    const first = api.suggestions.find((s) => s.type === 'track');
    const albumName = first?.album?.name ?? first?.album?.title;
    assert.ok(albumName, `the server's suggestion carries the album: ${JSON.stringify(first)}`);
    const sub = await song.locator('.s').textContent();
    await screenshot(page, 'suggest-album-1');
    assert.ok(sub.includes(albumName), `the suggestion "${sub}" names the album "${albumName}"`);
    assert.deepEqual(page.errors, []);
  });
});
