// enigma.js through the emulator's authenticated websocket, as a Node back end connects:
// session cookie and CSRF token as headers (no Origin).
// Usage: node enigma_authenticated.js <ws-url> <app-id> <cookie-header> <csrf-token>
// Prints one JSON object: the app title, a hypercube's first rows, or the error met.
'use strict';

const enigma = require('enigma.js');
const WebSocket = require('ws');
const schema = require('enigma.js/schemas/12.2027.0.json');

const [url, appId, cookie, csrf] = process.argv.slice(2);

async function main() {
  const session = enigma.create({
    schema,
    url,
    createSocket: (address) =>
      new WebSocket(address, { headers: { Cookie: cookie, 'qlik-csrf-token': csrf } }),
  });
  const out = {};
  try {
    const qix = await session.open();
    out.user = await qix.getAuthenticatedUser();
    const doc = await qix.openDoc(appId);
    out.title = (await doc.getAppLayout()).qTitle;
    const cube = await doc.createSessionObject({
      qInfo: { qType: 'emulator-test' },
      qHyperCubeDef: {
        qDimensions: [{ qDef: { qFieldDefs: ['Region'] } }],
        qMeasures: [{ qDef: { qDef: 'Sum(Sales)' } }],
        qInitialDataFetch: [{ qTop: 0, qLeft: 0, qWidth: 2, qHeight: 10 }],
      },
    });
    const layout = await cube.getLayout();
    out.rows = layout.qHyperCube.qDataPages[0].qMatrix.length;
  } catch (error) {
    out.error = { code: error.code, message: error.message };
  } finally {
    await session.close().catch(() => {});
  }
  console.log(JSON.stringify(out));
}

main();
