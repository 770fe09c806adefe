// Drives the engine with Qlik's own client, enigma.js, over a real websocket (ws package).
// Usage: node enigma_client.js <ws-url-base> <app-id> <denied-app-id> [delta|nodelta]
// Prints one JSON object with everything read; the Python test asserts on it.
'use strict';

const enigma = require('enigma.js');
const WebSocket = require('ws');
const schema = require('enigma.js/schemas/12.2027.0.json');

const [base, appId, deniedId, mode = 'delta'] = process.argv.slice(2);

function connect(id) {
  return enigma.create({
    schema,
    url: `${base}/app/${id}`,
    createSocket: (url) => new WebSocket(url),
    protocol: { delta: mode === 'delta' },
  });
}

async function failure(promise) {
  try {
    await promise;
    return null;
  } catch (error) {
    return { code: error.code, message: error.message, parameter: error.parameter };
  }
}

async function main() {
  const out = { sent: [], notifications: [] };
  const session = connect(appId);
  session.on('notification:*', (name, params) => out.notifications.push({ name, params }));
  session.on('traffic:sent', (data) => out.sent.push({ method: data.method, delta: data.delta }));
  const qix = await session.open();
  out.engineVersion = await qix.engineVersion();
  out.user = await qix.getAuthenticatedUser();

  const doc = await qix.openDoc(appId);
  out.doc = { id: doc.id, handle: doc.handle, type: doc.type };
  out.appTitle = (await doc.getAppLayout()).qTitle;
  out.alreadyOpen = await failure(qix.openDoc(appId));

  const cube = await doc.createSessionObject({
    qInfo: { qType: 'enigma-test' },
    qHyperCubeDef: {
      qDimensions: [{ qDef: { qFieldDefs: ['Region'], qSortCriterias: [{ qSortByAscii: 1 }] } }],
      qMeasures: [{ qDef: { qDef: 'Sum(Sales)', qLabel: 'Sales' } }],
      qInitialDataFetch: [{ qTop: 0, qLeft: 0, qWidth: 2, qHeight: 10 }],
    },
  });
  out.cube = { id: cube.id, type: cube.type, genericType: cube.genericType };
  out.layout = await cube.getLayout();
  out.secondRow = await cube.getHyperCubeData('/qHyperCubeDef', [
    { qTop: 1, qLeft: 0, qWidth: 2, qHeight: 1 },
  ]);

  let changed = 0;
  cube.on('changed', () => { changed += 1; });
  const first = out.layout.qHyperCube.qDataPages[0].qMatrix[0][0];
  await cube.selectHyperCubeValues('/qHyperCubeDef', 0, [first.qElemNumber], false);
  out.changedEvents = changed;
  out.selected = await cube.getLayout();
  await doc.clearAll();
  out.cleared = await cube.getLayout();

  const predefined = await doc.getObject('sales-by-region');
  out.predefined = { id: predefined.id, genericType: predefined.genericType };
  out.predefinedLayout = await predefined.getLayout();
  out.missingObject = await failure(doc.getObject('no-such-object'));
  out.badExpression = await failure(doc.createSessionObject({
    qInfo: { qType: 'x' },
    qHyperCubeDef: { qMeasures: [{ qDef: { qDef: 'Rank(Sales)' } }] },
  }));

  let closed = false;
  cube.on('closed', () => { closed = true; });
  out.destroyed = await doc.destroySessionObject(cube.id);
  out.closedEvent = closed;
  out.afterDestroy = await failure(cube.getLayout());
  await session.close();

  const denied = connect(deniedId);
  const deniedGlobal = await denied.open();
  out.denied = await failure(deniedGlobal.openDoc(deniedId));
  out.notFound = await failure(deniedGlobal.openDoc('00000000-0000-0000-0000-000000000000'));
  await denied.close();
  console.log(JSON.stringify(out));
}

main().catch((error) => {
  console.error(error && error.stack ? error.stack : error);
  process.exit(1);
});
