// Issue 14 item 18 e: who added a song to a collaborative playlist is shown by display name,
// fetched from GET /v1/users/{id} when the page has not learned it elsewhere, never as a raw id.

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

test('"added by" shows the display name of a former collaborator', async () => {
  await withScreens('user-names', async (pages) => {
    const owner = await registerUser('owner');
    const helper = await registerUser('zelda');
    const pl = await rest('POST', '/v1/playlists', { name: 'Names', collaborative: true }, owner.token);
    const inv = await rest('POST', `/v1/playlists/${encodeURIComponent(pl.id)}/invites`, {}, owner.token);
    await rest('POST', `/v1/playlists/invites/${encodeURIComponent(inv.token)}/accept`, {}, helper.token);
    const tracks = await rest('GET', '/v1/tracks?limit=2', null, owner.token);
    const ids = (tracks.items ?? tracks).map((t) => t.id ?? t.track?.id).slice(0, 2);
    await rest('POST', `/v1/playlists/${encodeURIComponent(pl.id)}/tracks`, { track_ids: [ids[0]] }, owner.token);
    await rest('POST', `/v1/playlists/${encodeURIComponent(pl.id)}/tracks`, { track_ids: [ids[1]] }, helper.token);
    // The helper is no longer a collaborator: the playlist no longer names them anywhere, only
    // their id stays on the song they added.
    await rest('DELETE', `/v1/playlists/${encodeURIComponent(pl.id)}/collaborators/${encodeURIComponent(helper.user.id)}`, null, owner.token);

    const page = await openPage(browser, owner, { path: `/#/playlist/${encodeURIComponent(pl.id)}` });
    pages.push(['page', page]);
    const by = page.locator('#view .trow .by', { hasText: helper.display_name });
    await by.first().waitFor({ timeout: 5000 });
    await screenshot(page, 'user-names-1');
    const texts = await page.locator('#view .trow .by').allTextContents();
    const rawId = String(helper.user.id).slice(0, 6);
    assert.ok(!texts.some((t) => t.includes(rawId)), `no raw user id in ${JSON.stringify(texts)}`);
    assert.ok(texts.every((t) => !/^user /.test(t)), `no "user …" placeholder in ${JSON.stringify(texts)}`);
    assert.deepEqual(page.errors, []);
  });
});
