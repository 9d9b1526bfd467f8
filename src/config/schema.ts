/**
 * The one configuration schema (contract section 4). Every field carries its meaning, range and default
 * beside it; `paypoint config doc` prints this file's descriptions as the README's reference table.
 * Unknown keys are errors (a technician's typo must not be silently ignored).
 */
import { z } from 'zod';

const kopecks = (max = 100_000_000) => z.number().int().min(0).max(max);
const port = () => z.number().int().min(1).max(65535);
const secret = (what: string) => z.string().max(128).describe(what + ' (never logged, never shown)');

export const PosSchema = z
  .object({
    enabled: z.boolean().default(true).describe('Use POS module (wiki). Off: Pay answers -2.'),
    title: z.string().min(1).max(100).default('Касса самообслуживания').describe('Title: the module name shown where several modules are (wiki).'),
    terminal_id: z
      .string()
      .min(1)
      .max(64)
      .regex(/^[\p{L}\p{N}._-]+$/u, 'letters, digits, dot, dash and underscore only')
      .default('SIM-0001')
      .describe('Terminal ID: identifies the unit on the processing server (`terminal_id` in reports).'),
    max_amount: kopecks().min(1).default(10_000_000).describe('Largest amount Pay accepts, kopecks (1..100 000 000; default 100 000 RUB). Over it: -1.'),
    session_timeout_s: z.number().int().min(10).max(3600).default(120).describe('Inactivity timeout of a payment session, seconds (10..3600). Then the session is cancelled and cash given back.'),
    report_cancelled_with_cash_kept: z
      .boolean()
      .default(false)
      .describe('Report a cancelled session whose cash could not all be given back (contract 3; amount 0).'),
  })
  .strict();

