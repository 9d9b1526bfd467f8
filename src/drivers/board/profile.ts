/**
 * Board profiles (README.md, "Cash hardware"): a unit's wiring as data in board/profiles/*.json: which line does
 * what (on the Pi's GPIO or on an I/O expander), which serial port, which I2C address, the pulse tables,
 * and the Raspberry Pi settings it needs. Loaded and checked here; a bad profile is refused with the
 * path of the bad field (ConfigInvalid, 102), before any pin is touched.
 */
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { ErrorCode, PayPointError } from '../../errors.js';
import { jsonErrorLine, jsonErrorReason, jsonLineOf } from './json-lines.js';

const pin = z.number().int().min(0).max(63);
const kopecks = z.number().int().min(1).max(100_000_000);

export const LineRefSchema = z
  .object({
    provider: z.string().min(1).describe('Name of a line provider of this profile ("gpio", "mcp").'),
    pin: pin.describe('BCM number on "gpio"; 0-15 (GPA0-7, GPB0-7) on an MCP23017.'),
    activeLow: z.boolean().default(false).describe('The line is active at 0 V (open-collector outputs).'),
    pull: z.enum(['up', 'none']).default('none').describe('Pull resistor (MCP23017 inputs; Pi pulls are set in config.txt).'),
  })
  .strict();

const TimingsSchema = z
  .object({
    minPulseMs: z.number().positive().max(1000),
    maxPulseMs: z.number().positive().max(5000),
    minGapMs: z.number().min(0).max(1000),
    trainEndMs: z.number().positive().max(10_000),
  })
  .strict()
  .refine((t) => t.maxPulseMs > t.minPulseMs && t.trainEndMs > t.minGapMs, 'maxPulseMs must exceed minPulseMs and trainEndMs minGapMs');

/** Pulse count -> kopecks; JSON keys are strings. */
const PulseTableSchema = z.record(z.string().regex(/^[1-9]\d{0,2}$/, 'pulse counts are 1..999'), kopecks);

const ProviderSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('gpio'), chipLabel: z.string().min(1).nullable().default(null).describe('gpiochip label; null: the Pi SoC controller') }).strict(),
  z
    .object({
      type: z.literal('mcp23017'),
      bus: z.number().int().min(0).max(20).describe('I2C bus number (/dev/i2c-N; 1 on the Pi header)'),
      address: z.number().int().min(0x20).max(0x27).describe('7-bit address 0x20-0x27 (A2..A0)'),
      interrupt: LineRefSchema.nullable().default(null).describe('INTA (mirrored) on a Pi input, active low'),
      pollIntervalMs: z.number().int().min(1).max(100).default(5),
    })
    .strict(),
]);

/** Bills the fitted drop cassette holds (the cassette full state: docs/design.md, "Running low and full"). */
const CassetteCapacity = z.number().int().min(1).max(100_000).nullable().default(null).describe('Bills the fitted drop cassette holds; null: unknown (never called full)');

const PulseAcceptorSchema = z
  .object({
    pulse: LineRefSchema,
    inhibit: LineRefSchema.nullable().default(null).describe('Logical 1 blocks the device'),
    timings: TimingsSchema,
    values: PulseTableSchema,
  })
  .strict();

const HopperSchema = z
  .object({
    value: kopecks,
    motor: LineRefSchema,
    coinOut: LineRefSchema,
    error: LineRefSchema.nullable().default(null),
    empty: LineRefSchema.nullable().default(null),
    coinPulse: z.object({ minPulseMs: z.number().positive(), maxPulseMs: z.number().positive() }).strict().default({ minPulseMs: 15, maxPulseMs: 120 }),
    noCoinTimeoutMs: z.number().int().min(200).max(30_000).default(2500),
    runDownMs: z.number().int().min(0).max(5000).default(300),
    errorCodes: z.record(z.string().regex(/^\d{1,2}$/), z.string()).default({}),
  })
  .strict();

