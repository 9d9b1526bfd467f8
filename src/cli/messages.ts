/**
 * The one dictionary of what a technician reads on the command line, in English and Russian. Nothing
 * here imports anything: every layer may use it. Messages that the services word in English (the
 * processing check's lines, the USB import's summary) are translated by the patterns at the end, the way
 * the status page translates its attention reasons, so the services keep one wording for logs.
 */
export type Lang = 'en' | 'ru';

type Params = Record<string, string | number>;
type Text = string | ((p: Params) => string);

/** Russian plural form: 1 монета, 2 монеты, 5 монет (Intl.PluralRules gives the category). */
export function plural(lang: Lang, n: number, forms: { one: string; few: string; many: string; other?: string }): string {
  const cat = new Intl.PluralRules(lang === 'ru' ? 'ru-RU' : 'en-GB').select(n);
  const f = cat === 'one' ? forms.one : cat === 'few' ? forms.few : cat === 'many' ? forms.many : (forms.other ?? forms.many);
  return `${n} ${f}`;
}

export function rub(kopecks: number): string {
  const neg = kopecks < 0;
  const k = Math.abs(kopecks);
  return `${neg ? '-' : ''}${Math.floor(k / 100)},${String(k % 100).padStart(2, '0')} ₽`;
}

const D = {
  // --- the program and its commands (help texts) ---
  'prog.desc': {
    en: 'PayPoint kiosk firmware: the daemon and the technician\'s tools.',
    ru: 'Прошивка киоска PayPoint: служба и инструменты техника.',
  },
  'opt.lang': { en: 'language of the messages: ru or en (default: LANG)', ru: 'язык сообщений: ru или en (по умолчанию из LANG)' },
  'opt.config': { en: 'configuration file (TOML)', ru: 'файл конфигурации (TOML)' },
  'opt.data-dir': { en: 'data directory (default from the configuration: /var/lib/paypoint)', ru: 'каталог данных (по умолчанию из конфигурации: /var/lib/paypoint)' },
  'opt.port': { en: 'SOAP port of the kiosk (default 8080)', ru: 'порт SOAP киоска (по умолчанию 8080)' },
  'opt.status-port': { en: 'port of the status page (default 8081)', ru: 'порт страницы состояния (по умолчанию 8081)' },
  'cmd.serve': { en: 'run the daemon (SOAP service for 1C, devices, reports) in the foreground', ru: 'запустить службу (SOAP-сервис для 1С, устройства, отчёты) в текущем окне' },
  'cmd.config': { en: 'check a configuration file or print the configuration reference', ru: 'проверить файл конфигурации или вывести справочник параметров' },
  'cmd.config.check': { en: 'validate FILE; prints FILE:LINE: field: reason for each error', ru: 'проверить FILE; для каждой ошибки выводит ФАЙЛ:СТРОКА: поле: причина' },
  'cmd.config.doc': { en: 'print every configuration field with its default (Markdown table)', ru: 'вывести все параметры конфигурации со значениями по умолчанию (таблица Markdown)' },
  'cmd.sim': { en: 'play the customer on a daemon with simulated devices', ru: 'сыграть покупателя на службе с имитацией устройств' },
  'cmd.sim.coin': { en: 'insert a coin of RUB roubles (e.g. 10 or 0.50)', ru: 'опустить монету RUB рублей (например 10 или 0.50)' },
  'cmd.sim.bill': { en: 'insert a bill of RUB roubles', ru: 'вставить купюру RUB рублей' },
  'cmd.sim.card': { en: 'present a card: approve or decline', ru: 'приложить карту: approve (одобрить) или decline (отказ)' },
  'cmd.sim.cancel': { en: 'press the customer\'s cancel button', ru: 'нажать кнопку отмены покупателя' },
  'cmd.sim.status': { en: 'print the simulated devices\' state', ru: 'вывести состояние имитируемых устройств' },
  'cmd.processing': { en: 'the processing server (1C back office)', ru: 'процессинговый сервер (1С)' },
  'cmd.processing.check': { en: 'fetch the server\'s WSDL, compare it with what the kiosk sends, test the connection (no report is sent)', ru: 'получить WSDL сервера, сравнить с тем, что отправляет киоск, проверить соединение (отчёт не отправляется)' },
  'cmd.reports': { en: 'show the report outbox (works with the daemon running or stopped)', ru: 'показать очередь отчётов (служба может работать или быть остановлена)' },
  'cmd.try': { en: 'commissioning without 1C: play the scanning terminal or send a test report', ru: 'пусконаладка без 1С: сыграть терминал сканирования или отправить пробный отчёт' },
  'cmd.try.pay': { en: 'ask the kiosk for a payment of RUB roubles like 1C does (Pay, then PayPoll) and follow it to the end', ru: 'запросить у киоска оплату RUB рублей так же, как 1С (Pay, затем PayPoll), и следить до конца' },
  'cmd.try.register': { en: 'send one test Register to a processing server and print what it answered', ru: 'отправить на процессинговый сервер один пробный Register и показать ответ' },
  'cmd.usb-import': { en: 'import a configuration from a USB stick (MOUNTPOINT or DEVICE); run by udev/systemd', ru: 'импорт конфигурации с USB-носителя (каталог или устройство); запускается udev/systemd' },
  'cmd.hw': { en: 'hardware tools (daemon stopped)', ru: 'инструменты оборудования (служба остановлена)' },
  'cmd.hw.pulses': { en: 'measure the pulses of a coin/bill device on GPIO LINE (calibration)', ru: 'измерить импульсы монето-/купюроприёмника на линии GPIO (калибровка)' },
  'cmd.hw.levels': { en: 'print the hoppers\' fill levels, or set them: set VALUE=COUNT ...', ru: 'показать заполнение хопперов или задать: set НОМИНАЛ=КОЛИЧЕСТВО ...' },
  'help.exit': { en: 'Exit codes:', ru: 'Коды выхода:' },
  'exit.0': { en: 'done', ru: 'выполнено' },
  'exit.1': { en: 'refused or failed (the reason is printed)', ru: 'отказ или ошибка (причина выводится)' },
  'exit.2': { en: 'usage error (wrong command, option or argument)', ru: 'ошибка вызова (неверная команда, параметр или аргумент)' },
  'exit.config.1': { en: 'the file has errors (one line each)', ru: 'в файле есть ошибки (по строке на каждую)' },
  'exit.processing.1': { en: 'a check failed (FAIL lines)', ru: 'проверка не прошла (строки FAIL)' },
  'exit.try.pay.0': { en: 'paid (PayPoll answered 0)', ru: 'оплачено (PayPoll ответил 0)' },
  'exit.try.pay.1': { en: 'not paid: Pay refused (-1, -2, -3) or the payment was cancelled (2)', ru: 'не оплачено: Pay отклонён (-1, -2, -3) или оплата отменена (2)' },
  'exit.try.pay.3': { en: 'no final answer: kiosk unreachable, 401, fault, session lost (-4) or --timeout reached', ru: 'нет окончательного ответа: киоск недоступен, 401, SOAP Fault, сессия потеряна (-4) или истёк --timeout' },
  'exit.try.register.0': { en: 'the server answered true', ru: 'сервер ответил true' },
  'exit.try.register.1': { en: 'the server answered false, a fault, an HTTP error, or did not answer', ru: 'сервер ответил false, SOAP Fault, ошибкой HTTP или не ответил' },
  'cmd.update': { en: 'A/B updates with RAUC: mark the booted slot good when the unit is healthy', ru: 'обновления A/B через RAUC: отметить загруженный слот исправным, когда киоск здоров' },
  'cmd.update.mark-good': {
    en: 'wait until the daemon is healthy, then mark the booted slot good; otherwise mark it bad and reboot into the other slot',
    ru: 'дождаться исправной работы службы и отметить загруженный слот исправным; иначе отметить его неисправным и перезагрузиться в другой слот',
  },
  'cmd.update.hawkbit-config': {
    en: 'write rauc-hawkbit-updater\'s configuration from [update] and start its service, or stop it when hawkBit is off',
    ru: 'записать настройки rauc-hawkbit-updater из [update] и запустить его службу или остановить её, если hawkBit выключен',
  },
  'exit.update.0': { en: 'marked good, already good, or no A/B on this unit', ru: 'отмечен исправным, уже исправен или на киоске нет A/B' },
  'exit.update.1': { en: 'marked bad (rebooting) or not healthy with no slot to fall back to', ru: 'отмечен неисправным (перезагрузка) или неисправен, а вернуться некуда' },
  'exit.usb-import.0': { en: 'applied, exported or nothing to do', ru: 'применено, выгружено или делать нечего' },
  'exit.usb-import.1': { en: 'refused or rolled back', ru: 'отклонено или откачено' },
  'exit.serve.0': { en: 'stopped by SIGTERM or SIGINT', ru: 'остановлена сигналом SIGTERM или SIGINT' },
  'exit.serve.1': { en: 'could not start (configuration, port or data directory)', ru: 'не удалось запустить (конфигурация, порт или каталог данных)' },

  // --- common errors ---
  'err.usage.hint': { en: (p) => `(see: paypoint ${p.cmd ? p.cmd + ' ' : ''}--help)`, ru: (p) => `(справка: paypoint ${p.cmd ? p.cmd + ' ' : ''}--help)` },
  'err.no-data-dir': { en: (p) => `no data directory ${p.dir} (give --data-dir or --config of the unit)`, ru: (p) => `нет каталога данных ${p.dir} (укажите --data-dir или --config терминала)` },
  'err.amount': { en: (p) => `not an amount in roubles: ${p.v} (e.g. 10, 0.50, 149.90)`, ru: (p) => `не сумма в рублях: ${p.v} (например 10, 0.50, 149.90)` },
  'err.port': { en: (p) => `${p.opt}: not a port number: ${p.v}`, ru: (p) => `${p.opt}: не номер порта: ${p.v}` },
  'err.seconds': { en: (p) => `${p.opt}: not a number of seconds: ${p.v}`, ru: (p) => `${p.opt}: не число секунд: ${p.v}` },
  'err.lang': { en: (p) => `--lang: ru or en, not ${p.v}`, ru: (p) => `--lang: ru или en, а не ${p.v}` },
  'err.internal': { en: (p) => `internal error: ${p.m}`, ru: (p) => `внутренняя ошибка: ${p.m}` },
  // The numbered prefix stays the same in every language: scripts and tests look for "error NNN:".
  'err.code': { en: (p) => `error ${p.code}: ${p.m}`, ru: (p) => `error ${p.code}: ${p.m}` },
  'err.both': { en: '--pending or --refused, not both', ru: '--pending или --refused, но не оба сразу' },

  // --- config check ---
  'config.ok': { en: (p) => `${p.file}: ok`, ru: (p) => `${p.file}: ошибок нет` },

  // --- usb-import by hand ---
  'import.no-systemd': {
    en: 'systemd is not running here: usb-import applies a configuration by restarting paypoint.service and waiting for it to be healthy, which needs systemd. To check a file by hand: paypoint config check FILE',
    ru: 'systemd здесь не запущен: usb-import применяет конфигурацию перезапуском paypoint.service и ждёт его исправной работы, для этого нужен systemd. Проверить файл вручную: paypoint config check FILE',
  },
  'import.no-target': { en: (p) => `${p.t}: no such directory or device`, ru: (p) => `${p.t}: нет такого каталога или устройства` },
  'import.result': { en: (p) => `import: ${p.status}${p.summary ? ` — ${p.summary}` : ''}`, ru: (p) => `импорт: ${p.status}${p.summary ? ` — ${p.summary}` : ''}` },

  // --- try pay ---
  'try.wsdl': { en: (p) => `kiosk ${p.url}: WSDL ok (namespace ${p.ns})`, ru: (p) => `киоск ${p.url}: WSDL получен (пространство имён ${p.ns})` },
  'try.pay.sent': { en: (p) => `Pay uid=${p.uid} amount=${p.amount} kopecks (${p.rub})`, ru: (p) => `Pay uid=${p.uid} сумма=${p.amount} коп. (${p.rub})` },
  'try.pay.0': { en: 'Pay: 0 accepted, the payment session has started: the customer pays now', ru: 'Pay: 0 — принято, сессия оплаты начата: покупатель оплачивает' },
  'try.pay.-1': { en: 'Pay: -1 invalid parameters (amount over the maximum, empty uid, bad order item)', ru: 'Pay: -1 — неверные параметры (сумма больше максимума, пустой uid, неверная строка заказа)' },
  'try.pay.-2': { en: 'Pay: -2 terminal busy: another payment is in progress, the POS module is off, or no means of payment works (see the status page)', ru: 'Pay: -2 — терминал занят: идёт другая оплата, модуль POS выключен или ни одно средство оплаты не работает (см. страницу состояния)' },
  'try.pay.-3': { en: 'Pay: -3 a session with this uid already exists (uids are remembered for 24 hours)', ru: 'Pay: -3 — сессия с таким номером операции уже существует (номера помнятся 24 часа)' },
  'try.poll.1': { en: 'PayPoll: 1 payment in progress', ru: 'PayPoll: 1 — идёт оплата' },
  'try.poll.0': { en: 'PayPoll: 0 paid', ru: 'PayPoll: 0 — оплачено' },
  'try.poll.2': { en: 'PayPoll: 2 cancelled (by the customer or by the session timeout)', ru: 'PayPoll: 2 — отменено (покупателем или по тайм-ауту сессии)' },
  'try.poll.-1': { en: 'PayPoll: -1 invalid parameters', ru: 'PayPoll: -1 — неверные параметры' },
  'try.poll.-4': { en: 'PayPoll: -4 session not found', ru: 'PayPoll: -4 — сессия не найдена' },
  'try.unknown-code': { en: (p) => `${p.op}: unexpected result ${p.code}`, ru: (p) => `${p.op}: неожиданный результат ${p.code}` },
  'try.no-answer': { en: (p) => `${p.op}: no answer from the kiosk (${p.why}); asking again with the same uid`, ru: (p) => `${p.op}: киоск не ответил (${p.why}); повторяем опрос с тем же uid` },
  'try.timeout': { en: (p) => `no final state after ${p.s} s: the payment is NOT confirmed; ask the kiosk later with PayPoll uid=${p.uid}`, ru: (p) => `нет окончательного состояния за ${p.s} с: оплата НЕ подтверждена; позже спросите киоск PayPoll uid=${p.uid}` },
  'try.http401': { en: 'HTTP 401: the kiosk requires a login and password (--login, --password; api.require_auth)', ru: 'HTTP 401: киоск требует логин и пароль (--login, --password; api.require_auth)' },
  'try.fault': { en: (p) => `SOAP fault from the kiosk: ${p.m}`, ru: (p) => `SOAP Fault от киоска: ${p.m}` },
  'try.http': { en: (p) => `HTTP ${p.status} from the kiosk: ${p.m}`, ru: (p) => `HTTP ${p.status} от киоска: ${p.m}` },
  'try.unreachable': { en: (p) => `cannot reach the kiosk at ${p.url}: ${p.why}`, ru: (p) => `киоск ${p.url} недоступен: ${p.why}` },
  'try.bad-wsdl': { en: (p) => `${p.url} does not publish the PayPoint WSDL (no target namespace ${p.ns})`, ru: (p) => `${p.url} не публикует WSDL PayPoint (нет пространства имён ${p.ns})` },
  'try.result.paid': { en: 'result: PAID', ru: 'итог: ОПЛАЧЕНО' },
  'try.result.not-paid': { en: 'result: NOT PAID', ru: 'итог: НЕ ОПЛАЧЕНО' },

  // --- try register ---
  'try.reg.sent': { en: (p) => `Register to ${p.endpoint}: terminal_id=${p.tid} uid=${p.uid} amount=${p.amount} pay_type=0`, ru: (p) => `Register на ${p.endpoint}: terminal_id=${p.tid} uid=${p.uid} amount=${p.amount} pay_type=0` },
  'try.reg.true': { en: 'the server answered true: the report is accepted', ru: 'сервер ответил true: отчёт принят' },
  'try.reg.false': { en: 'the server answered false: it refused this payment (see its log in 1C)', ru: 'сервер ответил false: платёж отклонён (см. журнал регистрации 1С)' },
  'try.reg.other': { en: (p) => `not delivered (${p.cls}): ${p.detail}`, ru: (p) => `не доставлен (${p.cls}): ${p.detail}` },
  'try.reg.no-url': { en: '--url is required (or processing.url in --config)', ru: 'нужен --url (или processing.url в --config)' },

  // --- processing check prefixes ---
  'check.ok': { en: 'ok  ', ru: 'ok  ' },
  'check.warn': { en: 'warn', ru: 'внимание' },
  'check.fail': { en: 'FAIL', ru: 'FAIL' },
} satisfies Record<string, Record<Lang, Text>>;

