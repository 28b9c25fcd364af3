// Starts, stops and restarts the Segue server the browser tests run against. The server is the
// real binary (`E2E_SERVER_CMD`, set by run.sh); its pid lives in `E2E_PID_FILE` so that the
// restart test and run.sh's cleanup act on the same process.
//
//   node server-ctl.mjs start|stop|restart

import { spawn } from 'node:child_process';
import fs from 'node:fs';

const env = (k) => {
  const v = process.env[k];
  if (!v) throw new Error(`${k} is not set (run the tests through run.sh)`);
  return v;
};

export const baseUrl = () => env('E2E_URL');

function readPid() {
  try {
    const pid = Number(fs.readFileSync(env('E2E_PID_FILE'), 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

const alive = (pid) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export async function waitReady(timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    try {
      const r = await fetch(`${baseUrl()}/readyz`);
      if (r.ok) return;
      last = `HTTP ${r.status}`;
    } catch (e) {
      last = e.message;
    }
    await sleep(100);
  }
  throw new Error(`server not ready after ${timeoutMs} ms (${last}); see ${process.env.E2E_LOG}`);
}

export async function start() {
  const log = fs.openSync(env('E2E_LOG'), 'a');
  const child = spawn('bash', ['-c', `exec ${env('E2E_SERVER_CMD')}`], { detached: true, stdio: ['ignore', log, log] });
  child.unref();
  fs.writeFileSync(env('E2E_PID_FILE'), String(child.pid));
  await waitReady();
  return child.pid;
}

/** Graceful stop (SIGTERM: clients are told 1012 and reconnect); SIGKILL after 10 s. */
export async function stop() {
  const pid = readPid();
  if (!pid || !alive(pid)) return;
  process.kill(pid, 'SIGTERM');
  const deadline = Date.now() + 10_000;
  while (alive(pid) && Date.now() < deadline) await sleep(50);
  if (alive(pid)) process.kill(pid, 'SIGKILL');
  while (alive(pid)) await sleep(20);
}

export async function restart() {
  await stop();
  return start();
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const what = process.argv[2];
  const fn = { start, stop, restart }[what];
  if (!fn) {
    console.error('usage: node server-ctl.mjs start|stop|restart');
    process.exit(2);
  }
  fn().then(
    () => process.exit(0),
    (e) => {
      console.error(e.message);
      process.exit(1);
    },
  );
}
