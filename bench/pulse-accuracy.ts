/**
 * Benchmark (README.md, "Cash hardware"): pulse accuracy. 10,000 coins as 50 ms pulse trains (CH-926, medium setting, the
 * reference board's timings and pulse table from board/profiles/reference-pi4.json) go through the
 * real PulseCashAcceptor (its PulseDecoder) on simulated lines, twice in the same run:
 *   (1) idle;
 *   (2) while the compiled daemon (bin/paypoint serve, dist/) answers PayPoll at full load (autocannon,
 *       32 connections) and drains 10,000 queued reports into a fast local fake 1C server.
 * Figures: miscounted coins (a coin credited with another value, not credited, or credited twice;
 * target 0) and this process's event-loop delay p99 (perf_hooks.monitorEventLoopDelay; target < 10 ms),
 * each beside the idle run.
 *
 * SIMULATED vs REAL. Playing 10,000 coins in real time would take hours (about 1 s per coin), so the
 * pulse trains live in SIMULATED time: every edge carries a timestamp computed from a seeded PRNG
 * (pulse widths and gaps 50 ms with Gaussian jitter, contact bounce, 300-700 ms between coins) and the
 * edges are delivered far faster than that (one coin per ~1 ms of real time). What is REAL is the
 * event loop each edge goes through: the real driver (onoff-gpio.ts) stamps an edge with now() when its
 * epoll callback runs, so a busy loop stamps it late. Here every edge is delivered in its own
 * setImmediate callback, and the REAL time it waited in this process's loop (under the real load) is
 * added to its simulated timestamp; the decoder thus sees the same timing error a loaded kiosk would add.
 * Limits: the decoder runs in this bench process, which competes for the 2 CPUs with the daemon, the
 * load generator and the fake server (each in its own process), not inside the daemon's own loop; and
 * two edges that a real sysfs GPIO would merge during a long stall are both delivered here.
 *
 * Usage: node --import tsx bench/pulse-accuracy.ts [COINS]   (make build first); also run by
 * bench/run-all.ts (BENCH=pulse). Figures are reported, never asserted.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import type { PulseDecoderConfig, PulseTimings } from '../src/codecs/pulse/pulse-decoder.js';
import type { DriverLog } from '../src/drivers/driver-log.js';
import { PulseCashAcceptor } from '../src/drivers/pulse/pulse-acceptor.js';
import { now, type Level } from '../src/transports/gpio/line.js';
import { SimLines } from '../src/transports/gpio/sim-lines.js';
import { freePort, pollXml, REPO, startDaemonProcess, tempDir } from '../test/helpers/daemon.js';
import { fmt, percentile, prefillPaidReports, printFigures, sleep, type Figure } from './common.js';
import { rng as mulberry32 } from '../test/codecs/pulse/pulse-fixtures.js';

const SEED = 0x50c4e7;
const CONNECTIONS = 32;
const REPORTS = 10_000;
const PATH = '/bench/ws/processing.1cws';
const RESPONSE =
  '<?xml version="1.0" encoding="UTF-8"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><m:RegisterResponse xmlns:m="http://www.stampsoft.ru/processing"><m:return>true</m:return></m:RegisterResponse></soap:Body></soap:Envelope>';

// --- the coin acceptor as the reference unit wires it (CH-926, 50 ms, GPIO27 active low)
interface CoinProfile {
  pulse: { pin: number; activeLow: boolean };
  timings: PulseTimings;
  values: Record<string, number>;
}
function referenceCoinAcceptor(): PulseDecoderConfig & { pin: number; activeLow: boolean } {
  const profile = JSON.parse(readFileSync(join(REPO, 'board/profiles/reference-pi4.json'), 'utf8')) as { coinAcceptor: CoinProfile };
  const c = profile.coinAcceptor;
  const values: Record<number, number> = {};
  for (const [k, v] of Object.entries(c.values)) values[Number(k)] = v;
  return { ...c.timings, values, pin: c.pulse.pin, activeLow: c.pulse.activeLow };
}

// --- seeded pulse trains (simulated time, ms from the coin's start; logical levels, 1 = pulse)
function gaussian(rand: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
}
const clamp = (x: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, x));

interface Coin {
  value: number;
  /** [ms from the coin's start, logical level]. */
  edges: Array<[number, Level]>;
  /** Simulated duration including the mechanism's pause before the next coin, ms. */
  durationMs: number;
}

