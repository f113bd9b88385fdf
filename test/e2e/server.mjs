// Starts and stops the omnify binary for the end-to-end tests.
//
// Every server gets its own temporary data directory (the embedded database
// lives there) and a free port on 127.0.0.1. The process's stdout and stderr
// are collected so that a failing test can show what the server logged.

import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

/**
 * Servers not yet exited, and data directories not yet removed. Whatever
 * happens to the test process (a hook that throws, a timeout, SIGINT or
 * SIGTERM from the runner), the servers are killed and the directories
 * removed when it exits.
 */
const running = new Set();
const dataDirs = new Set();
function killAll() {
  for (const proc of running) {
    try {
      proc.kill('SIGKILL');
    } catch {
      // already gone
    }
  }
  running.clear();
  for (const dir of dataDirs) {
    try {
      rmSync(dir, { recursive: true, force: true });
    } catch {
      // best effort
    }
  }
  dataDirs.clear();
}
process.on('exit', killAll);
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.once(sig, () => {
    killAll();
    process.exit(sig === 'SIGINT' ? 130 : 143);
  });
}

const MAX_LOG_CHARS = 256 * 1024;

/**
 * Spawns `$OMNIFY_BIN serve` and waits until it prints its GraphQL URL.
 *
 * @param {Record<string, string>} env extra environment (OMNIFY_* settings)
 * @param {{ readyTimeoutMs?: number, dataDir?: string }} [opts] dataDir: use
 *   this directory (from makeDataDir) instead of a fresh one, and keep it
 *   when the server stops.
 * @returns {Promise<{
 *   url: string, base: string, wsUrl: string, printedUrl: string,
 *   proc: import('node:child_process').ChildProcess, dataDir: string,
 *   stdout: () => string, stderr: () => string, logs: (max?: number) => string,
 *   exited: Promise<{ code: number | null, signal: string | null }>,
 *   stop: (signal?: NodeJS.Signals, timeoutMs?: number) => Promise<number | null>,
 * }>}
 */
export async function startServer(env = {}, { readyTimeoutMs = 60_000, dataDir: givenDataDir } = {}) {
  const bin = omnifyBin();

  // A given data directory belongs to the caller (made with makeDataDir, it
  // is removed when the test process exits): stop() leaves it in place so
  // that another server or the CLI can use it next.
  const ownsDataDir = !givenDataDir;
  const dataDir = givenDataDir ?? (await makeDataDir());

  const childEnv = hermeticEnv({
    OMNIFY_HTTP_ADDR: '127.0.0.1:0',
    OMNIFY_DATA_DIR: dataDir,
    OMNIFY_LOG_LEVEL: 'debug',
    OMNIFY_SHUTDOWN_TIMEOUT: '5s',
    // No demo organization unless the test asks for one (OMNIFY_DEMO: 'true').
    OMNIFY_DEMO: 'false',
    ...env,
  });

  const proc = spawn(bin, ['serve'], { env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(proc);
  // A server a test forgot to stop must not keep the test process alive; the
  // exit handler above kills it. Every wait below holds its own timer.
  proc.unref();
  proc.stdout.unref?.();
  proc.stderr.unref?.();

  let out = '';
  let err = '';
  const append = (buf, chunk) => {
    buf += chunk;
    return buf.length > MAX_LOG_CHARS ? buf.slice(buf.length - MAX_LOG_CHARS) : buf;
  };
  proc.stdout.setEncoding('utf8');
  proc.stderr.setEncoding('utf8');
  proc.stderr.on('data', (c) => {
    err = append(err, c);
  });

  const exited = new Promise((resolve) => {
    proc.once('exit', (code, signal) => {
      running.delete(proc);
      resolve({ code, signal });
    });
  });
  // 'close' comes after 'exit', once stdout and stderr are drained.
  const closed = new Promise((resolve) => proc.once('close', resolve));
  // A spawn error (missing binary, not executable) never emits 'exit'.
  let spawnFailed = false;
  const spawnError = new Promise((_, reject) =>
    proc.once('error', (e) => {
      spawnFailed = true;
      reject(e);
    }),
  );
  spawnError.catch(() => {});

  const logs = (max = 8000) => {
    const tail = (s) => (s.length > max ? `…${s.slice(s.length - max)}` : s);
    return `--- omnify stdout ---\n${tail(out)}\n--- omnify stderr ---\n${tail(err)}`;
  };

  const cleanupDir = () => (ownsDataDir ? removeDataDir(dataDir) : Promise.resolve());

  let printedUrl;
  try {
    printedUrl = await new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`omnify did not print its GraphQL URL within ${readyTimeoutMs} ms`)),
        readyTimeoutMs,
      );
      const done = (fn, v) => {
        clearTimeout(timer);
        fn(v);
      };
      proc.stdout.on('data', (c) => {
        out = append(out, c);
        const m = /^\s*GraphQL:\s+(\S+)\s*$/m.exec(out);
        if (m) done(resolve, m[1]);
      });
      exited.then(({ code, signal }) =>
        done(reject, new Error(`omnify exited before it was ready (code ${code}, signal ${signal})`)),
      );
      spawnError.catch((e) => done(reject, new Error(`could not start ${bin}: ${e.message}`)));
    });
  } catch (e) {
    proc.kill('SIGKILL');
    if (!spawnFailed) await orTimeout(exited, 5_000);
    await cleanupDir();
    e.message += `\n${logs()}`;
    throw e;
  }

  // The server prints "localhost" for a loopback listener; talk to the
  // address it actually bound, so no test depends on how localhost resolves.
  const u = new URL(printedUrl);
  if (u.hostname === 'localhost') u.hostname = '127.0.0.1';
  const url = u.toString();
  const baseUrl = url.replace(/\/graphql$/, '');

  let stopping;
  /**
   * Sends `signal` (SIGTERM by default) and resolves with the exit code once
   * the process has exited (null if a signal killed it). If it has not
   * exited within timeoutMs it is killed with SIGKILL and the promise rejects.
   * The data directory is removed either way, unless the caller gave it
   * (startServer's dataDir option). Safe to call more than once.
   */
  const stop = (signal = 'SIGTERM', timeoutMs = 20_000) => {
    stopping ??= (async () => {
      try {
        if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
        const result = await orTimeout(exited, timeoutMs);
        if (result === null) {
          proc.kill('SIGKILL');
          await orTimeout(exited, 5_000);
          throw new Error(`omnify did not exit within ${timeoutMs} ms of ${signal}; killed with SIGKILL\n${logs()}`);
        }
        await orTimeout(closed, 2_000); // the last log lines
        return result.code;
      } finally {
        await cleanupDir();
      }
    })();
    return stopping;
  };

  return {
    url,
    base: baseUrl,
    wsUrl: url.replace(/^http/, 'ws'),
    printedUrl,
    proc,
    dataDir,
    exited,
    stdout: () => out,
    stderr: () => err,
    logs,
    stop,
  };
}

