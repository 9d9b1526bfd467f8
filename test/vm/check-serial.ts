/**
 * VM check "serial": the CCNET bill validator and the VTK card terminal simulators run on the HOST, on
 * the host ends (ptys) of two qemu serial ports; the daemon in the guest reaches them as /dev/ttyS1 and
 * /dev/ttyS2 through the kernel's 8250 driver and the real serialport addon. The card terminal is
 * configured on /dev/ttyUSB0, absent at start (an adapter not plugged in): the daemon starts READY
 * with the card faulted (error 506, the path named), a bill pays one session; then /dev/ttyUSB0 appears
 * (a symlink to ttyS2), the card joins without a restart, and a card approval pays another.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import { payXml, returnCode, REPO } from '../helpers/daemon.js';
import { pollUntil, withDaemonConfig } from './daemon-config.js';
import { check, expect, note } from './tap.js';
import { sleep, type Vm } from './vm.js';

/** Where the daemon looks for the card terminal: not there at start, then a symlink to ttyS2. */
const LATE_TTY = '/dev/ttyUSB0';

interface Device {
  name: string;
  state: string;
  detail: string;
  code?: number;
}

/** The devices as /api/status shows them (empty if the status page does not answer). */
async function devices(vm: Vm): Promise<Device[]> {
  const r = await vm.http(vm.ports.status, '/api/status').catch(() => null);
  try {
    return (JSON.parse(r?.body ?? '') as { devices: Device[] }).devices;
  } catch {
    return [];
  }
}

/** Two more serial ports (ttyS1, ttyS2) with ptys on the host. */
export const SERIAL_QEMU_ARGS = ['-serial', 'pty', '-serial', 'pty'];

function startSim(script: string, args: string[]): { child: ChildProcess; lines: string[]; ready: Promise<boolean>; send: (l: string) => void } {
  const child = spawn(process.execPath, ['--import', 'tsx', join(REPO, script), ...args], { cwd: REPO, stdio: ['pipe', 'pipe', 'pipe'] });
  const lines: string[] = [];
  const ready = new Promise<boolean>((res) => {
    createInterface({ input: child.stdout! }).on('line', (l) => {
      lines.push(l);
      if (/"ready"/.test(l)) res(true);
    });
    child.on('exit', () => res(false));
    setTimeout(() => res(false), 60_000);
  });
  child.stderr!.on('data', (d) => lines.push(String(d)));
  return { child, lines, ready, send: (l) => child.stdin!.write(`${l}\n`) };
}

export async function checkSerial(vm: Vm, seed: number): Promise<void> {
  const chardevs = (await vm.qmp('query-chardev')) as Array<{ label: string; filename: string }>;
  const pty = (label: string) => chardevs.find((c) => c.label === label)?.filename.replace(/^pty:/, '');
  const ccnetPty = pty('serial1');
  const vtkPty = pty('serial2');
  if (!check('serial: qemu serial ports ttyS1 and ttyS2 have host ptys', !!ccnetPty && !!vtkPty, JSON.stringify(chardevs))) return;
  note(`serial: ttyS1 <-> ${ccnetPty} (CCNET simulator), ttyS2 <-> ${vtkPty} (VTK simulator)`);
  const ccnet = startSim('src/drivers/ccnet/ccnet-sim-main.ts', ['--port', ccnetPty!]);
  const vtk = startSim('src/drivers/vtk/vtk-sim-main.ts', ['--serial', vtkPty!, '--mode', 'manual']);
  try {
    if (!check('serial: CCNET and VTK simulators run on the host ptys', (await ccnet.ready) && (await vtk.ready), ...ccnet.lines, ...vtk.lines)) return;
    // The card terminal is configured on /dev/ttyS9, which does not exist at start (an adapter not plugged
    // in): the daemon must start without it, show it faulted (error 506, the path named) and take the
    // bill; then /dev/ttyS9 appears (a symlink to ttyS2, where the terminal is) and the card joins without
    // a restart (README.md, "Devices that cannot be opened").
    const extraToml = `[devices]\nbill = "board"\ncard = "vtk"\nopen_retry_s = 1\nopen_retry_max_s = 4\nboard_profile = "/usr/local/share/paypoint-vm/vm-serial-profile.json"\n[devices.vtk]\ntransport = "serial"\nserial_path = "${LATE_TTY}"\n`;
    await withDaemonConfig(
      vm,
      { extraToml, label: `serial: the daemon restarts READY with the CCNET validator on ttyS1 and the VTK terminal on ${LATE_TTY}, which does not exist yet`, readyMs: 300_000, before: `rm -f ${LATE_TTY}` },
      async () => {
        const restarts = async () => (await vm.shell('systemctl show paypoint.service -p NRestarts --value')).trim();
        const before = await restarts();
        let devs = await devices(vm);
        const card = devs.find((d) => d.name === 'card');
        check(
          `serial: the card terminal on ${LATE_TTY} is faulted with error 506 naming the path (/api/status)`,
          card?.state === 'fault' && card.code === 506 && card.detail.includes(LATE_TTY),
          JSON.stringify(card),
        );
        const validator = devs.find((d) => d.name === 'bill-validator');
        if (!check('serial: the CCNET validator on its port is open (not faulted)', validator !== undefined && validator.state !== 'fault', `${JSON.stringify(validator)}; NRestarts ${before}`)) return;

        const bill = `vm-serial-bill-${seed}`;
        expect('serial: Pay 100 RUB accepted (cash without the card)', returnCode((await vm.soap(payXml(bill, 10_000, [{ id: '1', name: 'x', count: 1, cost: 10_000 }]))).body), 0);
        await sleep(3000); // the validator is enabled once the session is stored
        ccnet.send('insert 2'); // bill type 2: 100 RUB (RUB_BILL_TABLE)
        expect('serial: a 100 RUB bill from the host CCNET simulator pays it (PayPoll 0)', await pollUntil(vm, bill, 0, 90_000), 0);

        await vm.shell(`ln -s /dev/ttyS2 ${LATE_TTY}`);
        const end = Date.now() + 60_000;
        while (Date.now() < end && devs.find((d) => d.name === 'card')?.state !== 'ok') {
          await sleep(1000);
          devs = await devices(vm);
        }
        const joined = devs.find((d) => d.name === 'card');
        check(
          `serial: ${LATE_TTY} appears (symlink to ttyS2): the card terminal joins, the fault clears, no restart`,
          joined?.state === 'ok' && joined.code === undefined && (await restarts()) === before,
          `${JSON.stringify(joined)}; NRestarts ${before} -> ${await restarts()}`,
        );

        const card2 = `vm-serial-card-${seed}`;
        expect('serial: Pay 25 RUB accepted', returnCode((await vm.soap(payXml(card2, 2_500, [{ id: '1', name: 'x', count: 1, cost: 2_500 }]))).body), 0);
        await sleep(5000); // the daemon offers the card: the terminal gets the sale request
        vtk.send('approve');
        expect('serial: an approval at the host VTK terminal simulator pays it (PayPoll 0)', await pollUntil(vm, card2, 0, 90_000), 0);
        note(`serial: VTK simulator events: ${vtk.lines.filter((l) => !/keepalive|idle/i.test(l)).slice(-6).join(' | ')}`);
      },
    );
    if (vm.alive()) await vm.shell(`rm -f ${LATE_TTY}`);
  } finally {
    ccnet.child.kill();
    vtk.child.kill();
  }
}