/**
 * One coin: `count` pulses of 50 ms +- N(0, 2 ms) (clamped to 44..56), 50 ms +- N(0, 2 ms) apart, 5% of
 * pulses with contact bounce on the leading edge (a 0.1-0.5 ms blip, then 0.2-2 ms open: under minGapMs,
 * so the decoder must join it), then 300-700 ms before the next coin (longer than trainEndMs).
 */
function makeCoin(rand: () => number, count: number, value: number): Coin {
  const edges: Array<[number, Level]> = [];
  let t = 0;
  for (let i = 0; i < count; i++) {
    if (rand() < 0.05) {
      const blip = 0.1 + 0.4 * rand();
      const open = 0.2 + 1.8 * rand();
      edges.push([t, 1], [t + blip, 0]);
      t += blip + open;
    }
    edges.push([t, 1]);
    t += clamp(50 + 2 * gaussian(rand), 44, 56);
    edges.push([t, 0]);
    if (i < count - 1) t += clamp(50 + 2 * gaussian(rand), 44, 56);
  }
  return { value, edges, durationMs: t + 300 + 400 * rand() };
}

function makeCoins(n: number, values: Record<number, number>): Coin[] {
  const rand = mulberry32(SEED);
  const table = Object.entries(values).map(([count, value]) => [Number(count), value] as const);
  const coins: Coin[] = [];
  for (let i = 0; i < n; i++) {
    const [count, value] = table[Math.floor(rand() * table.length)];
    coins.push(makeCoin(rand, count, value));
  }
  return coins;
}

// --- one pass: feed every coin through the acceptor, attribute its credits, measure the loop
interface PassResult {
  coins: number;
  miscounted: number;
  missed: number;
  extra: number;
  wrongValue: number;
  errorEvents: number;
  loopP50: number;
  loopP99: number;
  loopMax: number;
  /** Real wait of an edge's callback in this loop (the error added to its timestamp), ms. */
  stampLagP50: number;
  stampLagP99: number;
  stampLagMax: number;
  /** Times an edge's timestamp would have been behind the real clock (must be 0 for the model to hold). */
  simBehindReal: number;
  simulatedS: number;
  realS: number;
}

/**
 * Node 20's histogram records the whole interval between its timer's runs, resolution included (an idle
 * loop reads ~10 ms at the default resolution of 10): the delay is what exceeds the resolution.
 */
const ELD_RESOLUTION_MS = 1;
const delay = (ns: number) => Math.max(0, ns / 1e6 - ELD_RESOLUTION_MS);

