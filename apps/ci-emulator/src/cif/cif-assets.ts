// What the browser gets: the CIF library double (served at the path a Dynamics
// org serves the real one, /webresources/Widget/msdyn_ciLibrary.js), the host
// page /emulator/cif and its script. Plain ES2020 in strings: the page's CSP
// allows no inline script, so everything the page runs is one of these files.
import { CIF_TIMEOUT_SECONDS, EMULATED_METHODS } from './cif-rules';

/**
 * The Microsoft.CIFramework double. Loaded like the real library:
 * `<script src="<org>/webresources/Widget/msdyn_ciLibrary.js" data-crmurl="<org>" data-cifid="CIFMainLibrary">`.
 * Every call is POSTed to the emulator that served it (/emulator/cif/calls), which
 * decides the outcome (resolved, rejected with the broken rules, or timed-out) and
 * records it; the returned Promise follows that decision.
 */
export const CIF_LIBRARY_JS = `/* ci-emulator: Microsoft.CIFramework double (CIF 1.0). Not Microsoft's library. */
(function () {
  'use strict';
  if (window.Microsoft && window.Microsoft.CIFramework && window.Microsoft.CIFramework.__ciEmulator) return;
  var TIMEOUT_MS = ${CIF_TIMEOUT_SECONDS * 1000};
  var EMULATED = ${JSON.stringify(EMULATED_METHODS)};
  var script = document.currentScript || document.querySelector('script[data-cifid]') || document.querySelector('script[src*="msdyn_ciLibrary.js"]');
  var data = (script && script.dataset) || {};
  var emulator = new URL(script && script.src ? script.src : location.href, location.href).origin;
  var query = new URLSearchParams(location.search);
  var ucilib = query.get('ucilib');
  var crmurl = data.crmurl || (ucilib ? safeOrigin(ucilib) : undefined);
  var pageId = (crypto.randomUUID ? crypto.randomUUID() : String(Math.random()).slice(2));
  var seq = 0;
  var initialised = false;
  var settings = null;
  var handlers = {};
  var state = { mode: 0, width: 0, clickToAct: false };

  function safeOrigin(u) { try { return new URL(u).origin; } catch (e) { return u; } }

  function typeOf(v) {
    if (v === null) return 'null';
    if (v instanceof Date) return isNaN(v.getTime()) ? 'InvalidDate' : 'Date';
    if (Array.isArray(v)) return 'array';
    return typeof v;
  }
  function jsonSafe(v, depth) {
    var t = typeOf(v);
    if (t === 'Date') return v.toISOString();
    if (t === 'InvalidDate') return 'Invalid Date';
    if (t === 'function') return '[function]';
    if (t === 'bigint' || t === 'symbol') return String(v);
    if (t === 'undefined') return undefined;
    if (depth > 8) return '[too deep]';
    if (t === 'array') return v.map(function (x) { var s = jsonSafe(x, depth + 1); return s === undefined ? null : s; });
    if (t === 'object') {
      var o = {};
      Object.keys(v).forEach(function (k) { var s = jsonSafe(v[k], depth + 1); if (s !== undefined) o[k] = s; });
      return o;
    }
    return v;
  }
  function wire(v) {
    var t = typeOf(v);
    var out = { type: t };
    if (t !== 'undefined') out.value = jsonSafe(v, 0);
    if (t === 'object') {
      out.fields = {};
      Object.keys(v).forEach(function (k) { out.fields[k] = typeOf(v[k]); });
    }
    return out;
  }
  function notify(record) {
    try { window.dispatchEvent(new CustomEvent('ci-emulator-cif-call', { detail: record })); } catch (e) { /* display only */ }
  }
  function post(body) {
    return fetch(emulator + '/emulator/cif/calls', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), credentials: 'omit' })
      .then(function (r) {
        return r.json().then(function (j) {
          if (!r.ok) throw new Error('ci-emulator refused the call record (' + r.status + '): ' + (j && j.message ? j.message : JSON.stringify(j)));
          return j;
        });
      });
  }
  function report(method, args) {
    var body = { pageId: pageId, seq: ++seq, time: new Date().toISOString(), method: method, args: args.map(wire), initialised: initialised, timeoutFault: !!(settings && settings.raiseEventTimeout), pageUrl: location.href };
    return post(body).then(function (record) { notify(record); return record; });
  }
  function call(method, args, onResolved) {
    return report(method, args).then(function (record) {
      if (record.outcome === 'resolved') return onResolved ? onResolved() : true;
      if (record.outcome === 'timed-out') {
        return new Promise(function (_, reject) { setTimeout(function () { reject(new Error(record.message)); }, TIMEOUT_MS); });
      }
      var err = new Error(record.message || ('Microsoft.CIFramework.' + method + ' failed'));
      err.violations = record.violations;
      throw err;
    });
  }

  var api = {
    __ciEmulator: true,
    raiseEvent: function (eventName, eventInputParameters, correlationId) {
      var args = arguments.length > 2 ? [eventName, eventInputParameters, correlationId] : [eventName, eventInputParameters];
      return call('raiseEvent', args, function () {
        var list = (typeof eventName === 'string' && handlers[eventName]) || [];
        var input = new Map([['value', eventInputParameters], ['correlationId', correlationId]]);
        return Promise.all(list.map(function (h) { return Promise.resolve().then(function () { return h(input); }); })).then(function () { return true; });
      });
    },
    addHandler: function (eventName, handlerFunction) {
      return call('addHandler', [eventName, handlerFunction], function () {
        if (typeof handlerFunction !== 'function') throw new Error('addHandler needs a function');
        (handlers[eventName] = handlers[eventName] || []).push(handlerFunction);
        return true;
      });
    },
    removeHandler: function (eventName, handlerFunction) {
      return call('removeHandler', [eventName, handlerFunction], function () {
        handlers[eventName] = (handlers[eventName] || []).filter(function (h) { return h !== handlerFunction; });
        return true;
      });
    },
    setClickToAct: function (value) { return call('setClickToAct', [value], function () { state.clickToAct = !!value; return true; }); },
    getClickToAct: function () { return call('getClickToAct', [], function () { return state.clickToAct; }); },
    setMode: function (mode) { return call('setMode', [mode], function () { state.mode = mode; return true; }); },
    getMode: function () { return call('getMode', [], function () { return state.mode; }); },
    setWidth: function (width) { return call('setWidth', [width], function () { state.width = width; return true; }); },
    getWidth: function () { return call('getWidth', [], function () { return state.width; }); },
    getEnvironment: function () {
      return call('getEnvironment', [], function () {
        return JSON.stringify({ clientUrl: crmurl, appUrl: crmurl, orgId: '00000000-0000-0000-0000-000000000000', orgUniqueName: 'ci-emulator', userId: '00000000-0000-0000-0000-000000000001', username: 'seller@ci-emulator.test', crmVersion: '9.2', appId: '00000000-0000-0000-0000-000000000002', customParams: null });
      });
    },
  };
  // Any other method a widget tries is recorded and rejected, named.
  var framework = new Proxy(api, {
    get: function (target, prop) {
      if (typeof prop !== 'string' || prop in target || prop === 'then' || prop === 'toJSON') return target[prop];
      return function () { return call(prop, Array.prototype.slice.call(arguments)); };
    },
  });
  window.Microsoft = window.Microsoft || {};
  window.Microsoft.CIFramework = framework;

  function loadSettings() {
    if (data.emulatorSettings) {
      try { return Promise.resolve(JSON.parse(data.emulatorSettings)); } catch (e) { /* fall through to the server's */ }
    }
    return fetch(emulator + '/emulator/cif/settings', { credentials: 'omit' }).then(function (r) { return r.json(); });
  }

  var lib = { src: script && script.src ? script.src : undefined, crmurl: crmurl, cifid: data.cifid };
  var loaded = post({ pageId: pageId, seq: ++seq, time: new Date().toISOString(), method: 'load', args: [], initialised: false, pageUrl: location.href, library: lib })
    .then(function (record) { notify(record); return record; });
  Promise.all([loadSettings(), loaded]).then(function (results) {
    settings = results[0];
    var record = results[1];
    if (record.violations && record.violations.length) {
      console.error('ci-emulator CIF double: CIF will not initialise: ' + record.violations.map(function (v) { return v.message; }).join('; '));
      return;
    }
    if (settings.neverInit) { console.warn('ci-emulator CIF double: fault neverInit: CIFInitDone will not be dispatched'); return; }
    setTimeout(function () {
      initialised = true;
      report('CIFInitDone', []).catch(function () { /* recorded best effort */ });
      window.dispatchEvent(new Event('CIFInitDone'));
    }, settings.initDelayMs);
  }).catch(function (err) { console.error('ci-emulator CIF double: cannot reach the emulator at ' + emulator + ': ' + err.message); });
})();
`;

