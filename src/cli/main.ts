/**
 * Entry point of bin/paypoint: the command tree (commander), with each command's code loaded only when
 * that command runs (dynamic import), so `paypoint sim coin 10` does not load the daemon.
 * Exit codes, for every command: 0 done, 1 refused or failed, 2 usage error; `try pay` adds 3 (no final
 * answer). Each command's --help lists its own.
 */
import { Command, CommanderError, Option } from 'commander';
import { CliFailure, makeContext, t, UsageError, type CliContext, type ConfigFlags } from './context.js';
import type { MessageKey } from './messages.js';

/** What an action resolves to: an exit code, or 'running' for the daemon (it stops on a signal). */
type Outcome = number | 'running';

const HEADINGS_RU: Record<string, string> = { 'Usage:': 'Вызов:', 'Options:': 'Параметры:', 'Commands:': 'Команды:', 'Arguments:': 'Аргументы:', 'Global Options:': 'Общие параметры:' };

/** Commander's own error lines in Russian (the rest of each line, names and suggestions, is kept). */
function commanderErrorRu(s: string): string {
  return s
    .replace(/^error: unknown command/m, 'ошибка: неизвестная команда')
    .replace(/^error: unknown option/m, 'ошибка: неизвестный параметр')
    .replace(/^error: missing required argument/m, 'ошибка: не указан обязательный аргумент')
    .replace(/^error: too many arguments for '(.*)'\. Expected (\d+) arguments? but got (\d+)\./m, "ошибка: слишком много аргументов для '$1': нужно $2, получено $3.")
    .replace(/^error: too many arguments/m, 'ошибка: слишком много аргументов')
    .replace(/^error: option '(.*)' argument missing/m, "ошибка: у параметра '$1' нет значения")
    .replace(/^error: option '(.*)' argument '(.*)' is invalid\. Allowed choices are (.*)\./m, "ошибка: у параметра '$1' недопустимое значение '$2'. Допустимо: $3.")
    .replace(/^error: command-argument value '(.*)' is invalid for argument '(.*)'\. Allowed choices are (.*)\./m, "ошибка: недопустимое значение '$1' аргумента '$2'. Допустимо: $3.")
    .replace(/\(Did you mean (.*)\?\)/, '(Возможно, имелось в виду $1?)');
}

function exitTable(ctx: CliContext, rows: Array<[number, MessageKey]>): string {
  return `\n${t(ctx, 'help.exit')}\n${rows.map(([c, k]) => `  ${c}  ${t(ctx, k)}`).join('\n')}\n`;
}

