// Small raw WebSocket helpers for protocol tests: a message queue with
// bounded waits over `ws`, and a hand-made upgrade that reads the first frame
// the server sends (for cases where `ws` refuses the handshake itself).

import { randomBytes } from 'node:crypto';
import http from 'node:http';
import WebSocket from 'ws';

/**
 * Opens a WebSocket and resolves once it is open (or rejects on error or
 * after timeoutMs). The result queues incoming text messages (parsed as JSON
 * when possible) and records how the socket closed.
 */
export function openRaw(url, protocols, { timeoutMs = 5_000 } = {}) {
  const ws = new WebSocket(url, protocols);
  const queue = [];
  const waiters = [];
  const errors = [];
  const all = [];
  let closeInfo = null;

  const closed = new Promise((resolve) => {
    ws.on('close', (code, reason) => {
      closeInfo = { code, reason: reason.toString() };
      resolve(closeInfo);
      for (const w of waiters.splice(0)) w.reject(new Error(`socket closed (${code} ${closeInfo.reason}) while waiting for ${w.what}`));
    });
  });

  ws.on('message', (data, isBinary) => {
    const text = isBinary ? data : data.toString();
    let msg = text;
    try {
      msg = JSON.parse(text);
    } catch {
      // keep the raw text
    }
    all.push(msg);
    const i = waiters.findIndex((w) => w.match(msg));
    if (i >= 0) {
      const [w] = waiters.splice(i, 1);
      w.resolve(msg);
    } else {
      queue.push(msg);
    }
  });
  ws.on('error', (e) => errors.push(e));

  const sock = {
    ws,
    /** Every message received, in order. */
    messages: all,
    /** Errors the socket reported (a failed handshake shows up here). */
    errors,
    /** Resolves with { code, reason } when the socket has closed. */
    closed,
    get closeInfo() {
      return closeInfo;
    },
    send(msg) {
      ws.send(typeof msg === 'string' ? msg : JSON.stringify(msg));
    },
    /**
     * Resolves with the next queued or incoming message that match accepts
     * (messages it skips stay queued); rejects after timeoutMs or on close.
     */
    next(what, match = () => true, timeoutMs = 5_000) {
      const i = queue.findIndex(match);
      if (i >= 0) return Promise.resolve(queue.splice(i, 1)[0]);
      if (closeInfo) return Promise.reject(new Error(`socket already closed (${closeInfo.code} ${closeInfo.reason}) before ${what}`));
      return new Promise((resolve, reject) => {
        const w = { what, match, resolve, reject };
        const timer = setTimeout(() => {
          const j = waiters.indexOf(w);
          if (j >= 0) waiters.splice(j, 1);
          reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}; received so far: ${JSON.stringify(all).slice(0, 2000)}`));
        }, timeoutMs);
        w.resolve = (v) => {
          clearTimeout(timer);
          resolve(v);
        };
        w.reject = (e) => {
          clearTimeout(timer);
          reject(e);
        };
        waiters.push(w);
      });
    },
    /** Next message of the given type (other types stay queued). */
    nextOfType(type, timeoutMs = 5_000) {
      return sock.next(`a ${JSON.stringify(type)} message`, (m) => m && m.type === type, timeoutMs);
    },
    /** Resolves with { code, reason } once closed; rejects after timeoutMs. */
    closedWithin(timeoutMs, what = 'the server to close the socket') {
      let timer;
      return Promise.race([
        closed,
        new Promise((_, reject) => {
          timer = setTimeout(
            () => reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}; received: ${JSON.stringify(all).slice(0, 2000)}`)),
            timeoutMs,
          );
        }),
      ]).finally(() => clearTimeout(timer));
    },
    /** Closes the socket hard; safe to call at any time. */
    terminate() {
      try {
        ws.terminate();
      } catch {
        // already closed
      }
    },
  };

  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      sock.terminate();
      reject(new Error(`WebSocket to ${url} did not open within ${timeoutMs} ms`));
    }, timeoutMs);
    ws.once('open', () => {
      clearTimeout(timer);
      resolve(sock);
    });
    ws.once('error', (e) => {
      clearTimeout(timer);
      sock.terminate();
      reject(e);
    });
  });
}

/**
 * Performs a WebSocket upgrade by hand and reads the first frame the server
 * sends, without judging the handshake the way `ws` does. Resolves with
 * { status, headers, frame } where frame is { opcode, code, reason } for a
 * close frame (or { opcode, payload }), or null if the server sent nothing
 * before closing the connection or before timeoutMs.
 */
export function rawUpgrade(url, protocols, { timeoutMs = 5_000 } = {}) {
  const u = new URL(url.replace(/^ws/, 'http'));
  return new Promise((resolve, reject) => {
    const headers = {
      Connection: 'Upgrade',
      Upgrade: 'websocket',
      'Sec-WebSocket-Version': '13',
      'Sec-WebSocket-Key': randomBytes(16).toString('base64'),
    };
    if (protocols && protocols.length) headers['Sec-WebSocket-Protocol'] = [].concat(protocols).join(', ');
    const req = http.request({ host: u.hostname, port: u.port, path: u.pathname, method: 'GET', headers, agent: false });
    const timer = setTimeout(() => {
      req.destroy();
      reject(new Error(`raw upgrade to ${url} got no answer within ${timeoutMs} ms`));
    }, timeoutMs);

    req.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    req.on('response', (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c) => (body += c));
      res.on('end', () => {
        clearTimeout(timer);
        resolve({ status: res.statusCode, headers: res.headers, body, frame: null });
      });
    });
    req.on('upgrade', (res, socket, head) => {
      let buf = head;
      const finish = (frame) => {
        clearTimeout(timer);
        socket.destroy();
        resolve({ status: res.statusCode, headers: res.headers, frame });
      };
      const tryParse = () => {
        const frame = parseFrame(buf);
        if (frame) finish(frame);
      };
      socket.on('data', (c) => {
        buf = Buffer.concat([buf, c]);
        tryParse();
      });
      socket.on('end', () => finish(parseFrame(buf)));
      socket.on('close', () => finish(parseFrame(buf)));
      socket.on('error', () => {});
      // Give up on a frame after the deadline, but still report the handshake.
      clearTimeout(timer);
      setTimeout(() => finish(parseFrame(buf)), timeoutMs).unref();
      tryParse();
    });
    req.end();
  });
}

/** Parses one unmasked server frame from buf, or returns null if incomplete. */
function parseFrame(buf) {
  if (!buf || buf.length < 2) return null;
  const opcode = buf[0] & 0x0f;
  let len = buf[1] & 0x7f;
  let off = 2;
  if (len === 126) {
    if (buf.length < 4) return null;
    len = buf.readUInt16BE(2);
    off = 4;
  } else if (len === 127) {
    if (buf.length < 10) return null;
    len = Number(buf.readBigUInt64BE(2));
    off = 10;
  }
  if (buf[1] & 0x80) off += 4; // masked (a server must not, but be tolerant)
  if (buf.length < off + len) return null;
  const payload = buf.subarray(off, off + len);
  if (opcode === 0x8) {
    return {
      opcode,
      code: payload.length >= 2 ? payload.readUInt16BE(0) : null,
      reason: payload.subarray(2).toString('utf8'),
    };
  }
  return { opcode, payload: payload.toString('utf8') };
}
