// Qlik's own @qlik/api in Node, as an impersonated user: oauth2 with clientId, clientSecret
// and subject (the impersonation grant), then REST (users/me, items) and qix (an app over the
// engine websocket, with the /identity/{x} path suffix @qlik/api adds).
// Usage: node qlik_api_impersonation.mjs <tenant-url> <client-id> <client-secret> <subject> <app-id>
import { auth, items, qix, users } from '@qlik/api';

const [host, clientId, clientSecret, subject, appId] = process.argv.slice(2);
auth.setDefaultHostConfig({ host, authType: 'oauth2', clientId, clientSecret, subject });

const out = {};
const me = await users.getMyUser();
out.me = { status: me.status, subject: me.data.subject, id: me.data.id };
const apps = await items.getItems({ resourceType: 'app' });
out.apps = apps.data.data.map((item) => item.resourceId);

const session = qix.openAppSession({ appId, identity: 'qlik-api-proof' });
try {
  const doc = await session.getDoc();
  const layout = await doc.getAppLayout();
  const cube = await doc.createSessionObject({
    qInfo: { qType: 'proof' },
    qHyperCubeDef: {
      qDimensions: [{ qDef: { qFieldDefs: ['Region'] } }],
      qMeasures: [{ qDef: { qDef: 'Sum(Sales)' } }],
      qInitialDataFetch: [{ qTop: 0, qLeft: 0, qWidth: 2, qHeight: 10 }],
    },
  });
  const cubeLayout = await cube.getLayout();
  out.opened = { title: layout.qTitle, rows: cubeLayout.qHyperCube.qDataPages[0].qMatrix.length };
} catch (error) {
  out.refused = { message: String(error.message || error), code: error.code ?? null };
}
await session.close();
console.log(JSON.stringify(out));
process.exit(0);
