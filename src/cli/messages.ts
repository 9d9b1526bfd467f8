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
  'cmd.update.watch': {
    en: 'watch RAUC for an update installed by another client (hawkBit) and reboot into it once no payment is in progress',
    ru: 'следить за RAUC: обновление, установленное другим клиентом (hawkBit), применить перезагрузкой, когда нет оплаты',
  },
  'exit.update.watch.0': { en: 'an installation completed: reboot asked for', ru: 'установка завершена: перезагрузка запрошена' },
  'cmd.update.hawkbit-config': {
    en: 'write rauc-hawkbit-updater\'s configuration from [update] and start its service, or stop it when hawkBit is off',
    ru: 'записать настройки rauc-hawkbit-updater из [update] и запустить его службу или остановить её, если hawkBit выключен',
  },
  'exit.update.0': { en: 'marked good, already good, or no A/B on this unit', ru: 'отмечен исправным, уже исправен или на киоске нет A/B' },
  'exit.update.1': { en: 'marked bad (rebooting) or not healthy with no slot to fall back to', ru: 'отмечен неисправным (перезагрузка) или неисправен, а вернуться некуда' },
  'exit.usb-import.0': { en: 'applied, exported or nothing to do', ru: 'применено, выгружено или делать нечего' },
  'exit.usb-import.1': { en: 'refused or rolled back', ru: 'отклонено или откачено' },
  'exit.serve.0': { en: 'stopped by SIGTERM or SIGINT', ru: 'остановлена сигналом SIGTERM или SIGINT' },
  'exit.serve.1': {
    en: 'could not start (port, data directory or store); a configuration or board profile that cannot be loaded starts the configuration-error mode instead',
    ru: 'не удалось запустить (порт, каталог данных или хранилище); при негодной конфигурации или профиле платы служба работает в режиме ошибки конфигурации',
  },

  'cmd.cash': {
    en: 'the cash inside the unit per denomination (cassette, cash box, hoppers); works with the daemon running or stopped',
    ru: 'наличные внутри терминала по номиналам (кассета, ящик для монет, хопперы); служба может работать или быть остановлена',
  },
  'cmd.cash.collect': {
    en: 'record a collection: what you took, VALUE=COUNT ... (kopecks: 5000=3 is three 50-rouble bills); zeroes the cassette and box counts',
    ru: 'записать инкассацию: что изъято, НОМИНАЛ=КОЛИЧЕСТВО ... (в копейках: 5000=3 — три купюры по 50 ₽); обнуляет счётчики кассеты и ящика',
  },
  'cmd.cash.refill': {
    en: 'record coins added to the hoppers: VALUE=COUNT ... (kopecks: 1000=50 is fifty 10-rouble coins)',
    ru: 'записать пополнение хопперов: НОМИНАЛ=КОЛИЧЕСТВО ... (в копейках: 1000=50 — пятьдесят монет по 10 ₽)',
  },
  'exit.cash.1': { en: 'refused (a payment is open, bad counts, wrong secret) or the daemon did not answer', ru: 'отказ (идёт оплата, неверные количества, неверный секрет) или служба не ответила' },

  // --- cash ---
  'cash.cassette': { en: (p) => `bill cassette: ${p.n} bills, ${p.sum} (capacity ${p.cap}: ${p.level})`, ru: (p) => `кассета купюр: ${p.n} шт., ${p.sum} (вместимость ${p.cap}: ${p.level})` },
  'cash.box': { en: (p) => `coin box: ${p.sum}`, ru: (p) => `ящик для монет: ${p.sum}` },
  'cash.hoppers': { en: (p) => `hoppers: ${p.sum}`, ru: (p) => `хопперы: ${p.sum}` },
  'cash.row': { en: (p) => `  ${p.value} × ${p.n} = ${p.sum}`, ru: (p) => `  ${p.value} × ${p.n} = ${p.sum}` },
  'cash.level.ok': { en: 'ok', ru: 'в норме' },
  'cash.level.nearly-full': { en: 'NEARLY FULL', ru: 'ПОЧТИ ПОЛНА' },
  'cash.level.full': { en: 'FULL: collect', ru: 'ПОЛНА: нужна инкассация' },
  'cash.level.unknown': { en: 'unknown', ru: 'неизвестно' },
  'cash.recent': { en: 'last collections and refills:', ru: 'последние инкассации и пополнения:' },
  'cash.now': { en: 'inside now:', ru: 'теперь внутри:' },
  'cash.rec.collection': {
    en: (p) => `${p.at} collection by ${p.by}: counted ${p.counted}, taken (declared) ${p.declared}, difference ${p.diff}`,
    ru: (p) => `${p.at} инкассация (${p.by}): посчитано ${p.counted}, изъято (со слов) ${p.declared}, расхождение ${p.diff}`,
  },
  'cash.rec.diff': { en: (p) => `  difference ${p.value}: ${p.n}`, ru: (p) => `  расхождение ${p.value}: ${p.n}` },
  'cash.rec.refill': { en: (p) => `${p.at} refill by ${p.by}: ${p.sum} added to the hoppers`, ru: (p) => `${p.at} пополнение (${p.by}): в хопперы добавлено ${p.sum}` },
  'cash.rec.opening': { en: (p) => `${p.at} opening count (${p.by}): ${p.sum} in the hoppers`, ru: (p) => `${p.at} начальный остаток (${p.by}): в хопперах ${p.sum}` },
  'cash.rec.note': { en: (p) => `  note: ${p.note}`, ru: (p) => `  примечание: ${p.note}` },
  'cash.err.pair': { en: (p) => `not VALUE=COUNT (kopecks=count): ${p.a}`, ru: (p) => `не НОМИНАЛ=КОЛИЧЕСТВО (копейки=штуки): ${p.a}` },
  'cash.err.collect-empty': { en: 'say what you took: VALUE=COUNT ... (kopecks), or --as-counted', ru: 'укажите, что изъято: НОМИНАЛ=КОЛИЧЕСТВО ... (в копейках) или --as-counted' },
  'cash.err.refill-empty': { en: 'say what you added: VALUE=COUNT ... (kopecks)', ru: 'укажите, что добавлено: НОМИНАЛ=КОЛИЧЕСТВО ... (в копейках)' },
  'cash.err.as-counted': { en: '--as-counted takes no VALUE=COUNT', ru: '--as-counted указывается без НОМИНАЛ=КОЛИЧЕСТВО' },
  'cash.err.password': { en: '--login needs --password or PAYPOINT_PASSWORD', ru: 'для --login нужен --password или переменная PAYPOINT_PASSWORD' },
  'cash.err.secret': {
    en: 'the admin secret is needed: PAYPOINT_ADMIN_SECRET or --secret-file FILE (or the status page login: --login)',
    ru: 'нужен секрет администратора: PAYPOINT_ADMIN_SECRET или --secret-file ФАЙЛ (или логин страницы состояния: --login)',
  },
  'cash.err.url': { en: (p) => `--url: not an address: ${p.url}`, ru: (p) => `--url: не адрес: ${p.url}` },
  'cash.err.unreachable': { en: (p) => `the daemon's status port ${p.url} does not answer: ${p.why}`, ru: (p) => `порт страницы состояния службы ${p.url} не отвечает: ${p.why}` },

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

  // --- settle (owed change, unknown card outcomes) ---
  'cmd.settle': {
    en: 'list what the unit owes customers and card outcomes it never learned; with CASE HOW, record how a person settled one (never deletes the record)',
    ru: 'список долгов покупателям и неизвестных исходов оплаты картой; с CASE HOW записать, как человек урегулировал случай (запись не удаляется)',
  },
  'settle.opt.by': { en: 'who settled it (your login or name; required with CASE HOW)', ru: 'кто урегулировал (ваш логин или имя; обязательно с CASE HOW)' },
  'settle.opt.note': { en: 'a note kept with the settlement (e.g. the bank\'s reference)', ru: 'примечание к записи (например, номер операции банка)' },
  'settle.opt.all': { en: 'list settled cases too', ru: 'показать и урегулированные случаи' },
  'settle.opt.json': { en: 'JSON output', ru: 'вывод в JSON' },
  'settle.exit.1': { en: 'refused: no such open case, already settled, or not a way to settle it (error NNN, nothing written)', ru: 'отказ: нет такого открытого случая, уже урегулирован или так его урегулировать нельзя (error NNN, ничего не записано)' },
  'settle.open': { en: (p) => `open: ${p.n}`, ru: (p) => `открыто: ${p.n}` },
  'settle.settled-head': { en: (p) => `settled: ${p.n}`, ru: (p) => `урегулировано: ${p.n}` },
  'settle.late-head': { en: (p) => `late card approvals reversed with FIN 0 (the bank returns the money; nothing to settle): ${p.n}`, ru: (p) => `поздние одобрения по карте, отменённые FIN 0 (банк вернёт деньги; урегулировать не нужно): ${p.n}` },
  'settle.kind.rest': { en: 'change or refund owed', ru: 'не выдана сдача или возврат' },
  'settle.kind.credit': { en: 'money outside a session owed', ru: 'деньги вне сессии к возврату' },
  'settle.kind.card': { en: 'card outcome unknown', ru: 'исход оплаты картой неизвестен' },
  'settle.how.paid': { en: 'paid to the customer', ru: 'выдано покупателю' },
  'settle.how.refunded': { en: 'refunded by the bank', ru: 'возвращено банком' },
  'settle.how.charged': { en: 'charged (the payment stands)', ru: 'списано (оплата состоялась)' },
  'settle.hint': { en: 'settle one: paypoint settle CASE paid|refunded|charged --by NAME [--note TEXT]', ru: 'урегулировать: paypoint settle CASE paid|refunded|charged --by ИМЯ [--note ТЕКСТ]' },
  'settle.recorded': { en: (p) => `recorded: ${p.id} ${p.how} (${p.amount}) by ${p.by}`, ru: (p) => `записано: ${p.id} — ${p.how} (${p.amount}), ${p.by}` },
  'settle.need-both': { en: 'give CASE and HOW together, or neither (to list)', ru: 'укажите CASE и HOW вместе или ни одного (для списка)' },
  'settle.need-by': { en: '--by NAME is required to settle a case', ru: 'для записи нужен --by ИМЯ' },
  'settle.err.311': { en: (p) => `no case ${p.id} (see the list: paypoint settle)`, ru: (p) => `нет случая ${p.id} (список: paypoint settle)` },
  'settle.err.312': { en: (p) => `${p.id} is already settled (${p.how}, by ${p.by}); a settlement is never changed`, ru: (p) => `${p.id} уже урегулирован (${p.how}, ${p.by}); запись не изменяется` },
  'settle.err.313': { en: (p) => `${p.id}: HOW must be ${p.hows}`, ru: (p) => `${p.id}: HOW должен быть ${p.hows}` },
  'settle.err.314': { en: (p) => `${p.field}: ${p.why}`, ru: (p) => `${p.field}: ${p.field === '--by' ? '1-64 буквы, цифры, пробелы и . _ @ -' : 'не больше 200 символов, без управляющих'}` },

  // --- totals ---
  'cmd.totals': {
    en: 'totals of a day or since the last collection: payments by cash and card, change, rest owed, cancels and refunds, money outside a session, collections, refills, and whether the cash inside adds up per denomination',
    ru: 'итоги за день или с последней инкассации: оплаты наличными и картой, сдача, долги покупателям, отмены и возвраты, деньги вне сессии, инкассации, пополнения и сходится ли наличность по номиналам',
  },
  'totals.opt.day': { en: 'the day YYYY-MM-DD (local time; default today)', ru: 'день ГГГГ-ММ-ДД (местное время; по умолчанию сегодня)' },
  'totals.opt.since': { en: 'since the last collection instead of a day', ru: 'с последней инкассации вместо дня' },
  'totals.exit.1': { en: 'the cash inside does not add up (the differences are printed)', ru: 'наличность не сходится (расхождения выводятся)' },
  'totals.err.day': { en: (p) => `--day: not a date YYYY-MM-DD: ${p.v}`, ru: (p) => `--day: не дата ГГГГ-ММ-ДД: ${p.v}` },
  'totals.err.both': { en: '--day or --since-collection, not both', ru: '--day или --since-collection, но не оба сразу' },
  'totals.head.day': { en: (p) => `totals for ${p.day} (local time)`, ru: (p) => `итоги за ${p.day} (местное время)` },
  'totals.head.since': { en: (p) => `totals since the last collection (${p.at})`, ru: (p) => `итоги с последней инкассации (${p.at})` },
  'totals.head.since-none': { en: 'totals since the first record (no collection yet)', ru: 'итоги с первой записи (инкассаций ещё не было)' },
  'totals.paid-cash': { en: (p) => `paid in cash:           ${p.n}, ${p.sum}`, ru: (p) => `оплачено наличными:     ${p.n}, ${p.sum}` },
  'totals.paid-card': { en: (p) => `paid by card:           ${p.n}, ${p.sum}`, ru: (p) => `оплачено картой:        ${p.n}, ${p.sum}` },
  'totals.change': { en: (p) => `change given:           ${p.sum}`, ru: (p) => `выдано сдачи:           ${p.sum}` },
  'totals.rest': { en: (p) => `rest owed:              ${p.n} sessions, ${p.sum} (settled ${p.settled})`, ru: (p) => `не выдано покупателям:  сессий ${p.n}, ${p.sum} (урегулировано ${p.settled})` },
  'totals.cancelled': { en: (p) => `cancelled:              ${p.n} (${p.cash} with cash), refunded ${p.sum}`, ru: (p) => `отменено:               ${p.n} (с наличными ${p.cash}), возвращено ${p.sum}` },
  'totals.unattributed': { en: (p) => `money outside a session: ${p.n}, ${p.sum} taken, ${p.back} paid back, ${p.rest} owed`, ru: (p) => `деньги вне сессии:      ${p.n}, принято ${p.sum}, возвращено ${p.back}, долг ${p.rest}` },
  'totals.collections': { en: (p) => `collections:            ${p.n}, counted ${p.counted}, declared ${p.declared}, difference ${p.diff}`, ru: (p) => `инкассации:             ${p.n}, подсчитано ${p.counted}, заявлено ${p.declared}, разница ${p.diff}` },
  'totals.refills': { en: (p) => `refills:                ${p.n}, ${p.sum}`, ru: (p) => `пополнения хопперов:    ${p.n}, ${p.sum}` },
  'totals.table': { en: 'value\topening\ttaken\trefilled\tchange\trefunds\tcollected\tmust be inside\tinside\tdifference', ru: 'номинал\tначало\tпринято\tпополнено\tсдача\tвозвраты\tинкассировано\tдолжно быть\tвнутри\tразница' },
  'totals.adds-up': { en: (p) => `cash inside: must be ${p.expected}, counted ${p.inside}: ADDS UP`, ru: (p) => `наличность: должно быть ${p.expected}, подсчитано ${p.inside}: СХОДИТСЯ` },
  'totals.no-add-up': { en: (p) => `cash inside: must be ${p.expected}, counted ${p.inside}: DOES NOT ADD UP (difference ${p.diff})`, ru: (p) => `наличность: должно быть ${p.expected}, подсчитано ${p.inside}: НЕ СХОДИТСЯ (разница ${p.diff})` },

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
