// Shared helpers of the browser tests: Debian's chromium through playwright-core, accounts via
// the REST API, logged-in pages (one browser context = one device), waits on conditions,
// screenshots into the run's artifact folder (on success and, prefixed FAIL-, on failure).

import { chromium } from 'playwright-core';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { baseUrl } from './server-ctl.mjs';

export const BASE = () => baseUrl();
const ARTIFACTS = () => process.env.E2E_ARTIFACTS || path.join(os.tmpdir(), 'segue-web-artifacts');

export async function launch() {
  // playwright-core gives every launch a fresh temporary user-data-dir (and removes it on close);
  // each browser context is isolated storage on top of it, i.e. a separate device.
  return chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--autoplay-policy=no-user-gesture-required',
    ],
  });
}

async function rest(method, p, body, token) {
  const headers = { 'content-type': 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  const r = await fetch(BASE() + p, { method, headers, body: body ? JSON.stringify(body) : undefined });
  const text = await r.text();
  const data = text ? JSON.parse(text) : null;
  if (!r.ok) throw new Error(`${method} ${p} → ${r.status} ${text}`);
  return data;
}

/** A fresh account (free tier): {token, user, username, password}. */
export async function registerUser(prefix = 'web') {
  const username = `${prefix}${Date.now().toString(36)}${Math.floor(Math.random() * 1e4)}`.slice(0, 32);
  const password = 'correct-horse-battery';
  const display_name = prefix[0].toUpperCase() + prefix.slice(1);
  const res = await rest('POST', '/v1/auth/register', { username, password, display_name });
  return { token: res.token, user: res.user, username, password, display_name };
}

/** One of the demo accounts (alice and carol are Premium), logged in through the API. */
export async function demoUser(username) {
  const res = await rest('POST', '/v1/auth/login', { username, password: 'segue-demo' });
  return { token: res.token, user: res.user, username };
}

export { rest };

/** A logged-in page in its own context (its own tab storage, so its own device). */
export async function openPage(browser, account, { path: p = '/', viewport = { width: 1366, height: 820 }, deviceName } = {}) {
  const context = await browser.newContext({ viewport });
  await context.addInitScript(([token, name]) => {
    if (token) localStorage.setItem('segue.token', token);
    if (name && !sessionStorage.getItem('segue.device')) {
      const id = 'web-' + Math.random().toString(16).slice(2, 14);
      sessionStorage.setItem('segue.device', JSON.stringify({ id, name, kind: 'web' }));
    }
  }, [account?.token ?? null, deviceName ?? null]);
  const page = await context.newPage();
  page.errors = [];
  page.on('pageerror', (e) => page.errors.push(e.message));
  await page.goto(BASE() + p);
  if (account) await waitConnected(page);
  return page;
}

export async function waitConnected(page, timeout = 15_000) {
  await page.waitForFunction(() => window.segue?.sock?.status === 'open', null, { timeout });
}

export const deviceId = (page) => page.evaluate(() => window.segue.store.device.id);

/** Resolves when the page's <audio> is audibly playing (unpaused and its time moving). */
export async function waitAudioPlaying(page, timeout = 5000) {
  await page.waitForFunction(() => {
    const a = document.querySelector('#audio');
    if (!a || a.paused || a.readyState < 2) return false;
    const w = (window.__lastAudioProbe ||= { t: a.currentTime });
    const moving = a.currentTime > w.t + 0.05;
    if (!moving) w.t = Math.min(w.t, a.currentTime);
    else delete window.__lastAudioProbe;
    return moving;
  }, null, { timeout, polling: 50 });
}

export async function waitAudioPaused(page, timeout = 2000) {
  await page.waitForFunction(() => document.querySelector('#audio').paused, null, { timeout, polling: 50 });
}

/** {wall, pos, track_id}: the audio position (ms) and the machine's clock at the same instant. */
export function audioSample(page) {
  return page.evaluate(() => {
    const a = document.querySelector('#audio');
    const d = window.segue.engine.debug();
    // pos is in item time (a short demo recording loops under a longer song).
    return { wall: performance.timeOrigin + performance.now(), pos: d.audio_ms, paused: a.paused, track_id: d.track_id, item_id: d.item_id };
  });
}

export async function screenshot(page, name) {
  fs.mkdirSync(ARTIFACTS(), { recursive: true });
  const file = path.join(ARTIFACTS(), `${name}.png`);
  try {
    await page.screenshot({ path: file });
  } catch {
    /* the page may be gone */
  }
  return file;
}

/**
 * Runs a test body; on failure saves a screenshot of every page it registered (FAIL-<name>-…)
 * before rethrowing. `pages` is filled by the body: pages.push([label, page]).
 */
export async function withScreens(name, body) {
  const pages = [];
  try {
    await body(pages);
  } catch (e) {
    for (const [label, page] of pages) {
      await screenshot(page, `FAIL-${name}-${label}`);
      if (page.errors?.length) console.error(`${label} page errors:`, page.errors);
    }
    throw e;
  }
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