function omnifyBin() {
  const bin = process.env.OMNIFY_BIN;
  if (!bin) {
    throw new Error('OMNIFY_BIN is not set: give the absolute path of a built omnify binary (make build; OMNIFY_BIN=$PWD/bin/omnify)');
  }
  if (!path.isAbsolute(bin)) {
    throw new Error(`OMNIFY_BIN must be an absolute path, got ${JSON.stringify(bin)}`);
  }
  return bin;
}

/**
 * The process environment without the caller's OMNIFY_* or MONGODB_URI (a
 * developer's shell may point at a real database), plus extra.
 */
function hermeticEnv(extra) {
  const base = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !k.startsWith('OMNIFY_') && k !== 'MONGODB_URI'),
  );
  return { ...base, ...extra };
}

/**
 * Creates a temporary data directory, removed when the test process exits
 * (or earlier with removeDataDir). Pass it to startServer({ dataDir }) to
 * share it between servers and runOmnify.
 */
export async function makeDataDir() {
  const dir = await mkdtemp(path.join(tmpdir(), 'omnify-e2e-'));
  dataDirs.add(dir);
  return dir;
}

/** Removes a data directory made by makeDataDir (best effort). */
export function removeDataDir(dir) {
  return rm(dir, { recursive: true, force: true, maxRetries: 3 }).then(
    () => dataDirs.delete(dir),
    (e) => console.error(`could not remove ${dir}: ${e.message}`),
  );
}

/**
 * Runs `$OMNIFY_BIN ...args` to completion (a CLI command, not serve) with
 * the same hermetic environment as startServer. Resolves with
 * { code, signal, stdout, stderr }; kills it with SIGKILL after timeoutMs.
 */
export function runOmnify(args, { env = {}, cwd, timeoutMs = 30_000 } = {}) {
  const bin = omnifyBin();
  return new Promise((resolve, reject) => {
    const proc = spawn(bin, args, { env: hermeticEnv({ OMNIFY_LOG_LEVEL: 'debug', ...env }), cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    running.add(proc);
    let stdout = '';
    let stderr = '';
    proc.stdout.setEncoding('utf8');
    proc.stderr.setEncoding('utf8');
    proc.stdout.on('data', (c) => (stdout += c));
    proc.stderr.on('data', (c) => (stderr += c));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      proc.kill('SIGKILL');
    }, timeoutMs);
    proc.once('error', (e) => {
      clearTimeout(timer);
      running.delete(proc);
      reject(new Error(`could not run ${bin} ${args.join(' ')}: ${e.message}`));
    });
    proc.once('close', (code, signal) => {
      clearTimeout(timer);
      running.delete(proc);
      if (timedOut) {
        reject(new Error(`${bin} ${args.join(' ')} did not finish within ${timeoutMs} ms\n--- stdout ---\n${stdout}\n--- stderr ---\n${stderr}`));
      } else {
        resolve({ code, signal, stdout, stderr });
      }
    });
  });
}

/**
 * Runs fn; if it throws, appends the server's recent output to the error so
 * the test report shows what the server logged.
 */
export async function withLogs(server, fn) {
  try {
    return await fn();
  } catch (e) {
    if (server && e && typeof e === 'object') {
      try {
        // Reporters print the stack, which holds the message as it was when
        // first formatted: read it before changing the message.
        const stack = e.stack;
        const original = String(e.message);
        e.message = `${original}\n${server.logs()}`;
        if (typeof stack === 'string') {
          e.stack = stack.includes(original) ? stack.replace(original, e.message) : `${stack}\n${server.logs()}`;
        }
      } catch {
        // some errors have a read-only message
      }
    }
    throw e;
  }
}

/** Resolves after ms milliseconds. */
export function delay(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Resolves with promise's value, or with null after ms; never leaves a timer behind. */
function orTimeout(promise, ms) {
  let timer;
  return Promise.race([promise, new Promise((resolve) => (timer = setTimeout(resolve, ms, null)))]).finally(() =>
    clearTimeout(timer),
  );
}

/** Rejects with `what` timed out unless promise settles within ms. */
export function within(ms, promise, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** fetch with a deadline. */
export function fetchWithin(ms, url, init = {}) {
  return fetch(url, { ...init, signal: AbortSignal.timeout(ms) });
}
