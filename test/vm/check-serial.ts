/**
 * VM check "serial": the CCNET bill validator and the VTK card terminal simulators run on the HOST, on
 * the host ends (ptys) of two qemu serial ports; the daemon in the guest reaches them as /dev/ttyS1 and
 * /dev/ttyS2 through the kernel's 8250 driver and the real serialport addon. A bill pays one session, a
 * card approval at the terminal pays another.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import { payXml, returnCode, REPO } from '../helpers/daemon.js';
import { pollUntil, withDaemonConfig } from './daemon-config.js';
import { check, expect, note } from './tap.js';
import { sleep, type Vm } from './vm.js';

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
    const extraToml = `[devices]\nbill = "board"\ncard = "vtk"\nboard_profile = "/usr/local/share/paypoint-vm/vm-serial-profile.json"\n[devices.vtk]\ntransport = "serial"\nserial_path = "/dev/ttyS2"\n`;
    await withDaemonConfig(vm, { extraToml, label: 'serial: the daemon restarts with the CCNET validator on ttyS1 and the VTK terminal on ttyS2', readyMs: 300_000 }, async () => {
      const bill = `vm-serial-bill-${seed}`;
      expect('serial: Pay 100 RUB accepted', returnCode((await vm.soap(payXml(bill, 10_000, [{ id: '1', name: 'x', count: 1, cost: 10_000 }]))).body), 0);
      await sleep(3000); // the validator is enabled once the session is stored
      ccnet.send('insert 2'); // bill type 2: 100 RUB (RUB_BILL_TABLE)
      expect('serial: a 100 RUB bill from the host CCNET simulator pays it (PayPoll 0)', await pollUntil(vm, bill, 0, 90_000), 0);

      const card = `vm-serial-card-${seed}`;
      expect('serial: Pay 25 RUB accepted', returnCode((await vm.soap(payXml(card, 2_500, [{ id: '1', name: 'x', count: 1, cost: 2_500 }]))).body), 0);
      await sleep(5000); // the daemon offers the card: the terminal gets the sale request
      vtk.send('approve');
      expect('serial: an approval at the host VTK terminal simulator pays it (PayPoll 0)', await pollUntil(vm, card, 0, 90_000), 0);
      note(`serial: VTK simulator events: ${vtk.lines.filter((l) => !/keepalive|idle/i.test(l)).slice(-6).join(' | ')}`);
    });
  } finally {
    ccnet.child.kill();
    vtk.child.kill();
  }
}