export type MessageKey = keyof typeof D;

export function msg(lang: Lang, key: MessageKey, params: Params = {}): string {
  const t = (D[key] as Record<Lang, Text>)[lang];
  return typeof t === 'function' ? t(params) : t;
}

/**
 * The language from the environment: LC_ALL, LC_MESSAGES, then LANG (ru_RU.UTF-8 -> ru, en_GB -> en).
 * None for the C/POSIX locales (C.UTF-8 is what systemd and many ssh sessions give): then the unit's
 * configured language decides.
 */
export function envLang(env: NodeJS.ProcessEnv = process.env): Lang | null {
  const v = env.LC_ALL || env.LC_MESSAGES || env.LANG || '';
  if (!v || /^(C|POSIX)([.@]|$)/.test(v)) return null;
  return /^ru/i.test(v) ? 'ru' : 'en';
}

/**
 * English lines worded by the services (processing check, USB import, configuration errors) and their
 * Russian forms. A line that matches none stays in English: the test of the processing check lists
 * every line it produces in Russian, so a new line without a translation is seen there.
 */
const PATTERNS: Array<[RegExp, string]> = [
  [/^processing\.url is not set: reports wait in the outbox$/, 'processing.url не задан: отчёты ждут в очереди'],
  [/^endpoint (\S+) \(HTTP Basic as "(.*)"\)(.*)$/, 'адрес сервиса $1 (HTTP Basic, пользователь "$2")$3'],
  [/^endpoint (\S+)(.*)$/, 'адрес сервиса $1$2'],
  [/^TCP connection to the server: ok \((\d+) ms\)$/, 'TCP-соединение с сервером: есть ($1 мс)'],
  [/^TCP connection to the server: failed \(name not resolved, refused or timed out\)$/, 'TCP-соединение с сервером: нет (имя не разрешается, соединение отклонено или тайм-аут)'],
  [/^service "(.*)", SOAP 1\.1 port "(.*)"$/, 'сервис "$1", порт SOAP 1.1 "$2"'],
  [/^service "(.*)" has no SOAP 1\.1 port$/, 'у сервиса "$1" нет порта SOAP 1.1'],
  [/^no service "(.*)" in the server's WSDL \(it has: (.*)\): set processing\.service$/, 'в WSDL сервера нет сервиса "$1" (есть: $2): задайте processing.service'],
  [/^target namespace is "(.*)", configured "(.*)": set processing\.namespace$/, 'пространство имён сервера "$1", в настройке "$2": задайте processing.namespace'],
  [/^no Register element in namespace "(.*)"$/, 'нет элемента Register в пространстве имён "$1"'],
  [/^no RegisterResponse element$/, 'нет элемента RegisterResponse'],
  [/^RegisterResponse\/return is xs:boolean$/, 'RegisterResponse/return имеет тип xs:boolean'],
  [/^RegisterResponse\/return is (.*), expected xs:boolean$/, 'RegisterResponse/return имеет тип $1, нужен xs:boolean'],
  [/^(.*): (.*) as the server expects$/, '$1: $2 — как ожидает сервер'],
  [/^(.*): expected element "(.*)" at position (\d+), the server has (.*) \(order: (.*)\)$/, '$1: на месте $3 ожидается элемент "$2", у сервера $4 (порядок: $5)'],
  [/^(.*): type (.*), the kiosk sends (.*)$/, '$1: у сервера тип $2, киоск отправляет $3'],
  [/^(.*): maxOccurs (.*), the kiosk may send (.*)$/, '$1: maxOccurs $2, киоск может отправить $3'],
  [/^(.*): type (.*) not found in the server's schemas \(XDTO package (.*) not added\?\)$/, '$1: тип $2 не найден в схемах сервера (не добавлен пакет XDTO $3?)'],
  [/^(.*): the server requires elements the kiosk does not send: (.*)$/, '$1: сервер требует элементы, которых киоск не отправляет: $2'],
  [/^schema (.*) has elementFormDefault="(.*)"; the kiosk sends qualified elements$/, 'у схемы $1 elementFormDefault="$2"; киоск отправляет квалифицированные элементы'],
  [/^soapAction of Register is "(.*)", the kiosk sends "(.*)" \(1C dispatches on the body; other servers may not\)$/, 'soapAction операции Register "$1", киоск отправляет "$2" (1С определяет операцию по телу запроса; другие серверы могут нет)'],
  [/^GET (\S+): HTTP 200, (\d+) bytes \(TLS, credentials and path accepted\)$/, 'GET $1: HTTP 200, $2 байт (TLS, учётные данные и путь приняты)'],
  [/^GET (\S+): auth: (.*)$/, 'GET $1: отказ в доступе (401/403: логин или пароль): $2'],
  [/^GET (\S+): (\S+): (.*)$/, 'GET $1: ошибка $2: $3'],
  [/^the answer is not a WSDL: (.*)$/, 'ответ сервера — не WSDL: $1'],
  [/^compatible: the server accepts the Register messages the kiosk sends$/, 'совместимо: сервер принимает сообщения Register, которые отправляет киоск'],
  [/^NOT compatible: fix the configuration or the 1C web service$/, 'НЕ совместимо: исправьте настройки киоска или веб-сервис 1С'],
  [/^(.*) is (\w+) on the server, the kiosk sends (\w+) \(a subset\): fits$/, '$1 на сервере имеет тип $2, киоск отправляет $3 (подмножество): подходит'],
  // paypoint reports (the outbox summary; the list lines keep their tab-separated English keys for scripts)
  [/^endpoint: \(processing\.url not set: reports wait in the outbox\)$/, 'адрес сервиса: (processing.url не задан: отчёты ждут в очереди)'],
  [/^endpoint: (.*)$/, 'адрес сервиса: $1'],
  [/^pending: (\d+)$/, 'ожидают доставки: $1'],
  [/^oldest pending: -$/, 'самый старый ожидающий: -'],
  [/^oldest pending: (\S+) \((\d+) s ago\)$/, 'самый старый ожидающий: $1 ($2 с назад)'],
  [/^refused \(flagged\): (\d+)$/, 'отклонены сервером (помечены): $1'],
  [/^refused: (\d+)$/, 'отклонены сервером: $1'],
  [/^delivered \(kept in the live store\): (\d+)$/, 'доставлены (ещё в рабочем хранилище): $1'],
  [/^last success: -$/, 'последняя доставка: -'],
  [/^last success: (\S+) uid (.*)$/, 'последняя доставка: $1 uid $2'],
  [/^link: (.*)$/, 'связь: $1'],
  [/^last error by class: -$/, 'последние ошибки по классам: -'],
  [/^last error by class:$/, 'последние ошибки по классам:'],
  // USB import (the lines of its result, also written to the stick)
  [/^result: APPLIED$/, 'итог: ПРИМЕНЕНО'],
  [/^result: REFUSED \(rolled back\)$/, 'итог: ОТКЛОНЕНО (возвращена прежняя конфигурация)'],
  [/^result: REFUSED$/, 'итог: ОТКЛОНЕНО'],
  [/^result: NOTHING TO DO$/, 'итог: ДЕЛАТЬ НЕЧЕГО'],
  [/^no (\S+) and no (\S+) on the stick$/, 'на носителе нет ни $1, ни $2'],
  [/^(\S+): applied; the previous file is kept as (\S+)$/, '$1: применён; прежний файл сохранён как $2'],
  [/^(\S+): the daemon was not healthy within (\d+) s with this file \(see the service log\)$/, '$1: служба не пришла в норму за $2 с с этим файлом (см. журнал службы)'],
  [/^the previous configuration is back and healthy$/, 'прежняя конфигурация возвращена, служба в норме'],
  [/^the previous configuration is back, but the daemon is NOT healthy with it either$/, 'прежняя конфигурация возвращена, но служба НЕ в норме и с ней'],
  [/^there was no previous file to put back$/, 'прежнего файла не было'],
  [/^this unit has an admin secret: put it in (\S+) on the stick$/, 'у терминала задан секрет администратора: положите его в $1 на носитель'],
  [/^(\S+): wrong admin secret$/, '$1: неверный секрет администратора'],
  // configuration errors: FILE:LINE: field: reason (the field and the file stay as they are)
  [/^(.+?:\d+: \S+): must be https:\/\/<server>\/ with no path or query \(wiki\), or empty$/, '$1: должен быть https://<сервер>/ без пути и параметров (как в вики) или пустым'],
  // (the library's own reasons come in Russian from zod's ru locale, switched on by the command line)
  [/^(.+?:\d+: \S+): unknown fields? (.*)$/, '$1: неизвестный параметр $2'],
  // The TOML parser's own wording is quoted as it is (it has no Russian form).
  [/^(.+?:\d+: \(syntax\)): (.*)$/, '$1: ошибка синтаксиса TOML (текст разборщика: «$2»)'],
  [/^(.+?:\d+: \(file\)): cannot read: (.*)$/, '$1: не удаётся прочитать файл: $2'],
  [/^(.+?:\d+: \(file\)): too large: (\d+) bytes, at most (\d+)$/, '$1: файл слишком большой: $2 байт, допустимо не больше $3'],
  [/^(.+?:\d+: \(file\)): not valid UTF-8: save the file as UTF-8$/, '$1: файл не в UTF-8: сохраните его в кодировке UTF-8'],
  [/^(.+?:\d+: \S+): must be an absolute path$/, '$1: нужен абсолютный путь'],
  [/^(.+?:\d+: \S+): must not contain ":"$/, '$1: не должен содержать ":"'],
  [/^(.+?:\d+: \S+): a namespace URI: no spaces, <, >, " or &$/, '$1: URI пространства имён: без пробелов и символов <, >, " и &'],
  [/^(.+?:\d+: \S+): an LED class name: (.*)$/, '$1: имя светодиода (LED class): только $2'],
  [/^(.+?:\d+: \S+): letters, digits and underscore, not starting with a digit$/, '$1: латинские буквы, цифры и подчёркивание, не с цифры'],
  [/^(.+?:\d+: \S+): letters, digits, dot, dash and underscore only$/, '$1: только латинские буквы, цифры, точка, дефис и подчёркивание'],
  [/^(.+?:\d+: \S+): must be 64 lowercase hex digits \(sha256 of the admin secret\) or empty$/, '$1: 64 строчные шестнадцатеричные цифры (sha256 секрета администратора) или пусто'],
  [/^(.+?:\d+: \S+): must be http\(s\):\/\/host\[:port\]\/ or empty$/, '$1: должен быть http(s)://хост[:порт]/ или пусто'],
  [/^(.+?:\d+: \S+): must start with \/ and have no query$/, '$1: должен начинаться с / и не содержать параметров запроса'],
  [/^(.+?:\d+: \S+): needs one entry per hopper_coins entry$/, '$1: нужно по одному значению на каждый элемент hopper_coins'],
  [/^(.+?:\d+: \S+): require_auth is on: login and password must be set$/, '$1: require_auth включён: задайте login и password'],
  [/^(.+?:\d+: \S+): use_auth is on: login must be set$/, '$1: use_auth включён: задайте login'],
];

/** The Russian form of a line worded in English by a service, or the line itself. */
export function translateLine(lang: Lang, line: string): string {
  if (lang !== 'ru') return line;
  for (const [re, ru] of PATTERNS) if (re.test(line)) return line.replace(re, ru);
  return line;
}

/** Whether translateLine knows the line (tests use it to find lines without a Russian form). */
export function hasTranslation(line: string): boolean {
  return PATTERNS.some(([re]) => re.test(line));
}
