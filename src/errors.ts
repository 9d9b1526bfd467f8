/**
 * One error type for the whole firmware, with numbered codes grouped by area (the zwave-js model).
 * Tests compare `code`, never message text. Errors become SOAP faults only at the API boundary
 * (src/services/soap/faults.ts).
 *
 * Areas:
 *   1xx configuration      2xx SOAP request (client side)   3xx payment domain
 *   4xx durable store      5xx devices / drivers            6xx reports to 1C
 *   7xx appliance (systemd, USB import, LED, status)         9xx internal
 */
export const ErrorCode = {
  // 1xx configuration
  ConfigSyntax: 101,
  ConfigInvalid: 102,
  ConfigUnreadable: 103,
  ConfigTooLarge: 104,
  ConfigEncoding: 105,

  // 2xx SOAP requests that are malformed (always a soap:Client fault)
  SoapBodyTooLarge: 201,
  SoapContentEncoding: 202,
  SoapContentType: 203,
  SoapNotXml: 204,
  SoapDoctype: 205,
  SoapNotEnvelope: 206,
  SoapUnknownOperation: 207,
  SoapActionMismatch: 208,
  SoapSchema: 209,
  SoapMethod: 210,
  SoapTooDeep: 211,

  // 3xx payment domain
  PaymentInvalidEvent: 301,
  PaymentNoSession: 302,
  /** A collection or refill while a payment session (or a refund of an unattributed credit) is open. */
  CashSessionOpen: 303,
  /** A collection or refill with counts that are not whole, non-negative, or of unknown denominations. */
  CashInvalidCounts: 304,
  // 31x settling what the unit could not (owed change, unknown card outcomes)
  SettleNoSuchCase: 311,
  SettleAlreadySettled: 312,
  SettleWrongHow: 313,
  SettleBadInput: 314,

  // 4xx durable store
  StoreCorrupt: 401,
  StoreWriteFailed: 402,
  StoreNotOpen: 403,
  StoreLocked: 404,

  // 5xx devices and drivers
  DeviceNotReady: 501,
  DeviceProtocol: 502,
  DeviceTimeout: 503,
  DeviceFault: 504,
  DeviceUnsupported: 505,
  /** A configured device could not be opened (serial port missing, I2C chip not answering, GPIO line not
   *  exportable): the daemon runs without it, shows it faulted and keeps trying to open it. */
  DeviceUnavailable: 506,

  // 6xx reports to 1C
  ReportInvalid: 601,
  ReportDelivery: 602,

  // 7xx appliance
  ImportRefused: 701,
  ImportInvalid: 702,
  ImportTooLarge: 703,
  ImportSymlink: 704,
  ImportSecret: 705,
  ImportMount: 706,
  ImportRolledBack: 707,
  LedUnavailable: 708,
  StatusServer: 709,

  // 9xx internal
  Internal: 901,
  SimControlUnavailable: 902,
  Usage: 903,
} as const;

export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

export class PayPointError extends Error {
  readonly code: ErrorCode;
  /** Machine-readable context (field paths, line numbers, device names). Never secrets. */
  readonly context: Record<string, unknown>;

  constructor(code: ErrorCode, message: string, context: Record<string, unknown> = {}, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PayPointError';
    this.code = code;
    this.context = context;
  }

  /** The area of the code: 1 config, 2 SOAP, 3 payment, 4 store, 5 devices, 6 reports, 7 appliance, 9 internal. */
  get area(): number {
    return Math.floor(this.code / 100);
  }
}

export function isPayPointError(e: unknown, code?: ErrorCode): e is PayPointError {
  return e instanceof PayPointError && (code === undefined || e.code === code);
}

/** Wraps anything thrown into a PayPointError, keeping the original as `cause`. */
export function toPayPointError(e: unknown, code: ErrorCode = ErrorCode.Internal): PayPointError {
  if (e instanceof PayPointError) return e;
  const message = e instanceof Error ? e.message : String(e);
  return new PayPointError(code, message, {}, { cause: e });
}
