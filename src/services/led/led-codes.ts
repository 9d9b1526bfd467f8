/**
 * The status LED's codes (table in docs/appliance.md, "Status LED"). One LED, driven through the
 * kernel's timer trigger, so each code is a steady state or an on/off rhythm the kernel keeps blinking
 * by itself, even if the daemon stalls. Rhythms are chosen to be told apart by eye: the even ones differ
 * by a factor of at least 3 in speed, the uneven ones are mostly-on or mostly-off.
 */

export type LedCode = 'booting' | 'ready' | 'payment' | 'reports-waiting' | 'attention' | 'cash-service' | 'config-refused' | 'config-applied' | 'config-error';

/** Steady on, or the timer trigger's delay_on / delay_off in ms. */
export type LedPattern = { kind: 'steady' } | { kind: 'blink'; onMs: number; offMs: number };

export const LED_PATTERNS: Record<LedCode, LedPattern> = {
  /** Even 1 Hz: the kernel's own timer default, which the overlay's default trigger starts at power-up,
   *  so the unit blinks this from the kernel's boot until READY=1 (and again while restarting). */
  booting: { kind: 'blink', onMs: 500, offMs: 500 },
  /** Steady on: takes payments, nothing to report. */
  ready: { kind: 'steady' },
  /** Quick even blink (about 3 Hz): a customer is paying. */
  payment: { kind: 'blink', onMs: 150, offMs: 150 },
  /** Mostly on with a short dark blip every 2 s: reports wait in the outbox (processing server unreachable). */
  'reports-waiting': { kind: 'blink', onMs: 1900, offMs: 100 },
  /** Mostly off with a short flash every 2 s: rest amount owed, a device fault, clock not synchronised, store error. */
  attention: { kind: 'blink', onMs: 100, offMs: 1900 },
  /** A long flash (1 s) every 4 s: the cash needs the operator: bill cassette (nearly) full, hoppers low
   *  (docs/design.md, "Running low and full"). Ten times the attention code's flash, so told apart. */
  'cash-service': { kind: 'blink', onMs: 1000, offMs: 3000 },
  /** Frantic flicker (10 Hz), for a few minutes after an import: the stick was refused (reason in paypoint-result.txt). */
  'config-refused': { kind: 'blink', onMs: 50, offMs: 50 },
  /** Very slow even blink (0.25 Hz), for a few minutes after an import: the stick's file was applied. */
  'config-applied': { kind: 'blink', onMs: 2000, offMs: 2000 },
  /** Short flashes twice a second, for as long as it lasts: the unit's own configuration file or board
   *  profile cannot be loaded, no payment is taken (docs/appliance.md, "Configuration error"). Not the
   *  10 Hz flicker of a refused stick, which points at paypoint-result.txt; four times the rate of the
   *  attention flash and a tenth of the booting blink's duty, so told apart from both. */
  'config-error': { kind: 'blink', onMs: 50, offMs: 450 },
};

export interface LedInputs {
  /** READY=1 not yet sent. */
  booting: boolean;
  /** Result of a USB import in the last few minutes, if any. */
  importResult: 'applied' | 'refused' | null;
  paymentInProgress: boolean;
  /** Reasons for attention (empty: none). */
  attention: string[];
  reportsWaiting: boolean;
  /** Cassette (nearly) full or hoppers low (empty: neither). */
  cashService?: string[];
  /** The daemon runs in the configuration-error mode (no payment possible until a good file is imported). */
  configError?: boolean;
}

/**
 * Which code shows when several apply, highest first: booting; a configuration error; a fresh import result (the technician
 * stands there with the stick, for a few minutes only); a payment (transient, the customer is there);
 * attention; the cash needing service; reports waiting; ready.
 */
export function chooseLedCode(i: LedInputs): LedCode {
  if (i.booting) return 'booting';
  // Above an import result: a refused stick leaves the unit in the same error, and an applied one
  // restarts the daemon out of this mode.
  if (i.configError) return 'config-error';
  if (i.importResult === 'refused') return 'config-refused';
  if (i.importResult === 'applied') return 'config-applied';
  if (i.paymentInProgress) return 'payment';
  if (i.attention.length > 0) return 'attention';
  if ((i.cashService?.length ?? 0) > 0) return 'cash-service';
  if (i.reportsWaiting) return 'reports-waiting';
  return 'ready';
}
