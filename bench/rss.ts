/**
 * (c) Memory: the daemon's RSS (VmRSS from /proc/PID/status) idle after start, then sampled every 5,000
 * of 100,000 requests at 32 connections (PayPoll of a live session, PayPoll of an unknown uid, a Pay that
 * is refused -2 because that session is in progress, and the WSDL). Target: under 80 MB, and no
 * growth over the last 50,000. Baseline: a bare node:http server's RSS after the same load shape.
 */
import { payXml, pollXml, returnCode } from '../test/helpers/daemon.js';
import { autocannon, cpuMs, fmt, median, post, printFigures, rssMiB, rssParts, sleep, spawnNodeScript, startBenchDaemon, type AutocannonRequest, type Figure } from './common.js';

async function load(port: number, reqs: AutocannonRequest[], pid: number, TOTAL: number, STEP: number): Promise<number[]> {
  const samples: number[] = [];
  for (let done = 0; done < TOTAL; done += STEP) {
    const r = await autocannon({ url: `http://127.0.0.1:${port}/`, connections: 32, amount: STEP, requests: reqs });
    if (r.errors) throw new Error(`${r.errors} errors under load`);
    samples.push(rssMiB(pid));
  }
  return samples;
}

/**
 * `soak`: 1,000,000 requests of the same mix, sampled every 50,000 (`make bench-soak`): a leak too slow
 * for 100,000 requests shows as growth over the last half.
 */
export async function run(opts: { soak?: boolean } = {}): Promise<Figure[]> {
  const TOTAL = opts.soak ? 1_000_000 : 100_000;
  const STEP = opts.soak ? 50_000 : 5_000;
  const d = await startBenchDaemon();
  const pid = d.child.pid!;
  let idle: number;
  let idleParts: { anon: number; file: number };
  let afterParts: { anon: number; file: number };
  let samples: number[];
  let mixCpuUs: number;
  try {
    await sleep(2000);
    idle = rssMiB(pid);
    idleParts = rssParts(pid);
    const uid = `bench-rss-${process.pid}`;
    const pay = await post(d.port, payXml(uid, 1000));
    if (returnCode(pay.body) !== 0) throw new Error('Pay did not answer 0');
    const h = { 'Content-Type': 'text/xml; charset=utf-8' };
    const reqs: AutocannonRequest[] = [
      { method: 'POST', path: '/', headers: h, body: pollXml(uid) },
      { method: 'POST', path: '/', headers: h, body: pollXml('never-seen-uid') },
      { method: 'POST', path: '/', headers: h, body: payXml(`busy-${process.pid}`, 500) },
      { method: 'GET', path: '/?wsdl' },
      { method: 'GET', path: '/pos.xsd' },
      // A malformed request: the fault path (soap:Client) is part of the mix.
      { method: 'POST', path: '/', headers: h, body: pollXml(uid).replace('PayPoll', 'PayPol') },
    ];
    const cpu0 = cpuMs(pid);
    samples = await load(d.port, reqs, pid, TOTAL, STEP);
    mixCpuUs = ((cpuMs(pid) - cpu0) * 1000) / TOTAL;
    afterParts = rssParts(pid);
  } finally {
    await d.stop();
  }

  // A unit in the field has a processing server, and so loads the Register client (node-soap over
  // node-libcurl: libcurl and the libraries it links) at start: its idle RSS, against the same target.
  const field = await startBenchDaemon(undefined, '[processing]\nurl = "https://127.0.0.1:9/"\n');
  let fieldIdle: number;
  try {
    await sleep(2000);
    fieldIdle = rssMiB(field.child.pid!);
  } finally {
    await field.stop();
  }

  const bare = await spawnNodeScript(
    `require('node:http').createServer((req, res) => { req.resume(); req.on('end', () => res.end('<ok/>')); }).listen(0, '127.0.0.1', function () { console.log('ready ' + this.address().port); });`,
    'ready',
  );
  let bareAfter: number;
  let bareCpuUs: number;
  try {
    const port = Number(bare.line.split(' ')[1]);
    const cpu0 = cpuMs(bare.pid);
    bareAfter = (await load(port, [{ method: 'POST', path: '/', body: pollXml('x') }], bare.pid, TOTAL, STEP)).at(-1)!;
    bareCpuUs = ((cpuMs(bare.pid) - cpu0) * 1000) / TOTAL;
  } finally {
    await bare.stop();
  }

  const after = samples.at(-1)!;
  const peak = Math.max(...samples);
  // RSS moves with every GC cycle (tens of MiB here), so one sample at 50k against one at 100k measures
  // the collector, not a leak: compare the medians of the samples over 55k..75k and over 80k..100k.
  const half = samples.length / 2;
  const w1 = median(samples.slice(half, half + half / 2));
  const w2 = median(samples.slice(half + half / 2));
  const growth = w2 - w1;
  const floorGrowth = Math.min(...samples.slice(half)) - Math.min(...samples.slice(0, half));
  const figures: Figure[] = [
    { name: 'RSS idle', value: idle, unit: 'MiB', baseline: null, target: '< 80 MB', ratio: (idle * 1.048576) / 80, met: idle * 1.048576 < 80 },
    { name: `RSS after ${TOTAL.toLocaleString('en')} requests`, value: after, unit: 'MiB', baseline: { name: 'bare node:http after the same count', value: bareAfter }, target: '< 80 MB', ratio: (after * 1.048576) / 80, met: peak * 1.048576 < 80 },
    { name: `RSS growth over the last ${(TOTAL / 2).toLocaleString('en')} (median of the last quarter minus median of the quarter before)`, value: growth, unit: 'MiB', baseline: null, target: 'no growth (<= 1 MiB noise)', ratio: null, met: growth <= 1 },
    // A field unit always has a processing server: this is the idle figure that counts on a kiosk.
    { name: 'RSS idle with a processing server configured (the Register client loaded, as on every field unit)', value: fieldIdle, unit: 'MiB', baseline: null, target: '< 80 MB', ratio: (fieldIdle * 1.048576) / 80, met: fieldIdle * 1.048576 < 80 },
    // Garbage the heap ceiling collects early costs CPU instead of RSS: a parse that fills the old
    // generation shows here, not in the RSS figures (bench/README.md, "Where memory goes").
    { name: 'CPU per request of the mix (user + system)', value: mixCpuUs, unit: 'us', baseline: { name: 'bare node:http, same count', value: bareCpuUs }, target: '(reported)', ratio: mixCpuUs / bareCpuUs, met: true },
    // RSS saws up and down by tens of MiB with the collector's cycles; a leak raises the floor. Reported
    // beside the target's figure so a GC phase and a leak can be told apart.
    { name: 'RSS floor (lowest sample) of the second half minus that of the first half', value: floorGrowth, unit: 'MiB', baseline: null, target: '(reported)', ratio: null, met: true },
  ];
  printFigures(`RSS, ${TOTAL} requests at 32 connections (samples every ${STEP}: ${samples.map((s) => fmt(s, 0)).join(' ')} MiB; peak ${fmt(peak, 1)}; idle = ${fmt(idleParts.anon, 1)} anon + ${fmt(idleParts.file, 1)} file-backed, after = ${fmt(afterParts.anon, 1)} anon + ${fmt(afterParts.file, 1)} file-backed)`, figures);
  return figures;
}

if (import.meta.url === `file://${process.argv[1]}`) await run();
