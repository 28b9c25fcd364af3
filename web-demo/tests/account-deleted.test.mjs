// Issue 14 item 5: when an account is deleted (DELETE /v1/me, e.g. from another device), its open
// tabs are closed with 4004 and show the login page with the reason, instead of reconnecting.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, registerUser, openPage, withScreens, screenshot, rest } from './helpers.mjs';

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

test('a deleted account signs its open tab out with the reason', async () => {
  await withScreens('account-deleted', async (pages) => {
    const user = await registerUser('leaver');
    const page = await openPage(browser, user);
    pages.push(['page', page]);
    await page.waitForFunction(() => window.segue?.store?.conn === 'open', null, { timeout: 10000 });

    await rest('DELETE', '/v1/me', null, user.token);

    await page.waitForFunction(() => !document.querySelector('#login').hidden, null, { timeout: 5000 });
    assert.match(await page.locator('#login-error').textContent(), /deleted/);
    await screenshot(page, 'account-deleted-1-login');
    // The old token is gone from the tab: a reload stays on the login page.
    await page.reload();
    await page.waitForFunction(() => !document.querySelector('#login').hidden, null, { timeout: 5000 });
  });
});
