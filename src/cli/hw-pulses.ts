/**
 * `paypoint hw pulses LINE [--seconds N] [--trains N] [--active-low]`: the technician's calibration of a
 * pulse device (README.md, "Cash hardware"). LINE is a BCM GPIO number ("27") or "gpio:27"; it prints the measured
 * pulse and gap widths so the profile's timings can be set for the unit at hand. Run it with the daemon
 * stopped (the line is then free).
 */
import { parseArgs } from 'node:util';
import { measurePulses } from '../drivers/pulse/calibrate.js';
import { formatPulseReport } from '../codecs/pulse/pulse-analysis.js';
import { OnoffGpio } from '../transports/gpio/onoff-gpio.js';

export async function hwPulsesCommand(args: string[], usage: (m: string) => Error): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: { seconds: { type: 'string', default: '30' }, trains: { type: 'string' }, 'active-low': { type: 'boolean', default: false } },
    allowPositionals: true,
  });
  const m = /^(?:gpio:)?(\d{1,2})$/.exec(positionals[0] ?? '');
  if (!m || positionals.length !== 1) throw usage('hw pulses: LINE is a BCM GPIO number, e.g. 27 or gpio:27');
  const seconds = Number(values.seconds);
  if (!Number.isInteger(seconds) || seconds < 1 || seconds > 3600) throw usage('hw pulses: --seconds 1..3600');
  const trains = values.trains === undefined ? undefined : Number(values.trains);
  const gpio = new OnoffGpio({ name: 'gpio' });
  const line = await gpio.input(Number(m[1]), { activeLow: values['active-low'] });
  process.stdout.write(`measuring GPIO ${m[1]} for ${seconds} s: insert coins or bills now\n`);
  try {
    const report = await measurePulses(line, { durationMs: seconds * 1000, trains });
    process.stdout.write(formatPulseReport(report) + '\n');
  } finally {
    await gpio.close();
  }
  return 0;
}
