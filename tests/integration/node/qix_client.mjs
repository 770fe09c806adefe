// Drives the engine with our browser client, src/qlik_jwt/web/static/qix.js, under Node.
// Node 20 has no global WebSocket: the `ws` package is injected, as the module allows.
// Usage: node qix_client.mjs <ws-url-base> <app-id> <denied-app-id>
import WebSocket from 'ws';
import {
  QixError, createHypercube, fetchHypercube, openDoc, openSession, readAllRows,
} from '../../../src/qlik_jwt/web/static/qix.js';

const [base, appId, deniedId] = process.argv.slice(2);

async function failure(promise) {
  try {
    await promise;
    return null;
  } catch (error) {
    return { name: error.name, code: error.code, parameter: error.parameter, isQixError: error instanceof QixError };
  }
}

const byCustomer = {
  qDimensions: [{ qDef: { qFieldDefs: ['Customer'] } }],
  qMeasures: [{ qDef: { qDef: 'Sum(Sales)', qLabel: 'Sales <€> & "more"' }, qSortBy: { qSortByNumeric: -1 } }],
  qInterColumnSortOrder: [1, 0],
  qInitialDataFetch: [{ qTop: 0, qLeft: 0, qWidth: 2, qHeight: 5 }],
};

const out = {};
const session = await openSession(`${base}/app/${appId}`, { WebSocket });
out.connected = await session.connected;
const changes = [];
session.onChange((change, close) => changes.push({ change, close }));
const doc = await openDoc(session, appId);
out.doc = doc;
const cube = await createHypercube(session, doc.handle, byCustomer);
out.initialRows = cube.layout.qHyperCube.qDataPages[0].qMatrix.length;
out.size = cube.layout.qHyperCube.qSize;
out.rows = await readAllRows(session, cube.handle, out.size, { pageHeight: 7 });
out.unknownMethod = await failure(session.call(doc.handle, 'NoSuchMethod', []));
out.badParams = await failure(session.call(doc.handle, 'GetObject', [42]));
await session.call(cube.handle, 'SelectHyperCubeValues', ['/qHyperCubeDef', 0, [0], false]);
await session.call(doc.handle, 'DestroySessionObject', [cube.id]);
out.changes = changes;
await session.close();
out.afterClose = await failure(session.call(doc.handle, 'GetAppLayout', []));

out.oneShot = await fetchHypercube(`${base}/app/${appId}`, appId, {
  qDimensions: [{ qDef: { qFieldDefs: ['Year'], qSortCriterias: [{ qSortByNumeric: 1 }] } }],
  qMeasures: [{ qDef: { qDef: 'Sum(Quantity)' } }],
}, { WebSocket });
out.denied = await failure(fetchHypercube(`${base}/app/${deniedId}`, deniedId, byCustomer, { WebSocket }));
out.noServer = await failure(openSession('ws://127.0.0.1:9/app/x', { WebSocket }));
out.badUrl = await failure(openSession('not a url', { WebSocket }));
console.log(JSON.stringify(out));