export function buildProgram(ctx: CliContext, done: (o: Outcome) => void): Command {
  const ru = ctx.lang === 'ru';
  const program = new Command('paypoint');
  program
    .description(t(ctx, 'prog.desc'))
    .addOption(new Option('--lang <LANG>', t(ctx, 'opt.lang')).choices(['ru', 'en']))
    .exitOverride()
    .showSuggestionAfterError(true)
    // Option descriptions name their defaults and choices in the message language themselves.
    .configureHelp({ styleTitle: (s) => (ru ? (HEADINGS_RU[s] ?? s) : s), showGlobalOptions: true, optionDescription: (o) => o.description })
    .configureOutput({
      outputError: (s, write) => write(ru ? commanderErrorRu(s) : s),
    })
    .helpOption('-h, --help', ru ? 'показать справку по команде' : 'display help for command')
    .helpCommand('help [command]', ru ? 'справка по команде' : 'display help for command');
  program.addHelpText('after', exitTable(ctx, [[0, 'exit.0'], [1, 'exit.1'], [2, 'exit.2']]));

  /** Adds a leaf command whose action loads its module and reports its exit code. */
  const leaf = (parent: Command, spec: string, desc: MessageKey, exits: Array<[number, MessageKey]>): Command => {
    const c = parent.command(spec).description(t(ctx, desc));
    c.helpOption('-h, --help', ru ? 'показать справку по команде' : 'display help for command');
    c.addHelpText('after', exitTable(ctx, exits));
    return c;
  };
  const run = (path: string, fn: (...a: never[]) => Promise<Outcome>) =>
    async (...a: unknown[]) => {
      ctx.cmdPath = path;
      done(await (fn as (...x: unknown[]) => Promise<Outcome>)(...a));
    };
  const std: Array<[number, MessageKey]> = [[0, 'exit.0'], [1, 'exit.1'], [2, 'exit.2']];
  const cfgOpts = (c: Command, which: Array<'config' | 'data-dir' | 'port' | 'status-port'>) => {
    for (const w of which) c.option(`--${w} <${w === 'config' ? 'FILE' : w === 'data-dir' ? 'DIR' : 'N'}>`, t(ctx, `opt.${w}` as MessageKey));
    return c;
  };

  cfgOpts(leaf(program, 'serve', 'cmd.serve', [[0, 'exit.serve.0'], [1, 'exit.serve.1'], [2, 'exit.2']]), ['config', 'data-dir', 'port', 'status-port']).action(
    run('serve', async (o: ConfigFlags) => (await import('./cmd-serve.js')).serve(ctx, o)),
  );

  const config = program.command('config').description(t(ctx, 'cmd.config'));
  config.helpOption('-h, --help', ru ? 'показать справку по команде' : 'display help for command');
  leaf(config, 'check <FILE>', 'cmd.config.check', [[0, 'exit.0'], [1, 'exit.config.1'], [2, 'exit.2']]).action(
    run('config check', async (file: string) => (await import('./cmd-config.js')).configCheck(ctx, file)),
  );
  leaf(config, 'doc', 'cmd.config.doc', std).action(run('config doc', async () => (await import('./cmd-config.js')).configDoc(ctx)));

  const sim = program.command('sim').description(t(ctx, 'cmd.sim'));
  sim.helpOption('-h, --help', ru ? 'показать справку по команде' : 'display help for command');
  const simLeaf = (spec: string, desc: MessageKey, make: (a?: string) => Promise<Outcome>) =>
    cfgOpts(leaf(sim, spec, desc, std), ['config', 'data-dir', 'port']);
  simLeaf('coin <RUB>', 'cmd.sim.coin', async () => 0).action(run('sim coin', async (v: string, o: ConfigFlags) => (await import('./cmd-sim.js')).sim(ctx, o, { cmd: 'coin', arg: v })));
  simLeaf('bill <RUB>', 'cmd.sim.bill', async () => 0).action(run('sim bill', async (v: string, o: ConfigFlags) => (await import('./cmd-sim.js')).sim(ctx, o, { cmd: 'bill', arg: v })));
  simLeaf('card <ACTION>', 'cmd.sim.card', async () => 0)
    .action(run('sim card', async (v: string, o: ConfigFlags) => (await import('./cmd-sim.js')).sim(ctx, o, { cmd: 'card', arg: v })));
  simLeaf('cancel', 'cmd.sim.cancel', async () => 0).action(run('sim cancel', async (o: ConfigFlags) => (await import('./cmd-sim.js')).sim(ctx, o, { cmd: 'cancel' })));
  simLeaf('status', 'cmd.sim.status', async () => 0).action(run('sim status', async (o: ConfigFlags) => (await import('./cmd-sim.js')).sim(ctx, o, { cmd: 'status' })));

  const processing = program.command('processing').description(t(ctx, 'cmd.processing'));
  processing.helpOption('-h, --help', ru ? 'показать справку по команде' : 'display help for command');
  cfgOpts(leaf(processing, 'check', 'cmd.processing.check', [[0, 'exit.0'], [1, 'exit.processing.1'], [2, 'exit.2']]), ['config']).action(
    run('processing check', async (o: ConfigFlags) => (await import('./cmd-processing.js')).processingCheckCmd(ctx, o)),
  );

  cfgOpts(leaf(program, 'reports', 'cmd.reports', std), ['config', 'data-dir'])
    .option('--pending', ru ? 'только ожидающие доставки' : 'only the reports waiting for delivery')
    .option('--refused', ru ? 'только отклонённые сервером' : 'only the reports the server refused')
    .option('--json', ru ? 'вывод в JSON' : 'JSON output')
    .action(run('reports', async (o: ConfigFlags & { pending?: boolean; refused?: boolean; json?: boolean }) => (await import('./cmd-reports.js')).reportsCmd(ctx, o)));

  cfgOpts(leaf(program, 'settle [CASE] [HOW]', 'cmd.settle', [[0, 'exit.0'], [1, 'settle.exit.1'], [2, 'exit.2']]), ['config', 'data-dir'])
    .option('--by <NAME>', t(ctx, 'settle.opt.by'))
    .option('--note <TEXT>', t(ctx, 'settle.opt.note'))
    .option('--all', t(ctx, 'settle.opt.all'))
    .option('--json', t(ctx, 'settle.opt.json'))
    .action(run('settle', async (id: string | undefined, how: string | undefined, o: Record<string, string | boolean | undefined>) => (await import('./cmd-settle.js')).settleCmd(ctx, id, how, o)));

  cfgOpts(leaf(program, 'totals', 'cmd.totals', [[0, 'exit.0'], [1, 'totals.exit.1'], [2, 'exit.2']]), ['config', 'data-dir'])
    .option('--day <YYYY-MM-DD>', t(ctx, 'totals.opt.day'))
    .option('--since-collection', t(ctx, 'totals.opt.since'))
    .option('--json', t(ctx, 'settle.opt.json'))
    .action(run('totals', async (o: Record<string, string | boolean | undefined>) => (await import('./cmd-totals.js')).totalsCmd(ctx, o)));

  const tryCmd = program.command('try').description(t(ctx, 'cmd.try'));
  tryCmd.helpOption('-h, --help', ru ? 'показать справку по команде' : 'display help for command');
  leaf(tryCmd, 'pay <RUB>', 'cmd.try.pay', [[0, 'exit.try.pay.0'], [1, 'exit.try.pay.1'], [2, 'exit.2'], [3, 'exit.try.pay.3']])
    .option('--url <URL>', ru ? 'адрес киоска (по умолчанию http://127.0.0.1:8080/)' : 'the kiosk (default http://127.0.0.1:8080/)')
    .option('--login <LOGIN>', ru ? 'логин HTTP Basic (api.login киоска)' : 'HTTP Basic login (the kiosk\'s api.login)')
    .option('--password <PASSWORD>', ru ? 'пароль HTTP Basic (или переменная PAYPOINT_PASSWORD)' : 'HTTP Basic password (or the PAYPOINT_PASSWORD variable)')
    .option('--timeout <S>', ru ? 'сколько секунд ждать окончательного состояния (по умолчанию 300)' : 'seconds to wait for a final state (default 300)')
    .option('--interval <S>', ru ? 'интервал опроса PayPoll, секунды (по умолчанию 1)' : 'PayPoll interval, seconds (default 1)')
    .action(run('try pay', async (rub: string, o: Record<string, string | undefined>) => (await import('./cmd-try-pay.js')).tryPay(ctx, rub, o)));
  cfgOpts(leaf(tryCmd, 'register', 'cmd.try.register', [[0, 'exit.try.register.0'], [1, 'exit.try.register.1'], [2, 'exit.2']]), ['config'])
    .option('--url <URL>', ru ? 'сервер 1С: https://<сервер>/ (иначе processing.url из --config)' : 'the 1C server: https://<server>/ (else processing.url of --config)')
    .option('--path <PATH>', ru ? 'путь публикации, например /shop/ws/processing.1cws' : 'publication path, e.g. /shop/ws/processing.1cws')
    .option('--namespace <URI>', ru ? 'пространство имён веб-сервиса 1С' : 'target namespace of the 1C web service')
    .option('--service <NAME>', ru ? 'имя веб-сервиса в WSDL' : 'service name in the WSDL')
    .option('--login <LOGIN>', ru ? 'логин HTTP Basic на сервере 1С' : 'HTTP Basic login on the 1C server')
    .option('--password <PASSWORD>', ru ? 'пароль (или переменная PAYPOINT_PASSWORD)' : 'password (or the PAYPOINT_PASSWORD variable)')
    .option('--terminal-id <ID>', ru ? 'terminal_id отчёта (иначе из конфигурации)' : 'terminal_id of the report (else from the configuration)')
    .action(run('try register', async (o: Record<string, string | undefined>) => (await import('./cmd-try-register.js')).tryRegister(ctx, o)));

  cfgOpts(leaf(program, 'usb-import <TARGET>', 'cmd.usb-import', [[0, 'exit.usb-import.0'], [1, 'exit.usb-import.1'], [2, 'exit.2']]), ['config'])
    .option('--unit <NAME>', ru ? 'юнит systemd службы (по умолчанию paypoint.service)' : 'systemd unit of the daemon (default paypoint.service)')
    .option('--systemctl <CMD>', ru ? 'команда systemctl (для тестов)' : 'the systemctl command (for tests)')
    .option('--run-dir <DIR>', ru ? 'каталог для точки монтирования' : 'directory for the mount point')
    .action(run('usb-import', async (target: string, o: Record<string, string | undefined>) => (await import('./usb-import.js')).usbImportCommand(ctx, target, o)));

  const cash = cfgOpts(program.command('cash').description(t(ctx, 'cmd.cash')), ['config', 'data-dir'])
    .option('--json', ru ? 'вывод в JSON' : 'JSON output')
    .action(run('cash', async (o: Record<string, string | boolean | undefined>) => (await import('./cmd-cash.js')).cashShow(ctx, o)));
  cash.helpOption('-h, --help', ru ? 'показать справку по команде' : 'display help for command');
  const cashExits: Array<[number, MessageKey]> = [[0, 'exit.0'], [1, 'exit.cash.1'], [2, 'exit.2']];
  for (const action of ['collect', 'refill'] as const) {
    const c = cfgOpts(leaf(cash, `${action} [VALUE=COUNT...]`, action === 'collect' ? 'cmd.cash.collect' : 'cmd.cash.refill', cashExits), ['config', 'status-port'])
      .option('--note <TEXT>', ru ? 'примечание к записи' : 'a note kept with the record')
      .option('--url <URL>', ru ? 'страница состояния службы (по умолчанию http://127.0.0.1:<status.port>/)' : 'the daemon\'s status page (default http://127.0.0.1:<status.port>/)')
      .option('--secret-file <FILE>', ru ? 'файл с секретом администратора (иначе переменная PAYPOINT_ADMIN_SECRET)' : 'file holding the admin secret (else the PAYPOINT_ADMIN_SECRET variable)')
      .option('--login <LOGIN>', ru ? 'логин страницы состояния вместо секрета' : 'the status page login instead of the secret')
      .option('--password <PASSWORD>', ru ? 'пароль (или переменная PAYPOINT_PASSWORD)' : 'password (or the PAYPOINT_PASSWORD variable)');
    if (action === 'collect') c.option('--as-counted', ru ? 'изъято ровно то, что посчитал терминал' : 'you took exactly what the unit counted');
    // `paypoint cash` has --config and --data-dir too: given after `collect`, commander gives them to the parent.
    c.action(run(`cash ${action}`, async (args: string[], _o: unknown, cmd: Command) => (await import('./cmd-cash.js')).cashAction(ctx, action, args, cmd.optsWithGlobals())));
  }

  const update = program.command('update').description(t(ctx, 'cmd.update'));
  update.helpOption('-h, --help', ru ? 'показать справку по команде' : 'display help for command');
  cfgOpts(leaf(update, 'mark-good', 'cmd.update.mark-good', [[0, 'exit.update.0'], [1, 'exit.update.1'], [2, 'exit.2']]), ['config'])
    .option('--timeout <S>', ru ? 'секунд ждать исправной работы (иначе update.mark_good_timeout_s)' : 'seconds to wait for health (else update.mark_good_timeout_s)')
    .option('--settle <S>', ru ? 'секунд подряд исправной работы (по умолчанию 5)' : 'seconds in a row the unit must be healthy (default 5)')
    .option('--unit <NAME>', ru ? 'юнит systemd службы (по умолчанию paypoint.service)' : 'systemd unit of the daemon (default paypoint.service)')
    .option('--rauc <CMD>', ru ? 'команда rauc (для тестов)' : 'the rauc command (for tests)')
    .option('--systemctl <CMD>', ru ? 'команда systemctl (для тестов)' : 'the systemctl command (for tests)')
    .action(run('update mark-good', async (o: Record<string, string | undefined>) => (await import('./cmd-update.js')).markGoodCommand(ctx, o)));

  cfgOpts(leaf(update, 'watch', 'cmd.update.watch', [[0, 'exit.update.watch.0'], [2, 'exit.2']]), ['config'])
    .option('--interval <S>', ru ? 'секунд между опросами RAUC (по умолчанию 30)' : 'seconds between polls of RAUC (default 30)')
    .option('--rauc <CMD>', ru ? 'команда rauc (для тестов)' : 'the rauc command (for tests)')
    .option('--systemctl <CMD>', ru ? 'команда systemctl (для тестов)' : 'the systemctl command (for tests)')
    .action(run('update watch', async (o: Record<string, string | undefined>) => (await import('./cmd-update.js')).watchCommand(ctx, o)));

  cfgOpts(leaf(update, 'hawkbit-config', 'cmd.update.hawkbit-config', std), ['config'])
    .option('--out <FILE>', ru ? 'куда записать файл rauc-hawkbit-updater' : 'where to write rauc-hawkbit-updater\'s file')
    .option('--systemctl <CMD>', ru ? 'команда systemctl (для тестов)' : 'the systemctl command (for tests)')
    .action(run('update hawkbit-config', async (o: Record<string, string | undefined>) => (await import('./cmd-update.js')).hawkbitConfigCommand(ctx, o)));

  const hw = program.command('hw').description(t(ctx, 'cmd.hw'));
  hw.helpOption('-h, --help', ru ? 'показать справку по команде' : 'display help for command');
  leaf(hw, 'pulses <LINE>', 'cmd.hw.pulses', std)
    .option('--seconds <N>', ru ? 'длительность измерения, с (1..3600; по умолчанию 30)' : 'how long to measure, s (1..3600; default 30)')
    .option('--trains <N>', ru ? 'остановиться после N серий импульсов' : 'stop after N pulse trains')
    .option('--active-low', ru ? 'активный низкий уровень' : 'the line is active low')
    .action(run('hw pulses', async (line: string, o: { seconds?: string; trains?: string; activeLow?: boolean }) => {
      const args = [line, '--seconds', o.seconds ?? '30', ...(o.trains ? ['--trains', o.trains] : []), ...(o.activeLow ? ['--active-low'] : [])];
      return (await import('./hw-pulses.js')).hwPulsesCommand(args, (m) => new UsageError(m));
    }));
  cfgOpts(leaf(hw, 'levels [ARGS...]', 'cmd.hw.levels', std), ['config', 'data-dir']).action(
    run('hw levels', async (args: string[], o: ConfigFlags) => {
      const { effectiveConfig } = await import('./context.js');
      const cfg = await effectiveConfig(ctx, o);
      return (await import('./hw-levels.js')).hwLevelsCommand(cfg.storage.data_dir, args, (m) => new UsageError(m));
    }),
  );
  return program;
}

