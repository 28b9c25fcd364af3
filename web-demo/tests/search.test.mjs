// Signing up through the form, then search: suggestions appear while typing, and a misspelled
// artist ("metalica") still finds Metallica; choosing it opens the artist page.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, openPage, waitConnected, screenshot, withScreens, BASE } from './helpers.mjs';

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

test('sign up, then autocomplete while typing finds a misspelled artist', async () => {
  await withScreens('search', async (pages) => {
    const page = await openPage(browser, null, { viewport: { width: 1280, height: 800 } });
    pages.push(['page', page]);

    // Sign up through the login screen.
    await page.locator('#login-form').waitFor();
    await screenshot(page, 'search-0-login');
    await page.locator('#login-switch').click();
    const username = `sam${Date.now().toString(36)}`;
    await page.locator('#login-username').fill(username);
    await page.locator('#login-display').fill('Sam');
    await page.locator('#login-password').fill('a-long-password');
    await page.locator('#login-submit').click();
    await waitConnected(page);
    await page.locator('.trow[data-track-id]').first().waitFor({ timeout: 10_000 });
    await screenshot(page, 'search-1-home');

    // Type like a person; results must show before the word is complete.
    const input = page.locator('#search-input');
    await input.click();
    await input.pressSequentially('meta', { delay: 90 });
    await page.locator('#suggest .sugg[data-id]').first().waitFor({ timeout: 2000 });
    const early = await page.locator('#suggest .sugg[data-id]').count();
    assert.ok(early > 0, 'suggestions while typing');
    await input.pressSequentially('lica', { delay: 90 });
    // The suggestions must answer the misspelled word itself, not the earlier prefix.
    const hit = page.locator('#suggest[data-q="metalica"] .sugg[data-kind="artist"]', { hasText: 'Metallica' });
    try {
      await hit.first().waitFor({ timeout: 3000 });
    } catch (e) {
      // Say whether the page or the server is at fault.
      const r = await fetch(`${BASE()}/v1/search/suggest?q=metalica&limit=8`).then((x) => x.text()).catch((x) => String(x));
      throw new Error(`no "Metallica" artist suggestion for "metalica"; the server's suggest answers ${r.slice(0, 300)} (${e.message.split('\n')[0]})`);
    }
    await screenshot(page, 'search-2-suggestions');

    await hit.first().click();
    await page.waitForFunction(() => location.hash.startsWith('#/artist/'), null, { timeout: 3000 });
    await page.locator('.hero h1', { hasText: 'Metallica' }).waitFor({ timeout: 5000 });
    await page.locator('.trow[data-track-id]').first().waitFor({ timeout: 5000 });
    await screenshot(page, 'search-3-artist');

    // Enter shows the full results page.
    await input.fill('metalica');
    await input.press('Enter');
    await page.locator('#view h2.section', { hasText: 'Artists' }).waitFor({ timeout: 5000 });
    await screenshot(page, 'search-4-results');
    // The phone layout of the same page.
    await page.setViewportSize({ width: 390, height: 844 });
    await screenshot(page, 'search-5-results-phone');
    assert.deepEqual(page.errors, []);
  });
});