export const BoardProfileSchema = z
  .object({
    name: z.string().regex(/^[a-z0-9-]+$/),
    description: z.string().default(''),
    board: z.string().min(1).describe('Hardware the profile is for (documentation; e.g. raspberry-pi-4)'),
    configTxt: z.array(z.string()).default([]).describe('Lines the unit needs in /boot/firmware/config.txt'),
    lineProviders: z.record(z.string().regex(/^[a-z][a-z0-9-]*$/), ProviderSchema),
    coinAcceptor: PulseAcceptorSchema.nullable().default(null),
    billValidator: z
      .discriminatedUnion('type', [
        z
          .object({
            type: z.literal('ccnet'),
            port: z.string().startsWith('/dev/'),
            baudRate: z.number().int().default(9600),
            address: z.number().int().min(1).max(15).default(3),
            country: z.string().length(3).nullable().default(null),
            cassetteCapacity: CassetteCapacity,
          })
          .strict(),
        PulseAcceptorSchema.extend({ type: z.literal('pulse'), cassetteCapacity: CassetteCapacity }).strict(),
      ])
      .nullable()
      .default(null),
    hoppers: z.array(HopperSchema).default([]),
    cancelButton: LineRefSchema.nullable().default(null),
  })
  .strict()
  .superRefine((p, ctx) => {
    // Every line names a provider of the profile, and no pin is used twice.
    const used = new Map<string, string>();
    const check = (ref: z.infer<typeof LineRefSchema> | null, path: (string | number)[]) => {
      if (!ref) return;
      const provider = p.lineProviders[ref.provider];
      if (!provider) {
        ctx.addIssue({ code: 'custom', path: [...path, 'provider'], message: `no line provider named "${ref.provider}"` });
        return;
      }
      if (provider.type === 'mcp23017' && ref.pin > 15) ctx.addIssue({ code: 'custom', path: [...path, 'pin'], message: 'an MCP23017 has pins 0-15' });
      if (provider.type === 'gpio' && ref.pull === 'up') ctx.addIssue({ code: 'custom', path: [...path, 'pull'], message: 'Pi GPIO pulls are set in config.txt (gpio=N=ip,pu), not here' });
      const key = `${ref.provider}:${ref.pin}`;
      const other = used.get(key);
      if (other) ctx.addIssue({ code: 'custom', path: [...path, 'pin'], message: `${key} is already used by ${other}` });
      used.set(key, path.join('.'));
    };
    for (const [name, prov] of Object.entries(p.lineProviders)) if (prov.type === 'mcp23017') check(prov.interrupt, ['lineProviders', name, 'interrupt']);
    if (p.coinAcceptor) {
      check(p.coinAcceptor.pulse, ['coinAcceptor', 'pulse']);
      check(p.coinAcceptor.inhibit, ['coinAcceptor', 'inhibit']);
    }
    if (p.billValidator?.type === 'pulse') {
      check(p.billValidator.pulse, ['billValidator', 'pulse']);
      check(p.billValidator.inhibit, ['billValidator', 'inhibit']);
    }
    const values = new Set<number>();
    p.hoppers.forEach((h, i) => {
      if (values.has(h.value)) ctx.addIssue({ code: 'custom', path: ['hoppers', i, 'value'], message: `two hoppers for ${h.value}` });
      values.add(h.value);
      for (const k of ['motor', 'coinOut', 'error', 'empty'] as const) check(h[k], ['hoppers', i, k]);
    });
    check(p.cancelButton, ['cancelButton']);
  });

export type BoardProfile = z.infer<typeof BoardProfileSchema>;
export type LineRef = z.infer<typeof LineRefSchema>;

/** One problem of a profile, shaped as a configuration file's (file, line, field, reason): the status page
 *  and the journal show both alike (docs/appliance.md, "Configuration error"). Line 0: not known. */
export interface ProfileProblem {
  file: string;
  line: number;
  field: string;
  reason: string;
}

function profileError(code: ErrorCode, problems: ProfileProblem[], cause?: unknown): PayPointError {
  const message = problems.map((p) => `${p.file}:${p.line}: ${p.field}: ${p.reason}`).join('\n');
  return new PayPointError(code, message, { file: problems[0]?.file, problems }, { cause });
}

/** Parses a profile (already JSON-decoded); throws ConfigInvalid naming each bad field (with its line when
 *  the profile's `text` is given). */
export function parseBoardProfile(data: unknown, source = 'profile', text?: string): BoardProfile {
  const r = BoardProfileSchema.safeParse(data);
  if (r.success) return r.data;
  const problems = r.error.issues.map((i) => {
    const path = i.path.map((p) => (typeof p === 'symbol' ? String(p) : p));
    return { file: source, line: text === undefined ? 0 : jsonLineOf(text, path), field: path.join('.') || '(root)', reason: i.message };
  });
  throw profileError(ErrorCode.ConfigInvalid, problems);
}

export async function loadBoardProfile(file: string): Promise<BoardProfile> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    const reason = `cannot read board profile: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`;
    throw profileError(ErrorCode.ConfigUnreadable, [{ file, line: 0, field: '(file)', reason }], e);
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    const message = (e as Error).message;
    throw profileError(ErrorCode.ConfigSyntax, [{ file, line: jsonErrorLine(text, message), field: '(syntax)', reason: jsonErrorReason(message) }], e);
  }
  return parseBoardProfile(data, file, text);
}

/** The pulse table with numeric keys. */
export function pulseValues(table: Record<string, number>): Record<number, number> {
  return Object.fromEntries(Object.entries(table).map(([k, v]) => [Number(k), v]));
}
