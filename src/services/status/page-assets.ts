/**
 * The status page (docs/appliance.md): one HTML page, one script, one style sheet, served by
 * status-server.ts under a strict Content-Security-Policy (no inline script). Russian by default,
 * English switchable (?lang=en, remembered in the browser). Live: the script follows /api/events
 * (server-sent events) and redraws from each snapshot; it never sends anything but GETs.
 */
import { CASES_JS } from './page-cases.js';
import { DOM_JS } from './page-dom.js';

export function pageHtml(defaultLang: 'ru' | 'en'): string {
  return `<!doctype html>
<html lang="${defaultLang}" data-default-lang="${defaultLang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>PayPoint</title>
<link rel="stylesheet" href="/app.css">
<script src="/cash.js" defer></script>
<script src="/app.js" defer></script>
</head>
<body>
<header>
  <h1 id="title">PayPoint</h1>
  <span id="state" class="badge">…</span>
  <span id="live" class="live">…</span>
  <nav><a href="?lang=ru" id="lang-ru" data-lang="ru">RU</a> | <a href="?lang=en" id="lang-en" data-lang="en">EN</a></nav>
</header>
<main>
  <section id="attention-box" hidden><h2 data-t="attention"></h2><ul id="attention"></ul></section>
  <section><h2 data-t="session"></h2><div id="session"></div></section>
  <section><h2 data-t="devices"></h2><table id="devices"></table></section>
  <section><h2 data-t="cash"></h2><table id="cash"></table></section>
  <section class="wide" id="inventory-box"><h2 id="inventory-h"></h2><table id="inventory"></table>
    <h3 id="records-h"></h3><ul id="cash-records"></ul><div id="cash-actions"></div></section>
  <section><h2 data-t="outbox"></h2><div id="outbox"></div></section>
  <section class="wide" id="cases"></section>
  <section class="wide" id="totals"></section>
  <section class="wide"><h2 data-t="sessions"></h2><table id="sessions"></table></section>
  <section><h2 data-t="network"></h2><div id="network"></div></section>
  <section><h2 data-t="clock"></h2><div id="clock"></div></section>
  <section><h2 data-t="unit"></h2><div id="unit"></div></section>
  <section class="wide"><h2 data-t="config"></h2><table id="config"></table></section>
</main>
</body>
</html>
`;
}

export const PAGE_CSS = `
body { font-family: "DejaVu Sans", Arial, sans-serif; margin: 0; background: #f4f5f7; color: #1d232b; }
header { display: flex; align-items: center; gap: 1em; padding: .6em 1em; background: #1f3a5a; color: #fff; }
header h1 { font-size: 1.3em; margin: 0; flex: 1; }
header a { color: #fff; }
.badge { padding: .2em .7em; border-radius: 1em; background: #666; font-weight: bold; }
.badge.ready { background: #2e7d32; } .badge.payment { background: #1565c0; } .badge.booting { background: #777; }
.badge.degraded { background: #ef6c00; } .badge.unhealthy { background: #c62828; } .badge.disabled { background: #555; } .badge.config-error { background: #c62828; }
.live { font-size: .8em; opacity: .8; }
main { display: grid; grid-template-columns: repeat(auto-fill, minmax(22em, 1fr)); gap: .8em; padding: .8em; }
section { background: #fff; border-radius: .4em; padding: .6em .9em; box-shadow: 0 1px 2px #0002; }
section.wide { grid-column: 1 / -1; }
#attention-box { grid-column: 1 / -1; background: #fff3e0; border-left: .4em solid #ef6c00; }
h2 { font-size: 1em; margin: .2em 0 .5em; color: #1f3a5a; }
table { border-collapse: collapse; width: 100%; font-size: .9em; }
td, th { text-align: left; padding: .15em .4em; border-bottom: 1px solid #eee; vertical-align: top; }
.ok { color: #2e7d32; } .bad { color: #c62828; font-weight: bold; } .warn { color: #ef6c00; }
.big { font-size: 1.6em; font-weight: bold; }
#inventory tr.place th { border-top: 2px solid #ccd; padding-top: .4em; }
#inventory tr.place.bad th, #inventory tr.place.warn th { color: #c62828; }
#cash-actions { display: flex; flex-wrap: wrap; gap: 1.5em; }
#cash-actions form { flex: 1; min-width: 18em; }
#cash-actions label { display: inline-block; margin: .2em .8em .2em 0; }
#cash-actions input[type=number] { width: 5em; }
h3 { font-size: .95em; margin: .6em 0 .3em; }
.result.ok { color: #2e7d32; } .result.bad { color: #c62828; }
`;

