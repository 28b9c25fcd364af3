// The WebSocket protocol client: hello/welcome, requests with ids answered by ack/error,
// reconnect with exponential backoff and full jitter, and the server clock estimated NTP-style
// from `time_sync` (the middle of the interval every sample bounds the offset to).

/** Monotonic local clock in epoch ms (immune to wall-clock jumps while the page lives). */
export const localNow = () => performance.timeOrigin + performance.now();

export class WsError extends Error {
  constructor(code, message) {
    super(message || code);
    this.code = code;
  }
}

const SYNC_SAMPLES = 10; // per burst, a few tens of ms apart
const SYNC_KEEP = 16; // best-of window across bursts
const RESYNC_MS = 30_000;
const REQUEST_TIMEOUT_MS = 10_000;

export class Socket {
  /** opts: {url, token: () => string, device: () => ({id, name, kind})} */
  constructor(opts) {
    this.opts = opts;
    this.ws = null;
    this.status = 'idle'; // idle | connecting | open | reconnecting | closed
    this.nextId = 1;
    this.pending = new Map();
    this.handlers = new Map();
    this.attempt = 0;
    this.samples = [];
    this.offset = 0; // server − local, ms
    this.rtt = null;
    this.synced = false;
    this.stopped = false;
    this.retryTimer = null;
    this.syncTimer = null;
    this.welcome = null;
    this.lastClose = null;
  }

  /** fn(msg) for events of `type` ('*' for all, 'status' for connection changes). */
  on(type, fn) {
    if (!this.handlers.has(type)) this.handlers.set(type, new Set());
    this.handlers.get(type).add(fn);
    return () => this.handlers.get(type)?.delete(fn);
  }

  emit(type, msg) {
    for (const key of [type, '*']) {
      for (const fn of this.handlers.get(key) || []) {
        try {
          fn(msg);
        } catch (e) {
          console.error(`handler for ${type} failed`, e);
        }
      }
    }
  }

  setStatus(s, info) {
    this.status = s;
    this.emit('status', { status: s, ...info });
  }

  /** Server time now (ms, server clock) as estimated from time_sync. */
  serverNow() {
    return localNow() + this.offset;
  }

  connect() {
    this.stopped = false;
    clearTimeout(this.retryTimer);
    if (this.ws && this.ws.readyState <= 1) return;
    this.setStatus(this.attempt ? 'reconnecting' : 'connecting', { attempt: this.attempt });
    let ws;
    try {
      ws = new WebSocket(this.opts.url);
    } catch (e) {
      this.scheduleReconnect(null);
      return;
    }
    this.ws = ws;
    let welcomed = false;
    ws.onopen = () => {
      const device = this.opts.device();
      ws.send(JSON.stringify({ type: 'hello', token: this.opts.token(), protocol: 1, device }));
    };
    ws.onmessage = (ev) => {
      let msg;
      try {
        msg = JSON.parse(ev.data);
      } catch {
        return;
      }
      if (!welcomed) {
        if (msg.type === 'welcome') {
          welcomed = true;
          this.attempt = 0;
          this.welcome = msg;
          // A first rough offset from the welcome, refined by time_sync right after.
          if (Number.isFinite(msg.server_time_ms) && !this.synced) this.offset = msg.server_time_ms - localNow();
          this.setStatus('open');
          this.emit('welcome', msg);
          this.syncBurst();
          clearInterval(this.syncTimer);
          this.syncTimer = setInterval(() => this.syncBurst(), RESYNC_MS);
          return;
        }
        if (msg.type === 'error' && msg.id == null) {
          this.emit('hello_error', msg);
          return;
        }
      }
      if ((msg.type === 'ack' || msg.type === 'error') && msg.id != null && this.pending.has(msg.id)) {
        const p = this.pending.get(msg.id);
        this.pending.delete(msg.id);
        clearTimeout(p.timer);
        if (msg.type === 'ack') p.resolve(msg.result ?? {});
        else p.reject(new WsError(msg.code, msg.message));
        return;
      }
      if (msg.type === 'error') {
        this.emit('server_error', msg);
        return;
      }
      this.emit(msg.type, msg);
    };
    ws.onclose = (ev) => {
      if (this.ws !== ws) return;
      this.ws = null;
      clearInterval(this.syncTimer);
      this.lastClose = { code: ev.code, reason: ev.reason };
      for (const [, p] of this.pending) {
        clearTimeout(p.timer);
        p.reject(new WsError('unavailable', 'connection lost'));
      }
      this.pending.clear();
      // 4001: hello refused; 4004: the account was deleted. Reconnecting cannot help either.
      if (ev.code === 4001 || ev.code === 4004) {
        this.setStatus('closed', { code: ev.code, reason: ev.reason });
        this.emit('unauthorized', ev);
        return;
      }
      if (this.stopped) {
        this.setStatus('closed', { code: ev.code });
        return;
      }
      this.scheduleReconnect(ev.code);
    };
    ws.onerror = () => {
      /* onclose follows */
    };
  }