export const ApiSchema = z
  .object({
    port: port().default(8080).describe('TCP port of the SOAP service for the scanning terminal (1..65535).'),
    bind: z.string().min(1).default('0.0.0.0').describe('Address the SOAP service listens on.'),
    public_url: z
      .string()
      .default('')
      .refine((s) => s === '' || /^https?:\/\/[^/?#\s]+\/?$/.test(s), 'must be http(s)://host[:port]/ or empty')
      .describe('Address written into the WSDL soap:address. Empty: taken from the request Host header.'),
    require_auth: z.boolean().default(false).describe('Scanning terminal -> require and check login and password (wiki): HTTP Basic on every request, WSDL included.'),
    login: z.string().max(64).regex(/^[^:]*$/, 'must not contain ":"').default('').describe('Login the scanning terminal must present.'),
    password: secret('Password the scanning terminal must present').default(''),
    max_body_bytes: z.number().int().min(1024).max(1_048_576).default(65_536).describe('Largest SOAP request body accepted, bytes (1 KiB..1 MiB; default 64 KiB).'),
  })
  .strict()
  .superRefine((v, ctx) => {
    if (v.require_auth && (v.login === '' || v.password === '')) {
      ctx.addIssue({ code: 'custom', path: ['login'], message: 'require_auth is on: login and password must be set' });
    }
  });

export const ProcessingSchema = z
  .object({
    url: z
      .string()
      .default('')
      .refine((s) => s === '' || /^https?:\/\/[^/?#\s]+\/$/.test(s), 'must be https://<server>/ with no path or query (wiki), or empty')
      .describe('Processing server -> server URL (wiki): https://<server>/. Empty: reports wait in the outbox.'),
    path: z
      .string()
      .regex(/^\/[^?#\s]*$/, 'must start with / and have no query')
      .default('/pos/ws/pos.1cws')
      .describe('Publication path of the 1C web service (1C publishes at /<infobase>/ws/<name>.1cws).'),
    namespace: z
      .string()
      .min(1)
      .max(256)
      .regex(/^[^\s<>"&]+$/, 'a namespace URI: no spaces, <, >, " or &')
      .default('http://www.stampsoft.ru/processing')
      .describe('Target namespace of the 1C Register service (as in the server\'s WSDL; `paypoint processing check` compares).'),
    service: z
      .string()
      .min(1)
      .max(64)
      .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'letters, digits and underscore, not starting with a digit')
      .default('processing')
      .describe('Service name in the 1C WSDL (its SOAP 1.1 port is <service>Soap); also in soapAction "<namespace>#<service>:Register".'),
    use_auth: z.boolean().default(false).describe('Processing server -> use login and password (wiki): HTTP Basic towards 1C.'),
    login: z.string().max(64).default('').describe('Login on the processing server.'),
    password: secret('Password on the processing server').default(''),
    ca_file: z.string().default('').describe('PEM file of extra CAs trusted for the processing server (TLS is always verified).'),
    connect_timeout_s: z.number().int().min(1).max(120).default(10).describe('TCP/TLS connect timeout, seconds (1..120).'),
    timeout_s: z.number().int().min(1).max(600).default(30).describe('Whole Register call timeout, seconds (1..600).'),
    probe_interval_s: z
      .number()
      .int()
      .min(1)
      .max(600)
      .default(10)
      .describe('While the server is unreachable, how often a cheap TCP probe checks whether it is back, seconds (1..600); delivery resumes at once when it is.'),
    retry_scale: z
      .number()
      .min(0.0001)
      .max(10)
      .default(1)
      .describe('Multiplies every retry back-off (0.0001..10; default 1: seconds after a network error, minutes to hours after a refusal). For test benches.'),
  })
  .strict()
  .superRefine((v, ctx) => {
    if (v.use_auth && v.login === '') ctx.addIssue({ code: 'custom', path: ['login'], message: 'use_auth is on: login must be set' });
  });

export const SimDevicesSchema = z
  .object({
    coins: z.array(kopecks(1_000_000).min(1)).max(32).default([100, 200, 500, 1000]).describe('Coin values the simulated coin acceptor takes, kopecks.'),
    bills: z.array(kopecks(100_000_000).min(1)).max(32).default([5000, 10000, 20000, 50000, 100000, 200000, 500000]).describe('Bill values the simulated bill validator takes, kopecks.'),
    hopper_coins: z.array(kopecks(1_000_000).min(1)).max(8).default([1000, 500, 100]).describe('Coin value of each simulated change hopper, kopecks.'),
    hopper_fill: z.array(z.number().int().min(0).max(10_000)).max(8).default([100, 100, 100]).describe('Coins initially in each simulated hopper (same order as hopper_coins).'),
  })
  .strict()
  .superRefine((v, ctx) => {
    if (v.hopper_coins.length !== v.hopper_fill.length) {
      ctx.addIssue({ code: 'custom', path: ['hopper_fill'], message: 'needs one entry per hopper_coins entry' });
    }
  });

export const VtkSchema = z
  .object({
    transport: z.enum(['serial', 'tcp']).default('serial').describe('How the Vendotek terminal is wired: "serial" (115200 8N1) or "tcp" (VTK 1.12 section 2).'),
    serial_path: z.string().min(1).default('/dev/ttyUSB0').describe('Serial device of the terminal (transport "serial").'),
    host: z.string().min(1).default('192.168.0.100').describe('Address of the terminal (transport "tcp").'),
    port: port().default(62801).describe('TCP port of the terminal (transport "tcp"; VTK default 62801).'),
    connect_timeout_s: z.number().int().min(1).max(120).default(15).describe('TCP connect timeout, seconds (1..120).'),
    product_name: z.string().max(64).default('Оплата заказа').describe('Product name the terminal may show beside the amount (VTK tag 0F).'),
    keepalive_s: z.number().int().min(1).max(999).default(10).describe('Keep-alive interval until the terminal sends its own (VTK 3.5), seconds.'),
    operation_timeout_s: z.number().int().min(1).max(999).default(60).describe('Answer timeout of an authorisation until the terminal sends its own (VTK 3.6), seconds.'),
  })
  .strict();

export const DevicesSchema = z
  .object({
    card: z
      .enum(['sim', 'vtk-sim', 'vtk', 'none'])
      .default('sim')
      .describe('Card reader: "sim" (simple simulator), "vtk-sim" (the VTK driver against an in-process simulated Vendotek terminal), "vtk" (a real Vendotek terminal, see devices.vtk), "none".'),
    coin: z.enum(['sim', 'board', 'none']).default('sim').describe('Coin acceptor: "sim" (simple simulator), "board" (the board profile\'s pulse acceptor), "none".'),
    bill: z.enum(['sim', 'board', 'none']).default('sim').describe('Bill validator: "sim", "board" (the profile\'s CCNET or pulse validator), "none".'),
    hoppers: z.enum(['sim', 'board', 'none']).default('sim').describe('Change hoppers: "sim", "board" (the profile\'s parallel hoppers), "none".'),
    cancel_button: z.enum(['sim', 'board']).default('sim').describe('Cancel button: "sim" (only `paypoint sim cancel`) or "board" (the profile\'s button line).'),
    board_profile: z.string().min(1).default('reference-pi4').describe('Board profile: a name in board/profiles/ (without .json) or a path to a profile file.'),
    board_simulated: z
      .boolean()
      .default(false)
      .describe('Run the "board" devices on simulated lines and a simulated CCNET validator behind a pty (driver-level simulation, for demos and tests).'),
    open_retry_s: z.number().int().min(1).max(3600).default(2).describe('A configured device that cannot be opened (port missing, chip not answering), or a serial port lost while running, is faulted and tried again after this many seconds, the delay doubling up to open_retry_max_s.'),
    open_retry_max_s: z.number().int().min(1).max(3600).default(60).describe('Longest delay between tries to open a device that cannot be opened, seconds.'),
    sim: SimDevicesSchema.default(SimDevicesSchema.parse({})),
    vtk: VtkSchema.default(VtkSchema.parse({})),
  })
  .strict()
  .superRefine((v, ctx) => {
    if (v.open_retry_max_s < v.open_retry_s) ctx.addIssue({ code: 'custom', path: ['open_retry_max_s'], message: `must be at least open_retry_s (${v.open_retry_s})` });
  });

export const StorageSchema = z
  .object({
    data_dir: z.string().min(1).default('/var/lib/paypoint').describe('Directory of the durable store and the daily journal (must be on persistent storage).'),
    uid_memory_h: z.number().int().min(24).max(24 * 30).default(24).describe('How long uids are remembered for -3 and PayPoll, hours (24..720; the contract asks 24).'),
    journal_days: z.number().int().min(1).max(3650).default(400).describe('How many days of the daily journal are kept, days.'),
  })
  .strict();

export const LogSchema = z
  .object({
    level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace']).default('info').describe('Log level of the JSON log on stdout.'),
  })
  .strict();

// --- Appliance sections (docs/appliance.md): status page, status LED, the unit itself -------------------------

export const StatusSchema = z
  .object({
    enabled: z.boolean().default(true).describe('Serve the read-only status page, /api/status and /metrics.'),
    port: port().default(8081).describe('TCP port of the status page (1..65535; its own port, not the SOAP one).'),
    bind: z.string().min(1).default('0.0.0.0').describe('Address the status page listens on.'),
    language: z.enum(['ru', 'en']).default('ru').describe('Default language of the status page ("ru" or "en"; the page has a switch).'),
    require_auth: z.boolean().default(false).describe('Require HTTP Basic for the status page, /api/status and /metrics.'),
    login: z.string().max(64).regex(/^[^:]*$/, 'must not contain ":"').default('').describe('Login for the status page.'),
    password: secret('Password for the status page').default(''),
  })
  .strict()
  .superRefine((v, ctx) => {
    if (v.require_auth && (v.login === '' || v.password === '')) {
      ctx.addIssue({ code: 'custom', path: ['login'], message: 'require_auth is on: login and password must be set' });
    }
  });

export const LedSchema = z
  .object({
    enabled: z.boolean().default(true).describe('Drive the status LED through the Linux LED class (codes: docs/appliance.md).'),
    name: z
      .string()
      .regex(/^[A-Za-z0-9:_.-]{1,64}$/, 'an LED class name: letters, digits, ":", "_", ".", "-"')
      .default('paypoint:green:status')
      .describe('LED name under the LED class directory (the label in board/overlays/paypoint-led-overlay.dts).'),
    sysfs_root: z.string().regex(/^\//, 'must be an absolute path').default('/sys/class/leds').describe('LED class directory (tests point it at a fake directory).'),
  })
  .strict();

export const UnitSchema = z
  .object({
    name: z.string().max(100).default('').describe('Where the unit stands (shop, till), shown on the status page. Empty: the terminal ID only.'),
    admin_secret_sha256: z
      .string()
      .regex(/^([0-9a-f]{64})?$/, 'must be 64 lowercase hex digits (sha256 of the admin secret) or empty')
      .default('')
      .describe(
        'SHA-256 (hex) of the admin secret. Once set, a configuration on a USB stick is applied only if the stick carries the secret in paypoint-secret.txt. A file imported from a stick must set it.',
      ),
    apply_timeout_s: z.number().int().min(10).max(600).default(60).describe('USB import: seconds the restarted daemon has to become healthy before the previous file is put back (10..600).'),
    max_event_loop_lag_ms: z
      .number()
      .int()
      .min(100)
      .max(60_000)
      .default(5_000)
      .describe('Watchdog: an event loop later than this, ms (100..60000), counts as hung: no WATCHDOG=1 is sent.'),
  })
  .strict();

export const CashSchema = z
  .object({
    usual_bill: kopecks()
      .default(100_000)
      .describe(
        'The bill customers usually pay with, kopecks (default 100 000 = 1000 RUB; 0: never). The hoppers are "low" when they cannot pay the largest change it may need (the bill minus the smallest coin): shown, LED, metric.',
      ),
  })
  .strict();

export const UpdateSchema = z
  .object({
    mark_good_timeout_s: z
      .number()
      .int()
      .min(30)
      .max(3600)
      .default(300)
      .describe('A/B updates (RAUC): seconds a newly booted root slot has to become healthy (daemon ready, store loaded, outbox read) before it is marked bad and the unit reboots into the other slot (30..3600).'),
    hawkbit_enabled: z.boolean().default(false).describe('Updates from a hawkBit server with rauc-hawkbit-updater. Off: its service stays disabled and its configuration file is not written.'),
    hawkbit_server: z
      .string()
      .default('')
      .refine((s) => s === '' || /^[A-Za-z0-9.-]+(:\d{1,5})?$/.test(s), 'must be host or host:port (no scheme, no path), or empty')
      .describe('hawkBit server as host[:port] (rauc-hawkbit-updater hawkbit_server).'),
    hawkbit_ssl: z.boolean().default(true).describe('Talk to the hawkBit server over HTTPS (rauc-hawkbit-updater ssl).'),
    hawkbit_tenant: z.string().max(64).regex(/^[A-Za-z0-9_-]*$/, 'letters, digits, dash and underscore only').default('DEFAULT').describe('hawkBit tenant (tenant_id).'),
    hawkbit_target_name: z
      .string()
      .max(64)
      .regex(/^[A-Za-z0-9._-]*$/, 'letters, digits, dot, dash and underscore only')
      .default('')
      .describe('Target name (controller ID) of this unit on the hawkBit server. Empty: the terminal ID.'),
    hawkbit_auth_token: secret('Target security token of this unit on the hawkBit server (auth_token)').regex(/^[A-Za-z0-9._~+/=-]*$/, 'token characters only').default(''),
  })
  .strict()
  .superRefine((v, ctx) => {
    if (v.hawkbit_enabled && v.hawkbit_server === '') ctx.addIssue({ code: 'custom', path: ['hawkbit_server'], message: 'hawkbit_enabled is on: the server must be set' });
    if (v.hawkbit_enabled && v.hawkbit_auth_token === '') ctx.addIssue({ code: 'custom', path: ['hawkbit_auth_token'], message: 'hawkbit_enabled is on: the target token must be set' });
  });

export const ConfigSchema = z
  .object({
    pos: PosSchema.default(PosSchema.parse({})),
    api: ApiSchema.default(ApiSchema.parse({})),
    processing: ProcessingSchema.default(ProcessingSchema.parse({})),
    devices: DevicesSchema.default(DevicesSchema.parse({})),
    storage: StorageSchema.default(StorageSchema.parse({})),
    log: LogSchema.default(LogSchema.parse({})),
    status: StatusSchema.default(StatusSchema.parse({})),
    led: LedSchema.default(LedSchema.parse({})),
    unit: UnitSchema.default(UnitSchema.parse({})),
    cash: CashSchema.default(CashSchema.parse({})),
    update: UpdateSchema.default(UpdateSchema.parse({})),
  })
  .strict();

export type Config = z.infer<typeof ConfigSchema>;

/** The built-in default: simulated devices, SOAP on 8080, no authentication, terminal ID SIM-0001. */
export function defaultConfig(): Config {
  return ConfigSchema.parse({});
}
