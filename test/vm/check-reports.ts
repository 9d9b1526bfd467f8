/**
 * VM check "reports": the strict 1C processing server stand-in (python3-spyne with the lxml validator,
 * test/services/reports/spyne-processing-server.py) runs on the host's loopback; the guest reaches it
 * through a second qemu user-mode network of its own (restrict=on: its only way out is the guestfwd to
 * that server), so that this link alone can be cut and restored with QMP set_link while the test still
 * talks to the guest over the first one. Sessions paid with the link up, down and up again must each
 * arrive exactly once (Register answered true), and the outbox must drain.
 */
import { payXml, pollXml, returnCode } from '../helpers/daemon.js';
import { startProcessingServer, type ProcessingServer } from '../services/reports/processing-server.js';
import { check, note } from './tap.js';
import { sleep, type Vm } from './vm.js';

const CONFIG = '/etc/paypoint/paypoint.toml';
/** The reports network's NIC (make-disks.sh gives this MAC its own address, 10.0.3.15/24, no gateway). */
const MAC = '52:54:00:12:35:99';
const SERVER = '10.0.3.100';

/** Starts the stand-in and returns it with the qemu arguments of the reports network. */
export async function reportsNetwork(): Promise<{ server: ProcessingServer; args: string[] }> {
  const server = await startProcessingServer();
  const fwd = `guestfwd=tcp:${SERVER}:8000-cmd:socat - TCP:127.0.0.1:${server.port}`;
  return {
    server,
    args: ['-netdev', `user,id=rep,net=10.0.3.0/24,restrict=on,${fwd}`, '-device', `virtio-net-pci,netdev=rep,mac=${MAC}`],
  };
}

async function paySession(vm: Vm, uid: string): Promise<boolean> {
  if (returnCode((await vm.soap(payXml(uid, 1500, [{ id: '1', name: 'Milk', count: 1, cost: 1500 }]))).body) !== 0) return false;
  // The card terminal is asked for the amount shortly after Pay: approve once it waits for the card.
  let approved = false;
  for (let i = 0; i < 40 && !approved; i++) {
    approved = (await vm.sim({ cmd: 'card', action: 'approve' })).ok;
    if (!approved) await sleep(500);
  }
  if (!approved) return false;
  for (let i = 0; i < 60; i++) {
    if (returnCode((await vm.soap(pollXml(uid))).body) === 0) return true;
    await sleep(500);
  }
  return false;
}

const outboxDepth = async (vm: Vm): Promise<number | string> => {
  const r = await vm.http(vm.ports.status, '/api/status');
  try {
    return (JSON.parse(r.body) as { outbox: { depth: number } }).outbox.depth;
  } catch {
    return r.body.slice(0, 200);
  }
};

async function waitArrived(server: ProcessingServer, uids: string[], timeoutMs: number): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    const got = new Set(server.accepted().map((r) => r.values?.uid));
    if (uids.every((u) => got.has(u))) return true;
    await sleep(1000);
  }
  return false;
}

/** Points the daemon at the stand-in (its configuration written through and restarted); true once ready. */
export async function pointAtStandIn(vm: Vm, original?: string): Promise<boolean> {
  original ??= await vm.shell(`cat ${CONFIG}`);
  const cfg = `${original.trimEnd()}\n\n[processing]\nurl = "http://${SERVER}:8000/"\nconnect_timeout_s = 3\ntimeout_s = 15\nprobe_interval_s = 2\nretry_scale = 0.01\n`;
  await vm.shell(`cat > ${CONFIG} <<'EOF'\n${cfg}\nEOF\nsync; systemctl restart paypoint.service`, 180_000);
  return vm.waitReady(300_000);
}

export async function checkReports(vm: Vm, server: ProcessingServer): Promise<void> {
  const original = await vm.shell(`cat ${CONFIG}`);
  const ready = await pointAtStandIn(vm, original);
  const iface = (await vm.shell(`grep -l '${MAC}' /sys/class/net/*/address; networkctl --no-pager --no-legend list`)).trim();
  if (!check('reports: the daemon restarts with the processing server at the guestfwd address', ready, await vm.shell('journalctl -u paypoint -n 30 --no-pager -o cat'))) return;
  note(`reports: reports NIC ${iface.replace(/\n/g, ' | ')}; stand-in on 127.0.0.1:${server.port}`);
  const tag = `vm-rep-${process.pid}`;
  const up1 = [`${tag}-a`, `${tag}-b`];
  const down = [`${tag}-c`, `${tag}-d`, `${tag}-e`];
  const all = [...up1, ...down];

  let paid = true;
  for (const u of up1) paid = (await paySession(vm, u)) && paid;
  const arrived1 = await waitArrived(server, up1, 180_000);
  check('reports: two card sessions paid with the link up arrive at the strict spyne 1C stand-in', paid && arrived1, `paid ${paid}`, `received: ${JSON.stringify(server.received().map((r) => [r.values?.uid, r.result]))}`);

  await vm.qmp('set_link', { name: 'rep', up: false });
  const t0 = Date.now();
  paid = true;
  for (const u of down) paid = (await paySession(vm, u)) && paid;
  await sleep(15_000);
  const during = server.received().filter((r) => down.includes(r.values?.uid ?? '')).length;
  const depthDown = await outboxDepth(vm);
  check(
    'reports: with the link cut (QMP set_link off) three paid sessions wait in the outbox, none arrives',
    paid && during === 0 && typeof depthDown === 'number' && depthDown >= down.length,
    `paid ${paid}, received while cut: ${during}, outbox depth ${depthDown}`,
  );
  await vm.qmp('set_link', { name: 'rep', up: true });
  const arrived2 = await waitArrived(server, down, 240_000);
  note(`reports: link cut for ${((Date.now() - t0) / 1000).toFixed(0)} s in all; queued reports arrived: ${arrived2}`);
  let depth: number | string = -1;
  for (let i = 0; i < 60 && depth !== 0; i++) {
    depth = await outboxDepth(vm);
    if (depth !== 0) await sleep(1000);
  }
  const accepted = server.accepted().map((r) => r.values?.uid ?? '');
  const counts = new Map<string, number>();
  for (const u of accepted) counts.set(u, (counts.get(u) ?? 0) + 1);
  const dup = [...counts].filter(([, n]) => n > 1);
  const missing = all.filter((u) => counts.get(u) !== 1);
  const invalid = server.received().filter((r) => r.result === 'invalid' || r.result === 'fault');
  check(
    'reports: after set_link on every paid session arrived exactly once (Register true), none refused by the strict schema, and the outbox drained',
    arrived2 && dup.length === 0 && missing.length === 0 && invalid.length === 0 && depth === 0,
    `missing or not once: ${JSON.stringify(missing.map((u) => [u, counts.get(u) ?? 0]))}`,
    `duplicates: ${JSON.stringify(dup)}`,
    `invalid/fault: ${invalid.map((r) => r.raw.slice(0, 300)).join('\n')}`,
    `outbox depth ${depth}`,
  );
  note(`reports: ${accepted.length} reports accepted by the stand-in (${server.received().length} requests)`);
  await vm.shell(`cat > ${CONFIG} <<'EOF'\n${original}\nEOF\nsync`);
}