/** The host page's own script: shows the state and the calls (no inline script under the CSP). */
export const CIF_HOST_JS = `(function () {
  'use strict';
  var status = document.getElementById('cif-status');
  var log = document.getElementById('cif-calls');
  window.addEventListener('CIFInitDone', function () { status.textContent = 'CIFInitDone dispatched: Microsoft.CIFramework is ready'; status.dataset.state = 'ready'; });
  window.addEventListener('ci-emulator-cif-call', function (e) {
    var r = e.detail || {};
    var row = document.createElement('tr');
    [r.time, r.method, r.eventName || '', r.outcome, (r.violations || []).map(function (v) { return v.rule; }).join(' '), r.payload === undefined ? '' : JSON.stringify(r.payload)].forEach(function (text) {
      var td = document.createElement('td');
      td.textContent = String(text === undefined ? '' : text);
      row.appendChild(td);
    });
    row.className = r.outcome;
    log.appendChild(row);
  });
})();
`;

export const CIF_HOST_CSS = `body { font: 14px system-ui, sans-serif; margin: 1.5rem; color: #222; }
h1 { font-size: 1.2rem; } code { background: #f3f3f3; padding: 0 .2rem; }
#cif-status[data-state=ready] { color: #0a6b2d; } #cif-error { color: #a40000; font-weight: 600; }
table { border-collapse: collapse; margin-top: 1rem; } td, th { border: 1px solid #ccc; padding: .2rem .4rem; text-align: left; vertical-align: top; font-family: ui-monospace, monospace; font-size: 12px; }
tr.rejected td, tr.timed-out td { background: #fde8e8; }
`;

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);
}

