// Drives the engine with enigma.js the way nebula.js stardust and its selections toolbar do
// (the calls were read from stardust's own traffic against the emulator): open objects by id,
// the current-selections session object, a modal selection from a chart, change events on
// every open object, a list box from the toolbar, Back/Forward/ClearAll, property trees.
// Usage: node enigma_like_stardust.js <ws-url-base> <app-id>
'use strict';

const enigma = require('enigma.js');
const WebSocket = require('ws');
const schema = require('enigma.js/schemas/12.2027.0.json');

const [base, appId] = process.argv.slice(2);

async function main() {
  const out = { changed: {} };
  const session = enigma.create({ schema, url: `${base}/app/${appId}`, createSocket: (url) => new WebSocket(url) });
  const global = await session.open();
  const app = await global.openDoc(appId);
  out.appTitle = (await app.getAppLayout()).qTitle;
  const sheets = (await app.getAllInfos()).filter((info) => info.qType === 'sheet').map((info) => info.qId);
  const sheet = await app.getObject(sheets[0]);
  const ids = (await sheet.getProperties()).cells.map((cell) => cell.name);
  out.ids = ids;

  const models = {};
  for (const id of ids) {
    const model = await app.getObject(id);
    models[id] = model;
    out.changed[id] = 0;
    model.on('changed', () => { out.changed[id] += 1; });
    const properties = await model.getEffectiveProperties();
    const layout = await model.getLayout();
    const info = layout.qHyperCube.qDimensionInfo[0] || null;
    out[id] = {
      type: model.genericType,
      visualization: properties.visualization,
      hasColor: 'color' in properties,
      dimension: info && { title: info.qFallbackTitle, cardinal: info.qCardinal, min: info.qMin, max: info.qMax },
      measures: layout.qHyperCube.qMeasureInfo.map((m) => ({ title: m.qFallbackTitle, min: m.qMin, max: m.qMax })),
      rows: layout.qHyperCube.qSize.qcy,
    };
  }
  const current = await app.createSessionObject({
    qInfo: { qType: 'current-selections' },
    qSelectionObjectDef: { qStateName: '$' },
    alternateStates: [],
  });
  let currentChanges = 0;
  current.on('changed', () => { currentChanges += 1; });
  await current.getLayout();

  // A click on a bar: modal selection, select by qElemNumber, confirm.
  const region = models['sales-by-region'];
  const rows = (await region.getLayout()).qHyperCube.qDataPages[0].qMatrix;
  const emea = rows.find((row) => row[0].qText === 'EMEA')[0].qElemNumber;
  await region.beginSelections(['/qHyperCubeDef']);
  out.inSelections = (await region.getLayout()).qSelectionInfo;
  await region.selectHyperCubeValues('/qHyperCubeDef', 0, [emea], false);
  await region.endSelections(true);
  await new Promise((resolve) => setTimeout(resolve, 50)); // change events are emitted async
  out.afterSelect = {
    regionRows: (await region.getLayout()).qHyperCube.qSize.qcy,
    kpi: (await models['kpi-total-sales'].getLayout()).qHyperCube.qDataPages[0].qMatrix[0][0].qNum,
    selections: (await current.getLayout()).qSelectionObject,
    currentChanges,
  };

  // The toolbar opens a list box on the selected field, and Back / Forward / ClearAll.
  const listbox = await app.createSessionObject({
    qInfo: { qType: 'njsListbox' },
    qListObjectDef: {
      qDef: { qFieldDefs: ['Region'], qSortCriterias: [{ qSortByState: 1, qSortByAscii: 1 }] },
      qInitialDataFetch: [{ qTop: 0, qLeft: 0, qWidth: 1, qHeight: 20 }],
    },
  });
  out.listbox = (await listbox.getLayout()).qListObject.qDataPages[0].qMatrix.map((row) => [row[0].qText, row[0].qState]);
  await app.back();
  out.afterBack = (await region.getLayout()).qHyperCube.qSize.qcy;
  await app.forward();
  out.afterForward = (await region.getLayout()).qHyperCube.qSize.qcy;
  await app.clearAll();
  out.afterClearAll = (await current.getLayout()).qSelectionObject.qSelections.length;

  // A modal selection left unconfirmed is undone.
  await region.beginSelections(['/qHyperCubeDef']);
  await region.selectHyperCubeValues('/qHyperCubeDef', 0, [emea], false);
  await app.abortModal(false);
  out.afterAbort = (await region.getLayout()).qHyperCube.qSize.qcy;

  const tree = await sheet.getFullPropertyTree();
  out.tree = tree.qChildren.map((child) => child.qProperty.qInfo.qId);
  try {
    await region.exportData('OOXML', '/qHyperCubeDef');
    out.unknown = null;
  } catch (error) {
    out.unknown = { code: error.code, message: error.message };
  }
  out.changed = { ...out.changed };
  await session.close();
  console.log(JSON.stringify(out));
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