  scheduleReconnect(code) {
    this.attempt += 1;
    // Full jitter: spread a server restart's reconnect storm over the window.
    const cap = Math.min(10_000, 500 * 2 ** Math.min(this.attempt - 1, 5));
    const base = code === 1012 ? 200 : 0;
    const delay = base + Math.random() * cap;
    this.setStatus('reconnecting', { attempt: this.attempt, code, delay });
    this.retryTimer = setTimeout(() => this.connect(), delay);
  }

  /** Reconnect now (e.g. when the browser comes back online). */
  reconnectNow() {
    if (this.status === 'open' || this.stopped) return;
    clearTimeout(this.retryTimer);
    this.connect();
  }

  close() {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    clearInterval(this.syncTimer);
    this.ws?.close(1000);
  }

  get isOpen() {
    return this.status === 'open' && this.ws?.readyState === 1;
  }

  /** Sends a request with an id; resolves with the ack's result, rejects with WsError. */
  request(type, fields = {}) {
    if (!this.isOpen) return Promise.reject(new WsError('unavailable', 'not connected: reconnecting…'));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new WsError('unavailable', `no answer to ${type}`));
      }, REQUEST_TIMEOUT_MS);
      this.pending.set(id, { resolve, reject, timer });
      this.ws.send(JSON.stringify({ ...fields, type, id }));
    });
  }

  /** Fire-and-forget (no id, no answer). */
  send(type, fields = {}) {
    if (this.isOpen) this.ws.send(JSON.stringify({ ...fields, type }));
  }

  /**
   * Several time_sync round trips. Each bounds the offset (t2 − t3 ≤ offset ≤ t1 − t0, since no
   * network leg takes negative time); the estimate is the middle of the intersection over the
   * recent samples, or the lowest-RTT sample's offset if the bounds cross.
   */
  async syncBurst() {
    for (let i = 0; i < SYNC_SAMPLES && this.isOpen; i++) {
      const t0 = localNow();
      let r;
      try {
        // rtt_ms: our best measured round trip, which the server uses to schedule group starts.
        r = await this.request('time_sync', this.rtt != null ? { t0, rtt_ms: this.rtt } : { t0 });
      } catch {
        return;
      }
      const t3 = localNow();
      const t1 = Number(r.t1);
      const t2 = Number(r.t2 ?? r.t1);
      if (!Number.isFinite(t1)) continue;
      const rtt = t3 - t0 - (t2 - t1);
      const offset = (t1 - t0 + (t2 - t3)) / 2;
      this.samples.push({ rtt, offset, lower: t2 - t3, upper: t1 - t0 });
      if (this.samples.length > SYNC_KEEP) this.samples.shift();
      const best = this.samples.reduce((a, b) => (b.rtt < a.rtt ? b : a));
      const lower = Math.max(...this.samples.map((s) => s.lower));
      const upper = Math.min(...this.samples.map((s) => s.upper));
      this.offset = lower <= upper ? (lower + upper) / 2 : best.offset;
      this.rtt = best.rtt;
      this.synced = true;
      this.emit('clock', { offset: this.offset, rtt: this.rtt });
      await new Promise((res) => setTimeout(res, 30));
    }
  }
}