// A plain template (backslashes doubled), not String.raw: the bundler writes its Cyrillic as \u escapes
// only in a cooked string, and one non-ASCII character left in the bundle makes V8 hold the daemon's
// whole source text two bytes a character (bench/README.md, "Where memory goes"). The value is the same.
export const PAGE_JS = CASES_JS + `
'use strict';
(function () {
  var T = {
    ru: {
      attention: 'Требует внимания', session: 'Текущая оплата', devices: 'Устройства', cash: 'Наличные',
      outbox: 'Отчёты в процессинг', sessions: 'Последние сессии', network: 'Сеть', clock: 'Часы',
      unit: 'Терминал', config: 'Конфигурация',
      st_booting: 'запуск', st_ready: 'готов', st_payment: 'идёт оплата', st_degraded: 'неполная работа',
      st_unhealthy: 'неисправен', st_disabled: 'модуль выключен', 'st_config-error': 'ошибка конфигурации: оплата не принимается',
      live_on: 'обновляется', live_off: 'нет связи, переподключение…',
      no_session: 'Нет активной оплаты', uid: 'UID', amount: 'Сумма', credited: 'Внесено', state: 'Состояние',
      pay_type: 'Способ', cash_t: 'наличные', card_t: 'карта', started: 'Начата', change: 'Сдача', rest: 'Невыдано',
      report: 'Отчёт', r_none: '—', r_pending: 'ожидает', r_delivered: 'доставлен',
      s_paying: 'оплата', s_dispensing: 'выдача сдачи', s_paid: 'оплачено', s_refunding: 'возврат', s_cancelled: 'отменено',
      d_ok: 'в норме', d_degraded: 'частично', d_fault: 'неисправно', d_offline: 'нет связи',
      hopper: 'Хоппер', coins: 'монет', cassette: 'Кассета купюр', not_reported: 'драйвер не сообщает',
      depth: 'В очереди', oldest: 'Старейший', last_error: 'Последняя ошибка', refused: 'Отклонены сервером', none: 'нет',
      proc_url: 'Сервер процессинга', not_configured: 'не задан', interfaces: 'Интерфейсы',
      synced: 'Синхронизированы', yes: 'да', no: 'нет', unknown: 'неизвестно', now: 'Время терминала',
      unsynced_note: 'Оплаты, завершённые при несинхронизированных часах', source: 'Источник',
      terminal_id: 'ID терминала', title_t: 'Название', name: 'Место', host: 'Хост', version: 'Версия', uptime: 'Работает',
      led: 'Индикатор', last_import: 'Последний импорт с USB', watchdog: 'Сторожевой таймер', health: 'Самопроверка',
      loop_lag: 'задержка цикла', store: 'хранилище', writable: 'запись работает', unattributed: 'Деньги вне сессии',
      applied: 'применён', import_refused: 'отклонён', slot: 'Корневой слот', update: 'Обновление',
      'dev_coin-acceptor': 'Монетоприёмник', 'dev_bill-validator': 'Купюроприёмник', dev_hoppers: 'Хопперы (сдача)',
      dev_card: 'Карточный терминал', 'dev_cancel-button': 'Кнопка отмены',
      src_timesyncd: 'systemd-timesyncd', src_timedatectl: 'timedatectl', src_unknown: 'неизвестен',
      d_days: 'д', d_hours: 'ч', d_minutes: 'мин',
      coin_one: 'монета', coin_few: 'монеты', coin_many: 'монет', coin_other: 'монеты'
    },
    en: {
      attention: 'Needs attention', session: 'Current payment', devices: 'Devices', cash: 'Cash',
      outbox: 'Reports to processing', sessions: 'Last sessions', network: 'Network', clock: 'Clock',
      unit: 'Unit', config: 'Configuration',
      st_booting: 'starting', st_ready: 'ready', st_payment: 'payment in progress', st_degraded: 'degraded',
      st_unhealthy: 'unhealthy', st_disabled: 'POS module off', 'st_config-error': 'configuration error: no payments',
      live_on: 'live', live_off: 'disconnected, reconnecting…',
      no_session: 'No payment in progress', uid: 'UID', amount: 'Amount', credited: 'Paid in', state: 'State',
      pay_type: 'Method', cash_t: 'cash', card_t: 'card', started: 'Started', change: 'Change', rest: 'Rest owed',
      report: 'Report', r_none: '—', r_pending: 'waiting', r_delivered: 'delivered',
      s_paying: 'paying', s_dispensing: 'giving change', s_paid: 'paid', s_refunding: 'refunding', s_cancelled: 'cancelled',
      d_ok: 'ok', d_degraded: 'degraded', d_fault: 'fault', d_offline: 'offline',
      hopper: 'Hopper', coins: 'coins', cassette: 'Bill cassette', not_reported: 'not reported by the driver',
      depth: 'Queued', oldest: 'Oldest', last_error: 'Last error', refused: 'Refused by the server', none: 'none',
      proc_url: 'Processing server', not_configured: 'not set', interfaces: 'Interfaces',
      synced: 'Synchronised', yes: 'yes', no: 'no', unknown: 'unknown', now: 'Unit time',
      unsynced_note: 'Payments finished while the clock was not synchronised', source: 'Source',
      terminal_id: 'Terminal ID', title_t: 'Title', name: 'Location', host: 'Host', version: 'Version', uptime: 'Uptime',
      led: 'LED', last_import: 'Last USB import', watchdog: 'Watchdog', health: 'Self-check',
      loop_lag: 'loop lag', store: 'store', writable: 'writable', unattributed: 'Money outside a session',
      applied: 'applied', import_refused: 'refused', slot: 'Root slot', update: 'Update',
      'dev_coin-acceptor': 'Coin acceptor', 'dev_bill-validator': 'Bill validator', dev_hoppers: 'Hoppers (change)',
      dev_card: 'Card terminal', 'dev_cancel-button': 'Cancel button',
      src_timesyncd: 'systemd-timesyncd', src_timedatectl: 'timedatectl', src_unknown: 'unknown',
      d_days: 'd', d_hours: 'h', d_minutes: 'm',
      coin_one: 'coin', coin_other: 'coins'
    }
  };
  var qs = new URLSearchParams(location.search);
  var lang = qs.get('lang') || localStorage.getItem('paypoint.lang') || document.documentElement.getAttribute('data-default-lang') || 'ru';
  if (!T[lang]) lang = 'ru';
  if (qs.get('lang')) localStorage.setItem('paypoint.lang', lang);
  document.documentElement.lang = lang;
  var t = function (k) { return T[lang][k] !== undefined ? T[lang][k] : k; };
  var last = null;

${DOM_JS}  function when(ms) { if (ms === null || ms === undefined) return '—'; return new Date(ms).toLocaleString(lang === 'ru' ? 'ru-RU' : 'en-GB'); }
  function dur(s) {
    var d = Math.floor(s / 86400), h = Math.floor(s % 86400 / 3600), m = Math.floor(s % 3600 / 60);
    return (d ? d + '\\u00a0' + t('d_days') + ' ' : '') + h + '\\u00a0' + t('d_hours') + ' ' + m + '\\u00a0' + t('d_minutes');
  }
  // Intl.PluralRules picks the form: ru 1 монета, 2 монеты, 5 монет; en 1 coin, 2 coins.
  var plural = new Intl.PluralRules(lang === 'ru' ? 'ru-RU' : 'en-GB');
  function coins(n) { var k = 'coin_' + plural.select(n); return n + ' ' + (T[lang][k] !== undefined ? T[lang][k] : t('coin_other')); }
  // Devices are named by the daemon in English (logs, /api/status); the page shows their names and details.
  function devName(n) { var k = 'dev_' + n; return T[lang][k] !== undefined ? T[lang][k] : n; }
  var DETAIL_RU = [
    [/^accepting(; last: (.*))?$/, function (m) { return 'принимает' + (m[2] ? '; последнее: ' + m[2] : ''); }],
    [/^inhibited$/, 'приём выключен (нет оплаты)'],
    [/^stopped$/, 'остановлен'],
    [/^ready$/, 'готов'],
    [/^idle( \\((\\d+) garbled frames dropped\\))?$/, function (m) { return 'ожидание' + (m[2] ? ' (отброшено искажённых кадров: ' + m[2] + ')' : ''); }],
    [/^empty$/, 'пуст'],
    [/^jammed$/, 'заклинило'],
    [/^initialising$/, 'инициализация'],
    [/^offering (\\d+)$/, function (m) { return 'предложена оплата ' + money(Number(m[1])); }],
    [/^no hoppers$/, 'нет хопперов'],
    // The card reader's note of a late approval it reversed (VTK 3.4: FIN 0, the bank returns the money).
    [/^approval of (\\d+) for withdrawn operation (\\d+) \\((.*)\\) reversed with FIN 0$/, function (m) { return 'одобрение ' + money(Number(m[1])) + ' по отозванной операции ' + m[2] + ' (' + m[3] + ') отменено (FIN 0)'; }]
  ];
  function hopperProblemRu(p) {
    var m = /^(\\d+): (empty|low \\((\\d+)\\))$/.exec(p);
    if (!m) return p;
    return money(Number(m[1])) + ': ' + (m[2] === 'empty' ? 'пуст' : 'мало (' + coins(Number(m[3])) + ')');
  }
  function detailText(d) {
    if (lang !== 'ru' || !d) return d;
    function one(p) {
      for (var i = 0; i < DETAIL_RU.length; i++) {
        var m = DETAIL_RU[i][0].exec(p);
        if (m) return typeof DETAIL_RU[i][1] === 'function' ? DETAIL_RU[i][1](m) : DETAIL_RU[i][1];
      }
      return null;
    }
    var whole = one(d);
    if (whole !== null) return whole;
    // A detail of several parts ("idle; approval of ... reversed with FIN 0"): each part translated.
    return d.split('; ').map(function (p) { var x = one(p); return x !== null ? x : hopperProblemRu(p); }).join('; ');
  }
  function rows(table, list) {
    table.replaceChildren.apply(table, list.map(function (r) {
      return el('tr', null, r.map(function (c, i) { return el(i === 0 ? 'th' : 'td', typeof c === 'object' ? c : { text: String(c) }); }));
    }));
  }
  function kv(div, pairs) {
    var tb = el('table');
    rows(tb, pairs);
    div.replaceChildren(tb);
  }

  function render(s) {
    last = s;
    document.querySelectorAll('[data-t]').forEach(function (h) { h.textContent = t(h.getAttribute('data-t')); });
    document.getElementById('title').textContent = 'PayPoint · ' + s.unit.title + ' · ' + s.unit.terminalId;
    var st = document.getElementById('state');
    st.textContent = t('st_' + s.state); st.className = 'badge ' + s.state;
    var ab = document.getElementById('attention-box');
    ab.hidden = s.attention.length === 0;
    document.getElementById('attention').replaceChildren.apply(document.getElementById('attention'), s.attention.map(function (a) { return el('li', { text: attentionText(a) }); }));

    var sd = document.getElementById('session');
    if (!s.session) sd.replaceChildren(el('p', { text: t('no_session'), 'class': 'none' }));
    else {
      var c = s.session;
      kv(sd, [
        [t('uid'), { text: c.uid, 'class': 'uid' }],
        [t('amount'), { text: money(c.amount), 'class': 'big amount' }],
        [t('credited'), { text: money(c.credited), 'class': 'big credited' }],
        [t('state'), t('s_' + c.state)],
        [t('pay_type'), c.payType === null ? '—' : c.payType === 1 ? t('card_t') : t('cash_t')],
        [t('change'), money(c.change)],
        [t('started'), when(c.createdAt)]
      ]);
    }
    rows(document.getElementById('devices'), s.devices.map(function (d) {
      // A fault with an error code shows it first ("E506: cannot open /dev/ttyUSB0 ..."), as the log and /metrics name it.
      return [devName(d.name), { text: t('d_' + d.state), 'class': d.state === 'ok' ? 'ok' : d.state === 'degraded' ? 'warn' : 'bad' }, (d.code ? 'E' + d.code + ': ' : '') + detailText(d.detail)];
    }));
    var cash = s.cash.hoppers.map(function (h) { return [t('hopper') + ' ' + money(h.value), { text: coins(h.count), 'class': h.count ? '' : 'bad' }]; });
    var cas = s.cash.cassette;
    cash.push([t('cassette'), { text: cas.bills + (cas.capacity ? ' / ' + cas.capacity : ''), 'class': cas.level === 'full' ? 'bad' : cas.level === 'nearly-full' ? 'warn' : '' }]);
    rows(document.getElementById('cash'), cash);
    if (window.PayPointCash) window.PayPointCash.render(s, lang);
    var o = s.outbox;
    var ol = [[t('depth'), { text: String(o.depth), 'class': o.depth ? 'warn big' : 'ok big' }], [t('oldest'), when(o.oldestQueuedAt)],
      [t('last_error'), o.lastError ? o.lastError.message + ' (' + when(o.lastError.at) + ')' : t('none')],
      [t('refused'), o.refused.length ? o.refused.map(function (r) { return r.uid + ' ×' + r.refusals; }).join(', ') : t('none')]];
    kv(document.getElementById('outbox'), ol);
    rows(document.getElementById('sessions'), [[t('started'), t('uid'), t('amount'), t('credited'), t('state'), t('pay_type'), t('rest'), t('report')]].concat(
      s.sessions.map(function (x) {
        return [when(x.createdAt), x.uid, money(x.amount), money(x.credited), t('s_' + x.state), x.payType === null ? '—' : x.payType === 1 ? t('card_t') : t('cash_t'),
          { text: x.rest ? money(x.rest) : '—', 'class': x.rest ? 'bad' : '' }, t('r_' + x.report)];
      })));
    kv(document.getElementById('network'), [[t('proc_url'), s.network.processingConfigured ? s.network.processingUrl : t('not_configured')]].concat(
      s.network.interfaces.map(function (i) { return [i.name, i.addresses.join(', ')]; })));
    var cs = s.clock.synchronized;
    kv(document.getElementById('clock'), [[t('synced'), { text: cs === null ? t('unknown') : cs ? t('yes') : t('no'), 'class': cs ? 'ok' : 'bad' }],
      [t('source'), t('src_' + s.clock.source)], [t('now'), when(s.now)], [t('unsynced_note'), String(s.clock.unsyncedFinishes)]]);
    kv(document.getElementById('unit'), [[t('terminal_id'), s.unit.terminalId], [t('title_t'), s.unit.title], [t('name'), s.unit.name || '—'], [t('host'), s.unit.hostname],
      [t('version'), s.version], [t('slot'), s.update ? s.update.slotLine : '—'], [t('update'), s.update ? s.update.words : '—'], [t('uptime'), dur(s.uptimeS)], [t('led'), s.led || '—'],
      [t('health'), (s.health.ok ? 'ok' : 'FAIL') + ', ' + t('loop_lag') + ' ' + s.health.eventLoopLagMs + ' ms, ' + t('store') + ': ' + (s.health.store.writable ? t('writable') : s.health.store.error)],
      [t('watchdog'), s.systemd.watchdogMs ? s.systemd.watchdogMs + ' ms' : '—'],
      [t('last_import'), s.lastImport ? when(s.lastImport.at) + ': ' + (s.lastImport.result === 'applied' ? t('applied') : t('import_refused')) + ' — ' + s.lastImport.summary : '—']]);
    var cfg = [];
    Object.keys(s.config).forEach(function (sec) { Object.keys(s.config[sec]).forEach(function (k) { cfg.push([sec + '.' + k, JSON.stringify(s.config[sec][k])]); }); });
    rows(document.getElementById('config'), cfg);
    (window.PP_RENDERERS || []).forEach(function (f) { f(s, lang); });
  }

  // The daemon words its attention reasons in English (logs, STATUS=); the page translates the known ones.
  var ATT_RU = [
    [/^rest amount owed to a customer$/, 'покупателю не выдана часть сдачи или возврата'],
    [/^device (.+): fault$/, function (m, n) { return 'устройство «' + devName(n) + '»: неисправно'; }],
    [/^device (.+): fault \\(error (\\d+)\\)$/, function (m, n, c) { return 'устройство «' + devName(n) + '»: неисправно (ошибка ' + c + ')'; }],
    [/^device (.+): offline$/, function (m, n) { return 'устройство «' + devName(n) + '»: нет связи'; }],
    [/^clock not synchronised$/, 'часы не синхронизированы (время в отчётах может быть неверным)'],
    [/^clock synchronisation unknown$/, 'синхронизация часов неизвестна (время в отчётах может быть неверным)'],
    [/^configuration error (\\d+): (.*)$/, 'ошибка конфигурации $1: $2'],
    [/^no payment is taken until a good configuration is imported \\(USB stick\\)$/, 'оплата не принимается, пока не загружена исправная конфигурация (USB-флешка)'],
    [/^store not writable: (.*)$/, 'хранилище не принимает запись: $1'],
    [/^event loop late by (\\d+) ms$/, 'программа не отвечает $1 мс'],
    [/^bill cassette full \\((\\d+) of (\\d+)\\): collect$/, 'кассета купюр полна ($1 из $2): нужна инкассация, купюры не принимаются'],
    [/^bill cassette nearly full \\((\\d+) of (\\d+)\\)$/, 'кассета купюр почти полна ($1 из $2)'],
    [/^hoppers low: change for a (\\d+) bill cannot be made \\((\\d+) short\\): refill$/, function (m, b, k) { return 'мало монет в хопперах: сдачу с купюры ' + money(Number(b)) + ' не выдать (не хватает ' + money(Number(k)) + '): пополните'; }]
  ];
  function attentionText(a) {
    if (lang !== 'ru') return a;
    for (var i = 0; i < ATT_RU.length; i++) if (ATT_RU[i][0].test(a)) return a.replace(ATT_RU[i][0], ATT_RU[i][1]);
    return a;
  }

  function live(on) { var l = document.getElementById('live'); l.textContent = t(on ? 'live_on' : 'live_off'); l.setAttribute('data-live', on ? '1' : '0'); }
  function connect() {
    var es = new EventSource('/api/events');
    es.addEventListener('status', function (ev) { live(true); render(JSON.parse(ev.data)); });
    es.onerror = function () { live(false); };
  }
  document.addEventListener('DOMContentLoaded', function () {
    document.querySelectorAll('nav a').forEach(function (a) { if (a.getAttribute('data-lang') === lang) a.style.fontWeight = 'bold'; });
    fetch('/api/status', { credentials: 'same-origin' }).then(function (r) { return r.json(); }).then(render).catch(function () { live(false); });
    connect();
  });
})();
`;
