/**
 * POLL responses of a bill validator (CashCode CCNET, "POLL" response table): one status byte, with a
 * second byte for rejects (reason), failures (code), busy (time) and the bill events (bill type).
 * Decoding is total: an unknown status is returned as { kind: 'unknown' }, never thrown, because a
 * validator's firmware may report codes newer than this list and the driver must keep polling.
 */
export const Status = {
  PowerUp: 0x10,
  PowerUpBillInValidator: 0x11,
  PowerUpBillInStacker: 0x12,
  Initialize: 0x13,
  Idling: 0x14,
  Accepting: 0x15,
  Stacking: 0x17,
  Returning: 0x18,
  UnitDisabled: 0x19,
  Holding: 0x1a,
  DeviceBusy: 0x1b,
  Rejecting: 0x1c,
  DropCassetteFull: 0x41,
  DropCassetteOut: 0x42,
  ValidatorJammed: 0x43,
  CassetteJammed: 0x44,
  Cheated: 0x45,
  Pause: 0x46,
  Failure: 0x47,
  Escrow: 0x80,
  Stacked: 0x81,
  Returned: 0x82,
} as const;

export const RejectReason: Record<number, string> = {
  0x60: 'insertion',
  0x61: 'magnetic',
  0x62: 'bill remaining in head',
  0x63: 'multiplying',
  0x64: 'conveying',
  0x65: 'identification',
  0x66: 'verification',
  0x67: 'optic',
  0x68: 'inhibit',
  0x69: 'capacity',
  0x6a: 'operation',
  0x6c: 'length',
};

export const FailureCode: Record<number, string> = {
  0x50: 'stack motor',
  0x51: 'transport motor speed',
  0x52: 'transport motor',
  0x53: 'aligning motor',
  0x54: 'initial cassette status',
  0x55: 'optic canal',
  0x56: 'magnetic canal',
  0x5f: 'capacitance canal',
};

export type PollStatus =
  | { kind: 'power-up'; bill: 'none' | 'validator' | 'stacker' }
  | { kind: 'initialize' }
  | { kind: 'idling' }
  | { kind: 'accepting' }
  | { kind: 'stacking' }
  | { kind: 'returning' }
  | { kind: 'disabled' }
  | { kind: 'holding' }
  | { kind: 'busy'; code: number }
  | { kind: 'rejecting'; code: number; reason: string }
  | { kind: 'cassette-full' }
  | { kind: 'cassette-out' }
  | { kind: 'jam'; where: 'validator' | 'stacker' }
  | { kind: 'cheated' }
  | { kind: 'pause' }
  | { kind: 'failure'; code: number; reason: string }
  | { kind: 'escrow'; billType: number }
  | { kind: 'stacked'; billType: number }
  | { kind: 'returned'; billType: number }
  | { kind: 'unknown'; code: number; sub?: number };

export function decodePoll(data: Uint8Array): PollStatus {
  const code = data[0];
  const sub = data.length > 1 ? data[1] : undefined;
  const hex = (n: number | undefined) => (n === undefined ? 'none' : `0x${n.toString(16).padStart(2, '0')}`);
  switch (code) {
    case Status.PowerUp: return { kind: 'power-up', bill: 'none' };
    case Status.PowerUpBillInValidator: return { kind: 'power-up', bill: 'validator' };
    case Status.PowerUpBillInStacker: return { kind: 'power-up', bill: 'stacker' };
    case Status.Initialize: return { kind: 'initialize' };
    case Status.Idling: return { kind: 'idling' };
    case Status.Accepting: return { kind: 'accepting' };
    case Status.Stacking: return { kind: 'stacking' };
    case Status.Returning: return { kind: 'returning' };
    case Status.UnitDisabled: return { kind: 'disabled' };
    case Status.Holding: return { kind: 'holding' };
    case Status.DeviceBusy: return { kind: 'busy', code: sub ?? 0 };
    case Status.Rejecting: return { kind: 'rejecting', code: sub ?? 0, reason: (sub !== undefined && RejectReason[sub]) || `unknown ${hex(sub)}` };
    case Status.DropCassetteFull: return { kind: 'cassette-full' };
    case Status.DropCassetteOut: return { kind: 'cassette-out' };
    case Status.ValidatorJammed: return { kind: 'jam', where: 'validator' };
    case Status.CassetteJammed: return { kind: 'jam', where: 'stacker' };
    case Status.Cheated: return { kind: 'cheated' };
    case Status.Pause: return { kind: 'pause' };
    case Status.Failure: return { kind: 'failure', code: sub ?? 0, reason: (sub !== undefined && FailureCode[sub]) || `unknown ${hex(sub)}` };
    case Status.Escrow:
    case Status.Stacked:
    case Status.Returned: {
      if (sub === undefined || sub >= 24) return { kind: 'unknown', code, sub };
      const kind = code === Status.Escrow ? 'escrow' : code === Status.Stacked ? 'stacked' : 'returned';
      return { kind, billType: sub };
    }
    default: return sub === undefined ? { kind: 'unknown', code } : { kind: 'unknown', code, sub };
  }
}

/** Encodes a status as POLL response DATA (used by the simulator). */
export function encodePoll(s: PollStatus): number[] {
  switch (s.kind) {
    case 'power-up': return [s.bill === 'none' ? Status.PowerUp : s.bill === 'validator' ? Status.PowerUpBillInValidator : Status.PowerUpBillInStacker];
    case 'initialize': return [Status.Initialize];
    case 'idling': return [Status.Idling];
    case 'accepting': return [Status.Accepting];
    case 'stacking': return [Status.Stacking];
    case 'returning': return [Status.Returning];
    case 'disabled': return [Status.UnitDisabled];
    case 'holding': return [Status.Holding];
    case 'busy': return [Status.DeviceBusy, s.code];
    case 'rejecting': return [Status.Rejecting, s.code];
    case 'cassette-full': return [Status.DropCassetteFull];
    case 'cassette-out': return [Status.DropCassetteOut];
    case 'jam': return [s.where === 'validator' ? Status.ValidatorJammed : Status.CassetteJammed];
    case 'cheated': return [Status.Cheated];
    case 'pause': return [Status.Pause];
    case 'failure': return [Status.Failure, s.code];
    case 'escrow': return [Status.Escrow, s.billType];
    case 'stacked': return [Status.Stacked, s.billType];
    case 'returned': return [Status.Returned, s.billType];
    case 'unknown': return s.sub === undefined ? [s.code] : [s.code, s.sub];
  }
}
