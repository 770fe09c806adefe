// qix.js: a minimal client for Qlik's engine JSON-RPC API (QIX), as a plain ES module.
//
// No dependencies and no configuration of its own: pass the engine websocket URL, e.g.
// `wss://<tenant>/app/<appId>?qlik-web-integration-id=<id>&qlik-csrf-token=<token>`
// (or the same path on your own origin in proxy mode). In the browser the global
// WebSocket is used; elsewhere pass one: `openSession(url, { WebSocket })`.
//
// Errors from the engine reject with a QixError carrying Qlik's `code`, `message` and
// `parameter`; a closed socket rejects every pending call with code -1.

/** An error answered by the engine, or a socket that closed before answering. */
export class QixError extends Error {
  constructor({ code, message, parameter = '' }, method = '') {
    const where = method ? `${method}: ` : '';
    super(`${where}${message} (engine error ${code})${parameter ? `: ${parameter}` : ''}`);
    this.name = 'QixError';
    this.code = code;
    this.engineMessage = message;
    this.parameter = parameter;
    this.method = method;
  }
}

/**
 * Open an engine websocket. Resolves once the socket is open, with a session:
 * - `call(handle, method, params = [])` sends one request and resolves with its `result`;
 * - `connected` resolves with the OnConnected notification's params;
 * - `onNotification(listener)` / `onChange(listener)` subscribe (they return an unsubscribe);
 *   change listeners get the `change` and `close` handle lists of each response;
 * - `close(code, reason)` closes the socket; `closed` resolves with `{ code, reason }`.
 */
export function openSession(url, { WebSocket: Socket = globalThis.WebSocket } = {}) {
  if (typeof Socket !== 'function') {
    return Promise.reject(new TypeError('No WebSocket: pass openSession(url, { WebSocket })'));
  }
  let socket;
  try {
    socket = new Socket(url);
  } catch (error) {
    return Promise.reject(new QixError({ code: -1, message: 'Socket error', parameter: String(error) }));
  }
  const pending = new Map();
  const notificationListeners = new Set();
  const changeListeners = new Set();
  let nextId = 0;
  let closeInfo = null;
  let resolveConnected;
  let resolveClosed;
  const connected = new Promise((resolve) => { resolveConnected = resolve; });
  const closed = new Promise((resolve) => { resolveClosed = resolve; });

  function dispatch(text) {
    let message;
    try {
      message = JSON.parse(text);
    } catch {
      return; // not JSON: nothing can be answered with it
    }
    if (message.method && message.id === undefined) {
      if (message.method === 'OnConnected') resolveConnected(message.params || {});
      notificationListeners.forEach((listener) => listener(message.method, message.params));
      return;
    }
    if (message.change || message.close) {
      changeListeners.forEach((listener) => listener(message.change || [], message.close || []));
    }
    const waiting = pending.get(message.id);
    if (!waiting) return;
    pending.delete(message.id);
    if (message.error) waiting.reject(new QixError(message.error, waiting.method));
    else waiting.resolve(message.result);
  }

  function call(handle, method, params = []) {
    if (closeInfo || socket.readyState !== 1) {
      return Promise.reject(new QixError({ code: -1, message: 'Socket closed' }, method));
    }
    nextId += 1;
    const id = nextId;
    return new Promise((resolve, reject) => {
      pending.set(id, { resolve, reject, method });
      try {
        socket.send(JSON.stringify({ jsonrpc: '2.0', id, handle, method, params }));
      } catch (error) {
        pending.delete(id);
        reject(new QixError({ code: -1, message: 'Socket error', parameter: String(error) }, method));
      }
    });
  }

  function subscribe(set, listener) {
    set.add(listener);
    return () => set.delete(listener);
  }

  const session = {
    url,
    call,
    connected,
    closed,
    onNotification: (listener) => subscribe(notificationListeners, listener),
    onChange: (listener) => subscribe(changeListeners, listener),
    close(code = 1000, reason = '') {
      if (!closeInfo) socket.close(code, reason);
      return closed;
    },
  };

  return new Promise((resolve, reject) => {
    socket.addEventListener('open', () => resolve(session));
    socket.addEventListener('message', (event) => dispatch(String(event.data)));
    socket.addEventListener('error', () => {
      if (socket.readyState !== 1) reject(new QixError({ code: -1, message: 'Socket error' }));
    });
    socket.addEventListener('close', (event) => {
      closeInfo = { code: event.code, reason: event.reason };
      const error = new QixError({
        code: -1,
        message: 'Socket closed',
        parameter: `close code ${event.code}${event.reason ? ` ${event.reason}` : ''}`,
      });
      pending.forEach((waiting) => waiting.reject(error));
      pending.clear();
      reject(error);
      resolveClosed(closeInfo);
    });
  });
}

/** Open an app; resolves with `{ handle, id }` of its Doc. */
export async function openDoc(session, appId) {
  const { qReturn } = await session.call(-1, 'OpenDoc', [appId]);
  return { handle: qReturn.qHandle, id: qReturn.qGenericId };
}

/**
 * Create a session object holding `hyperCubeDef`; resolves with `{ handle, id, layout }`
 * where `layout.qHyperCube` has the sizes, titles and the `qInitialDataFetch` pages.
 */
export async function createHypercube(session, docHandle, hyperCubeDef, { type = 'qix-js-hypercube' } = {}) {
  const { qReturn } = await session.call(docHandle, 'CreateSessionObject', [
    { qInfo: { qType: type }, qHyperCubeDef: hyperCubeDef },
  ]);
  const { qLayout } = await session.call(qReturn.qHandle, 'GetLayout', []);
  return { handle: qReturn.qHandle, id: qReturn.qGenericId, layout: qLayout };
}

/** Every row of an object's hypercube, fetched page by page (`pageHeight` rows at a time). */
export async function readAllRows(session, handle, size, { path = '/qHyperCubeDef', pageHeight = 1000 } = {}) {
  const rows = [];
  const height = Math.max(1, Math.min(pageHeight, Math.floor(10000 / Math.max(1, size.qcx))));
  for (let top = 0; top < size.qcy; top += height) {
    const page = { qTop: top, qLeft: 0, qWidth: size.qcx, qHeight: height };
    const { qDataPages } = await session.call(handle, 'GetHyperCubeData', [path, [page]]);
    rows.push(...qDataPages[0].qMatrix);
  }
  return rows;
}

/**
 * One-shot: open `url`, open `appId`, compute `hyperCubeDef`, close. Resolves with the
 * `qHyperCube` layout, whose `qDataPages[0].qMatrix` holds every row.
 */
export async function fetchHypercube(url, appId, hyperCubeDef, options = {}) {
  const session = await openSession(url, options);
  try {
    const doc = await openDoc(session, appId);
    const cube = await createHypercube(session, doc.handle, hyperCubeDef, options);
    const hyperCube = cube.layout.qHyperCube;
    const rows = await readAllRows(session, cube.handle, hyperCube.qSize, options);
    const area = { qTop: 0, qLeft: 0, qWidth: hyperCube.qSize.qcx, qHeight: rows.length };
    return { ...hyperCube, qDataPages: [{ qMatrix: rows, qTails: [], qArea: area }] };
  } finally {
    await session.close();
  }
}
