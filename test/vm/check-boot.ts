/**
 * VM check "boot": systemd as PID 1 reaches "running"; paypoint.service (Type=notify) became active only
 * after the daemon said it was ready; SOAP Pay/PayPoll and the status page answer through qemu's port
 * forwarding; a simulated card approval pays the session; the root file system is mounted read-only
 * (a write fails with EROFS) and the daemon's files are on the data partition of its own disk.
 */
import { payXml, pollXml, returnCode } from '../helpers/daemon.js';
import { check, expect, note } from './tap.js';
import { sleep, type Vm } from './vm.js';

/** Returns the uid of the session it paid (later checks look for it after restarts). */
export async function checkBoot(vm: Vm, bootMs: number): Promise<string> {
  note(`boot: daemon ready ${(bootMs / 1000).toFixed(1)} s after qemu started`);
  const running = (await vm.shell('systemctl is-system-running --wait')).trim();
  check('boot: systemd is PID 1 and the system is running', running === 'running', `is-system-running: ${running}`, await vm.shell('systemctl --failed --no-legend'));
  const comm = (await vm.shell('cat /proc/1/comm')).trim();
  expect('boot: PID 1 is systemd', comm, 'systemd');

  const props = await vm.shell('systemctl show -p Type,ActiveState,SubState,ActiveEnterTimestampMonotonic,ExecMainStartTimestampMonotonic,MainPID paypoint.service');
  const p = Object.fromEntries(props.trim().split('\n').map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
  expect('boot: paypoint.service is active/running, Type=notify', `${p.ActiveState}/${p.SubState}/${p.Type}`, 'active/running/notify');
  // Type=notify: systemd keeps the unit "activating" until READY=1. The daemon logs "ready" just after it
  // sent it, so the activation cannot come much before that line, and both come long after the start
  // (store load, SOAP listening); a unit that went active at exec (Type=simple) or a READY=1 sent before
  // the daemon was ready would fail this. The line's time is the daemon's own (pino's "time", wall
  // clock): journald stamps a line when it reads it, seconds late on a busy machine.
  const journal = await vm.shell(`journalctl -b -o json --output-fields=MESSAGE _PID=${p.MainPID} --no-pager`);
  let readyAt = 0;
  for (const line of journal.split('\n')) {
    try {
      const e = JSON.parse(line) as { MESSAGE?: string };
      if (e.MESSAGE && /"msg":"ready"/.test(e.MESSAGE) && !readyAt) readyAt = Date.parse((JSON.parse(e.MESSAGE) as { time: string }).time) * 1000;
    } catch {
      /* not JSON */
    }
  }
  const wall = await vm.shell('systemctl show -p ActiveEnterTimestamp --timestamp=us+utc --value paypoint.service');
  const activeWall = Date.parse(wall.trim().replace(/^\w+ /, '').replace(' UTC', 'Z').replace(' ', 'T')) * 1000 + Number(/\.\d{3}(\d{3})/.exec(wall)?.[1] ?? 0);
  const activeAt = Number(p.ActiveEnterTimestampMonotonic);
  const mainAt = Number(p.ExecMainStartTimestampMonotonic);
  check(
    'boot: the unit became active only when the daemon was ready (READY=1), not at its start',
    readyAt > 0 && activeAt - mainAt > 1_000_000 && activeWall > readyAt - 2_000_000,
    `main started ${mainAt} us, unit active ${activeAt} us (monotonic); unit active ${wall.trim()}, "ready" logged ${new Date(readyAt / 1000).toISOString()}`,
  );

  const uid = `vm-boot-${process.pid}`;
  const pay = await vm.soap(payXml(uid, 2500, [{ id: '1', name: 'Kefir', count: 1, cost: 2500 }]));
  expect('boot: SOAP Pay through port forwarding accepted (0)', returnCode(pay.body), 0);
  expect('boot: SOAP PayPoll: in progress (1)', returnCode((await vm.soap(pollXml(uid))).body), 1);
  const card = await vm.sim({ cmd: 'card', action: 'approve' });
  check('boot: simulated card approval accepted', card.ok, JSON.stringify(card));
  let code: number | null = null;
  for (let i = 0; i < 40 && code !== 0; i++) {
    code = returnCode((await vm.soap(pollXml(uid))).body);
    if (code !== 0) await sleep(500);
  }
  expect('boot: SOAP PayPoll: paid (0)', code, 0);

  const page = await vm.http(vm.ports.status, '/');
  check('boot: status page answers 200 with HTML', page.status === 200 && /<html/i.test(page.body), `HTTP ${page.status}`);
  const st = await vm.http(vm.ports.status, '/api/status');
  let healthy: unknown;
  try {
    healthy = (JSON.parse(st.body) as { health?: { ok?: boolean } }).health?.ok;
  } catch {
    healthy = st.body.slice(0, 200);
  }
  expect('boot: /api/status healthy', healthy, true);

  const rootOpts = (await vm.shell('findmnt -no OPTIONS /')).trim();
  check('boot: the root file system is mounted read-only', rootOpts.split(',')[0] === 'ro', `options: ${rootOpts}`);
  const write = (await vm.shell('touch /usr/paypoint-write-test 2>&1; echo rc=$?')).trim();
  check('boot: a write to the root fails (Read-only file system)', /Read-only file system/.test(write) && !/rc=0$/.test(write), write);
  const data = (await vm.shell('findmnt -no SOURCE,FSTYPE,OPTIONS /var/lib/paypoint; ls /var/lib/paypoint')).trim();
  check('boot: the data directory is the ext4 data partition on the second disk (vdb1), holding the store', /^\/dev\/vdb1\s+ext4\s+rw/.test(data) && /sessions\.db/.test(data), data);
  const cfg = (await vm.shell('findmnt -no SOURCE,OPTIONS /etc/paypoint')).trim();
  check('boot: /etc/paypoint is the config partition (vda4)', /^\/dev\/vda4\s+rw/.test(cfg), cfg);
  // Nothing written since boot lies on the root file system (files mounted over, like /etc/machine-id
  // from /run, are other file systems).
  const written = (
    await vm.shell(`find / -xdev -newer /proc/1 -type f 2>/dev/null | while read -r f; do grep -q " $f " /proc/self/mountinfo || echo "$f"; done | head -n 20`)
  ).trim();
  check('boot: no file on the root file system is newer than the boot', written === '', written);
  return uid;
}