async function feed(coins: Coin[]): Promise<PassResult> {
  const cfg = referenceCoinAcceptor();
  const lines = new SimLines('bench-gpio');
  const wire = lines.wire(cfg.pin, cfg.activeLow ? 1 : 0);
  const pulse = await lines.input(cfg.pin, { activeLow: cfg.activeLow, pull: cfg.activeLow ? 'up' : 'none' });
  const inhibit = await lines.output(8, { initial: 1 });
  let errorEvents = 0;
  const log: DriverLog = { debug() {}, info() {}, warn() {}, error: () => void errorEvents++ };
  const credited: number[] = [];
  const acceptor = new PulseCashAcceptor({ name: 'coin', kind: 'coin', pulse, inhibit, decoder: cfg, log });
  // The store is not under test: a credit is "durable" at once, so every decoded credit is seen.
  acceptor.onCredit(async (c) => void credited.push(c.value));
  await acceptor.start();
  await acceptor.setEnabled(true);

  const toNs = (ms: number) => BigInt(Math.round(ms * 1e6));
  const lags: number[] = [];
  let simBehindReal = 0;
  let miscounted = 0, missed = 0, extra = 0, wrongValue = 0;
  let mark = 0;
  let errMark = 0;
  const judge = (coin: Coin) => {
    const got = credited.slice(mark);
    const errs = errorEvents - errMark;
    mark = credited.length;
    errMark = errorEvents;
    if (got.length === 1 && got[0] === coin.value && errs === 0) return;
    miscounted++;
    if (got.length === 0) missed++;
    else if (got.length > 1) extra++;
    else wrongValue++;
  };

  // Simulated time starts a second ahead of the real clock and runs ~1000x faster, so the acceptor's
  // own end-of-train timer (set from the real clock) never fires before the next edge replaces it.
  const simBase = now() + 1_000_000_000n;
  let simMs = 0;
  let lastStamp = 0n;
  const h = monitorEventLoopDelay({ resolution: ELD_RESOLUTION_MS });
  const t0 = now();
  h.enable();
  for (let i = 0; i < coins.length; i++) {
    const coin = coins[i];
    for (let j = 0; j < coin.edges.length; j++) {
      const [at, level] = coin.edges[j];
      const waitFrom = now();
      await new Promise((r) => setImmediate(r));
      const real = now();
      const lag = real - waitFrom;
      lags.push(Number(lag) / 1e6);
      let stamp = simBase + toNs(simMs + at) + lag;
      // Real stamps are taken one after another: never out of order.
      if (stamp <= lastStamp) stamp = lastStamp + 1000n;
      lastStamp = stamp;
      if (stamp < real) simBehindReal++;
      wire.set((cfg.activeLow ? 1 - level : level) as Level, stamp);
      // The first edge of a coin ends the previous coin's train: its credits are all in now.
      if (j === 0 && i > 0) {
        await acceptor.idle();
        judge(coins[i - 1]);
      }
    }
    simMs += coin.durationMs;
    await sleep(1);
  }
  // The last train ends by its deadline, which stop() plays.
  await acceptor.stop();
  judge(coins[coins.length - 1]);
  h.disable();
  const realS = Number(now() - t0) / 1e9;
  await pulse.close();
  await inhibit.close();
  lags.sort((a, b) => a - b);
  return {
    coins: coins.length,
    miscounted,
    missed,
    extra,
    wrongValue,
    errorEvents,
    loopP50: delay(h.percentile(50)),
    loopP99: delay(h.percentile(99)),
    loopMax: delay(h.max),
    stampLagP50: percentile(lags, 50),
    stampLagP99: percentile(lags, 99),
    stampLagMax: lags[lags.length - 1],
    simBehindReal,
    simulatedS: simMs / 1000,
    realS,
  };
}

// --- the load: queued reports (as bench/reports-drain.ts makes them), a fake 1C server, autocannon