/** The host page: the library loaded exactly like production, then the widget script if one was given. */
export function cifPageHtml(opts: { crmUrl: string; settingsJson: string; widget?: string }): string {
  const widget = opts.widget ? `\n<script src="${escapeHtml(opts.widget)}" id="cif-widget"></script>` : '';
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>ci-emulator: CIF 1.0 host</title>
<link rel="stylesheet" href="/emulator/cif/host.css">
</head>
<body>
<h1>ci-emulator: Channel Integration Framework 1.0 double</h1>
<p>Every <code>Microsoft.CIFramework</code> call made on this page is recorded at <code>GET /emulator/cif/calls</code>.</p>
<p id="cif-status" data-state="loading">waiting for CIFInitDone…</p>
<table><thead><tr><th>time</th><th>method</th><th>event</th><th>outcome</th><th>violations</th><th>payload</th></tr></thead><tbody id="cif-calls"></tbody></table>
<script src="/emulator/cif/host.js"></script>
<script type="text/javascript" src="/webresources/Widget/msdyn_ciLibrary.js" data-crmurl="${escapeHtml(opts.crmUrl)}" data-cifid="CIFMainLibrary" data-emulator-settings="${escapeHtml(opts.settingsJson)}"></script>${widget}
</body>
</html>
`;
}

/** The page refusing its query (400): says which parameter and why. */
export function cifRefusalHtml(field: string, message: string): string {
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>ci-emulator: CIF page refused</title><link rel="stylesheet" href="/emulator/cif/host.css"></head>
<body>
<h1>ci-emulator: CIF page refused</h1>
<p id="cif-error" data-field="${escapeHtml(field)}">${escapeHtml(field)}: ${escapeHtml(message)}</p>
</body>
</html>
`;
}
