// Two users on one collaborative playlist: the owner creates it and invites the other through the
// invite link; an edit in one page appears in the other within 1 s, saying who made it.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, registerUser, openPage, screenshot, withScreens } from './helpers.mjs';

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

test('edits on a collaborative playlist show up live in the other page', async () => {
  await withScreens('playlist', async (pages) => {
    const [owner, friend] = await Promise.all([registerUser('olive'), registerUser('finn')]);
    const a = await openPage(browser, owner, { deviceName: 'Olive desktop' });
    pages.push(['owner', a]);

    // Create it through the UI.
    await a.locator('#new-playlist').click();
    await a.locator('#new-playlist-name').fill('Road trip');
    await a.locator('#create-confirm').click();
    await a.waitForFunction(() => location.hash.startsWith('#/playlist/'), null, { timeout: 5000 });
    await a.locator('#playlist-title').waitFor();
    const playlistId = decodeURIComponent((await a.evaluate(() => location.hash)).split('/')[2]);

    // Add two songs from an album page via the row menu.
    for (const n of [0, 1]) {
      await a.goto(a.url().split('#')[0] + '#/album/al1');
      const row = a.locator('.trow[data-track-id]').nth(n);
      await row.waitFor();
      await row.hover();
      await row.locator('button.more').click();
      await a.locator('.menu-item', { hasText: 'Add to playlist' }).click();
      await a.locator('.menu-item', { hasText: 'Road trip' }).click();
      const added = a.locator('.toast', { hasText: 'Added to Road trip' });
      await added.first().waitFor({ timeout: 3000 });
      await added.first().waitFor({ state: 'detached', timeout: 5000 });
    }

    // Invite link → the friend accepts it in their page.
    await a.goto(a.url().split('#')[0] + `#/playlist/${encodeURIComponent(playlistId)}`);
    await a.locator('.trow[data-item-id]:not([data-item-id=""])').nth(1).waitFor({ timeout: 5000 });
    await a.locator('#invite-btn').click();
    const link = await a.locator('#invite-link').inputValue();
    assert.match(link, /^http/);
    await screenshot(a, 'playlist-1-invite');
    await a.keyboard.press('Escape');
    await a.locator('.modal-back').waitFor({ state: 'detached' });

    const b = await openPage(browser, friend, { path: new URL(link).pathname + new URL(link).hash, deviceName: 'Finn laptop' });
    pages.push(['friend', b]);
    await b.waitForFunction((id) => location.hash === `#/playlist/${encodeURIComponent(id)}`, playlistId, { timeout: 5000 });
    await b.locator('.trow[data-item-id]:not([data-item-id=""])').nth(1).waitFor({ timeout: 5000 });

    // Owner renames → friend's title changes within 1 s.
    await a.locator('#playlist-title').click();
    await a.locator('#rename-input').fill('Road trip 2026');
    const t0 = Date.now();
    await a.locator('#rename-confirm').click();
    await b.waitForFunction(() => document.querySelector('#playlist-title')?.textContent === 'Road trip 2026', null, { timeout: 1000, polling: 20 });
    const renameMs = Date.now() - t0;

    // Friend removes the first song → gone in the owner's page within 1 s, with the friend named.
    const firstItem = await b.locator('.trow[data-item-id]:not([data-item-id=""])').first().getAttribute('data-item-id');
    const row = b.locator(`.trow[data-item-id="${firstItem}"]`);
    await row.hover();
    await row.locator('button.more').click();
    const t1 = Date.now();
    await b.locator('.menu-item', { hasText: 'Remove from this playlist' }).click();
    await a.waitForFunction((id) => !document.querySelector(`.trow[data-item-id="${id}"]`), firstItem, { timeout: 1000, polling: 20 });
    const removeMs = Date.now() - t1;
    await a.locator('#activity', { hasText: 'Finn' }).waitFor({ timeout: 1000 });
    await screenshot(a, 'playlist-2-owner-sees-edit');
    await screenshot(b, 'playlist-3-friend');
    console.log(`rename seen after ${renameMs} ms, remove after ${removeMs} ms`);
    assert.deepEqual(a.errors, []);
    assert.deepEqual(b.errors, []);
  });
});