/** A `node -e` child whose stdout lines are kept; stop() sends SIGTERM and waits for its exit. */
function nodeChild(script: string): { lines: string[]; waitFor: (prefix: string) => Promise<string>; stop: () => Promise<void> } {
  const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  const lines: string[] = [];
  const waiters: Array<() => void> = [];
  let buf = '';
  const exited = new Promise<void>((r) => child.on('close', () => r()));
  child.stdout!.on('data', (d: Buffer) => {
    buf += d.toString();
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      lines.push(buf.slice(0, nl));
      buf = buf.slice(nl + 1);
    }
    for (const w of waiters.splice(0)) w();
  });
  return {
    lines,
    waitFor: async (prefix) => {
      for (;;) {
        const l = lines.find((x) => x.startsWith(prefix));
        if (l !== undefined) return l;
        if (child.exitCode !== null) throw new Error(`child exited (${child.exitCode}) before printing ${prefix}`);
        await Promise.race([new Promise<void>((r) => waiters.push(r)), exited]);
      }
    },
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

/** The fake 1C processing server, in its own process; prints `got N MS_EPOCH` every 100 reports. */
function fakeServerScript(port: number): string {
  return `
    const body = ${JSON.stringify(RESPONSE)};
    let n = 0;
    const s = require('node:http').createServer((req, res) => {
      let b = '';
      req.setEncoding('utf8');
      req.on('data', (d) => (b += d));
      req.on('end', () => {
        if (/<uid>b-/.test(b) && ++n % 100 === 0) console.log('got ' + n + ' ' + Date.now());
        res.writeHead(200, { 'Content-Type': 'text/xml; charset=utf-8' });
        res.end(body);
      });
    });
    s.keepAliveTimeout = 30000;
    s.listen(${port}, '127.0.0.1', () => console.log('ready'));
    process.on('SIGTERM', () => { console.log('got ' + n + ' ' + Date.now()); process.exit(0); });`;
}

/** autocannon in its own process (not this loop), until SIGTERM; prints `result JSON`. */
function loadScript(url: string, body: string): string {
  const autocannonPath = createRequire(import.meta.url).resolve('autocannon');
  return `
    const ac = require(${JSON.stringify(autocannonPath)});
    const inst = ac({ url: ${JSON.stringify(url)}, connections: ${CONNECTIONS}, duration: 600, method: 'POST',
      headers: { 'content-type': 'text/xml; charset=utf-8' }, body: ${JSON.stringify(body)} }, (err, r) => {
      const out = err ? { error: String(err) } : { rps: r.requests.average, total: r.requests.total, p50: r.latency.p50, p99: r.latency.p99, errors: r.errors, non2xx: r.non2xx, timeouts: r.timeouts };
      process.stdout.write('result ' + JSON.stringify(out) + '\\n', () => process.exit(0));
    });
    process.on('SIGTERM', () => inst.stop());
    console.log('started');`;
}

interface LoadFigures {
  pass: PassResult;
  paypoll: { rps: number; total: number; p50: number; p99: number; errors: number; non2xx: number; timeouts: number };
  reportsDuringFeed: number;
  reportsTotal: number;
  drainEndedBeforeFeed: boolean;
}

async function underLoad(coins: Coin[]): Promise<LoadFigures> {
  const fakePort = await freePort();
  const dataDir = tempDir('paypoint-bench-');
  prefillPaidReports(dataDir, REPORTS);
  const fake = nodeChild(fakeServerScript(fakePort));
  await fake.waitFor('ready');
  const daemon = await startDaemonProcess({
    dataDir,
    configText: `[status]\nenabled = false\n[led]\nenabled = false\n[devices]\ncard = "none"\n[processing]\nurl = "http://127.0.0.1:${fakePort}/"\npath = "${PATH}"\nprobe_interval_s = 1\n`,
  });
  let load: ReturnType<typeof nodeChild> | null = null;
  try {
    load = nodeChild(loadScript(daemon.url, pollXml('b-0')));
    await load.waitFor('started');
    await fake.waitFor('got ');
    await sleep(2000); // warm-up of the daemon under load (JIT, connections)
    const reportsAt = () => Number(fake.lines.filter((l) => l.startsWith('got ')).at(-1)?.split(' ')[1] ?? 0);
    const before = reportsAt();
    const pass = await feed(coins);
    const after = reportsAt();
    await load.stop();
    const res = JSON.parse((await load.waitFor('result ')).slice(7)) as LoadFigures['paypoll'] & { error?: string };
    if (res.error) throw new Error(`autocannon: ${res.error}`);
    await fake.stop();
    return { pass, paypoll: res, reportsDuringFeed: after - before, reportsTotal: reportsAt(), drainEndedBeforeFeed: after >= REPORTS };
  } finally {
    await load?.stop();
    await daemon.stop();
    await fake.stop();
  }
}

function describe(label: string, p: PassResult): string {
  return (
    `  ${label}: ${p.coins} coins, ${fmt(p.simulatedS / 3600)} h SIMULATED pulse time fed in ${fmt(p.realS, 1)} s REAL; ` +
    `miscounted ${p.miscounted} (missed ${p.missed}, extra ${p.extra}, wrong value ${p.wrongValue}; error events ${p.errorEvents}); ` +
    `loop delay (beyond the ${ELD_RESOLUTION_MS} ms sampling interval) p50/p99/max ${fmt(p.loopP50)}/${fmt(p.loopP99)}/${fmt(p.loopMax)} ms; ` +
    `edge stamp lag p50/p99/max ${fmt(p.stampLagP50, 3)}/${fmt(p.stampLagP99, 3)}/${fmt(p.stampLagMax, 3)} ms; sim behind real: ${p.simBehindReal}\n`
  );
}

/** Runs the benchmark with `n` coins per pass; prints and returns its figures. */
export async function run(n = 10_000): Promise<Figure[]> {
  const cfg = referenceCoinAcceptor();
  const coins = makeCoins(n, cfg.values);
  process.stdout.write(
    `\n== pulse accuracy (README.md, "Cash hardware"): ${n} coins (seed ${SEED}), pulses and gaps 50 ms +- N(0, 2 ms), 5% bounce, ` +
      `decoder timings ${JSON.stringify({ minPulseMs: cfg.minPulseMs, maxPulseMs: cfg.maxPulseMs, minGapMs: cfg.minGapMs, trainEndMs: cfg.trainEndMs })}.\n` +
      `  Pulse timestamps are SIMULATED time (fed ~1000x faster than real); each edge's REAL wait in this process's event loop is added to its timestamp, as the GPIO driver's late stamping would.\n`,
  );
  const idle = await feed(coins);
  process.stdout.write(describe('idle', idle));
  const loaded = await underLoad(coins);
  const l = loaded.pass;
  process.stdout.write(describe('under load', l));
  const pp = loaded.paypoll;
  process.stdout.write(
    `  load: PayPoll ${fmt(pp.rps, 0)} req/s at ${CONNECTIONS} connections (p50 ${pp.p50} ms, p99 ${pp.p99} ms, errors ${pp.errors + pp.non2xx + pp.timeouts}); ` +
      `${loaded.reportsDuringFeed} reports drained while the coins were fed (${loaded.reportsTotal} of ${REPORTS} in all, counted to the hundred)` +
      `${loaded.drainEndedBeforeFeed ? '; the drain ENDED before the feed: the end of the feed ran without it' : ''}\n`,
  );
  const figures: Figure[] = [
    {
      name: `miscounted coins of ${n} under load (PayPoll at ${CONNECTIONS} connections + report drain)`,
      value: l.miscounted,
      unit: 'coins',
      baseline: { name: 'idle', value: idle.miscounted },
      target: '0',
      ratio: null,
      met: l.miscounted === 0,
    },
    {
      name: 'event-loop delay p99 of the decoding process under load',
      value: l.loopP99,
      unit: 'ms',
      baseline: { name: 'idle', value: idle.loopP99 },
      target: '< 10 ms',
      ratio: l.loopP99 / Math.max(idle.loopP99, 0.001),
      met: l.loopP99 < 10,
    },
    {
      name: 'edge stamping lag p99 under load (real wait of an edge callback, added to its timestamp)',
      value: l.stampLagP99,
      unit: 'ms',
      baseline: { name: 'idle', value: idle.stampLagP99 },
      target: '(reported)',
      ratio: l.stampLagP99 / Math.max(idle.stampLagP99, 0.001),
      met: true,
    },
  ];
  printFigures('pulse accuracy (README.md, "Cash hardware")', figures);
  return figures;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await run(Number(process.argv[2] ?? 10_000));