/** Runs one command line; resolves to the exit code, or 'running' when the daemon was started. */
export async function main(argv: string[]): Promise<Outcome> {
  const ctx = makeContext(argv);
  let outcome: Outcome = 0;
  const program = buildProgram(ctx, (o) => (outcome = o));
  if (argv.length === 0) {
    process.stdout.write(program.helpInformation());
    return 2;
  }
  // `paypoint --version [--config FILE]`: the version, the booted root slot and the last update.
  if (argv[0] === '--version' || argv[0] === '-V') {
    const ci = argv.indexOf('--config');
    return (await import('./cmd-update.js')).versionCommand(ctx, { config: ci > 0 ? argv[ci + 1] : undefined });
  }
  try {
    await program.parseAsync(argv, { from: 'user' });
    return outcome;
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version') return 0;
      if (e.code === 'commander.help') return 2; // a command group without its subcommand: help went to stderr
      ctx.err(t(ctx, 'err.usage.hint', { cmd: commandPath(program, argv) }));
      return 2;
    }
    return await reportError(ctx, e);
  }
}

/** The words of argv that name commands ("try pay"), for the pointer to --help after a usage error. */
function commandPath(program: Command, argv: string[]): string {
  const words: string[] = [];
  let cur = program;
  for (const a of argv) {
    if (a.startsWith('-')) continue;
    const sub = cur.commands.find((c) => c.name() === a);
    if (!sub) continue; // an option's value ("--lang ru") or an argument
    words.push(a);
    cur = sub;
  }
  return words.join(' ') || '';
}

async function reportError(ctx: CliContext, e: unknown): Promise<number> {
  if (e instanceof UsageError) {
    ctx.err(`${e.message} ${t(ctx, 'err.usage.hint', { cmd: ctx.cmdPath })}`);
    return 2;
  }
  if (e instanceof CliFailure) {
    ctx.err(e.message);
    return 1;
  }
  const { isPayPointError } = await import('../errors.js');
  const { ConfigError, formatProblem } = await import('../config/load.js');
  const { translateLine } = await import('./messages.js');
  if (e instanceof ConfigError) {
    for (const p of e.problems) ctx.err(translateLine(ctx.lang, formatProblem(p)));
    return 1;
  }
  if (isPayPointError(e)) {
    ctx.err(t(ctx, 'err.code', { code: e.code, m: e.message }));
    return 1;
  }
  ctx.err(t(ctx, 'err.internal', { m: (e as Error).message }));
  return 1;
}

main(process.argv.slice(2)).then((code) => {
  if (code !== 'running') process.exit(code);
});
